#pragma once
// Measured series against the simulated ones of a results file (docs/calibration.md):
// ASHRAE Guideline 14 CV(RMSE) and NMBE at the measured samples, hourly and monthly, max
// error, gaps and outliers.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calib/measured.hpp"

namespace dctwin::calib {

/// ASHRAE Guideline 14-2014 (section 5.2.11.3), measured m, simulated s, n pairs:
///   CV(RMSE) = sqrt(sum (m - s)^2 / (n - p)) / mean(m)
///   NMBE     = sum (m - s) / ((n - p) * mean(m))
/// as fractions (x100 for %). A positive NMBE: the model under-predicts. nullopt when n <= p
/// or mean(m) is 0.
std::optional<double> cv_rmse(const std::vector<double>& m, const std::vector<double>& s, int p);
std::optional<double> nmbe(const std::vector<double>& m, const std::vector<double>& s, int p);

/// The number of parameters p of the formulas above that dctwin uses: 1 (see docs/calibration.md).
inline constexpr int kGuideline14P = 1;

/// One set of metrics: over the samples, or over hourly or monthly means.
struct Metrics {
    std::size_t n = 0;                     ///< pairs (samples or bins)
    std::optional<double> cv_rmse, nmbe;   ///< fractions; nullopt: not defined (why says why)
    std::optional<double> cv_limit, nmbe_limit;  ///< Guideline 14 acceptance (hourly, monthly)
    std::string why;                       ///< why there are none ("" when there are)
    bool pass() const;
};

struct Gap {
    double from = 0, to = 0;  ///< [s] of the run: the last sample before, the first after
};

struct SeriesComparison {
    std::string heading;       ///< "site/grid_power [kW]"
    std::string dataset;       ///< "/site/grid_power"
    std::string column;        ///< the label of a 2-D series' column ("" for 1-D)
    std::string unit;          ///< the measured column's unit: every value below is in it
    std::string error_unit;    ///< the unit of a difference (degC -> K)
    std::size_t samples = 0;   ///< measured values (non-empty fields)
    std::size_t compared = 0;  ///< of them inside the run with a simulated value
    std::size_t outside = 0;   ///< of them outside the run's time span
    double mean_measured = 0, mean_simulated = 0;
    double max_error = 0;      ///< largest |m - s|
    double max_error_time = 0; ///< [s] of the run
    Metrics samples_metrics, hourly, monthly;
    std::vector<Gap> gaps;
    double gap_threshold = 0;  ///< [s]
    std::vector<double> outlier_times;  ///< [s] residuals beyond the outlier limit
    double outlier_limit = 0;  ///< in error_unit: 5 x 1.4826 x MAD of the residuals
    std::vector<double> t, m, s;  ///< the compared pairs ([s], unit)
};

struct CompareOptions {
    /// [s] a span without a measurement longer than this is a gap; 0: 3 x the median interval.
    double gap = 0;
    /// Run time of the first measured timestamp [s] (timestamps only): t = timestamp - epoch + this.
    double start = 0;
};

struct Comparison {
    std::string results, measured;
    std::string method;   ///< the resampling, in words
    double run_start = 0, run_end = 0;  ///< [s]
    std::vector<SeriesComparison> series;
    nlohmann::json to_json() const;
    std::string to_text() const;
};

/// Compares every measured series with the matching series of the results file. Throws
/// InputError (placed at the measured heading) for a path the file lacks, with the nearest
/// paths it has, and for a unit of another dimension; ResultsError for the results file.
Comparison compare(const std::string& results, const MeasuredData& measured, const CompareOptions& options);

}  // namespace dctwin::calib
