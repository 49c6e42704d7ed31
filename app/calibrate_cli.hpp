#pragma once
// `dctwin calibrate SITE MEASURED --fit KEY[=LO..HI] ...`: fits site parameters to measured
// series (calib/calibrate.hpp, docs/calibration.md).

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dctwin::app {

/// Registers the `calibrate` subcommand on `app`; its options are bound to the members.
struct CalibrateCommand {
    explicit CalibrateCommand(CLI::App& app);
    CalibrateCommand(const CalibrateCommand&) = delete;
    CalibrateCommand& operator=(const CalibrateCommand&) = delete;

    /// The exit status when it was the command given (0 fitted, 1 a run failed or the output
    /// cannot be written, 2 bad input), else -1.
    int run() const;

    CLI::App* command = nullptr;
    std::string site, measured, output, duration, start, format = "auto", gpus, interval;
    std::vector<std::string> fits, sets, set_files, metrics;
    int threads = 1, max_iterations = 50;
    std::string sensitivities = "auto";
    bool json = false, force = false;
};

}  // namespace dctwin::app
