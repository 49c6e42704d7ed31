// Hostile input, as a careless or malicious user would give it, to every reader and command:
// special files where files are named (FIFOs, /dev/zero, directories), files whose content
// must not be shown (the environment, /etc/passwd), sweep folders of the wrong shape or
// with planted links, sizes and limits only a run would otherwise find, outputs that are
// links, devices or the input itself. Each refusal (refused()) asserts the exit status, the
// located message, the wall time and the peak memory, that nothing secret was printed and
// that no file in its folder appeared or changed; the output cases check what was kept. Every
// other child (ran()) is held to a wall time and a peak memory too, and the in-process reader
// cases to the test process's own.

#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "child.hpp"
#include "input/file_reader.hpp"
#include "io/results.hpp"

using namespace robust;

namespace {

const std::string kSecret = "dctwin-secret-7f3a9c";  // in the environment and planted files

// The sanitizer build (-DDCTWIN_SANITIZE=ON) is slower and its shadow memory counts as resident.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kSanitizerFactor = 4;
#else
constexpr double kSanitizerFactor = 1;
#endif

// The names, sizes and times of every file under `dir`, except the children's own output and
// a sweep folder's lock (taken before the folder is looked at, and kept).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.ends_with(".out") || name.ends_with(".err") || name == ".lock") continue;
        struct stat st {};
        ::lstat(e.path().c_str(), &st);
        if (S_ISDIR(st.st_mode)) {  // its entries are compared, not its times
            out[e.path().string()] = "dir";
            continue;
        }
        out[e.path().string()] = std::to_string(st.st_size) + "/" + std::to_string(st.st_mtim.tv_sec) + "." +
                                 std::to_string(st.st_mtim.tv_nsec) + "/" + std::to_string(st.st_mode);
    }
    return out;
}

struct Expect {
    int status = 2;
    std::vector<std::string> parts;       // in stderr
    double max_wall_s = 10;
    long max_rss_mb = 400;
};

std::string joined(const std::vector<std::string>& args) {
    std::string a;
    for (const auto& s : args) a += s + " ";
    return a;
}

// What every child is held to, refused or not: it ended by itself within max_wall_s and its
// peak resident memory stayed under max_rss_mb (both scaled for the sanitizer build).
const Result& within(const Result& r, double max_wall_s, long max_rss_mb) {
    CHECK_FALSE(r.timed_out);
    CHECK(r.wall_s < max_wall_s * kSanitizerFactor);
    CHECK(double(r.max_rss_kb) < double(max_rss_mb) * 1024 * kSanitizerFactor);
    return r;
}

// Runs dctwin in `dir` (a case that is not a refusal) within the time and memory bounds.
Result ran(const std::vector<std::string>& args, const fs::path& dir, double max_wall_s = 10, long max_rss_mb = 400,
           const std::string& tag = "run") {
    const Result r = run(args, dir, 60, tag);
    INFO("args: " << joined(args));
    INFO("stderr: " << r.err);
    return within(r, max_wall_s, max_rss_mb);
}

// Runs dctwin in `dir`; checks the ending, the message, time and memory, that the secret is not
// printed and that no file in `dir` appeared or changed.
Result refused(const std::vector<std::string>& args, const fs::path& dir, const Expect& e) {
    const auto before = snapshot(dir);
    const Result r = run(args, dir, 60);
    INFO("args: " << joined(args));
    INFO("stderr: " << r.err);
    within(r, e.max_wall_s, e.max_rss_mb);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == e.status);
    for (const auto& p : e.parts) CHECK_MESSAGE(r.err.find(p) != std::string::npos, "message lacks: " << p);
    CHECK(r.err.find(kSecret) == std::string::npos);
    CHECK(r.out.find(kSecret) == std::string::npos);
    CHECK(r.err.find("root:x:") == std::string::npos);
    CHECK(snapshot(dir) == before);
    return r;
}

void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// A FIFO (no writer: opening it for reading would block forever), a character device that
// never ends, and a directory.
struct Specials {
    fs::path fifo;
    explicit Specials(const fs::path& dir) : fifo(dir / "fifo") { REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0); }
    std::vector<std::pair<std::string, std::string>> all(const fs::path& dir) const {
        return {{fifo.string(), "not a regular file (a FIFO)"},
                {"/dev/zero", "not a regular file (a character device)"},
                {dir.string(), "it is a directory"}};
    }
};

std::string sweep_text(const std::string& base, const std::string& extra = "") {
    return "dctwin_sweep: 1\nbase: " + base + "\nrun: { mode: steady }\n" + extra +
           "parameters:\n  supply: { key: coolant.supply_temperature, values: [25 degC, 30 degC] }\n";
}

std::string trace_job(const std::string& file) { return "workload={jobs: {replay: {trace: {file: " + file + "}}}}"; }

}  // namespace

TEST_CASE("hostile: read_input_file takes regular files only, reads at most the cap + 1 byte") {
    const auto dir = scratch_dir("reader");
    spit(dir / "ten", "0123456789");
    CHECK(dctwin::read_input_file((dir / "ten").string(), 10, "a test file") == "0123456789");
    CHECK_THROWS_WITH_AS(dctwin::read_input_file((dir / "ten").string(), 9, "a test file"),
                         "the file is too large (10 bytes) for a test file (at most 9 bytes)", dctwin::FileReadError);
    spit(dir / "empty", "");
    CHECK(dctwin::read_input_file((dir / "empty").string(), 9, "a test file").empty());
    Specials s(dir);
    for (const auto& [path, why] : s.all(dir)) {
        CAPTURE(path);
        const auto t0 = Clock::now();
        CHECK_THROWS_WITH_AS(dctwin::read_input_file(path, 1 << 20, "a test file"), ("cannot read file: " + why).c_str(),
                             dctwin::FileReadError);
        CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 1.0);
    }
    CHECK_THROWS_WITH_AS(dctwin::read_input_file((dir / "none").string(), 9, "a test file"),
                         "cannot read file: No such file or directory", dctwin::FileReadError);
    // /proc files report size 0 and are read as what they hold, within the cap.
    CHECK_FALSE(dctwin::read_input_file("/proc/self/status", 1 << 20, "a test file").empty());
    CHECK_THROWS_AS(dctwin::read_input_file("/proc/self/status", 16, "a test file"), dctwin::FileReadError);
    // In this process: /dev/zero read to the cap + 1 byte, not on (the test runner's own peak).
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    CHECK(double(ru.ru_maxrss) < 400.0 * 1024 * kSanitizerFactor);
}

TEST_CASE("hostile: a FIFO, /dev/zero or a directory as the site, weather, trace, sweep or base: exit 2 at once") {
    const auto dir = scratch_dir("specials");
    const Specials s(dir);
    spit(dir / "weather.yaml", "");
    const fs::path out = dir / "never.h5";
    for (const auto& [path, why] : s.all(dir)) {
        CAPTURE(path);
        refused({"check", path}, dir, {2, {path + ": error: ", why}});
        refused({"run", path, "-o", out.string()}, dir, {2, {why}});
        refused({"check", site(), "--set", "ambient={kind: epw, file: " + path + "}"}, dir,
                {2, {site() + ":20:1: error: ambient.file: " + path + ": cannot read file: " + why}});
        refused({"check", site(), "--set", trace_job(path)}, dir,
                {2, {"--set:1:", "workload.jobs.replay.trace.file: " + path + ": cannot read file: " + why}});
        refused({"sweep", path, "-o", (dir / "never").string()}, dir, {2, {path + ": error: ", why}});
        spit(dir / "s.yaml", sweep_text(path));
        refused({"sweep", (dir / "s.yaml").string(), "-o", (dir / "never").string()}, dir,
                {2, {"s.yaml:2:7: error: base: cannot read file: " + why}});
        fs::remove(dir / "s.yaml");
    }
}

TEST_CASE("hostile: the text of a file the site names is never printed (environment, /etc/passwd, a secret)") {
    const auto dir = scratch_dir("leaks");
    ::setenv("DCTWIN_TEST_SECRET", kSecret.c_str(), 1);  // the children's /proc/self/environ holds it
    spit(dir / "secret.csv", kSecret + "\n");
    spit(dir / "secret-value.csv", "time, device, power_W\n0, 0, " + kSecret + "\n");
    spit(dir / "secret.epw", kSecret + "," + kSecret + "\n");
    for (const std::string& file : std::vector<std::string>{"/proc/self/environ", "/etc/passwd",
                                                            (dir / "secret.csv").string(),
                                                            (dir / "secret-value.csv").string(),
                                                            (dir / "secret.epw").string()}) {
        CAPTURE(file);
        // Weather: the error names the file's line and column, the site key and the site's place.
        const Result w = refused({"check", site(), "--set", "ambient={kind: epw, file: " + file + "}"}, dir,
                                 {2, {file + ":1:", "error: ambient.file: ",
                                      "note: the file named by ambient.file at " + site() + ":20:1"}});
        CHECK(w.err.find(" | ") == std::string::npos);  // no excerpt
        const Result t = refused({"check", site(), "--set", trace_job(file)}, dir,
                                 {2, {file + ":", "error: workload.jobs.replay.trace.file: ",
                                      "note: the file named by workload.jobs.replay.trace.file at --set:1:27"}});
        CHECK(t.err.find(" | ") == std::string::npos);
    }
    ::unsetenv("DCTWIN_TEST_SECRET");
}

TEST_CASE("hostile: an EPW file shorter than a year and a start outside it: exit 2 at ambient.start, no crash") {
    const auto dir = scratch_dir("short-epw");
    const std::string week = std::string(DCTWIN_SOURCE_DIR) + "/sites/weather/hot-week-synthetic.epw";  // Jul 10-16
    const std::string epw = "ambient={kind: epw, file: " + week + "}";
    refused({"check", site(), "--set", epw}, dir,
            {2, {site() + ":20:1: error: ambient.start: the run starts outside the weather file's data"}});
    refused({"run", site(), "-o", (dir / "never.h5").string(), "--set", epw}, dir, {2, {"ambient.start"}});
    // Inside the file but running past its end: `check` says so, before any run.
    const std::string inside = "ambient={kind: epw, file: " + week + ", start: 190 d}";
    refused({"check", site(), "--set", inside, "--set", "simulation.duration=30 d"}, dir,
            {2, {"ambient.file: the weather covers 0 s to 604800 s of the run, which needs 0 s to 2592000 s"}});
    const Result ok = ran({"check", site(), "--set", inside}, dir);
    CHECK(ok.exit_code == 0);
}

TEST_CASE("hostile: limits a run would find late are refused by check and by run before anything is written") {
    const auto dir = scratch_dir("limits");
    const std::string never = (dir / "never.h5").string();
    spit(dir / "huge-power.csv", "time, device, power_W\n0, 0, 600\n1, 0, 1e300\n");
    spit(dir / "over-rating.csv", "time, device, power_W\n0, 0, 600\n7, 0, 5000\n");
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
        {{"--set", "simulation.output_interval=1 us"}, {"simulation.output_interval: out of range", "0.001 s <= x"}},
        {{"--set", "simulation.duration=36000 d", "--set", "simulation.output_interval=10 ms"},
         {"simulation.output_interval: 3.11e+11 output rows over the run", "at most 1e+08"}},
        {{"--set", "simulation.grid_sample_interval=1 us"},
         {"simulation.grid_sample_interval: 3.6e+09 samples over the run: at most 20 million"}},
        {{"--set", "simulation.duration=3 d", "--set",
          "workload={jobs: {train: {training: {iteration_period: 2 s}, smoothing: {floor: 0.5}}}}"},
         {"--set:2:", "workload.jobs.train.smoothing.sample_interval: 2.59e+07 filter steps over the run"}},
        {{"--set", trace_job((dir / "huge-power.csv").string())},
         {"huge-power.csv:3:7: error: workload.jobs.replay.trace.file: power 1e+300 W is more than the 1000 kW"}},
        {{"--set", trace_job((dir / "over-rating.csv").string())},
         {"--set:1:27: error: workload.jobs.replay.trace.file: device 0 of the trace draws 5000 W at t = 7 s, more "
          "than 1.5 times the max_power"}},
        // 10 million devices, every value in range: refused before anything is allocated.
        {{"--set", "rack_types.hgx-h100.devices.gpu.count=1000", "--set", "halls.hall1.rows.rowA.count=10000"},
         {"example-pod.yaml:80:7: error: halls.hall1.rows.rowA.count: the site has 10082016 devices",
          "GB of memory", "--set halls.hall1.rows.rowA.count="}},
    };
    for (const auto& [sets, parts] : cases) {
        std::vector<std::string> check{"check", site()}, run_args{"run", site(), "-o", never};
        check.insert(check.end(), sets.begin(), sets.end());
        run_args.insert(run_args.end(), sets.begin(), sets.end());
        refused(check, dir, {2, parts, 10, 200});
        refused(run_args, dir, {2, parts, 10, 200});
    }
}

TEST_CASE("hostile: a scenario entry's error names its index in the list") {
    const auto dir = scratch_dir("scenario-index");
    refused({"check", site(), "--set",
             "scenario=[{at: 1 min, kind: facility_supply_step, temperature: 25 degC}, "
             "{at: 2 min, kind: cdu_pump_trip, target: nowhere}]"},
            dir, {2, {"error: scenario.1.target: no CDU named \"nowhere\""}});
}

TEST_CASE("hostile: sweep.json empty, null or of another shape: exit 2 with a message, --restart starts over") {
    const auto dir = scratch_dir("sweep-json");
    spit(dir / "s.yaml", sweep_text(site()));
    const std::string sweep = (dir / "s.yaml").string(), out = (dir / "out").string();
    REQUIRE(ran({"sweep", sweep, "-o", out}, dir).exit_code == 0);
    for (const std::string text : std::vector<std::string>{"", "null", "[1, 2]", "{\"hash\": 5}", "{\"format\": \"dctwin-sweep\", \"hash\": 7, "
                                                                           "\"cases\": \"x\"}",
                                   "\x01\x02 not json", "{\"format\": \"dctwin-sweep\", \"hash\": \"other\"}"}) {
        CAPTURE(text);
        spit(dir / "out" / "sweep.json", text);
        refused({"sweep", sweep, "-o", out}, dir, {2, {"output folder '" + out + "' holds", "--restart"}});
    }
    const Result again = ran({"sweep", sweep, "-o", out, "--restart"}, dir);
    CHECK(again.exit_code == 0);
    // A journal of records of another shape: dropped, their cases run again; no crash.
    spit(dir / "out" / "cases.jsonl", "{\"case\": 0, \"status\": 5}\n{\"case\": 1, \"status\": \"complete\", \"error\": "
                                      "[1]}\n[]\nnull\n");
    const Result resumed = ran({"sweep", sweep, "-o", out}, dir);
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(resumed.out.find("2 cases, 0 failed") != std::string::npos);
}

TEST_CASE("hostile: a sweep folder's members planted as links are refused, and --restart deletes only its own files") {
    const auto dir = scratch_dir("sweep-links");
    spit(dir / "s.yaml", sweep_text(site(), "keep: results\n"));
    const std::string sweep = (dir / "s.yaml").string(), out = (dir / "out").string();
    fs::create_directories(dir / "elsewhere");
    spit(dir / "elsewhere" / "case-0000.h5", "not ours");
    spit(dir / "elsewhere" / "journal", "keep");
    for (const std::string member : std::vector<std::string>{"cases.jsonl", "cases", "sweep.json", "summary.csv"}) {
        CAPTURE(member);
        fs::remove_all(dir / "out");
        fs::create_directories(dir / "out");
        const fs::path target = member == "cases" ? dir / "elsewhere" : dir / "elsewhere" / "journal";
        fs::create_symlink(target, dir / "out" / member);
        refused({"sweep", sweep, "-o", out}, dir, {2, {"is a symbolic link"}});
        refused({"sweep", sweep, "-o", out, "--restart"}, dir, {2, {"is a symbolic link"}});
    }
    CHECK(robust::slurp(dir / "elsewhere" / "case-0000.h5") == "not ours");
    CHECK(robust::slurp(dir / "elsewhere" / "journal") == "keep");
    // --restart removes the case files a sweep writes, not the user's files beside them.
    fs::remove_all(dir / "out");
    REQUIRE(ran({"sweep", sweep, "-o", out}, dir).exit_code == 0);
    spit(dir / "out" / "cases" / "case-notes.h5", "mine");
    fs::create_symlink(dir / "elsewhere" / "case-0000.h5", dir / "out" / "cases" / "case-0009.h5");
    REQUIRE(ran({"sweep", sweep, "-o", out, "--restart"}, dir).exit_code == 0);
    CHECK(fs::exists(dir / "out" / "cases" / "case-notes.h5"));
    CHECK(fs::is_symlink(dir / "out" / "cases" / "case-0009.h5"));
    CHECK(robust::slurp(dir / "elsewhere" / "case-0000.h5") == "not ours");
}

TEST_CASE("hostile: a second run --force to a file being written fails before touching it") {
    const auto dir = scratch_dir("two-writers");
    const std::string out = (dir / "r.h5").string();
    // Long enough to be running when the second starts; interrupted once it failed.
    Child first({"run", site(), "-o", out, "--duration", "30d"}, dir, "first");
    REQUIRE(first.wait_until([&] { return fs::exists(out) && fs::file_size(out) > 0; }, 30));
    const Result second = ran({"run", site(), "-o", out, "--duration", "1min", "--force"}, dir, 10, 400, "second");
    INFO(second.err);
    CHECK(second.exit_code == 1);
    CHECK(second.err.find("results file '" + out + "' is being written by another dctwin run") != std::string::npos);
    first.signal(SIGINT);
    const Result r = within(first.wait(60), 60, 400);  // it ran until the second had failed
    CHECK(r.exit_code == 130);
    dctwin::ResultsReader reader(out);
    CHECK(std::get<std::string>(reader.attribute("/", "status")) == "interrupted");
    CHECK(std::get<std::int64_t>(reader.attribute("/", "rows")) > 0);
}

TEST_CASE("hostile: a symbolic link at the output path is never written through, and --force replaces the link") {
    const auto dir = scratch_dir("out-link");
    spit(dir / "target", "precious");
    const fs::path link = dir / "r.h5";
    fs::create_symlink(dir / "target", link);
    refused({"run", site(), "-o", link.string(), "--duration", "1min"}, dir, {1, {"exists; use --force"}});
    const Result r = ran({"run", site(), "-o", link.string(), "--duration", "1min", "--force"}, dir);
    CHECK(r.exit_code == 0);
    CHECK(robust::slurp(dir / "target") == "precious");
    CHECK_FALSE(fs::is_symlink(link));
    CHECK(fs::is_regular_file(link));
    // A FIFO at the output path: refused, not opened for writing forever.
    ::mkfifo((dir / "f.h5").c_str(), 0644);
    refused({"run", site(), "-o", (dir / "f.h5").string(), "--duration", "1min", "--force"}, dir,
            {1, {"not a regular file"}});
}

TEST_CASE("hostile: an existing sidecar obeys --force as the results file does") {
    const auto dir = scratch_dir("sidecar");
    spit(dir / "r.xmf", "mine");
    refused({"run", site(), "-o", (dir / "r.h5").string(), "--duration", "1min"}, dir,
            {1, {"'" + (dir / "r.xmf").string() + "' (the ParaView sidecar of", "use --force"}});
    CHECK(ran({"run", site(), "-o", (dir / "r.h5").string(), "--duration", "1min", "--force"}, dir).exit_code == 0);
    CHECK(robust::slurp(dir / "r.xmf") != "mine");
}

TEST_CASE("hostile: a disk full before the first row leaves a file that opens: status running, 0 rows") {
    const auto dir = scratch_dir("full-before-rows");
    fs::create_directories(dir / "tiny");
    if (::mount("tmpfs", (dir / "tiny").c_str(), "tmpfs", 0, "size=256k") != 0) {
        MESSAGE("cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN): skipped");
        return;
    }
    struct Unmount {  // also when a REQUIRE below ends the test
        fs::path at;
        ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
    } unmount{dir / "tiny"};
    const std::string out = (dir / "tiny" / "r.h5").string();
    // As in test_output.cpp: should HDF5 itself fail on the full disk, it keeps memory it
    // cannot release; the sanitizer build must not call that a leak of ours.
    const char* asan = std::getenv("ASAN_OPTIONS");
    const std::string saved = asan ? asan : "";
    ::setenv("ASAN_OPTIONS", (saved.empty() ? std::string("detect_leaks=0") : saved + ":detect_leaks=0").c_str(), 1);
    const Result r = ran({"run", site(), "-o", out, "--duration", "30d", "--set", "simulation.output_interval=1s"}, dir);
    if (asan) ::setenv("ASAN_OPTIONS", saved.c_str(), 1);
    else ::unsetenv("ASAN_OPTIONS");
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("No space left on device") != std::string::npos);
    CHECK(r.err.find("HDF5") == std::string::npos);  // the cause, not the library's internals
    REQUIRE(fs::exists(out));
    {
        dctwin::ResultsReader reader(out);
        CHECK(std::get<std::string>(reader.attribute("/", "status")) == "running");
        CHECK(std::get<std::int64_t>(reader.attribute("/", "rows")) == 0);
    }
}

TEST_CASE("hostile: every malformed weather and trace fixture, named by a site: exit 2 at its place, no excerpt") {
    const auto dir = scratch_dir("fixtures");
    const fs::path data = fs::path(DCTWIN_SOURCE_DIR) / "tests" / "robustness" / "data";
    int n = 0;
    for (const auto& e : fs::directory_iterator(data / "weather")) {
        const std::string file = e.path().string();
        CAPTURE(file);
        const Result r = refused({"check", site(), "--set", "ambient={kind: epw, file: " + file + "}"}, dir,
                                 {2, {file + ":", ": error: ambient.file: ",
                                      "note: the file named by ambient.file at " + site() + ":20:1"}});
        CHECK(r.err.find(" | ") == std::string::npos);
        ++n;
    }
    for (const auto& e : fs::directory_iterator(data / "traces")) {
        const std::string file = e.path().string(), name = e.path().filename().string();
        if (name.rfind("ok-", 0) == 0) continue;
        CAPTURE(file);
        // The fixture's header says where its fault is.
        std::ifstream in(file);
        std::string words, loc;
        std::getline(in, words);
        std::getline(in, loc);
        REQUIRE(loc.rfind("# expect-loc: ", 0) == 0);
        const Result r = refused({"check", site(), "--set", trace_job(file)}, dir,
                                 {2, {file + ":" + loc.substr(14) + ": error: workload.jobs.replay.trace.file: ",
                                      "note: the file named by workload.jobs.replay.trace.file at --set:1:27"}});
        CHECK(r.err.find(" | ") == std::string::npos);
        ++n;
    }
    CHECK(n >= 30);
}

TEST_CASE("hostile: a FIFO or a device as the results file of render, plot, xdmf, report, plot --map: exit 2 at once") {
    const auto dir = scratch_dir("results-specials");
    const Specials s(dir);
    const std::string png = (dir / "never.png").string();
    for (const std::string path : std::vector<std::string>{s.fifo.string(), "/dev/zero", "/dev/null"}) {
        CAPTURE(path);
        const std::string why = "not a regular file";
        refused({"render", path, "-o", png}, dir, {2, {"results file '" + path + "': " + why}});
        refused({"plot", path, "-o", png}, dir, {2, {"results file '" + path + "': " + why}});
        refused({"xdmf", path, "-o", (dir / "never.xmf").string()}, dir, {2, {"results file '" + path + "': " + why}});
        refused({"report", path}, dir, {2, {"results file '" + path + "': " + why}});
        refused({"plot", path, "-o", png, "--map", "a,b"}, dir, {2, {"summary file '" + path + "': " + why}});
    }
}

TEST_CASE("hostile: control characters in a path or value the site gives are not sent to the terminal") {
    const auto dir = scratch_dir("escapes");
    // YAML's "\e" is ESC, "\x9b" U+009B (CSI): a site could recolour or clear the terminal of
    // whoever reads its errors.
    for (const std::string set : std::vector<std::string>{
             "ambient={kind: epw, file: \"x\\e[2J\\x9b31m.epw\"}",
             "workload={jobs: {replay: {trace: {file: \"x\\e[2J\\x9b31m.csv\"}}}}",
             "site.name=\"a\\e]0;title\\a\"", "coolant.fluid=\"\\e[31mred\""}) {
        CAPTURE(set);
        const Result r = ran({"check", site(), "--set", set}, dir);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("a control character (U+00") != std::string::npos);
        CHECK(r.err.find('\x1b') == std::string::npos);
        CHECK(r.err.find("\xc2\x9b") == std::string::npos);
        CHECK(r.err.find('\a') == std::string::npos);
    }
}

TEST_CASE("hostile: command-line paths that are empty, devices or too large: a clear refusal") {
    const auto dir = scratch_dir("paths-cli");
    const Specials s(dir);
    spit(dir / "s.yaml", sweep_text(site()));
    spit(dir / "big.yaml", "# " + std::string(std::size_t(2) << 20, 'x') + "\n");
    const std::string sweep = (dir / "s.yaml").string();
    // An empty output ran the whole simulation and wrote nothing.
    refused({"run", site(), "-o", ""}, dir, {2, {"--output: the results file's path is empty"}, 10});
    // A device: not a results file's name (refused before the writer would find it no file).
    refused({"run", site(), "-o", "/dev/full", "--force", "--duration", "1min"}, dir,
            {2, {"-o /dev/full: a results file is HDF5, name it with .h5"}});
    refused({"sweep", sweep, "-o", "/dev/null"}, dir, {2, {"output folder '/dev/null' is a file"}});
    refused({"sweep", sweep, "-o", s.fifo.string()}, dir, {2, {"output folder '" + s.fifo.string() + "' is a file"}});
    refused({"sweep", (dir / "big.yaml").string(), "-o", (dir / "never").string()}, dir,
            {2, {"big.yaml: error: the file is too large (2097155 bytes) for a sweep file (at most 1 MB)"}});
    spit(dir / "unknown-key.yaml", sweep_text(site(), "parameters_note: x\n"));
    refused({"sweep", (dir / "unknown-key.yaml").string(), "-o", (dir / "never").string()}, dir,
            {2, {"unknown-key.yaml:4:1: error: "}});
}

TEST_CASE("hostile: render, plot and xdmf never write over their results file or a FIFO, and an empty -o is refused") {
    const auto dir = scratch_dir("views");
    const std::string h5 = (dir / "r.h5").string();
    REQUIRE(ran({"run", site(), "-o", h5, "--duration", "2min"}, dir).exit_code == 0);
    fs::remove(dir / "r.xmf");
    fs::create_symlink(dir / "r.h5", dir / "alias.png");
    // The results file's own name is not a picture's (.png); a .png link to it is the file itself.
    refused({"render", h5, "-o", h5}, dir, {2, {"render draws a PNG picture, name it with .png"}});
    refused({"plot", h5, "-o", h5}, dir, {2, {"plot draws a PNG picture, name it with .png"}});
    for (const std::string out : std::vector<std::string>{h5, (dir / "alias.png").string()}) {
        CAPTURE(out);
        if (out != h5) refused({"render", h5, "-o", out}, dir, {2, {"that is the results file itself"}});
        if (out != h5) refused({"plot", h5, "-o", out}, dir, {2, {"that is the results file itself"}});
        refused({"xdmf", h5, "-o", out}, dir, {2, {"that is the results file itself"}});
    }
    refused({"render", h5, "-o", ""}, dir, {2, {"-o: the picture's path is empty"}});
    refused({"plot", h5, "-o", ""}, dir, {2, {"-o: the picture's path is empty"}});
    // A FIFO (as a device would be: VTK deletes a picture it could not finish, and a rename
    // replaces what is there): refused, left in place.
    ::mkfifo((dir / "fifo.png").c_str(), 0644);
    const std::string fifo = (dir / "fifo.png").string();
    refused({"render", h5, "-o", fifo}, dir, {2, {"-o " + fifo + ": not a regular file"}});
    refused({"plot", h5, "-o", fifo}, dir, {2, {"-o " + fifo + ": not a regular file"}});
    refused({"xdmf", h5, "-o", fifo}, dir, {2, {"-o " + fifo + ": not a regular file"}});
    CHECK(fs::is_fifo(dir / "fifo.png"));
    dctwin::ResultsReader still(h5);
    CHECK(std::get<std::string>(still.attribute("/", "status")) == "complete");
}
