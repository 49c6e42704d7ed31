// Lumping identical devices under identical load (simulation.lumping: identical) is an
// optimisation, not a model change: a lumped device's nodes carry n times the capacities and
// conductances and n times the power, so each of its n members follows the trajectory the
// resolved devices follow. The site-level answer must be the same to the solver's tolerance.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "tests/models/model_test_util.hpp"
#include "io/results.hpp"

using namespace dctwin;

namespace {
const std::string kDir = std::string(DCTWIN_SOURCE_DIR) + "/sites/";

std::string scratch(const std::string& name) { return test::scratch("lumping", name); }

struct Run {
    RunSummary s;
    std::size_t modelled = 0, states = 0;
    std::vector<double> rack_max_T, rack_mean_T, rack_power, rack_throttled;  // every row, every rack
};

Run run(const std::string& site, std::vector<std::string> sets, const std::string& lumping, double duration) {
    sets.push_back("simulation.lumping=" + lumping);
    sets.push_back("simulation.write_states=false");
    SiteModel m(load_site(kDir + site, sets));
    RunOptions o;
    o.duration = duration;
    o.output = scratch(site + "-" + lumping + ".h5");
    o.force = true;
    Run r;
    r.s = run_site(m, o);
    r.modelled = m.devices().size();
    r.states = m.network().size();
    ResultsReader rd(o.output);
    r.rack_max_T = rd.read("/racks/max_junction_temperature");
    r.rack_mean_T = rd.read("/racks/mean_junction_temperature");
    r.rack_power = rd.read("/racks/power");
    r.rack_throttled = rd.read("/racks/throttled_devices");
    return r;
}

// |a - b| over the largest |b| of the series.
double worst(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double d = 0, scale = 1e-300;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i])), scale = std::max(scale, std::abs(b[i]));
    return d / scale;
}

void check_same(const Run& l, const Run& r, double rel, double kelvin) {
    CHECK(l.s.devices == r.s.devices);
    CHECK(l.s.e_grid == doctest::Approx(r.s.e_grid).epsilon(rel));
    CHECK(l.s.e_it == doctest::Approx(r.s.e_it).epsilon(rel));
    CHECK(l.s.e_cooling == doctest::Approx(r.s.e_cooling).epsilon(rel));
    CHECK(l.s.e_losses == doctest::Approx(r.s.e_losses).epsilon(rel));
    CHECK(l.s.pue == doctest::Approx(r.s.pue).epsilon(rel));
    CHECK(std::abs(l.s.max_junction_T - r.s.max_junction_T) < kelvin);
    CHECK(l.s.throughput_fraction == doctest::Approx(r.s.throughput_fraction).epsilon(rel));
    for (int k = 0; k < 4; ++k) CHECK(l.s.throttled_s[k] == doctest::Approx(r.s.throttled_s[k]).epsilon(rel));
    CHECK(l.s.limits.lost_total == doctest::Approx(r.s.limits.lost_total).epsilon(rel));
    CHECK(l.s.energy_balance_error < 1e-9);
    // Every rack, every row: the same temperatures and powers.
    CHECK(worst(l.rack_power, r.rack_power) < rel);
    CHECK(worst(l.rack_throttled, r.rack_throttled) == 0.0);
    double dT = 0;
    for (std::size_t i = 0; i < l.rack_max_T.size(); ++i)
        dT = std::max({dT, std::abs(l.rack_max_T[i] - r.rack_max_T[i]), std::abs(l.rack_mean_T[i] - r.rack_mean_T[i])});
    CHECK(dT < kelvin);
}
}  // namespace

TEST_CASE("lumping: the example pod with every device lumped gives the resolved answer") {
    // 160 devices in 4 racks, one job, no manufacturing spread: each rack's 32 GPUs and 8 CPUs
    // are two lumps.
    const Run r = run("example-pod.yaml", {}, "none", 1800);
    const Run l = run("example-pod.yaml", {}, "identical", 1800);
    CHECK(r.modelled == 160);
    CHECK(l.modelled == 8);
    CHECK(l.states < r.states / 5);
    CHECK(l.s.hottest_device.find("..") != std::string::npos);  // a lump is named after its members
    // At the default tolerance the two runs take different steps: they agree to it.
    check_same(l, r, 1e-6, 1e-3);
}

TEST_CASE("lumping: thermal throttling, power caps and lost work are the same, to a tight tolerance") {
    // The hot-spot pod without manufacturing spread: the weak rack throttles thermally, the
    // others run at their power cap; one synchronous job slows to the weak rack's pace.
    const std::vector<std::string> sets{"variability.thermal_resistance=0", "variability.leakage=0",
                                        "simulation.solver={rtol: 1e-9, atol_temperature: 1e-7 K}"};
    const Run r = run("hotspot-pod.yaml", sets, "none", 1800);
    const Run l = run("hotspot-pod.yaml", sets, "identical", 1800);
    CHECK(l.modelled == 4);
    REQUIRE(r.s.throttled_s[0] > 0);  // power cap
    REQUIRE(r.s.throttled_s[1] > 0);  // thermal
    REQUIRE(r.s.limits.lost_total > 0);
    check_same(l, r, 1e-7, 1e-5);
    // The first thermal throttle happens at the same time.
    auto first = [](const RunSummary& s) {
        for (const auto& e : s.events)
            if (e.kind == "thermal_throttle_onset") return e.time;
        return -1.0;
    };
    CHECK(first(l.s) > 0);
    CHECK(first(l.s) == doctest::Approx(first(r.s)).epsilon(1e-6));
}

TEST_CASE("lumping: devices that differ are never lumped") {
    // With manufacturing spread every device is its own: lumping changes nothing.
    const Run r = run("hotspot-pod.yaml", {}, "none", 600);
    const Run l = run("hotspot-pod.yaml", {}, "identical", 600);
    CHECK(l.modelled == r.modelled);
    CHECK(l.states == r.states);
    CHECK(l.s.e_grid == r.s.e_grid);
}
