#pragma once
// The summary of a sweep: one row per case, in case order, as DIR/summary.csv and
// DIR/summary.h5 (layout in sites/sweeps/README.md). Both are written under a temporary name
// and renamed, so a partial file is never taken for a whole one.

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sweep/journal.hpp"
#include "sweep/sweep_file.hpp"

namespace dctwin::sweep {

/// One column of the summary.
struct Column {
    std::string name;         ///< carries its unit: "pue", "energy_grid_J", "supply_degC"
    std::string unit;         ///< "1", "J", "W", "degC", "-" (text), or a parameter's unit
    std::string description;  ///< one line
    bool text = false;        ///< strings; else float64 (NaN where empty)
    std::string key;          ///< parameters: the key path; empty for results
};

/// The result columns every case has, read from the run's JSON summary (the `results`
/// object of a journal record).
const std::vector<Column>& result_columns();

/// The values of the result columns from a run's JSON summary (RunSummary::to_json()).
nlohmann::json result_values(const nlohmann::json& run_summary);

/// A summary table in memory: every column, one entry per case.
struct SummaryTable {
    std::vector<Column> columns;
    std::vector<std::vector<double>> numbers;       ///< per column (empty for text columns)
    std::vector<std::vector<std::string>> strings;  ///< per column (empty for numeric columns)
    std::size_t rows = 0;
    std::size_t failed = 0;
    std::map<std::string, std::string> attributes;  ///< sweep, name, base, hash, mode, ...

    /// The column named `name`, or the parameter column of the parameter `name`; -1 if none.
    int find(const std::string& name) const;
};

/// Builds the table of `sweep` from the journal's records (one per case, every case).
SummaryTable make_table(const Sweep& sweep, const std::map<std::size_t, CaseRecord>& records);

/// Writes DIR/summary.csv and DIR/summary.h5. Throws SweepDirError. Not thread-safe with
/// other HDF5 use: call it when no case runs.
void write_summary(const SummaryTable& table, const std::string& dir);

/// A summary file that cannot be read as one.
class SummaryError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
/// Reads summary.h5. Throws SummaryError.
SummaryTable read_summary(const std::string& path);

/// The column name of a parameter: its name, then its unit ("supply_degC", "flow_L_per_min").
std::string parameter_column(const Parameter& p);

}  // namespace dctwin::sweep
