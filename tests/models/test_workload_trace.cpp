// Trace replay: the shipped nvidia-smi fixture against the trapezoid of its raw samples (read
// here with a separate, minimal parser), the table format, interpolation, and every malformed
// fixture's line, column and words.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "input/site_loader.hpp"
#include "models/workload/grid_analysis.hpp"
#include "models/workload/trace.hpp"
#include "tests/models/model_test_util.hpp"

using namespace dctwin;
namespace fs = std::filesystem;

namespace {

const std::string kFixture = std::string(DCTWIN_SOURCE_DIR) + "/sites/traces/h100-training-8gpu.csv";
const std::string kBad = std::string(DCTWIN_SOURCE_DIR) + "/tests/robustness/data/traces/";

struct Raw {
    std::map<int, std::vector<double>> t, p;  // per GPU: [s] from 12:00:00, [W]
};

// The fixture is one day, so the clock time suffices: "2024/05/01 12:00:00.123, 3, 612.45 W, 97 %".
Raw read_raw(const std::string& path) {
    Raw r;
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
        REQUIRE(f.size() == 4);
        const double h = std::stod(f[0].substr(11, 2)), m = std::stod(f[0].substr(14, 2)),
                     s = std::stod(f[0].substr(17));
        const int gpu = std::stoi(f[1]);
        r.t[gpu].push_back(h * 3600 + m * 60 + s - 12 * 3600);
        r.p[gpu].push_back(std::stod(f[2]));  // stod stops at " W"
    }
    return r;
}

double trapezoid_of(const std::vector<double>& t, const std::vector<double>& v) {
    double e = 0;
    for (std::size_t i = 1; i < t.size(); ++i) e += 0.5 * (v[i] + v[i - 1]) * (t[i] - t[i - 1]);
    return e;
}

// A fixture's expectations, from its header: "# expect: words" and "# expect-loc: line:col".
struct Expect {
    std::string words;
    int line = 0, col = 0;
};
Expect expectations(const fs::path& f) {
    Expect e;
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line) && line.rfind("#", 0) == 0) {
        if (line.rfind("# expect: ", 0) == 0) e.words = line.substr(10);
        if (line.rfind("# expect-loc: ", 0) == 0) std::sscanf(line.c_str() + 14, "%d:%d", &e.line, &e.col);
    }
    return e;
}

TraceSignalOptions opts(double start, double gain = 1, double offset = 0, bool repeat = false,
                        std::optional<double> outside = {}) {
    TraceSignalOptions o;
    o.start = start, o.gain = gain, o.offset = offset, o.repeat = repeat, o.outside = outside;
    return o;
}

fs::path scratch(const std::string& name) { return test::scratch("workload", name); }

}  // namespace

TEST_CASE("workload trace: replay reproduces the fixture trace's energy within 0.1 %") {
    const auto trace = read_nvidia_smi_csv(kFixture);
    const Raw raw = read_raw(kFixture);
    REQUIRE(trace.power.devices.size() == 8);
    REQUIRE(trace.utilization.devices.size() == 8);
    double e_raw_all = 0, e_replay_all = 0;
    for (int g = 0; g < 8; ++g) {
        const auto& d = trace.power.devices[std::size_t(g)];
        CHECK(d.device == std::to_string(g));
        REQUIRE(d.time.size() == 1200);
        // Times relative to the first row (GPU 0's first sample).
        const double t0 = raw.t.at(0).front();
        for (std::size_t i = 0; i < d.time.size(); i += 97) {
            CHECK(std::abs(d.time[i] - (raw.t.at(g)[i] - t0)) < 1e-9);
            CHECK(d.value[i] == raw.p.at(g)[i]);
        }
        const double e_raw = trapezoid_of(raw.t.at(g), raw.p.at(g));
        // The replayed signal, integrated by the midpoint rule at 1 ms (no use of its kinks).
        const TraceSignal s(d, opts(30.0));
        double e = 0;
        const double a = s.first_time(), b = s.last_time(), h = 1e-3;
        const long n = long(std::ceil((b - a) / h));
        const double step = (b - a) / double(n);
        for (long i = 0; i < n; ++i) e += s.value(a + (double(i) + 0.5) * step) * step;
        CHECK(std::abs(e / e_raw - 1) < 1e-3);
        CHECK(trapezoid(d) == doctest::Approx(e_raw).epsilon(1e-12));
        e_raw_all += e_raw;
        e_replay_all += e;
    }
    CHECK(std::abs(e_replay_all / e_raw_all - 1) < 1e-3);
}

TEST_CASE("workload trace: the fixture is a training job: 2 s iterations, dips, one checkpoint") {
    const auto trace = read_nvidia_smi_csv(kFixture);
    // The site power of the 8 GPUs on a 100 ms grid.
    std::vector<UniformSeries> per;
    for (const auto& d : trace.power.devices) per.push_back(resample_uniform(d.time, d.value, 0.1));
    UniformSeries site = per[0];
    for (std::size_t k = 1; k < per.size(); ++k)
        for (std::size_t i = 0; i < site.v.size() && i < per[k].v.size(); ++i) site.v[i] += per[k].v[i];
    // Training stops for the checkpoint from 64 s to 70 s.
    double ck = 0, train = 0;
    for (std::size_t i = 0; i < site.v.size(); ++i) {
        const double t = site.time(i);
        if (t > 65 && t < 69) ck = std::max(ck, site.v[i]);
        if (t > 20 && t < 60) train = std::max(train, site.v[i]);
    }
    CHECK(ck < 8 * 200);
    CHECK(train > 8 * 600);
    // The training part (10-60 s) peaks at the iteration frequency, 0.5 Hz.
    UniformSeries part{site.time(100), 0.1, {site.v.begin() + 100, site.v.begin() + 600}};
    const auto sp = power_spectrum(part);
    CHECK(peak_frequency(sp, 0.2) == doctest::Approx(0.5).epsilon(0.05));
    // Utilisation is a fraction.
    for (const auto& d : trace.utilization.devices)
        for (double u : d.value) CHECK((u >= 0 && u <= 1));
}

TEST_CASE("workload trace: N/A values are left out, the interpolation bridges them, midnight") {
    const auto t = read_nvidia_smi_csv(kBad + "ok-na-values.csv");
    REQUIRE(t.power.devices.size() == 2);
    const auto* g0 = t.power.find("0");
    const auto* g1 = t.power.find("1");
    REQUIRE(g0);
    REQUIRE(g1);
    REQUIRE(g0->time.size() == 2);
    CHECK(g0->time[0] == 0.0);
    CHECK(g0->time[1] == doctest::Approx(0.2));
    CHECK(g1->time.size() == 2);
    CHECK(g1->time[0] == doctest::Approx(0.1));  // 2024/05/02 00:00:00.000 is 0.1 s after 23:59:59.900
    const TraceSignal s(*g0);
    CHECK(s.value(0.1) == doctest::Approx(650));
    REQUIRE(t.utilization.devices.size() == 1);  // GPU 1 has no utilisation at all
    CHECK(t.utilization.devices[0].value == std::vector<double>{0.90, 0.95, 1.0});
}

TEST_CASE("workload trace: the plain table: units, devices by name, either format by its header") {
    const auto p = parse_table_csv("time, device, power_kW\n0, a, 0.5\n0.5, b, 0.25\n1, a, 0.7\n", "mem");
    CHECK(p.quantity == TraceQuantity::power);
    REQUIRE(p.devices.size() == 2);
    CHECK(p.devices[0].device == "a");
    CHECK(p.devices[0].value == std::vector<double>{500, 700});
    CHECK(p.devices[1].time == std::vector<double>{0.5});
    const auto u = parse_table_csv("# a comment\n\ntime_s, gpu, utilization_pct\r\n10, 3, 50\r\n11, 3, [N/A]\r\n12, 3, 100\r\n", "mem");
    CHECK(u.quantity == TraceQuantity::utilization);
    CHECK(u.devices[0].value == std::vector<double>{0.5, 1.0});
    CHECK(u.devices[0].time == std::vector<double>{10, 12});
    const auto v = parse_table_csv("time, device, value\n0, 0, 0.25\n", "mem", "k", TraceQuantity::utilization);
    CHECK(v.quantity == TraceQuantity::utilization);

    const auto f = scratch("table.csv");
    std::ofstream(f) << "time, device, utilization\n0, x, 0.5\n1, x, 0.75\n";
    const auto both = read_trace_csv(f.string());
    CHECK(both.power.devices.empty());
    CHECK(both.utilization.devices.at(0).value == std::vector<double>{0.5, 0.75});
    const auto smi = read_trace_csv(kBad + "ok-na-values.csv");
    CHECK(smi.power.devices.size() == 2);
    fs::remove_all(f.parent_path());
}

TEST_CASE("workload trace: every malformed fixture names its line, column and what was expected") {
    int n = 0;
    for (const auto& e : fs::directory_iterator(kBad)) {
        const auto name = e.path().filename().string();
        if (e.path().extension() != ".csv" || name.rfind("ok-", 0) == 0) continue;
        const Expect x = expectations(e.path());
        REQUIRE_MESSAGE(!x.words.empty(), name << " lacks '# expect:'");
        INFO(name);
        try {
            if (name.rfind("smi-", 0) == 0) read_nvidia_smi_csv(e.path().string(), "workload.trace.file");
            else read_table_csv(e.path().string(), "workload.trace.file");
            FAIL("accepted");
        } catch (const InputError& err) {
            INFO(err.what());
            CHECK(err.detail.find(x.words) != std::string::npos);
            CHECK(err.loc.line == x.line);
            CHECK(err.loc.col == x.col);
            CHECK(err.key_path == "workload.trace.file");
            CHECK(err.loc.file == e.path().string());
            // The message shows the place and, for a row, the line with a caret.
            CHECK(std::string(err.what()).find(e.path().string() + ":" + std::to_string(x.line) + ":") !=
                  std::string::npos);
        }
        ++n;
    }
    CHECK(n >= 20);
}

TEST_CASE("workload trace: empty text, a missing file, a directory and the 16 MB cap") {
    CHECK_THROWS_WITH_AS(parse_nvidia_smi_csv("", "mem"), doctest::Contains("empty trace"), InputError);
    CHECK_THROWS_WITH_AS(parse_table_csv("\n\n# nothing\n", "mem"), doctest::Contains("empty trace"), InputError);
    CHECK_THROWS_WITH_AS(read_table_csv("/no/such/trace.csv"), doctest::Contains("No such file"), InputError);
    CHECK_THROWS_WITH_AS(read_table_csv(kBad), doctest::Contains("directory"), InputError);
    const auto big = scratch("big.csv");
    {
        std::ofstream out(big);
        out << "time, device, power_W\n";
        const std::string row = "0.000000000000, gpu-with-a-long-name, 612.000000000\n";
        for (long written = 0; written <= kMaxTraceBytes; written += long(row.size())) out << row;
    }
    CHECK_THROWS_WITH_AS(read_table_csv(big.string()),
                         doctest::Contains("the file is too large (16777250 bytes) for a trace (at most 16 MB)"),
                         InputError);
    CHECK_THROWS_WITH_AS(read_trace_csv(big.string()), doctest::Contains("16 MB"), InputError);
    CHECK_THROWS_WITH_AS(parse_table_csv(std::string(std::size_t(kMaxTraceBytes) + 1, ' '), "mem"),
                         doctest::Contains("16 MB"), InputError);
    fs::remove_all(big.parent_path());
}

TEST_CASE("workload trace: the replay signal interpolates, reports its ends, holds or repeats") {
    const DeviceSeries d{"g", {0, 1, 2}, {0, 10, 20}};
    const TraceSignal s(d, opts(5, 2, 1));
    CHECK(s.value(5.5) == doctest::Approx(11));
    CHECK(s.value(0) == doctest::Approx(1));    // holds the first sample
    CHECK(s.value(100) == doctest::Approx(41)); // and the last
    CHECK(s.next_discontinuity(0) == 5);
    CHECK(s.next_discontinuity(5) == 7);
    CHECK(std::isinf(s.next_discontinuity(7)));

    const TraceSignal idle(d, opts(5, 1, 0, false, 3.0));
    CHECK(idle.value(4.999) == 3);
    CHECK(idle.value(5) == 0);
    CHECK(idle.value(6.5) == doctest::Approx(15));
    CHECK(idle.value(7) == 3);  // from the last sample on, as a step schedule would

    // Repeat: period 2 + 1 (one mean step), the closing step back to the first sample.
    const TraceSignal loop(d, opts(5, 1, 0, true));
    CHECK(loop.value(5 + 3 + 0.5) == doctest::Approx(5));
    CHECK(loop.value(5 + 2.5) == doctest::Approx(10));
    CHECK(loop.value(5 + 30 - 1e-9) == doctest::Approx(0).epsilon(1e-6));
    CHECK(std::isinf(loop.next_discontinuity(5)));

    CHECK_THROWS_AS(TraceSignal(DeviceSeries{"x", {}, {}}), std::invalid_argument);
    CHECK_THROWS_AS(TraceSignal(DeviceSeries{"x", {0, 0}, {1, 2}}), std::invalid_argument);
}
