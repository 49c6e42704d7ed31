#pragma once
// Transient integration of a Network with CVODE (BDF, Newton) or ARKODE (ESDIRK), behind a
// small RAII class.
// Stops at every input discontinuity (and re-initialises there), finds threshold crossings
// with CVODE's root-finding, and names the worst states by path when it fails.

#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

struct SolverOptions {
    /// CVODE's BDF (orders 1-5), or ARKODE's ESDIRK324L2SA (order 3, L-stable, one-step: no
    /// restart at first order after an input step). BDF does less work on every site measured
    /// (bench/README.md); ESDIRK is an independent method to check a result against.
    enum class Method { bdf, esdirk };
    Method method = Method::bdf;
    double rtol = 1e-6;                  ///< [1] relative tolerance
    double abstol_scale = 1.0;           ///< multiplies every state's absolute tolerance
    bool analytic_jacobian = true;       ///< false: CVODE's difference quotients (dense only)
    bool dense = false;                  ///< dense LU instead of KLU (tiny networks)
    /// With the analytic sparse Jacobian: the block elimination (solver/block_elimination.hpp)
    /// instead of KLU over the whole Newton matrix.
    bool block_elimination = true;
    /// Threads for the loops over devices, blocks and vectors inside one run; the results are
    /// the same to the bit for any count.
    int threads = 1;
    /// Power-only mode (Network::set_power_only): a stretch between input discontinuities in
    /// which no electrical state moves (no battery or store charging or discharging) has
    /// constant flows, so it is integrated exactly, y(t) = y(a) + f (t - a), without steps.
    bool exact_power_only = true;
    double max_step = 0.0;               ///< [s], 0: unlimited
    long max_steps_per_call = 20000;     ///< CVODE's mxstep; more is fine while the steps stay above 1 us
};

struct SolverStats {
    long steps = 0, rhs_evals = 0, jac_evals = 0, lin_setups = 0, nonlin_iters = 0,
         nonlin_conv_fails = 0, err_test_fails = 0, root_evals = 0, reinits = 0,
         retries = 0,  ///< recoverable failures retried with a smaller maximum step
         exact_stretches = 0;  ///< power-only stretches integrated exactly (no CVODE steps)
    double wall_s = 0.0;  ///< [s] time spent inside the solver
    // Where the solver's wall time went [s]; the rest of wall_s is CVODE's own work (vector
    // operations, the copies of the iteration matrix, step and order selection).
    double rhs_s = 0.0;       ///< right-hand sides
    double jac_s = 0.0;       ///< Jacobian evaluations
    double roots_s = 0.0;     ///< root functions
    double lsetup_s = 0.0;    ///< linear solver set-ups (sparse LU refactorisations)
    double lsolve_s = 0.0;    ///< linear solves
};

/// A solver failure: the message names the SUNDIALS flag, SUNDIALS' own words, the time, and
/// the states with the largest weighted local error (by path).
class SolverError : public std::runtime_error {
public:
    SolverError(const std::string& msg, double t) : std::runtime_error(msg), time(t) {}
    double time;  ///< [s] time reached
};

class Integrator {
public:
    Integrator(Network& net, SolverOptions opt);
    ~Integrator();
    Integrator(const Integrator&) = delete;
    Integrator& operator=(const Integrator&) = delete;

    void start(double t0, std::span<const double> y0);
    /// Advances towards tout. Returns true with t() == tout, or false when stopped at a root
    /// (events are then waiting in take_events()); call again to go on. A recoverable failure
    /// (CV_CONV_FAILURE, CV_ERR_FAILURE, CV_REPTD_RHSFUNC_ERR) is retried from the last good
    /// state with a tenth of the last step as maximum step, up to 3 times, each recorded as a
    /// `solver_retry` event on path `solver`; then SolverError, whose message says so.
    bool advance(double tout);
    double t() const { return t_; }
    std::span<const double> y() const;
    std::vector<Event> take_events();
    SolverStats stats() const;

    /// Called after every internal step with the step's ends (t_prev, t_now]; while it is set
    /// the solver returns after each step (CV_ONE_STEP), so that interpolate() can sample
    /// inside the step without forcing the solver to stop at the sample times.
    void set_step_observer(std::function<void(double, double)> f);
    /// y at t within the last step (CVodeGetDky), into y (resized to the state count).
    void interpolate(double t, std::vector<double>& y) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    double t_ = 0.0;
};

}  // namespace dctwin
