#pragma once
// Runs the real `dctwin` binary as a child process (posix_spawn), with its output in files, so
// that tests can send it signals, kill it, and bound its wall time.

#include <doctest/doctest.h>

#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace robust {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

/// A fresh scratch directory per test case name.
inline fs::path scratch_dir(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("dctwin-robustness-" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

inline const std::string& site(const char* name = "example-pod.yaml") {
    static const std::string dir = std::string(DCTWIN_SOURCE_DIR) + "/sites/";
    static thread_local std::string s;
    s = dir + name;
    return s;
}

struct Result {
    int exit_code = -1;   ///< exit status, or -1 if killed by a signal
    int signal = 0;       ///< the signal that ended it, 0 if it exited
    bool timed_out = false;
    double wall_s = 0;
    long max_rss_kb = 0;  ///< the child's peak resident memory
    std::string out, err;
};

class Child {
public:
    /// Starts DCTWIN_BINARY with `args`; stdout and stderr go to files in `dir`.
    Child(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag = "child")
        : out_(dir / (tag + ".out")), err_(dir / (tag + ".err")), t0_(Clock::now()) {
        std::vector<std::string> argv_s{DCTWIN_BINARY};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        // The child starts with default signal dispositions and an empty mask, whatever the
        // test runner set.
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        const int rc = posix_spawn(&pid_, argv[0], &fa, &attr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        REQUIRE_MESSAGE(rc == 0, "posix_spawn " << argv_s[0] << " failed: " << rc);
    }
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const { REQUIRE(::kill(pid_, sig) == 0); }

    /// Whether the child has exited (reaps it if so).
    bool exited() {
        if (reaped_) return true;
        int st = 0;
        struct rusage ru {};
        if (::wait4(pid_, &st, WNOHANG, &ru) == pid_) {
            reaped_ = true;
            status_ = st;
            max_rss_kb_ = ru.ru_maxrss;
            end_ = Clock::now();
        }
        return reaped_;
    }

    /// Polls `ready` (and whether the child is still alive) every 10 ms for up to `timeout_s`.
    template <class F>
    bool wait_until(F ready, double timeout_s) {
        const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
        while (Clock::now() < deadline) {
            if (ready()) return true;
            if (exited()) return ready();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return ready();
    }

    /// Waits for the child to end; SIGKILLs it after `timeout_s` (then timed_out is set).
    Result wait(double timeout_s) {
        Result r;
        if (!wait_until([&] { return exited(); }, timeout_s)) {
            r.timed_out = true;
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
            reaped_ = true;
            status_ = st;
            end_ = Clock::now();
        }
        if (WIFEXITED(status_)) r.exit_code = WEXITSTATUS(status_);
        if (WIFSIGNALED(status_)) r.signal = WTERMSIG(status_);
        r.wall_s = std::chrono::duration<double>(end_ - t0_).count();
        r.max_rss_kb = max_rss_kb_;
        r.out = slurp(out_);
        r.err = slurp(err_);
        return r;
    }

private:
    fs::path out_, err_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    int status_ = 0;
    long max_rss_kb_ = 0;
    Clock::time_point t0_, end_;
};

/// Runs dctwin to completion (at most timeout_s).
inline Result run(const std::vector<std::string>& args, const fs::path& dir, double timeout_s = 60,
                  const std::string& tag = "run") {
    Child c(args, dir, tag);
    return c.wait(timeout_s);
}

/// Runs an arbitrary command line through the shell; returns its exit status.
inline int shell(const std::string& cmd) {
    const int raw = std::system(cmd.c_str());
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

}  // namespace robust
