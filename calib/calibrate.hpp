#pragma once
// Fitting site parameters to measurements (`dctwin calibrate`, docs/calibration.md):
// nonlinear least squares (Eigen's Levenberg-Marquardt) over in-memory runs of the site, the
// Jacobian from forward sensitivities (CVODES) where the model allows, by finite differences
// with its columns run in parallel otherwise; confidence intervals and
// correlations from the linearised covariance s^2 (J^T J)^-1; CV(RMSE) and NMBE (Guideline 14)
// of every measured series before and after.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "calib/measured.hpp"

namespace dctwin::calib {

/// One fitted parameter: a key path of --set, its bounds and start, in SI.
struct FitParameter {
    std::string key;         ///< "rack_types.hgx-h100.coolant_flow"
    std::string unit;        ///< the unit values are written in ("L/min"; "" a plain number)
    double lo = 0, hi = 0;   ///< [SI] bounds
    double start = 0;        ///< [SI] the site's value (or the middle of the range, see start_from_site)
    bool start_from_site = true;
    std::string text;        ///< the --fit argument as given
};

/// "KEY" or "KEY=LO..HI" (each bound a quantity with its unit). Throws std::invalid_argument
/// naming the column of the fault. The bounds and start are filled by resolve_parameter.
struct FitRequest {
    std::string key, lo, hi;  ///< lo/hi empty: not given
    std::string text;
};
FitRequest parse_fit(std::string_view text);

/// The bounds and start of a request against the site as loaded (its resolved YAML): the
/// start is the site's value of the key; without a range, [start/4, 4 start] (a positive
/// quantity) or start -/+ 10 K (a temperature). Throws std::invalid_argument for a key the
/// site has no number at (when no range is given), bounds of another dimension than the
/// site's value, LO >= HI, or a start outside [LO, HI].
FitParameter resolve_parameter(const FitRequest& request, const std::string& resolved_yaml);

/// The value `si` written in `unit` for --set ("62.5 L/min").
std::string value_text(double si, const std::string& unit);

/// How the Jacobian's columns are computed: forward sensitivities (CVODES, calib/forward.hpp)
/// where the model takes the key in place, finite differences of whole runs otherwise (auto);
/// forward only (a key that cannot is refused); finite differences only.
enum class Sensitivities { automatic, forward, fd };

struct CalibrateOptions {
    std::vector<std::string> sets;       ///< --set overrides applied to every run
    std::vector<std::string> set_files;  ///< --set-file files, before the --set overrides
    double duration = -1;  ///< [s] simulated span; < 0: up to the last measured time
    double start = 0;      ///< run time of the first timestamp (timestamps only), as compare's
    int threads = 1;       ///< runs at once (the Jacobian's columns)
    int max_iterations = 50;
    double step = 1e-4;    ///< finite-difference step, fraction of each parameter's range
    double xtol = 1e-10;   ///< stop when the step in the scaled parameters is below this
    Sensitivities sensitivities = Sensitivities::automatic;
};

/// Series metrics in the measured column's unit (as `dctwin compare`), before and after.
struct SeriesFit {
    std::string heading, unit;
    std::size_t pairs = 0;
    double scale = 1;  ///< [unit] the residuals' divisor: the series' measured standard deviation (or its mean)
    std::optional<double> cv_before, nmbe_before, cv_after, nmbe_after;
};

struct ParameterFit {
    FitParameter p;
    double value = 0;     ///< [SI]
    double std_error = 0; ///< [SI]
    double lo95 = 0, hi95 = 0;  ///< [SI] 95 % interval (Student t, m - p degrees of freedom)
    bool at_bound = false;
    std::string method;       ///< "forward" or "finite differences": how its Jacobian column was computed
    std::string method_note;  ///< why not forward ("" when forward)
};

struct Calibration {
    std::string site, measured;
    std::vector<ParameterFit> parameters;
    std::vector<std::vector<double>> correlation;
    /// Pairs |corr| > kNotIdentifiable, and parameters the data hardly depend on (a near-zero
    /// singular value's direction, a 95 % interval wider than the range, a Jacobian column
    /// below 1e-6 of the largest): "not identifiable from this data".
    std::vector<std::pair<std::size_t, std::size_t>> correlated;
    std::vector<std::size_t> weak;
    double condition = 0;  ///< of the scaled J^T J
    std::vector<SeriesFit> series;
    std::size_t residuals = 0, runs = 0;
    std::size_t forward_runs = 0;        ///< runs with forward sensitivities (runs counts the others)
    std::string sensitivities = "auto";  ///< --sensitivities
    std::vector<std::string> fallbacks;  ///< forward runs refused during the fit (finite differences then), why
    /// The forward runs' work: CVODES steps, sensitivity right-hand sides, restarts; wall time
    /// [s] in all and in the output rows (the perturbed models' rows).
    long forward_steps = 0, forward_sens_rhs = 0, forward_reinits = 0;
    double forward_wall_s = 0, forward_output_s = 0;
    int iterations = 0;
    double cost_before = 0, cost_after = 0;  ///< sum of squared scaled residuals
    double duration = 0, wall_s = 0;
    std::string stop;  ///< why the solver stopped
    nlohmann::json to_json() const;
    std::string to_text() const;
    /// The fitted values as a set file (`key: "value unit"`), for --set-file.
    std::string to_yaml() const;
};

/// |correlation| above which a pair is reported as not identifiable from the data.
inline constexpr double kNotIdentifiable = 0.99;

/// Fits `parameters` of the site file `site` to `data`. Throws InputError / std::invalid_argument
/// for bad input (no measured series matching a result series, a site that does not load with
/// a parameter's value), SolverError and SteadyStateError when the start itself does not run.
Calibration calibrate(const std::string& site, const MeasuredData& data, const std::vector<FitRequest>& parameters,
                      const CalibrateOptions& options);

}  // namespace dctwin::calib
