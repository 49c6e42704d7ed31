#pragma once
// Forward sensitivities of a calibration run (solver/sensitivity.hpp applied to a site): the
// site is built at p and, for every parameter fitted this way, at p_k + a_k and p_k - b_k
// (a, b a millionth of its range, inside its bounds); a key qualifies when those builds have the
// structure of the one at p (states, Jacobian pattern, roots, outputs): a continuous value
// such as a flow, a resistance, an efficiency or a set point. The run starts from the steady
// state, whose sensitivities solve F_y s = -F_p; an output row's sensitivity is the difference
// of the row of a model a step away at y + step * s_k and the row at (p, y).

#include <functional>
#include <string>
#include <vector>

#include "calib/calibrate.hpp"
#include "solver/sensitivity.hpp"

namespace dctwin::calib {

/// The --set overrides of a whole parameter vector [SI] (the user's first, then the fitted keys).
using OverridesFn = std::function<std::vector<std::string>(const std::vector<double>&)>;

struct ForwardRun {
    std::vector<double> t;                            ///< [s] output rows
    std::vector<std::vector<double>> v;               ///< [column][row] values, in the series' result unit
    std::vector<std::vector<std::vector<double>>> d;  ///< [parameter of `which`][column][row] d(value)/dp [result unit / SI]
    ForwardStats stats;
    double wall_s = 0;    ///< [s] the whole run, models built and steady state included
    double output_s = 0;  ///< [s] of which the output rows and their sensitivities
};

struct ForwardProblem {
    std::string site;
    std::vector<std::string> set_files;
    OverridesFn overrides;
    std::vector<FitParameter> params;
    double duration = 0;  ///< [s]
    /// a, b as a fraction of each parameter's range: small, as the output rows' difference is
    /// one-sided (its error is of the order of the step), large enough against the 12 digits
    /// the values are written with for --set.
    double step = 1e-6;
    int threads = 1;      ///< the parameters' derivatives and rows at once
};

/// Why key `k` cannot be fitted with forward sensitivities at p ("" when it can): a count (an
/// integer without unit), a value the site refuses a step away, or a different structure.
std::string forward_refusal(const ForwardProblem& fp, const std::vector<double>& p, std::size_t k);

/// A run at p with the sensitivities of the output-row offsets `columns` to the parameters
/// `which`. Throws ForwardRefused (a discrete event, a structure change), SolverError,
/// SteadyStateError, InputError.
ForwardRun run_forward(const ForwardProblem& fp, const std::vector<double>& p, const std::vector<std::size_t>& which,
                       const std::vector<std::size_t>& columns);

}  // namespace dctwin::calib
