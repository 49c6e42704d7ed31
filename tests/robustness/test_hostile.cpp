// Hostile input, as a careless or malicious user would give it, to every reader and command:
// special files where files are named (FIFOs, /dev/zero, directories), files whose content
// must not be shown (the environment, /etc/passwd), sweep folders of the wrong shape or
// with planted links, sizes and limits only a run would otherwise find. Each case asserts
// the exit status, the located message, the wall time and the peak memory, and that nothing
// was left behind or changed.

#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "child.hpp"
#include "input/file_reader.hpp"
#include "viz/results.hpp"

using namespace robust;

namespace {

const std::string kSecret = "dctwin-secret-7f3a9c";  // in the environment and planted files

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

// Runs dctwin in `dir`; checks the ending, the message, time and memory, that the secret is not
// printed and that no file in `dir` appeared or changed.
Result refused(const std::vector<std::string>& args, const fs::path& dir, const Expect& e) {
    const auto before = snapshot(dir);
    const Result r = run(args, dir, 60);
    INFO("args: " << [&] {
        std::string a;
        for (const auto& s : args) a += s + " ";
        return a;
    }());
    INFO("stderr: " << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == e.status);
    for (const auto& p : e.parts) CHECK_MESSAGE(r.err.find(p) != std::string::npos, "message lacks: " << p);
    CHECK(r.err.find(kSecret) == std::string::npos);
    CHECK(r.out.find(kSecret) == std::string::npos);
    CHECK(r.err.find("root:x:") == std::string::npos);
    CHECK(r.wall_s < e.max_wall_s);
    CHECK(r.max_rss_kb < e.max_rss_mb * 1024);
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
}
