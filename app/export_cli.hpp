#pragma once
// `dctwin export OUT.h5 --csv FILE [--series PATH ...]`: series of a results file as one CSV
// table, for spreadsheets and tools that read EnergyPlus-style output.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dctwin {
class ResultsReader;
}

namespace dctwin::app {

/// The run's calendar: [s] from January 1, 00:00 of the weather year to t = 0, for a run on
/// an EPW file (`ambient.kind: epw`, its `start`, 0 when absent), read from
/// /metadata/site_yaml; nullopt for a run without a calendar.
std::optional<double> calendar_start(const ResultsReader& reader);

/// EnergyPlus's Date/Time text, " MM/DD  HH:MM:SS", of `since_jan1` [s] after January 1,
/// 00:00 in a 365-day year (wrapping after December 31, as a whole-year EPW file does).
std::string date_time_text(double since_jan1);

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
