// Fleets (sweep/fleet.hpp): the fleet file and its errors, placements whose answer is known by
// construction, the ranking, and `dctwin fleet` on 1 and 2 threads, 2 MPI ranks, killed and
// resumed.

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "input/site_loader.hpp"
#include "sweep/fleet.hpp"
#include "sweep/summary.hpp"
#include "tests/robustness/child.hpp"
#include "tests/sweep/sweep_test_util.hpp"

namespace fs = std::filesystem;
using namespace dctwin::sweep;
using dctwin::test::cli;
using dctwin::test::lines;
using dctwin::test::Ran;
using dctwin::test::shell;
using dctwin::test::slurp;
using dctwin::test::spit;

namespace {

fs::path scratch(const std::string& name) { return dctwin::test::scratch_in("fleet", name); }

const std::string kSites = std::string(DCTWIN_SOURCE_DIR) + "/sites/";

// Two copies of the 2048-GPU training campus with the same plant: a dry cooler and a trim
// chiller cut to 100 kW. "cool" sits at 10 degC outdoors, where the dry cooler alone holds
// the 25 degC supply; "hot" has a summer week (22-40 degC), where the dry cooler cannot reach
// 25 degC and the chiller would have to reject about all of the ~1 MW: it lacks the cooling
// capacity by construction. hall1/rowA of "cool" is reserved. Workloads: one hall's 1024 GPUs
// (fits on "cool" only), and 4096 GPUs (more than either site has).
std::string two_sites(const std::string& duration = "1 h", int extra_sites = 0) {
    std::string s = "dctwin_fleet: 1\n"
                    "name: known\n"
                    "objective: energy\n"
                    "set: [simulation.lumping=identical, simulation.output_interval=10 min, "
                    "facility.plant.chiller.capacity=100 kW]\n"
                    "sites:\n"
                    "  hot:\n"
                    "    site: " + kSites + "training-campus.yaml\n"
                    "    weather: { file: " + kSites + "weather/hot-week-synthetic.epw, start: 193.5 d }\n"
                    "  cool:\n"
                    "    site: " + kSites + "training-campus.yaml\n"
                    "    reserved: [hall1/rowA]\n"
                    "    set: [\"ambient={kind: constant, temperature: 10 degC}\"]\n";
    for (int i = 0; i < extra_sites; ++i)
        s += "  cool" + std::to_string(i) + ":\n"
             "    site: " + kSites + "training-campus.yaml\n"
             "    set: [\"ambient={kind: constant, temperature: " + std::to_string(5 + i) + " degC}\"]\n";
    s += "workloads:\n"
         "  hall:\n"
         "    gpus: 1024\n"
         "    gpu_type: h100-sxm\n"
         "    duration: " + duration + "\n"
         "    training: { iteration_period: 2 s, resolution: averaged }\n";
    if (extra_sites == 0)
        s += "  big:\n"
             "    gpus: 4096\n"
             "    gpu_type: h100\n"
             "    duration: " + duration + "\n"
             "    inference: { mean_demand: 0.5, amplitude: 0.2 }\n";
    return s;
}

std::string error_of(const std::string& yaml) {
    try {
        load_fleet_text(yaml, "f.yaml");
    } catch (const dctwin::InputError& e) {
        return e.what();
    }
    return "(no error)";
}

bool same(const SummaryTable& a, const SummaryTable& b) {
    if (a.columns.size() != b.columns.size() || a.rows != b.rows) return false;
    for (std::size_t k = 0; k < a.columns.size(); ++k) {
        if (a.columns[k].name != b.columns[k].name || a.strings[k] != b.strings[k]) return false;
        for (std::size_t i = 0; i < a.numbers[k].size(); ++i)
            if (!(a.numbers[k][i] == b.numbers[k][i] || (std::isnan(a.numbers[k][i]) && std::isnan(b.numbers[k][i]))))
                return false;
    }
    return true;
}

}  // namespace

TEST_CASE("fleet file: cases are every workload on every site, errors are placed, unknown keys get a suggestion") {
    const Sweep f = load_fleet_text(two_sites(), "known.yaml");
    REQUIRE(f.cases.size() == 4);
    // Workloads outer, sites inner, in file order.
    CHECK(f.cases[0].values == std::vector<std::string>{"hot", "hall"});
    CHECK(f.cases[1].values == std::vector<std::string>{"cool", "hall"});
    CHECK(f.cases[3].values == std::vector<std::string>{"cool", "big"});
    // The objective is not part of the hash: ranking again runs nothing.
    std::string with_cost = two_sites();
    with_cost.replace(with_cost.find("objective: energy"), 17, "objective: cost");
    CHECK(load_fleet_text(with_cost, "known.yaml").hash == f.hash);
    CHECK(load_fleet_text(two_sites("2 h"), "known.yaml").hash != f.hash);

    std::string typo = two_sites();
    typo.replace(typo.find("workloads:"), 10, "workload:");
    std::string e = error_of(typo);
    CHECK(e.find("f.yaml:") == 0);
    CHECK(e.find("unknown key \"workload\" (did you mean \"workloads\"?)") != std::string::npos);

    std::string bad_profile = two_sites();
    bad_profile.replace(bad_profile.find("iteration_period: 2 s"), 21, "iteration_period: 2 kW");
    e = error_of(bad_profile);
    CHECK(e.find("workloads.hall.training.iteration_period") != std::string::npos);
    // Placed at the value in the fleet file, not at a --set override.
    const auto line = 1 + std::count(bad_profile.begin(), bad_profile.begin() + long(bad_profile.find("iteration_period")), '\n');
    CHECK(e.find("f.yaml:" + std::to_string(line) + ":") == 0);
    CHECK(e.find("--set") == std::string::npos);

    std::string bad_set = two_sites();
    bad_set.replace(bad_set.find("temperature: 10 degC"), 20, "temperature: 10 bar");
    e = error_of(bad_set);
    CHECK(e.find("sites.cool.set.0") != std::string::npos);
    CHECK(e.find("ambient.temperature") != std::string::npos);

    std::string no_type = two_sites();
    no_type.replace(no_type.find("    gpu_type: h100-sxm\n"), 23, "");
    CHECK(error_of(no_type).find("missing required key \"gpu_type\"") != std::string::npos);
    std::string dotted = two_sites();
    dotted.replace(dotted.find("  big:"), 6, "  big.one:");
    CHECK(error_of(dotted).find("workloads.big.one: a workload's name is letters, digits") != std::string::npos);
    CHECK(error_of("dctwin_fleet: 2\nsites: {}\nworkloads: {}\n").find("format 2, this dctwin reads format 1") !=
          std::string::npos);
    // A weather file without its start starts the site's run at the file's first hour (the
    // start was once read from a null node and refused without a place).
    std::string no_start = two_sites();
    no_start.replace(no_start.find(", start: 193.5 d"), 16, "");
    CHECK(load_fleet_text(no_start, "known.yaml").cases.size() == 4);
}

TEST_CASE("two sites known by construction: the summer site lacks cooling, too many GPUs fit nowhere, and the ranking says so") {
    const fs::path d = scratch("known");
    spit(d / "known.yaml", two_sites());
    const Ran r = cli("fleet " + (d / "known.yaml").string() + " -o " + (d / "j1").string(), d);
    INFO(r.out);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const SummaryTable t = read_summary((d / "j1" / "summary.h5").string());
    REQUIRE(t.rows == 4);
    CHECK(t.failed == 0);
    CHECK(t.attributes.at("kind") == "fleet");
    const auto col = [&](const char* n) {
        const int k = t.find(n);
        REQUIRE(k >= 0);
        return std::size_t(k);
    };
    const std::size_t fits = col("fits"), fam = col("fit_binding_family"), free = col("gpus_free"),
                      placed = col("gpus_placed"), cool = col("headroom_cooling"), power = col("headroom_power"),
                      grid = col("energy_grid_J"), it = col("energy_it_J"), tp = col("throughput_fraction");
    CHECK(t.columns[col("headroom_cooling")].unit == "1");
    CHECK(t.columns[col("lost_work_thermal_device_s")].unit == "device-s");
    CHECK(t.columns[col("design_dry_bulb_C")].unit == "degC");
    // hot/hall: the GPUs are there (2048), the cooling is not.
    CHECK(t.numbers[free][0] == 2048);
    CHECK(t.numbers[placed][0] == 1024);
    CHECK(t.numbers[fits][0] == 0);
    CHECK(t.strings[fam][0] == "cooling");
    CHECK(t.numbers[cool][0] < 0);
    // The design point is the hottest moment of the run's span: a summer afternoon.
    CHECK(t.numbers[col("design_dry_bulb_C")][0] > 35);
    // cool/hall: 8 racks of 32 reserved; the hall's worth placed on the rest; fits.
    CHECK(t.numbers[free][1] == 2048 - 256);
    CHECK(t.numbers[placed][1] == 1024);
    CHECK(t.numbers[col("racks_placed")][1] == 32);
    CHECK(t.numbers[fits][1] == 1);
    CHECK(t.numbers[cool][1] >= 0);
    CHECK(t.numbers[power][1] >= 0);
    CHECK(t.strings[fam][1] != "gpus");
    // Energy is conserved along the chain: the grid supplies the IT energy and more.
    CHECK(t.numbers[grid][1] > t.numbers[it][1]);
    CHECK(t.numbers[tp][1] > 0.5);
    // big: 4096 GPUs fit nowhere; nothing runs (no energy), the GPUs bind.
    for (std::size_t i : {2u, 3u}) {
        CHECK(t.numbers[fits][i] == 0);
        CHECK(t.strings[fam][i] == "gpus");
        CHECK(std::isnan(t.numbers[grid][i]));
    }
    // Ranking by energy: the fitting placement first; the one that does not fit after it,
    // with the reason; for `big`, the smaller GPU shortfall first (hot: 2048 free, cool: 1792).
    const auto ranking = rank_fleet(t, "energy");
    REQUIRE(ranking.size() == 4);
    CHECK(ranking[0].workload == "hall");
    CHECK(ranking[0].site == "cool");
    CHECK(ranking[0].fits);
    CHECK(ranking[1].site == "hot");
    CHECK(!ranking[1].fits);
    CHECK(ranking[1].reason.find("does not fit: cooling") == 0);
    CHECK(ranking[2].workload == "big");
    CHECK(ranking[2].site == "hot");
    CHECK(ranking[3].site == "cool");
    CHECK(ranking[3].reason.find("does not fit: gpus (1792 GPUs of type h100 free, 4096 asked)") == 0);
    CHECK(fs::exists(d / "j1" / "ranking.csv"));
    CHECK(r.out.find("ranking by energy") != std::string::npos);
    CHECK_THROWS_AS(rank_fleet(t, "speed"), std::invalid_argument);

    // The picture: a PNG of the size asked; a file that is not a fleet's summary is refused.
    const Ran drawn = cli("plot " + (d / "j1").string() + " --fleet -o " + (d / "fleet.png").string() +
                              " --width 900 --height 800",
                          d);
    INFO(drawn.err);
    REQUIRE(drawn.status == 0);
    const std::string png = slurp(d / "fleet.png");
    REQUIRE(png.size() > 10000);
    CHECK(png.substr(1, 3) == "PNG");
    const Ran foreign = cli("plot " + (d / "known.yaml").string() + " --fleet -o " + (d / "x.png").string(), d);
    CHECK(foreign.status == 2);
    CHECK(!fs::exists(d / "x.png"));

    // Two threads and two MPI ranks: the same summary.
    const Ran two = cli("fleet " + (d / "known.yaml").string() + " -o " + (d / "j2").string() + " -j 2", d);
    REQUIRE(two.status == 0);
    CHECK(slurp(d / "j1" / "summary.csv") == slurp(d / "j2" / "summary.csv"));
    CHECK(same(t, read_summary((d / "j2" / "summary.h5").string())));
    if (shell("command -v mpirun", d).status != 0) {
        MESSAGE("mpirun not found: the 2-rank fleet is not tried");
        return;
    }
    const std::string lsan = std::string("LSAN_OPTIONS=suppressions=") + DCTWIN_SOURCE_DIR +
                             "/tests/lsan-openmpi.supp:print_suppressions=0:fast_unwind_on_malloc=0 ";
    const Ran mpi = shell(lsan + "mpirun --allow-run-as-root --oversubscribe -n 2 " + DCTWIN_BINARY + " fleet " +
                              (d / "known.yaml").string() + " -o " + (d / "mpi").string(),
                          d);
    INFO(mpi.err);
    REQUIRE(mpi.status == 0);
    CHECK(slurp(d / "j1" / "summary.csv") == slurp(d / "mpi" / "summary.csv"));
    CHECK(mpi.out.find("ranking by energy") != std::string::npos);
}

TEST_CASE("a fleet killed part-way and run again completes with every placement exactly once") {
    const fs::path d = scratch("kill");
    // Ten placements of 4 h each (a second or so each): the kill comes while some are
    // still to run.
    spit(d / "many.yaml", two_sites("4 h", 8));
    const fs::path out = d / "out";
    robust::Child child({"fleet", (d / "many.yaml").string(), "-o", out.string(), "-j", "2"}, d);
    const bool mid = child.wait_until([&] { return lines(out / "cases.jsonl") >= 2; }, 120);
    child.signal(SIGKILL);
    const robust::Result killed = child.wait(60);
    REQUIRE(mid);
    CHECK(killed.signal == SIGKILL);
    const std::size_t before = lines(out / "cases.jsonl");
    CHECK(before < 10);
    CHECK(!fs::exists(out / "summary.csv"));

    const Ran r = cli("fleet " + (d / "many.yaml").string() + " -o " + out.string() + " -j 2 --objective carbon", d);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("already done") != std::string::npos);
    std::map<std::size_t, int> counts;
    std::istringstream in(slurp(out / "cases.jsonl"));
    std::string l;
    while (std::getline(in, l))
        if (!l.empty()) ++counts[nlohmann::json::parse(l)["case"].get<std::size_t>()];
    CHECK(counts.size() == 10);
    for (const auto& [i, n] : counts) CHECK(n == 1);
    // No carbon series on these sites: every placement ranks without a value, and says why.
    CHECK(r.out.find("no carbon figure") != std::string::npos);
}
