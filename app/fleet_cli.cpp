#include "app/fleet_cli.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "sweep/fleet.hpp"
#include "sweep/mpi_sweep.hpp"
#include "sweep/runner.hpp"

namespace dctwin::app {

namespace {
extern "C" void on_fleet_signal(int) { dctwin::g_stop_requested.store(true); }

// Rank 0 of an MPI job, or a process of its own.
bool first_rank() {
    for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
        if (const char* s = std::getenv(v); s != nullptr && *s != '\0') return std::string(s) == "0";
    return true;
}

// Ranks the finished fleet's summary; prints the ranking and writes DIR/ranking.csv.
int rank(const std::string& dir, const std::string& objective) {
    try {
        const sweep::SummaryTable t = sweep::read_summary((std::filesystem::path(dir) / "summary.h5").string());
        const auto ranking = sweep::rank_fleet(t, objective);
        std::cout << sweep::write_ranking(t, ranking, objective, dir);
        std::cout << fmt::format("ranking in {}/ranking.csv\n", dir);
        return sweep::kSweepDone;
    } catch (const std::exception& e) {
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
        return sweep::kSweepFailed;
    }
}
}  // namespace

FleetCommand::FleetCommand(CLI::App& app) {
    command = app.add_subcommand("fleet", "place workloads on several sites and rank them (resumable; MPI under mpirun)");
    command->add_option("FLEET", file, "fleet file (YAML, see sites/fleets/README.md)")->required();
    command->add_option("-o,--output", dir, "output folder: summary.csv, summary.h5, ranking.csv, the journal")->required();
    command->add_option("-j,--jobs", threads, "placements run at once on threads (per MPI rank); default 1")
        ->check(CLI::Range(1, 1024));
    command->add_option("--objective", objective, "rank by cost, carbon, energy, water or throughput; default: the "
                                                  "fleet file's objective (cost)")
        ->check(CLI::IsMember(sweep::fleet_objectives()));
    command->add_flag("--restart", restart, "discard the folder's earlier results (another fleet's) and start over");
    command->add_flag("--retry-failed", retry_failed, "run the placements recorded as failed again");
}

int FleetCommand::run() const {
    if (!command->parsed()) return -1;
    sweep::SweepOptions o;
    o.dir = dir;
    o.threads = threads;
    o.restart = restart;
    o.retry_failed = retry_failed;
    o.progress = isatty(STDERR_FILENO) != 0;
    std::signal(SIGINT, on_fleet_signal);
    std::signal(SIGTERM, on_fleet_signal);
    std::string file_objective = "cost";
    int status = sweep::kSweepDone;
    if (sweep::launched_by_mpi()) {
        status = sweep::run_sweep_mpi([&] { return sweep::load_fleet(file, &file_objective); }, o);
        if (status != sweep::kSweepDone || !first_rank()) return status;
    } else {
        try {
            const sweep::Sweep s = sweep::load_fleet(file, &file_objective);
            status = sweep::run_sweep_threads(s, o);
        } catch (const InputError& e) {
            std::cerr << e.what() << "\n";
            return sweep::kSweepBadInput;
        }
        if (status != sweep::kSweepDone) return status;
    }
    return rank(dir, objective.empty() ? file_objective : objective);
}

}  // namespace dctwin::app
