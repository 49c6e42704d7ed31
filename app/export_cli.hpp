#pragma once
// `dctwin export OUT.h5 --csv FILE [--series PATH ...]`: series of a results file as one CSV
// table, for spreadsheets and tools that read EnergyPlus-style output.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dctwin::app {

/// Registers the `export` subcommand on `app`; its options are bound to the members.
struct ExportCommand {
    explicit ExportCommand(CLI::App& app);
    ExportCommand(const ExportCommand&) = delete;
    ExportCommand& operator=(const ExportCommand&) = delete;

    /// The exit status of the export when it was the command given (0 done, 1 the CSV cannot
    /// be written, 2 bad input), else -1.
    int run() const;

    CLI::App* command = nullptr;
    std::string results, csv;
    std::vector<std::string> series;
};

}  // namespace dctwin::app
