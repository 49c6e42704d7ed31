#include "solver/integrator.hpp"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <utility>

#include <arkode/arkode_arkstep.h>
#include <cvode/cvode.h>
#include <fmt/format.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>

#include "solver/block_elimination.hpp"
#include "solver/parallel.hpp"
#include "solver/sundials.hpp"

namespace dctwin {

namespace {
/// The vector operations' thread count for the scope of a call into SUNDIALS.
struct VectorThreads {
    WorkerPool* saved = sun::pool();
    explicit VectorThreads(WorkerPool* p) { sun::set_pool(p); }
    ~VectorThreads() { sun::set_pool(saved); }
};

/// Frees CVODE's or ARKODE's memory: which one, the deleter knows.
struct SolverMemDeleter {
    bool ark = false;
    void operator()(void* m) const {
        if (ark) ARKStepFree(&m);
        else CVodeFree(&m);
    }
};

/// Adds the wall time of its scope to *acc [s].
struct ScopeTimer {
    double* acc;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    ~ScopeTimer() { *acc += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }
};
}  // namespace

struct Integrator::Impl {
    Network& net;
    SolverOptions opt;
    sun::Context ctx;
    sun::Vector y, abstol;
    sun::Matrix A;
    sun::LinSol LS;
    std::unique_ptr<void, SolverMemDeleter> mem;
    bool ark = false;           // ARKODE's ESDIRK method instead of CVODE's BDF
    std::string last_error;     // SUNDIALS' message, or an exception from a callback
    std::function<void(double, double)> observer;
    std::vector<Event> events;
    std::vector<int> root_found;
    std::vector<double> jac_values;
    SolverStats done;           // counters of previous CVODE lives (before ReInit)
    double t_disc = 0.0;        // next input discontinuity
    double t_int = 0.0;         // [s] end of CVODE's last step
    double tstop_set = HUGE_VAL;    // [s] the stop time CVODE holds (HUGE_VAL: none)
    bool reinit_needed = false;

    std::unique_ptr<WorkerPool> pool;  // null: one thread

    Impl(Network& n, SolverOptions o)
        : net(n), opt(o), ctx(sun::make_context()), pool(o.threads > 1 ? std::make_unique<WorkerPool>(o.threads) : nullptr) {
        ark = o.method == SolverOptions::Method::esdirk;
        mem.get_deleter().ark = ark;
    }
    ~Impl() { net.set_pool(nullptr); }

    // --- the integrator's calls, CVODE's or ARKODE's (the same flags' values: 0 success, 1
    // at a stop time, -1 too much work, -3 error test, -4 convergence, -10 repeated rhs) --
    const char* evolve_name() const { return ark ? "ARKStepEvolve" : "CVode"; }
    int evolve(double tout, double* tret) {
        return ark ? ARKStepEvolve(mem.get(), tout, y.get(), tret, ARK_ONE_STEP)
                   : CVode(mem.get(), tout, y.get(), tret, CV_ONE_STEP);
    }
    // A restart at t from y (an input discontinuity, a discrete change, a retry). ARKODE's
    // one-step method keeps its step size and its counters; CVODE starts its history at first
    // order and zeroes its counters, so they are banked first.
    int restart(double t) {
        if (ark) return ARKStepReset(mem.get(), t, y.get());
        accumulate_stats();
        return CVodeReInit(mem.get(), t, y.get());
    }
    int set_stop_time(double t) { return ark ? ARKStepSetStopTime(mem.get(), t) : CVodeSetStopTime(mem.get(), t); }
    int set_max_step(double h) { return ark ? ARKStepSetMaxStep(mem.get(), h) : CVodeSetMaxStep(mem.get(), h); }
    int set_init_step(double h) { return ark ? ARKStepSetInitStep(mem.get(), h) : CVodeSetInitStep(mem.get(), h); }
    int set_max_num_steps(long k) {
        return ark ? ARKStepSetMaxNumSteps(mem.get(), k) : CVodeSetMaxNumSteps(mem.get(), k);
    }
    int get_dky(double t, N_Vector v) const {
        return ark ? ARKStepGetDky(mem.get(), t, 0, v) : CVodeGetDky(mem.get(), t, 0, v);
    }
    int last_step(double* h) const { return ark ? ARKStepGetLastStep(mem.get(), h) : CVodeGetLastStep(mem.get(), h); }
    int current_step(double* h) const {
        return ark ? ARKStepGetCurrentStep(mem.get(), h) : CVodeGetCurrentStep(mem.get(), h);
    }

    static int rhs(realtype t, N_Vector y, N_Vector ydot, void* ud) {
        auto* self = static_cast<Impl*>(ud);
        ScopeTimer timer{&self->done.rhs_s};
        try {
            self->net.rhs(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot));
            const double* d = N_VGetArrayPointer(ydot);
            for (std::size_t i = 0; i < self->net.size(); ++i)
                if (!std::isfinite(d[i])) return 1;  // recoverable: CVODE retries a smaller step
            return 0;
        } catch (const std::exception& e) {
            self->last_error = e.what();
            return -1;
        }
    }

    // The analytic Jacobian into CVODE's dense matrix (the dense path, for tiny networks; the
    // sparse path forms its Newton matrix in linsys).
    static int jac(realtype t, N_Vector y, N_Vector, SUNMatrix J, void* ud, N_Vector, N_Vector, N_Vector) {
        auto* self = static_cast<Impl*>(ud);
        ScopeTimer timer{&self->done.jac_s};
        try {
            Network& net = self->net;
            self->jac_values.resize(net.nnz());
            net.jacobian(t, N_VGetArrayPointer(y), self->jac_values);
            const auto& cp = net.col_ptr();
            const auto& ri = net.row_idx();
            SUNMatZero(J);
            for (std::size_t c = 0; c + 1 < cp.size(); ++c)
                for (auto k = cp[c]; k < cp[c + 1]; ++k)
                    SM_ELEMENT_D(J, ri[std::size_t(k)], sunindextype(c)) = self->jac_values[std::size_t(k)];
            return 0;
        } catch (const std::exception& e) {
            self->last_error = e.what();
            return -1;
        }
    }

    // The Newton matrix M = I - gamma J for the sparse path, formed in place: the pattern is
    // fixed (set once in start()), J's values are kept between evaluations, and only the value
    // array of M is written: no zeroing, copying or pattern checks of CVODE's generic
    // sparse-matrix operations, which cost more than the factorisation on large sites.
    std::vector<std::int64_t> diag_slots;   // position of every diagonal entry in the values
    // --- exact power-only stretches (SolverOptions::exact_power_only) ----------------------
    bool exact = false;             // the current stretch is integrated exactly
    double exact_t0 = 0.0;          // [s] where it began
    double exact_refused = -HUGE_VAL;  // [s] no exact stretch before this time (a root was near)
    std::vector<double> exact_y0, exact_f;  // y and dy/dt at its start
    std::vector<std::size_t> exact_moving;  // the states with dy/dt != 0 (accumulators)

    // At a (re)start at t: integrate the stretch up to the next discontinuity exactly if the
    // flows there move no live state.
    void try_exact(double t) {
        exact = false;
        if (!opt.exact_power_only || !net.power_only() || t < exact_refused) return;
        const std::size_t n = net.size();
        const double* yv = N_VGetArrayPointer(y.get());
        exact_y0.assign(yv, yv + n);
        exact_f.resize(n);
        if (std::isfinite(t_disc) && t < t_disc) net.set_input_horizon(std::nextafter(t_disc, -HUGE_VAL));
        {
            ScopeTimer timer{&done.rhs_s};
            net.rhs(t, exact_y0.data(), exact_f.data());
        }
        net.set_input_horizon(HUGE_VAL);
        for (double v : exact_f)
            if (!std::isfinite(v)) return;
        if (!net.power_only_steady(exact_f.data())) return;
        exact_moving.clear();
        for (std::size_t i = 0; i < n; ++i)
            if (exact_f[i] != 0.0) exact_moving.push_back(i);
        exact = true;
        exact_t0 = t;
        ++done.exact_stretches;
    }
    // y at t into out, which holds y at another time of the stretch: only the moving states.
    void exact_move(double t, double* out) const {
        const double dt = t - exact_t0;
        for (std::size_t i : exact_moving) out[i] = exact_y0[i] + exact_f[i] * dt;
    }

    bool form_matrix = true;                // false: the linear solver reads J and gamma itself
    double gamma = 0.0;                     // of the last linsys call

    static int ark_linsys(realtype t, N_Vector y, N_Vector fy, SUNMatrix A, SUNMatrix, booleantype jok,
                          booleantype* jcur, realtype gamma, void* ud, N_Vector t1, N_Vector t2, N_Vector t3) {
        return linsys(t, y, fy, A, jok, jcur, gamma, ud, t1, t2, t3);  // A = I - gamma J, as CVODE's M
    }
    static int linsys(realtype t, N_Vector y, N_Vector, SUNMatrix M, booleantype jok, booleantype* jcur,
                      realtype gamma, void* ud, N_Vector, N_Vector, N_Vector) {
        auto* self = static_cast<Impl*>(ud);
        try {
            Network& net = self->net;
            if (!jok || self->jac_values.size() != net.nnz()) {
                ScopeTimer timer{&self->done.jac_s};
                self->jac_values.resize(net.nnz());
                net.jacobian(t, N_VGetArrayPointer(y), self->jac_values);
                *jcur = SUNTRUE;
            } else {
                *jcur = SUNFALSE;
            }
            self->gamma = gamma;
            if (!self->form_matrix) return 0;
            ScopeTimer timer{&self->done.lsetup_s};
            realtype* m = SUNSparseMatrix_Data(M);
            const double* j = self->jac_values.data();
            const auto& src = net.newton_source();
            const std::int64_t* sp = src.data();
            parallel_for(self->pool.get(), std::int64_t(src.size()), 65536,
                         [=](std::int64_t k) { m[k] = -gamma * j[sp[k]]; });
            for (const auto d : self->diag_slots) m[d] += 1.0;
            return 0;
        } catch (const std::exception& e) {
            self->last_error = e.what();
            return -1;
        }
    }

    // After a (re)start at t: roots are searched from there, with the inputs from there on.
    void restart_roots(double t) {
        t_search = t;
        g_hi_time = -HUGE_VAL;
        if (!g_lo.empty()) eval_roots(t, N_VGetArrayPointer(y.get()), g_lo);
    }

    // --- threshold crossings --------------------------------------------------------------
    // Found here rather than by CVODE's root-finding: after every step the root functions are
    // evaluated once at its end and compared in sign with the last point checked; only a step
    // with a change is searched (Illinois on the step's interpolant). CVODE would also evaluate
    // them at every output time and walk every function in its unoptimised loops, which on a
    // site with 100 000 functions cost more than the right-hand sides.
    std::vector<double> g_lo, g_hi, g_mid;  // root values at t_search, at t_int, at a trial point
    double t_search = 0.0;                   // [s] roots are searched in (t_search, t_int]
    double g_hi_time = -HUGE_VAL;            // [s] the time g_hi belongs to
    std::vector<double> y_scratch;

    // g at (t, y): inside the stretch before a discontinuity, with the inputs from its left.
    void eval_roots(double t, const double* yy, std::vector<double>& g) {
        ScopeTimer timer{&done.roots_s};
        ++done.root_evals;
        if (std::isfinite(t_disc) && t <= t_disc) net.set_input_horizon(std::nextafter(t_disc, -HUGE_VAL));
        net.roots(t, yy, g.data());
        net.set_input_horizon(HUGE_VAL);
    }
    void eval_roots_at(double t, std::vector<double>& g) {  // on the last step's interpolant
        y_scratch.resize(net.size());
        sun::Vector v(N_VMake_Serial(sunindextype(y_scratch.size()), y_scratch.data(), ctx.get()));
        sun::use_fast_ops(v.get());
        check(get_dky(t, v.get()), "GetDky", t);
        eval_roots(t, y_scratch.data(), g);
    }
    static bool sign_changed(double a, double b) { return (a < 0) != (b < 0); }  // zero counts as positive

    // The earliest crossing in (t_search, t_int], to a time tolerance: its time, and per
    // function its direction there (root_found). false: none.
    bool find_root(double& t_root) {
        const std::size_t nr = g_lo.size();
        auto any_change = [&](const std::vector<double>& x, const std::vector<double>& z) {
            // After every step, over every root function (three per device): in chunks on the
            // threads.
            constexpr std::int64_t kChunk = 16384;
            const auto n = std::int64_t(nr), nch = (n + kChunk - 1) / kChunk;
            std::atomic<bool> any{false};
            parallel_for(pool.get(), nch, 2, [&](std::int64_t c) {
                for (std::int64_t i = c * kChunk, e = std::min(n, (c + 1) * kChunk); i < e; ++i)
                    if (sign_changed(x[std::size_t(i)], z[std::size_t(i)])) {
                        any.store(true, std::memory_order_relaxed);
                        return;
                    }
            });
            return any.load();
        };
        if (!any_change(g_lo, g_hi)) return false;  // after nearly every step: nothing copied
        double ta = t_search, tb = t_int;
        std::vector<double>& ga = g_lo;
        std::vector<double> gb = g_hi;
        double h = 0.0;
        last_step(&h);
        const double ttol = 100 * DBL_EPSILON * (std::abs(tb) + std::abs(h));
        int side = 0;  // Illinois: which end was kept last (-1 left, +1 right)
        double wa = 1.0, wb = 1.0;
        while (tb - ta > ttol) {
            // The earliest secant estimate among the functions that change sign; weights halve
            // an end kept twice in a row, so the bracket shrinks from both sides.
            double tm = tb;
            for (std::size_t i = 0; i < nr; ++i)
                if (sign_changed(ga[i], gb[i])) {
                    const double fa = wa * ga[i], fb = wb * gb[i];
                    const double t = fb == fa ? 0.5 * (ta + tb) : tb - fb * (tb - ta) / (fb - fa);
                    tm = std::min(tm, t);
                }
            const double margin = 0.5 * ttol;
            tm = std::clamp(tm, ta + margin, tb - margin);
            eval_roots_at(tm, g_mid);
            if (any_change(ga, g_mid)) {
                tb = tm, gb = g_mid;
                wa = side == -1 ? 0.5 * wa : 1.0, wb = 1.0, side = -1;
            } else {
                ta = tm, ga = g_mid;  // g_lo moves with the left end
                wb = side == 1 ? 0.5 * wb : 1.0, wa = 1.0, side = 1;
            }
        }
        for (std::size_t i = 0; i < nr; ++i)
            root_found[i] = sign_changed(ga[i], gb[i]) ? (gb[i] >= 0 ? 1 : -1) : 0;
        t_root = tb;
        g_lo = gb;  // the search goes on from the root, past the crossings found there
        t_search = tb;
        return true;
    }

    static void on_error(int, const char* module, const char* function, char* msg, void* ud) {
        static_cast<Impl*>(ud)->last_error = fmt::format("{} ({} in {})", msg, function, module);
    }

    void check(int flag, const char* what, double t) {
        if (flag >= 0) return;
        fail(flag, what, t);
    }

    // --- retries of recoverable failures -------------------------------------------------
    // A convergence or error-test failure (or a right-hand side that kept failing
    // recoverably, e.g. NaN at a trial point far from the solution) is retried from the last
    // good state with a maximum step of a tenth of the last step (then a tenth of that), over
    // a window of kRetryWindow such steps and at most kRetrySteps steps; then the user's
    // settings come back. The count resets only when a call with the user's settings gets
    // through, so a difficulty that returns after the window is retried kMaxRetries times in
    // all, never in a loop.
    static constexpr int kMaxRetries = 3;
    static constexpr double kRetryWindow = 100.0;
    static constexpr long kRetrySteps = 5000;
    int retries = 0;                 // retries since the last clean CVode call
    bool in_retry = false;           // the reduced settings are active
    double retry_until = 0.0;        // [s] end of the window of reduced steps
    double retry_from = 0.0;         // [s] where the first retry started
    double retry_max_step = 0.0;     // [s] the last maximum step tried
    std::string first_error;         // SUNDIALS' words on the first failure

    static bool retryable(int flag) {
        return flag == CV_CONV_FAILURE || flag == CV_ERR_FAILURE || flag == CV_REPTD_RHSFUNC_ERR;
    }

    void retry(int flag, double t) {
        double h = 0.0;
        if (last_step(&h) < 0 || !(std::abs(h) > 0.0)) current_step(&h);
        h = std::abs(h);
        if (retries == 0) {
            retry_from = t;
            first_error = last_error;
            retry_max_step = 0.0;
        }
        // A tenth of the last step, and below the previous retry's limit.
        double limit = h > 0.0 && std::isfinite(h) ? h : 1.0;
        if (retry_max_step > 0.0) limit = std::min(limit, retry_max_step);
        if (opt.max_step > 0) limit = std::min(limit, opt.max_step);
        retry_max_step = limit / 10.0;
        retry_until = t + kRetryWindow * retry_max_step;
        ++retries;
        ++done.retries;
        events.push_back({t, "solver", EventKind::solver_retry,
                          fmt::format("{} returned {} at t = {:.6g} s; retry {} of {} from there with a "
                                      "maximum step of {:.3g} s",
                                      evolve_name(), flag_name(flag), t, retries, kMaxRetries, retry_max_step)});
        check(restart(t), "ReInit", t);
        ++done.reinits;
        t_int = t;
        tstop_set = HUGE_VAL;
        restart_roots(t);
        check(set_max_step(retry_max_step), "SetMaxStep", t);
        check(set_init_step(retry_max_step), "SetInitStep", t);
        check(set_max_num_steps(kRetrySteps), "SetMaxNumSteps", t);
        in_retry = true;
    }

    // Back to the user's settings after a window of reduced steps.
    void end_retry_window(double t) {
        check(set_max_step(opt.max_step > 0 ? opt.max_step : 0.0), "SetMaxStep", t);  // 0: no limit
        check(set_init_step(0.0), "SetInitStep", t);  // 0: the integrator's own estimate
        check(set_max_num_steps(opt.max_steps_per_call), "SetMaxNumSteps", t);
        in_retry = false;
    }

    std::string flag_name(int flag) const {
        char* name = ark ? ARKStepGetReturnFlagName(flag) : CVodeGetReturnFlagName(flag);  // malloc'ed by SUNDIALS
        std::string s = name != nullptr ? name : fmt::format("flag {}", flag);
        std::free(name);
        return s;
    }

    [[noreturn]] void fail(int flag, const char* what, double t) {
        std::string msg = fmt::format("solver failure at t = {:.6g} s: {} returned {}", t, what, flag_name(flag));
        if (retries > 0)
            msg += fmt::format(" after {} {} from t = {:.6g} s with a maximum step down to {:.3g} s", retries,
                               retries == 1 ? "retry" : "retries", retry_from, retry_max_step);
        if (!last_error.empty()) msg += "\n  SUNDIALS: " + last_error;
        if (retries > 0 && !first_error.empty() && first_error != last_error)
            msg += "\n  SUNDIALS, first failure: " + first_error;
        msg += worst_states();
        throw SolverError(msg, t);
    }

    // The states with the largest weighted local error estimates, by path.
    std::string worst_states() {
        const std::size_t n = net.size();
        auto w = sun::make_vector(long(n), ctx.get());
        auto e = sun::make_vector(long(n), ctx.get());
        if (!mem) return {};
        const int fw = ark ? ARKStepGetErrWeights(mem.get(), w.get()) : CVodeGetErrWeights(mem.get(), w.get());
        const int fe = ark ? ARKStepGetEstLocalErrors(mem.get(), e.get()) : CVodeGetEstLocalErrors(mem.get(), e.get());
        if (fw < 0 || fe < 0) return {};
        const double* wv = N_VGetArrayPointer(w.get());
        const double* ev = N_VGetArrayPointer(e.get());
        const double* yv = N_VGetArrayPointer(y.get());
        std::vector<std::size_t> idx(n);
        std::iota(idx.begin(), idx.end(), 0);
        auto score = [&](std::size_t i) {
            const double s = std::abs(ev[i] * wv[i]);
            return std::isfinite(yv[i]) && std::isfinite(s) ? s : HUGE_VAL;
        };
        const std::size_t k = std::min<std::size_t>(5, n);
        std::partial_sort(idx.begin(), idx.begin() + long(k), idx.end(),
                          [&](auto a, auto b) { return score(a) > score(b); });
        std::string out = "\n  states with the largest weighted error:";
        for (std::size_t j = 0; j < k; ++j) {
            const auto& s = net.states()[idx[j]];
            out += fmt::format("\n    {} = {:.6g} {} (weighted local error {:.3g})", s.path, yv[idx[j]],
                               s.unit, score(idx[j]));
        }
        return out;
    }

    void accumulate_stats() {
        if (!mem) return;
        long v = 0;
        void* m = mem.get();
        if (ark) {
            long fe = 0;
            ARKStepGetNumSteps(m, &v), done.steps += v;
            ARKStepGetNumRhsEvals(m, &fe, &v), done.rhs_evals += v + fe;
            ARKStepGetNumJacEvals(m, &v), done.jac_evals += v;
            ARKStepGetNumLinSolvSetups(m, &v), done.lin_setups += v;
            ARKStepGetNumNonlinSolvIters(m, &v), done.nonlin_iters += v;
            ARKStepGetNumNonlinSolvConvFails(m, &v), done.nonlin_conv_fails += v;
            ARKStepGetNumErrTestFails(m, &v), done.err_test_fails += v;
            return;
        }
        CVodeGetNumSteps(m, &v), done.steps += v;
        CVodeGetNumRhsEvals(m, &v), done.rhs_evals += v;
        CVodeGetNumJacEvals(m, &v), done.jac_evals += v;
        CVodeGetNumLinSolvSetups(m, &v), done.lin_setups += v;
        CVodeGetNumNonlinSolvIters(m, &v), done.nonlin_iters += v;
        CVodeGetNumNonlinSolvConvFails(m, &v), done.nonlin_conv_fails += v;
        CVodeGetNumErrTestFails(m, &v), done.err_test_fails += v;
    }
};

Integrator::Integrator(Network& net, SolverOptions opt) : impl_(std::make_unique<Impl>(net, opt)) {
    if (!opt.analytic_jacobian && !opt.dense)
        throw std::invalid_argument(
            "the finite-difference Jacobian is CVODE's dense difference quotient: set linear_solver: dense");
    if (!(opt.rtol > 0.0 && opt.rtol < 1.0)) throw std::invalid_argument("rtol must be in (0, 1)");
}

Integrator::~Integrator() = default;

void Integrator::start(double t0, std::span<const double> y0) {
    Impl& I = *impl_;
    Network& net = I.net;
    const long n = long(net.size());
    if (y0.size() != net.size()) throw std::invalid_argument("Integrator::start: wrong state size");
    VectorThreads vt(I.pool.get());
    net.set_pool(I.pool.get());
    I.accumulate_stats();
    I.y = sun::make_vector(n, I.ctx.get());
    std::copy(y0.begin(), y0.end(), N_VGetArrayPointer(I.y.get()));
    I.abstol = sun::make_vector(n, I.ctx.get());
    double* at = N_VGetArrayPointer(I.abstol.get());
    for (long i = 0; i < n; ++i) at[i] = net.states()[std::size_t(i)].abstol * I.opt.abstol_scale;

    void* m = nullptr;
    if (I.ark) {
        // ESDIRK324L2SA: L-stable, stiffly accurate, order 3 with an embedded order 2; a
        // one-step method needs no restart at first order after each input step.
        I.mem.reset(ARKStepCreate(nullptr, &Impl::rhs, t0, I.y.get(), I.ctx.get()));
        if (!I.mem) throw std::runtime_error("ARKODE: cannot create the integrator");
        m = I.mem.get();
        ARKStepSetErrHandlerFn(m, &Impl::on_error, &I);
        I.check(ARKStepSetUserData(m, &I), "ARKStepSetUserData", t0);
        I.check(ARKStepSVtolerances(m, I.opt.rtol, I.abstol.get()), "ARKStepSVtolerances", t0);
        I.check(ARKStepSetTableNum(m, ARKODE_ESDIRK324L2SA_4_2_3, ARKODE_ERK_NONE), "ARKStepSetTableNum", t0);
        // A stage's right-hand side follows from its solve: one evaluation fewer a stage.
        I.check(ARKStepSetDeduceImplicitRhs(m, SUNTRUE), "ARKStepSetDeduceImplicitRhs", t0);
        // Cubic Hermite output from the step's ends: higher degrees cost evaluations inside
        // every step that a row or a root search looks into.
        I.check(ARKStepSetInterpolantDegree(m, 3), "ARKStepSetInterpolantDegree", t0);
        // Full Newton iterations at every stage. Linearly implicit stages (ARKStepSetLinear)
        // do half the work on Frontier but are not safe: across a thermal governor's
        // switch the hot-spot pod chattered (18 572 throttle events against 32), and with the
        // Jacobian refreshed at every stage its plates still erred by 0.3 K (bench/README.md).
    } else {
        I.mem.reset(CVodeCreate(CV_BDF, I.ctx.get()));
        if (!I.mem) throw std::runtime_error("CVODE: cannot create the integrator");
        m = I.mem.get();
        CVodeSetErrHandlerFn(m, &Impl::on_error, &I);
        I.check(CVodeInit(m, &Impl::rhs, t0, I.y.get()), "CVodeInit", t0);
        I.check(CVodeSetUserData(m, &I), "CVodeSetUserData", t0);
        I.check(CVodeSVtolerances(m, I.opt.rtol, I.abstol.get()), "CVodeSVtolerances", t0);
    }
    I.check(I.set_max_num_steps(I.opt.max_steps_per_call), "SetMaxNumSteps", t0);
    if (I.opt.max_step > 0) I.check(I.set_max_step(I.opt.max_step), "SetMaxStep", t0);
    if (I.opt.dense) {
        I.A.reset(SUNDenseMatrix(n, n, I.ctx.get()));
        I.LS.reset(SUNLinSol_Dense(I.y.get(), I.A.get(), I.ctx.get()));
    } else if (I.opt.analytic_jacobian && I.opt.block_elimination) {
        I.A.reset(SUNSparseMatrix(n, n, sunindextype(net.newton_row_idx().size()), CSC_MAT, I.ctx.get()));
        // M = I - gamma J is never formed: the blocks read J's values and gamma (Impl::linsys).
        Impl* impl = &I;
        I.LS = sun::block_solver(
            I.ctx.get(), net.newton_col_ptr(), net.newton_row_idx(), I.pool.get(),
            [impl](BlockElimination& b, SUNMatrix) {
                return b.factor(impl->jac_values.data(), impl->net.newton_source().data(), impl->gamma);
            },
            &I.done.lsetup_s, &I.done.lsolve_s);
        I.form_matrix = false;
    } else {
        I.form_matrix = true;
        I.A.reset(SUNSparseMatrix(n, n, sunindextype(I.opt.analytic_jacobian ? net.newton_row_idx().size() : net.nnz()),
                                  CSC_MAT, I.ctx.get()));
        I.LS.reset(SUNLinSol_KLU(I.y.get(), I.A.get(), I.ctx.get()));
        // AMD suits the nearly symmetric pattern of a thermal network better than COLAMD.
        if (I.LS) SUNLinSol_KLUSetOrdering(I.LS.get(), 0);
        // No row scaling (and no scan for it): the thermal rows of I - gamma J are diagonally
        // dominant and the accumulator rows are blocks of their own, so it only cost time.
        if (I.LS) SUNLinSol_KLUGetCommon(I.LS.get())->scale = -1;
    }
    if (SUNLinSolGetID(I.LS.get()) != SUNLINEARSOLVER_CUSTOM)
        I.LS = sun::fixed_pattern(std::move(I.LS), &I.done.lsetup_s, &I.done.lsolve_s);
    if (!I.A || !I.LS) throw std::runtime_error("SUNDIALS: cannot create the linear solver");
    I.check(I.ark ? ARKStepSetLinearSolver(m, I.LS.get(), I.A.get()) : CVodeSetLinearSolver(m, I.LS.get(), I.A.get()),
            "SetLinearSolver", t0);
    if (I.opt.analytic_jacobian && !I.opt.dense) {
        // The pattern is fixed: written once here, only values change (Impl::linsys).
        const auto& cp = net.newton_col_ptr();
        const auto& ri = net.newton_row_idx();
        std::copy(cp.begin(), cp.end(), SUNSparseMatrix_IndexPointers(I.A.get()));
        std::copy(ri.begin(), ri.end(), SUNSparseMatrix_IndexValues(I.A.get()));
        I.diag_slots.clear();
        for (std::size_t c = 0; c + 1 < cp.size(); ++c)
            for (auto k = cp[c]; k < cp[c + 1]; ++k)
                if (ri[std::size_t(k)] == std::int64_t(c)) I.diag_slots.push_back(k);
        I.jac_values.clear();  // a new start evaluates the Jacobian first
        I.check(I.ark ? ARKStepSetLinSysFn(m, &Impl::ark_linsys) : CVodeSetLinSysFn(m, &Impl::linsys),
                "SetLinSysFn", t0);
    } else if (I.opt.analytic_jacobian) {
        I.check(I.ark ? ARKStepSetJacFn(m, &Impl::jac) : CVodeSetJacFn(m, &Impl::jac), "SetJacFn", t0);
    }
    const auto nr = std::size_t(net.num_roots());
    I.root_found.assign(nr, 0);
    I.g_lo.assign(nr, 0.0), I.g_hi.assign(nr, 0.0), I.g_mid.assign(nr, 0.0);
    t_ = t0;
    I.t_int = t0;
    I.tstop_set = HUGE_VAL;
    I.t_disc = net.next_discontinuity(t0);
    // A threshold the start already lies beyond has been crossed there (a device hotter than
    // its shutdown temperature drops out at t0): its handlers run before the first step.
    const bool changed_at_start = net.on_start(t0, N_VGetArrayPointer(I.y.get()), I.events);
    I.restart_roots(t0);
    I.reinit_needed = changed_at_start;
    I.retries = 0;
    I.in_retry = false;
    I.exact_refused = -HUGE_VAL;
    I.try_exact(t0);
}

namespace {
constexpr double kSaneStep = 1e-6;  // [s] far below any time constant of a site
}

bool Integrator::advance(double tout) {
    Impl& I = *impl_;
    void* m = I.mem.get();
    if (!m) throw std::logic_error("Integrator::advance before start");
    VectorThreads vt(I.pool.get());
    const auto wall0 = std::chrono::steady_clock::now();
    // The observer's time (sampling outputs inside steps) is not the solver's.
    double observer_s = 0.0;
    struct WallClock {
        SolverStats& s;
        std::chrono::steady_clock::time_point t0;
        const double& excluded;
        ~WallClock() {
            s.wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - excluded;
        }
    } clock{I.done, wall0, observer_s};

    // CVODE takes one step per call and goes only as far as the next discontinuity; output
    // times are served from the last step's interpolant, so that frequent outputs cost neither
    // steps nor root evaluations. t_ is the time of y; I.t_int the end of CVODE's last step
    // (t_ <= t_int); crossings are searched in (I.t_search, I.t_int] before t_ passes them.
    auto interpolate_to = [&](double t) {
        I.check(I.get_dky(t, I.y.get()), "GetDky", t);
        t_ = t;
    };
    if (t_ >= tout) return true;
    // A call that reaches tout with the user's settings ends a difficulty: the retry count
    // starts again (see retry()).
    auto reached = [&] {
        if (!I.in_retry) I.retries = 0;
        return true;
    };
    long steps = 0;  // in this call, for the guard on runaway stepping below
    while (true) {
        if (I.reinit_needed) {
            // The inputs jumped at t_ (or a discrete change happened there): restart the
            // multistep history from the current state (unless the stretch is exact).
            I.t_disc = I.net.next_discontinuity(t_);
            I.t_int = t_;
            I.restart_roots(t_);
            I.reinit_needed = false;
            I.try_exact(t_);
            if (!I.exact) {
                I.check(I.restart(t_), "ReInit", t_);
                ++I.done.reinits;
                I.tstop_set = HUGE_VAL;
            }
        }
        if (I.exact) {
            // Constant flows up to the next discontinuity: y is linear in t there.
            const double target = std::min(tout, I.t_disc);
            double* yv = N_VGetArrayPointer(I.y.get());
            I.exact_move(target, yv);
            if (!I.g_lo.empty()) {
                // A crossing ahead (a root function that moves with time or the energies):
                // CVODE takes over from where y was served and finds it.
                I.eval_roots(target, yv, I.g_mid);
                for (std::size_t i = 0; i < I.g_lo.size(); ++i)
                    if (Impl::sign_changed(I.g_lo[i], I.g_mid[i])) I.exact = false;
                if (!I.exact) {
                    I.exact_move(t_, yv);
                    I.exact_refused = I.t_disc;
                    I.reinit_needed = true;
                    continue;
                }
            }
            if (I.observer && target > t_) {
                ScopeTimer timer{&observer_s};
                I.observer(t_, target);
            }
            t_ = I.t_int = I.t_search = target;
            if (t_ >= I.t_disc) I.reinit_needed = true;
            if (t_ >= tout) return reached();
            continue;
        }
        // Crossings inside the last step, before anything past them is served.
        if (!I.g_lo.empty() && I.t_search < I.t_int) {
            if (I.g_hi_time != I.t_int) {
                I.eval_roots_at(I.t_int, I.g_hi);
                I.g_hi_time = I.t_int;
            }
            double tr = 0.0;
            if (I.find_root(tr)) {
                if (tr > tout) {
                    // Beyond this call: serve tout, and search on from there next time (nothing
                    // crossed before tr, so the signs at tout are those before the crossing).
                    I.eval_roots_at(tout, I.g_lo);
                    I.t_search = tout;
                    interpolate_to(tout);
                    return reached();
                }
                interpolate_to(tr);
                if (I.net.on_roots(t_, N_VGetArrayPointer(I.y.get()), I.root_found.data(), I.events))
                    I.reinit_needed = true;  // a discrete change: the right-hand side jumped here
                if (t_ < tout) return false;
                return reached();
            }
            I.t_search = I.t_int;
            std::swap(I.g_lo, I.g_hi);
            I.g_hi_time = -HUGE_VAL;
        }
        // Where the last step ended: past tout, the interpolant serves it; on a discontinuity,
        // a restart.
        if (t_ > tout) {
            interpolate_to(tout);
            return reached();
        }
        if (t_ >= I.t_disc) I.reinit_needed = true;
        if (t_ >= tout) return reached();
        if (I.reinit_needed) continue;
        // What the last step already covers (t_ was served inside it before).
        if (I.t_int > t_) {
            if (I.t_int >= tout && tout < I.t_disc) {
                interpolate_to(tout);
                return reached();
            }
            if (I.t_int >= I.t_disc) {
                interpolate_to(I.t_disc);
                I.reinit_needed = true;
                continue;
            }
        }
        if (tout - t_ <= 8 * DBL_EPSILON * std::max(std::abs(t_), std::abs(tout))) {
            // An output within rounding of where the solver stands (an output time computed as
            // k * dt next to a discontinuity): it is here; CVODE would refuse to start towards it.
            t_ = tout;
            return reached();
        }
        // No discontinuity ahead: a stop time beyond reach (this SUNDIALS cannot clear one).
        // Set only when it changes: CVODE refuses a stop time equal to where it stands.
        double tstop = I.t_disc;
        if (I.in_retry) tstop = std::min(tstop, I.retry_until);
        if (!std::isfinite(tstop)) tstop = 1e300;
        if (tstop != I.tstop_set) {
            I.check(I.set_stop_time(tstop), "SetStopTime", t_);
            I.tstop_set = tstop;
        }
        I.last_error.clear();
        double tret = t_;
        // A discontinuity at t_disc: the inputs of the stretch before it, up to it.
        if (std::isfinite(I.t_disc)) I.net.set_input_horizon(std::nextafter(I.t_disc, -HUGE_VAL));
        const int flag = I.evolve(tout, &tret);
        I.net.set_input_horizon(HUGE_VAL);
        if (flag < 0) {
            // On failure CVODE leaves y at the last step it completed (time tret).
            t_ = I.t_int = tret;
            if (!I.retryable(flag) || I.retries >= Impl::kMaxRetries) I.fail(flag, I.evolve_name(), tret);
            I.retry(flag, t_);
            continue;
        }
        if (flag == CV_TSTOP_RETURN) I.tstop_set = HUGE_VAL;  // CVODE clears a stop time it reached
        if (++steps > (I.in_retry ? Impl::kRetrySteps : I.opt.max_steps_per_call)) {
            // A long stretch of many steps: go on while the steps are of a physical size. Steps
            // below a microsecond mean the solution is lost (and in a retry window, so many
            // steps that the difficulty stays): stop with an error rather than grind on.
            double h = 0.0;
            I.current_step(&h);
            if (I.in_retry || std::abs(h) < kSaneStep) {
                t_ = I.t_int = tret;
                I.last_error = fmt::format("{} steps in a row, the last of {:.3g} s", steps, std::abs(h));
                I.fail(CV_TOO_MUCH_WORK, I.evolve_name(), tret);
            }
            steps = 0;
        }
        if (tret > I.t_int && I.observer) {
            ScopeTimer timer{&observer_s};
            I.observer(I.t_int, tret);
        }
        t_ = I.t_int = tret;  // y is CVODE's at the end of the step; the search comes first
        if (I.in_retry && t_ >= I.retry_until) I.end_retry_window(t_);
    }
}

std::span<const double> Integrator::y() const {
    return {N_VGetArrayPointer(impl_->y.get()), impl_->net.size()};
}

void Integrator::set_step_observer(std::function<void(double, double)> f) { impl_->observer = std::move(f); }

void Integrator::interpolate(double t, std::vector<double>& y) const {
    Impl& I = *impl_;
    VectorThreads vt(I.pool.get());
    y.resize(I.net.size());
    if (I.exact) {
        std::copy(I.exact_y0.begin(), I.exact_y0.end(), y.begin());
        I.exact_move(t, y.data());
        return;
    }
    sun::Vector v(N_VMake_Serial(sunindextype(y.size()), y.data(), I.ctx.get()));
    sun::use_fast_ops(v.get());
    I.check(I.get_dky(t, v.get()), "GetDky", t);
}

std::vector<Event> Integrator::take_events() { return std::exchange(impl_->events, {}); }

SolverStats Integrator::stats() const {
    // The current CVODE life's counters on top of the finished ones.
    Impl& I = *impl_;
    SolverStats saved = I.done;
    I.accumulate_stats();
    SolverStats total = I.done;
    I.done = saved;
    return total;
}

}  // namespace dctwin
