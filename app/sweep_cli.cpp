#include "app/sweep_cli.hpp"

#include <unistd.h>

#include <csignal>
#include <iostream>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "sweep/mpi_sweep.hpp"
#include "sweep/runner.hpp"

namespace dctwin::app {

namespace {
extern "C" void on_sweep_signal(int) { dctwin::g_stop_requested.store(true); }
}  // namespace

SweepCommand::SweepCommand(CLI::App& app) {
    command = app.add_subcommand("sweep", "run a what-if sweep of a base site (resumable; MPI under mpirun)");
    command->add_option("SWEEP", file, "sweep file (YAML, see sites/sweeps/README.md)")->required();
    command->add_option("-o,--output", dir, "output folder: summary.csv, summary.h5, the journal, per-case results")
        ->required();
    command->add_option("-j,--jobs", threads, "cases run at once on threads (per MPI rank); default 1")
        ->check(CLI::Range(1, 1024));
    command->add_flag("--restart", restart, "discard the folder's earlier results (another sweep's) and start over");
    command->add_flag("--retry-failed", retry_failed, "run the cases recorded as failed again");
    command->add_option("--set-file", set_files, "apply the key.path: value overrides of a YAML file to every case, "
                                                 "e.g. dctwin calibrate's -o (repeatable; before the sweep's own)");
}

int SweepCommand::run() const {
    if (!command->parsed()) return -1;
    sweep::SweepOptions o;
    o.dir = dir;
    o.threads = threads;
    o.restart = restart;
    o.retry_failed = retry_failed;
    o.set_files = set_files;
    o.progress = isatty(STDERR_FILENO) != 0;
    // Stop launching cases on Ctrl-C or SIGTERM; the cases in flight end, what is done is kept.
    std::signal(SIGINT, on_sweep_signal);
    std::signal(SIGTERM, on_sweep_signal);
    if (sweep::launched_by_mpi()) return sweep::run_sweep_mpi(file, o);
    try {
        sweep::Sweep s = sweep::load_sweep(file);
        sweep::apply_set_files(s, set_files);
        return sweep::run_sweep_threads(s, o);
    } catch (const InputError& e) {
        std::cerr << e.what() << "\n";
        return sweep::kSweepBadInput;
    }
}

}  // namespace dctwin::app
