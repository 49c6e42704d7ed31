#pragma once
// `dctwin fleet FLEET.yaml -o DIR [-j N] [--objective X]`: every workload of a fleet file placed
// on every site (sweep/fleet.hpp), on threads or MPI ranks, resumable as sweeps are; the
// summary, and a ranking per workload by an objective.

#include <string>

#include <CLI/CLI.hpp>

namespace dctwin::app {

/// Registers the `fleet` subcommand on `app`; its options are bound to the members.
struct FleetCommand {
    explicit FleetCommand(CLI::App& app);
    FleetCommand(const FleetCommand&) = delete;
    FleetCommand& operator=(const FleetCommand&) = delete;

    /// The exit status of the fleet run when it was the command given, else -1.
    int run() const;

    CLI::App* command = nullptr;
    std::string file, dir, objective;
    int threads = 1;
    bool restart = false, retry_failed = false;
};

}  // namespace dctwin::app
