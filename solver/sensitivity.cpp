#include "solver/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <Eigen/Sparse>
#include <Eigen/SparseLU>
#include <cvodes/cvodes.h>
#include <fmt/format.h>
#include <sunmatrix/sunmatrix_sparse.h>

#include "solver/block_elimination.hpp"
#include "solver/parallel.hpp"
#include "solver/sundials.hpp"

namespace dctwin {

std::string structure_difference(const Network& net, const Network& other) {
    if (net.size() != other.size()) return fmt::format("it changes the number of states ({} -> {})", net.size(), other.size());
    for (std::size_t i = 0; i < net.size(); ++i)
        if (net.states()[i].path != other.states()[i].path)
            return fmt::format("it changes the state table (state {}: {} -> {})", i, net.states()[i].path,
                               other.states()[i].path);
    if (net.col_ptr() != other.col_ptr() || net.row_idx() != other.row_idx())
        return "it changes the Jacobian's pattern (what depends on what)";
    if (net.num_roots() != other.num_roots())
        return fmt::format("it changes the number of root functions ({} -> {})", net.num_roots(), other.num_roots());
    return {};
}

namespace {

// (f(p + a) - f(p - b)) / (a + b) at (t, y) into d, for every parameter, on the pool.
void parameter_derivatives(double t, const double* y, std::size_t n, const std::vector<ParameterNets>& p,
                           std::vector<std::vector<double>>& fp, std::vector<std::vector<double>>& d, WorkerPool* pool) {
    fp.resize(p.size());
    d.resize(p.size());
    std::vector<std::string> errors(p.size());
    auto one = [&](std::int64_t k) {
        try {
            const ParameterNets& q = p[std::size_t(k)];
            auto& a = fp[std::size_t(k)];
            auto& r = d[std::size_t(k)];
            a.resize(n), r.resize(n);
            q.plus->rhs(t, y, a.data());
            q.minus->rhs(t, y, r.data());
            const double w = 1.0 / (q.plus_step + q.minus_step);
            for (std::size_t i = 0; i < n; ++i) r[i] = (a[i] - r[i]) * w;
        } catch (const std::exception& e) {
            errors[std::size_t(k)] = e.what();
        }
    };
    if (pool) {
        pool->run(std::int64_t(p.size()), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t k = b; k < e; ++k) one(k);
        });
    } else {
        for (std::size_t k = 0; k < p.size(); ++k) one(std::int64_t(k));
    }
    for (const auto& e : errors)
        if (!e.empty()) throw std::runtime_error(e);
}

void set_horizon(Network& net, const std::vector<ParameterNets>& p, double h) {
    net.set_input_horizon(h);
    for (const auto& q : p) q.plus->set_input_horizon(h), q.minus->set_input_horizon(h);
}

}  // namespace

std::vector<std::vector<double>> steady_sensitivities(Network& net, double t, std::span<const double> y,
                                                      const std::vector<ParameterNets>& p) {
    const std::size_t n = net.size();
    std::vector<double> jv(net.nnz());
    net.jacobian(t, y.data(), jv);
    std::vector<char> held(n);
    for (std::size_t i = 0; i < n; ++i) held[i] = net.states()[i].accumulator || net.states()[i].storage;
    std::vector<Eigen::Triplet<double>> trip;
    trip.reserve(jv.size() + n);
    const auto& cp = net.col_ptr();
    const auto& ri = net.row_idx();
    for (std::size_t c = 0; c + 1 < cp.size(); ++c)
        for (auto k = cp[c]; k < cp[c + 1]; ++k) {
            const auto r = std::size_t(ri[std::size_t(k)]);
            if (!held[r]) trip.emplace_back(int(r), int(c), jv[std::size_t(k)]);
        }
    for (std::size_t i = 0; i < n; ++i)
        if (held[i]) trip.emplace_back(int(i), int(i), 1.0);
    Eigen::SparseMatrix<double> A{Eigen::Index(n), Eigen::Index(n)};
    A.setFromTriplets(trip.begin(), trip.end());
    A.makeCompressed();
    Eigen::SparseLU<Eigen::SparseMatrix<double>, Eigen::COLAMDOrdering<int>> lu;
    lu.compute(A);
    if (lu.info() != Eigen::Success)
        throw ForwardRefused("the steady state's Jacobian is singular: its sensitivities are not defined");
    std::vector<std::vector<double>> fp, d;
    parameter_derivatives(t, y.data(), n, p, fp, d, nullptr);
    std::vector<std::vector<double>> s(p.size(), std::vector<double>(n));
    for (std::size_t k = 0; k < p.size(); ++k) {
        Eigen::VectorXd b{Eigen::Index(n)};
        for (std::size_t i = 0; i < n; ++i) b[Eigen::Index(i)] = held[i] ? 0.0 : -d[k][i];
        const Eigen::VectorXd x = lu.solve(b);
        for (std::size_t i = 0; i < n; ++i) s[k][i] = x[Eigen::Index(i)];
    }
    return s;
}

namespace {

struct Forward {
    Forward(Network& nt, const std::vector<ParameterNets>& pp) : net(nt), p(pp) {}
    Network& net;
    const std::vector<ParameterNets>& p;
    WorkerPool* pool = nullptr;
    std::size_t n = 0;
    std::string last_error;
    ForwardStats stats;
    // The Newton matrix's Jacobian (linsys) and gamma.
    std::vector<double> jl;
    double gamma = 0;
    // J and df/dp at (tc, yc): the staggered corrector evaluates fS several times at one point.
    std::vector<double> jv, yc;
    double tc = std::numeric_limits<double>::quiet_NaN();
    std::vector<std::vector<double>> fp, dfdp;
    double setup_s = 0, solve_s = 0;

    void refresh(double t, const double* y) {
        if (t == tc && std::equal(y, y + n, yc.begin())) return;
        jv.resize(net.nnz());
        net.jacobian(t, y, jv);
        parameter_derivatives(t, y, n, p, fp, dfdp, pool);
        ++stats.jacobians;
        tc = t;
        yc.assign(y, y + n);
    }

    static int rhs(realtype t, N_Vector y, N_Vector ydot, void* ud) {
        auto* self = static_cast<Forward*>(ud);
        try {
            self->net.rhs(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot));
            const double* d = N_VGetArrayPointer(ydot);
            for (std::size_t i = 0; i < self->n; ++i)
                if (!std::isfinite(d[i])) return 1;
            return 0;
        } catch (const std::exception& e) {
            self->last_error = e.what();
            return -1;
        }
    }

    static int sens_rhs(int ns, realtype t, N_Vector y, N_Vector, N_Vector* yS, N_Vector* ySdot, void* ud, N_Vector,
                        N_Vector) {
        auto* self = static_cast<Forward*>(ud);
        try {
            self->refresh(t, N_VGetArrayPointer(y));
            ++self->stats.sens_rhs;
            const auto& cp = self->net.col_ptr();
            const auto& ri = self->net.row_idx();
            const double* jv = self->jv.data();
            auto one = [&](std::int64_t k) {
                const double* s = N_VGetArrayPointer(yS[k]);
                double* o = N_VGetArrayPointer(ySdot[k]);
                std::copy(self->dfdp[std::size_t(k)].begin(), self->dfdp[std::size_t(k)].end(), o);
                for (std::size_t c = 0; c + 1 < cp.size(); ++c) {
                    const double sc = s[c];
                    if (sc == 0.0) continue;
                    for (auto e = cp[c]; e < cp[c + 1]; ++e) o[ri[std::size_t(e)]] += jv[e] * sc;
                }
            };
            if (self->pool) {
                self->pool->run(ns, [&](std::int64_t b, std::int64_t e) {
                    for (std::int64_t k = b; k < e; ++k) one(k);
                });
            } else {
                for (int k = 0; k < ns; ++k) one(k);
            }
            return 0;
        } catch (const std::exception& e) {
            self->last_error = e.what();
            return -1;
        }
    }

    static int linsys(realtype t, N_Vector y, N_Vector, SUNMatrix, booleantype jok, booleantype* jcur, realtype gamma,
                      void* ud, N_Vector, N_Vector, N_Vector) {
        auto* self = static_cast<Forward*>(ud);
        try {
            if (!jok || self->jl.size() != self->net.nnz()) {
                self->jl.resize(self->net.nnz());
                self->net.jacobian(t, N_VGetArrayPointer(y), self->jl);
                *jcur = SUNTRUE;
            } else {
                *jcur = SUNFALSE;
            }
            self->gamma = gamma;
            return 0;
        } catch (const std::exception& e) {
            self->last_error = e.what();
            return -1;
        }
    }

    static void on_error(int, const char* module, const char* function, char* msg, void* ud) {
        static_cast<Forward*>(ud)->last_error = fmt::format("{} ({} in {})", msg, function, module);
    }

    void check(int flag, const char* call, double t) const {
        if (flag >= 0) return;
        throw SolverError(fmt::format("forward sensitivities: {} failed at t = {:.6g} s (flag {}): {}", call, t, flag,
                                      last_error.empty() ? "no message" : last_error),
                          t);
    }
};

struct VectorArray {
    N_Vector* v = nullptr;
    int n = 0;
    ~VectorArray() {
        if (v) N_VDestroyVectorArray(v, n);
    }
};

}  // namespace

ForwardStats integrate_forward(Network& net, const std::vector<ParameterNets>& p, const SolverOptions& opt, double t0,
                               std::span<const double> y0, const std::vector<std::vector<double>>& s0,
                               const std::vector<double>& times, const SensitivityOutput& out, int threads) {
    const std::size_t n = net.size();
    const int ns = int(p.size());
    if (ns == 0 || s0.size() != p.size()) throw std::logic_error("integrate_forward: no parameter, or s0 of another count");
    for (const auto& q : p) {
        const std::string why = structure_difference(net, *q.plus) + structure_difference(net, *q.minus);
        if (!why.empty()) throw ForwardRefused(why);
    }
    std::unique_ptr<WorkerPool> pool = threads > 1 && ns > 1 ? std::make_unique<WorkerPool>(std::min(threads, ns)) : nullptr;
    Forward F{net, p};
    F.pool = pool.get();
    F.n = n;

    // A discrete change at the start (a device beyond its shutdown temperature): refused, as
    // is any later one; every copy must agree with the main network.
    std::vector<Event> ignored;
    if (net.on_start(t0, y0.data(), ignored)) throw ForwardRefused(fmt::format("a discrete change at the start ({} s)", t0));
    std::vector<double> yk(n);
    for (std::size_t k = 0; k < p.size(); ++k) {
        for (std::size_t i = 0; i < n; ++i) yk[i] = y0[i] + p[k].plus_step * s0[k][i];
        const bool a = p[k].plus->on_start(t0, yk.data(), ignored);
        for (std::size_t i = 0; i < n; ++i) yk[i] = y0[i] - p[k].minus_step * s0[k][i];
        if (a || p[k].minus->on_start(t0, yk.data(), ignored))
            throw ForwardRefused(fmt::format("a discrete change at the start ({} s) of a perturbed model", t0));
    }

    sun::Context ctx = sun::make_context();
    sun::Vector y = sun::make_vector(long(n), ctx.get()), abstol = sun::make_vector(long(n), ctx.get());
    sun::Vector yt = sun::make_vector(long(n), ctx.get());
    std::copy(y0.begin(), y0.end(), N_VGetArrayPointer(y.get()));
    double* at = N_VGetArrayPointer(abstol.get());
    for (std::size_t i = 0; i < n; ++i) at[i] = net.states()[i].abstol * opt.abstol_scale;
    std::unique_ptr<void, void (*)(void*)> mem(CVodeCreate(CV_BDF, ctx.get()), [](void* m) { CVodeFree(&m); });
    if (!mem) throw std::runtime_error("CVODES: cannot create the integrator");
    void* m = mem.get();
    CVodeSetErrHandlerFn(m, &Forward::on_error, &F);
    F.check(CVodeInit(m, &Forward::rhs, t0, y.get()), "CVodeInit", t0);
    F.check(CVodeSetUserData(m, &F), "CVodeSetUserData", t0);
    F.check(CVodeSVtolerances(m, opt.rtol, abstol.get()), "CVodeSVtolerances", t0);
    F.check(CVodeSetMaxNumSteps(m, opt.max_steps_per_call), "CVodeSetMaxNumSteps", t0);
    if (opt.max_step > 0) F.check(CVodeSetMaxStep(m, opt.max_step), "CVodeSetMaxStep", t0);
    // The run's linear solver: the block elimination of I - gamma J, from J's values.
    const auto& ncp = net.newton_col_ptr();
    const auto& nri = net.newton_row_idx();
    sun::Matrix A(SUNSparseMatrix(sunindextype(n), sunindextype(n), sunindextype(nri.size()), CSC_MAT, ctx.get()));
    std::copy(ncp.begin(), ncp.end(), SUNSparseMatrix_IndexPointers(A.get()));
    std::copy(nri.begin(), nri.end(), SUNSparseMatrix_IndexValues(A.get()));
    Forward* fw = &F;
    sun::LinSol LS = sun::block_solver(
        ctx.get(), ncp, nri, nullptr,
        [fw](BlockElimination& b, SUNMatrix) { return b.factor(fw->jl.data(), fw->net.newton_source().data(), fw->gamma); },
        &F.setup_s, &F.solve_s);
    if (!A || !LS) throw std::runtime_error("SUNDIALS: cannot create the linear solver");
    F.check(CVodeSetLinearSolver(m, LS.get(), A.get()), "CVodeSetLinearSolver", t0);
    F.check(CVodeSetLinSysFn(m, &Forward::linsys), "CVodeSetLinSysFn", t0);

    VectorArray yS{N_VCloneVectorArray(ns, y.get()), ns}, ySt{N_VCloneVectorArray(ns, y.get()), ns};
    for (int k = 0; k < ns; ++k) std::copy(s0[std::size_t(k)].begin(), s0[std::size_t(k)].end(), N_VGetArrayPointer(yS.v[k]));
    F.check(CVodeSensInit(m, ns, CV_STAGGERED, &Forward::sens_rhs, yS.v), "CVodeSensInit", t0);
    // Tolerances of s_k: the states' over the parameter's size (CVODES's estimate), and the
    // sensitivities in the error test, so that they are as accurate as the states.
    std::vector<double> pbar(p.size());
    for (std::size_t k = 0; k < p.size(); ++k) pbar[k] = p[k].scale > 0 ? p[k].scale : 1.0;
    F.check(CVodeSetSensParams(m, nullptr, pbar.data(), nullptr), "CVodeSetSensParams", t0);
    F.check(CVodeSensEEtolerances(m), "CVodeSensEEtolerances", t0);
    F.check(CVodeSetSensErrCon(m, SUNTRUE), "CVodeSetSensErrCon", t0);

    std::vector<const double*> sp(p.size());
    std::size_t next = 0;
    auto serve = [&](double t, const double* yy, N_Vector* s) {
        for (int k = 0; k < ns; ++k) sp[std::size_t(k)] = N_VGetArrayPointer(s[k]);
        out(t, yy, sp);
    };
    while (next < times.size() && times[next] <= t0) serve(times[next++], y0.data(), yS.v);
    if (next == times.size()) return F.stats;

    // Root functions: their signs at the end of every step against the last, with the inputs
    // of the stretch being integrated (as the integrator's search).
    const std::size_t nr = std::size_t(net.num_roots());
    std::vector<double> g_lo(nr), g_hi(nr);
    double t = t0, t_disc = net.next_discontinuity(t0);
    // A parameter that moves an input's step in time (a schedule's time) makes f jump in p:
    // no derivative there.
    auto same_steps = [&](double tt, double td) {
        for (std::size_t k = 0; k < p.size(); ++k)
            if (p[k].plus->next_discontinuity(tt) != td || p[k].minus->next_discontinuity(tt) != td)
                throw ForwardRefused(fmt::format("parameter {} moves an input's step (the next after {:.6g} s): the "
                                                 "right-hand side jumps in it", k + 1, tt));
    };
    same_steps(t0, t_disc);
    auto left_of = [](double td) { return std::isfinite(td) ? std::nextafter(td, -HUGE_VAL) : HUGE_VAL; };
    auto roots = [&](double tt, const double* yy, std::vector<double>& g) {
        if (nr == 0) return;
        net.set_input_horizon(tt <= t_disc ? left_of(t_disc) : HUGE_VAL);
        net.roots(tt, yy, g.data());
        net.set_input_horizon(HUGE_VAL);
    };
    roots(t, y0.data(), g_lo);
    F.check(CVodeSetStopTime(m, std::isfinite(t_disc) ? t_disc : 1e300), "CVodeSetStopTime", t);
    const double t_end = times.back();
    while (next < times.size()) {
        double tret = t;
        set_horizon(net, p, left_of(t_disc));
        const int flag = CVode(m, t_end, y.get(), &tret, CV_ONE_STEP);
        set_horizon(net, p, HUGE_VAL);
        F.check(flag, "CVode", tret);
        ++F.stats.steps;
        roots(tret, N_VGetArrayPointer(y.get()), g_hi);
        for (std::size_t i = 0; i < nr; ++i)
            if ((g_lo[i] < 0) != (g_hi[i] < 0))
                throw ForwardRefused(fmt::format("a discrete event (root function {} of the model: a threshold such as "
                                                 "a throttle or a trip) between {:.9g} s and {:.9g} s: the sensitivities "
                                                 "jump there, which the forward method does not model", i, t, tret));
        std::swap(g_lo, g_hi);
        while (next < times.size() && times[next] <= tret) {
            const double to = times[next++];
            F.check(CVodeGetDky(m, to, 0, yt.get()), "CVodeGetDky", to);
            F.check(CVodeGetSensDky(m, to, 0, ySt.v), "CVodeGetSensDky", to);
            serve(to, N_VGetArrayPointer(yt.get()), ySt.v);
        }
        t = tret;
        if (flag == CV_TSTOP_RETURN || t >= t_disc) {
            // An input discontinuity: a new history from (y, s) here, the roots' signs with the
            // next stretch's inputs.
            double ts = t;
            F.check(CVodeGetSens(m, &ts, yS.v), "CVodeGetSens", t);
            F.check(CVodeReInit(m, t, y.get()), "CVodeReInit", t);
            F.check(CVodeSensReInit(m, CV_STAGGERED, yS.v), "CVodeSensReInit", t);
            ++F.stats.reinits;
            t_disc = net.next_discontinuity(t);
            same_steps(t, t_disc);
            F.check(CVodeSetStopTime(m, std::isfinite(t_disc) ? t_disc : 1e300), "CVodeSetStopTime", t);
            roots(t, N_VGetArrayPointer(y.get()), g_lo);
        }
    }
    return F.stats;
}

}  // namespace dctwin
