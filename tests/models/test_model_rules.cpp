// The model's own rules on edge cases found by independent checks (issue 21's physics defects):
// each case failed before its fix.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <filesystem>
#include <unistd.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/loss.hpp"
#include "solver/steady.hpp"
#include "io/results.hpp"

using namespace dctwin;

namespace {
const std::string kSites = std::string(DCTWIN_SOURCE_DIR) + "/sites/";
constexpr double kC = 273.15;
}  // namespace

TEST_CASE("rules: the chiller's leaving_range and condenser_range are temperatures, not lengths") {
    const SiteSpec s = load_site(kSites + "h100-pod.yaml", {"facility.plant.chiller.leaving_range=[5 degC, 10 degC]",
                                                             "facility.plant.chiller.condenser_range=[283 K, 35 degC]"});
    CHECK(s.facility.plant.chiller.leaving_lo == doctest::Approx(kC + 5));
    CHECK(s.facility.plant.chiller.leaving_hi == doctest::Approx(kC + 10));
    CHECK(s.facility.plant.chiller.condenser_lo == doctest::Approx(283));
    CHECK(s.facility.plant.chiller.condenser_hi == doctest::Approx(kC + 35));
    CHECK_THROWS_WITH_AS(load_site(kSites + "h100-pod.yaml", {"facility.plant.chiller.leaving_range=[278 m, 283 m]"}),
                         doctest::Contains("expected a temperature"), InputError);
}

TEST_CASE("rules: the steady start converges on fast states (a 0.8 J/K bare die, 0.02 L of rack coolant)") {
    // Roundoff in the large opposing flows of a small capacity leaves |dy/dt| near 1e-12 K/s at
    // equilibrium, which an absolute test of 1e-8 x abstol per second could not pass. At the
    // steady state every watt drawn leaves as heat (conservation of energy).
    for (const std::string set : {"device_types.h100.junction_heat_capacity=0.8 J/K",
                                  "rack_types.hgx-h100.coolant_volume=0.02 L"}) {
        CAPTURE(set);
        SiteModel m(load_site(kSites + "example-pod.yaml", {set}));
        Network& net = m.network();
        SteadyResult st;
        REQUIRE_NOTHROW(st = solve_steady(net, net.initial_state(), SteadyOptions{}));
        const SitePoint p = m.point(0, st.y.data());
        CHECK(p.grid_power == doctest::Approx(p.heat_rejection).epsilon(1e-9));
        // The same state as the example's own (the capacities do not enter the steady state).
        SiteModel base(load_site(kSites + "example-pod.yaml"));
        const SteadyResult b = solve_steady(base.network(), base.network().initial_state(), SteadyOptions{});
        CHECK(base.point(0, b.y.data()).max_junction_T == doctest::Approx(p.max_junction_T).epsilon(1e-9));
    }
}

TEST_CASE("rules: Newton's steady start is the continuation's, in fewer iterations") {
    // The same equilibrium whichever way it is reached: every state within the convergence
    // test's reach of the other (1e-6 of its absolute tolerance would be far inside it; 1e-3
    // allows for the continuation's last iterate), and every watt drawn leaves as heat.
    // training-campus starts its site battery's rate limiter deep in saturation, where Newton
    // steps go nowhere: the continuation takes over from the start.
    for (const std::string site : {"example-pod", "h100-pod", "tower-pod", "training-campus", "outage-pod",
                                   "rack-power-pod", "hotspot-pod"}) {
        CAPTURE(site);
        SiteModel m(load_site(kSites + site + ".yaml"));
        Network& net = m.network();
        SteadyOptions newton, ptc;
        ptc.newton_first = false;
        const SteadyResult a = solve_steady(net, net.initial_state(), newton);
        const SteadyResult b = solve_steady(net, net.initial_state(), ptc);
        if (site == "training-campus")
            CHECK(a.iterations == b.iterations + 1);  // the one Newton iteration tried
        else
            CHECK(a.iterations <= std::min(b.iterations, 10));
        double worst = 0.0;
        for (std::size_t i = 0; i < net.size(); ++i)
            worst = std::max(worst, std::abs(a.y[i] - b.y[i]) / net.states()[i].abstol);
        CHECK(worst < 1e-3);
        const SitePoint p = m.point(0, a.y.data());
        CHECK(p.grid_power == doctest::Approx(p.heat_rejection).epsilon(1e-9));
    }
}

TEST_CASE("rules: a hall that cannot shed its heat gets no steady state, not an absurd one") {
    // With 1 mW/K to the outside the hall's equilibrium lies near 1.8e7 K, which Newton would
    // find; no step may leave the temperatures a site can have, so the continuation reports
    // the drifting air instead.
    SiteModel m(load_site(kSites + "example-pod.yaml", {"halls.hall1.air.cooling_conductance=0.001 W/K"}));
    Network& net = m.network();
    SteadyOptions o;
    o.max_iterations = 40;
    CHECK_THROWS_WITH_AS(solve_steady(net, net.initial_state(), o), doctest::Contains("hall1/air/T"),
                         SteadyStateError);
}

TEST_CASE("rules: an overloaded chiller's steady start says the plant lacks capacity") {
    // A chiller-only plant of 10 kW under the h100 pod's load: no steady state exists, the water
    // warms without end; the error says why, with the plant's capacity and the site's draw.
    SiteModel m(load_site(kSites + "h100-pod.yaml",
                          {"facility.plant={pipe_volume: 10 m3, pipe_segments: 4, chiller: {capacity: 10 kW, cop: 5.5, "
                           "condenser: air}}"}));
    RunOptions o;
    o.duration = 60;
    try {
        (void)run_site(m, o);
        FAIL("the steady start succeeded");
    } catch (const SteadyStateError& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("the facility plant lacks capacity") != std::string::npos);
        CHECK(msg.find("raise facility.plant's chiller or economiser capacity") != std::string::npos);
    }
}

TEST_CASE("rules: power-only mode reports no heat rejected (not computed, null in JSON)") {
    SiteModel m(load_site(kSites + "example-pod.yaml", {"simulation.mode=power-only"}));
    RunOptions o;
    o.duration = 120;
    const RunSummary s = run_site(m, o);
    CHECK(std::isnan(s.e_rejected));
    CHECK(s.to_json()["energy_J"]["rejected"].is_null());
    CHECK(s.e_grid > 0);
}

TEST_CASE("rules: power-only mode's rows hold no heat rejected either (NaN), the full run's do") {
    for (const bool power_only : {true, false}) {
        CAPTURE(power_only);
        std::vector<std::string> sets;
        if (power_only) sets.push_back("simulation.mode=power-only");
        SiteModel m(load_site(kSites + "example-pod.yaml", sets));
        RunOptions o;
        o.duration = 60;
        o.output = (std::filesystem::temp_directory_path() /
                    ("dctwin-rules-rejected-" + std::to_string(::getpid()) + (power_only ? "-p.h5" : "-f.h5")))
                       .string();
        o.force = true;
        (void)run_site(m, o);
        {
            const ResultsReader r(o.output);
            for (const char* path : {"/site/heat_rejection_power", "/site/energy_rejected"}) {
                const auto v = r.read(path);
                REQUIRE(!v.empty());
                for (double x : v) CHECK(std::isnan(x) == power_only);
            }
        }
        std::filesystem::remove(o.output);
        std::filesystem::remove(std::filesystem::path(o.output).replace_extension(".xmf"));
    }
}

TEST_CASE("rules: an efficiency curve of one point is that efficiency above it, its loss below") {
    // A UPS curve of one point (97 % at 50 %): P_in = P_out / 0.97 at and above half load; the
    // loss of half load below it.
    const SiteSpec s = load_site(kSites + "example-pod.yaml", {"power.ups.efficiency_curve=[{load: 50 %, efficiency: 0.97}]"});
    REQUIRE(s.power.ups.curve.size() == 1);
    const double rating = 300e3;
    const LossModel l = LossModel::efficiency_curve({0.5}, {0.97}, rating, 1);
    for (double p : {150e3, 200e3, 300e3, 400e3}) {
        double d = 0;
        CHECK(l.loss(p, &d) == doctest::Approx(p * (1 / 0.97 - 1)).epsilon(1e-12));
        if (p > 150e3) CHECK(d == doctest::Approx(1 / 0.97 - 1).epsilon(1e-12));  // above the point
    }
    CHECK(l.loss(10e3, nullptr) == doctest::Approx(150e3 * (1 / 0.97 - 1)).epsilon(1e-12));
    SiteModel m(s);  // and the site builds on it
}

TEST_CASE("rules: a cooling tower at its YorkCalc design point builds with the default air_temperature_rise") {
    // YorkCalc design: 25.55 degC wet-bulb, 3.89 K approach, 5.56 K range (10 F: 975 kW at the
    // pod's rated flow), so approach + range < 10 K: with the air rising 10 K no counterflow
    // exchanger rejects the capacity (effectiveness 10 / (3.89 + 5.56) = 1.058 needed). A
    // tower's default balances its air with the water.
    const std::string tower =
        "facility.plant.economiser={kind: cooling_tower, capacity: 975 kW, design_temperature: 25.55 degC, approach: "
        "3.89 K, fan_power: 15 kW}";
    CHECK_NOTHROW(SiteModel(load_site(kSites + "tower-pod.yaml", {tower})));
    const std::string ten = tower.substr(0, tower.size() - 1) + ", air_temperature_rise: 10 K}";
    CHECK_THROWS_WITH_AS(SiteModel(load_site(kSites + "tower-pod.yaml", {ten})),
                         doctest::Contains("(effectiveness 1.058 needed): raise the approach or lower the air "
                                           "temperature rise"),
                         InputError);
}

TEST_CASE("rules: a device that starts beyond its shutdown temperature has crossed it at the start") {
    // The example pod's H100s settle near 35 degC at their slowest clock: with the shutdown
    // temperature at 30 degC every one of them starts beyond it, and drops out at t = 0, as
    // root-finding would have had it cross the threshold on the way there.
    SiteModel m(load_site(kSites + "example-pod.yaml", {"device_types.h100.shutdown_temperature=30 degC",
                                                        "device_types.h100.slowdown_temperature=25 degC"}));
    std::size_t gpus = 0;
    for (std::size_t k = 0; k < m.devices().size(); ++k) gpus += m.devices().path(k).find("/gpu") != std::string::npos;
    REQUIRE(gpus == 128);
    RunOptions o;
    o.duration = 120;
    const RunSummary s = run_site(m, o);
    std::size_t shutdowns = 0, onsets = 0;
    for (const auto& e : s.events) {
        if (e.kind == "shutdown") {
            CHECK(e.time == 0.0);
            ++shutdowns;
        }
        if (e.kind == "thermal_throttle_onset" && e.time == 0.0) ++onsets;
    }
    CHECK(shutdowns == gpus);
    CHECK(onsets == gpus);  // beyond the slowdown temperature too
    // Every GPU dropped out for the whole run: device-seconds of dropped out = 128 x 120 s.
    CHECK(s.throttled_s[3] == doctest::Approx(double(gpus) * 120.0));
    CHECK(s.energy_balance_error < 1e-9);
    // Thresholds below the start change nothing at the start: the shipped pod starts clean.
    SiteModel clean(load_site(kSites + "example-pod.yaml", {}));
    const RunSummary c = run_site(clean, o);
    for (const auto& e : c.events) CHECK(e.time > 0.0);
    CHECK(c.throttled_s[3] == 0.0);
}

TEST_CASE("rules: a loss curve at a NaN load gives NaN, never a read past its table") {
    // A diverging state (the overloaded plant above) reaches the loss curves as NaN: the
    // interpolant's search then ran off its table's end (found by AddressSanitizer).
    const Pchip c({0.1, 0.5, 1.0}, {0.90, 0.95, 0.94});
    double slope = 0.0;
    CHECK(std::isnan(c(std::nan(""), &slope)));
    CHECK(std::isnan(slope));
    CHECK(c(0.5) == doctest::Approx(0.95));
}
