#pragma once
// `dctwin sweep SWEEP.yaml -o DIR [-j N]`: what-if sweeps over a base site (sweep/), on
// threads, or across MPI ranks when started by mpirun.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dctwin::app {

/// Registers the `sweep` subcommand on `app`; its options are bound to the members.
struct SweepCommand {
    explicit SweepCommand(CLI::App& app);
    SweepCommand(const SweepCommand&) = delete;
    SweepCommand& operator=(const SweepCommand&) = delete;

    /// The exit status of the sweep when it was the command given, else -1.
    int run() const;

    CLI::App* command = nullptr;
    std::string file, dir;
    std::vector<std::string> set_files;
    int threads = 1;
    bool restart = false, retry_failed = false;
};

}  // namespace dctwin::app
