#pragma once
// Helpers shared by the viz tests: a scratch folder per test, and the real `dctwin` binary
// run to completion through tests/robustness/child.hpp (its own files for stdout and stderr,
// a bound on its wall time).

#include "../robustness/child.hpp"

#include <atomic>
#include <filesystem>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace viz_test {

namespace fs = std::filesystem;

using robust::slurp;

/// A fresh directory under the system temp folder, removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() /
               ("dctwin_viz_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path / name).string(); }
};

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Runs `dctwin ARGS` (words separated by spaces: paths without spaces) to completion, with
/// its output in `dir`; killed after `timeout_s` (then exit_code is -1 and timed_out set).
inline robust::Result run_cli(const TempDir& dir, const std::string& args, double timeout_s = 300) {
    std::vector<std::string> words;
    std::istringstream in(args);
    for (std::string w; in >> w;) words.push_back(w);
    static int n = 0;
    return robust::run(words, dir.path, timeout_s, "cli" + std::to_string(++n));
}

}  // namespace viz_test
