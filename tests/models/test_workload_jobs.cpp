// Training and inference jobs in the site format, driving the site, and what the grid sees.

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
#include "models/workload/grid_analysis.hpp"
#include "models/workload/trace.hpp"
#include "io/results.hpp"

using namespace dctwin;

namespace {
const std::string kPod = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";

// Leakage held at its reference value: device power depends on the activity alone, so the
// hand calculation below is exact.
std::vector<std::string> job(const std::string& training, std::vector<std::string> more = {}) {
    std::vector<std::string> s = {"device_types.h100.leakage_temperature_coefficient=0 1/K",
                                  "device_types.grace.leakage_temperature_coefficient=0 1/K",
                                  "simulation.write_states=false",
                                  "workload={jobs: {train: {training: {" + training + "}}}}"};
    s.insert(s.end(), more.begin(), more.end());
    return s;
}

// [W] IT power of example-pod at activity a (device_array.hpp: idle, leakage and idle memory
// power are fixed, the rest scales with a): 128 GPUs, 32 CPUs, 4 racks of 4 kW other load.
double it_power(const SiteSpec& s, double a) {
    auto device = [&](const DeviceTypeSpec& d) {
        const double fixed = d.idle_power + d.leakage_power + (d.memory_power > 0 ? d.memory_idle_power : 0.0);
        return fixed + a * (d.max_power - fixed);
    };
    return 128 * device(s.device_types.at("h100")) + 32 * device(s.device_types.at("grace")) + 4 * 4000.0;
}

std::string scratch(const std::string& name) { return test::scratch("jobs", name); }
}  // namespace

TEST_CASE("a periodic training job draws the duty-weighted mean of its phase powers") {
    const auto sets = job("iteration_period: 2 s, compute_fraction: 0.7, compute_activity: 1, communication_activity: 0.3");
    const SiteSpec spec = load_site(kPod, sets);
    SiteModel m(spec);
    RunOptions o;
    o.duration = 300;  // 150 whole iterations
    const RunSummary s = run_site(m, o);
    const double expected = 0.7 * it_power(spec, 1.0) + 0.3 * it_power(spec, 0.3);
    CHECK(s.e_it / 300 == doctest::Approx(expected).epsilon(1e-6));
    REQUIRE(s.jobs.size() == 1);
    CHECK(s.jobs[0]["swing_W"].get<double>() == doctest::Approx(0.7 * s.jobs[0]["dynamic_power_W"].get<double>()));
}

TEST_CASE("a checkpoint dips the site power by the configured amount at the configured times") {
    const auto sets = job("iteration_period: 2 s, checkpoint_interval: 2 min, checkpoint_duration: 20 s, "
                          "checkpoint_activity: 0.1",
                          {"simulation.output_interval=1 s"});
    const SiteSpec spec = load_site(kPod, sets);
    SiteModel m(spec);
    RunOptions o;
    o.duration = 180;
    o.output = scratch("checkpoint.h5");
    o.force = true;
    run_site(m, o);
    ResultsReader r(o.output);
    const auto t = r.time();
    const auto p = r.read("/site/it_power");
    const double dip = it_power(spec, 0.1);
    for (std::size_t k = 0; k < t.size(); ++k) {
        CAPTURE(t[k]);
        if (t[k] > 120 && t[k] < 140) CHECK(p[k] == doctest::Approx(dip).epsilon(1e-6));
        if (t[k] < 120 || t[k] > 140) CHECK(p[k] > dip + 0.1 * (it_power(spec, 0.3) - dip));
    }
}

TEST_CASE("the spectrum of a steady training job peaks at one over the iteration period") {
    const auto sets = job("iteration_period: 2.5 s, compute_fraction: 0.6", {"simulation.output_interval=0.05 s"});
    SiteModel m(load_site(kPod, sets));
    RunOptions o;
    o.duration = 200;  // 80 iterations
    o.output = scratch("spectrum.h5");
    o.force = true;
    const RunSummary s = run_site(m, o);
    ResultsReader r(o.output);
    const auto t = r.time();
    const auto p = r.read("/site/grid_power");
    const UniformSeries u = resample_uniform(t, p, 0.05);
    const Spectrum sp = power_spectrum(u);
    CHECK(peak_frequency(sp, 0.05) == doctest::Approx(1 / 2.5).epsilon(sp.df * 2.5 + 1e-12));
    // The summary's grid analysis sees the swing in the 0.1-2 Hz band, and the example's
    // 50 kW/s interconnect limit violated by it.
    REQUIRE(s.grid.is_object());
    CHECK(s.grid["band_energy"]["0.1-2 Hz"]["fraction"].get<double>() > 0.5);
    CHECK(s.grid["ramp_limit_violations"]["count"].get<int>() > 0);
}

TEST_CASE("averaged mode matches the resolved iterations' energy within 1 %") {
    const std::string profile = "iteration_period: 2 s, compute_fraction: 0.7, communication_activity: 0.3, "
                                "checkpoint_interval: 4 min, checkpoint_duration: 30 s";
    double e[2];
    int steps[2];
    for (int k = 0; k < 2; ++k) {
        SiteModel m(load_site(kPod, job(profile + (k ? ", resolution: averaged" : ""))));
        RunOptions o;
        o.duration = 600;
        const RunSummary s = run_site(m, o);
        e[k] = s.e_grid;
        steps[k] = int(s.solver.steps);
    }
    CHECK(e[1] == doctest::Approx(e[0]).epsilon(0.01));
    CHECK(steps[1] * 10 < steps[0]);  // what averaging is for
}

TEST_CASE("an inference job follows its daily demand") {
    const std::vector<std::string> sets = {
        "simulation.write_states=false",
        "workload={jobs: {serve: {kind: independent, inference: {mean_demand: 0.5, amplitude: 0.4, "
        "peak_time: 14 h, batch_utilisation: 1}}}}"};
    SiteModel m(load_site(kPod, sets));
    // Steady at the peak and at the trough: the peak draws more.
    auto at = [&](double t) {
        RunOptions o;
        o.steady = true;
        o.steady_at = t;
        return run_site(m, o).peak_it;
    };
    CHECK(at(14 * 3600.0) > at(2 * 3600.0) + 20e3);
}

TEST_CASE("a job gives exactly one of activity, training or inference") {
    CHECK_THROWS_WITH_AS(load_site(kPod, {"workload={jobs: {a: {training: {iteration_period: 2 s}, "
                                          "activity: [{at: 0 s, value: 1}]}}}"}),
                         doctest::Contains("not several"), InputError);
    CHECK_THROWS_WITH_AS(load_site(kPod, {"workload={jobs: {a: {members: [hall1]}}}"}),
                         doctest::Contains("missing `activity`, `training`, `inference` or `trace`"), InputError);
    CHECK_THROWS_WITH_AS(load_site(kPod, {"workload={jobs: {a: {training: {iteration_period: 2 s, "
                                          "checkpoint_interval: 10 s, checkpoint_duration: 20 s}}}}"}),
                         doctest::Contains("shorter than the interval"), InputError);
}

TEST_CASE("power smoothing holds the grid ramp under the interconnect limit, at an energy cost it reports") {
    // example-pod's interconnect allows 50 kW/s; 160 devices swinging 0.7 of their dynamic power
    // every second ramp at ~74 kW/s. 250 W/s per device bounds the IT ramp at 40 kW/s.
    const std::string profile = "iteration_period: 2 s, checkpoint_interval: 5 min, checkpoint_duration: 20 s, "
                                "checkpoint_activity: 0.1";
    double ramp[2], energy[2];
    nlohmann::json smoothing;
    for (int k = 0; k < 2; ++k) {
        const std::string sm = k ? ", smoothing: {floor: 0.5, ramp_up_rate: 250 W/s, ramp_down_rate: 250 W/s, "
                                   "ramp_down_hysteresis: 2 s}"
                                 : "";
        SiteModel m(load_site(kPod, {"simulation.write_states=false", "simulation.grid_sample_interval=0.05 s",
                                     "workload={jobs: {train: {training: {" + profile + "}" + sm + "}}}"}));
        RunOptions o;
        o.duration = 400;
        const RunSummary s = run_site(m, o);
        ramp[k] = s.grid["max_ramp_W_per_s"].get<double>();
        energy[k] = s.e_grid;
        if (k) smoothing = s.jobs[0]["smoothing"];
        CHECK((s.grid["ramp_limit_violations"]["count"].get<int>() > 0) == (k == 0));
    }
    CHECK(ramp[0] > 50e3);
    CHECK(ramp[1] < 50e3);
    // The floor and the hold burn energy; the summary's figure is what the grid paid, give or
    // take the losses on the way and the ramp-up deficit.
    REQUIRE(smoothing.is_object());
    const double extra = smoothing["extra_energy_J"].get<double>();
    CHECK(extra > 0);
    CHECK(energy[1] - energy[0] > 0.9 * (extra - smoothing["deferred_energy_J"].get<double>()));
    CHECK(energy[1] - energy[0] < 1.3 * extra);
}

TEST_CASE("a site battery holds the grid-facing ramp under the interconnect limit, and its losses close the balance") {
    const std::string work = "workload={jobs: {train: {training: {iteration_period: 2 s, checkpoint_interval: 5 min, "
                             "checkpoint_duration: 20 s, checkpoint_activity: 0.1}}}}";
    RunSummary s[2];
    for (int k = 0; k < 2; ++k) {
        std::vector<std::string> sets = {"simulation.write_states=false", "simulation.grid_sample_interval=0.05 s", work};
        if (k) sets.push_back("power.site_battery={capacity: 5 kWh, power: 150 kW}");
        SiteModel m(load_site(kPod, sets));
        RunOptions o;
        o.duration = 400;
        s[k] = run_site(m, o);
    }
    CHECK(s[0].grid["ramp_limit_violations"]["count"].get<int>() > 0);
    CHECK(s[1].grid["ramp_limit_violations"]["count"].get<int>() == 0);
    CHECK(s[1].grid["max_ramp_W_per_s"].get<double>() <= 50e3);
    CHECK(s[1].energy_balance_error < 1e-9);
    double losses = -1;
    for (const auto& [k, v] : s[1].losses_by_stage)
        if (k == "site_battery") losses = v;
    CHECK(losses > 0);
    // Its cost is its conversion losses, heat in the electrical room: a few percent of what
    // the site drew at 95 % each way.
    CHECK(losses < 0.05 * s[1].e_grid);
}

TEST_CASE("training-campus: checkpoints break the interconnect's ramp limit without the site battery, not with it") {
    const std::string site = std::string(DCTWIN_SOURCE_DIR) + "/sites/training-campus.yaml";
    nlohmann::json grid[2];
    for (int k = 0; k < 2; ++k) {
        SiteModel m(load_site(site, {std::string("power.site_battery.enabled=") + (k ? "true" : "false"),
                                     "simulation.grid_sample_interval=0.5 s"}));
        RunOptions o;
        o.duration = 1000;  // the first checkpoint, at 15 min, and its end
        grid[k] = run_site(m, o).grid;
    }
    const auto& bare = grid[0]["ramp_limit_violations"];
    CHECK(bare["count"].get<int>() >= 2);  // the fall into the checkpoint and the rise out of it
    CHECK(bare["first_time_s"].get<double>() == doctest::Approx(900).epsilon(0.002));
    CHECK(grid[0]["max_ramp_W_per_s"].get<double>() > 2 * 200e3);
    CHECK(grid[1]["ramp_limit_violations"]["count"].get<int>() == 0);
    CHECK(grid[1]["max_ramp_W_per_s"].get<double>() <= 200e3);
}

TEST_CASE("trace replay reproduces the energy of the fixture nvidia-smi trace within 0.1 %") {
    // Eight GPUs of rack01 replay the eight GPUs of the fixture; every other device idles. With
    // the fixed power (idle, leakage at its reference, idle memory) at 70 W, below the trace's
    // lowest sample, and leakage held at its reference, each GPU draws exactly the trace.
    const std::string trace = std::string(DCTWIN_SOURCE_DIR) + "/sites/traces/h100-training-8gpu.csv";
    std::vector<std::string> sets = {"device_types.h100.leakage_temperature_coefficient=0 1/K",
                                     "device_types.grace.leakage_temperature_coefficient=0 1/K",
                                     "device_types.h100.idle_power=40 W", "device_types.h100.leakage_power=20 W",
                                     "device_types.h100.memory_idle_power=10 W", "simulation.write_states=false"};
    const double T = 110;  // [s] within the trace's two minutes
    auto it_energy = [&](const std::string& workload) {
        auto s = sets;
        s.push_back(workload);
        SiteModel m(load_site(kPod, s));
        RunOptions o;
        o.duration = T;
        return run_site(m, o).e_it;
    };
    std::string members;
    for (int k = 0; k < 8; ++k) members += (k ? ", " : "") + fmt::format("hall1/rowA/rack01/gpu{}", k);
    const double replay = it_energy("workload={jobs: {replay: {members: [" + members + "], kind: independent, trace: {file: " +
                                    trace + "}}}}");
    const double idle = it_energy("workload={jobs: {replay: {members: [" + members +
                                  "], kind: independent, activity: [{at: 0 s, value: 0}]}}}");
    // The trace's own energy over [0, T]: trapezoids inside each series, its end values held
    // outside it, less the fixed power the idle run already draws.
    const GpuTrace g = read_trace_csv(trace);
    REQUIRE(g.power.devices.size() == 8);
    double expected = 0;
    for (const auto& d : g.power.devices) {
        double e = d.value.front() * d.time.front();
        for (std::size_t i = 1; i < d.time.size() && d.time[i - 1] < T; ++i) {
            const double t1 = std::min(d.time[i], T);
            const double v1 = d.value[i - 1] + (d.value[i] - d.value[i - 1]) * (t1 - d.time[i - 1]) / (d.time[i] - d.time[i - 1]);
            e += 0.5 * (d.value[i - 1] + v1) * (t1 - d.time[i - 1]);
        }
        expected += e - 70.0 * T;
    }
    CHECK(replay - idle == doctest::Approx(expected).epsilon(1e-3));
}

TEST_CASE("a device in two jobs is refused, naming it, the later job and the earlier one") {
    // SiteModel finds a device's jobs through an index of the members' prefixes; these are the
    // answers of asking every job in turn.
    auto message = [](const std::string& jobs) {
        try {
            SiteModel m(load_site(kPod, {"workload={jobs: {" + jobs + "}}"}));
        } catch (const InputError& e) {
            return e.key_path + ": " + e.detail;
        }
        return std::string("no error");
    };
    const std::string a = "activity: [{at: 0 s, value: 0.5}]";
    // A row and a device in it: the device is the first to be in both.
    CHECK(message("a: {members: [hall1/rowA], " + a + "}, b: {members: [hall1/rowA/rack01/gpu3], " + a + "}") ==
          "workload.jobs.b.members: device hall1/rowA/rack01/gpu3 is already in job a: a device runs one job at a time");
    // A job without members runs on every device; the first shared device is the first of rack02 in rowB.
    CHECK(message("a: {members: [hall1/rowB/rack02], " + a + "}, b: {" + a + "}") ==
          "workload.jobs.b.members: device hall1/rowB/rack02/gpu0 is already in job a: a device runs one job at a time");
    // Three jobs: the later two clash first, and the message names them in job order.
    CHECK(message("a: {members: [hall1/rowB], " + a + "}, b: {members: [hall1/rowA/rack01/cpu1, hall1/rowA/rack02], " +
                  a + "}, c: {members: [hall1/rowA/rack01/cpu1], " + a + "}") ==
          "workload.jobs.c.members: device hall1/rowA/rack01/cpu1 is already in job b: a device runs one job at a time");
    // Prefixes end at a '/': "hall1/row" and "hall1/rowA/" are under nothing.
    CHECK(message("a: {members: [hall1/row], " + a + "}") == "workload.jobs.a.members: these members match no device of the site");
    CHECK(message("a: {members: [hall1/rowA/], " + a + "}") == "workload.jobs.a.members: these members match no device of the site");
    CHECK(message("a: {members: [hall1/rowA, hall1/rowA/rack01], " + a + "}, b: {members: [hall1/rowB], " + a + "}") ==
          "no error");
}
