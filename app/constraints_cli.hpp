#pragma once
// `dctwin report` and `dctwin headroom`: what binds, when, and how much room is left.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "viz/report.hpp"

struct ConstraintCommands {
    explicit ConstraintCommands(CLI::App& app);
    ConstraintCommands(const ConstraintCommands&) = delete;
    ConstraintCommands& operator=(const ConstraintCommands&) = delete;
    /// The exit status of the command given, or -1 for another command.
    int run() const;

    CLI::App *report = nullptr, *headroom = nullptr;
    dctwin::viz::ReportOptions r;
    std::string site, axis = "load", at, max_factor = "8";
    std::vector<std::string> sets, set_files;
    bool json = false;
};
