// Utility outages: UPS battery, generator load steps, recharge, load shed.

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/integrator.hpp"
#include "solver/steady.hpp"
#include "tests/models/model_test_util.hpp"
#include "io/results.hpp"

using namespace dctwin;

namespace {

// The example pod at constant full activity, with a 5 kWh UPS battery, a 400 kW generator and
// an outage at 20 min for 10 min; `extra` adds scenario events.
std::string outage_site(const std::string& extra = "") {
    std::ifstream f(std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml");
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    auto replace = [&](const std::string& a, const std::string& b) {
        const auto at = s.find(a);
        REQUIRE(at != std::string::npos);
        s.replace(at, a.size(), b);
    };
    replace("    mode: double_conversion\n",
            "    mode: double_conversion\n    battery: { capacity: 5 kWh, max_charge: 30 kW, discharge_efficiency: 0.95 }\n"
            "  generator: { rating: 400 kW, start_delay: 10 s, load_steps: [50 %, 80 %, 100 %], step_interval: 5 s }\n");
    const auto w = s.find("workload:");
    s = s.substr(0, w) + "scenario:\n  - { at: 20 min, kind: utility_outage, duration: 10 min }\n" + extra +
        "workload:\n  activity:\n    - { at: 0 s, value: 0.95 }\n";
    return s;
}

struct Run {
    RunSummary sum;
    std::string file;
};

Run run(const std::string& text, const std::string& name, std::vector<std::string> sets = {}) {
    SiteModel m(load_site_text(text, name, sets));
    RunOptions o;
    o.output = test::scratch("outage-tests", name + ".h5");
    o.force = true;
    o.duration = 2400;
    return {run_site(m, o), o.output};
}

using test::of_kind;

// UPS input power [W] just before the outage, from the results file.
double ups_input_before(const std::string& file, double t) {
    ResultsReader r(file);
    const auto time = r.time();
    const auto paths = r.read_strings("/power/stages/paths");
    std::vector<std::size_t> shape;
    const auto in = r.read("/power/stages/input_power", &shape);
    const auto col = std::size_t(std::find(paths.begin(), paths.end(), "power/ups") - paths.begin());
    std::size_t row = 0;
    while (row + 1 < time.size() && time[row + 1] < t) ++row;
    return in[row * shape[1] + col];
}

}  // namespace

TEST_CASE("outage: battery, generator load steps, recharge, utility back, in that order") {
    const auto r = run(outage_site(), "sequence");
    CHECK(r.sum.status == "complete");
    std::vector<std::string> kinds;
    for (const auto& e : r.sum.events) kinds.push_back(std::string(event_name(e.kind)));
    const std::vector<std::string> want{"utility_outage", "generator_load_step", "generator_load_step",
                                        "generator_load_step", "battery_full", "utility_restored"};
    CHECK(kinds == want);
    CHECK(of_kind(r.sum, "utility_outage").at(0).time == 1200);
    CHECK(of_kind(r.sum, "generator_load_step").at(0).time == 1210);
    CHECK(of_kind(r.sum, "utility_restored").at(0).time == 1800);
    // The battery carried the UPS input for the 10 s start delay, then recharged at 30 kW x 0.95.
    const double p_in = ups_input_before(r.file, 1200);
    const double drawn = 10 * p_in / 0.95;  // [J] taken from storage
    const double full = of_kind(r.sum, "battery_full").at(0).time;
    CHECK(full == doctest::Approx(1210 + drawn / (30e3 * 0.95)).epsilon(1e-3));
    // Generator energy: the site ran on it from 1210 s to 1800 s.
    CHECK(r.sum.e_generator > 0.9 * 590 * p_in);
    CHECK(r.sum.energy_balance_error < 1e-6);
    // Everyone kept running.
    CHECK(r.sum.throughput_fraction == doctest::Approx(1.0));
    CHECK(of_kind(r.sum, "load_shed").empty());
}

TEST_CASE("generator failure: the battery rides through usable energy / load, then the load is shed") {
    const auto r = run(outage_site("  - { at: 0 s, kind: generator_failure }\n"), "failure");
    const auto shed = of_kind(r.sum, "load_shed");
    REQUIRE(shed.size() == 1);
    CHECK(shed[0].path == "power/ups/battery");
    CHECK(!of_kind(r.sum, "generator_start_failed").empty());
    // Ride-through = usable energy x discharge efficiency / UPS input, within 1 %.
    const double p_in = ups_input_before(r.file, 1200);
    const double expected = 5 * 3.6e6 * 0.95 / p_in;
    CHECK(shed[0].time - 1200 == doctest::Approx(expected).epsilon(0.01));
    // After the shed the IT load is gone and the job has stalled.
    ResultsReader rr(r.file);
    const auto it = rr.read("/site/it_power");
    const auto pace = rr.read("/site/throughput_fraction");
    CHECK(it.back() == 0.0);
    CHECK(pace.back() == 0.0);
    CHECK(r.sum.energy_balance_error < 1e-6);
}

TEST_CASE("PUE counts the energy drawn from the UPS battery (ISO/IEC 30134-2): never below 1 while it bridges") {
    // No generator: the battery carries the whole load from 60 s to the end of the run at 150 s.
    SiteModel m(load_site_text(outage_site("  - { at: 0 s, kind: generator_failure }\n"), "pue-bridge.yaml",
                               {"scenario.0.at=60 s"}));
    RunOptions o;
    o.duration = 150;
    const RunSummary s = run_site(m, o);
    REQUIRE(of_kind(s, "load_shed").empty());
    REQUIRE(!of_kind(s, "utility_outage").empty());
    // Counting only grid and generator energy gave about 0.45 here.
    CHECK(s.pue > 1.0);
    CHECK(s.pue < 1.5);
    // The same run without the outage: the battery's energy stands in for the grid's, give or
    // take its discharge losses and the cooling that stops.
    SiteModel calm(load_site_text(outage_site(), "pue-calm.yaml"));
    const RunSummary c = run_site(calm, o);
    CHECK(s.pue == doctest::Approx(c.pue).epsilon(0.1));
}

TEST_CASE("PUE is undefined (NaN, null in JSON), not 1e11, when every IT load is shed") {
    SiteModel m(load_site(std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml",
                          {"scenario=[{at: 0 s, kind: pdu_failure, target: power/distribution}]"}));
    RunOptions o;
    o.duration = 60;
    const RunSummary s = run_site(m, o);
    CHECK(std::isnan(s.pue));
    CHECK(s.to_json()["pue"].is_null());
    CHECK(s.to_text().find("PUE undefined (no IT load)") != std::string::npos);
}

TEST_CASE("the Jacobian with the battery discharging, and charging with limited headroom") {
    SiteModel m(load_site_text(outage_site(), "jac", {"halls.hall1.rows.rowA.count=1", "halls.hall1.rows.rowB.count=1",
                                                      "power.ups.battery.initial_soc=0.5",
                                                      "power.generator.rating=60 kW"}));
    Network& net = m.network();
    auto y = solve_steady(net, net.initial_state(), SteadyOptions{0}).y;
    for (double t : {1205.0, 1212.0, 1230.0}) {  // battery alone; generator at 30 kW; at 60 kW
        INFO("t = " << t);
        CHECK(test::jacobian_mismatches(net, t, y) == 0);
    }
}

namespace {
// The constraint's peak utilisation over the run, by path.
double peak(const RunSummary& s, const std::string& path) {
    for (std::size_t i = 0; i < s.limits.constraints.size(); ++i)
        if (s.limits.constraints[i].path == path) return s.limits.stats[i].peak;
    FAIL("no constraint " << path);
    return 0;
}
}  // namespace

TEST_CASE("UPS discharge limit: a load above it is shed at the outage start, one below it rides through") {
    // The UPS input at 0.95 activity is about 121 kW; the battery must carry all
    // of it for the generator's 10 s start delay.
    const auto over = run(outage_site(), "over-limit", {"power.ups.battery.max_discharge=100 kW"});
    const double p_in = ups_input_before(over.file, 1200);
    REQUIRE(p_in > 100e3);
    const auto shed = of_kind(over.sum, "load_shed");
    REQUIRE(shed.size() == 1);
    CHECK(shed[0].path == "power/ups/battery");
    CHECK(shed[0].time == doctest::Approx(1200).epsilon(1e-8));
    CHECK(shed[0].message.find("discharge limit of 100.0 kW") != std::string::npos);
    // In the summary's outages, after the outage itself.
    const auto j = over.sum.to_json();
    bool listed = false;
    for (const auto& e : j["outages"])
        listed |= e["kind"] == "load_shed" && e["time_s"].get<double>() == doctest::Approx(1200).epsilon(1e-8);
    CHECK(listed);
    CHECK(over.sum.limits.lost[4] > 0.9 * 160 * 1200);  // outage: every device for the last 20 min
    CHECK(over.sum.energy_balance_error < 1e-6);

    const auto under = run(outage_site(), "under-limit", {"power.ups.battery.max_discharge=200 kW"});
    CHECK(of_kind(under.sum, "load_shed").empty());
    CHECK(!of_kind(under.sum, "battery_full").empty());
    CHECK(under.sum.throughput_fraction == doctest::Approx(1.0));
    // The constraint saw the battery carry the whole UPS input against its limit at the outage's row.
    CHECK(peak(under.sum, "power/ups/battery/discharge_power") == doctest::Approx(p_in / 200e3).epsilon(0.02));
}

TEST_CASE("UPS discharge limit: a load step during the battery's bridge past the limit sheds at the step") {
    // 0.3 activity when the utility goes; the job steps to 0.95 at 1205 s, before the generator
    // takes load at 1210 s. The limit lies between the two loads.
    std::string s = outage_site();
    const std::string w = "workload:\n  activity:\n    - { at: 0 s, value: 0.95 }\n";
    s.replace(s.find(w), w.size(),
              "workload:\n  activity:\n    - { at: 0 s, value: 0.3 }\n    - { at: 1205 s, value: 0.95 }\n");
    const auto r = run(s, "step-over-limit", {"power.ups.battery.max_discharge=100 kW"});
    const auto shed = of_kind(r.sum, "load_shed");
    REQUIRE(shed.size() == 1);
    CHECK(shed[0].time == doctest::Approx(1205).epsilon(1e-8));
    CHECK(r.sum.energy_balance_error < 1e-6);
}

namespace {
// sites/outage-pod.yaml without its generator (the lines of `generator:`).
std::string outage_pod_without_generator() {
    std::ifstream f(std::string(DCTWIN_SOURCE_DIR) + "/sites/outage-pod.yaml");
    std::string s, line;
    bool in_generator = false;
    while (std::getline(f, line)) {
        if (line.rfind("  generator:", 0) == 0) in_generator = true;
        else if (in_generator && line.rfind("    ", 0) != 0) in_generator = false;
        if (!in_generator) s += line + "\n";
    }
    REQUIRE(s.find("generator:") == std::string::npos);
    return s;
}

// Every row's value of a series at the run's rows with time in [t0, t1].
std::vector<double> rows_between(const ResultsReader& r, const std::string& path, double t0, double t1) {
    const auto time = r.time();
    const auto v = r.read(path);
    std::vector<double> out;
    for (std::size_t i = 0; i < time.size(); ++i)
        if (time[i] >= t0 && time[i] <= t1) out.push_back(v[i]);
    return out;
}
}  // namespace

TEST_CASE("outage without a generator: nothing is drawn from any source, generator energy and power exactly 0") {
    // The outage pod without its generator: the battery carries the UPS from 20 min until it is
    // empty, the UPS drops its load, the utility is back at 30 min. The model's rule: with no
    // utility and no generator nothing is drawn at the root (the transformer is dead, its
    // no-load loss with it); what the battery gives is storage.
    const auto r = run(outage_pod_without_generator(), "no-generator");
    CHECK(r.sum.status == "complete");
    CHECK(r.sum.e_generator == 0.0);
    CHECK(r.sum.energy_balance_error < 1e-6);
    ResultsReader rr(r.file);
    for (double g : rr.read("/site/generator_power")) CHECK(g == 0.0);
    // During the outage the grid gives nothing either (rows strictly inside it).
    for (double g : rows_between(rr, "/site/grid_power", 1201, 1799)) CHECK(g == 0.0);
    // Same with a generator that fails to start, and before a working one has started (its
    // 10 s start delay): no generator power until it runs.
    std::ifstream f(std::string(DCTWIN_SOURCE_DIR) + "/sites/outage-pod.yaml");
    std::stringstream ss;
    ss << f.rdbuf();
    const auto fails = run(ss.str(), "generator-start-fails", {"scenario.1={at: 0 s, kind: generator_failure}"});
    CHECK(fails.sum.e_generator == 0.0);
    CHECK(fails.sum.energy_balance_error < 1e-6);
    ResultsReader fr(fails.file);
    for (double g : fr.read("/site/generator_power")) CHECK(g == 0.0);
    const auto works = run(ss.str(), "generator-starts");
    ResultsReader wr(works.file);
    CHECK(rows_between(wr, "/site/generator_power", 1200, 1200).at(0) == 0.0);  // the outage's first row
    CHECK(works.sum.e_generator > 0.0);
    CHECK(works.sum.energy_balance_error < 1e-6);
}

TEST_CASE("UPS battery after a load shed: recharges at its charge rate once the utility is back") {
    // No generator: the battery empties and the UPS sheds its load inside the outage (1200 s to
    // 1800 s); then the charger draws max_charge from the utility and stores charge_efficiency
    // of it: E(t) = eta_c P_c (t - 1800 s) from empty, full at 1800 s + C / (eta_c P_c).
    std::string s = outage_pod_without_generator();
    const double cap = 5 * 3.6e6, pc = 30e3, etac = 0.95;  // outage-pod: 5 kWh, 30 kW, default 0.95
    SiteModel m(load_site_text(s, "recharge-after-shed"));
    RunOptions o;
    o.output = test::scratch("outage-tests", "recharge-after-shed.h5");
    o.force = true;
    o.duration = 3000;
    const RunSummary sum = run_site(m, o);
    const auto shed = of_kind(sum, "load_shed");
    REQUIRE(shed.size() == 1);
    CHECK(shed[0].time < 1800);
    const auto full = of_kind(sum, "battery_full");
    REQUIRE(full.size() == 1);
    CHECK(full[0].time == doctest::Approx(1800 + cap / (etac * pc)).epsilon(1e-4));
    ResultsReader rr(o.output);
    const auto time = rr.time();
    const auto e = rr.read("/power/ups/battery_energy");
    int checked = 0;
    for (std::size_t i = 0; i < time.size(); ++i) {
        CAPTURE(time[i]);
        if (time[i] > shed[0].time && time[i] <= 1800) CHECK(std::abs(e[i]) < 1.0);  // no source: no charge [J]
        if (time[i] > 1800 && time[i] < full[0].time) {
            CHECK(e[i] == doctest::Approx(etac * pc * (time[i] - 1800)).epsilon(1e-5));
            ++checked;
        }
    }
    CHECK(checked > 50);
    CHECK(e.back() == doctest::Approx(cap));
    // The devices stay off; the balance holds, the charge losses counted with the UPS battery's.
    CHECK(rr.read("/site/it_power").back() == 0.0);
    CHECK(sum.energy_balance_error < 1e-6);
    double by_stage = 0.0, battery = -1.0;
    for (const auto& [k, v] : sum.losses_by_stage) {
        by_stage += v;
        if (k == "ups_battery") battery = v;
    }
    // Discharge (1/eta_d - 1) x delivered + charge (1 - eta_c) x drawn: 18 MJ taken out, 18 MJ put back.
    CHECK(battery == doctest::Approx(cap * (1 - 0.95) + cap / etac * (1 - etac)).epsilon(1e-3));
    CHECK(by_stage == doctest::Approx(sum.e_losses).epsilon(1e-9));
}

TEST_CASE("outage: the row's pue counts what the UPS battery gives and leaves out what it takes in") {
    // ISO/IEC 30134-2 counts on-site sources: on the battery alone the facility still draws
    // its IT, cooling and losses, so the row's PUE stays at or above 1 (it read 0.011 when
    // storage was left out); while the generator recharges the battery, the charge is not the
    // facility's consumption (it read 1.42 against 1.15 before the outage). The summary's pue,
    // over the run, counts the same way.
    std::ifstream f(std::string(DCTWIN_SOURCE_DIR) + "/sites/outage-pod.yaml");
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto r = run(text, "pue-rows", {"simulation.output_interval=5 s"});
    ResultsReader rr(r.file);
    const auto before = rows_between(rr, "/site/pue", 1100, 1195);
    const auto during = rows_between(rr, "/site/pue", 1200, 1800);
    REQUIRE(!before.empty());
    REQUIRE(during.size() > 100);
    const double normal = before.back();
    for (double v : during) {
        CHECK(std::isfinite(v));
        CHECK(v >= 1.0);
        CHECK(v < normal * 1.05);  // the battery's and charger's losses only
    }
    CHECK(r.sum.pue >= 1.0);
}
