// Sweeps: the sweep file (designs, Latin hypercube, errors), and `dctwin sweep` end to end
// on threads and MPI ranks, killed, interrupted, resumed, with failing cases.

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "input/site_loader.hpp"
#include "tests/robustness/child.hpp"
#include "tests/sweep/sweep_test_util.hpp"
#include "sweep/journal.hpp"
#include "sweep/summary.hpp"
#include "sweep/sweep_file.hpp"
#include "io/results.hpp"

namespace fs = std::filesystem;
using namespace dctwin::sweep;
using dctwin::test::cli;
using dctwin::test::lines;
using dctwin::test::Ran;
using dctwin::test::shell;
using dctwin::test::slurp;
using dctwin::test::spit;

namespace {

fs::path scratch(const std::string& name) { return dctwin::test::scratch_in("sweep", name); }

const std::string kSite = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";


// How a child ended: its exit status, or minus the signal that ended it.
int ending(const robust::Result& r) { return r.signal ? -r.signal : r.exit_code; }

// Every case index in the journal, with how often it appears.
std::map<std::size_t, int> journal_counts(const fs::path& dir) {
    std::map<std::size_t, int> n;
    std::istringstream in(slurp(dir / "cases.jsonl"));
    std::string l;
    while (std::getline(in, l))
        if (!l.empty()) ++n[nlohmann::json::parse(l)["case"].get<std::size_t>()];
    return n;
}

// 12 design points of the example pod, 3 of them with a supply temperature in kW (invalid):
// a product of a list with a seeded Latin hypercube.
std::string mixed_sweep() {
    return "dctwin_sweep: 1\n"
           "name: mixed\n"
           "base: " + kSite + "\n"
           "run: { mode: steady, at: 20 min }\n"
           "parameters:\n"
           "  supply:\n"
           "    key: coolant.supply_temperature\n"
           "    values: [26 degC, 30 degC, 35 kW, 34 degC]\n"
           "  flow:\n"
           "    key: rack_types.hgx-h100.coolant_flow\n"
           "    between: { min: 40 L/min, max: 60 L/min }\n"
           "design:\n"
           "  product:\n"
           "    - supply\n"
           "    - latin_hypercube: { samples: 3, seed: 7, parameters: [flow] }\n";
}

// 40 transient cases of 10 simulated minutes each; for killing and interrupting, of two hours, so
// that the signal comes while cases are left (the site loads in milliseconds).
std::string slow_sweep(const std::string& duration = "10 min") {
    return "dctwin_sweep: 1\n"
           "base: " + kSite + "\n"
           "run: { mode: transient, duration: " + duration + " }\n"
           "parameters:\n"
           "  supply:\n"
           "    key: coolant.supply_temperature\n"
           "    range: { from: 24 degC, to: 34 degC, steps: 40 }\n";
}

std::string error_of(const std::string& yaml) {
    try {
        load_sweep_text(yaml, "s.yaml");
    } catch (const dctwin::InputError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("latin hypercube: reproducible from its seed, one sample in every stratum") {
    const auto a = latin_hypercube(50, 3, 42), b = latin_hypercube(50, 3, 42), c = latin_hypercube(50, 3, 43);
    REQUIRE(a.size() == 150);
    CHECK(a == b);
    CHECK(a != c);
    for (std::size_t d = 0; d < 3; ++d) {
        std::set<int> strata;
        for (std::size_t i = 0; i < 50; ++i) {
            const double u = a[i * 3 + d];
            CHECK(u >= 0.0);
            CHECK(u < 1.0);
            strata.insert(int(u * 50));
        }
        CHECK(strata.size() == 50);
    }
    // Pinned: a change of the generator would silently change every seeded sweep (and its
    // hash, so that no resume would be accepted).
    const auto p = latin_hypercube(4, 2, 1);
    std::string pinned;
    for (const double v : p) pinned += std::to_string(int(std::floor(v * 1e6))) + " ";
    CHECK(pinned == "255256 772363 587724 139044 977839 697412 117688 305408 ");
}

TEST_CASE("sweep file: a seeded hypercube gives the same cases and hash every time, within its bounds and steps") {
    const std::string text = "dctwin_sweep: 1\nbase: " + kSite +
                             "\nparameters:\n"
                             "  supply: { key: coolant.supply_temperature, between: { min: 20 degC, max: 40 degC, step: 0.5 K } }\n"
                             "  flow: { key: rack_types.hgx-h100.coolant_flow, between: { min: 40 L/min, max: 60 L/min } }\n"
                             "design: { latin_hypercube: { samples: 20, seed: 11, parameters: [supply, flow] } }\n";
    const Sweep a = load_sweep_text(text, "a.yaml"), b = load_sweep_text(text, "b.yaml");
    REQUIRE(a.cases.size() == 20);
    CHECK(a.hash == b.hash);
    for (std::size_t i = 0; i < 20; ++i) {
        CHECK(a.cases[i].values == b.cases[i].values);
        const double t = a.cases[i].numbers[0], f = a.cases[i].numbers[1];
        CHECK(t >= 20.0);
        CHECK(t <= 40.0);
        CHECK(std::fmod(t * 2, 1.0) == 0.0);  // multiples of 0.5 K
        CHECK(f >= 40.0);
        CHECK(f < 60.0);
        CHECK(a.cases[i].values[0].find(" degC") != std::string::npos);
    }
    CHECK(a.parameters[0].unit == "degC");
    CHECK(a.overrides(3).back().rfind("rack_types.hgx-h100.coolant_flow=", 0) == 0);
    std::string other = text;
    other.replace(other.find("seed: 11"), 8, "seed: 12");
    const Sweep c = load_sweep_text(other, "c.yaml");
    CHECK(c.hash != a.hash);
    CHECK(c.cases[0].values != a.cases[0].values);
    // Comments and layout do not change what the sweep is.
    CHECK(load_sweep_text("# a comment\n" + text, "d.yaml").hash == a.hash);
}

TEST_CASE("sweep file: products vary the first entry slowest, zips pair, ranges include both ends") {
    const Sweep s = load_sweep_text("dctwin_sweep: 1\nbase: " + kSite +
                                        "\nparameters:\n"
                                        "  a: { key: coolant.supply_temperature, range: { from: 20 degC, to: 30 degC, steps: 3 } }\n"
                                        "  b: { key: rack_types.hgx-h100.coolant_flow, values: [40 L/min, 50 L/min] }\n"
                                        "  c: { key: rack_types.hgx-h100.coolant_volume, values: [10 L, 20 L] }\n"
                                        "design: { product: [a, { zip: [b, c] }] }\n",
                                    "p.yaml");
    REQUIRE(s.cases.size() == 6);
    CHECK(s.cases[0].values == std::vector<std::string>{"20 degC", "40 L/min", "10 L"});
    CHECK(s.cases[1].values == std::vector<std::string>{"20 degC", "50 L/min", "20 L"});
    CHECK(s.cases[2].values == std::vector<std::string>{"25 degC", "40 L/min", "10 L"});
    CHECK(s.cases[5].values == std::vector<std::string>{"30 degC", "50 L/min", "20 L"});
    CHECK(s.cases[5].numbers[1] == 50.0);
    CHECK(parameter_column(s.parameters[1]) == "b_L_per_min");
    // Without a design: the product of every parameter in file order.
    const Sweep d = load_sweep_text("dctwin_sweep: 1\nbase: " + kSite +
                                        "\nparameters:\n"
                                        "  a: { key: coolant.supply_temperature, values: [20 degC, 25 degC] }\n"
                                        "  b: { key: rack_types.hgx-h100.coolant_flow, values: [40 L/min, 50 L/min, 60 L/min] }\n",
                                    "q.yaml");
    CHECK(d.cases.size() == 6);
    CHECK(d.cases[1].values == std::vector<std::string>{"20 degC", "50 L/min"});
}

TEST_CASE("sweep file errors name file:line:col, the key path and what was expected") {
    const std::string head = "dctwin_sweep: 1\nbase: " + kSite + "\n";
    struct Bad {
        std::string yaml, where, words;
    };
    const std::vector<Bad> bad = {
        {head + "parameters:\n  a: { key: coolant.supply_temperature, values: [20 degC] }\nkeep: everything\n",
         "s.yaml:5:7", "keep: expected summary"},
        {head + "parameters:\n  a: { key: coolant.supply_temperature, valuez: [20 degC] }\n", "s.yaml:4:41",
         "parameters.a.valuez: unknown key \"valuez\""},
        {head + "parameters:\n  a: { key: coolant.supply_temperature, range: { from: 20 degC, to: 30 kW, steps: 3 } }\n",
         "s.yaml:4:69", "parameters.a.range.to: expected the unit of `from`"},
        {head + "parameters:\n  a: { key: coolant.supply_temperature, values: [20 degC] }\n"
                "  b: { key: rack_types.hgx-h100.coolant_flow, values: [40 L/min, 50 L/min] }\n"
                "design: { zip: [a, b] }\n",
         "s.yaml:6:20", "design.zip.1: a zip pairs entries one by one: expected 1 values"},
        {head + "parameters:\n  a: { key: coolant.supply_temperature, values: [20 degC] }\ndesign: { product: [a, z] }\n",
         "s.yaml:5:24", "design.product.1: unknown parameter \"z\""},
        {head + "parameters:\n  a: { key: coolant.suply_temperature, values: [20 degC] }\n", "s.yaml:4:6",
         "parameters.a.key: "},
        {head + "parameters:\n  a: { key: coolant.supply_temperature, between: { min: 20 degC, max: 30 degC } }\n",
         "s.yaml:4:6", "needs a `design` with a latin_hypercube"},
        {"dctwin_sweep: 2\nbase: x.yaml\nparameters: {}\n", "s.yaml:1:15", "this file is format 2"},
        {head + "parameters:\n  a: { key: coolant.supply_temperature, values: [20 degC] }\nrun: { mode: steady, duration: 1 h }\n",
         "s.yaml:5:32", "run.duration: `duration` is for transient runs"},
        {"dctwin_sweep: 1\nbase: no-such-site.yaml\nparameters: { a: { key: x, values: [1] } }\n", "s.yaml:2:7",
         "base: cannot read file: No such file or directory"},
        {head + "parameters: [1, 2\n", "s.yaml:", "YAML syntax error"},
        {head + "parameters:\n  pue: { key: coolant.supply_temperature, values: [300] }\n", "s.yaml:4:8",
         "parameters.pue: the parameter's summary column \"pue\" is taken"},
    };
    for (const auto& b : bad) {
        const std::string e = error_of(b.yaml);
        INFO(b.yaml);
        INFO(e);
        CHECK(e.rfind(b.where, 0) == 0);
        CHECK(e.find(b.words) != std::string::npos);
    }
    // The command line: exit status 2 and the message on stderr.
    const fs::path d = scratch("bad");
    spit(d / "bad.yaml", bad[0].yaml);
    const Ran r = cli("sweep " + (d / "bad.yaml").string() + " -o " + (d / "out").string(), d);
    CHECK(r.status == 2);
    CHECK(r.err.find((d / "bad.yaml").string() + ":5:7: error: keep: expected summary") != std::string::npos);
    CHECK(!fs::exists(d / "out" / "summary.csv"));
}

TEST_CASE("-j 1 and -j 2 give identical summaries, and an invalid value fails its case with its message") {
    const fs::path d = scratch("threads");
    spit(d / "mixed.yaml", mixed_sweep());
    const Ran one = cli("sweep " + (d / "mixed.yaml").string() + " -o " + (d / "j1").string() + " -j 1", d);
    const Ran two = cli("sweep " + (d / "mixed.yaml").string() + " -o " + (d / "j2").string() + " -j 2", d);
    INFO(one.err);
    INFO(two.err);
    REQUIRE(one.status == 0);
    REQUIRE(two.status == 0);
    CHECK(one.out.find("12 cases, 3 failed") != std::string::npos);
    CHECK(slurp(d / "j1" / "summary.csv") == slurp(d / "j2" / "summary.csv"));

    const SummaryTable t = read_summary((d / "j2" / "summary.h5").string());
    REQUIRE(t.rows == 12);
    CHECK(t.failed == 3);
    const auto col = [&](const char* n) { const int k = t.find(n); REQUIRE(k >= 0); return std::size_t(k); };
    const std::size_t status = col("status"), error = col("error"), pue = col("pue"), flow = col("flow");
    CHECK(t.columns[flow].name == "flow_L_per_min");
    CHECK(t.columns[flow].unit == "L/min");
    CHECK(t.columns[col("max_junction_temperature_C")].unit == "degC");
    for (std::size_t i = 0; i < 12; ++i) {
        CHECK(t.numbers[0][i] == double(i));  // in case order, whichever thread ran it
        const bool bad = i / 3 == 2;          // the third supply value, "35 kW"
        CHECK(t.strings[status][i] == (bad ? "failed" : "complete"));
        if (bad) {
            CHECK(t.strings[error][i].find("parameter supply = 35 kW") != std::string::npos);
            CHECK(t.strings[error][i].find("expected a temperature") != std::string::npos);
            CHECK(std::isnan(t.numbers[pue][i]));
        } else {
            CHECK(t.numbers[pue][i] > 1.0);
            CHECK(t.numbers[pue][i] < 1.5);
        }
    }
    // The hypercube's three flows repeat for every supply value (a product).
    CHECK(t.numbers[flow][0] == t.numbers[flow][9]);
    CHECK(t.numbers[flow][0] != t.numbers[flow][1]);
    // A warmer supply gives a hotter hottest junction at the same flow.
    CHECK(t.numbers[col("max_junction_temperature_C")][3] > t.numbers[col("max_junction_temperature_C")][0]);
    // The binding family, when the model reports one, is one of the three.
    for (std::size_t i = 0; i < 12; ++i) {
        const std::string f = t.strings[col("binding_family")][i];
        CHECK((f.empty() || f == "silicon" || f == "cooling" || f == "power"));
    }
    // A re-run of a finished sweep runs nothing and writes the same summary.
    const Ran again = cli("sweep " + (d / "mixed.yaml").string() + " -o " + (d / "j2").string() + " -j 2", d);
    CHECK(again.status == 0);
    CHECK(lines(d / "j2" / "cases.jsonl") == 12);
    CHECK(slurp(d / "j1" / "summary.csv") == slurp(d / "j2" / "summary.csv"));
}

TEST_CASE("mpirun -n 2 gives the summary of the threaded run") {
    const fs::path d = scratch("mpi");
    spit(d / "mixed.yaml", mixed_sweep());
    const Ran one = cli("sweep " + (d / "mixed.yaml").string() + " -o " + (d / "j1").string() + " -j 1", d);
    REQUIRE(one.status == 0);
    // Sanitizer builds: what MPI_Init allocates in OpenMPI and its components is never freed
    // (they are unloaded at MPI_Finalize); suppressed by library, which needs the full stacks
    // of the slow unwinder (the fast one stops in the unloaded components). Our own leaks are
    // still reported.
    const std::string lsan = std::string("LSAN_OPTIONS=suppressions=") + DCTWIN_SOURCE_DIR + "/tests/lsan-openmpi.supp:" +
                             "print_suppressions=0:fast_unwind_on_malloc=0 ";
    const Ran mpi = shell(lsan + "mpirun --allow-run-as-root --oversubscribe -n 2 " + DCTWIN_BINARY + " sweep " +
                              (d / "mixed.yaml").string() + " -o " + (d / "mpi").string() + " -j 1",
                          d);
    INFO(mpi.out);
    INFO(mpi.err);
    REQUIRE(mpi.status == 0);
    CHECK(mpi.out.find("12 cases, 3 failed") != std::string::npos);
    CHECK(slurp(d / "j1" / "summary.csv") == slurp(d / "mpi" / "summary.csv"));
    const SummaryTable a = read_summary((d / "j1" / "summary.h5").string()),
                       b = read_summary((d / "mpi" / "summary.h5").string());
    REQUIRE(a.columns.size() == b.columns.size());
    for (std::size_t k = 0; k < a.columns.size(); ++k) {
        CHECK(a.columns[k].name == b.columns[k].name);
        CHECK(a.strings[k] == b.strings[k]);
        REQUIRE(a.numbers[k].size() == b.numbers[k].size());
        for (std::size_t i = 0; i < a.numbers[k].size(); ++i)
            CHECK((a.numbers[k][i] == b.numbers[k][i] || (std::isnan(a.numbers[k][i]) && std::isnan(b.numbers[k][i]))));
    }
    const auto counts = journal_counts(d / "mpi");
    CHECK(counts.size() == 12);
    for (const auto& [i, n] : counts) CHECK(n == 1);
}

TEST_CASE("a sweep killed part-way and run again completes with every case exactly once") {
    const fs::path d = scratch("kill");
    // Cases of two hours each: the kill must come while cases are still to run.
    spit(d / "slow.yaml", slow_sweep("2 h"));
    const fs::path out = d / "out";
    robust::Child child({"sweep", (d / "slow.yaml").string(), "-o", out.string(), "-j", "2"}, d);
    const bool mid = child.wait_until([&] { return lines(out / "cases.jsonl") >= 5; }, 120);
    // A second sweep into the same folder while the first runs is refused.
    const Ran second = cli("sweep " + (d / "slow.yaml").string() + " -o " + out.string(), d);
    child.signal(SIGKILL);
    const int killed = ending(child.wait(60));
    REQUIRE(mid);
    CHECK(killed == -SIGKILL);
    CHECK(second.status == 2);
    CHECK(second.err.find("another dctwin sweep is writing to") != std::string::npos);
    const std::size_t before = lines(out / "cases.jsonl");
    CHECK(before >= 5);
    CHECK(before < 40);
    CHECK(!fs::exists(out / "summary.csv"));  // no summary of a partial sweep

    const Ran r = cli("sweep " + (d / "slow.yaml").string() + " -o " + out.string() + " -j 2", d);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("already done") != std::string::npos);
    const auto counts = journal_counts(out);
    CHECK(counts.size() == 40);
    for (const auto& [i, n] : counts) CHECK(n == 1);
    const SummaryTable t = read_summary((out / "summary.h5").string());
    CHECK(t.rows == 40);
    CHECK(t.failed == 0);
}

TEST_CASE("SIGINT stops launching cases, keeps those done and exits 130, and the same command finishes") {
    const fs::path d = scratch("sigint");
    spit(d / "slow.yaml", slow_sweep("2 h"));
    const fs::path out = d / "out";
    robust::Child child({"sweep", (d / "slow.yaml").string(), "-o", out.string(), "-j", "1"}, d);
    const bool mid = child.wait_until([&] { return lines(out / "cases.jsonl") >= 3; }, 120);
    child.signal(SIGINT);
    const int status = ending(child.wait(60));
    REQUIRE(mid);
    CHECK(status == 130);
    CHECK(slurp(d / "child.err").find("interrupted") != std::string::npos);
    const auto partial = journal_counts(out);
    CHECK(partial.size() >= 3);
    CHECK(partial.size() < 40);
    for (const auto& [i, n] : partial) CHECK(n == 1);
    const Ran r = cli("sweep " + (d / "slow.yaml").string() + " -o " + out.string(), d);
    REQUIRE(r.status == 0);
    CHECK(journal_counts(out).size() == 40);
}

TEST_CASE("a changed sweep file is refused unless --restart, and --retry-failed runs failed cases again") {
    const fs::path d = scratch("changed");
    spit(d / "s.yaml", mixed_sweep());
    REQUIRE(cli("sweep " + (d / "s.yaml").string() + " -o " + (d / "out").string(), d).status == 0);
    std::string changed = mixed_sweep();
    changed.replace(changed.find("seed: 7"), 7, "seed: 8");
    spit(d / "s.yaml", changed);
    const Ran refused = cli("sweep " + (d / "s.yaml").string() + " -o " + (d / "out").string(), d);
    CHECK(refused.status == 2);
    CHECK(refused.err.find("different sweep") != std::string::npos);
    CHECK(refused.err.find("--restart") != std::string::npos);
    const Ran restarted = cli("sweep " + (d / "s.yaml").string() + " -o " + (d / "out").string() + " --restart", d);
    CHECK(restarted.status == 0);
    CHECK(lines(d / "out" / "cases.jsonl") == 12);
    const Ran retried = cli("sweep " + (d / "s.yaml").string() + " -o " + (d / "out").string() + " --retry-failed", d);
    CHECK(retried.status == 0);
    CHECK(lines(d / "out" / "cases.jsonl") == 15);  // the 3 failed cases again
    CHECK(read_summary((d / "out" / "summary.h5").string()).failed == 3);
}

TEST_CASE("a torn last journal line is dropped, and the next record starts a line of its own") {
    const fs::path d = scratch("torn");
    spit(d / "cases.jsonl", "{\"case\": 0, \"status\": \"complete\"}\n{\"case\": 2, \"status\": \"failed\"}\n{\"case\": 1, \"sta");
    const auto r = read_journal(d.string(), 3);
    CHECK(r.size() == 2);
    CHECK(r.count(0) == 1);
    CHECK(r.count(2) == 1);
    {
        Journal j(d.string());
        j.append({{"case", 1}, {"status", "complete"}});
    }
    CHECK(read_journal(d.string(), 3).size() == 3);
    CHECK(lines(d / "cases.jsonl") == 3);
}

TEST_CASE("keep: results writes a complete results file per case on 2 threads") {
    const fs::path d = scratch("results");
    std::string text = slow_sweep();
    text.replace(text.find("steps: 40"), 9, "steps: 6");
    text += "keep: results\n";
    spit(d / "s.yaml", text);
    const Ran r = cli("sweep " + (d / "s.yaml").string() + " -o " + (d / "out").string() + " -j 2", d);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const SummaryTable t = read_summary((d / "out" / "summary.h5").string());
    const int file = t.find("results_file");
    REQUIRE(file >= 0);
    for (std::size_t i = 0; i < 6; ++i) {
        const std::string p = t.strings[std::size_t(file)][i];
        CHECK(p == case_results_path((d / "out").string(), i, 6));
        dctwin::ResultsReader rr(p);
        CHECK(std::get<std::string>(rr.attribute("/", "status")) == "complete");
        CHECK(rr.time().size() == 61);  // every 10 s of 10 min
    }
}

TEST_CASE("dctwin plot --map draws the binding family over two swept parameters") {
    const fs::path d = scratch("map");
    spit(d / "s.yaml", mixed_sweep());
    REQUIRE(cli("sweep " + (d / "s.yaml").string() + " -o " + (d / "out").string() + " -j 2", d).status == 0);
    const std::string summary = (d / "out" / "summary.h5").string();
    const Ran ok = cli("plot " + summary + " --map flow,supply -o " + (d / "map.png").string() +
                              " --width 640 --height 480",
                          d);
    INFO(ok.err);
    CHECK(ok.status == 2);  // supply holds "35 kW": not one unit, so a text column
    CHECK(ok.err.find("takes text values") != std::string::npos);
    const Ran bad = cli("plot " + summary + " --map flow,nothing -o " + (d / "map.png").string(), d);
    CHECK(bad.status == 2);
    CHECK(bad.err.find("parameters: supply, flow") != std::string::npos);
    const Ran foreign = cli("plot " + (d / "s.yaml").string() + " --map a,b -o " + (d / "map.png").string(), d);
    CHECK(foreign.status == 2);
    // Without --map the summary is not a run's results file: the message says how to draw it.
    const Ran no_map = cli("plot " + summary + " -o " + (d / "series.png").string(), d);
    CHECK(no_map.status == 2);
    CHECK(no_map.err.find("a sweep summary, not a run's results file") != std::string::npos);
    CHECK(no_map.err.find("--map X,Y") != std::string::npos);

    // A numeric pair: the shipped example's layout on the small pod.
    spit(d / "grid.yaml", "dctwin_sweep: 1\nbase: " + kSite +
                              "\nparameters:\n"
                              "  supply: { key: coolant.supply_temperature, range: { from: 20 degC, to: 40 degC, steps: 3 } }\n"
                              "  flow: { key: rack_types.hgx-h100.coolant_flow, range: { from: 30 L/min, to: 60 L/min, steps: 3 } }\n");
    REQUIRE(cli("sweep " + (d / "grid.yaml").string() + " -o " + (d / "grid").string() + " -j 2", d).status == 0);
    const Ran drawn = cli("plot " + (d / "grid" / "summary.h5").string() + " --map flow,supply -o " +
                                 (d / "map.png").string() + " --width 640 --height 480",
                             d);
    INFO(drawn.err);
    REQUIRE(drawn.status == 0);
    // The PNG's own header: signature, then IHDR with width and height (big-endian).
    const std::string png = slurp(d / "map.png");
    REQUIRE(png.size() > 1000);
    CHECK(png.substr(1, 3) == "PNG");
    auto be32 = [&](std::size_t at) {
        return (unsigned(static_cast<unsigned char>(png[at])) << 24) | (unsigned(static_cast<unsigned char>(png[at + 1])) << 16) |
               (unsigned(static_cast<unsigned char>(png[at + 2])) << 8) | unsigned(static_cast<unsigned char>(png[at + 3]));
    };
    CHECK(be32(16) == 640);
    CHECK(be32(20) == 480);
}

TEST_CASE("the shipped density-vs-supply sweep: silicon binds with cool water, cooling with warm") {
    // The shipped file on a coarser grid (its corners), so that the test stays short.
    std::string text = slurp(std::string(DCTWIN_SOURCE_DIR) + "/sites/sweeps/density-vs-supply.yaml");
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"base: ../h100-pod.yaml", "base: " + std::string(DCTWIN_SOURCE_DIR) + "/sites/h100-pod.yaml"},
             {"steps: 5", "steps: 2"},
             {"steps: 12", "steps: 2"}}) {
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
    }
    const fs::path d = scratch("shipped");
    spit(d / "corners.yaml", text);
    const Ran r = cli("sweep " + (d / "corners.yaml").string() + " -o " + (d / "out").string() + " -j 2", d);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const SummaryTable t = read_summary((d / "out" / "summary.h5").string());
    REQUIRE(t.rows == 4);  // (16, 18 degC), (16, 40 degC), (48, 18 degC), (48, 40 degC)
    const auto family = [&](std::size_t i) { return t.strings[std::size_t(t.find("binding_family"))][i]; };
    const std::size_t gpus = std::size_t(t.find("gpus_per_rack")), supply = std::size_t(t.find("facility_supply"));
    CHECK(t.numbers[gpus][0] == 16);
    CHECK(t.numbers[supply][0] == 18);
    CHECK(family(0) == "silicon");
    CHECK(family(1) == "cooling");
    CHECK(family(3) == "cooling");
    CHECK(t.failed == 0);
}
