// Calibration against measurements: the measured-data reader, the Guideline 14 metrics and
// `dctwin compare` end to end (calib/, app/compare_cli.cpp, docs/calibration.md).

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../viz/viz_test_util.hpp"
#include "calib/compare.hpp"
#include "calib/measured.hpp"
#include "input/site_loader.hpp"
#include "viz/render.hpp"
#include "io/results.hpp"

using viz_test::contains;
using viz_test::TempDir;

namespace {

const std::string kData = std::string(DCTWIN_SOURCE_DIR) + "/tests/calib/data/";

void write_text(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
}

// A results file written by the library's own writer: /site/grid_power [W] and two racks'
// coolant return [degC], one row per entry of `t`.
void write_results(const std::string& path, const std::vector<double>& t, const std::vector<double>& power_w,
                   const std::vector<double>& return_c) {
    dctwin::ResultsWriter::Options o;
    o.overwrite = true;
    dctwin::ResultsWriter w(path, o);
    w.add_labels("/racks/paths", {"hall1/rowA/rack01", "hall1/rowA/rack02"}, "rack paths");
    w.add_series({"/site/grid_power", "W", "power drawn from the grid", 0, ""});
    w.add_series({"/racks/coolant_return_temperature", "degC", "rack coolant return", 2, "/racks/paths"});
    w.begin();
    for (std::size_t i = 0; i < t.size(); ++i) {
        const double row[] = {power_w[i], return_c[i], return_c[i] + 1};
        w.append(t[i], row);
    }
    w.finish("complete", t.back());
}

// The measured file's error is placed (file:line:col) and the command exits 2.
void check_located(const TempDir& dir, const std::string& results, const std::string& csv, const std::string& place,
                   const std::string& says) {
    const auto r = viz_test::run_cli(dir, "compare " + results + " " + csv, 60);
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(contains(r.err, csv + place + ": error: "), r.err);
    CHECK_MESSAGE(contains(r.err, says), r.err);
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("CV(RMSE) and NMBE against hand-computed values (ASHRAE Guideline 14)") {
    // m = 10 12 14 16, s = 11 12 13 18: m - s = -1 0 1 -2, sum = -2, sum of squares = 6,
    // mean(m) = 13.
    // p = 1: CV(RMSE) = sqrt(6 / 3) / 13 = 1.414213562 / 13 = 0.108785658
    //        NMBE     = -2 / (3 * 13) = -0.051282051
    // p = 0: CV(RMSE) = sqrt(6 / 4) / 13 = 1.224744871 / 13 = 0.094211144
    //        NMBE     = -2 / (4 * 13) = -0.038461538
    const std::vector<double> m{10, 12, 14, 16}, s{11, 12, 13, 18};
    CHECK(*dctwin::calib::cv_rmse(m, s, 1) == doctest::Approx(0.108785658).epsilon(1e-8));
    CHECK(*dctwin::calib::nmbe(m, s, 1) == doctest::Approx(-0.051282051).epsilon(1e-8));
    CHECK(*dctwin::calib::cv_rmse(m, s, 0) == doctest::Approx(0.094211144).epsilon(1e-8));
    CHECK(*dctwin::calib::nmbe(m, s, 0) == doctest::Approx(-0.038461538).epsilon(1e-8));
    CHECK(dctwin::calib::kGuideline14P == 1);
    // Undefined: n <= p, or a measured mean of 0.
    CHECK_FALSE(dctwin::calib::cv_rmse({5}, {4}, 1));
    CHECK_FALSE(dctwin::calib::nmbe({1, -1}, {0, 0}, 1));
}

TEST_CASE("the measured CSV reader: time column, units, empty fields, timestamps with zones") {
    const auto a = dctwin::calib::read_measured_csv(kData + "seconds.csv");
    REQUIRE(a.series.size() == 2);
    CHECK_FALSE(a.epoch);
    CHECK(a.time == std::vector<double>{0, 60, 120, 180});
    CHECK(a.lines == std::vector<int>{3, 4, 5, 6});
    CHECK(a.series[0].path == "site/grid_power");
    CHECK(a.series[0].unit == "kW");
    CHECK(a.series[0].scale == doctest::Approx(1000));
    CHECK(std::isnan(a.series[0].values[2]));  // an empty field: no measurement
    CHECK(a.series[1].path == "racks/coolant_return_temperature/hall1/rowA/rack01");
    CHECK(a.series[1].offset == doctest::Approx(273.15));
    CHECK(a.series[1].line == 2);

    const auto b = dctwin::calib::read_measured_csv(kData + "timestamps.csv");
    REQUIRE(b.epoch);
    CHECK(*b.epoch == *dctwin::calib::parse_iso8601("2026-03-01 00:00:00"));
    CHECK(b.time == std::vector<double>{0, 60, 120});  // 01:02+01:00 is 00:02 UTC
    CHECK(b.series[1].path == "/site/max_junction_temperature");
    CHECK(dctwin::calib::parse_iso8601("2026-03-01T00:00:00.250Z").value() - *b.epoch == doctest::Approx(0.25));
    CHECK(dctwin::calib::parse_iso8601("2026-03-01T00:00:00-0130").value() - *b.epoch == doctest::Approx(5400));
    CHECK_FALSE(dctwin::calib::parse_iso8601("2026-02-30T00:00:00"));
    CHECK_FALSE(dctwin::calib::parse_iso8601("2026-03-01T00:00:00Zx"));
}

TEST_CASE("the measured CSV reader places every fault at line and column") {
    auto loc = [](const std::string& text) {
        try {
            (void)dctwin::calib::parse_measured_csv(text, "m.csv");
        } catch (const dctwin::InputError& e) {
            return std::pair{e.loc.line, e.loc.col};
        }
        return std::pair{-1, -1};
    };
    CHECK(loc("") == std::pair{1, 1});                                          // empty
    CHECK(loc("time [s],site/grid_power [kW]\n") == std::pair{1, 1});           // no rows
    CHECK(loc("when,site/grid_power [kW]\n0,1\n") == std::pair{1, 1});         // no time column
    CHECK(loc("time [min],a [kW]\n0,1\n") == std::pair{1, 7});                  // time not in s
    CHECK(loc("time [s],site/grid_power\n0,1\n") == std::pair{1, 10});          // no unit
    CHECK(loc("time [s],site/grid_power [zorks]\n0,1\n") == std::pair{1, 27}); // unknown unit
    CHECK(loc("time [s],a [kW],a [W]\n0,1,2\n") == std::pair{1, 17});           // twice
    CHECK(loc("time [s],a [kW]\n0,1\n0,2\n") == std::pair{3, 1});               // not increasing
    CHECK(loc("time [s],a [kW]\n0,1\n10,x\n") == std::pair{3, 4});              // not a number
    CHECK(loc("time [s],a [kW]\n0,1,2\n") == std::pair{2, 5});                  // too many fields
    CHECK(loc("time [s],a [kW]\n0\n") == std::pair{2, 2});                      // too few
    CHECK(loc("timestamp,a [kW]\n2026-03-01 24:00:00,1\n") == std::pair{2, 1}); // bad timestamp
    CHECK(loc("time [s],\"a [kW]\n0,1\n") == std::pair{1, 10});                 // open quote
    CHECK(loc("time [s],a [kW]\n# a comment\n0,1\n\n10,2\n") == std::pair{-1, -1});
}

TEST_CASE("compare: linear interpolation of the simulated series at the measured times") {
    TempDir dir;
    const std::string h5 = dir.file("r.h5"), csv = dir.file("m.csv");
    write_results(h5, {0, 10, 20}, {0, 1000, 2000}, {30, 31, 32});
    // At 5 s and 15 s the simulated series is halfway between its rows; 25 s is after the run.
    write_text(csv, fmt::format("time [s],site/grid_power [kW],racks/coolant_return_temperature/hall1/rowA/rack02 [K]\n"
                                "5,0.5,{}\n15,1.5,{}\n25,9,{}\n",
                                31.5 + 273.15, 32.5 + 273.15, 99.0));
    const auto c = dctwin::calib::compare(h5, dctwin::calib::read_measured_csv(csv), {});
    REQUIRE(c.series.size() == 2);
    for (const auto& s : c.series) {
        CHECK(s.samples == 3);
        CHECK(s.compared == 2);
        CHECK(s.outside == 1);
        CHECK(s.max_error == doctest::Approx(0).epsilon(1e-9).scale(1));
    }
    CHECK(c.series[0].dataset == "/site/grid_power");
    CHECK(c.series[1].column == "hall1/rowA/rack02");
    CHECK(c.series[1].error_unit == "K");
}

TEST_CASE("compare: hourly metrics over complete hours, gaps and outliers reported") {
    TempDir dir;
    const std::string h5 = dir.file("r.h5"), csv = dir.file("m.csv");
    std::vector<double> t, p, r;
    for (int i = 0; i <= 180; ++i) {  // 3 h every minute
        t.push_back(60.0 * i);
        p.push_back(100e3 + 20e3 * std::sin(i / 20.0));
        r.push_back(35 + std::cos(i / 30.0));
    }
    write_results(h5, t, p, r);
    constexpr double kOffsetKw = 4;  // measured = simulated + 4 kW
    constexpr int kOutlier = 150;    // one sample 300 kW off
    std::string text = "time [s],site/grid_power [kW]\n";
    std::vector<double> m, s;
    std::vector<std::vector<double>> hm(3), hs(3);
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] > 4200 && t[i] < 5400) continue;  // a gap of 20 min in the second hour
        const double mv = p[i] / 1e3 + kOffsetKw + (int(i) == kOutlier ? 300 : 0);
        text += fmt::format("{},{}\n", t[i], mv);
        m.push_back(mv);
        s.push_back(p[i] / 1e3);
        if (t[i] < 3 * 3600.0) {
            hm[std::size_t(t[i] / 3600)].push_back(mv);
            hs[std::size_t(t[i] / 3600)].push_back(p[i] / 1e3);
        }
    }
    write_text(csv, text);
    const auto c = dctwin::calib::compare(h5, dctwin::calib::read_measured_csv(csv), {});
    REQUIRE(c.series.size() == 1);
    const auto& g = c.series[0];
    CHECK(g.compared == m.size());
    CHECK(*g.samples_metrics.nmbe == doctest::Approx(*dctwin::calib::nmbe(m, s, 1)));
    CHECK(*g.samples_metrics.cv_rmse == doctest::Approx(*dctwin::calib::cv_rmse(m, s, 1)));
    REQUIRE(g.gaps.size() == 1);
    CHECK(g.gaps[0].from == 4200);
    CHECK(g.gaps[0].to == 5400);
    REQUIRE(g.outlier_times.size() == 1);
    CHECK(g.outlier_times[0] == t[kOutlier]);
    CHECK(g.max_error == doctest::Approx(300 + kOffsetKw));
    // Hours 1 and 3 are covered; hour 2 lost 20 of its 60 minutes (under 90 %): two hourly means.
    std::vector<double> bm, bs;
    for (std::size_t h : {0u, 2u}) {
        double a = 0, b = 0;
        for (std::size_t k = 0; k < hm[h].size(); ++k) a += hm[h][k], b += hs[h][k];
        bm.push_back(a / double(hm[h].size()));
        bs.push_back(b / double(hs[h].size()));
    }
    CHECK(c.series[0].hourly.n == 2);
    CHECK(*g.hourly.nmbe == doctest::Approx(*dctwin::calib::nmbe(bm, bs, 1)));
    CHECK(*g.hourly.cv_limit == 0.30);
    CHECK(*g.hourly.nmbe_limit == 0.10);
    CHECK_FALSE(g.monthly.cv_rmse);  // 3 h: no month
    CHECK_FALSE(g.monthly.why.empty());
}

TEST_CASE("compare: monthly metrics over calendar months of the timestamps, and the offset of --start") {
    TempDir dir;
    const std::string h5 = dir.file("r.h5"), csv = dir.file("m.csv");
    // 65 days every hour from t = 0; measured from 2026-01-01 00:00 UTC: January (744 h) and
    // February (672 h) are whole, March's 6 days are not a month.
    std::vector<double> t, p, r;
    for (int i = 0; i <= 65 * 24; ++i) {
        t.push_back(3600.0 * i);
        p.push_back(1e5 * (1 + 0.3 * std::sin(i / 50.0)));
        r.push_back(30);
    }
    write_results(h5, t, p, r);
    const double epoch = *dctwin::calib::parse_iso8601("2026-01-01T00:00:00Z");
    std::string text = "timestamp,site/grid_power [kW]\n";
    std::vector<double> jan_m, jan_s, feb_m, feb_s;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const double mv = p[i] / 1e3 * 1.04;  // 4 % above the model
        const long long s = (long long)(epoch + t[i]);
        const long long day = s / 86400, sec = s % 86400;
        // Civil date of `day` (days since 1970) for 2026: January 1 is day 20454.
        const long long d = day - 20454;
        const int month = d < 31 ? 1 : d < 59 ? 2 : 3, dom = int(d - (month == 1 ? 0 : month == 2 ? 31 : 59)) + 1;
        text += fmt::format("2026-{:02}-{:02}T{:02}:00:00Z,{}\n", month, dom, sec / 3600, mv);
        if (month == 1) jan_m.push_back(mv), jan_s.push_back(p[i] / 1e3);
        if (month == 2) feb_m.push_back(mv), feb_s.push_back(p[i] / 1e3);
    }
    write_text(csv, text);
    const auto data = dctwin::calib::read_measured_csv(csv);
    REQUIRE(data.epoch);
    CHECK(*data.epoch == epoch);
    const auto c = dctwin::calib::compare(h5, data, {});
    REQUIRE(c.series.size() == 1);
    const auto& g = c.series[0];
    CHECK(g.compared == t.size());
    auto mean = [](const std::vector<double>& v) {
        double a = 0;
        for (const double x : v) a += x / double(v.size());
        return a;
    };
    const std::vector<double> mm{mean(jan_m), mean(feb_m)}, ms{mean(jan_s), mean(feb_s)};
    CHECK(g.monthly.n == 2);
    CHECK(*g.monthly.nmbe == doctest::Approx(*dctwin::calib::nmbe(mm, ms, 1)));
    CHECK(*g.monthly.cv_rmse == doctest::Approx(*dctwin::calib::cv_rmse(mm, ms, 1)));
    CHECK(*g.monthly.cv_limit == 0.15);
    CHECK(*g.monthly.nmbe_limit == 0.05);
    CHECK(g.hourly.n == t.size());  // one hourly sample covers its hour (count x interval)
    CHECK(g.gaps.empty());
    // --start: the first timestamp is 1 day into the run; the last day's samples fall outside.
    dctwin::calib::CompareOptions o;
    o.start = 86400;
    const auto shifted = dctwin::calib::compare(h5, data, o);
    CHECK(shifted.series[0].outside == 24);
}

TEST_CASE("compare: a short run of the example pod against measurements made from it") {
    TempDir dir;
    const std::string h5 = dir.file("pod.h5");
    const auto run = viz_test::run_cli(
        dir, "run " + std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml -o " + h5 + " --duration 5min", 300);
    REQUIRE_MESSAGE(run.exit_code == 0, run.err);
    std::vector<double> t, p, ret;
    std::string rack;
    {
        const dctwin::ResultsReader reader(h5);
        t = reader.time();
        p = reader.read("/site/grid_power");
        std::vector<std::size_t> shape;
        const auto all = reader.read("/racks/coolant_return_temperature", &shape);
        for (std::size_t i = 0; i < shape[0]; ++i) ret.push_back(all[i * shape[1]]);
        rack = reader.read_strings("/racks/paths").at(0);
    }
    REQUIRE(t.size() > 10);
    // Measured = simulated (in kW and degF) at the output times after t = 0 (rows sharing a
    // time are one step), and the same power with a known offset.
    constexpr double kOffsetKw = 5;
    std::string exact = fmt::format("time [s],site/grid_power [kW],racks/coolant_return_temperature/{} [degF]\n", rack);
    std::string offset = "time [s],site/grid_power [kW]\n";
    std::vector<double> measured;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i + 1 < t.size() && t[i + 1] == t[i]) continue;
        exact += fmt::format("{},{},{}\n", t[i], p[i] / 1e3, ret[i] * 9 / 5 + 32);
        offset += fmt::format("{},{}\n", t[i], p[i] / 1e3 + kOffsetKw);
        measured.push_back(p[i] / 1e3 + kOffsetKw);
    }
    write_text(dir.file("exact.csv"), exact);
    write_text(dir.file("offset.csv"), offset);

    const auto a = viz_test::run_cli(dir, "compare " + h5 + " " + dir.file("exact.csv") + " --json", 60);
    REQUIRE_MESSAGE(a.exit_code == 0, a.err);
    const auto ja = nlohmann::json::parse(a.out);
    REQUIRE(ja["series"].size() == 2);
    for (const auto& s : ja["series"]) {
        CHECK(s["compared"].get<std::size_t>() == measured.size());
        CHECK(s["at_samples"]["cv_rmse"].get<double>() == doctest::Approx(0).scale(1).epsilon(1e-9));
        CHECK(s["at_samples"]["nmbe"].get<double>() == doctest::Approx(0).scale(1).epsilon(1e-9));
        CHECK(s["max_error"].get<double>() < 1e-9 * std::abs(s["mean_measured"].get<double>()));
    }
    CHECK(ja["series"][1]["error_unit"] == "degF (difference)");

    // NMBE = sum (m - s) / ((n - p) mean(m)) = n d / ((n - 1) mean(m)) for a constant offset d;
    // CV(RMSE) = sqrt(n d^2 / (n - 1)) / mean(m). mean(m) from the measurements written above.
    const auto b = viz_test::run_cli(dir, "compare " + h5 + " " + dir.file("offset.csv") + " --json", 60);
    REQUIRE_MESSAGE(b.exit_code == 0, b.err);
    const auto jb = nlohmann::json::parse(b.out)["series"][0];
    double mean = 0;
    for (const double v : measured) mean += v / double(measured.size());
    const double n = double(measured.size());
    CHECK(jb["at_samples"]["nmbe"].get<double>() == doctest::Approx(n * kOffsetKw / ((n - 1) * mean)).epsilon(1e-9));
    CHECK(jb["at_samples"]["cv_rmse"].get<double>() ==
          doctest::Approx(std::sqrt(n / (n - 1)) * kOffsetKw / mean).epsilon(1e-9));
    CHECK(jb["max_error"].get<double>() == doctest::Approx(kOffsetKw).epsilon(1e-9));
    CHECK(jb["outlier_times_s"].empty());

    // The text table says the method and the thresholds; the plot shows both series.
    const auto text = viz_test::run_cli(dir, "compare " + h5 + " " + dir.file("offset.csv") + " --plot " +
                                                 dir.file("cmp.png"), 120);
    CHECK_MESSAGE(text.exit_code == 0, text.err);
    const auto png = dctwin::viz::png_stats(dir.file("cmp.png"));
    CHECK(png.width == 1200);
    CHECK(png.covered > 0.02);   // lines and text on the white background
    CHECK(png.coloured > 0.001); // the red points and the blue line
    CHECK(viz_test::run_cli(dir, "compare " + h5 + " " + dir.file("offset.csv") + " --plot " + dir.file("cmp.jpg"), 60)
              .exit_code == 2);
    CHECK(contains(text.out, "interpolated linearly"));
    CHECK(contains(text.out, "p = 1"));
    CHECK(contains(text.out, "site/grid_power [kW]"));
}

TEST_CASE("compare: bad input is a located error with exit status 2") {
    TempDir dir;
    const std::string h5 = dir.file("r.h5");
    write_results(h5, {0, 10, 20}, {0, 1000, 2000}, {30, 31, 32});
    auto csv = [&](const std::string& name, const std::string& text) {
        write_text(dir.file(name), text);
        return dir.file(name);
    };
    check_located(dir, h5, csv("header.csv", "seconds,site/grid_power [kW]\n0,1\n"), ":1:1", "expected the time column");
    check_located(dir, h5, csv("path.csv", "time [s],site/grid_pwr [kW]\n0,1\n"), ":1:10",
                  "did you mean 'site/grid_power'");
    check_located(dir, h5, csv("rack.csv", "time [s],racks/coolant_return_temperature/hall1/rowA/rack9 [degC]\n0,1\n"),
                  ":1:10", "'racks/coolant_return_temperature/hall1/rowA/rack01'");
    check_located(dir, h5, csv("unit.csv", "time [s],site/grid_power [zorks]\n0,1\n"), ":1:27", "unknown unit");
    check_located(dir, h5, csv("dim.csv", "time [s],site/grid_power [degC]\n0,1\n"), ":1:10", "does not convert");
    check_located(dir, h5, csv("order.csv", "time [s],site/grid_power [kW]\n0,1\n10,1\n5,1\n"), ":4:1",
                  "time must increase");
    check_located(dir, h5, csv("empty.csv", ""), ":1:1", "empty file");
    // A FIFO is refused at once (no writer is waited for), as every input file is.
    const std::string fifo = dir.file("fifo.csv");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto f = viz_test::run_cli(dir, "compare " + h5 + " " + fifo, 30);
    CHECK_FALSE(f.timed_out);
    CHECK(f.exit_code == 2);
    CHECK(contains(f.err, fifo + ": error: "));
    CHECK(contains(f.err, "FIFO"));
    // A missing results file, and a results path that is not one.
    const auto m = viz_test::run_cli(dir, "compare " + dir.file("none.h5") + " " + csv("ok.csv", "time [s],site/grid_power [kW]\n0,1\n"), 30);
    CHECK(m.exit_code == 2);
    CHECK(contains(m.err, "none.h5"));
}

TEST_CASE("the nvidia-smi reader: GPUs by index onto device paths, units, missing values, one time axis") {
    const auto d = dctwin::calib::read_measured(kData + "nvidia-smi.csv", dctwin::calib::MeasuredFormat::automatic,
                                                {"hall1/rowA/rack01/gpu", {}});
    REQUIRE(d.epoch);
    CHECK(*d.epoch == doctest::Approx(*dctwin::calib::parse_iso8601("2026-03-01T00:00:00.125Z")));
    REQUIRE(d.time.size() == 4);  // the union of both GPUs' sample times
    REQUIRE(d.series.size() == 6);  // power, temperature and clock fraction of two GPUs
    CHECK(d.series[0].path == "devices/power/hall1/rowA/rack01/gpu0");
    CHECK(d.series[0].unit == "W");
    CHECK(d.series[0].values[0] == 312.45);
    CHECK(std::isnan(d.series[0].values[1]));  // GPU 1's time
    CHECK(d.series[1].path == "devices/junction_temperature/hall1/rowA/rack01/gpu0");
    CHECK(d.series[1].values[2] == 61);
    CHECK(d.series[2].path == "devices/clock_fraction/hall1/rowA/rack01/gpu0");
    CHECK(d.series[2].values[2] == doctest::Approx(1755.0 / 1980.0));
    CHECK(d.series[3].path == "devices/power/hall1/rowA/rack01/gpu1");
    CHECK(std::isnan(d.series[3].values[3]));  // [N/A]
    CHECK(d.series[4].values[3] == 60);

    auto loc = [](const std::string& text) {
        try {
            (void)dctwin::calib::parse_nvidia_smi_csv(text, "smi.csv", "gpu");
        } catch (const dctwin::InputError& e) {
            return std::pair{e.loc.line, e.loc.col};
        }
        return std::pair{-1, -1};
    };
    const std::string h = "timestamp, index, power.draw [W]\n";
    CHECK(loc("") == std::pair{1, 1});
    CHECK(loc(h) == std::pair{1, 1});                                            // no samples
    CHECK(loc("timestamp, power.draw [W]\n") == std::pair{1, 1});              // no index
    CHECK(loc("timestamp, index, power.draw [kW]\n") == std::pair{1, 31});     // wrong unit
    CHECK(loc(h + "2026/03/01 00:00:00.1, 0, 1 W\n2026/03/01 00:00:00.0, 0, 1 W\n") == std::pair{3, 1});  // backwards
    CHECK(loc(h + "2026/13/01 00:00:00.1, 0, 1 W\n") == std::pair{2, 1});       // no month 13
    CHECK(loc(h + "2026/03/01 00:00:00.1, x, 1 W\n") == std::pair{2, 24});      // index
    CHECK(loc(h + "2026/03/01 00:00:00.1, 0, 1 kW\n") == std::pair{2, 27});     // value
    CHECK(loc(h + "2026/03/01 00:00:00.1, 0\n") == std::pair{2, 25});           // fields
}

TEST_CASE("compare: nvidia-smi output of the example pod's GPUs, and its bad input") {
    TempDir dir;
    const std::string h5 = dir.file("pod.h5");
    const auto run = viz_test::run_cli(
        dir, "run " + std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml -o " + h5 + " --duration 3min", 300);
    REQUIRE_MESSAGE(run.exit_code == 0, run.err);
    std::vector<double> t, p, tj;
    std::vector<std::string> paths;
    std::size_t width = 0;
    {
        const dctwin::ResultsReader reader(h5);
        t = reader.time();
        std::vector<std::size_t> shape;
        p = reader.read("/devices/power", &shape);
        width = shape[1];
        tj = reader.read("/devices/junction_temperature");
        paths = reader.read_strings("/devices/paths");
    }
    // GPUs 0 and 1 of the first rack as nvidia-smi prints them, at the output times.
    REQUIRE(paths.at(1).size() > 1);
    const std::string prefix = paths[0].substr(0, paths[0].size() - 1);  // ".../gpu"
    REQUIRE(paths[1] == prefix + "1");
    std::string text = "timestamp, index, power.draw [W], temperature.gpu\n";
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i + 1 < t.size() && t[i + 1] == t[i]) continue;
        const int ms = int(std::lround(t[i] * 1000));
        for (std::size_t g = 0; g < 2; ++g)
            text += fmt::format("2026/03/01 00:{:02}:{:02}.{:03}, {}, {} W, {}\n", ms / 60000, ms / 1000 % 60, ms % 1000, g,
                                p[i * width + g], tj[i * width + g]);
    }
    write_text(dir.file("smi.csv"), text);
    const auto r = viz_test::run_cli(dir, "compare " + h5 + " " + dir.file("smi.csv") + " --gpus " + prefix + " --json", 60);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["series"].size() == 4);
    for (const auto& s : j["series"]) {
        CHECK(s["compared"].get<std::size_t>() > 10);
        CHECK(s["max_error"].get<double>() <= 1e-9 * std::abs(s["mean_measured"].get<double>()));
    }
    // Without --gpus the indices mean nothing; a prefix the file lacks is an unknown path.
    const auto no = viz_test::run_cli(dir, "compare " + h5 + " " + dir.file("smi.csv"), 60);
    CHECK(no.exit_code == 2);
    CHECK(contains(no.err, "smi.csv:1:1: error: "));
    CHECK(contains(no.err, "--gpus"));
    const auto bad = viz_test::run_cli(dir, "compare " + h5 + " " + dir.file("smi.csv") + " --gpus hall9/gpu", 60);
    CHECK(bad.exit_code == 2);
    CHECK(contains(bad.err, "smi.csv:2:"));
    CHECK(contains(bad.err, "did you mean"));
}

TEST_CASE("the Prometheus text reader: DCGM exporter metrics by gpu label, facility points by --metric") {
    dctwin::calib::TelemetryOptions o;
    o.gpu_prefix = "hall1/rowA/rack01/gpu";
    o.maps.push_back(dctwin::calib::parse_metric_map("facility_power_watts{point=\"grid\"}=site/grid_power [W]"));
    const auto d = dctwin::calib::read_measured(kData + "prometheus.txt", dctwin::calib::MeasuredFormat::automatic, o);
    REQUIRE(d.epoch);
    CHECK(*d.epoch == *dctwin::calib::parse_iso8601("2026-03-01T00:00:00Z"));  // 1772323200000 ms
    CHECK(d.time == std::vector<double>{0, 60});
    // In order of first appearance: power of GPU 0 and 1, temperature of GPU 0, grid power
    // (the SM clock and the chiller point are not mapped: skipped).
    REQUIRE(d.series.size() == 4);
    CHECK(d.series[0].path == "devices/power/hall1/rowA/rack01/gpu0");
    CHECK(d.series[0].values == std::vector<double>{312.45, 640.02});
    CHECK(std::isnan(d.series[1].values[1]));  // NaN: no measurement
    CHECK(d.series[2].path == "devices/junction_temperature/hall1/rowA/rack01/gpu0");
    CHECK(d.series[2].unit == "degC");
    CHECK(d.series[3].path == "site/grid_power");
    CHECK(d.series[3].values == std::vector<double>{120500, 121000});

    CHECK_THROWS_AS(dctwin::calib::parse_metric_map("x=site/grid_power"), std::invalid_argument);       // no unit
    CHECK_THROWS_AS(dctwin::calib::parse_metric_map("x{a=1}=site/grid_power [W]"), std::invalid_argument);  // unquoted
    CHECK_THROWS_AS(dctwin::calib::parse_metric_map("x=site/grid_power [zorks]"), std::invalid_argument);

    auto loc = [](const std::string& text) {
        try {
            (void)dctwin::calib::parse_prometheus_text(text, "p.txt", "gpu",
                                                       {dctwin::calib::parse_metric_map("m=site/grid_power [W]")});
        } catch (const dctwin::InputError& e) {
            return std::pair{e.loc.line, e.loc.col};
        }
        return std::pair{-1, -1};
    };
    CHECK(loc("") == std::pair{1, 1});
    CHECK(loc("other 1 1000\n") == std::pair{1, 1});                       // nothing mapped
    CHECK(loc("m 1\n") == std::pair{1, 4});                                // no timestamp
    CHECK(loc("m x 1000\n") == std::pair{1, 3});                           // value
    CHECK(loc("m 1 2000\nm 1 1000\n") == std::pair{2, 5});                 // backwards
    CHECK(loc("m{a=\"1\" 1 1000\n") == std::pair{1, 9});                   // label not closed
    CHECK(loc("9m 1 1000\n") == std::pair{1, 1});                          // name
    CHECK(loc("DCGM_FI_DEV_GPU_TEMP{x=\"1\"} 50 1000\n") == std::pair{1, 1});  // no gpu label
    CHECK(loc("# TYPE m gauge\nm 1 1000\nm 2 61000\n") == std::pair{-1, -1});
    // Told apart from a CSV even when a label value holds a comma and a quote.
    TempDir dir;
    write_text(dir.file("q.txt"), "m{a=\"x, \"} 1 1000\n");  // the CSV splitter sees an open quote
    dctwin::calib::TelemetryOptions q;
    q.maps.push_back(dctwin::calib::parse_metric_map("m=site/grid_power [W]"));
    const auto qd = dctwin::calib::read_measured(dir.file("q.txt"), dctwin::calib::MeasuredFormat::automatic, q);
    REQUIRE(qd.series.size() == 1);
    CHECK(qd.series[0].values == std::vector<double>{1});
}

TEST_CASE("compare: Prometheus text of the example pod, DCGM metrics and a facility meter") {
    TempDir dir;
    const std::string h5 = dir.file("pod.h5");
    const auto run = viz_test::run_cli(
        dir, "run " + std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml -o " + h5 + " --duration 3min", 300);
    REQUIRE_MESSAGE(run.exit_code == 0, run.err);
    std::vector<double> t, p, grid;
    std::vector<std::string> paths;
    std::size_t width = 0;
    {
        const dctwin::ResultsReader reader(h5);
        t = reader.time();
        std::vector<std::size_t> shape;
        p = reader.read("/devices/power", &shape);
        width = shape[1];
        grid = reader.read("/site/grid_power");
        paths = reader.read_strings("/devices/paths");
    }
    const std::string prefix = paths[0].substr(0, paths[0].size() - 1);
    // Scrapes at the output times since 2026-03-01 00:00 UTC (ms); the meter in kW.
    const double t0_ms = 1772323200000.0;
    std::string text = "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n";
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i + 1 < t.size() && t[i + 1] == t[i]) continue;
        const double ms = t0_ms + std::round(t[i] * 1000);
        text += fmt::format("DCGM_FI_DEV_POWER_USAGE{{gpu=\"3\",Hostname=\"n1\"}} {} {}\n", p[i * width + 3], ms);
        text += fmt::format("meter_kw{{point=\"grid\",site=\"a\"}} {} {}\n", grid[i] / 1e3, ms);
    }
    write_text(dir.file("scrape.txt"), text);
    const std::string base = "compare " + h5 + " " + dir.file("scrape.txt") + " --gpus " + prefix;
    const auto r = viz_test::run_cli(dir, base + " --metric meter_kw{point=\"grid\"}=site/grid_power[kW] --json", 60);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["series"].size() == 2);
    CHECK(j["series"][0]["dataset"] == "/devices/power");
    CHECK(j["series"][0]["column"] == prefix + "3");
    CHECK(j["series"][1]["dataset"] == "/site/grid_power");
    for (const auto& s : j["series"]) {
        CHECK(s["compared"].get<std::size_t>() > 10);
        CHECK(s["max_error"].get<double>() <= 1e-9 * std::abs(s["mean_measured"].get<double>()));
    }
    // A malformed --metric, and a metric onto a path the run lacks (placed where it first appears).
    const auto m = viz_test::run_cli(dir, base + " --metric meter_kw=site/grid_power", 60);
    CHECK(m.exit_code == 2);
    CHECK(contains(m.err, "--metric"));
    const auto u = viz_test::run_cli(dir, base + " --metric meter_kw=site/grid_powr[kW]", 60);
    CHECK(u.exit_code == 2);
    CHECK(contains(u.err, "scrape.txt:4:1: error: "));
    CHECK(contains(u.err, "did you mean 'site/grid_power'"));
}

TEST_CASE("the dcgmi dmon reader: rounds of GPU rows at the interval, POWER and GTEMP, repeated headers") {
    dctwin::calib::TelemetryOptions o;
    o.gpu_prefix = "hall1/rowA/rack01/gpu";
    o.interval = 2;
    const auto d = dctwin::calib::read_measured(kData + "dcgmi-dmon.txt", dctwin::calib::MeasuredFormat::automatic, o);
    CHECK_FALSE(d.epoch);  // dmon prints no clock: round r is at r x interval of the run
    CHECK(d.time == std::vector<double>{0, 2, 4});
    REQUIRE(d.series.size() == 4);
    CHECK(d.series[0].path == "devices/power/hall1/rowA/rack01/gpu0");
    CHECK(d.series[0].values == std::vector<double>{312.45, 640.02, 655.1});
    CHECK(d.series[1].path == "devices/junction_temperature/hall1/rowA/rack01/gpu0");
    CHECK(d.series[1].values == std::vector<double>{54, 61, 63});
    CHECK(std::isnan(d.series[2].values[1]));  // N/A

    auto loc = [](const std::string& text) {
        try {
            (void)dctwin::calib::parse_dcgmi_dmon(text, "d.txt", "gpu", 1);
        } catch (const dctwin::InputError& e) {
            return std::pair{e.loc.line, e.loc.col};
        }
        return std::pair{-1, -1};
    };
    CHECK(loc("") == std::pair{1, 1});
    CHECK(loc("GPU 0 1 2\n") == std::pair{1, 1});                              // no header
    CHECK(loc("#Nope POWER\n") == std::pair{1, 1});                            // not dmon's header
    CHECK(loc("#Entity POWER GTEMP\nGPU 0 1\n") == std::pair{2, 8});           // too few values
    CHECK(loc("#Entity POWER GTEMP\nGPU 0 1 2 3\n") == std::pair{2, 11});      // too many
    CHECK(loc("#Entity POWER GTEMP\nGPU x 1 2\n") == std::pair{2, 5});         // id
    CHECK(loc("#Entity POWER GTEMP\nGPU 0 1W 2\n") == std::pair{2, 7});        // value
    CHECK(loc("#Entity SMCLK\nGPU 0 1980\n") == std::pair{1, 1});              // nothing compared
    CHECK(loc("# Entity POWER\nCPU 0 100\nGPU 0 1\n") == std::pair{-1, -1});
}

TEST_CASE("compare: dcgmi dmon output of the example pod at its output interval") {
    TempDir dir;
    const std::string h5 = dir.file("pod.h5");
    const auto run = viz_test::run_cli(
        dir, "run " + std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml -o " + h5 + " --duration 3min", 300);
    REQUIRE_MESSAGE(run.exit_code == 0, run.err);
    std::vector<double> t, p, tj;
    std::vector<std::string> paths;
    std::size_t width = 0;
    {
        const dctwin::ResultsReader reader(h5);
        t = reader.time();
        std::vector<std::size_t> shape;
        p = reader.read("/devices/power", &shape);
        width = shape[1];
        tj = reader.read("/devices/junction_temperature");
        paths = reader.read_strings("/devices/paths");
    }
    const std::string prefix = paths[0].substr(0, paths[0].size() - 1);
    std::vector<double> steps;  // output times, rows sharing a time taken once (the later)
    std::string text = "#Entity   POWER   GTEMP\nID        W       C\n";
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i + 1 < t.size() && t[i + 1] == t[i]) continue;
        steps.push_back(t[i]);
        for (std::size_t g = 0; g < 2; ++g)
            text += fmt::format("GPU {}  {}  {}\n", g, p[i * width + g], tj[i * width + g]);
    }
    REQUIRE(steps.size() > 10);
    const double interval = steps[1] - steps[0];
    for (std::size_t i = 1; i < steps.size(); ++i) REQUIRE(steps[i] - steps[i - 1] == interval);
    write_text(dir.file("dmon.txt"), text);
    const auto r = viz_test::run_cli(dir, fmt::format("compare {} {} --gpus {} --interval {}s --json", h5,
                                                      dir.file("dmon.txt"), prefix, interval), 60);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["series"].size() == 4);
    for (const auto& s : j["series"]) {
        CHECK(s["compared"].get<std::size_t>() == steps.size());
        CHECK(s["max_error"].get<double>() <= 1e-9 * std::abs(s["mean_measured"].get<double>()));
    }
    const auto no = viz_test::run_cli(dir, "compare " + h5 + " " + dir.file("dmon.txt"), 60);
    CHECK(no.exit_code == 2);
    CHECK(contains(no.err, "dmon.txt:1:1: error: dcgmi dmon output names GPUs by index"));
}
