// Interrupts and crashes of a real `dctwin run`: SIGINT and SIGTERM stop it cleanly (exit 130,
// results file closed with status `interrupted`, every row readable); a second signal while
// it stops changes nothing; after SIGKILL the file still opens, says `running`, and holds the
// rows up to its last flush.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <thread>

#include "child.hpp"
#include "io/results.hpp"

using namespace robust;

namespace {

// Long enough never to finish during a test (30 simulated days, a row every simulated
// second), flushed every `flush` of wall time.
std::vector<std::string> long_run(const fs::path& out, const char* flush = "0.05s") {
    return {"run", site(), "-o", out.string(), "--duration", "30d", "--set", "simulation.output_interval=1s",
            "--set", std::string("simulation.flush_interval=") + flush};
}

// Starts a long run and returns once its results file has existed for `settle_s`.
void start_and_settle(Child& c, const fs::path& out, double settle_s) {
    // The file appears after the site is built and its steady state solved.
    const bool created = c.wait_until([&] { return fs::exists(out) && fs::file_size(out) > 0; }, 30.0);
    REQUIRE_MESSAGE(created, "the results file never appeared; the run ended? stderr: " << slurp(out.parent_path() / "child.err"));
    std::this_thread::sleep_for(std::chrono::duration<double>(settle_s));
    REQUIRE_MESSAGE(!c.exited(), "the run ended before it was signalled");
}

std::int64_t int_attr(const dctwin::ResultsReader& rr, const char* name) {
    return std::get<std::int64_t>(rr.attribute("/", name));
}

// The file is whole up to its `rows`: every series has them, finite where they must be.
void check_rows_readable(const dctwin::ResultsReader& rr, std::size_t rows) {
    const auto t = rr.time();
    REQUIRE(t.size() >= rows);
    for (std::size_t i = 0; i < rows; ++i) {
        REQUIRE(std::isfinite(t[i]));
        if (i > 0) REQUIRE(t[i] >= t[i - 1]);
    }
    const auto grid = rr.read("/site/grid_power");
    REQUIRE(grid.size() >= rows);
    for (std::size_t i = 0; i < rows; ++i) REQUIRE(grid[i] > 0);
    std::vector<std::size_t> shape;
    const auto tj = rr.read("/devices/junction_temperature", &shape);
    REQUIRE(shape.size() == 2);
    REQUIRE(shape[0] >= rows);
    CHECK(shape[1] == 160);
    for (std::size_t i = 0; i < rows * shape[1]; ++i) REQUIRE(std::isfinite(tj[i]));
    CHECK(rr.read_text("/metadata/site_yaml").find("example-pod") != std::string::npos);
}

// A stopped run: status `interrupted`, rows == /time == every series, t_reached the last time.
void check_interrupted(const Result& r, const fs::path& out) {
    INFO("stderr: " << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == 130);
    CHECK(r.out.find("interrupted") != std::string::npos);
    dctwin::ResultsReader rr(out.string());
    CHECK(std::get<std::string>(rr.attribute("/", "status")) == "interrupted");
    const auto rows = int_attr(rr, "rows");
    CHECK(rows > 1);
    const auto t = rr.time();
    CHECK(t.size() == std::size_t(rows));
    CHECK(rr.read("/site/grid_power").size() == std::size_t(rows));
    CHECK(std::get<double>(rr.attribute("/", "t_reached")) == t.back());
    CHECK(t.back() < 30 * 86400.0);
    check_rows_readable(rr, std::size_t(rows));
    // The summary of what was done is in the file too.
    CHECK(std::get<std::string>(rr.attribute("/", "summary_json")).find("\"interrupted\"") != std::string::npos);
    CHECK(shell("h5dump -H " + out.string() + " >/dev/null 2>&1") == 0);
}

}  // namespace

namespace {
// A long run, signalled once it is under way, must stop cleanly.
void stops_cleanly(const char* name, int sig) {
    const auto dir = scratch_dir(name);
    const auto out = dir / "run.h5";
    Child c(long_run(out), dir);
    start_and_settle(c, out, 0.5);
    c.signal(sig);
    check_interrupted(c.wait(10.0), out);
}
}  // namespace

TEST_CASE("SIGINT stops a run cleanly: exit 130, results file `interrupted`, rows readable") {
    stops_cleanly("sigint", SIGINT);
}

TEST_CASE("SIGTERM stops a run cleanly: exit 130, results file `interrupted`, rows readable") {
    stops_cleanly("sigterm", SIGTERM);
}

TEST_CASE("a second Ctrl-C, or SIGTERM, while the run stops changes nothing") {
    const auto dir = scratch_dir("sigint-twice");
    const auto out = dir / "run.h5";
    Child c(long_run(out), dir);
    start_and_settle(c, out, 0.5);
    c.signal(SIGINT);
    c.signal(SIGINT);
    c.signal(SIGTERM);
    // And more while it writes the end of the file.
    for (int i = 0; i < 20 && !c.exited(); ++i) {
        ::kill(c.pid(), i % 2 ? SIGINT : SIGTERM);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    check_interrupted(c.wait(10.0), out);
}

TEST_CASE("kill -9 during a run: the file opens, says `running`, and holds the rows up to its last flush") {
    const auto dir = scratch_dir("sigkill");
    const auto out = dir / "run.h5";
    // Flushes every 0.5 s (ten times the default rate). The writer flushes the rows before the
    // attributes that count them and never reuses freed file space (a rewritten chunk moves;
    // its old place stays intact), which held 12 kills of 12 at 50 ms flushes; a kill in the
    // middle of HDF5's own metadata write is still possible, as HDF5 without SWMR is not
    // crash-consistent.
    // DCTWIN_KILL_FLUSH sets another interval, to measure how often a kill spoils a file.
    const char* flush = std::getenv("DCTWIN_KILL_FLUSH");
    Child c(long_run(out, flush ? flush : "0.5s"), dir);
    start_and_settle(c, out, 2.2);  // four flushes
    c.signal(SIGKILL);
    const auto r = c.wait(10.0);
    CHECK(r.signal == SIGKILL);

    CHECK(shell("h5dump -H " + out.string() + " >/dev/null 2>&1") == 0);
    dctwin::ResultsReader rr(out.string());
    CHECK(std::get<std::string>(rr.attribute("/", "status")) == "running");
    const auto rows = int_attr(rr, "rows");
    CHECK(rows > 1);
    const double t_reached = std::get<double>(rr.attribute("/", "t_reached"));
    const auto t = rr.time();
    REQUIRE(t.size() >= std::size_t(rows));
    CHECK(t[std::size_t(rows) - 1] == t_reached);  // `t_reached` is the time of the last row on disk
    check_rows_readable(rr, std::size_t(rows));

    // `dctwin report` reads what the killed run left: its valid rows, said to be partial.
    const auto rep = dir / "report.txt";
    CHECK(shell(std::string(DCTWIN_BINARY) + " report " + out.string() + " >" + rep.string() + " 2>&1") == 0);
    const std::string text = slurp(rep);
    CHECK(text.find("the run is running") != std::string::npos);
    CHECK(text.find(std::to_string(rows) + " output rows") != std::string::npos);
    const auto js = dir / "report.json";
    CHECK(shell(std::string(DCTWIN_BINARY) + " report --json " + out.string() + " >" + js.string()) == 0);
    CHECK(slurp(js).find("\"rows\": " + std::to_string(rows)) != std::string::npos);
}

TEST_CASE("a file a run is writing is refused by its readers with the reason, and read once the run stops") {
    // HDF5 without SWMR has no consistent view of a file while it is written: reading it then
    // met half-flushed indexes ("addr overflow", most reads of a live run).
    const auto dir = scratch_dir("live-readers");
    const fs::path out = dir / "live.h5";
    Child c(long_run(out), dir);
    start_and_settle(c, out, 0.5);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"report", out.string()},
          {"export", out.string(), "--csv", (dir / "live.csv").string()},
          {"plot", out.string(), "-o", (dir / "live.png").string()}}) {
        const Result r = run(args, dir);
        INFO(args[0] << " stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("is being written by a running dctwin run") != std::string::npos);
        CHECK(r.err.find("HDF5:") == std::string::npos);
    }
    CHECK_FALSE(fs::exists(dir / "live.csv"));
    CHECK_FALSE(c.exited());  // the writer ran on throughout
    c.signal(SIGINT);
    CHECK(c.wait(30).exit_code == 130);
    const Result rep = run({"report", out.string()}, dir);
    CHECK(rep.exit_code == 0);
    CHECK(rep.out.find("interrupted") != std::string::npos);
}
