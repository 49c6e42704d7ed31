#pragma once
// Binding constraints: every limit of the site (silicon, cooling, power) as one kind of
// record, with its utilisation over time, and the statistics the run summary and
// `dctwin report` make of them.
//
// Utilisation is value / limit for an upper bound, both in the constraint's unit; for a
// temperature both are in degC (a supply at 30 degC against a 32 degC class limit is 0.94).
// A constraint is at its limit when its utilisation is >= 1. The binding constraint at a
// time is the one with the highest utilisation (the first declared on a tie).

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dctwin {

enum class Family : std::uint8_t { silicon = 0, cooling = 1, power = 2 };
constexpr int kFamilies = 3;
const char* family_name(Family f);
/// -1 for an unknown name.
int family_index(const std::string& name);

struct Constraint {
    std::string path;         ///< component path and quantity, e.g. "hall1/rowA/rack01/gpu/junction_temperature"
    Family family = Family::silicon;
    std::string unit;         ///< of value and limit: "degC", "W", "W/s", "J"
    std::string description;  ///< one line: what is compared with what
    bool setting = false;     ///< the limit is an operating setting (a power cap), not a capacity
};

/// value / limit; NaN when the limit is not positive or either is not finite. Inline: the
/// silicon constraints call it for every device at every output row.
inline double utilisation(double value, double limit) {
    if (!(limit > 0) || !std::isfinite(limit) || !std::isfinite(value)) return std::nan("");
    return value / limit;
}

/// What became of one constraint over a run.
struct ConstraintStats {
    double peak = -std::numeric_limits<double>::infinity();  ///< [1] highest utilisation
    double peak_time = std::nan("");                          ///< [s] when
    double first_limit_time = std::nan("");                   ///< [s] first output time at or over 1
    double seconds_over = 0.0;  ///< [s] output intervals ending at or over 1
    double peak_value = std::nan("");  ///< value at the peak, in the constraint's unit
    double peak_limit = std::nan("");  ///< limit at the peak, in the constraint's unit
};

/// Statistics over output rows, fed one row of utilisations at a time (in time order).
/// Time at or over a limit is counted by output interval: the interval before a row whose
/// utilisation is >= 1 counts whole, so its resolution is the output interval.
class ConstraintTracker {
public:
    explicit ConstraintTracker(std::vector<Family> families);
    /// One row; values and limits (in the constraints' units) may be null where unknown.
    void add(double t, const double* utilisation, const double* values = nullptr, const double* limits = nullptr);
    const std::vector<ConstraintStats>& stats() const { return stats_; }
    /// [s] per family: time it held the binding constraint, and time at or over its limit
    /// while binding.
    const double* family_binding_seconds() const { return binding_s_; }
    const double* family_limit_seconds() const { return limit_s_; }
    std::size_t rows() const { return rows_; }

private:
    std::vector<Family> families_;
    std::vector<ConstraintStats> stats_;
    double binding_s_[kFamilies] = {0, 0, 0}, limit_s_[kFamilies] = {0, 0, 0};
    double last_t_ = 0.0;
    std::size_t rows_ = 0;
};

/// The binding constraint of a run: the first to reach its limit (ties: the higher peak),
/// or, when none did, the one with the highest peak. index -1 when there is none.
struct Binding {
    int index = -1;
    double utilisation = std::nan("");  ///< [1] its peak
    bool at_limit = false;
    double first_limit_time = std::nan("");  ///< [s]
};
Binding binding_of(const std::vector<ConstraintStats>& stats);

/// Index of the highest finite utilisation in [u, u + n) (the first on a tie), or -1.
int binding_now(const double* u, std::size_t n);

/// A value in a constraint's unit for people: "89.8 degC", "763 W", "26.4 kW".
std::string constraint_value_text(double value, const std::string& unit);
/// limit - value, K for temperatures: signed ("-62.8 W"), or in words ("62.8 W over").
std::string constraint_margin_text(double value, double limit, const std::string& unit, bool words = false);

/// Causes of lost work, in the order of the /work/lost_by_cause columns.
inline constexpr const char* kLostCauseNames[] = {"power_cap", "thermal", "site_power_limit", "cooling_fault", "outage"};
inline constexpr int kLostCauseCount = 5;

/// What the run summary and `dctwin report` say about constraints and lost work.
struct ConstraintReport {
    std::vector<Constraint> constraints;
    std::vector<ConstraintStats> stats;     ///< in the order of constraints
    Binding binding;
    double family_binding_s[kFamilies] = {0, 0, 0};  ///< [s] time each family held the binding constraint
    double family_limit_s[kFamilies] = {0, 0, 0};    ///< [s] ... and was at or over its limit
    double lost[kLostCauseCount] = {0, 0, 0, 0, 0};  ///< [device-s] by cause
    double lost_total = 0, possible = 0;             ///< [device-s]
    double duration = 0;                             ///< [s] from the first to the last row

    /// Stats, binding and family times from a tracker fed with every row.
    void take(const ConstraintTracker& t);
    /// Constraint indices by peak utilisation, highest first (ties: declaration order).
    std::vector<std::size_t> ranking() const;
    /// {family, constraint, utilisation, at_limit, first_binding_time_s}; family null without constraints.
    nlohmann::json binding_json() const;
    /// [{name, family, unit, peak_utilisation, peak_time_s, first_binding_time_s, seconds_over_limit}],
    /// highest peak first; at most `top` entries (0: all).
    nlohmann::json constraints_json(std::size_t top = 0) const;
    /// {by_cause {..}, total, possible, fraction} in device-seconds.
    nlohmann::json lost_work_json() const;
    /// {silicon, cooling, power} seconds binding and at the limit.
    nlohmann::json families_json() const;
    /// The terminal table: top constraints, binding family over the run, lost work by cause.
    std::string text(std::size_t top) const;
    /// The lines that say what bound and why: the binding constraint with its value, limit
    /// and margin in its unit and what reaching that limit does; then, where another cause
    /// lost more work than the binding constraint's own, that cause and its constraint.
    std::string headline() const;
    /// What reaching constraint i's limit means, in words, with its value and limit at the peak.
    std::string why(std::size_t i) const;
};

}  // namespace dctwin
