// Solver core against analytic solutions and conservation laws.

#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "models/cooling/cooling_system.hpp"
#include "models/power/fixed_loads.hpp"
#include "models/silicon/device_array.hpp"
#include "solver/edges.hpp"
#include "solver/integrator.hpp"
#include "solver/jacobian_check.hpp"
#include "solver/network.hpp"
#include "solver/steady.hpp"

using namespace dctwin;

namespace {

SolverOptions tight(SolverOptions::Method m = SolverOptions::Method::bdf) {
    SolverOptions o;
    o.method = m;
    o.rtol = 1e-10;
    o.abstol_scale = 1e-6;  // state abstol 1e-4 K -> 1e-10 K
    return o;
}

// Both integrators are held to the same closed forms.
constexpr SolverOptions::Method kMethods[] = {SolverOptions::Method::bdf, SolverOptions::Method::esdirk};
const char* method_name(SolverOptions::Method m) { return m == SolverOptions::Method::bdf ? "bdf" : "esdirk"; }

// Checks the analytic Jacobian against central differences, entry by entry, including
// entries outside the declared pattern.
void check_jacobian(Network& net, double t, const std::vector<double>& y) {
    const std::size_t n = net.size();
    const auto Ja = dense_jacobian(net, t, y);
    const auto Jf = finite_difference_jacobian(net, t, y);
    double scale = 0;
    for (double v : Jf) scale = std::max(scale, std::abs(v));
    for (std::size_t c = 0; c < n; ++c)
        for (std::size_t r = 0; r < n; ++r) {
            const double a = Ja[c * n + r], f = Jf[c * n + r];
            INFO("d(" << net.states()[r].path << ")/d(" << net.states()[c].path << "): analytic " << a
                      << ", finite difference " << f);
            CHECK(std::abs(a - f) <= 1e-6 * std::max(std::abs(f), 1e-3 * scale) + 1e-12);
        }
}

}  // namespace

TEST_CASE("RC node step response matches the exponential to 1e-6") {
    // C dT/dt = P - G (T - Tb), T(0) = Tb:  T = Tb + P/G (1 - exp(-t G / C)).
    const double C = 500.0, G = 10.0, P = 700.0, Tb = 303.15;
    Network net;
    const int in = net.add_input(std::make_unique<ConstantSignal>(Tb));
    const int b = net.add_boundary("sink", in);
    const int T = net.add_state({"node/T", "K", C, Tb});
    auto g = std::make_unique<ConductanceBlock>("g");
    g->add(NodeRef::state(T), NodeRef::boundary(b), G);
    auto src = std::make_unique<FixedLoads>();
    src->add("node/heater", P, -1, LoadCategory::it, NodeRef::state(T));
    net.add_block(std::move(g));
    net.add_block(std::move(src));
    net.finalize();

    for (const auto method : kMethods) {
        CAPTURE(method_name(method));
        Integrator integ(net, tight(method));
        integ.start(0.0, net.initial_state());
        const double tau = C / G, rise = P / G;
        for (double t : {1.0, 10.0, 50.0, 100.0, 300.0}) {
            REQUIRE(integ.advance(t));
            const double exact = rise * (1 - std::exp(-t / tau));
            const double got = integ.y()[std::size_t(T)] - Tb;
            INFO("t = " << t << " got " << got << " exact " << exact);
            CHECK(std::abs(got - exact) <= 1e-6 * std::abs(exact));
        }
    }
}

TEST_CASE("two-node network follows its closed form") {
    // x = T - Tb; dx/dt = A x with A from C1, C2, G1 (node 1 to sink), G12.
    const double C1 = 200, C2 = 3000, G1 = 5, G12 = 20, Tb = 300;
    Network net;
    const int in = net.add_input(std::make_unique<ConstantSignal>(Tb));
    const int b = net.add_boundary("sink", in);
    const int n1 = net.add_state({"a/T", "K", C1, 350});
    const int n2 = net.add_state({"b/T", "K", C2, 320});
    auto g = std::make_unique<ConductanceBlock>("g");
    g->add(NodeRef::state(n1), NodeRef::boundary(b), G1);
    g->add(NodeRef::state(n1), NodeRef::state(n2), G12);
    net.add_block(std::move(g));
    net.finalize();

    Eigen::Matrix2d A;
    A << -(G1 + G12) / C1, G12 / C1, G12 / C2, -G12 / C2;
    Eigen::EigenSolver<Eigen::Matrix2d> es(A);
    const Eigen::Matrix2d V = es.eigenvectors().real();
    const Eigen::Vector2d lam = es.eigenvalues().real();
    const Eigen::Vector2d x0(50, 20);
    const Eigen::Vector2d c = V.inverse() * x0;

    for (const auto method : kMethods) {
        CAPTURE(method_name(method));
        Integrator integ(net, tight(method));
        integ.start(0.0, net.initial_state());
        for (double t : {5.0, 60.0, 600.0, 3000.0}) {
            REQUIRE(integ.advance(t));
            Eigen::Vector2d ex = V * Eigen::Vector2d(c(0) * std::exp(lam(0) * t), c(1) * std::exp(lam(1) * t));
            CHECK(integ.y()[std::size_t(n1)] - Tb == doctest::Approx(ex(0)).epsilon(1e-6));
            CHECK(integ.y()[std::size_t(n2)] - Tb == doctest::Approx(ex(1)).epsilon(1e-6));
        }
    }
}

TEST_CASE("a closed network conserves energy to 1e-9") {
    // A ring of volumes carried round by coolant flow plus conductances between them: no
    // boundary, so sum C T must stay where it started.
    Network net;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> temp(290, 360), cap(100, 5000), g(1, 50);
    const int n = 12;
    std::vector<int> s;
    for (int i = 0; i < n; ++i) s.push_back(net.add_state({fmt::format("v{}/T", i), "K", cap(rng), temp(rng)}));
    auto cond = std::make_unique<ConductanceBlock>("g");
    auto adv = std::make_unique<AdvectionBlock>("flow");
    for (int i = 0; i < n; ++i) {
        adv->add(NodeRef::state(s[std::size_t(i)]), NodeRef::state(s[std::size_t((i + 1) % n)]), 400.0);
        cond->add(NodeRef::state(s[std::size_t(i)]), NodeRef::state(s[std::size_t((i + 5) % n)]), g(rng));
    }
    net.add_block(std::move(cond));
    net.add_block(std::move(adv));
    net.finalize();

    const auto y0 = net.initial_state();
    const double e0 = net.stored_energy(y0.data());
    Integrator integ(net, SolverOptions{});
    integ.start(0.0, y0);
    for (double t : {10.0, 100.0, 1000.0}) {
        REQUIRE(integ.advance(t));
        const double e = net.stored_energy(integ.y().data());
        CHECK(std::abs(e - e0) / e0 < 1e-9);
    }
    // It has actually mixed: the spread of temperatures has collapsed.
    double lo = 1e9, hi = 0;
    for (int i : s) lo = std::min(lo, integ.y()[std::size_t(i)]), hi = std::max(hi, integ.y()[std::size_t(i)]);
    CHECK(hi - lo < 0.1);
}

namespace {
// Every block of the slice in one small network, with a power tree two stages deep.
struct Mixed {
    Network net;
    int j0 = 0, j1 = 0, coolant = 0, air = 0, room = 0;
    Mixed() {
        const int act = net.add_input(std::make_unique<StepSchedule>(std::vector<double>{0, 5}, std::vector<double>{0.3, 0.9}));
        const int sup = net.add_input(std::make_unique<ConstantSignal>(303.15));
        const int amb = net.add_input(std::make_unique<ConstantSignal>(298.15));
        const int fac = net.add_boundary("facility", sup);
        const int out = net.add_boundary("outdoor", amb);
        room = net.add_state({"room/T", "K", 1e5, 300});
        air = net.add_state({"air/T", "K", 2e5, 299});
        coolant = net.add_state({"rack/coolant/T", "K", 4e4, 309});
        j0 = net.add_state({"gpu0/T_junction", "K", 60, 340});
        const int p0 = net.add_state({"gpu0/T_plate", "K", 400, 320});
        j1 = net.add_state({"gpu1/T_junction", "K", 60, 345});
        const int p1 = net.add_state({"gpu1/T_plate", "K", 400, 322});
        const int dist = net.add_stage({"dist", -1, 1e5, NodeRef::state(room), LossModel::linear(0.97, 500)});
        const int shelf = net.add_stage({"shelf", dist, 1e4, NodeRef::state(air), LossModel::linear(0.95, 50)});
        auto g = std::make_unique<ConductanceBlock>("g");
        g->add(NodeRef::state(room), NodeRef::boundary(out), 300);
        g->add(NodeRef::state(air), NodeRef::boundary(out), 800);
        g->add(NodeRef::state(j0), NodeRef::state(p0), 50);
        g->add(NodeRef::state(p0), NodeRef::state(coolant), 50);
        g->add(NodeRef::state(j1), NodeRef::state(p1), 40);
        g->add(NodeRef::state(p1), NodeRef::state(coolant), 45);
        auto d = std::make_unique<DeviceArray>();
        DeviceParams p;
        p.idle_power = 70, p.dynamic_power = 570, p.leakage_power = 60, p.leakage_coeff = 0.015;
        p.leakage_ref_T = 333.15, p.slowdown_T = 362.15, p.shutdown_T = 365.15;
        const int job = d->add_job("train", true);
        d->add("gpu0", {j0, -1}, p, act, -1, shelf, job);
        d->add("gpu1", {j1, -1}, p, act, -1, shelf, job);
        auto f = std::make_unique<FixedLoads>();
        f->add("nic", 300, shelf, LoadCategory::it, NodeRef::state(air));
        // The rack on a held facility supply: 2000 W/K of coolant, a 1 kW pump, fans at 2 %.
        FacilityParams fp;
        fp.supply = NodeRef::boundary(fac);
        fp.outdoor = NodeRef::boundary(out);
        fp.rho_cp = 4.18e6;
        fp.pump_power = 1000;
        fp.rated_flow = 2000 / fp.rho_cp;
        fp.specific_rejection = 0.02;
        fp.setpoint_input = sup;
        auto plant = std::make_unique<CoolingSystem>(fp);
        plant->add_rack({coolant, fp.rated_flow, -1});
        net.add_block(std::move(g));
        net.add_block(std::move(d));
        net.add_block(std::move(f));
        net.add_block(std::move(plant));
        net.finalize();
    }
};
}  // namespace

TEST_CASE("every block's analytic Jacobian matches finite differences") {
    Mixed m;
    auto y = m.net.initial_state();
    for (std::size_t i = 0; i < y.size(); ++i)
        if (m.net.states()[i].accumulator) y[i] = 1e6 * double(i);  // accumulators hold energy, not state
    check_jacobian(m.net, 1.0, y);
    check_jacobian(m.net, 7.0, y);  // after the activity step
}

TEST_CASE("energy balance closes through loads, losses and boundaries") {
    Mixed m;
    const auto y0 = m.net.initial_state();
    Integrator integ(m.net, SolverOptions{});
    integ.start(0.0, y0);
    REQUIRE(integ.advance(600.0));
    const auto y = integ.y();
    const auto& a = m.net.accounting();
    const double grid = y[std::size_t(a.grid)];
    const double stored = m.net.stored_energy(y.data()) - m.net.stored_energy(y0.data());
    const double rejected = m.net.rejected_energy(y.data());
    CHECK(grid > 1e5);
    CHECK(std::abs(grid - rejected - stored) / grid < 1e-9);
    // Grid energy splits into IT, cooling and losses.
    CHECK(y[std::size_t(a.it)] + y[std::size_t(a.cooling)] + y[std::size_t(a.losses)] ==
          doctest::Approx(grid).epsilon(1e-9));
    // The tree: every stage's input is its output plus (output + c)/eta - output.
    m.net.rhs(600.0, y.data(), std::vector<double>(m.net.size()).data());
    const auto in = m.net.last_stage_input();
    const auto out = m.net.last_stage_output();
    CHECK(in[1] == doctest::Approx((out[1] + 50) / 0.95));
    CHECK(out[0] == doctest::Approx(in[1]));
    CHECK(in[0] == doctest::Approx((out[0] + 500) / 0.97));
}

namespace {
// A 100 J/K mass heated by a device of 1000 W dynamic power whose activity steps from 0 to
// 1 at t_step: dT/dt = P(t)/C, T a ramp from there.
void step_heated_mass(Network& net, double t_step) {
    const int act = net.add_input(std::make_unique<StepSchedule>(std::vector<double>{0, t_step}, std::vector<double>{0, 1}));
    const int T = net.add_state({"m/T", "K", 100.0, 300.0});
    auto d = std::make_unique<DeviceArray>();
    DeviceParams p;
    p.dynamic_power = 1000;
    d->add("dev", {T, -1}, p, act, -1, -1, -1);
    net.add_block(std::move(d));
    net.finalize();
}
}  // namespace

TEST_CASE("the integrator stops at input steps and resolves them exactly") {
    Network net;
    step_heated_mass(net, 3.7);
    for (const auto method : kMethods) {
        CAPTURE(method_name(method));
        Integrator integ(net, tight(method));
        integ.start(0.0, net.initial_state());
        REQUIRE(integ.advance(3.7));
        CHECK(integ.y()[0] == doctest::Approx(300.0).epsilon(1e-12));
        const long steps_before = integ.stats().steps;
        REQUIRE(integ.advance(10.0));
        CHECK(integ.y()[0] == doctest::Approx(300.0 + 10.0 * 6.3).epsilon(1e-9));
        CHECK(integ.stats().reinits == 1);
        CHECK(integ.stats().steps > steps_before);  // counters run on across the restart
    }
}

TEST_CASE("an output time within rounding of a discontinuity is served, not refused") {
    // 28 * 0.05 = 1.4000000000000001, one rounding step after the switch at 0.7 * 2 = 1.4.
    Network net;
    step_heated_mass(net, 0.7 * 2);
    Integrator integ(net, tight());
    integ.start(0.0, net.initial_state());
    REQUIRE(28 * 0.05 != 0.7 * 2);
    for (int k = 1; k <= 60; ++k) REQUIRE(integ.advance(k * 0.05));
    CHECK(integ.y()[0] == doctest::Approx(300.0 + (3.0 - 1.4) * 10.0).epsilon(1e-9));
}

TEST_CASE("root-finding reports the slowdown crossing at its exact time") {
    // A device of constant power heating a mass through G to a sink: T(t) = Tb + P/G (1 - e^-t/tau).
    const double C = 60, G = 10, P = 700, Tb = 303.15, Tslow = 350.0;
    Network net;
    const int act = net.add_input(std::make_unique<ConstantSignal>(1.0));
    const int sink = net.add_input(std::make_unique<ConstantSignal>(Tb));
    const int b = net.add_boundary("sink", sink);
    const int T = net.add_state({"gpu/T_junction", "K", C, Tb});
    auto g = std::make_unique<ConductanceBlock>("g");
    g->add(NodeRef::state(T), NodeRef::boundary(b), G);
    auto d = std::make_unique<DeviceArray>();
    DeviceParams p;
    p.dynamic_power = P, p.slowdown_T = Tslow, p.slowdown_band = 1000, p.shutdown_T = 500;
    d->add("gpu", {T, -1}, p, act, -1, -1, -1);
    net.add_block(std::move(g));
    net.add_block(std::move(d));
    net.finalize();
    for (const auto method : kMethods) {
        CAPTURE(method_name(method));
        Integrator integ(net, tight(method));
        integ.start(0.0, net.initial_state());
        while (!integ.advance(60.0)) {}
        const auto ev = integ.take_events();
        REQUIRE(ev.size() == 1);
        CHECK(ev[0].kind == "thermal_throttle_onset");
        CHECK(ev[0].path == "gpu");
        const double exact = -C / G * std::log(1 - (Tslow - Tb) * G / P);
        CHECK(ev[0].time == doctest::Approx(exact).epsilon(1e-7));
    }
}

TEST_CASE("steady state equals the analytic design point") {
    Mixed m;
    const auto r = solve_steady(m.net, m.net.initial_state(), SteadyOptions{10.0});
    std::vector<double> f(m.net.size());
    m.net.rhs(10.0, r.y.data(), f.data());
    for (std::size_t i = 0; i < f.size(); ++i)
        if (!m.net.states()[i].accumulator) CHECK(std::abs(f[i]) < 1e-8);
    // Power balance at steady state: what the grid supplies, the boundaries receive.
    double rejected = 0;
    for (const auto& b : m.net.boundaries()) rejected += m.net.last_flow()[std::size_t(b.accumulator)];
    CHECK(rejected == doctest::Approx(m.net.last_grid_power()).epsilon(1e-9));
    // The coolant rises by the heat it carries over m cp.
    const double Tc = r.y[std::size_t(m.coolant)];
    const auto loads = m.net.last_loads();
    CHECK(2000 * (Tc - 303.15) == doctest::Approx(loads[0] + loads[1]).epsilon(1e-8));
}

TEST_CASE("a solver failure names the flag, SUNDIALS' message and the states by path") {
    struct Exploding final : Block {
        int s = 0;
        std::string name() const override { return "exploding"; }
        void declare(Network&) override {}
        void eval(EvalContext& ctx) const override {
            if (ctx.t > 1.0) ctx.flow[std::size_t(s)] += std::nan("");
            else ctx.flow[std::size_t(s)] += 1.0;
        }
        void jacobian(const EvalContext&, JacobianFill&, LoadDerivatives&) const override {}
    };
    Network net;
    auto b = std::make_unique<Exploding>();
    b->s = net.add_state({"hall9/rack3/gpu7/T_junction", "K", 1.0, 300});
    net.add_block(std::move(b));
    net.finalize();
    Integrator integ(net, SolverOptions{});
    integ.start(0.0, net.initial_state());
    try {
        integ.advance(10.0);
        FAIL("expected a solver failure");
    } catch (const SolverError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("CV_") != std::string::npos);
        CHECK(msg.find("hall9/rack3/gpu7/T_junction") != std::string::npos);
        CHECK(e.time >= 1.0);
        CHECK(e.time < 10.0);
    }
}

TEST_CASE("a network with no way out has no steady state, and says which states drift") {
    Network net;
    const int T = net.add_state({"sealed/T", "K", 10.0, 300});
    auto f = std::make_unique<FixedLoads>();
    f->add("sealed/heater", 100, -1, LoadCategory::it, NodeRef::state(T));
    net.add_block(std::move(f));
    net.finalize();
    SteadyOptions o;
    o.max_iterations = 30;
    CHECK_THROWS_WITH_AS(solve_steady(net, net.initial_state(), o), doctest::Contains("sealed/T"), SteadyStateError);
}

TEST_CASE("a cycle in the power tree is refused") {
    Network net;
    const int T = net.add_state({"n/T", "K", 1.0, 300});
    net.add_stage({"a", 1, 1, NodeRef::state(T), LossModel::linear(0.9, 0)});
    net.add_stage({"b", 0, 1, NodeRef::state(T), LossModel::linear(0.9, 0)});
    CHECK_THROWS_WITH_AS(net.finalize(), doctest::Contains("cycle"), std::invalid_argument);
}
