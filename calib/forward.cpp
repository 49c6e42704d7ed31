#include "calib/forward.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "input/units.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/parallel.hpp"
#include "solver/steady.hpp"

namespace dctwin::calib {

namespace {

// The value [SI] the site is built with for `si`: its text for --set read back, 12 digits.
double as_built(double si, const std::string& unit) {
    const std::string text = value_text(si, unit);
    return unit.empty() ? std::strtod(text.c_str(), nullptr) : parse_any_quantity(text).si;
}

std::unique_ptr<SiteModel> build(const ForwardProblem& fp, const std::vector<double>& p) {
    SiteSpec spec = load_site(fp.site, fp.overrides(p), fp.set_files);
    spec.simulation.threads = 1;
    return std::make_unique<SiteModel>(spec);
}

std::string outputs_difference(SiteModel& a, SiteModel& b) {
    const auto& x = a.outputs().all_series();
    const auto& y = b.outputs().all_series();
    if (x.size() != y.size()) return "it changes the output series";
    for (std::size_t i = 0; i < x.size(); ++i)
        if (x[i].path != y[i].path || x[i].values() != y[i].values())
            return fmt::format("it changes the output series ({})", x[i].path);
    return {};
}

// The perturbed models of parameter k at p: the values [SI] they were built with.
struct Pair {
    std::unique_ptr<SiteModel> plus, minus;
    double a = 0, b = 0;  // [SI] steps up and down from p as built
};

Pair perturbed(const ForwardProblem& fp, const std::vector<double>& p, std::size_t k) {
    const FitParameter& q = fp.params[k];
    const double h = fp.step * (q.hi - q.lo);
    const double p0 = as_built(p[k], q.unit);
    std::vector<double> up = p, down = p;
    up[k] = std::min(p[k] + h, q.hi);
    down[k] = std::max(p[k] - h, q.lo);
    Pair r;
    r.a = as_built(up[k], q.unit) - p0;
    r.b = p0 - as_built(down[k], q.unit);
    if (!(r.a + r.b > 0)) throw ForwardRefused(fmt::format("{}: its steps round to nothing in 12 digits", q.key));
    r.plus = build(fp, up);
    r.minus = build(fp, down);
    return r;
}

}  // namespace

std::string forward_refusal(const ForwardProblem& fp, const std::vector<double>& p, std::size_t k) {
    const FitParameter& q = fp.params[k];
    if (q.unit.empty() && std::floor(q.start) == q.start && std::floor(q.lo) == q.lo && std::floor(q.hi) == q.hi)
        return "a count (a whole number without unit): it may change the model's structure";
    try {
        auto main = build(fp, p);
        Pair r = perturbed(fp, p, k);
        for (SiteModel* o : {r.plus.get(), r.minus.get()}) {
            std::string why = structure_difference(main->network(), o->network());
            if (why.empty()) why = outputs_difference(*main, *o);
            if (!why.empty()) return why;
        }
    } catch (const std::exception& e) {
        return fmt::format("the site a step away does not build: {}", e.what());
    }
    return {};
}

ForwardRun run_forward(const ForwardProblem& fp, const std::vector<double>& p, const std::vector<std::size_t>& which,
                       const std::vector<std::size_t>& columns) {
    using Clock = std::chrono::steady_clock;
    const auto wall0 = Clock::now();
    auto main = build(fp, p);
    Network& net = main->network();
    std::vector<Pair> pairs;
    std::vector<ParameterNets> nets;
    for (std::size_t k : which) {
        pairs.push_back(perturbed(fp, p, k));
        Pair& r = pairs.back();
        for (SiteModel* o : {r.plus.get(), r.minus.get()}) {
            std::string why = structure_difference(net, o->network());
            if (why.empty()) why = outputs_difference(*main, *o);
            if (!why.empty()) throw ForwardRefused(fmt::format("{}: {}", fp.params[k].key, why));
        }
        const FitParameter& q = fp.params[k];
        nets.push_back({&r.plus->network(), &r.minus->network(), r.a, r.b, std::max(std::abs(p[k]), 1e-3 * (q.hi - q.lo))});
    }
    const double T = fp.duration, t0 = 0.0;
    main->check_weather_span(T);
    main->check_run_limits(T);

    // The steady state of the first instant (as run_site), and its sensitivities.
    SteadyOptions so;
    so.t = t0;
    const std::vector<double> y0 = solve_steady(net, net.initial_state(), so).y;
    const auto s0 = steady_sensitivities(net, t0, y0, nets);
    const bool power_only = main->spec().simulation.mode == "power-only";
    net.set_power_only(power_only);
    main->set_start(t0, y0.data());
    const std::size_t n = net.size();
    std::vector<double> yk(n);
    for (std::size_t j = 0; j < nets.size(); ++j) {
        for (SiteModel* o : {pairs[j].plus.get(), pairs[j].minus.get()}) {
            const double w = o == pairs[j].plus.get() ? nets[j].plus_step : -nets[j].minus_step;
            for (std::size_t i = 0; i < n; ++i) yk[i] = y0[i] + w * s0[j][i];
            o->network().set_power_only(power_only);
            o->set_start(t0, yk.data());
        }
    }

    // The output times of run_site.
    const double dt = main->spec().simulation.output_interval;
    std::vector<double> times{t0};
    for (long k = 1; times.back() < T; ++k) times.push_back(std::min(T, t0 + double(k) * dt));

    ForwardRun run;
    run.v.assign(columns.size(), {});
    run.d.assign(which.size(), std::vector<std::vector<double>>(columns.size()));
    std::vector<double> row;
    std::vector<std::vector<double>> rp(which.size()), yp(which.size());
    const int threads = std::max(1, std::min<int>(fp.threads, int(which.size())));
    std::unique_ptr<WorkerPool> pool = threads > 1 ? std::make_unique<WorkerPool>(threads) : nullptr;
    std::vector<std::string> errors(which.size());
    auto out = [&](double t, const double* y, const std::vector<const double*>& s) {
        const auto out0 = Clock::now();
        run.t.push_back(t);
        main->output_row(t, y, row);
        for (std::size_t c = 0; c < columns.size(); ++c) run.v[c].push_back(row[columns[c]]);
        // Each parameter's row at y + step * s on its model a step away (one thread each): a
        // one-sided difference, the rows being the dearest part of a run (a full evaluation of
        // every device each); its error is of the order of the step.
        auto one = [&](std::size_t j) {
            try {
                const bool up = nets[j].plus_step >= nets[j].minus_step;
                const double w = up ? nets[j].plus_step : -nets[j].minus_step;
                auto& v = yp[j];
                v.resize(n);
                for (std::size_t i = 0; i < n; ++i) v[i] = y[i] + w * s[j][i];
                (up ? pairs[j].plus : pairs[j].minus)->output_row(t, v.data(), rp[j]);
            } catch (const std::exception& e) {
                errors[j] = e.what();
            }
        };
        if (pool) {
            pool->run(std::int64_t(which.size()), [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t j = b; j < e; ++j) one(std::size_t(j));
            });
        } else {
            for (std::size_t j = 0; j < which.size(); ++j) one(j);
        }
        for (std::size_t j = 0; j < which.size(); ++j) {
            if (!errors[j].empty()) throw std::runtime_error(errors[j]);
            const double w = nets[j].plus_step >= nets[j].minus_step ? nets[j].plus_step : -nets[j].minus_step;
            for (std::size_t c = 0; c < columns.size(); ++c)
                run.d[j][c].push_back((rp[j][columns[c]] - row[columns[c]]) / w);
        }
        run.output_s += std::chrono::duration<double>(Clock::now() - out0).count();
    };
    run.stats = integrate_forward(net, nets, solver_options(main->spec()), t0, y0, s0, times, out, fp.threads);
    run.wall_s = std::chrono::duration<double>(Clock::now() - wall0).count();
    return run;
}

}  // namespace dctwin::calib
