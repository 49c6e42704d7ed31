// The cooling chain: exchanger and chiller closed forms, affinity laws, the loop's heat
// balance, PUE of the shipped liquid-cooled pod, and a CDU pump trip's ride-through.

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "input/site_loader.hpp"
#include "models/cooling/physics.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/steady.hpp"
#include "io/results.hpp"

using namespace dctwin;
using namespace dctwin::cooling;

namespace {
const std::string kDir = std::string(DCTWIN_SOURCE_DIR) + "/sites/";
constexpr double kC = 273.15;

std::string scratch(const std::string& name) {
    const auto d = std::filesystem::temp_directory_path() / "dctwin-cooling-tests";
    std::filesystem::create_directories(d);
    return (d / name).string();
}
}  // namespace

TEST_CASE("epsilon-NTU: counterflow against its closed forms and limits") {
    // Incropera, Fundamentals of Heat and Mass Transfer, Table 11.3 (counterflow).
    for (double ntu : {0.1, 0.5, 1.0, 2.0, 5.0}) {
        CHECK(counterflow_effectiveness(ntu, 0.0) == doctest::Approx(1 - std::exp(-ntu)).epsilon(1e-12));
        CHECK(counterflow_effectiveness(ntu, 1.0) == doctest::Approx(ntu / (1 + ntu)).epsilon(1e-12));
        for (double cr : {0.25, 0.5, 0.75}) {
            const double e = std::exp(-ntu * (1 - cr));
            const double eps = counterflow_effectiveness(ntu, cr);
            CHECK(eps == doctest::Approx((1 - e) / (1 - cr * e)).epsilon(1e-12));
            CHECK(counterflow_ntu(eps, cr) == doctest::Approx(ntu).epsilon(1e-9));
            // Effectiveness rises with NTU and falls with Cr.
            CHECK(counterflow_effectiveness(ntu * 1.1, cr) > eps);
            CHECK(counterflow_effectiveness(ntu, cr + 0.1) < eps);
        }
    }
    // Energy: the heat leaving the hot stream equals the heat entering the cold one, and the
    // cold outlet never passes the hot inlet.
    const double ch = 50e3, cc = 80e3, ua = 120e3, th = 320, tc = 300;
    const double q = exchange(ua, ch, cc) * (th - tc);
    CHECK(q > 0);
    CHECK(tc + q / cc < th);
    CHECK(th - q / ch > tc);
    CHECK(exchange(ua, 0.0, cc) == 0.0);  // no flow, no heat
}

TEST_CASE("DOE-2 chiller curves give the rated COP at the reference point") {
    // Modelica Buildings ElectricEIR data (DOE-2 centrifugal 5.50 COP), reference 6.67 degC
    // leaving chilled water and 29.4 degC entering condenser water; /work/shared/reference.
    const std::array<double, 6> cap{0.257896, 0.0389016, -2.1708e-4, 0.0468684, -9.4284e-4, -3.4344e-4};
    const std::array<double, 6> eir{0.933884, -0.058212, 4.50036e-3, 2.43e-3, 4.86e-4, -1.215e-3};
    const std::array<double, 3> plr{0.222903, 0.313387, 0.463710};
    CHECK(biquadratic(cap, 6.67, 29.4) == doctest::Approx(1.0).epsilon(0.005));
    CHECK(biquadratic(eir, 6.67, 29.4) == doctest::Approx(1.0).epsilon(0.005));
    CHECK(quadratic(plr, 1.0) == doctest::Approx(1.0).epsilon(1e-5));
    // Full load at the reference: Q = cap_ref CAPFT, P = Q / COP_ref EIRFT EIRFPLR(1).
    const double q = 1e6 * biquadratic(cap, 6.67, 29.4);
    const double p = q / 5.5 * biquadratic(eir, 6.67, 29.4) * quadratic(plr, 1.0);
    CHECK(q / p == doctest::Approx(5.5).epsilon(0.005));
}

TEST_CASE("affinity laws: flow ~ n, head ~ n^2, power ~ n^3") {
    for (double n : {0.25, 0.5, 0.8, 1.0}) {
        CHECK(affinity_flow(10.0, n) == doctest::Approx(10.0 * n));
        CHECK(affinity_head(200e3, n) == doctest::Approx(200e3 * n * n));
        CHECK(affinity_power(30e3, n) == doctest::Approx(30e3 * n * n * n));
        // Consistent: hydraulic power = flow x head scales as power does.
        CHECK(affinity_flow(10.0, n) * affinity_head(200e3, n) == doctest::Approx(10.0 * 200e3 * std::pow(n, 3)));
    }
}

TEST_CASE("h100-pod: the loop in steady state rejects exactly the heat put in") {
    SiteModel m(load_site(kDir + "h100-pod.yaml"));
    Network& net = m.network();
    SteadyOptions so;
    so.t = 14 * 3600.0;  // mid-afternoon of the design day: economiser and chiller both at work
    const auto st = solve_steady(net, net.initial_state(), so);
    const SitePoint p = m.point(so.t, st.y.data());
    // Every watt drawn leaves through a boundary (1e-6 relative).
    CHECK(std::abs(p.grid_power - p.heat_rejection) / p.grid_power < 1e-6);
    // The plant takes from the water what the CDU and the fan walls put in, plus the pump's heat.
    const EvalContext ctx = net.view(so.t, st.y.data());
    const auto& cs = m.cooling();
    const PlantState ps = cs.plant(ctx);
    const double consumers = cs.cdu_point(ctx, 0).duty + cs.crah_duty(ctx, 0);
    double pump = 0;
    for (std::size_t l = 0; l < net.loads().size(); ++l)
        if (net.loads()[l].path == "cooling/facility/pump/power") pump = net.last_loads()[l];
    CHECK(pump > 0);
    CHECK(ps.economiser_heat + ps.chiller_heat == doctest::Approx(consumers + pump).epsilon(1e-6));
    // The CDU's controller holds its set point, the plant its supply (economiser leads 0.5 K low).
    CHECK(st.y[std::size_t(cs.cdu_supply_state(0))] == doctest::Approx(30 + kC).epsilon(1e-6));
    CHECK(cs.facility_supply(ctx) < 25 + kC + 0.1);
}

TEST_CASE("h100-pod: a pump at rated flow draws flow x head / efficiency") {
    SiteModel m(load_site(kDir + "h100-pod.yaml"));
    Network& net = m.network();
    const auto y = solve_steady(net, net.initial_state(), {}).y;
    m.point(0, y.data());
    // CDU secondary pump: 32 racks x 40 L/min at 250 kPa, 70 % (the default efficiency).
    const double q = 32 * 40.0 / 60e3;
    for (std::size_t l = 0; l < net.loads().size(); ++l)
        if (net.loads()[l].path == "cooling/cdus/cdu1/pump/power")
            CHECK(net.last_loads()[l] == doctest::Approx(q * 250e3 / 0.7).epsilon(1e-12));
    // Facility pump: variable flow, P = P_rated (q / q_rated)^3 with q_rated = 30 + 12 L/s.
    const EvalContext ctx = net.view(0, y.data());
    const double qf = m.cooling().facility_flow(ctx);
    for (std::size_t l = 0; l < net.loads().size(); ++l)
        if (net.loads()[l].path == "cooling/facility/pump/power")
            CHECK(net.last_loads()[l] ==
                  doctest::Approx(0.042 * 200e3 / 0.75 * std::pow(qf / 0.042, 3)).epsilon(1e-9));
    // Economiser fans: P = P_rated speed^3.
    const PlantState ps = m.cooling().plant(ctx);
    for (std::size_t l = 0; l < net.loads().size(); ++l)
        if (net.loads()[l].path == "cooling/plant/economiser/fans/power")
            CHECK(net.last_loads()[l] == doctest::Approx(25e3 * std::pow(ps.fan_speed, 3)).epsilon(1e-9));
}

TEST_CASE("h100-pod: PUE over a mild design day is that of a warm-water liquid-cooled site") {
    // Sites of this kind report 1.03 (NREL ESIF, annualised) to the low 1.2s; the issue asks
    // for 1.03-1.25 at a mild design day.
    SiteModel m(load_site(kDir + "h100-pod.yaml"));
    RunOptions o;
    o.output = scratch("h100-pod-day.h5");
    o.force = true;
    const RunSummary s = run_site(m, o);
    REQUIRE(s.status == "complete");
    CHECK(s.pue > 1.03);
    CHECK(s.pue < 1.25);
    CHECK(s.energy_balance_error < 1e-6);
    // Cooling energy by component adds up to the cooling energy.
    double sum = 0;
    for (const auto& [k, v] : s.cooling_by_component) sum += v;
    CHECK(sum == doctest::Approx(s.e_cooling).epsilon(1e-6));
    const auto j = s.to_json();
    CHECK(j.contains("cooling_energy_by_component_J"));
    CHECK(j.contains("water_m3"));
    CHECK(j.contains("wue_L_per_kWh"));
    CHECK_FALSE(j.contains("ride_through_s"));  // no fault was scheduled
}

TEST_CASE("a CDU pump trip raises junction temperatures and the ride-through time is reported") {
    SiteModel m(load_site(kDir + "h100-pod.yaml",
                          {"simulation.duration=10 min", "simulation.output_interval=5 s",
                           "scenario=[{at: 60 s, kind: cdu_pump_trip, target: cdu1}]"}));
    RunOptions o;
    o.output = scratch("h100-pod-trip.h5");
    o.force = true;
    const RunSummary s = run_site(m, o);
    REQUIRE(s.status == "complete");
    // With no secondary flow the rack coolant heats until the GPUs reach their slowdown.
    REQUIRE(std::isfinite(s.ride_through_s));
    CHECK(s.ride_through_s > 0);
    CHECK(s.ride_through_s < 540);
    CHECK(s.max_junction_T > 87 + kC);
    CHECK(s.throttled_s[1] > 0);
    const auto j = s.to_json();
    CHECK(j["ride_through_s"].get<double>() == doctest::Approx(s.ride_through_s));
    CHECK(s.energy_balance_error < 1e-6);
}

TEST_CASE("tower-pod on the EPW fixture: water use and WUE are reported with PUE") {
    // A week of the synthetic temperate year (the whole year is the shipped example's run).
    SiteModel m(load_site(kDir + "tower-pod.yaml", {"simulation.duration=7 d"}));
    RunOptions o;
    o.output = scratch("tower-pod-week.h5");
    o.force = true;
    const RunSummary s = run_site(m, o);
    REQUIRE(s.status == "complete");
    CHECK(s.water_m3 > 0);
    // Evaporation alone: every joule rejected by the towers evaporates 1 / h_fg kilograms; with
    // 4 cycles of concentration make-up is 4/3 of it. Bounded by all heat going through towers.
    const double upper = (s.e_grid + 1.0) / (kLatentHeat * kWaterDensity) * 4.0 / 3.0;
    CHECK(s.water_m3 < upper);
    const double wue = s.water_m3 * 1e3 / (s.e_it / 3.6e6);
    CHECK(wue > 0.3);  // towers doing most of the work: 1.1-1.9 L/kWh reported [S]
    CHECK(wue < 2.5);
    CHECK(s.pue > 1.03);
    CHECK(s.pue < 1.25);
    const std::string text = s.to_text();
    CHECK(text.find("WUE") != std::string::npos);
    CHECK(text.find("PUE") != std::string::npos);
    CHECK(s.energy_balance_error < 1e-6);
}

TEST_CASE("a chiller trip on a hot afternoon warms the facility supply above its set point") {
    // h100-pod at 14:00 of its design day needs the trim chiller; without it the supply rises.
    SiteModel m(load_site(kDir + "h100-pod.yaml",
                          {"ambient.max_dry_bulb=24 degC", "ambient.max_wet_bulb=17 degC", "ambient.start_hour=13",
                           "simulation.duration=2 h", "simulation.output_interval=1 min",
                           "scenario=[{at: 30 min, kind: chiller_trip}]"}));
    RunOptions o;
    o.output = scratch("h100-pod-chiller-trip.h5");
    o.force = true;
    const RunSummary s = run_site(m, o);
    REQUIRE(s.status == "complete");
    ResultsReader rr(o.output);
    const auto t = rr.time();
    const auto sup = rr.read("/cooling/facility_supply_temperature");
    const auto chiller = rr.read("/cooling/plant/chiller_heat");
    CHECK(rr.unit("/cooling/facility_supply_temperature") == "degC");
    double before = 0, after = 0, q_before = 0, q_after = 0;
    for (std::size_t k = 0; k < t.size(); ++k) {
        if (t[k] <= 1800) before = std::max(before, sup[k]), q_before = std::max(q_before, chiller[k]);
        else after = std::max(after, sup[k]), q_after = std::max(q_after, chiller[k]);
    }
    CHECK(q_before > 10e3);     // the chiller was trimming
    CHECK(q_after == 0.0);      // and then it was off
    CHECK(before < 25.1);       // at the set point (the economiser leads 0.5 K low)
    CHECK(after > before + 1);  // the supply rose above it
    bool saw = false;
    for (const auto& e : s.events) saw |= e.kind == "chiller_trip" && e.time == doctest::Approx(1800);
    CHECK(saw);
    CHECK(s.energy_balance_error < 1e-6);
}
