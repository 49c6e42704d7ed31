// The progress line on a terminal: one line, redrawn in place, never wider than the terminal,
// and whatever is printed after it (the summary, also after Ctrl-C) starts on a line of its
// own. The binary runs on a pseudo-terminal of a set width, as it would in a user's shell.

#include <doctest/doctest.h>

#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/terminal.hpp"

namespace {

struct PtyRun {
    std::string out;  // what the terminal received, "\r\n" turned into "\n"
    int status = -1;
};

// Runs the binary on a terminal `cols` wide; sends SIGINT after interrupt_after_s if > 0.
PtyRun run_on_pty(std::vector<std::string> args, int cols, double interrupt_after_s = 0) {
    winsize ws{};
    ws.ws_col = static_cast<unsigned short>(cols);
    ws.ws_row = 24;
    int master = -1;
    const pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::vector<char*> argv;
        static std::string bin = DCTWIN_BINARY;
        argv.push_back(bin.data());
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::unsetenv("COLUMNS");
        ::execv(bin.c_str(), argv.data());
        ::_exit(127);
    }
    PtyRun r;
    const auto t0 = std::chrono::steady_clock::now();
    bool sent = false;
    char buf[4096];
    while (true) {
        if (interrupt_after_s > 0 && !sent &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > interrupt_after_s) {
            ::kill(pid, SIGINT);
            sent = true;
        }
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(master, &fds);
        timeval tv{0, 50000};
        if (::select(master + 1, &fds, nullptr, nullptr, &tv) <= 0) {
            if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(120)) break;
            continue;
        }
        const ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) break;  // EIO: the child closed the terminal
        r.out.append(buf, std::size_t(n));
    }
    ::close(master);
    int st = 0;
    ::waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    for (std::size_t p; (p = r.out.find("\r\n")) != std::string::npos;) r.out.replace(p, 2, "\n");
    return r;
}

std::vector<std::string> split(const std::string& s, char c) {
    std::vector<std::string> out(1);
    for (char x : s) {
        if (x == c)
            out.emplace_back();
        else
            out.back() += x;
    }
    return out;
}

std::string without_erase(std::string s) {
    for (std::size_t p; (p = s.find("\x1b[K")) != std::string::npos;) s.erase(p, 3);
    return s;
}

std::string scratch(const char* name) {
    const auto d = std::filesystem::temp_directory_path() / ("dctwin-terminal-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return (d / name).string();
}

}  // namespace

TEST_CASE("terminal: spans of time are written in days, hours and minutes") {
    using dctwin::io::human_duration;
    CHECK(human_duration(4.25) == "4.2 s");
    CHECK(human_duration(42) == "42 s");
    CHECK(human_duration(750) == "12 min 30 s");
    CHECK(human_duration(3 * 3600 + 5 * 60) == "3 h 05 min");
    CHECK(human_duration(5184000) == "60 d 00 h");
    CHECK(human_duration(-1) == "?");
    CHECK(human_duration(NAN) == "?");
}

TEST_CASE("terminal: the run's progress is one line that fits the terminal, and the summary starts below it") {
    for (int cols : {80, 40}) {
        CAPTURE(cols);
        const PtyRun r = run_on_pty({"run", std::string(DCTWIN_SOURCE_DIR) + "/sites/hotspot-pod.yaml", "--duration",
                                     "1d", "-o", scratch("bar.h5"), "--force"},
                                    cols);
        REQUIRE(r.status == 0);
        const auto lines = split(r.out, '\n');
        std::size_t bar_lines = 0, draws = 0;
        for (const auto& l : lines) {
            if (l.find('\r') == std::string::npos) continue;
            ++bar_lines;
            for (const auto& seg : split(l, '\r')) {
                const std::string text = without_erase(seg);
                if (text.empty()) continue;
                ++draws;
                CHECK(int(text.size()) < cols);
                CHECK(text.find(" of ") != std::string::npos);
            }
        }
        CHECK(bar_lines == 1);  // every redraw on the same line
        CHECK(draws >= 2);
        // The line ends before the summary: "site hotspot-pod: ..." begins a line.
        bool summary_at_margin = false;
        for (const auto& l : lines) summary_at_margin = summary_at_margin || l.rfind("site hotspot-pod", 0) == 0;
        CHECK(summary_at_margin);
        if (cols == 80) CHECK(r.out.find("] 1 d 00 h of 1 d 00 h, ") != std::string::npos);  // the bar fits
    }
}

TEST_CASE("terminal: after Ctrl-C the summary starts on a line of its own") {
    const PtyRun r = run_on_pty({"run", std::string(DCTWIN_SOURCE_DIR) + "/sites/hotspot-pod.yaml", "--duration",
                                 "30d", "-o", scratch("int.h5"), "--force"},
                                80, 1.0);
    CHECK(r.status == 130);
    bool summary_at_margin = false;
    for (const auto& l : split(r.out, '\n')) summary_at_margin = summary_at_margin || l.rfind("site hotspot-pod", 0) == 0;
    CHECK(summary_at_margin);
}

// The sweep's bar follows the same rules: one line redrawn in place, within the terminal's
// width, and the closing line (or the message after Ctrl-C) at the left margin.
TEST_CASE("terminal: the sweep's progress is one line that fits the terminal") {
    const std::string sweep_file = std::string(DCTWIN_SOURCE_DIR) + "/sites/sweeps/density-vs-supply.yaml";
    for (int cols : {80, 40}) {
        CAPTURE(cols);
        const std::string dir = scratch(("sweep" + std::to_string(cols)).c_str());
        std::filesystem::remove_all(dir);
        const PtyRun r = run_on_pty({"sweep", sweep_file, "-o", dir, "-j", "2"}, cols);
        REQUIRE(r.status == 0);
        const auto lines = split(r.out, '\n');
        std::size_t bar_lines = 0, draws = 0;
        for (const auto& l : lines) {
            if (l.find('\r') == std::string::npos) continue;
            ++bar_lines;
            for (const auto& seg : split(l, '\r')) {
                const std::string text = without_erase(seg);
                if (text.empty()) continue;
                ++draws;
                CHECK(int(text.size()) < cols);
                CHECK(text.find("/60 cases") != std::string::npos);
            }
        }
        CHECK(bar_lines == 1);
        CHECK(draws >= 2);
        CHECK(r.out.find("60/60 cases") != std::string::npos);  // the last draw shows every case done
        bool closing_at_margin = false;
        for (const auto& l : lines) closing_at_margin = closing_at_margin || l.rfind("sweep density-vs-supply: 60 cases", 0) == 0;
        CHECK(closing_at_margin);
        std::filesystem::remove_all(dir);
    }
}

TEST_CASE("terminal: after Ctrl-C the sweep's message starts on a line of its own") {
    const std::string dir = scratch("sweep-int");
    std::filesystem::remove_all(dir);
    const PtyRun r = run_on_pty({"sweep", std::string(DCTWIN_SOURCE_DIR) + "/sites/sweeps/density-vs-supply.yaml", "-o",
                                 dir, "-j", "1"},
                                80, 0.7);
    CAPTURE(r.out);
    if (r.status == 0) return;  // the host finished all 60 cases within 0.7 s: nothing to interrupt
    CHECK(r.status == 130);
    // Every line after the bar's starts at the margin: none holds a carriage return after text.
    const auto lines = split(r.out, '\n');
    std::size_t bar_lines = 0;
    for (const auto& l : lines) bar_lines += l.find('\r') != std::string::npos;
    CHECK(bar_lines <= 1);
    bool message_at_margin = false;
    for (const auto& l : lines) message_at_margin = message_at_margin || l.rfind("dctwin:", 0) == 0 || l.rfind("sweep ", 0) == 0;
    CHECK(message_at_margin);
    std::filesystem::remove_all(dir);
}
