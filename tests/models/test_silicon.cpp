// The silicon model: power, DVFS limits, throttling, drop-out and job pace.

#include <doctest/doctest.h>

#include <cmath>

#include <fmt/format.h>

#include "models/silicon/device_array.hpp"
#include "models/silicon/dvfs.hpp"
#include "solver/edges.hpp"
#include "solver/integrator.hpp"
#include "solver/jacobian_check.hpp"
#include "solver/network.hpp"
#include "solver/steady.hpp"

using namespace dctwin;

namespace {

constexpr double kC = 273.15;

// An H100-like device: 700 W at full clock, activity 1 and 60 degC.
DeviceParams h100() {
    DeviceParams p;
    p.idle_power = 70;
    p.leakage_power = 60;
    p.dynamic_power = 700 - 70 - 60;
    p.leakage_coeff = 0.015;
    p.leakage_ref_T = kC + 60;
    p.clock = ClockCurve{0.2, 0.65};
    p.power_cap = 700;
    p.slowdown_T = kC + 89;
    p.slowdown_band = 2;
    p.shutdown_T = kC + 92;
    return p;
}

// Devices cooled through a junction-to-coolant resistance R each to a coolant boundary.
struct Rig {
    Network net;
    DeviceArray* dev = nullptr;
    std::vector<int> junction;
    int coolant_in = -1, act = -1, limit = -1, job = -1;
    Rig(std::vector<DeviceParams> ps, std::vector<double> R, double Tcool, double activity, double C = 60,
        double ext_limit = -1) {
        act = net.add_input(std::make_unique<ConstantSignal>(activity));
        coolant_in = net.add_input(std::make_unique<ConstantSignal>(Tcool));
        if (ext_limit > 0) limit = net.add_input(std::make_unique<ConstantSignal>(ext_limit));
        const int b = net.add_boundary("coolant", coolant_in);
        auto g = std::make_unique<ConductanceBlock>("g");
        auto d = std::make_unique<DeviceArray>();
        job = d->add_job("train", true);
        for (std::size_t k = 0; k < ps.size(); ++k) {
            const int j = net.add_state({fmt::format("gpu{}/T_junction", k), "K", C, Tcool});
            junction.push_back(j);
            g->add(NodeRef::state(j), NodeRef::boundary(b), 1.0 / R[k]);
            d->add(fmt::format("gpu{}", k), {j, -1}, ps[k], act, limit, -1, job);
        }
        dev = d.get();
        net.add_block(std::move(g));
        net.add_block(std::move(d));
        net.finalize();
    }
    std::vector<double> steady() { return solve_steady(net, net.initial_state()).y; }
    double power(std::size_t k) const { return net.last_loads()[std::size_t(dev->logic_load(k))]; }
};

void check_jacobian(Network& net, const std::vector<double>& y) {
    const std::size_t n = net.size();
    const auto Ja = dense_jacobian(net, 0.0, y);
    const auto Jf = finite_difference_jacobian(net, 0.0, y, 1e-7);
    for (std::size_t i = 0; i < n * n; ++i) {
        INFO("entry " << i % n << "," << i / n << " analytic " << Ja[i] << " fd " << Jf[i]);
        CHECK(std::abs(Ja[i] - Jf[i]) <= 1e-5 * std::max(1.0, std::abs(Jf[i])));
    }
}

}  // namespace

TEST_CASE("the clock curve inverts its own dynamic power") {
    const ClockCurve c{0.2, 0.65};
    CHECK(c.g(1.0) == doctest::Approx(1.0));
    for (double x : {0.2, 0.35, 0.5, 0.8, 0.95, 1.0}) CHECK(c.g_inverse(c.g(x)) == doctest::Approx(x).epsilon(1e-12));
}

TEST_CASE("steady junction temperature: coolant + P x R with leakage at its fixed point") {
    // Hand calculation: iterate T = Tc + R (idle + dyn + leak(T)) to its fixed point.
    auto p = h100();
    p.power_cap = 1e4;  // not binding
    const double Tc = kC + 30, R = 0.04;
    double T = Tc;
    for (int i = 0; i < 200; ++i)
        T = Tc + R * (p.idle_power + p.dynamic_power + p.leakage_power * std::exp(p.leakage_coeff * (T - p.leakage_ref_T)));
    Rig rig({p}, {R}, Tc, 1.0);
    const auto y = rig.steady();
    CHECK(y[std::size_t(rig.junction[0])] == doctest::Approx(T).epsilon(1e-10));
    CHECK(rig.dev->reason(0) == Throttle::none);
    CHECK(rig.dev->clock(0) == 1.0);
}

TEST_CASE("the power cap is held in steady state, and costs what published figures say") {
    // Capping an H100 from 700 W to 600 W costs ~10-15 % of step time in pretraining
    // (shared/reference/parameters.md, [S]); compute-bound step time goes as 1 / clock.
    auto p = h100();
    p.power_cap = 600;
    Rig rig({p}, {0.04}, kC + 30, 1.0);
    const auto y = rig.steady();
    CHECK(rig.dev->reason(0) == Throttle::power_cap);
    CHECK(std::abs(rig.power(0) - 600.0) / 600.0 < 0.005);
    const double slower = 1.0 / rig.dev->clock(0) - 1.0;
    CHECK(slower > 0.10);
    CHECK(slower < 0.15);
    check_jacobian(rig.net, y);
}

TEST_CASE("an external power limit throttles with its own reason") {
    auto p = h100();
    Rig rig({p}, {0.04}, kC + 30, 1.0, 60, 450.0);
    const auto y = rig.steady();
    CHECK(rig.dev->reason(0) == Throttle::external);
    CHECK(rig.power(0) == doctest::Approx(450.0).epsilon(1e-9));
    check_jacobian(rig.net, y);
}

TEST_CASE("thermal slowdown starts at the configured temperature, found by root-finding") {
    // No leakage, no cap: T(t) = Tc + P R (1 - exp(-t / (R C))) until T reaches slowdown.
    auto p = h100();
    p.leakage_power = 0, p.dynamic_power = 630, p.power_cap = 1e4;
    const double Tc = kC + 40, R = 0.1, C = 60;  // would settle at 40 + 70 degC: well past slowdown
    Rig rig({p}, {R}, Tc, 1.0, C);
    SolverOptions o;
    o.rtol = 1e-9;
    o.abstol_scale = 1e-5;  // 1e-9 K: the crossing time is as exact as the temperature
    Integrator integ(rig.net, o);
    integ.start(0, rig.net.initial_state());
    while (!integ.advance(60)) {}
    const auto ev = integ.take_events();
    REQUIRE(!ev.empty());
    CHECK(ev[0].kind == "thermal_throttle_onset");
    const double P = 700;
    const double exact = -R * C * std::log(1 - (p.slowdown_T - Tc) / (P * R));
    CHECK(ev[0].time == doctest::Approx(exact).epsilon(1e-6));
    // It then settles inside the slowdown band, throttled for thermal reasons, below shutdown.
    const auto y = rig.steady();
    CHECK(rig.dev->reason(0) == Throttle::thermal);
    CHECK(y[std::size_t(rig.junction[0])] > p.slowdown_T);
    CHECK(y[std::size_t(rig.junction[0])] < p.slowdown_T + p.slowdown_band);
    CHECK(rig.dev->clock(0) < 1.0);
    check_jacobian(rig.net, y);
}

TEST_CASE("a synchronous job runs at its slowest member's pace") {
    // Two identical GPUs, one behind a poor cold plate: it throttles, and the job follows it.
    auto p = h100();
    Rig rig({p, p}, {0.03, 0.085}, kC + 35, 1.0);
    const auto y = rig.steady();
    CHECK(rig.dev->reason(1) == Throttle::thermal);
    CHECK(rig.dev->clock(1) < rig.dev->clock(0));
    CHECK(rig.dev->job_pace(0) == rig.dev->clock(1));
    CHECK(rig.dev->job_slowest(0) == 1);
    check_jacobian(rig.net, y);
    // Integrated: the work accumulator gains pace x time.
    Integrator integ(rig.net, SolverOptions{});
    integ.start(0, y);
    REQUIRE(integ.advance(100));
    CHECK(integ.y()[std::size_t(rig.dev->job_work_state(0))] == doctest::Approx(100 * rig.dev->clock(1)).epsilon(1e-6));
    CHECK(integ.y()[std::size_t(rig.dev->throttle_state(Throttle::thermal))] == doctest::Approx(100).epsilon(1e-6));
}

TEST_CASE("crossing the shutdown temperature drops the device out and stalls the job") {
    // The cap is off and the cooling hopeless: the device runs past slowdown to shutdown.
    auto p = h100();
    p.power_cap = 1e4;
    p.slowdown_band = 50;       // a gentle ramp that cannot hold the temperature
    p.clock.x_min = 0.9;
    Rig rig({p, p}, {0.2, 0.03}, kC + 40, 1.0);
    SolverOptions o;
    Integrator integ(rig.net, o);
    integ.start(0, rig.net.initial_state());
    while (!integ.advance(600)) {}
    const auto ev = integ.take_events();
    auto find = [&](const std::string& kind) {
        for (const auto& e : ev)
            if (e.kind == kind) return e;
        FAIL("no event " << kind);
        return Event{};
    };
    const auto sd = find("shutdown");
    CHECK(sd.path == "gpu0");
    CHECK(find("job_stalled").path == "jobs/train");
    CHECK(find("job_stalled").time == sd.time);
    CHECK(rig.dev->dropped(0));
    std::vector<double> f(rig.net.size());
    rig.net.rhs(600, integ.y().data(), f.data());
    CHECK(rig.power(0) == 0.0);
    CHECK(rig.dev->job_pace(0) == 0.0);
    // It cools towards the coolant once off.
    CHECK(integ.y()[std::size_t(rig.junction[0])] < p.shutdown_T);
}

TEST_CASE("the device Jacobian is exact in every regime, including the clock floor") {
    auto p = h100();
    p.power_cap = 150;  // below what even x_min draws at full activity: the floor
    Rig rig({p}, {0.04}, kC + 30, 1.0);
    auto y = rig.net.initial_state();
    y[std::size_t(rig.junction[0])] = kC + 70;
    check_jacobian(rig.net, y);
    std::vector<double> f(y.size());
    rig.net.rhs(0, y.data(), f.data());
    CHECK(rig.dev->clock(0) == doctest::Approx(0.2));
    CHECK(rig.power(0) > 150);  // the cap cannot be met at the lowest clock
}
