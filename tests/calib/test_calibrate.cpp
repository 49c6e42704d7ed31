// `dctwin calibrate` and --set-file: parameters recovered from synthetic telemetry made by the
// model itself with known values, intervals that hold the truth under noise, a pair that only
// acts through its sum reported as not identifiable, metrics against hand-computed ones, and
// bad input refused with its place (calib/calibrate.hpp, docs/calibration.md).

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../viz/viz_test_util.hpp"
#include "calib/calibrate.hpp"
#include "calib/compare.hpp"
#include "calib/measured.hpp"
#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "sweep/sweep_file.hpp"
#include "io/results.hpp"

using viz_test::contains;
using viz_test::TempDir;

namespace {

const std::string kSite = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";
// Half an hour of the example pod (idle, then the job ramps up at 10 min) at 1-minute rows.
const std::vector<std::string> kShort = {"simulation.duration=30min", "simulation.output_interval=60s"};
const char* kFlow = "rack_types.hgx-h100.coolant_flow";
const char* kRjp = "device_types.h100.junction_to_plate_resistance";
const char* kRpc = "device_types.h100.plate_to_coolant_resistance";
const char* kGpu = "devices/junction_temperature/hall1/rowA/rack01/gpu0";
const char* kReturn = "racks/coolant_return_temperature/hall1/rowA/rack01";

void write_text(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

struct Truth {
    std::vector<double> t, power, ret, gpu;  // [s], [W], [degC], [degC]
};

// A run of the example pod with `sets`, its grid power, one rack's return and one GPU's junction.
Truth simulate(const TempDir& dir, const std::vector<std::string>& sets) {
    const std::string h5 = dir.file("truth.h5");
    dctwin::SiteModel model(dctwin::load_site(kSite, with(kShort, sets)));
    dctwin::RunOptions o;
    o.output = h5;
    o.force = true;
    dctwin::run_site(model, o);
    dctwin::ResultsReader r(h5);
    Truth x;
    x.t = r.time();
    x.power = r.read("/site/grid_power");
    std::vector<std::size_t> shape;
    const auto racks = r.read("/racks/coolant_return_temperature", &shape);
    for (std::size_t i = 0; i < shape[0]; ++i) x.ret.push_back(racks[i * shape[1]]);
    const auto devs = r.read("/devices/junction_temperature", &shape);
    for (std::size_t i = 0; i < shape[0]; ++i) x.gpu.push_back(devs[i * shape[1]]);
    return x;
}

// The measured CSV of the series chosen, with seeded Gaussian noise of sd [W] and [K].
std::string measured_csv(const Truth& x, bool power, bool ret, double noise_w = 0, double noise_k = 0, unsigned seed = 7) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    std::string s = "time [s]";
    if (power) s += ",site/grid_power [W]";
    if (ret) s += fmt::format(",{} [degC]", kReturn);
    s += fmt::format(",{} [degC]\n", kGpu);
    for (std::size_t i = 0; i < x.t.size(); ++i) {
        s += fmt::format("{:.17g}", x.t[i]);
        if (power) s += fmt::format(",{:.17g}", x.power[i] + noise_w * n01(rng));
        if (ret) s += fmt::format(",{:.17g}", x.ret[i] + noise_k * n01(rng));
        s += fmt::format(",{:.17g}\n", x.gpu[i] + noise_k * n01(rng));
    }
    return s;
}

dctwin::calib::CalibrateOptions options() {
    dctwin::calib::CalibrateOptions o;
    o.sets = kShort;
    o.threads = 2;
    return o;
}

const dctwin::calib::ParameterFit& param(const dctwin::calib::Calibration& c, const std::string& key) {
    for (const auto& p : c.parameters)
        if (p.p.key == key) return p;
    FAIL("no parameter " << key);
    return c.parameters.front();
}

// The message of the InputError `f` throws ("" when it does not).
template <class F>
std::string input_error(F&& f) {
    try {
        f();
    } catch (const dctwin::InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("calibrate: noise-free telemetry gives back the parameters that made it, within 1e-4") {
    TempDir dir;
    const Truth x = simulate(dir, {"rack_types.hgx-h100.coolant_flow=50 L/min", "device_types.h100.junction_to_plate_resistance=0.025 K/W"});
    const auto data = dctwin::calib::parse_measured_csv(measured_csv(x, true, true), "truth.csv");
    // The site holds 60 L/min and 0.02 K/W (catalogue): the fit starts there.
    const auto c = dctwin::calib::calibrate(kSite, data,
                                            {dctwin::calib::parse_fit(std::string(kFlow) + "=30 L/min..90 L/min"),
                                             dctwin::calib::parse_fit(std::string(kRjp) + "=0.01 K/W..0.04 K/W")},
                                            options());
    const auto& flow = param(c, kFlow);
    const auto& rjp = param(c, kRjp);
    CHECK(flow.p.start == doctest::Approx(60.0 / 60000));
    CHECK(rjp.p.start == doctest::Approx(0.02));
    CHECK(flow.value == doctest::Approx(50.0 / 60000).epsilon(1e-4));
    CHECK(rjp.value == doctest::Approx(0.025).epsilon(1e-4));
    CHECK(c.cost_after < 1e-6 * c.cost_before);
    CHECK(c.correlated.empty());
    CHECK(c.weak.empty());
    REQUIRE(c.series.size() == 3);
    for (const auto& s : c.series) CHECK(std::abs(*s.cv_after) < 1e-5);
    CHECK(c.duration == doctest::Approx(1800));
    // The set file holds the values in the site's units; loading it gives the fitted site.
    const std::string yaml = dir.file("fit.yaml");
    write_text(yaml, c.to_yaml());
    // The value in the site's unit (49.9999... or 50.0000...: within the 1e-4 above).
    CHECK(contains(c.to_yaml(), std::string(kFlow) + ": \"" + dctwin::calib::value_text(flow.value, "L/min")));
    CHECK(contains(c.to_yaml(), " L/min\""));
    const auto spec = dctwin::load_site(kSite, {}, {yaml});
    CHECK(spec.rack_types.at("hgx-h100").coolant_flow == doctest::Approx(50.0 / 60000).epsilon(1e-4));
}

TEST_CASE("calibrate: with sensor noise, the truth lies within the reported 95 % intervals") {
    TempDir dir;
    const Truth x = simulate(dir, {"rack_types.hgx-h100.coolant_flow=50 L/min", "device_types.h100.junction_to_plate_resistance=0.025 K/W"});
    // 200 W on about 100 kW, 0.1 K on the temperatures.
    const auto data = dctwin::calib::parse_measured_csv(measured_csv(x, true, true, 200, 0.1, 2026), "noisy.csv");
    const auto c = dctwin::calib::calibrate(kSite, data,
                                            {dctwin::calib::parse_fit(std::string(kFlow) + "=30 L/min..90 L/min"),
                                             dctwin::calib::parse_fit(std::string(kRjp) + "=0.01 K/W..0.04 K/W")},
                                            options());
    const auto& flow = param(c, kFlow);
    const auto& rjp = param(c, kRjp);
    CHECK(flow.std_error > 0);
    CHECK(rjp.std_error > 0);
    CHECK(flow.lo95 < 50.0 / 60000);
    CHECK(flow.hi95 > 50.0 / 60000);
    CHECK(rjp.lo95 < 0.025);
    CHECK(rjp.hi95 > 0.025);
    // The interval is a real bound, not the whole range.
    CHECK(flow.hi95 - flow.lo95 < 0.2 * (flow.p.hi - flow.p.lo));
    CHECK(rjp.hi95 - rjp.lo95 < 0.2 * (rjp.p.hi - rjp.p.lo));
}

TEST_CASE("calibrate: two resistances in series seen only through the junction are not identifiable") {
    TempDir dir;
    const Truth x = simulate(dir, {"rack_types.hgx-h100.coolant_flow=50 L/min"});
    const auto data = dctwin::calib::parse_measured_csv(measured_csv(x, false, false, 0, 0.05, 3), "gpu.csv");
    auto o = options();
    o.sets.push_back("rack_types.hgx-h100.coolant_flow=50 L/min");
    o.sets.push_back(std::string(kRjp) + "=0.026 K/W");
    const auto c = dctwin::calib::calibrate(kSite, data,
                                            {dctwin::calib::parse_fit(std::string(kRjp) + "=0.01 K/W..0.04 K/W"),
                                             dctwin::calib::parse_fit(std::string(kRpc) + "=0.01 K/W..0.04 K/W")},
                                            o);
    REQUIRE(c.correlated.size() == 1);
    CHECK(c.correlation[0][1] < -dctwin::calib::kNotIdentifiable);
    CHECK(contains(c.to_text(), "not identifiable from this data"));
    CHECK(c.to_json()["parameters"][0]["identifiable"] == false);
    // Their sum is what the data fix: 0.04 K/W.
    CHECK(param(c, kRjp).value + param(c, kRpc).value == doctest::Approx(0.04).epsilon(2e-3));
}

TEST_CASE("calibrate: a parameter the measured series hardly depend on is not identifiable") {
    TempDir dir;
    const Truth x = simulate(dir, {"rack_types.hgx-h100.coolant_flow=50 L/min"});
    const auto data = dctwin::calib::parse_measured_csv(measured_csv(x, false, false, 0, 0.05, 5), "gpu.csv");
    // The electrical room's heat capacity does not reach the GPU junctions.
    const auto c = dctwin::calib::calibrate(kSite, data,
                                            {dctwin::calib::parse_fit(std::string(kFlow) + "=30 L/min..90 L/min"),
                                             dctwin::calib::parse_fit("power.electrical_room.heat_capacity=1 MJ/K..4 MJ/K")},
                                            options());
    REQUIRE(c.weak == std::vector<std::size_t>{1});
    CHECK(c.to_json()["parameters"][1]["identifiable"] == false);
    CHECK(c.to_json()["parameters"][0]["identifiable"] == true);
    CHECK(param(c, kFlow).lo95 < 50.0 / 60000);
    CHECK(param(c, kFlow).hi95 > 50.0 / 60000);
}

TEST_CASE("calibrate: CV(RMSE) and NMBE before the fit are those of the start run, computed by hand") {
    TempDir dir;
    const Truth x = simulate(dir, {"rack_types.hgx-h100.coolant_flow=45 L/min"});
    const Truth start = simulate(dir, {});
    const auto data = dctwin::calib::parse_measured_csv(measured_csv(x, true, false), "m.csv");
    const auto c = dctwin::calib::calibrate(kSite, data, {dctwin::calib::parse_fit(std::string(kFlow) + "=30 L/min..90 L/min")},
                                            options());
    REQUIRE(c.series.size() == 2);
    // Measured rows fall on output rows: no interpolation. By hand, p = 1.
    const std::vector<double>& m = x.gpu;
    const std::vector<double>& s = start.gpu;
    double ss = 0, sum = 0, mean = 0;
    for (std::size_t i = 0; i < m.size(); ++i) ss += (m[i] - s[i]) * (m[i] - s[i]), sum += m[i] - s[i], mean += m[i];
    const double n = double(m.size());
    mean /= n;
    CHECK(*c.series[1].cv_before == doctest::Approx(std::sqrt(ss / (n - 1)) / mean).epsilon(1e-9));
    CHECK(*c.series[1].nmbe_before == doctest::Approx(sum / ((n - 1) * mean)).epsilon(1e-9));
    CHECK(*c.series[1].nmbe_before > 0.001);  // the start (60 L/min) runs cooler than 45 L/min
    CHECK(param(c, kFlow).value == doctest::Approx(45.0 / 60000).epsilon(1e-4));
}

TEST_CASE("calibrate: bad --fit and parameters are refused with what was expected") {
    using dctwin::calib::parse_fit;
    CHECK_THROWS_WITH_AS(parse_fit("=1..2"), doctest::Contains("key path is empty"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse_fit("a.b=12"), doctest::Contains("expected a range LO..HI"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse_fit("a.b=1.."), doctest::Contains("both bounds"), std::invalid_argument);
    const std::string yaml = dctwin::load_site(kSite).resolved_yaml;
    auto resolve = [&](const std::string& t) { return dctwin::calib::resolve_parameter(parse_fit(t), yaml); };
    CHECK_THROWS_WITH_AS(resolve(std::string(kFlow) + "=90 L/min..30 L/min"), doctest::Contains("the range is empty"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(resolve(std::string(kFlow) + "=70 L/min..90 L/min"), doctest::Contains("not inside the range"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(resolve(std::string(kFlow) + "=30 degC..40 degC"), doctest::Contains("do not match the site's value"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(resolve("rack_types.hgx-h100.coolant_flw"), doctest::Contains("does not set this key"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(resolve("coolant.fluid"), doctest::Contains("only numbers can be fitted"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(resolve(std::string(kFlow) + "=30 L/mn..90 L/min"), doctest::Contains("the lower bound"),
                         std::invalid_argument);
    // Without a range: [value / 4, 4 value]; a temperature +/- 10 K.
    const auto p = resolve(kFlow);
    CHECK(p.lo == doctest::Approx(15.0 / 60000));
    CHECK(p.hi == doctest::Approx(240.0 / 60000));
    CHECK(p.unit == "L/min");
    const auto t = resolve("coolant.supply_temperature");
    CHECK(t.lo == doctest::Approx(293.15));
    CHECK(dctwin::calib::value_text(t.start, t.unit) == "30 degC");
}

TEST_CASE("calibrate: a measured series the site does not have is placed at its heading") {
    const auto data = dctwin::calib::parse_measured_csv("time [s],site/grid_power [W],site/grid_powr [W]\n0,1,1\n60,2,2\n"
                                                        "120,3,3\n", "m.csv");
    const std::string e = input_error([&] { dctwin::calib::calibrate(kSite, data, {dctwin::calib::parse_fit(kFlow)}, options()); });
    CHECK_MESSAGE(contains(e, "m.csv:1:30: error: site/grid_powr"), e);
}

TEST_CASE("calibrate: a series without a sample in the run is listed with 0 pairs; no sample at all is refused") {
    TempDir dir;
    const Truth x = simulate(dir, {"rack_types.hgx-h100.coolant_flow=50 L/min"});
    std::string csv = fmt::format("time [s],{} [degC],{} [degC]\n", kGpu, kReturn);
    for (std::size_t i = 0; i < x.t.size(); ++i) csv += fmt::format("{:.17g},{:.17g},\n", x.t[i], x.gpu[i]);
    const auto c = dctwin::calib::calibrate(kSite, dctwin::calib::parse_measured_csv(csv, "m.csv"),
                                            {dctwin::calib::parse_fit(std::string(kFlow) + "=30 L/min..90 L/min")}, options());
    REQUIRE(c.series.size() == 2);
    CHECK(c.series[1].pairs == 0);
    CHECK_FALSE(c.series[1].cv_after);
    CHECK(c.residuals == x.t.size());
    CHECK(param(c, kFlow).value == doctest::Approx(50.0 / 60000).epsilon(1e-4));
    // Every sample after the run's end (--duration 1 min): nothing to fit.
    auto o = options();
    o.duration = 60;
    o.start = 600;
    CHECK_THROWS_WITH_AS(dctwin::calib::calibrate(kSite, dctwin::calib::parse_measured_csv(csv, "m.csv"),
                                                  {dctwin::calib::parse_fit(kFlow)}, o),
                         doctest::Contains("no measured sample lies inside the run"), std::invalid_argument);
}

TEST_CASE("--set-file: the same site as --set, flat or nested keys; faults placed in the file") {
    TempDir dir;
    const std::string flat = dir.file("flat.yaml"), nested = dir.file("nested.yaml");
    write_text(flat, "# fitted\nrack_types.hgx-h100.coolant_flow: \"45 L/min\"\ncoolant.supply_temperature: 32 degC\n");
    write_text(nested, "rack_types:\n  hgx-h100:\n    coolant_flow: 45 L/min\ncoolant: { supply_temperature: 32 degC }\n");
    const std::vector<std::string> sets = {"rack_types.hgx-h100.coolant_flow=45 L/min", "coolant.supply_temperature=32 degC"};
    const auto a = dctwin::load_site(kSite, sets), b = dctwin::load_site(kSite, {}, {flat}), c = dctwin::load_site(kSite, {}, {nested});
    CHECK(b.rack_types.at("hgx-h100").coolant_flow == a.rack_types.at("hgx-h100").coolant_flow);
    CHECK(b.coolant.supply_temperature == a.coolant.supply_temperature);  // (its YAML keeps the quotes of "45 L/min")
    CHECK(c.resolved_yaml == a.resolved_yaml);
    // --set comes after the file: the command line has the last word.
    const auto d = dctwin::load_site(kSite, {"coolant.supply_temperature=33 degC"}, {flat});
    CHECK(d.coolant.supply_temperature == doctest::Approx(306.15));
    CHECK(dctwin::read_set_file(flat) == std::vector<std::string>{"rack_types.hgx-h100.coolant_flow=\"45 L/min\"",
                                                                   "coolant.supply_temperature=32 degC"});

    const std::string bad_key = dir.file("bad_key.yaml"), bad_value = dir.file("bad_value.yaml"), list = dir.file("list.yaml");
    write_text(bad_key, "coolant.supply_temperature: 32 degC\nrack_types.hgx-h100.coolant_flw: 45 L/min\n");
    write_text(bad_value, "rack_types.hgx-h100.coolant_flow: 35 degC\n");
    write_text(list, "- a\n- b\n");
    auto load = [&](const std::string& f) { return input_error([&] { dctwin::load_site(kSite, {}, {f}); }); };
    CHECK_MESSAGE(contains(load(bad_key), bad_key + ":2:21: error: "), load(bad_key));
    CHECK_MESSAGE(contains(load(bad_value), bad_value + ":1:35: error: "), load(bad_value));
    CHECK(contains(load(bad_value), "expected a volume flow"));
    CHECK_MESSAGE(contains(load(list), list + ":1:1: error: a set file is a map"), load(list));
    CHECK_THROWS_WITH_AS(dctwin::load_site(kSite, {}, {dir.file("missing.yaml")}), doctest::Contains("missing.yaml"),
                         dctwin::InputError);

    // The command line: run, headroom and calibrate take it; a bad one exits 2 with the place.
    auto r = viz_test::run_cli(dir, "check " + kSite + " --set-file " + bad_key, 60);
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(contains(r.err, bad_key + ":2:21: error: "), r.err);
    r = viz_test::run_cli(dir, "headroom " + kSite + " --set-file " + bad_value, 60);
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(contains(r.err, bad_value + ":1:35: error: "), r.err);
    r = viz_test::run_cli(dir, "run " + kSite + " -o " + dir.file("x.h5") + " --duration 2min --json --set-file " + flat, 120);
    CHECK(r.exit_code == 0);
}

TEST_CASE("dctwin calibrate: end to end, bad input exits 2 with a message") {
    TempDir dir;
    const Truth x = simulate(dir, {"rack_types.hgx-h100.coolant_flow=50 L/min"});
    const std::string csv = dir.file("m.csv");
    write_text(csv, measured_csv(x, true, true));
    const std::string fit = std::string(" --fit ") + kFlow + "=30L/min..90L/min";
    auto r = viz_test::run_cli(dir, "calibrate " + kSite + " " + csv + fit + " --set simulation.output_interval=60s -j 2 --json -o " +
                                        dir.file("out/fit.yaml"), 120);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["parameters"][0]["value_si"].get<double>() == doctest::Approx(50.0 / 60000).epsilon(1e-4));
    CHECK(j["parameters"][0]["value"].get<std::string>().find("L/min") != std::string::npos);
    // The fitted file runs.
    r = viz_test::run_cli(dir, "check " + kSite + " --set-file " + dir.file("out/fit.yaml"), 60);
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    r = viz_test::run_cli(dir, "calibrate " + kSite + " " + csv + " --fit " + kFlow + "=90L/min..30L/min", 60);
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(contains(r.err, "the range is empty"), r.err);
    r = viz_test::run_cli(dir, "calibrate " + kSite + " " + csv + " --fit rack_types.hgx-h100.coolant_flw=30L/min..90L/min", 60);
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(contains(r.err, "--fit 'rack_types.hgx-h100.coolant_flw=30L/min..90L/min': rack_types.hgx-h100: unknown key"), r.err);
    r = viz_test::run_cli(dir, "calibrate " + kSite + " " + csv + " --fit nothing.here", 60);
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(contains(r.err, "nothing.here"), r.err);
    r = viz_test::run_cli(dir, "calibrate " + kSite + " " + csv + fit + " -o fit.txt", 60);
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(contains(r.err, ".yaml"), r.err);
}

TEST_CASE("--set-file in a sweep: before the sweep's own overrides, in its hash, faults placed in the file") {
    TempDir dir;
    const std::string file = dir.file("fit.yaml"), bad = dir.file("bad.yaml");
    write_text(file, "rack_types.hgx-h100.coolant_flow: 45 L/min\ncoolant.supply_temperature: 32 degC\n");
    write_text(bad, "\nrack_types.hgx-h100.coolant_flw: 45 L/min\n");
    const std::string yaml = "dctwin_sweep: 1\nbase: " + kSite +
                             "\nset:\n  - coolant.supply_temperature=31 degC\n"
                             "parameters:\n  flow:\n    key: rack_types.hgx-h100.other_power\n    values: [3 kW, 5 kW]\n";
    auto s = dctwin::sweep::load_sweep_text(yaml, "s.yaml");
    const std::string hash = s.hash;
    const auto before = s.overrides(1);
    dctwin::sweep::apply_set_files(s, {file});
    CHECK(s.hash != hash);
    const auto after = s.overrides(1);
    REQUIRE(after.size() == before.size() + 2);
    CHECK(after[0] == "rack_types.hgx-h100.coolant_flow=45 L/min");
    // The sweep file's fixed value comes later: it wins over the set file's.
    const auto spec = dctwin::load_site(kSite, after);
    CHECK(spec.coolant.supply_temperature == doctest::Approx(304.15));
    CHECK(spec.rack_types.at("hgx-h100").coolant_flow == doctest::Approx(45.0 / 60000));
    auto t = dctwin::sweep::load_sweep_text(yaml, "s.yaml");
    const std::string e = input_error([&] { dctwin::sweep::apply_set_files(t, {bad}); });
    CHECK_MESSAGE(contains(e, bad + ":2:21: error: "), e);
}
