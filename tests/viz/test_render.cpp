// `dctwin render` and `dctwin plot` end to end on the example site, without a display (the
// command starts its own Xvfb): pictures of the size asked that show something, and bad input
// refused with exit status 2 (1 for an output that cannot be written), never a crash.

#include "viz/render.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Scratch {
    fs::path path;
    Scratch() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() / ("dctwin_render_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~Scratch() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct Ran {
    int status = -1;  ///< exit status; -1 if killed by a signal (a crash)
    std::string out, err;
    double seconds = 0;
};

enum class Leaks { checked, mesa_3d };

// Runs the CLI without a display, as on a server.
//
// Leaks::mesa_3d, for a 3D render: at exit Mesa's DRI driver is unloaded while two small
// blocks (2 x 56 bytes) are referenced only from its own data, and LeakSanitizer then reports
// them from "<unknown module>" (with the driver kept loaded, LD_PRELOAD, there is nothing to
// report; the charts do not allocate them). The sanitizer build runs those children without
// leak detection, still checking every memory access.
Ran run_cli(const Scratch& dir, const std::string& args, Leaks leaks = Leaks::checked) {
    static int n = 0;
    const std::string o = dir.file("out" + std::to_string(++n)), e = dir.file("err" + std::to_string(n));
    std::string env = "env -u DISPLAY ";
    if (leaks == Leaks::mesa_3d) {
        const char* asan = std::getenv("ASAN_OPTIONS");
        env += "ASAN_OPTIONS='" + std::string(asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : "") +
               "detect_leaks=0' ";
    }
    const auto t0 = std::chrono::steady_clock::now();
    const int raw = std::system((env + std::string(DCTWIN_BINARY) + " " + args + " >" + o + " 2>" + e).c_str());
    Ran r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(o), slurp(e)};
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

// The example site's results, 10 minutes (the job ramps up at the end).
std::string example_results(const Scratch& dir) {
    const std::string out = dir.file("pod.h5");
    const auto r = run_cli(dir, "run " + std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml -o " + out +
                                    " --duration 10min --json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    return out;
}

// A picture that shows something: a blank one has variance 0 and covers nothing.
void check_picture(const std::string& png, int width, int height, double min_covered) {
    const auto s = dctwin::viz::png_stats(png);
    CHECK(s.width == width);
    CHECK(s.height == height);
    CHECK(s.variance > 100.0);
    CHECK(s.covered > min_covered);
    MESSAGE(png << ": grey-level variance " << s.variance << ", " << 100 * s.covered << " % drawn");
}

}  // namespace

TEST_CASE("dctwin render: the floor view at the size asked, coloured, without a display") {
    Scratch dir;
    const auto h5 = example_results(dir);
    auto r = run_cli(dir, "render " + h5 + " -o " + dir.file("hall.png") + " --width 640 --height 480", Leaks::mesa_3d);
    INFO(r.err);
    REQUIRE(r.status == 0);
    MESSAGE("render took " << r.seconds << " s");
    check_picture(dir.file("hall.png"), 640, 480, 0.10);

    r = run_cli(dir, "render " + h5 + " -o " + dir.file("devices.png") +
                         " --time 5min --field devices/junction_temperature --width 500 --height 700",
                Leaks::mesa_3d);
    INFO(r.err);
    REQUIRE(r.status == 0);
    check_picture(dir.file("devices.png"), 500, 700, 0.10);

    r = run_cli(dir, "render " + h5 + " -o " + dir.file("default.png") + " --field power --time 0", Leaks::mesa_3d);
    REQUIRE(r.status == 0);
    check_picture(dir.file("default.png"), 1280, 800, 0.10);
}

TEST_CASE("dctwin plot: the site's charts at the size asked, without a display") {
    Scratch dir;
    const auto h5 = example_results(dir);
    auto r = run_cli(dir, "plot " + h5 + " -o " + dir.file("series.png") + " --width 900 --height 700");
    INFO(r.err);
    REQUIRE(r.status == 0);
    MESSAGE("plot took " << r.seconds << " s");
    check_picture(dir.file("series.png"), 900, 700, 0.02);

    r = run_cli(dir, "plot " + h5 + " -o " + dir.file("chosen.png") +
                         " --series pue,/site/throughput_fraction --series racks/max_junction_temperature");
    INFO(r.err);
    REQUIRE(r.status == 0);
    check_picture(dir.file("chosen.png"), 1200, 1000, 0.02);
}

TEST_CASE("dctwin render and plot: bad input is exit status 2 with the reason, never a crash") {
    Scratch dir;
    const auto h5 = example_results(dir);
    const std::string png = " -o " + dir.file("x.png");
    std::ofstream(dir.file("notes.h5")) << "not a results file\n";
    struct Case {
        std::string args, says;
    };
    for (const auto& c : std::vector<Case>{
             {"render " + dir.file("absent.h5") + png, "No such file or directory"},
             {"render " + dir.file("notes.h5") + png, "not an HDF5 file"},
             {"render " + dir.path.string() + png, "not an HDF5 file"},
             {"render " + h5 + png + " --field inlet_water", "unknown field 'inlet_water'"},
             {"render " + h5 + png + " --field devices/nothing", "unknown field"},
             {"render " + h5 + png + " --time 2h", "outside the run (0 s to 600 s)"},
             {"render " + h5 + png + " --time -5s", "outside the run"},
             {"render " + h5 + png + " --time 5parsecs", "--time"},
             {"render " + h5 + png + " --time 3kg", "--time"},
             {"render " + h5 + png + " --width 10", "--width"},
             {"render " + h5, "--output is required"},
             {"plot " + dir.file("absent.h5") + png, "No such file or directory"},
             {"plot " + dir.file("notes.h5") + png, "not an HDF5 file"},
             {"plot " + h5 + png + " --series nonsense", "unknown series 'nonsense'"},
             {"plot " + h5 + png + " --height 100000", "--height"},
         }) {
        const auto r = run_cli(dir, c.args);
        INFO(c.args);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(contains(r.err, c.says));
        CHECK_FALSE(fs::exists(dir.file("x.png")));
    }
}

TEST_CASE("dctwin render and plot: an output that cannot be written is exit status 1") {
    Scratch dir;
    const auto h5 = example_results(dir);
    for (const char* command : {"render", "plot"}) {
        auto r = run_cli(dir, std::string(command) + " " + h5 + " -o " + dir.file("missing/x.png"));
        CHECK(r.status == 1);
        CHECK(contains(r.err, "no directory"));
        r = run_cli(dir, std::string(command) + " " + h5 + " -o " + dir.path.string());
        CHECK(r.status == 1);
        CHECK(contains(r.err, "is a directory"));
    }
}

TEST_CASE("png_stats refuses what is not a PNG") {
    Scratch dir;
    std::ofstream(dir.file("fake.png")) << "text";
    CHECK_THROWS_AS(dctwin::viz::png_stats(dir.file("fake.png")), std::runtime_error);
    CHECK_THROWS_AS(dctwin::viz::png_stats(dir.file("absent.png")), std::runtime_error);
}
