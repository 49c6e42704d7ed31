// Forward sensitivities for `dctwin calibrate` (solver/sensitivity.hpp, calib/forward.hpp):
// against central differences of whole runs, a fit with them against the truth and against a
// fit by finite differences, and a structural key refused with what to do instead.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../viz/viz_test_util.hpp"

#include "calib/calibrate.hpp"
#include "calib/forward.hpp"
#include "calib/measured.hpp"
#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"

namespace {

const std::string kSite = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";
const char* kFlow = "rack_types.hgx-h100.coolant_flow";
const char* kRjp = "device_types.h100.junction_to_plate_resistance";
const char* kEff = "rack_types.hgx-h100.power_shelf.efficiency";

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// The row offsets of the grid power, rack01's coolant return and its gpu0's junction.
std::vector<std::size_t> columns(dctwin::SiteModel& model) {
    std::vector<std::size_t> cols;
    std::size_t offset = 0;
    for (const auto& s : model.outputs().all_series()) {
        if (s.path == "/site/grid_power") cols.push_back(offset);
        if (s.path == "/racks/coolant_return_temperature" || s.path == "/devices/junction_temperature")
            cols.push_back(offset);  // column 0: hall1/rowA/rack01 (its gpu0)
        offset += s.values();
    }
    REQUIRE(cols.size() == 3);
    return cols;
}

// The rows at `cols` of a whole run with `sets`.
std::vector<std::vector<double>> run(const std::vector<std::string>& sets, const std::vector<std::size_t>& cols) {
    dctwin::SiteModel model(dctwin::load_site(kSite, sets));
    std::vector<std::vector<double>> v(cols.size());
    dctwin::RunOptions o;
    o.on_row = [&](double, const std::vector<double>& row) {
        for (std::size_t c = 0; c < cols.size(); ++c) v[c].push_back(row[cols[c]]);
    };
    dctwin::run_site(model, o);
    return v;
}

}  // namespace

TEST_CASE("forward sensitivities: d(output)/dp of a run agree with central differences of whole runs within 1e-4") {
    // Half an hour of the pod (idle, the job ramping up at 10 min: input steps and restarts),
    // solved tightly so that the central differences of whole runs are good to 1e-6.
    const std::vector<std::string> sets = {"simulation.duration=30min", "simulation.output_interval=60s",
                                           "simulation.solver.rtol=1e-10", "simulation.solver.atol_temperature=1e-8 K"};
    const std::string yaml = dctwin::load_site(kSite, sets).resolved_yaml;
    dctwin::calib::ForwardProblem fp;
    fp.site = kSite;
    for (const char* k : {kFlow, kRjp, kEff})
        fp.params.push_back(dctwin::calib::resolve_parameter(dctwin::calib::parse_fit(k), yaml));
    fp.params[2].lo = 0.9, fp.params[2].hi = 0.99;  // an efficiency: not [x/4, 4x]
    fp.overrides = [&](const std::vector<double>& p) {
        std::vector<std::string> o = sets;
        for (std::size_t k = 0; k < p.size(); ++k)
            o.push_back(fp.params[k].key + "=" + dctwin::calib::value_text(p[k], fp.params[k].unit));
        return o;
    };
    fp.duration = 1800;
    fp.threads = 2;
    std::vector<double> p;
    for (const auto& q : fp.params) p.push_back(q.start);
    dctwin::SiteModel model(dctwin::load_site(kSite, sets));
    const auto cols = columns(model);
    const auto fw = dctwin::calib::run_forward(fp, p, {0, 1, 2}, cols);
    REQUIRE(fw.t.size() == 31);
    for (std::size_t k = 0; k < p.size(); ++k) {
        const double h = 1e-3 * p[k];
        std::vector<double> up = p, down = p;
        up[k] += h, down[k] -= h;
        const auto a = run(fp.overrides(up), cols), b = run(fp.overrides(down), cols);
        for (std::size_t c = 0; c < cols.size(); ++c) {
            REQUIRE(a[c].size() == fw.t.size());
            double big = 0, err = 0, fwd = 0;
            for (std::size_t i = 0; i < fw.t.size(); ++i) {
                const double fd = (a[c][i] - b[c][i]) / (2 * h);
                big = std::max(big, std::abs(fd));
                fwd = std::max(fwd, std::abs(fw.d[k][c][i]));
                err = std::max(err, std::abs(fw.d[k][c][i] - fd));
            }
            MESSAGE(fmt::format("{} column {}: max |d/dp| {:.6g}, max difference {:.3g} ({:.3g} relative)", fp.params[k].key,
                                c, big, err, err / big));
            if (big < 1e-6) {
                // The shelf's loss heats the hall's air, not the coolant: no dependence, and
                // the central differences are the runs' noise (1e-8 K over 2e-3).
                CHECK(fwd < 1e-6);
            } else {
                CHECK(err <= 1e-4 * big);
            }
        }
    }
}

TEST_CASE("calibrate: a fit with forward sensitivities gives back the parameters, as one with finite differences") {
    const std::vector<std::string> sets = {"simulation.duration=30min", "simulation.output_interval=60s"};
    // Noise-free telemetry of the pod at 50 L/min and 0.025 K/W (the site: 60 L/min, 0.02 K/W).
    dctwin::SiteModel model(dctwin::load_site(kSite, with(sets, {std::string(kFlow) + "=50 L/min", std::string(kRjp) + "=0.025 K/W"})));
    const auto cols = columns(model);
    std::string csv = "time [s],site/grid_power [W],racks/coolant_return_temperature/hall1/rowA/rack01 [degC],"
                      "devices/junction_temperature/hall1/rowA/rack01/gpu0 [degC]\n";
    dctwin::RunOptions o;
    o.on_row = [&](double t, const std::vector<double>& row) {
        csv += fmt::format("{:.17g},{:.17g},{:.17g},{:.17g}\n", t, row[cols[0]], row[cols[1]], row[cols[2]]);
    };
    dctwin::run_site(model, o);
    const auto data = dctwin::calib::parse_measured_csv(csv, "truth.csv");
    const std::vector<dctwin::calib::FitRequest> fits = {
        dctwin::calib::parse_fit(std::string(kFlow) + "=30 L/min..90 L/min"),
        dctwin::calib::parse_fit(std::string(kRjp) + "=0.01 K/W..0.04 K/W")};
    dctwin::calib::CalibrateOptions opt;
    opt.sets = sets;
    opt.threads = 2;
    opt.sensitivities = dctwin::calib::Sensitivities::forward;
    const auto fwd = dctwin::calib::calibrate(kSite, data, fits, opt);
    opt.sensitivities = dctwin::calib::Sensitivities::fd;
    const auto fd = dctwin::calib::calibrate(kSite, data, fits, opt);
    REQUIRE(fwd.parameters.size() == 2);
    CHECK(fwd.forward_runs > 0);
    CHECK(fwd.fallbacks.empty());
    CHECK(fd.forward_runs == 0);
    for (std::size_t k = 0; k < 2; ++k) {
        CHECK(fwd.parameters[k].method == "forward");
        CHECK(fd.parameters[k].method == "finite differences");
        CHECK(fwd.parameters[k].value == doctest::Approx(fd.parameters[k].value).epsilon(1e-4));
    }
    CHECK(fwd.parameters[0].value == doctest::Approx(50.0 / 60000).epsilon(1e-4));
    CHECK(fwd.parameters[1].value == doctest::Approx(0.025).epsilon(1e-4));
    // The intervals come from the same Jacobian either way, to its accuracy.
    CHECK(fwd.parameters[0].std_error == doctest::Approx(fd.parameters[0].std_error).epsilon(0.05));
    MESSAGE(fmt::format("forward: {} + {} runs, {} iterations, {:.2f} s, {}; fd: {} runs, {} iterations, {:.2f} s, {}",
                        fwd.runs, fwd.forward_runs, fwd.iterations, fwd.wall_s, fwd.stop, fd.runs, fd.iterations,
                        fd.wall_s, fd.stop));
    MESSAGE(fmt::format("{:.10g} {:.10g} / {:.10g} {:.10g}; cost {:.3g} {:.3g}", fwd.parameters[0].value, fwd.parameters[1].value, fd.parameters[0].value, fd.parameters[1].value, fwd.cost_after, fd.cost_after));
}

TEST_CASE("calibrate: --sensitivities forward refuses a structural key; auto takes finite differences for it") {
    const std::vector<std::string> sets = {"simulation.duration=30min", "simulation.output_interval=60s"};
    const auto data = dctwin::calib::parse_measured_csv("time [s],site/grid_power [W]\n0,1\n60,2\n120,3\n", "m.csv");
    dctwin::calib::CalibrateOptions opt;
    opt.sets = sets;
    opt.sensitivities = dctwin::calib::Sensitivities::forward;
    const std::vector<dctwin::calib::FitRequest> fits = {dctwin::calib::parse_fit(std::string(kFlow) + "=30 L/min..90 L/min"),
                                                          dctwin::calib::parse_fit("rack_types.hgx-h100.devices.gpu.count=16..40")};
    CHECK_THROWS_WITH_AS(dctwin::calib::calibrate(kSite, data, fits, opt),
                         doctest::Contains("--sensitivities forward: --fit 'rack_types.hgx-h100.devices.gpu.count=16..40': "
                                           "the model cannot take this key in place: a count"),
                         std::invalid_argument);
    // What auto decides, key by key (the same function).
    const std::string yaml = dctwin::load_site(kSite, sets).resolved_yaml;
    dctwin::calib::ForwardProblem fp;
    fp.site = kSite;
    for (const auto& f : fits) fp.params.push_back(dctwin::calib::resolve_parameter(f, yaml));
    fp.overrides = [&](const std::vector<double>& p) {
        std::vector<std::string> o = sets;
        for (std::size_t k = 0; k < p.size(); ++k)
            o.push_back(fp.params[k].key + "=" + dctwin::calib::value_text(p[k], fp.params[k].unit));
        return o;
    };
    const std::vector<double> p = {fp.params[0].start, fp.params[1].start};
    CHECK(dctwin::calib::forward_refusal(fp, p, 0).empty());
    CHECK(doctest::String(dctwin::calib::forward_refusal(fp, p, 1).c_str()) == doctest::Contains("a count"));
    // A count given as a quantity of another range still builds another structure: 33 GPUs.
    fp.params[1].lo = 16.5, fp.params[1].hi = 40.5;
    const std::string why = dctwin::calib::forward_refusal(fp, {fp.params[0].start, 32.0}, 1);
    MESSAGE(why);
    CHECK(!why.empty());
}

TEST_CASE("dctwin calibrate --sensitivities: the method of each parameter in the report; forward refuses a count, exit 2") {
    viz_test::TempDir dir;
    const std::string csv = dir.file("m.csv");
    std::ofstream(csv) << "time [s],site/grid_power [W]\n0,50000\n600,60000\n1200,120000\n1800,120000\n";
    const std::string base = "calibrate " + kSite + " " + csv + " --set simulation.duration=30min --set simulation.output_interval=60s";
    auto r = viz_test::run_cli(dir, base + " --fit rack_types.hgx-h100.other_power=2kW..8kW --max-iterations 2 --json", 120);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["sensitivities"] == "auto");
    CHECK(j["parameters"][0]["sensitivity"] == "forward");
    CHECK(j["forward_runs"].get<int>() > 0);
    r = viz_test::run_cli(dir, base + " --fit rack_types.hgx-h100.other_power=2kW..8kW --max-iterations 2 --sensitivities fd", 120);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(viz_test::contains(r.out, "[sensitivity: finite differences: --sensitivities fd]"), r.out);
    r = viz_test::run_cli(dir, base + " --fit rack_types.hgx-h100.devices.gpu.count=16..40 --sensitivities forward", 60);
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(viz_test::contains(r.err, "a count (a whole number without unit)"), r.err);
    r = viz_test::run_cli(dir, base + " --fit rack_types.hgx-h100.other_power --sensitivities exact", 60);
    CHECK(r.exit_code != 0);
}

TEST_CASE("calibrate: a run with a discrete event refuses forward sensitivities; auto goes on by finite differences") {
    // GPUs that slow down at 50 degC throttle once the job starts: a root function crosses.
    const std::vector<std::string> sets = {"simulation.duration=30min", "simulation.output_interval=60s",
                                           "device_types.h100.slowdown_temperature=50 degC"};
    const auto data = dctwin::calib::parse_measured_csv("time [s],site/grid_power [W]\n0,50000\n600,60000\n1200,120000\n"
                                                        "1800,120000\n", "m.csv");
    dctwin::calib::CalibrateOptions opt;
    opt.sets = sets;
    opt.max_iterations = 2;
    const std::vector<dctwin::calib::FitRequest> fits = {dctwin::calib::parse_fit("rack_types.hgx-h100.other_power=2 kW..8 kW")};
    const auto c = dctwin::calib::calibrate(kSite, data, fits, opt);
    REQUIRE(c.fallbacks.size() == 1);
    CHECK(doctest::String(c.fallbacks[0].c_str()) == doctest::Contains("a discrete event"));
    CHECK(c.parameters[0].method == "finite differences");
    CHECK(c.parameters[0].method_note == "a forward run was refused");
    CHECK(c.forward_runs == 0);
    CHECK(doctest::String(c.to_text().c_str()) == doctest::Contains("a forward run was refused (finite differences from there on)"));
    opt.sensitivities = dctwin::calib::Sensitivities::forward;
    CHECK_THROWS_WITH_AS(dctwin::calib::calibrate(kSite, data, fits, opt), doctest::Contains("--sensitivities forward: a discrete event"),
                         std::runtime_error);
}
