#pragma once
// Forward sensitivities s_k = dy/dp_k of a transient run (CVODES, BDF, staggered corrector)
// for parameters at which the model can be evaluated without changing its structure: the
// caller builds two copies of the network, at p_k + a_k and p_k - b_k, and
//     s_k' = J s_k + df/dp_k,
// J the network's analytic Jacobian at (t, y), df/dp_k the central difference of the two
// copies' right-hand sides at the same (t, y). The sensitivity Newton iterations use the
// run's linear solver (the block elimination of I - gamma J). Discrete events are not
// modelled: a root function that changes sign refuses the run (ForwardRefused).

#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "solver/integrator.hpp"
#include "solver/network.hpp"

namespace dctwin {

/// One parameter: the network at p + plus_step and the one at p - minus_step, of the same
/// structure as the main one (structure_difference() == ""). plus_step + minus_step > 0.
struct ParameterNets {
    Network* plus = nullptr;
    Network* minus = nullptr;
    double plus_step = 0, minus_step = 0;  ///< [parameter's SI unit]
    double scale = 1;  ///< [parameter's SI unit] its typical size: the sensitivities' tolerance is abstol / scale
};

/// The forward method cannot follow this run (a discrete event, a structural change).
class ForwardRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Why `other` cannot stand for `net` at another parameter value: a different state table,
/// Jacobian pattern or number of root functions ("" when it can).
std::string structure_difference(const Network& net, const Network& other);

/// Sensitivities of the steady state y of `net` at time t (solve_steady's: accumulators and
/// stored energies held): s_k = -F_y^-1 dF/dp_k, F_y the analytic Jacobian with the held rows
/// the identity (one sparse LU for all k). Throws ForwardRefused for a singular F_y.
std::vector<std::vector<double>> steady_sensitivities(Network& net, double t, std::span<const double> y,
                                                      const std::vector<ParameterNets>& p);

/// Called at each output time with y and s_k (k in the order of the parameters).
using SensitivityOutput = std::function<void(double t, const double* y, const std::vector<const double*>& s)>;

struct ForwardStats {
    long steps = 0, sens_rhs = 0, jacobians = 0, reinits = 0;
};

/// Integrates y and s_k from (t0, y0, s0) and calls `out` at every time of `times` (sorted,
/// >= t0). Restarts (CVodeReInit, CVodeSensReInit) at every input discontinuity, where s is
/// continuous (no input depends on y). Uses `threads` threads for the parameters. Throws
/// ForwardRefused when a root function changes sign (at the end of some step) or on_start
/// changes a discrete state; SolverError when CVODES fails.
ForwardStats integrate_forward(Network& net, const std::vector<ParameterNets>& p, const SolverOptions& opt, double t0,
                               std::span<const double> y0, const std::vector<std::vector<double>>& s0,
                               const std::vector<double>& times, const SensitivityOutput& out, int threads);

}  // namespace dctwin
