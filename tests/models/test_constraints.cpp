// Binding constraints, lost-work attribution and headroom.

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "input/site_loader.hpp"
#include "models/headroom.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"

using namespace dctwin;

namespace {
const std::string kDir = std::string(DCTWIN_SOURCE_DIR) + "/sites/";

RunSummary run(const std::string& site, const std::vector<std::string>& sets, double duration) {
    SiteModel m(load_site(kDir + site, sets));
    RunOptions o;  // no output path: the summary only
    o.duration = duration;
    return run_site(m, o);
}

const Constraint& binding(const RunSummary& s) {
    REQUIRE(s.limits.binding.index >= 0);
    return s.limits.constraints[std::size_t(s.limits.binding.index)];
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The work the jobs lost, from their work accumulators (possible minus done) [device-s].
double lost_from_throughput(const RunSummary& s) { return s.limits.possible * (1.0 - s.throughput_fraction); }
}  // namespace

TEST_CASE("silicon binds first: with a 55 degC slowdown a GPU junction is the binding constraint") {
    const RunSummary s = run("example-pod.yaml", {"device_types.h100.slowdown_temperature=55 degC"}, 1800);
    const Constraint& c = binding(s);
    CHECK(c.family == Family::silicon);
    CHECK(c.path == "hall1/rowA/rack01/gpu/junction_temperature");
    CHECK(s.limits.binding.at_limit);
    // The job ramps to full activity at 10 min: the junctions reach the slowdown after it.
    CHECK(s.limits.binding.first_limit_time > 600);
    CHECK(s.limits.binding.first_limit_time < 900);
    // Thermal throttling is what lost the work, and all of it.
    CHECK(s.limits.lost[int(LostCause::thermal)] > 0);
    CHECK(s.limits.lost[int(LostCause::thermal)] == doctest::Approx(s.limits.lost_total).epsilon(1e-12));
}

TEST_CASE("power binds first: a 100 kW UPS under a 115 kW pod is the binding constraint") {
    const RunSummary s = run("example-pod.yaml", {"power.ups.rating=100 kW"}, 1800);
    const Constraint& c = binding(s);
    CHECK(c.family == Family::power);
    CHECK(c.path == "power/ups/load");
    CHECK(s.limits.binding.at_limit);
    CHECK(s.limits.binding.first_limit_time == doctest::Approx(600));  // the output row at the ramp
    CHECK(s.limits.binding.utilisation > 1.0);
    // A rating is a limit to respect, not a fuse: nothing trips and no work is lost.
    CHECK(s.limits.lost_total == doctest::Approx(0).epsilon(1e-9));
}

TEST_CASE("cooling binds first: a CDU rated 600 kW under a 670 kW hall is the binding constraint") {
    const RunSummary s = run("h100-pod.yaml", {"cdus.cdu1.capacity=600 kW"}, 1200);
    const Constraint& c = binding(s);
    CHECK(c.family == Family::cooling);
    CHECK(c.path == "cooling/cdus/cdu1/duty");
    CHECK(s.limits.binding.at_limit);
    CHECK(s.limits.binding.first_limit_time == 0.0);
}

TEST_CASE("the summary JSON and the constraint table agree on the binding constraint") {
    const RunSummary s = run("hotspot-pod.yaml", {}, 1800);
    const auto j = s.to_json();
    REQUIRE(j.contains("binding"));
    CHECK(j["binding"]["family"] == family_name(binding(s).family));
    CHECK(j["binding"]["constraint"] == binding(s).path);
    CHECK(j["binding"]["utilisation"].get<double>() == doctest::Approx(s.limits.binding.utilisation));
    const auto& top = j["constraints"];
    REQUIRE(top.size() > 0);
    // Highest peak first; every entry carries the fields scripts read.
    for (std::size_t i = 0; i < top.size(); ++i) {
        for (const char* k : {"name", "family", "peak_utilisation", "first_binding_time_s", "seconds_over_limit"})
            CHECK(top[i].contains(k));
        if (i > 0) CHECK(top[i]["peak_utilisation"].get<double>() <= top[i - 1]["peak_utilisation"].get<double>());
    }
    // Seconds over the limit are whole output intervals up to the run's length.
    for (const auto& st : s.limits.stats) {
        CHECK(st.seconds_over >= 0);
        CHECK(st.seconds_over <= 1800 + 1e-9);
    }
}

TEST_CASE("attribution: lost work by cause adds up to the work the jobs did not do") {
    SUBCASE("thermal throttling and power caps (hotspot-pod)") {
        const RunSummary s = run("hotspot-pod.yaml", {}, 1800);
        CHECK(s.limits.lost[int(LostCause::thermal)] > 0);
        CHECK(s.limits.lost[int(LostCause::power_cap)] > 0);
        double sum = 0;
        for (double x : s.limits.lost) sum += x;
        CHECK(sum == doctest::Approx(s.limits.lost_total).epsilon(1e-12));
        CHECK(s.limits.lost_total == doctest::Approx(lost_from_throughput(s)).epsilon(1e-6));
    }
    SUBCASE("a cooling fault: thermal throttling after a CDU pump trip counts as the fault's") {
        const RunSummary s = run("h100-pod.yaml", {"scenario=[{at: 60 s, kind: cdu_pump_trip, target: cdu1}]"}, 600);
        CHECK(s.limits.lost[int(LostCause::cooling_fault)] > 0);
        CHECK(s.limits.lost[int(LostCause::thermal)] == 0.0);
        CHECK(s.limits.lost_total == doctest::Approx(lost_from_throughput(s)).epsilon(1e-6));
    }
    SUBCASE("an outage: devices shed when the battery empties count as the outage's") {
        const RunSummary s = run("example-pod.yaml",
                                 {"power.ups.battery={capacity: 1 kWh, max_charge: 30 kW}",
                                  "power.generator={rating: 400 kW}",
                                  "scenario=[{at: 15 min, kind: utility_outage, duration: 10 min}, "
                                  "{at: 0 s, kind: generator_failure}]"},
                                 1800);
        CHECK(s.limits.lost[int(LostCause::outage)] > 0);
        CHECK(s.limits.lost_total == doctest::Approx(lost_from_throughput(s)).epsilon(1e-6));
    }
}

TEST_CASE("headroom: the IT load factor at which a rack power shelf binds, against a hand calculation") {
    // Device power with leakage fixed at its reference value is, at activity a, full clock
    // (device_array.hpp), P = idle + leak + mem_idle + a (max - idle - leak - mem_idle), so a
    // rack draws 32 P_gpu + 8 P_cpu + 4 kW of other load, and a 20 kW shelf binds at
    // k = 20 kW / P_rack on the load axis. The design time 0 s has activity 0.05.
    const std::vector<std::string> sets = {"device_types.h100.leakage_temperature_coefficient=0 1/K",
                                           "device_types.grace.leakage_temperature_coefficient=0 1/K",
                                           "rack_types.hgx-h100.power_shelf.rating=20 kW"};
    const SiteSpec spec = load_site(kDir + "example-pod.yaml", sets);
    const double a = 0.05;
    auto device = [&](const DeviceTypeSpec& d) {
        const double fixed = d.idle_power + d.leakage_power + (d.memory_power > 0 ? d.memory_idle_power : 0.0);
        return fixed + a * (d.max_power - fixed);
    };
    const double rack = 32 * device(spec.device_types.at("h100")) + 8 * device(spec.device_types.at("grace")) + 4000;
    const double expected = 20e3 / rack;

    HeadroomOptions o;
    o.at = 0;
    const HeadroomResult h = headroom(spec, o);
    const auto& p = h.family[int(Family::power)];
    CHECK(p.factor == doctest::Approx(expected).epsilon(0.01));
    CHECK(ends_with(p.constraint, "/power_shelf/load"));
    CHECK(h.first == int(Family::power));
    CHECK(h.family[int(Family::power)].today == doctest::Approx(rack / 20e3).epsilon(1e-6));
}

TEST_CASE("headroom: at the outdoor temperature it reports, cooling sits at its limit") {
    const SiteSpec spec = load_site(kDir + "h100-pod.yaml");
    HeadroomOptions o;
    o.max_factor = 2;
    const HeadroomResult h = headroom(spec, o);
    REQUIRE(h.cooling_search == 0);
    CHECK(h.cooling_dry_bulb > h.dry_bulb);
    // Steady state at that temperature: the cooling family is at 1.
    SiteSpec warm = spec;
    warm.ambient.shift = h.cooling_dry_bulb - h.dry_bulb;
    SiteModel m(warm);
    RunOptions ro;
    ro.steady = true;
    ro.steady_at = h.at;
    const RunSummary s = run_site(m, ro);
    double cooling = 0;
    for (std::size_t i = 0; i < s.limits.constraints.size(); ++i)
        if (s.limits.constraints[i].family == Family::cooling) cooling = std::max(cooling, m.constraint_utilisation()[i]);
    CHECK(cooling == doctest::Approx(1.0).epsilon(0.002));
}

TEST_CASE("headroom: the racks axis reports whole rack counts") {
    const SiteSpec spec = load_site(kDir + "example-pod.yaml");
    const SiteSpec twice = scale_site(spec, "racks", 2.0);
    std::size_t n1 = 0, n2 = 0;
    for (const auto& h : spec.halls)
        for (const auto& r : h.rows) n1 += std::size_t(r.count);
    for (const auto& h : twice.halls)
        for (const auto& r : h.rows) n2 += std::size_t(r.count);
    CHECK(n2 == 2 * n1);
    HeadroomOptions o;
    o.axis = "racks";
    o.max_factor = 4;
    const HeadroomResult h = headroom(spec, o);
    for (const auto& f : h.family)
        if (std::isfinite(f.factor)) CHECK(f.factor * double(n1) == doctest::Approx(std::round(f.factor * double(n1))));
}
