#include "solver/steady.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include "solver/block_elimination.hpp"

namespace dctwin {

SteadyResult solve_steady(Network& net, std::span<const double> y0, const SteadyOptions& opt) {
    const auto wall0 = std::chrono::steady_clock::now();
    const std::size_t n = net.size();
    const auto& states = net.states();
    // The Newton pattern: the rows of tallies are pinned to the identity here anyway.
    const auto& cp = net.newton_col_ptr();
    const auto& ri = net.newton_row_idx();
    const auto& src = net.newton_source();

    // The integrator's linear solver: each device's block eliminated onto the shared states.
    BlockEliminationOptions beo;
    beo.pool = net.pool();
    BlockElimination solver(cp, ri, beo);
    std::vector<double> x(n);

    std::vector<double> y(y0.begin(), y0.end()), f(n), jv(net.nnz());
    std::vector<char> pinned(n);
    for (std::size_t i = 0; i < n; ++i) pinned[i] = states[i].accumulator || states[i].storage;  // held where they are
    std::vector<std::size_t> pinned_entries;  // the Jacobian's entries in pinned rows
    for (std::size_t k = 0; k < net.nnz(); ++k)
        if (pinned[std::size_t(net.row_idx()[k])]) pinned_entries.push_back(k);

    // Converged when each state's residual, in units of abstol per second of its own time scale,
    // |f| / (abstol max(1/s, |J_ii|)), is below the tolerance: a slow state's |dy/dt| below
    // tol x abstol, a fast one's (a bare die, a few millilitres of coolant: |J_ii| of 10-1000
    // /s) distance to equilibrium |f / J_ii| below tol x abstol seconds, since roundoff in its
    // large opposing flows leaves |dy/dt| near 1e-12 K/s however close it is. The step control
    // keeps the plain |f| / abstol, so the iterates are those of the plain test, which this one
    // can only end sooner.
    std::vector<std::int64_t> diag(n, -1);  // the Jacobian's diagonal entries
    for (std::size_t c = 0; c < n; ++c)
        for (auto k = net.col_ptr()[c]; k < net.col_ptr()[c + 1]; ++k)
            if (std::size_t(net.row_idx()[std::size_t(k)]) == c) diag[c] = k;
    std::vector<double> rate(n, 1.0);  // max(1/s, |J_ii|), from the last Jacobian
    auto score = [&](std::size_t i) { return std::abs(f[i]) / (states[i].abstol * rate[i]); };
    auto worst = [&](bool scaled) {
        double r = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double s = scaled ? score(i) : std::abs(f[i]) / states[i].abstol;
            r = std::isfinite(s) ? std::max(r, s) : HUGE_VAL;
        }
        return r;
    };
    auto residual = [&](const std::vector<double>& yy) {
        net.rhs(opt.t, yy.data(), f.data());
        for (std::size_t i = 0; i < n; ++i)
            if (pinned[i]) f[i] = 0.0;
        return worst(false);
    };

    double res = residual(y), dt = opt.initial_step;
    double conv = res;  // the convergence measure (rates of 1/s until the first Jacobian)
    SteadyResult out;
    // Newton first: a site is nearly linear about its operating point (conduction, advection,
    // mild leakage), so Newton steps usually converge in a few iterations where the pseudo
    // time step takes twenty or more to grow past the slow time constants. Each step is
    // shortened until the residual falls; where none falls (a controller driven across its
    // clamps, whose slope jumps there) or Newton takes too long, the pseudo-transient
    // continuation starts over from y0, as if Newton had not been tried.
    bool newton = opt.newton_first;
    constexpr int kNewtonIterations = 20;
    constexpr int kHalvings = 6;             // shortest Newton step: 1/64
    constexpr double kNewtonStep = 1e15;     // [s] a pseudo time step that makes it Newton's method
    int newton_its = 0;  // iterations spent on Newton: the continuation has its own budget
    auto give_up_newton = [&] {
        newton = false;
        y.assign(y0.begin(), y0.end());
        res = conv = residual(y);
        dt = opt.initial_step;
    };
    // Newton may only pass through states of a site: a step that takes a temperature beyond
    // any a site can have (or a state beyond its declared bounds) is shortened like one that
    // does not reduce the residual. A site whose equilibrium lies out there (a hall that sheds
    // its heat through a milliwatt per kelvin) is left to the continuation, which reports the
    // drifting states rather than an absurd steady state.
    constexpr double kHottest = 1273.15;  // [K] 1000 degC: no state of a site gets near it
    std::vector<double> lo(n), hi(n);
    for (std::size_t i = 0; i < n; ++i) {
        const bool kelvin = states[i].unit == "K";
        lo[i] = kelvin ? std::max(states[i].lower, 0.0) : states[i].lower;
        hi[i] = kelvin ? std::min(states[i].upper, kHottest) : states[i].upper;
    }
    auto inside = [&](const std::vector<double>& yy) {
        for (std::size_t i = 0; i < n; ++i)
            if (!(yy[i] >= lo[i] && yy[i] <= hi[i])) return false;
        return true;
    };
    std::vector<double> trial(n);
    for (int it = 0; it - newton_its < opt.max_iterations && conv > opt.residual_tol; ++it) {
        if (newton && it == kNewtonIterations) give_up_newton();
        if (newton) ++newton_its;
        const double step = newton ? kNewtonStep : dt;
        // (I/dt - J) dy = f, with pinned rows reduced to the identity: (I - dt J') dy = dt f
        // with J' = J less its pinned rows, factored from J's values without forming it.
        net.jacobian(opt.t, y.data(), jv);
        for (std::size_t i = 0; i < n; ++i) rate[i] = diag[i] >= 0 ? std::max(1.0, std::abs(jv[std::size_t(diag[i])])) : 1.0;
        conv = worst(true);  // f is y's
        if (!(conv > opt.residual_tol)) break;
        for (const auto k : pinned_entries) jv[k] = 0.0;
        if (solver.factor(jv.data(), src.data(), step) != 0) {
            if (newton) {
                give_up_newton();
                continue;
            }
            dt *= 0.1;  // singular at this step: fall back towards a smaller pseudo time step
            if (dt < 1e-9) throw SteadyStateError("steady state: the linear system is singular");
            continue;
        }
        for (std::size_t i = 0; i < n; ++i) x[i] = step * f[i];
        solver.solve(x.data());
        const double* dx = x.data();
        double res_new = HUGE_VAL;
        if (newton) {
            // Backtracking: the full step, then halves, until the residual falls enough.
            bool accepted = false;
            for (int h = 0, scale = 1; h <= kHalvings && !accepted; ++h, scale *= 2) {
                const double alpha = 1.0 / scale;
                for (std::size_t i = 0; i < n; ++i) trial[i] = y[i] + alpha * dx[i];
                if (!inside(trial)) continue;
                res_new = residual(trial);
                accepted = res_new < (1.0 - 0.25 * alpha) * res;
            }
            if (!accepted) {
                give_up_newton();
                continue;
            }
        } else {
            for (std::size_t i = 0; i < n; ++i) trial[i] = y[i] + dx[i];
            res_new = residual(trial);
            if (!(res_new < HUGE_VAL)) {
                dt *= 0.1;
                residual(y);
                continue;
            }
            // Switched evolution relaxation: the step grows as the residual falls.
            dt = std::min(dt * std::clamp(res / std::max(res_new, 1e-300), 0.1, 1e4), 1e15);
        }
        y.swap(trial);
        res = res_new;
        conv = worst(true);
        out.iterations = it + 1;
    }
    if (conv > opt.residual_tol) {
        residual(y);
        std::vector<std::size_t> idx(n);
        std::iota(idx.begin(), idx.end(), 0);
        const std::size_t k = std::min<std::size_t>(5, n);
        std::partial_sort(idx.begin(), idx.begin() + long(k), idx.end(),
                          [&](auto p, auto q) { return score(p) > score(q); });
        std::string msg = fmt::format(
            "steady state not reached after {} iterations (largest |dy/dt| / (abstol max(1/s, |J_ii|)) = {:.3g}); "
            "states furthest from equilibrium:", opt.max_iterations, conv);
        for (std::size_t j = 0; j < k; ++j)
            msg += fmt::format("\n    {} = {:.6g} {}, d/dt = {:.3g} {}/s", states[idx[j]].path, y[idx[j]],
                               states[idx[j]].unit, f[idx[j]], states[idx[j]].unit);
        throw SteadyStateError(msg);
    }
    out.y = std::move(y);
    out.residual = conv;
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    return out;
}

}  // namespace dctwin
