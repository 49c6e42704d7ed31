// PSU and PDU failures of the scenario: redundancy taking over (the loss rises by what the
// efficiency curve says), the shelf dropping its rack when the PSUs left cannot carry it, a
// failed busway shedding its hall.

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "tests/models/model_test_util.hpp"
#include "io/results.hpp"

using namespace dctwin;

namespace {
const std::string kPod = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";
const std::string kRack = "hall1/rowA/rack01";

// Six 5.5 kW PSUs, N+1, on a curve with points at 50 % and 60 % load: with the rack drawing
// 16.5 kW, six PSUs run at 50 % and five at 60 %, both on defining points.
const std::vector<std::string> kShelf = {
    "rack_types.hgx-h100.power_shelf={psu_count: 6, psu_rating: 5.5 kW, redundancy: 1, efficiency_curve: "
    "[{load: 10 %, efficiency: 0.90}, {load: 50 %, efficiency: 0.96}, {load: 60 %, efficiency: 0.955}, "
    "{load: 100 %, efficiency: 0.91}]}",
    "device_types.h100.leakage_temperature_coefficient=0 1/K",
    "device_types.grace.leakage_temperature_coefficient=0 1/K", "simulation.write_states=false"};

// [W] a rack of example-pod at activity a (leakage held at its reference): 32 GPUs, 8 CPUs, 4 kW.
double rack_power(const SiteSpec& s, double a) {
    auto device = [&](const DeviceTypeSpec& d) {
        const double fixed = d.idle_power + d.leakage_power + (d.memory_power > 0 ? d.memory_idle_power : 0.0);
        return fixed + a * (d.max_power - fixed);
    };
    return 32 * device(s.device_types.at("h100")) + 8 * device(s.device_types.at("grace")) + 4000.0;
}

// The activity at which a rack draws p [W] (linear in a).
double activity_for(const SiteSpec& s, double p) {
    const double p0 = rack_power(s, 0), p1 = rack_power(s, 1);
    return (p - p0) / (p1 - p0);
}

std::string scratch(const std::string& name) { return test::scratch("faults", name); }

struct Run {
    RunSummary sum;
    std::string file;
};

// example-pod at constant activity making each rack draw p [W], with scenario events.
Run run(const std::string& name, double p, const std::string& scenario, double duration = 400) {
    auto sets = kShelf;
    const double a = activity_for(load_site(kPod, sets), p);
    sets.push_back(fmt::format("workload={{activity: [{{at: 0 s, value: {:.12f}}}]}}", a));
    sets.push_back("scenario=" + scenario);
    SiteModel m(load_site(kPod, sets));
    RunOptions o;
    o.duration = duration;
    o.output = scratch(name + ".h5");
    o.force = true;
    return {run_site(m, o), o.output};
}

using test::of_kind;

// A stage series' value at the row of time t.
double stage_at(const std::string& file, const std::string& series, const std::string& stage, double t) {
    ResultsReader r(file);
    const auto time = r.time();
    const auto paths = r.read_strings("/power/stages/paths");
    std::vector<std::size_t> shape;
    const auto v = r.read(series, &shape);
    const auto col = std::size_t(std::find(paths.begin(), paths.end(), stage) - paths.begin());
    REQUIRE(col < paths.size());
    const auto row = std::size_t(std::find(time.begin(), time.end(), t) - time.begin());
    REQUIRE(row < time.size());
    return v[row * shape[1] + col];
}
}  // namespace

TEST_CASE("psu_failure: an N+1 shelf losing one PSU keeps its load, and its loss rises as the curve says") {
    const auto r = run("n-plus-1", 16.5e3, "[{at: 100 s, kind: psu_failure, target: " + kRack + "}]");
    const std::string shelf = kRack + "/power_shelf";
    // Hand calculation: 16.5 kW on six PSUs at 50 % (96 %), then on five at 60 % (95.5 %).
    const double before = 16.5e3 * (1 / 0.96 - 1), after = 16.5e3 * (1 / 0.955 - 1);
    CHECK(stage_at(r.file, "/power/stages/loss", shelf, 90) == doctest::Approx(before).epsilon(1e-6));
    CHECK(stage_at(r.file, "/power/stages/loss", shelf, 110) == doctest::Approx(after).epsilon(1e-6));
    CHECK(after - before == doctest::Approx(90.0).epsilon(1e-3));  // [W] the rise
    // The other racks' shelves are untouched.
    CHECK(stage_at(r.file, "/power/stages/loss", "hall1/rowB/rack01/power_shelf", 110) ==
          doctest::Approx(before).epsilon(1e-6));
    const auto f = of_kind(r.sum, "psu_failure");
    REQUIRE(f.size() == 1);
    CHECK(f[0].path == shelf);
    CHECK(f[0].time == doctest::Approx(100).epsilon(1e-8));
    CHECK(of_kind(r.sum, "load_shed").empty());
    CHECK(r.sum.throughput_fraction == doctest::Approx(1.0));
    // Five PSUs still make the N of the rating (27.5 kW).
    CHECK(stage_at(r.file, "/power/stages/utilisation", shelf, 110) == doctest::Approx(16.5 / 27.5).epsilon(1e-6));
    CHECK(r.sum.energy_balance_error < 1e-6);
}

TEST_CASE("psu_failure: with two PSUs gone the rating drops to the four left, which still carry 16.5 kW") {
    const auto r = run("two-low", 16.5e3, "[{at: 100 s, kind: psu_failure, target: " + kRack + ", count: 2}]");
    const std::string shelf = kRack + "/power_shelf";
    CHECK(stage_at(r.file, "/power/stages/utilisation", shelf, 90) == doctest::Approx(16.5 / 27.5).epsilon(1e-6));
    CHECK(stage_at(r.file, "/power/stages/utilisation", shelf, 110) == doctest::Approx(16.5 / 22.0).epsilon(1e-6));
    CHECK(of_kind(r.sum, "load_shed").empty());
}

TEST_CASE("psu_failure: a second failure leaves four PSUs under a 25 kW rack: the rack is shed at that time") {
    const auto r = run("second", 25e3,
                       "[{at: 100 s, kind: psu_failure, target: " + kRack + "}, {at: 200 s, kind: psu_failure, target: " +
                           kRack + "}]");
    const auto f = of_kind(r.sum, "psu_failure");
    REQUIRE(f.size() == 2);
    const auto shed = of_kind(r.sum, "load_shed");
    REQUIRE(shed.size() == 1);
    CHECK(shed[0].path == kRack + "/power_shelf");
    CHECK(shed[0].time == doctest::Approx(200).epsilon(1e-8));
    // The summary lists them with the power events. The site's one job is synchronous: with the
    // rack's 40 devices off it stalls, and all 160 members lose their work to `outage`.
    const auto j = r.sum.to_json();
    int listed = 0;
    for (const auto& e : j["outages"]) listed += e["kind"] == "psu_failure" || e["kind"] == "load_shed";
    CHECK(listed == 3);
    CHECK(r.sum.limits.lost[4] == doctest::Approx(160 * 200.0).epsilon(1e-6));
    // The rack draws nothing after the shed; the others go on.
    ResultsReader rr(r.file);
    std::vector<std::size_t> shape;
    const auto p = rr.read("/racks/power", &shape);
    const auto paths = rr.read_strings("/racks/paths");
    const auto last = p.size() - shape[1];
    for (std::size_t c = 0; c < shape[1]; ++c) CHECK((p[last + c] == 0.0) == (paths[c] == kRack));
    CHECK(r.sum.energy_balance_error < 1e-6);
}

TEST_CASE("psu_failure: a repaired PSU brings the loss back") {
    const auto r = run("repair", 16.5e3, "[{at: 100 s, kind: psu_failure, target: " + kRack + ", duration: 100 s}]");
    const std::string shelf = kRack + "/power_shelf";
    CHECK(stage_at(r.file, "/power/stages/loss", shelf, 150) == doctest::Approx(16.5e3 * (1 / 0.955 - 1)).epsilon(1e-6));
    CHECK(stage_at(r.file, "/power/stages/loss", shelf, 250) == doctest::Approx(16.5e3 * (1 / 0.96 - 1)).epsilon(1e-6));
    CHECK(of_kind(r.sum, "psu_repaired").size() == 1);
}

TEST_CASE("pdu_failure: a failed busway sheds its hall at the event time") {
    const auto r = run("pdu", 16.5e3, "[{at: 150 s, kind: pdu_failure, target: hall1/busway}]");
    const auto f = of_kind(r.sum, "pdu_failure");
    REQUIRE(f.size() == 1);
    CHECK(f[0].time == doctest::Approx(150).epsilon(1e-8));
    const auto shed = of_kind(r.sum, "load_shed");
    REQUIRE(shed.size() == 1);
    CHECK(shed[0].path == "hall1/busway");
    CHECK(r.sum.limits.lost[4] == doctest::Approx(160 * 250.0).epsilon(1e-6));
    ResultsReader rr(r.file);
    CHECK(rr.read("/site/it_power").back() == 0.0);
    CHECK(r.sum.energy_balance_error < 1e-6);
}

TEST_CASE("psu_failure and pdu_failure name what they fail") {
    auto sets = kShelf;
    sets.push_back("scenario=[{at: 1 s, kind: psu_failure, target: hall1/rowA/rack09}]");
    CHECK_THROWS_WITH_AS(SiteModel(load_site(kPod, sets)), doctest::Contains("no rack \"hall1/rowA/rack09\""), InputError);
    sets.back() = "scenario=[{at: 1 s, kind: psu_failure, target: " + kRack + ", count: 7}]";
    CHECK_THROWS_WITH_AS(SiteModel(load_site(kPod, sets)), doctest::Contains("7 PSUs fail, but the shelf"), InputError);
    // The example's own shelves are lumped.
    CHECK_THROWS_WITH_AS(SiteModel(load_site(kPod, {"scenario=[{at: 1 s, kind: psu_failure, target: " + kRack + "}]"})),
                         doctest::Contains("is lumped"), InputError);
    CHECK_THROWS_WITH_AS(SiteModel(load_site(kPod, {"scenario=[{at: 1 s, kind: pdu_failure, target: hall2/busway}]"})),
                         doctest::Contains("power/distribution, hall1/busway"), InputError);
    CHECK_THROWS_WITH_AS(load_site(kPod, {"scenario=[{at: 1 s, kind: pdu_failure, target: hall1/busway, duration: 1 h}]"}),
                         doctest::Contains("has no duration"), InputError);
    CHECK_THROWS_WITH_AS(load_site(kPod, {"scenario=[{at: 1 s, kind: psu_failure}]"}),
                         doctest::Contains("a psu_failure needs \"target\""), InputError);
    CHECK_THROWS_WITH_AS(load_site(kPod, {"scenario=[{at: 1 s, kind: chiller_trip, count: 2}]"}),
                         doctest::Contains("\"count\" applies to psu_failure only"), InputError);
}
