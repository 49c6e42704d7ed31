// The `dctwin` command end to end, on the shipped example site, as a user runs it.

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/results.hpp"

namespace fs = std::filesystem;

namespace {

struct Ran {
    int status = -1;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

fs::path scratch(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("dctwin-cli-tests-" + std::to_string(getpid()));
    fs::create_directories(d);
    return d / name;
}

// Test cases run as parallel processes: the pid keeps their captures apart.
std::string fmt_name(const char* stem, int n) {
    return std::string(stem) + std::to_string(getpid()) + "-" + std::to_string(n) + ".txt";
}

Ran run_cli(const std::string& args) {
    static int n = 0;
    const auto o = scratch(fmt_name("out", ++n)), e = scratch(fmt_name("err", n));
    const std::string cmd = std::string(DCTWIN_BINARY) + " " + args + " >" + o.string() + " 2>" + e.string();
    const int raw = std::system(cmd.c_str());
    Ran r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = slurp(o);
    r.err = slurp(e);
    return r;
}

const std::string kSite = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";

}  // namespace

TEST_CASE("dctwin run on the example site: summary, energy balance and results file") {
    const auto out = scratch("example.h5");
    fs::remove(out);
    const auto r = run_cli("run " + kSite + " -o " + out.string() + " --duration 20min --json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    for (const char* k : {"site", "duration_s", "energy_J", "peak_power_W", "pue", "max_junction_temperature_C",
                          "energy_balance_error", "solver"})
        CHECK(j.contains(k));
    CHECK(j["duration_s"].get<double>() == 1200.0);
    // What the grid sees is in the text summary too, on a site without a training job.
    const auto text = run_cli("run " + kSite + " -o " + scratch("example-text.h5").string() + " --force --duration 20min");
    REQUIRE(text.status == 0);
    const double ramp_kw = j["grid"]["max_ramp_W_per_s"].get<double>() / 1e3;
    CHECK(text.out.find(fmt::format("grid: largest ramp {:.3f} kW/s", ramp_kw)) != std::string::npos);
    CHECK(text.out.find("ramp limit 50.000 kW/s: 0 violations") != std::string::npos);
    CHECK(j["energy_balance_error"].get<double>() < 1e-6);
    CHECK(j["energy_balance_error"].get<double>() >= 0.0);
    const double grid = j["energy_J"]["grid"], it = j["energy_J"]["it"], cooling = j["energy_J"]["cooling"],
                 losses = j["energy_J"]["losses"];
    CHECK(grid == doctest::Approx(it + cooling + losses).epsilon(1e-9));
    CHECK(j["pue"].get<double>() > 1.0);
    CHECK(j["pue"].get<double>() < 1.5);
    for (const char* k : {"steps", "rhs_evals", "jac_evals", "wall_s"}) CHECK(j["solver"].contains(k));
    CHECK(j["solver"]["jac_evals"].get<long>() > 0);

    dctwin::ResultsReader rr(out.string());
    CHECK(std::get<std::string>(rr.attribute("/", "status")) == "complete");
    const auto t = rr.time();
    REQUIRE(t.size() == 121);  // every 10 s from 0 to 1200 s
    CHECK(t.back() == doctest::Approx(1200.0));
    CHECK(rr.unit("/time") == "s");
    CHECK(rr.unit("/site/grid_power") == "W");
    CHECK(rr.unit("/site/max_junction_temperature") == "degC");
    CHECK(rr.unit("/site/pue") == "1");
    const auto tj = rr.read("/site/max_junction_temperature");
    CHECK(*std::max_element(tj.begin(), tj.end()) ==
          doctest::Approx(j["max_junction_temperature_C"].get<double>()).epsilon(1e-12));
    // The job starts at 10 min: grid power after it is well above the idle power before it.
    const auto grid_p = rr.read("/site/grid_power");
    CHECK(grid_p[120] > 2.5 * grid_p[30]);
    // Per-rack and per-device series are there with their labels.
    std::vector<std::size_t> shape;
    rr.read("/racks/max_junction_temperature", &shape);
    CHECK(shape == std::vector<std::size_t>{121, 4});
    CHECK(rr.read_strings("/racks/paths").front() == "hall1/rowA/rack01");
    CHECK(rr.read_strings("/devices/paths").size() == 4 * 40);
    CHECK(rr.read_text("/metadata/site_yaml").find("example-pod") != std::string::npos);
}

TEST_CASE("dctwin run refuses to overwrite results without --force") {
    const auto out = scratch("existing.h5");
    {
        std::ofstream f(out);
        f << "precious";
    }
    const auto r = run_cli("run " + kSite + " -o " + out.string() + " --duration 1min");
    CHECK(r.status == 1);
    CHECK(r.err.find("--force") != std::string::npos);
    CHECK(slurp(out) == "precious");
    // Refused before the site is read: a site that does not exist is not even opened (on a
    // large site, building the model first cost seconds before the refusal).
    const auto early = run_cli("run /nonexistent/site.yaml -o " + out.string());
    CHECK(early.status == 1);
    CHECK(early.err.find("exists; use --force") != std::string::npos);
    CHECK(early.err.find("/nonexistent/site.yaml") == std::string::npos);
    CHECK(slurp(out) == "precious");
}

TEST_CASE("--set overrides a value with the same validation") {
    const auto a = scratch("set-a.h5"), b = scratch("set-b.h5");
    auto steady_tj = [&](const fs::path& p, const std::string& extra) {
        const auto r = run_cli("run " + kSite + " -o " + p.string() + " --force --steady --at 20min --json " + extra);
        INFO(r.err);
        REQUIRE(r.status == 0);
        return nlohmann::json::parse(r.out)["max_junction_temperature_C"].get<double>();
    };
    const double base = steady_tj(a, "");
    const double warmer = steady_tj(b, "--set coolant.supply_temperature=40degC");
    // 10 K warmer supply: junctions at least 10 K warmer (leakage adds a little more).
    CHECK(warmer - base > 10.0);
    CHECK(warmer - base < 11.5);

    const auto bad = run_cli("run " + kSite + " -o " + b.string() + " --force --set coolant.supply_temperature=35kW");
    CHECK(bad.status == 2);
    CHECK(bad.err.find("--set:") != std::string::npos);
    CHECK(bad.err.find("coolant.supply_temperature") != std::string::npos);
}

TEST_CASE("steady state: power in equals heat out, and a long transient settles on it") {
    const auto s = scratch("steady.h5"), tr = scratch("settle.h5");
    const auto rs = run_cli("run " + kSite + " -o " + s.string() + " --force --steady --at 20min --json");
    REQUIRE(rs.status == 0);
    const auto js = nlohmann::json::parse(rs.out);
    CHECK(js["energy_balance_error"].get<double>() < 1e-9);
    // Constant full activity from t = 0 for 6 h (hall air time constant is ~4 min).
    const auto rt = run_cli("run " + kSite + " -o " + tr.string() +
                           " --force --json --duration 6h --set workload.activity.0.value=0.95 --cold-start");
    INFO(rt.err);
    REQUIRE(rt.status == 0);
    const auto jt = nlohmann::json::parse(rt.out);
    dctwin::ResultsReader rr(tr.string());
    const auto grid = rr.read("/site/grid_power");
    CHECK(grid.back() == doctest::Approx(js["peak_power_W"]["grid"].get<double>()).epsilon(1e-5));
    CHECK(jt["max_junction_temperature_C"].get<double>() ==
          doctest::Approx(js["max_junction_temperature_C"].get<double>()).epsilon(1e-5));
}

TEST_CASE("command-line mistakes exit with status 2 and say what is wrong") {
    CHECK(run_cli("run " + kSite).status == 2);  // no -o
    const auto d = run_cli("run " + kSite + " -o " + scratch("d.h5").string() + " --force --duration 5parsecs");
    CHECK(d.status == 2);
    CHECK(d.err.find("--duration") != std::string::npos);
    const auto m = run_cli("check /nonexistent/site.yaml");
    CHECK(m.status == 2);
    CHECK(m.err.find("/nonexistent/site.yaml") != std::string::npos);
    CHECK(run_cli("frobnicate").status == 2);
    // Contradictory or inconsistent flags are refused, not ignored.
    const std::string out = " -o " + scratch("flags.h5").string() + " --force";
    const auto at = run_cli("run " + kSite + out + " --at 20min");
    CHECK(at.status == 2);
    CHECK(at.err.find("--at requires --steady") != std::string::npos);
    const auto bare = run_cli("run " + kSite + out + " --steady --at 600");
    CHECK(bare.status == 2);
    CHECK(bare.err.find("needs a unit") != std::string::npos);
    CHECK(run_cli("run " + kSite + out + " --steady --at 10min").status == 0);
    const auto csv = run_cli("run " + kSite + " -o " + scratch("x.csv").string());
    CHECK(csv.status == 2);
    CHECK(csv.err.find("name it with .h5") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(scratch("x.csv")));
    const auto dur = run_cli("run " + kSite + out + " --duration 2");
    CHECK(dur.status == 2);
    CHECK(dur.err.find("needs a unit") != std::string::npos);
}

TEST_CASE("dctwin check accepts the example site") {
    const auto r = run_cli("check " + kSite);
    CHECK(r.status == 0);
    CHECK(r.out.find("160 devices") != std::string::npos);
}

TEST_CASE("the hot-spot example: a weak rack throttles and the whole job slows down") {
    const std::string hot = std::string(DCTWIN_SOURCE_DIR) + "/sites/hotspot-pod.yaml";
    const auto out = scratch("hot.h5"), healthy = scratch("healthy.h5");
    const auto r = run_cli("run " + hot + " -o " + out.string() + " --force --json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    // The same site with every rack on its full flow.
    const auto h = run_cli("run " + hot + " -o " + healthy.string() +
                           " --force --json --set rack_types.hgx-h100-weak.coolant_flow=40L/min");
    REQUIRE(h.status == 0);
    const auto jh = nlohmann::json::parse(h.out);
    CHECK(j["throughput_fraction"].get<double>() < jh["throughput_fraction"].get<double>() - 0.05);
    CHECK(j["throttled_device_seconds"]["thermal"].get<double>() > 0);
    CHECK(jh["throttled_device_seconds"]["thermal"].get<double>() == 0);
    for (const char* k : {"power_cap", "thermal", "external"}) CHECK(j["throttled_device_seconds"].contains(k));
    // Thermal throttling happens in the weak rack only, and the job's pace follows it.
    bool onset = false;
    for (const auto& e : j["events"]) {
        if (e["kind"] == "thermal_throttle_onset") {
            onset = true;
            CHECK(e["path"].get<std::string>().rfind("hall1/rowB-weak/", 0) == 0);
        }
    }
    CHECK(onset);
    dctwin::ResultsReader rr(out.string());
    const auto pace = rr.read("/jobs/throughput_fraction");
    const auto slowest = rr.read("/jobs/slowest_device");
    const auto paths = rr.read_strings("/devices/paths");
    CHECK(pace.back() < 0.9);
    CHECK(paths.at(std::size_t(slowest.back())).rfind("hall1/rowB-weak/", 0) == 0);
    // What made the file, and the names of the enumerations' codes: every code written has one.
    CHECK(std::get<std::string>(rr.attribute("/metadata", "dctwin_version")).size() > 0);
    CHECK(std::get<double>(rr.attribute("/metadata", "rtol")) > 0);
    CHECK(std::get<std::string>(rr.attribute("/metadata", "site_file")).find("hotspot-pod.yaml") != std::string::npos);
    const auto codes = nlohmann::json::parse(std::get<std::string>(rr.attribute("/devices/throttle_reason", "codes")));
    bool thermal = false;
    for (double v : rr.read("/devices/throttle_reason")) {
        const std::string key = std::to_string(int(v));
        REQUIRE(codes.contains(key));
        thermal = thermal || codes[key] == "thermal";
    }
    CHECK(thermal);
    const auto fam = nlohmann::json::parse(std::get<std::string>(rr.attribute("/constraints/binding_family", "codes")));
    for (double v : rr.read("/constraints/binding_family")) CHECK(fam.contains(std::to_string(int(v))));

    // The report says why: the cap binds first, but heat not leaving the weak rack's dies
    // costs the work; every constraint with its value, limit and margin in its own unit.
    const auto rep = run_cli("report " + out.string());
    REQUIRE(rep.status == 0);
    CHECK(rep.out.find("why: the power cap lowers the clock") != std::string::npos);
    CHECK(rep.out.find("most work lost to thermal") != std::string::npos);
    CHECK(rep.out.find("why: heat does not leave the die fast enough") != std::string::npos);
    CHECK(rep.out.find(" degC ") != std::string::npos);
    CHECK(rep.out.find(" K ") != std::string::npos);
    const auto rj = nlohmann::json::parse(run_cli("report " + out.string() + " --json").out);
    bool junction = false;
    for (const auto& c : rj["constraints"]) {
        if (c["peak_value"].is_null()) continue;
        const double v = c["peak_value"], l = c["peak_limit"], u = c["peak_utilisation"];
        CHECK(c["margin"].get<double>() == doctest::Approx(l - v));
        CHECK(v / l == doctest::Approx(u));  // utilisation is value over limit, at the same row
        if (c["name"] == "hall1/rowB-weak/rack01/gpu/junction_temperature") {
            junction = true;
            CHECK(c["unit"] == "degC");
            CHECK(l - v < 0);  // over its slowdown temperature
        }
    }
    CHECK(junction);
}

// Every shipped example, run as a user would and reported on. Sites beyond 20,000 devices
// are the benchmarks' (bench/): a run of them does not belong in the timed suite.
TEST_CASE("dctwin report on every shipped example: the table, and JSON that agrees with run --json") {
    std::vector<fs::path> sites;
    for (const auto& e : fs::directory_iterator(fs::path(DCTWIN_SOURCE_DIR) / "sites"))
        if (e.path().extension() == ".yaml") sites.push_back(e.path());
    std::sort(sites.begin(), sites.end());
    REQUIRE(sites.size() >= 5);
    for (const auto& site : sites) {
        CAPTURE(site.string());
        const auto chk = run_cli("check " + site.string());
        REQUIRE(chk.status == 0);
        const auto at = chk.out.find(" devices");
        const auto from = chk.out.rfind(' ', at - 1);
        const long devices = std::stol(chk.out.substr(from + 1, at - from - 1));
        if (devices > 20000) {
            MESSAGE("skipped (benchmark-sized): " << site.filename().string());
            continue;
        }
        const auto out = scratch(site.stem().string() + "-report.h5");
        const auto run = run_cli("run " + site.string() + " -o " + out.string() + " --force --json --duration 10min");
        INFO(run.err);
        REQUIRE(run.status == 0);
        const auto rj = nlohmann::json::parse(run.out);
        REQUIRE(rj.contains("binding"));

        const auto table = run_cli("report " + out.string());
        CHECK(table.status == 0);
        CHECK(table.out.find("constraint") != std::string::npos);
        CHECK(table.out.find("lost work") != std::string::npos);
        const bool limit = rj["binding"]["at_limit"].get<bool>();
        CHECK(table.out.find(limit ? "binds first:" : "nothing reached its limit") != std::string::npos);

        const auto json = run_cli("report " + out.string() + " --json");
        REQUIRE(json.status == 0);
        const auto j = nlohmann::json::parse(json.out);
        for (const char* k : {"family", "constraint", "utilisation"}) CHECK(j["binding"].contains(k));
        CHECK(j["binding"]["constraint"] == rj["binding"]["constraint"]);
        CHECK(j["binding"]["family"] == rj["binding"]["family"]);
        CHECK(j["binding"]["utilisation"].get<double>() == doctest::Approx(rj["binding"]["utilisation"].get<double>()));
        REQUIRE(j["constraints"].is_array());
        CHECK(j["constraints"].size() == rj["constraint_count"].get<std::size_t>());
        for (const auto& c : j["constraints"])
            for (const char* k : {"name", "family", "peak_utilisation", "first_binding_time_s", "seconds_over_limit"})
                CHECK(c.contains(k));
        // Lost work: the report's by-cause figures are the run's.
        CHECK(j["lost_work_device_s"]["total"].get<double>() ==
              doctest::Approx(rj["lost_work_device_s"]["total"].get<double>()).epsilon(1e-9));
    }
}

TEST_CASE("dctwin report and headroom refuse what they cannot read with exit status 2") {
    const auto missing = run_cli("report " + scratch("no-such.h5").string());
    CHECK(missing.status == 2);
    CHECK(missing.err.find("no-such.h5") != std::string::npos);
    const auto axis = run_cli("headroom " + kSite + " --axis sideways");
    CHECK(axis.status == 2);
    const auto bad = run_cli("headroom " + kSite + " --set power.ups.rating=-1kW");
    CHECK(bad.status == 2);
    CHECK(bad.err.find("power.ups.rating") != std::string::npos);
    const auto factor = run_cli("headroom " + kSite + " --max-factor 0.5");
    CHECK(factor.status == 2);
}

TEST_CASE("dctwin headroom on the example site: which family binds first, as text and JSON") {
    const auto t = run_cli("headroom " + kSite);
    INFO(t.err);
    REQUIRE(t.status == 0);
    CHECK(t.out.find("binds first: power") != std::string::npos);
    const auto j = run_cli("headroom " + kSite + " --json --axis racks");
    REQUIRE(j.status == 0);
    const auto h = nlohmann::json::parse(j.out);
    CHECK(h["axis"] == "racks");
    for (const char* f : {"silicon", "cooling", "power"}) CHECK(h["families"].contains(f));
    CHECK(h["binds_first"].is_string());
    CHECK(h["binds_first_at_factor"].get<double>() > 1.0);
}

TEST_CASE("check warns about set points the plant cannot reach, and still accepts the site") {
    const std::string pod = std::string(DCTWIN_SOURCE_DIR) + "/sites/h100-pod.yaml";
    // Every shipped site reaches its set points: no warning.
    CHECK(run_cli("check " + pod).err.find("warning") == std::string::npos);
    // A CDU asked for water colder than the facility water it is cooled by.
    const auto cdu = run_cli("check " + pod + " --set cdus.cdu1.supply_temperature=20degC");
    CHECK(cdu.status == 0);
    CHECK(cdu.err.find("h100-pod.yaml:53:3: warning: cdus.cdu1.supply_temperature: 20.0 degC is below the facility "
                       "supply of 25.0 degC") != std::string::npos);
    // Dry coolers without the trim chiller cannot cool water below the design day's dry-bulb
    // (its highest: max_dry_bulb); with the chiller the same set point is reached.
    std::string text = slurp(pod), no_chiller;
    {
        std::istringstream in(text);
        std::string line;
        bool skipping = false;
        while (std::getline(in, line)) {
            if (line == "    chiller:") skipping = true;
            else if (skipping && line.rfind("      ", 0) != 0) skipping = false;
            if (!skipping) no_chiller += line + "\n";
        }
    }
    REQUIRE(no_chiller.size() < text.size());
    const auto site = scratch("no-chiller.yaml");
    std::ofstream(site) << no_chiller;
    const auto dry = run_cli("check " + site.string() + " --set coolant.supply_temperature=20degC");
    CHECK(dry.status == 0);
    CHECK(dry.err.find("warning: coolant.supply_temperature: 20.0 degC cannot be reached") != std::string::npos);
    CHECK(dry.err.find("dry coolers cannot cool water below it") != std::string::npos);
    CHECK(run_cli("check " + site.string()).err.find("warning") == std::string::npos);  // 25 degC: above the dry-bulb
    CHECK(run_cli("check " + pod + " --set coolant.supply_temperature=20degC").err.find("warning") == std::string::npos);
}
