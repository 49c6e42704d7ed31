#pragma once
// `dctwin compare OUT.h5 MEASURED [--json]`: measured series against the simulated ones
// (calib/compare.hpp, docs/calibration.md).

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dctwin::app {

/// Registers the `compare` subcommand on `app`; its options are bound to the members.
struct CompareCommand {
    explicit CompareCommand(CLI::App& app);
    CompareCommand(const CompareCommand&) = delete;
    CompareCommand& operator=(const CompareCommand&) = delete;

    /// The exit status when it was the command given (0 compared, 1 the plot cannot be drawn or
    /// written, 2 bad input), else -1.
    int run() const;

    CLI::App* command = nullptr;
    std::string results, measured, gap, start, format = "auto", gpus, interval, plot;
    std::vector<std::string> metrics;
    bool json = false;
};

}  // namespace dctwin::app
