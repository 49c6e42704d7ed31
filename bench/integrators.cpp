// Measures integrators on a site's network, outside the run driver: CVODE's BDF (what
// `dctwin run` uses) and ARKODE's L-stable ESDIRK methods (one-step: no restart from first
// order at every input step), with the same right-hand side, analytic Jacobian and block
// elimination, stopping at every input discontinuity. Prints steps, right-hand sides, linear
// set-ups and solves, wall time, and the largest junction difference at the end from a
// tight CVODE run. Then a bound on what integrating each device block exactly (exponential
// integration, or a split) could save: CVODE's BDF with the devices' states left out of its
// error test (absolute tolerance x 1000), first junctions and memories, then their plates too.
// Their own errors then mean nothing; the steps are those the other states ask for, a floor
// for any method that integrates the device blocks exactly and the rest with BDF. In between,
// BDF against ESDIRK324L2SA with linearly implicit stages at three absolute tolerances (the
// junction error at the end, and at every 1 s row as each integrator interpolates between its
// steps).
//   build/bin/dctwin_integrators SITE DURATION_S [--set k=v ...]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <arkode/arkode_arkstep.h>
#include <cvode/cvode.h>
#include <fmt/format.h>
#include <sunmatrix/sunmatrix_sparse.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/block_elimination.hpp"
#include "solver/steady.hpp"
#include "solver/sundials.hpp"

using namespace dctwin;

namespace {

struct Problem {
    Network& net;
    std::vector<double> jac;
    double gamma = 0.0;
    long jac_evals = 0;
};

int rhs(double t, N_Vector y, N_Vector ydot, void* ud) {
    auto* p = static_cast<Problem*>(ud);
    p->net.rhs(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot));
    return 0;
}

int linsys_common(double t, N_Vector y, booleantype jok, booleantype* jcur, double gamma, void* ud) {
    auto* p = static_cast<Problem*>(ud);
    if (!jok || p->jac.empty()) {
        p->jac.resize(p->net.nnz());
        p->net.jacobian(t, N_VGetArrayPointer(y), p->jac);
        ++p->jac_evals;
        *jcur = SUNTRUE;
    } else {
        *jcur = SUNFALSE;
    }
    p->gamma = gamma;
    return 0;
}
int cv_linsys(double t, N_Vector y, N_Vector, SUNMatrix, booleantype jok, booleantype* jcur, double gamma, void* ud,
              N_Vector, N_Vector, N_Vector) {
    return linsys_common(t, y, jok, jcur, gamma, ud);
}
int ark_linsys(double t, N_Vector y, N_Vector, SUNMatrix, SUNMatrix, booleantype jok, booleantype* jcur, double gamma,
               void* ud, N_Vector, N_Vector, N_Vector) {
    return linsys_common(t, y, jok, jcur, gamma, ud);
}

struct Result {
    std::string name;
    long steps = 0, rhs = 0, setups = 0, solves = 0;
    double wall = 0;
    std::vector<double> y;
    std::vector<std::vector<double>> rows;  // the sampled states at every row time
};

// Rows: every row_dt seconds (0: none), the states `sample` as the integrator serves them
// between its steps (its interpolation), as `dctwin run` writes its rows.
struct Rows {
    double dt = 0.0;
    const std::vector<std::size_t>* sample = nullptr;
};

// method: "bdf" or an ARKODE DIRK table.
Result integrate(Network& net, const std::vector<double>& y0, double T, const SolverOptions& so, const std::string& name,
                 int table, const std::vector<double>* atol_factor = nullptr, bool linear_stages = false,
                 Rows rows = {}) {
    const auto t0 = std::chrono::steady_clock::now();
    auto ctx = sun::make_context();
    const long n = long(net.size());
    auto y = sun::make_vector(n, ctx.get());
    std::copy(y0.begin(), y0.end(), N_VGetArrayPointer(y.get()));
    auto atol = sun::make_vector(n, ctx.get());
    for (long i = 0; i < n; ++i)
        N_VGetArrayPointer(atol.get())[i] = net.states()[std::size_t(i)].abstol * so.abstol_scale *
                                            (atol_factor ? (*atol_factor)[std::size_t(i)] : 1.0);
    Problem prob{net, {}, 0.0, 0};
    double setup_s = 0, solve_s = 0;
    sun::Matrix A(SUNSparseMatrix(n, n, sunindextype(net.newton_row_idx().size()), CSC_MAT, ctx.get()));
    sun::LinSol LS = sun::block_solver(
        ctx.get(), net.newton_col_ptr(), net.newton_row_idx(), nullptr,
        [&](BlockElimination& b, SUNMatrix) { return b.factor(prob.jac.data(), net.newton_source().data(), prob.gamma); },
        &setup_s, &solve_s);
    Result r;
    r.name = name;
    const bool bdf = table < 0;
    void* mem = bdf ? CVodeCreate(CV_BDF, ctx.get()) : ARKStepCreate(nullptr, rhs, 0.0, y.get(), ctx.get());
    if (bdf) {
        CVodeInit(mem, rhs, 0.0, y.get());
        CVodeSetUserData(mem, &prob);
        CVodeSVtolerances(mem, so.rtol, atol.get());
        CVodeSetMaxNumSteps(mem, 1000000);
        CVodeSetLinearSolver(mem, LS.get(), A.get());
        CVodeSetLinSysFn(mem, cv_linsys);
    } else {
        ARKStepSetUserData(mem, &prob);
        ARKStepSVtolerances(mem, so.rtol, atol.get());
        ARKStepSetMaxNumSteps(mem, 1000000);
        ARKStepSetTableNum(mem, ARKODE_DIRKTableID(table), ARKODE_ERK_NONE);
        ARKStepSetLinearSolver(mem, LS.get(), A.get());
        ARKStepSetLinSysFn(mem, ark_linsys);
        ARKStepSetDeduceImplicitRhs(mem, SUNTRUE);  // no right-hand side at a stage's end
        // Linearly implicit stages: one Newton iteration each, the Jacobian kept between steps
        // (the right-hand side is nearly linear: leakage and clocks are its only nonlinearity).
        if (linear_stages) ARKStepSetLinear(mem, 0);
    }
    double t = 0.0;
    while (t < T) {
        const double td = std::min(T, net.next_discontinuity(t));
        if (t > 0) {
            if (bdf)
                CVodeReInit(mem, t, y.get());
            else
                ARKStepReset(mem, t, y.get());  // a one-step method keeps its step size
        }
        net.set_input_horizon(std::nextafter(td, -HUGE_VAL));
        int flag = 0;
        if (bdf)
            CVodeSetStopTime(mem, td);
        else
            ARKStepSetStopTime(mem, td);
        while (flag >= 0 && t < td) {
            double tout = td;
            if (rows.dt > 0) tout = std::min(td, rows.dt * std::floor(t / rows.dt + 1.0 + 1e-9));
            flag = bdf ? CVode(mem, tout, y.get(), &t, CV_NORMAL) : ARKStepEvolve(mem, tout, y.get(), &t, ARK_NORMAL);
            if (flag >= 0 && rows.dt > 0 && std::abs(t / rows.dt - std::round(t / rows.dt)) < 1e-9) {
                const double* yv = N_VGetArrayPointer(y.get());
                std::vector<double> row;
                for (auto i : *rows.sample) row.push_back(yv[i]);
                r.rows.push_back(std::move(row));
            }
        }
        net.set_input_horizon(HUGE_VAL);
        if (flag < 0) throw std::runtime_error(fmt::format("{}: failed at t = {} with flag {}", name, t, flag));
        long v = 0, w = 0;
        if (bdf) {
            CVodeGetNumSteps(mem, &v), r.steps += v;
            CVodeGetNumRhsEvals(mem, &v), r.rhs += v;
            CVodeGetNumLinSolvSetups(mem, &v), r.setups += v;
            CVodeGetNumNonlinSolvIters(mem, &v), r.solves += v;
        } else {
            ARKStepGetNumSteps(mem, &v), r.steps = v;
            ARKStepGetNumRhsEvals(mem, &w, &v), r.rhs = v;
            ARKStepGetNumLinSolvSetups(mem, &v), r.setups = v;
            ARKStepGetNumNonlinSolvIters(mem, &v), r.solves = v;
        }
    }
    if (bdf)
        CVodeFree(&mem);
    else
        ARKStepFree(&mem);
    r.y.assign(N_VGetArrayPointer(y.get()), N_VGetArrayPointer(y.get()) + n);
    r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: dctwin_integrators SITE DURATION_S [--set k=v ...]\n");
        return 2;
    }
    std::vector<std::string> sets;
    for (int i = 3; i + 1 < argc; i += 2) sets.emplace_back(argv[i + 1]);
    try {
        const SiteSpec spec = load_site(argv[1], sets);
        SiteModel model(spec);
        Network& net = model.network();
        const double T = std::stod(argv[2]);
        const auto y0 = solve_steady(net, net.initial_state(), SteadyOptions{0}).y;
        const SolverOptions so = solver_options(spec);
        SolverOptions tight = so;
        tight.rtol = 1e-9;
        tight.abstol_scale = 1e-2;  // 1e-6 K
        std::vector<std::size_t> junctions;
        for (std::size_t k = 0; k < model.devices().size(); ++k) junctions.push_back(std::size_t(model.devices().nodes(k).junction));
        const Rows every_second{1.0, &junctions};
        const Result ref = integrate(net, y0, T, tight, "reference", -1, nullptr, false, every_second);
        // The largest junction error over every 1 s row [K].
        auto row_error = [&](const Result& r) {
            double e = 0;
            for (std::size_t k = 0; k < std::min(r.rows.size(), ref.rows.size()); ++k)
                for (std::size_t j = 0; j < junctions.size(); ++j) e = std::max(e, std::abs(r.rows[k][j] - ref.rows[k][j]));
            return r.rows.size() == ref.rows.size() ? e : HUGE_VAL;
        };
        fmt::print("{}, {} s, rtol {:g}, atol_temperature {:g} K; junctions at the end against rtol 1e-9, 1e-6 K\n\n",
                   argv[1], T, so.rtol, 1e-4 * so.abstol_scale);
        fmt::print("| integrator | steps | rhs | linear set-ups | Newton iterations | wall s | junction error mK |\n");
        fmt::print("|---|---|---|---|---|---|---|\n");
        const std::pair<const char*, int> methods[] = {
            {"CVODE BDF (orders 1-5)", -1},
            {"ARKODE ESDIRK324L2SA (order 3)", ARKODE_ESDIRK324L2SA_4_2_3},
            {"ARKODE ESDIRK436L2SA (order 4)", ARKODE_ESDIRK436L2SA_6_3_4},
            {"ARKODE ESDIRK547L2SA (order 5)", ARKODE_ESDIRK547L2SA_7_4_5},
            {"ARKODE TRBDF2 (order 2)", ARKODE_TRBDF2_3_3_2},
        };
        for (const auto& [name, table] : methods) {
            const Result r = integrate(net, y0, T, so, name, table);
            double err = 0;
            for (auto j : junctions) err = std::max(err, std::abs(r.y[j] - ref.y[j]));
            fmt::print("| {} | {} | {} | {} | {} | {:.2f} | {:.3g} |\n", name, r.steps, r.rhs, r.setups, r.solves, r.wall,
                       1e3 * err);
        }
        // Equal accuracy: BDF against ESDIRK324L2SA with linearly implicit stages, over a range
        // of absolute tolerances.
        fmt::print("\nBDF against ESDIRK324L2SA with linearly implicit stages (one Newton iteration a stage, the "
                   "Jacobian kept between steps), by atol_temperature\n\n| integrator | atol K | steps | rhs | linear "
                   "set-ups | Newton iterations | wall s | junction error mK | at every 1 s row mK |\n|---|---|---|---|---|---|---|---|---|\n");
        for (const double scale : {1.0, 2.0, 4.0}) {
            SolverOptions loose = so;
            loose.abstol_scale = so.abstol_scale * scale;
            for (const bool bdf : {true, false}) {
                const Result r = integrate(net, y0, T, loose, "", bdf ? -1 : ARKODE_ESDIRK324L2SA_4_2_3, nullptr, !bdf,
                                           every_second);
                double err = 0;
                for (auto j : junctions) err = std::max(err, std::abs(r.y[j] - ref.y[j]));
                fmt::print("| {} | {:g} | {} | {} | {} | {} | {:.2f} | {:.3g} | {:.3g} |\n",
                           bdf ? "CVODE BDF" : "ESDIRK324L2SA, linear stages", 1e-4 * loose.abstol_scale, r.steps, r.rhs,
                           r.setups, r.solves, r.wall, 1e3 * err, 1e3 * row_error(r));
            }
        }
        // The floor for exact integration of the device blocks.
        auto ends_with = [](const std::string& a, const char* b) {
            const std::size_t m = std::char_traits<char>::length(b);
            return a.size() >= m && a.compare(a.size() - m, m, b) == 0;
        };
        std::vector<double> fast(net.size(), 1.0), block(net.size(), 1.0);
        for (std::size_t i = 0; i < net.size(); ++i) {
            const std::string& p = net.states()[i].path;
            if (ends_with(p, "/T_junction") || ends_with(p, "/T_memory")) fast[i] = block[i] = 1e3;
            if (ends_with(p, "/T_plate")) block[i] = 1e3;
        }
        fmt::print("\nCVODE BDF with the device states left out of the error test (atol x 1000): the steps the "
                   "other states ask for\n\n| left out | steps | rhs | linear set-ups | wall s |\n|---|---|---|---|---|\n");
        const std::pair<const char*, const std::vector<double>*> bounds[] = {
            {"none", nullptr}, {"junctions and memories", &fast}, {"junctions, memories and plates", &block}};
        for (const auto& [name, factor] : bounds) {
            const Result r = integrate(net, y0, T, so, name, -1, factor);
            fmt::print("| {} | {} | {} | {} | {:.2f} |\n", name, r.steps, r.rhs, r.setups, r.wall);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
