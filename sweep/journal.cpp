#include "sweep/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "dctwin_version.hpp"
#include "input/file_reader.hpp"

namespace dctwin::sweep {

namespace fs = std::filesystem;

namespace {

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// The largest journal read [bytes]: a million cases of about 1 kB each.
constexpr std::size_t kMaxJournalBytes = std::size_t(1) << 30;
/// The largest sweep.json read [bytes] (dctwin writes well under 100 kB).
constexpr std::size_t kMaxStateBytes = std::size_t(1) << 20;

std::string slurp(const fs::path& p, std::size_t cap, const char* what) {
    try {
        return read_input_file(p.string(), cap, what);
    } catch (const FileReadError& e) {
        throw SweepDirError(fmt::format("'{}': {}", p.string(), e.what()), true);
    }
}

// The folder's own files are never symbolic links: writing through one would change a file
// elsewhere, and --restart would delete files in the link's target.
void refuse_link(const fs::path& p) {
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(p, ec)))
        throw SweepDirError(fmt::format("'{}' is a symbolic link: a sweep folder's files must be its own "
                                        "(remove the link or use another folder)",
                                        p.string()),
                            true);
}

// A text field of sweep.json, or `fallback` when absent or of another type (the file may be
// anything: it is checked, not trusted).
std::string text_of(const nlohmann::json& j, const char* key, const std::string& fallback) {
    if (!j.is_object()) return fallback;
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// Writes a whole file under a temporary name, then renames it: never half a file.
void write_atomically(const fs::path& p, const std::string& text) {
    const fs::path tmp = p.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) throw SweepDirError(fmt::format("cannot write '{}': {}", tmp.string(), std::strerror(errno)), false);
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            throw SweepDirError(fmt::format("cannot write '{}': {}", tmp.string(), std::strerror(err)), false);
        }
        done += std::size_t(n);
    }
    ::fsync(fd);
    ::close(fd);
    std::error_code ec;
    fs::rename(tmp, p, ec);
    if (ec) throw SweepDirError(fmt::format("cannot rename '{}': {}", tmp.string(), ec.message()), false);
}

}  // namespace

DirLock::DirLock(const std::string& dir) {
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw SweepDirError(fmt::format("output folder '{}' is a file", dir), true);
    fs::create_directories(dir, ec);
    if (ec) throw SweepDirError(fmt::format("cannot create output folder '{}': {}", dir, ec.message()), false);
    const std::string path = (fs::path(dir) / ".lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) throw SweepDirError(fmt::format("cannot create '{}': {}", path, std::strerror(errno)), false);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        fd_ = -1;
        throw SweepDirError(fmt::format("another dctwin sweep is writing to '{}' (it holds {})", dir, path), true);
    }
}

DirLock::~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::string case_results_path(const std::string& dir, std::size_t index, std::size_t cases) {
    const int digits = std::max<int>(4, int(std::to_string(cases == 0 ? 0 : cases - 1).size()));
    return (fs::path(dir) / "cases" / fmt::format("case-{:0{}}.h5", index, digits)).string();
}

void prepare_dir(const Sweep& sweep, const std::string& dir, bool restart) {
    std::error_code ec;
    const fs::path d(dir);
    if (fs::exists(d, ec) && !fs::is_directory(d, ec))
        throw SweepDirError(fmt::format("output folder '{}' is a file", dir), true);
    fs::create_directories(d, ec);
    if (ec) throw SweepDirError(fmt::format("cannot create output folder '{}': {}", dir, ec.message()), false);
    const fs::path state = d / "sweep.json", journal = d / "cases.jsonl";
    for (const char* f : {"sweep.json", "cases.jsonl", "summary.csv", "summary.h5", "cases", "sweep.json.tmp"})
        refuse_link(d / f);
    bool same = false;
    if (fs::exists(state, ec)) {
        const auto j = nlohmann::json::parse(slurp(state, kMaxStateBytes, "a sweep.json"), nullptr, false);
        same = text_of(j, "hash", "") == sweep.hash;
        if (!same && !restart) {
            const bool ours = j.is_object() && text_of(j, "format", "") == "dctwin-sweep";
            const std::string cases =
                ours && j.contains("cases") && j["cases"].is_number_unsigned() ? std::to_string(j["cases"].get<std::size_t>()) : "?";
            if (!ours)
                throw SweepDirError(fmt::format("output folder '{}' holds a sweep.json that is not a dctwin sweep's "
                                                "record (empty, damaged or another program's). Use --restart to "
                                                "discard it and start over, or another folder",
                                                dir),
                                    true);
            throw SweepDirError(
                fmt::format("output folder '{}' holds the results of a different sweep ({} {} cases, hash {}; this "
                            "sweep is {} cases, hash {}): the sweep file or its base site changed. Use --restart to "
                            "discard those results and start over, or another folder",
                            dir, text_of(j, "sweep", "?"), cases, text_of(j, "hash", "?"), sweep.cases.size(), sweep.hash),
                true);
        }
    } else if (fs::exists(journal, ec) && !restart) {
        throw SweepDirError(fmt::format("output folder '{}' has a journal (cases.jsonl) but no sweep.json: it cannot "
                                        "tell which sweep made it. Use --restart to start over",
                                        dir),
                            true);
    }
    if (restart) {
        for (const char* f : {"cases.jsonl", "summary.csv", "summary.h5", "sweep.json"}) fs::remove(d / f, ec);
        const fs::path cases = d / "cases";
        if (fs::is_directory(cases, ec))
            for (const auto& e : fs::directory_iterator(cases, ec)) {
                const std::string n = e.path().filename().string();
                // Only what a sweep writes there: regular files case-<digits>.h5.
                const bool digits = n.size() > 8 && n.find_first_not_of("0123456789", 5) == n.size() - 3;
                if (n.rfind("case-", 0) == 0 && n.ends_with(".h5") && digits && e.is_regular_file(ec) &&
                    !e.is_symlink(ec))
                    fs::remove(e.path(), ec);
            }
        same = false;
    }
    if (!same) {
        nlohmann::json j = {{"format", "dctwin-sweep"},
                            {"format_version", 1},
                            {"dctwin_version", DCTWIN_VERSION},
                            {"sweep", sweep.file},
                            {"name", sweep.name},
                            {"base", sweep.base_path},
                            {"hash", sweep.hash},
                            {"cases", sweep.cases.size()},
                            {"mode", sweep.steady ? "steady" : "transient"}};
        for (const auto& p : sweep.parameters) j["parameters"].push_back({{"name", p.name}, {"key", p.key}, {"unit", p.unit}});
        write_atomically(state, j.dump(2) + "\n");
    }
    if (sweep.keep_results) {
        fs::create_directories(d / "cases", ec);
        if (ec) throw SweepDirError(fmt::format("cannot create '{}': {}", (d / "cases").string(), ec.message()), false);
    }
}

std::map<std::size_t, CaseRecord> read_journal(const std::string& dir, std::size_t cases) {
    std::map<std::size_t, CaseRecord> out;
    const fs::path p = fs::path(dir) / "cases.jsonl";
    std::error_code ec;
    refuse_link(p);
    if (!fs::exists(p, ec)) return out;
    const std::string text = slurp(p, kMaxJournalBytes, "a sweep journal");
    const std::size_t end = text.rfind('\n');
    const std::size_t whole = end == std::string::npos ? 0 : end + 1;
    if (whole < text.size()) {
        // A torn last record (killed mid-write): dropped; its case runs again.
        if (::truncate(p.c_str(), off_t(whole)) != 0)
            throw SweepDirError(fmt::format("cannot repair '{}': {}", p.string(), std::strerror(errno)), false);
    }
    std::size_t start = 0;
    while (start < whole) {
        const std::size_t nl = text.find('\n', start);
        const std::string_view line(text.data() + start, nl - start);
        start = nl + 1;
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        // A record of another shape (an edited or foreign line) is dropped: its case runs again.
        if (!j.is_object() || !j.contains("case") || !j["case"].is_number_unsigned()) continue;
        if (!j.contains("status") || !j["status"].is_string() || (j.contains("error") && !j["error"].is_string()))
            continue;
        const auto i = j["case"].get<std::size_t>();
        if (i < cases) out[i] = j;  // a later record of a case (a retried failure) wins
    }
    return out;
}

Journal::Journal(const std::string& dir, double sync_interval_s)
    : path_((fs::path(dir) / "cases.jsonl").string()), interval_(sync_interval_s) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) throw SweepDirError(fmt::format("cannot open '{}': {}", path_, std::strerror(errno)), false);
    last_sync_ = now_s();
}

Journal::~Journal() {
    if (fd_ >= 0) {
        ::fsync(fd_);
        ::close(fd_);
    }
}

void Journal::append(const CaseRecord& record) {
    const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw SweepDirError(fmt::format("cannot append to '{}': {}", path_, std::strerror(errno)), false);
        done += std::size_t(n);
    }
    if (now_s() - last_sync_ >= interval_) sync();
}

void Journal::sync() {
    ::fsync(fd_);
    last_sync_ = now_s();
}

}  // namespace dctwin::sweep
