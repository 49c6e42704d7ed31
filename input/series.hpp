#pragma once
// Time series of the site file (power.grid: carbon intensity, energy price, renewable share):
// their values with units, their CSV files, and their value and mean over a span of the run.

#include <string>
#include <string_view>
#include <vector>

#include "input/site_spec.hpp"

namespace dctwin {

/// The largest series file read [bytes] (an hourly year is about 150 kB).
inline constexpr long kMaxSeriesBytes = 16L << 20;

/// One value of a series in SI: "0.4 kg/kWh" -> kg/J, "0.12 USD/kWh" -> USD/J (the currency
/// must be `currency`), "35 %" or "0.35" -> 1. Checks the range (carbon 0..5 kg/kWh, price
/// -10..100 per kWh, fraction 0..1). Throws UnitError with what was expected and found.
double parse_series_value(std::string_view text, SeriesQuantity q, const std::string& currency);

/// A price per power in SI ("15 USD/kW" -> USD/W), the currency `currency`. Throws UnitError.
double parse_demand_charge(std::string_view text, const std::string& currency);

/// How a value of q is written, e.g. "0.4 kg/kWh", "0.12 USD/kWh", "0.35".
std::string series_example(SeriesQuantity q, const std::string& currency);

/// Reads a series CSV into out.time, out.value: a header `time [unit], name [unit]` (e.g.
/// `time [h], carbon_intensity [kg/kWh]`), then one `time, value` line of plain numbers per
/// point, times strictly increasing from 0; blank lines and '#' comments skipped. Errors are
/// InputError at label:line:col with `key`, quoting no text of the file but short numbers and units.
void parse_series_csv(std::string_view text, const std::string& label, const std::string& key, SeriesQuantity q,
                      const std::string& currency, TimeSeriesSpec& out);

/// Reads s.file (relative to the folder of `site_file`) into s; errors are placed in the file
/// with a note of where the site names it (s.loc), or at s.loc when it cannot be read. Checks
/// that s.period, if any, lies beyond the last point.
void load_series_file(TimeSeriesSpec& s, const std::string& site_file, const std::string& key, SeriesQuantity q,
                      const std::string& currency);

/// A series evaluated over the run: its value at a time, and its mean over a span (exact for
/// either interpolation, from the integral at each point).
class SeriesTable {
public:
    SeriesTable() = default;
    explicit SeriesTable(const TimeSeriesSpec& s);
    bool empty() const { return t_.empty(); }
    double at(double t) const;              ///< value at t [s]
    double mean(double a, double b) const;  ///< mean over [a, b]; the value at a when b <= a

private:
    double integral(double x) const;  ///< from 0 to x
    double integral_in_period(double x) const;
    std::vector<double> t_, v_, cum_;  // cum_[i]: integral from 0 to t_[i]
    bool linear_ = false;
    double period_ = 0.0;
};

}  // namespace dctwin
