#pragma once
// What the sweep and fleet tests share: files in and out, a scratch folder per test and
// process, and the command line run through a shell with its output captured.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dctwin::test {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

inline void spit(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << text;
}

/// An empty folder `name` under TMPDIR/dctwin-<what>-tests-<pid>.
inline fs::path scratch_in(const std::string& what, const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("dctwin-" + what + "-tests-" + std::to_string(getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

struct Ran {
    int status = -1;
    std::string out, err;
};

/// Runs a shell command line; its output goes to files in `dir`.
inline Ran shell(const std::string& cmd, const fs::path& dir) {
    static int n = 0;
    const fs::path o = dir / ("out" + std::to_string(++n) + ".txt"), e = dir / ("err" + std::to_string(n) + ".txt");
    const int raw = std::system((cmd + " >" + o.string() + " 2>" + e.string()).c_str());
    Ran r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = slurp(o);
    r.err = slurp(e);
    return r;
}

/// `dctwin ARGS` (the build's binary).
inline Ran cli(const std::string& args, const fs::path& dir) { return shell(std::string(DCTWIN_BINARY) + " " + args, dir); }

/// Lines of a text file.
inline std::size_t lines(const fs::path& p) {
    const std::string t = slurp(p);
    return std::size_t(std::count(t.begin(), t.end(), '\n'));
}

}  // namespace dctwin::test
