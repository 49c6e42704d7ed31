#pragma once
// Direct steady-state solve of a Network at frozen inputs: damped Newton first, then, where
// Newton gets nowhere, pseudo-transient continuation from the start (backward Euler with a
// step that grows as the residual falls, "switched evolution relaxation"), which becomes
// Newton's method once the step is large. Uses the network's analytic Jacobian and the block
// elimination. Energy accumulators and storage (batteries) are held at their
// initial values: a charging battery has no steady state.

#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

struct SteadyOptions {
    double t = 0.0;                ///< [s] time at which the inputs are frozen
    double initial_step = 1.0;     ///< [s] first pseudo time step
    /// Converged when |dy/dt| < tol * abstol * max(1/s, |J_ii|) for every state i: a slow state's
    /// rate, a fast state's distance to equilibrium |f / J_ii| in units of abstol.
    double residual_tol = 1e-8;
    int max_iterations = 300;
    /// Full Newton steps while each halves the residual, then pseudo-transient continuation.
    bool newton_first = true;
};

struct SteadyResult {
    std::vector<double> y;
    int iterations = 0;
    double residual = 0.0;   ///< max |dy/dt| / (abstol max(1/s, |J_ii|)) at the end
    double wall_s = 0.0;
};

class SteadyStateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

SteadyResult solve_steady(Network& net, std::span<const double> y0, const SteadyOptions& opt = {});

}  // namespace dctwin
