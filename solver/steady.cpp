#include "solver/steady.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunmatrix/sunmatrix_sparse.h>

#include "solver/sundials.hpp"

namespace dctwin {

SteadyResult solve_steady(Network& net, std::span<const double> y0, const SteadyOptions& opt) {
    const auto wall0 = std::chrono::steady_clock::now();
    const std::size_t n = net.size();
    const auto& states = net.states();
    // The Newton pattern: the rows of tallies are pinned to the identity here anyway.
    const auto& cp = net.newton_col_ptr();
    const auto& ri = net.newton_row_idx();
    const auto& src = net.newton_source();

    auto ctx = sun::make_context();
    sun::Matrix A(SUNSparseMatrix(sunindextype(n), sunindextype(n), sunindextype(ri.size()), CSC_MAT, ctx.get()));
    auto x = sun::make_vector(long(n), ctx.get());
    auto b = sun::make_vector(long(n), ctx.get());
    sun::LinSol LS(SUNLinSol_KLU(x.get(), A.get(), ctx.get()));
    // AMD, as in the integrator: COLAMD's ordering of the same pattern fills in several times
    // more (a refactorisation of the Frontier site took 100 ms instead of 6 ms).
    if (LS) SUNLinSol_KLUSetOrdering(LS.get(), 0);
    if (!A || !LS || SUNLinSolInitialize(LS.get()) != 0)
        throw SteadyStateError("steady state: cannot set up the KLU linear solver");
    std::copy(cp.begin(), cp.end(), SUNSparseMatrix_IndexPointers(A.get()));
    std::copy(ri.begin(), ri.end(), SUNSparseMatrix_IndexValues(A.get()));
    realtype* a = SUNSparseMatrix_Data(A.get());

    std::vector<double> y(y0.begin(), y0.end()), f(n), jv(net.nnz());
    std::vector<char> pinned(n);
    for (std::size_t i = 0; i < n; ++i) pinned[i] = states[i].accumulator || states[i].storage;  // held where they are

    auto residual = [&](const std::vector<double>& yy) {
        net.rhs(opt.t, yy.data(), f.data());
        double r = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            if (pinned[i]) f[i] = 0.0;
            const double s = std::abs(f[i]) / states[i].abstol;
            r = std::isfinite(s) ? std::max(r, s) : HUGE_VAL;
        }
        return r;
    };

    double res = residual(y), dt = opt.initial_step;
    SteadyResult out;
    for (int it = 0; it < opt.max_iterations && res > opt.residual_tol; ++it) {
        // (I/dt - J) dy = f, with pinned rows reduced to the identity.
        net.jacobian(opt.t, y.data(), jv);
        for (std::size_t c = 0; c < n; ++c)
            for (auto k = cp[c]; k < cp[c + 1]; ++k) {
                const auto r = std::size_t(ri[std::size_t(k)]);
                double v = pinned[r] ? 0.0 : -jv[std::size_t(src[std::size_t(k)])];
                if (r == c) v += pinned[r] ? 1.0 : 1.0 / dt;
                a[k] = v;
            }
        std::copy(f.begin(), f.end(), N_VGetArrayPointer(b.get()));
        if (SUNLinSolSetup(LS.get(), A.get()) != 0 ||
            SUNLinSolSolve(LS.get(), A.get(), x.get(), b.get(), 0.0) != 0) {
            dt *= 0.1;  // singular at this step: fall back towards a smaller pseudo time step
            if (dt < 1e-9) throw SteadyStateError("steady state: the linear system is singular");
            continue;
        }
        const double* dx = N_VGetArrayPointer(x.get());
        std::vector<double> trial(y);
        for (std::size_t i = 0; i < n; ++i) trial[i] += dx[i];
        const double res_new = residual(trial);
        if (!(res_new < HUGE_VAL)) {
            dt *= 0.1;
            residual(y);
            continue;
        }
        y.swap(trial);
        // Switched evolution relaxation: the step grows as the residual falls.
        dt = std::min(dt * std::clamp(res / std::max(res_new, 1e-300), 0.1, 1e4), 1e15);
        res = res_new;
        out.iterations = it + 1;
    }
    if (res > opt.residual_tol) {
        residual(y);
        std::vector<std::size_t> idx(n);
        std::iota(idx.begin(), idx.end(), 0);
        const std::size_t k = std::min<std::size_t>(5, n);
        auto score = [&](std::size_t i) { return std::abs(f[i]) / states[i].abstol; };
        std::partial_sort(idx.begin(), idx.begin() + long(k), idx.end(),
                          [&](auto p, auto q) { return score(p) > score(q); });
        std::string msg = fmt::format(
            "steady state not reached after {} iterations (largest |dy/dt|/abstol = {:.3g} /s); "
            "states furthest from equilibrium:", opt.max_iterations, res);
        for (std::size_t j = 0; j < k; ++j)
            msg += fmt::format("\n    {} = {:.6g} {}, d/dt = {:.3g} {}/s", states[idx[j]].path, y[idx[j]],
                               states[idx[j]].unit, f[idx[j]], states[idx[j]].unit);
        throw SteadyStateError(msg);
    }
    out.y = std::move(y);
    out.residual = res;
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    return out;
}

}  // namespace dctwin
