// Bad input the site files in sites/broken/ cannot hold: paths that are not readable files, a
// huge file generated here, and invalid --set paths and values. Each must end with exit
// status 2 and a message that says what is wrong, quickly and without a crash.

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "child.hpp"

using namespace robust;

namespace {

void check_refused(const Result& r, const std::vector<std::string>& parts) {
    INFO("stderr: " << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == 2);
    for (const auto& p : parts) CHECK_MESSAGE(r.err.find(p) != std::string::npos, "message lacks: " << p);
}

}  // namespace

TEST_CASE("a directory, a missing file and an unreadable file as the site: exit 2") {
    const auto dir = scratch_dir("paths");
    check_refused(run({"check", dir.string()}, dir, 30, "dir"), {dir.string() + ": error: ", "it is a directory"});
    const auto missing = dir / "no-such-site.yaml";
    check_refused(run({"check", missing.string()}, dir, 30, "missing"),
                  {missing.string() + ": error: ", "No such file or directory"});
    check_refused(run({"run", missing.string(), "-o", (dir / "x.h5").string()}, dir, 30, "missing-run"),
                  {"No such file or directory"});
    CHECK_FALSE(fs::exists(dir / "x.h5"));

    const auto locked = dir / "locked.yaml";
    fs::copy_file(site(), locked);
    ::chmod(locked.c_str(), 0);
    if (::geteuid() == 0) {
        MESSAGE("running as root: a mode-000 file is readable, so only the directory and missing cases apply");
    } else {
        check_refused(run({"check", locked.string()}, dir, 30, "locked"), {"Permission denied"});
    }
}

TEST_CASE("a 50 MB site file is refused with exit 2 within seconds, without exhausting memory") {
    // A plausible runaway: a generator that wrote a map entry per device instead of a count.
    const auto dir = scratch_dir("huge");
    const auto huge = dir / "huge.yaml";
    {
        std::ofstream f(huge, std::ios::binary);
        f << "dctwin: 1\nsite:\n  name: huge\ndevice_types:\n";
        std::string line;
        std::size_t written = 0;
        for (int i = 0; written < 50u << 20; ++i) {
            line = "  gpu" + std::to_string(i) + ": { kind: gpu, idle_power: 80 W, max_power: 700 W }\n";
            f << line;
            written += line.size();
        }
    }
    REQUIRE(fs::file_size(huge) >= 50u << 20);
    // The child is killed after 20 s: a loader that builds a tree of 50 MB of YAML takes
    // minutes and gigabytes, and fails here.
    const auto r = run({"check", huge.string()}, dir, 20);
    INFO("wall " << r.wall_s << " s; stderr (start): " << r.err.substr(0, 600));
    CHECK_MESSAGE(!r.timed_out, "dctwin check on a 50 MB file was still running after 20 s (see the size cap in "
                                "input/site_loader.cpp, load_site)");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(huge.string() + ":") != std::string::npos);
    CHECK(r.err.find("error: ") != std::string::npos);
    fs::remove(huge);
}

TEST_CASE("a 50 MB file of one comment is read and refused within seconds") {
    const auto dir = scratch_dir("huge-comment");
    const auto huge = dir / "comment.yaml";
    {
        std::ofstream f(huge, std::ios::binary);
        f << "# " << std::string(50u << 20, 'x') << "\n";
    }
    const auto r = run({"check", huge.string()}, dir, 20);
    INFO("wall " << r.wall_s << " s");
    check_refused(r, {huge.string() + ":", "error: "});
    fs::remove(huge);
}

TEST_CASE("invalid --set paths and values: exit 2, the override's position and what is wrong") {
    const auto dir = scratch_dir("set");
    struct Case {
        std::string set;
        std::vector<std::string> parts;
    };
    const Case cases[] = {
        {"foo.bar=1", {"--set:1:1: error: ", "unknown key \"foo\""}},
        {"foo=1", {"--set:1:1: error: ", "unknown key \"foo\""}},
        {"coolant.supply_temperature", {"--set:1:1: error: ", "found no \"=\""}},
        {"=5", {"--set:1:1: error: ", "the key path is empty"}},
        {"coolant..fluid=water", {"--set:1:9: error: ", "empty key in the key path"}},
        {"workload.activity.7.value=1", {"--set:1:19: error: ", "index 7 is past the end"}},
        {"workload.activity.x.value=1", {"--set:1:19: error: ", "expected an index, found \"x\""}},
        {"site.name.x=1", {"--set:1:11: error: ", "it has no key \"x\""}},
        {"coolant.supply_temperature=[1, 2", {"--set:1:28: error: ", "YAML syntax error"}},
        {"coolant.supply_temperature=.nan", {"coolant.supply_temperature", "not a finite number"}},
        {"coolant.supply_temperature=1e400 degC", {"coolant.supply_temperature", "beyond what a double can hold"}},
        {"coolant.supply_temperature=35 kW", {"expected a temperature", "(a power)"}},
        {"rack_types.hgx-h100.devices.gpu.count=-3", {"out of range: found -3"}},
        {"halls.hall1.rows.rowA.count=100000", {"out of range: found 100000"}},
        {"simulation.flush_interval=0s", {"simulation.flush_interval: out of range"}},
        {"coolant.fluid=mercury", {"coolant.fluid"}},
        {"halls.hall1.rows.rowA.rack=nvl72", {"unknown rack type \"nvl72\""}},
    };
    int n = 0;
    for (const auto& c : cases) {
        INFO("--set " << c.set);
        check_refused(run({"check", site(), "--set", c.set}, dir, 30, "set" + std::to_string(++n)), c.parts);
    }
    // The position is the override's place on the command line.
    check_refused(run({"check", site(), "--set", "coolant.supply_temperature=35degC", "--set", "foo.bar=1"}, dir, 30,
                      "second"),
                  {"--set:2:1: error: "});
    // And `run` refuses before it creates the results file.
    const auto out = dir / "never.h5";
    check_refused(run({"run", site(), "-o", out.string(), "--set", "coolant.supply_temperature=35 kW"}, dir, 30, "run"),
                  {"--set:1:"});
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("invalid --duration and --at values: exit 2 before anything is written") {
    const auto dir = scratch_dir("duration");
    const auto out = dir / "never.h5";
    for (const char* d : {"-5min", "0s", "5parsecs", "90", "35 degC", "nan s", "inf s", "1e400 s", "1e12 d"}) {
        INFO("--duration " << d);
        check_refused(run({"run", site(), "-o", out.string(), "--duration", d}, dir, 30, "d"), {"--duration"});
    }
    check_refused(run({"run", site(), "-o", out.string(), "--steady", "--at", "-1min"}, dir, 30, "at"), {"--at"});
    check_refused(run({"run", site(), "-o", out.string(), "--steady", "--at", "1e12 d"}, dir, 30, "at2"), {"--at"});
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("a dangling reference found while building the network (a job on a missing hall): exit 2 at its place") {
    // The loader cannot see it (job members are path prefixes, matched against the devices the
    // builder creates), so it is not in sites/broken/, whose files the loader alone must refuse.
    const auto dir = scratch_dir("dangling-job");
    const std::string file = std::string(DCTWIN_SOURCE_DIR) + "/tests/robustness/data/dangling-job-member.yaml";
    const auto r = run({"check", file}, dir, 30);
    check_refused(r, {file + ":51:5: error: ", "workload.jobs.train.members:", "these members match no device of the site"});
    const auto out = dir / "never.h5";
    check_refused(run({"run", file, "-o", out.string()}, dir, 30, "run"), {file + ":51:5: error: "});
    CHECK_FALSE(fs::exists(out));
}
