#pragma once
// `dctwin report OUT.h5`: the constraints of a run and the work it lost, read back from its
// results file. A running or killed run's file is read up to its `rows`.

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "models/constraints.hpp"

namespace dctwin::viz {

struct FileReport {
    std::string file, site, status;
    std::size_t rows = 0;
    double t_first = 0, t_last = 0;  ///< [s] first and last valid output times
    ConstraintReport limits;
};

/// Throws ResultsError (missing or unreadable file, not a results file) or ViewError (no
/// output rows, or a file written before constraints were recorded).
FileReport read_report(const std::string& results);
/// {file, site, status, rows, t_first_s, t_last_s, binding, constraints (all), binding_family_s,
/// lost_work_device_s}.
nlohmann::json report_json(const FileReport& r);
/// The terminal table with its heading; `top` constraints.
std::string report_text(const FileReport& r, std::size_t top);

struct ReportOptions {
    std::string input;
    bool json = false;
    std::size_t top = 15;
    std::string html;  ///< with a path: write one self-contained HTML page there (report_html_command)
};
/// Exit status: 0, or 2 for a file it cannot report on (the message on stderr).
int report_command(const ReportOptions& o);

}  // namespace dctwin::viz
