// Interrupts and crashes of a real `dctwin run`: SIGINT and SIGTERM stop it cleanly (exit 130,
// results file closed with status `interrupted`, every row readable); a second signal while
// it stops changes nothing; after SIGKILL the file still opens, says `running`, and holds the
// rows up to its last flush. Readers read a file while its run writes it.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
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

namespace {
std::size_t rows_of_report_json(const std::string& json) {
    const std::string key = "\"rows\": ";
    const auto at = json.find(key);
    return at == std::string::npos ? 0 : std::stoul(json.substr(at + key.size()));
}

std::size_t lines_of(const std::string& text) { return std::size_t(std::count(text.begin(), text.end(), '\n')); }
}  // namespace

TEST_CASE("a file a run is writing is read while it runs: report, export, plot and render, round after round") {
    const auto dir = scratch_dir("live-readers");
    const fs::path out = dir / "live.h5";
    // Flushes every 0.5 s, ten times the default rate: each read may meet a flush and retry.
    Child c(long_run(out, "0.5s"), dir);
    const bool flushed = c.wait_until(
        [&] {
            if (!fs::exists(out)) return false;
            try {
                std::int64_t rows = 0;
                dctwin::read_retrying(out.string(), [&] { rows = int_attr(dctwin::ResultsReader(out.string()), "rows"); });
                return rows > 0;
            } catch (const dctwin::ResultsError&) {
                return false;
            }
        },
        60.0);
    REQUIRE_MESSAGE(flushed, "no row was flushed; stderr: " << slurp(dir / "child.err"));
    std::size_t last_rows = 0;
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        const Result rep = run({"report", "--json", out.string()}, dir, 120);
        INFO("report stderr: " << rep.err);
        REQUIRE(rep.exit_code == 0);
        CHECK(rep.out.find("\"status\": \"running\"") != std::string::npos);
        const std::size_t rows = rows_of_report_json(rep.out);
        CHECK(rows >= std::max<std::size_t>(last_rows, 1));  // the run goes on, never back
        last_rows = rows;
        const fs::path csv = dir / ("live" + std::to_string(round) + ".csv");
        const Result exp = run({"export", out.string(), "--csv", csv.string(), "--series", "/site/grid_power"}, dir, 120);
        INFO("export stderr: " << exp.err);
        CHECK(exp.exit_code == 0);
        const std::string table = slurp(csv);
        CHECK(lines_of(table) >= rows + 1);  // the heading and at least the rows the report saw
        CHECK(table.find(",\n") == std::string::npos);  // every row has its value: none past the flushed rows
        for (const char* view : {"plot", "render"}) {
            const fs::path png = dir / (std::string(view) + std::to_string(round) + ".png");
            // VTK and the GL libraries it loads keep a few hundred bytes at exit: under the
            // sanitizer build the pictures run without leak detection, as in test_render.cpp.
            const char* asan = std::getenv("ASAN_OPTIONS");
            const std::string saved = asan ? asan : "";
            ::setenv("ASAN_OPTIONS", (saved.empty() ? std::string("detect_leaks=0") : saved + ":detect_leaks=0").c_str(), 1);
            const Result r = run({view, out.string(), "-o", png.string()}, dir, 120);
            if (asan) ::setenv("ASAN_OPTIONS", saved.c_str(), 1);
            else ::unsetenv("ASAN_OPTIONS");
            INFO(view << " stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(fs::exists(png));
        }
    }
    CHECK_FALSE(c.exited());  // the writer ran on throughout
    c.signal(SIGINT);
    const Result end = c.wait(30);
    CHECK(end.exit_code == 130);
    dctwin::ResultsReader rr(out.string());
    CHECK(std::get<std::string>(rr.attribute("/", "status")) == "interrupted");
    const auto rows = int_attr(rr, "rows");
    CHECK(std::size_t(rows) >= last_rows);
    CHECK(rr.time().size() == std::size_t(rows));
    check_rows_readable(rr, std::size_t(rows));
}

TEST_CASE("readers during a run leave its file as a run without readers writes it") {
    const auto dir = scratch_dir("live-unaffected");
    // One thread: the same numbers whoever else uses the machine.
    const auto args = [&](const fs::path& out) {
        return std::vector<std::string>{"run", site(), "-o", out.string(), "--duration", "40d", "--set",
                                        "simulation.output_interval=300s", "--set", "simulation.flush_interval=0.2s",
                                        "--set", "simulation.threads=1"};
    };
    const fs::path read = dir / "read.h5", alone = dir / "alone.h5";
    Child c(args(read), dir, "read");
    int reads = 0, read_ok = 0;
    while (!c.exited()) {
        if (fs::exists(read)) {
            const Result r = run({"report", read.string()}, dir, 120, "report");
            // Before the first rows are flushed there is nothing to report, and it says so.
            if (r.exit_code == 2 && r.err.find("has no output rows") != std::string::npos) continue;
            INFO("report stderr: " << r.err);
            CHECK(r.exit_code == 0);
            ++reads;
            read_ok += r.exit_code == 0;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    const Result first = c.wait(1);
    REQUIRE(first.exit_code == 0);
    // The run takes seconds (4 s on a loaded 2-core machine), a report a fraction of one.
    CHECK(reads >= 1);
    CHECK(read_ok == reads);
    const Result second = run(args(alone), dir, 300, "alone");
    REQUIRE(second.exit_code == 0);
    const fs::path a = dir / "read.csv", b = dir / "alone.csv";
    REQUIRE(run({"export", read.string(), "--csv", a.string()}, dir).exit_code == 0);
    REQUIRE(run({"export", alone.string(), "--csv", b.string()}, dir).exit_code == 0);
    CHECK(lines_of(slurp(a)) == 1 + 40 * 288 + 1);  // the heading, a row every 5 min for 40 days, and t = 0
    CHECK(slurp(a) == slurp(b));
    {
        dctwin::ResultsReader rr(read.string());
        CHECK(std::get<std::string>(rr.attribute("/", "status")) == "complete");
    }
    fs::remove_all(dir);  // two 40 MB sidecars
}

TEST_CASE("a half-written file its run is writing: readers say so and to try again, exit 2, no crash") {
    const auto dir = scratch_dir("half-written");
    const fs::path whole = dir / "whole.h5", half = dir / "half.h5";
    REQUIRE(run({"run", site(), "-o", whole.string(), "--duration", "10min"}, dir, 120).exit_code == 0);
    // What a reader may meet between a run's flushes: metadata written only in part.
    const std::string bytes = slurp(whole);
    { std::ofstream(half, std::ios::binary) << bytes.substr(0, bytes.size() / 2); }
    // A run writing it: its lock, as ResultsWriter takes it.
    const int fd = ::open(half.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    struct flock whole_file {};
    whole_file.l_type = F_WRLCK;
    whole_file.l_whence = SEEK_SET;
    REQUIRE(::fcntl(fd, F_OFD_SETLK, &whole_file) == 0);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"report", half.string()}, {"plot", half.string(), "-o", (dir / "half.png").string()}}) {
        const Result r = run(args, dir, 120);
        INFO(args[0] << " stderr: " << r.err);
        CHECK(r.signal == 0);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("is being written by a running dctwin run") != std::string::npos);
        CHECK(r.err.find("try again") != std::string::npos);
        CHECK(r.wall_s < 60);
    }
    ::close(fd);
    // Without a writer the same file is simply broken: said at once, without a retry.
    const Result r = run({"report", half.string()}, dir, 120);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("being written") == std::string::npos);
    CHECK(r.wall_s < 8);  // less than the retries' patience: not retried
}
