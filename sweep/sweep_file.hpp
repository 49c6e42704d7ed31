#pragma once
// Sweep files: a base site, parameters by key path (the paths of `--set`), how they combine
// (products, zips, seeded Latin hypercubes), the scenario every case runs and what each case
// keeps. The format is described in sites/sweeps/README.md.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dctwin {
struct SiteSpec;
struct RunOptions;
}  // namespace dctwin

namespace dctwin::sweep {

/// The format version of sweep files (the `dctwin_sweep:` key).
inline constexpr int kSweepFormatVersion = 1;
/// The most cases one sweep may hold (a typo in a product should not fill the memory).
inline constexpr std::size_t kMaxCases = 1'000'000;
/// The largest sweep file read [bytes].
inline constexpr long kMaxSweepBytes = 1L << 20;

/// One swept value: the key path it overrides and the values it takes.
struct Parameter {
    std::string name;  ///< as in the file; names the summary column
    std::string key;   ///< key path into the site, as for --set
    /// The unit the values are written in ("degC", "kW", "" for plain numbers): numeric
    /// parameters carry their number in this unit into the summary.
    std::string unit;
    bool numeric = true;  ///< every value is a number (in `unit`); else a text column
    enum class Kind { list, range, between } kind = Kind::list;
    std::vector<std::string> values;  ///< list and range: the --set value texts, in order
    double min = 0, max = 0, step = 0;  ///< between: bounds and rounding step (0: none), in `unit`
    int line = 0, col = 0;               ///< where the parameter is defined in the sweep file
};

/// One case: a value text (and, for numeric parameters, its number in the parameter's unit)
/// for every parameter, in parameter order.
struct Case {
    std::vector<std::string> values;
    std::vector<double> numbers;  ///< NaN for text values
};

/// A result column a kind of sweep adds to every case (a fleet's fit and placement figures),
/// read from the `results` object of the case's record by name.
struct ExtraColumn {
    std::string name, unit, description;
    bool text = false;
};

/// What a kind of sweep does around each case's run (a fleet places its workload on the
/// site). Both are called on the worker thread running the case.
struct CaseHooks {
    /// After the site is loaded with the case's overrides, before the model is built: may
    /// change the site and the run, and fills `results` (extra columns). Returns false to
    /// skip the run (the case is complete with what `results` holds). Throws InputError or
    /// std::exception for a failed case.
    std::function<bool(std::size_t index, SiteSpec& site, RunOptions& run, nlohmann::json& results)> before;
    /// After the run: adds figures from the run's JSON summary to `results`.
    std::function<void(std::size_t index, const nlohmann::json& run_summary, nlohmann::json& results)> after;
};

/// A site a case runs on (fleets: one per site; sweeps: the base only).
struct CaseSite {
    std::string path;  ///< resolved
    std::string text;  ///< read once
};

struct Sweep {
    std::string file;        ///< the sweep file as given
    std::string name;        ///< `name:`, default: the file's stem
    std::string base_path;   ///< the base site, resolved against the sweep file's folder
    std::string base_text;   ///< the base site's text, read once
    bool steady = true;      ///< design-point solves; false: transient runs
    double at_s = 0;         ///< [s] steady: the time whose inputs are used
    double duration_s = -1;  ///< [s] transient: simulated time; < 0: the site's own
    bool cold_start = false; ///< transient: start from the declared temperatures
    bool keep_results = false;        ///< a results file per case (else the summary only)
    std::vector<std::string> fixed;   ///< "key=value" overrides applied to every case first
    std::vector<Parameter> parameters;
    std::vector<Case> cases;          ///< in case-index order
    std::string hash;                 ///< 16 hex digits over everything that decides the results

    // Fleets (sweep/fleet.hpp) reuse the machinery: each case may run on a site of its own,
    // with overrides of its own instead of the parameters' key paths, and hooks.
    std::vector<CaseSite> sites;             ///< empty: every case runs on the base site
    std::vector<std::size_t> case_site;      ///< per case: index into `sites`
    std::vector<std::vector<std::string>> case_sets;  ///< per case: overrides after `fixed` (replace the parameters')
    std::shared_ptr<const CaseHooks> hooks;  ///< null: a plain sweep
    std::vector<ExtraColumn> extra_columns;  ///< summary columns after the result columns
    std::string kind = "sweep";              ///< "sweep" or "fleet": the summary's `kind` attribute

    /// The --set overrides of case `i`: the fixed ones, then one per parameter (or the case's own).
    std::vector<std::string> overrides(std::size_t i) const;
    /// The site file case `i` runs on (path, text).
    const std::string& site_path(std::size_t i) const { return sites.empty() ? base_path : sites[case_site.at(i)].path; }
    const std::string& site_text(std::size_t i) const { return sites.empty() ? base_text : sites[case_site.at(i)].text; }
};

/// Reads and validates a sweep file and its base site's text, and generates the cases.
/// Throws dctwin::InputError (file:line:col, key path, what was expected) on bad input.
Sweep load_sweep(const std::string& path);
/// As load_sweep, from text in memory; `label` names it in messages and relative paths
/// (the base site) resolve against its folder.
Sweep load_sweep_text(std::string_view text, const std::string& label);

/// Applies --set-file files to every case: their overrides go before the sweep's fixed ones
/// (the sweep file has the last word) and into the hash. Each file is checked against the base
/// site first, so that a fault is placed in it (file:line:col). Throws dctwin::InputError.
void apply_set_files(Sweep& sweep, const std::vector<std::string>& files);

/// The unit cube samples of a Latin hypercube: `samples` rows of `dims` values in [0, 1),
/// row-major; in each dimension every one of the `samples` equal strata holds exactly one
/// sample. Portable: the same seed gives the same numbers with every compiler and library
/// (std::mt19937_64 is fully specified; the shuffles and the conversion to [0, 1) are ours).
std::vector<double> latin_hypercube(std::size_t samples, std::size_t dims, std::uint64_t seed);

/// FNV-1a, 64 bits, as 16 hex digits: identifies a sweep's content (not a security hash).
std::string content_hash(std::string_view text);

/// "20 degC" -> {20, "degC"}; "16" -> {16, ""}; false when the text is not a number with an
/// optional unit.
bool split_number(std::string_view text, double& number, std::string& unit);

}  // namespace dctwin::sweep
