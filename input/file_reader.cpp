#include "input/file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace dctwin {

namespace {

const char* kind_of(mode_t m) {
    if (S_ISDIR(m)) return "it is a directory";
    if (S_ISFIFO(m)) return "not a regular file (a FIFO)";
    if (S_ISCHR(m)) return "not a regular file (a character device)";
    if (S_ISBLK(m)) return "not a regular file (a block device)";
    if (S_ISSOCK(m)) return "not a regular file (a socket)";
    return "not a regular file";
}

std::string limit(std::size_t cap) {
    return cap >= (std::size_t(1) << 20) ? fmt::format("{} MB", cap >> 20) : fmt::format("{} bytes", cap);
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

}  // namespace

std::string read_input_file(const std::string& path, std::size_t cap, const std::string& what) {
    // O_NONBLOCK: opening a FIFO without a writer returns at once (fstat then refuses it);
    // it changes nothing for a regular file. O_NOCTTY: a terminal never becomes ours.
    const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (fd.get() < 0) throw FileReadError(fmt::format("cannot read file: {}", std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw FileReadError(fmt::format("cannot read file: {}", std::strerror(errno)));
    if (!S_ISREG(st.st_mode)) throw FileReadError(fmt::format("cannot read file: {}", kind_of(st.st_mode)));
    const auto too_large = [&](unsigned long long size) {
        return FileReadError(fmt::format("the file is too large ({} bytes) for {} (at most {})", size, what, limit(cap)));
    };
    if (st.st_size > 0 && static_cast<unsigned long long>(st.st_size) > cap) throw too_large(st.st_size);
    // Read in blocks to at most cap + 1 bytes: a file that grows while read is still refused.
    std::string text;
    text.reserve(std::min<std::size_t>(std::size_t(st.st_size), cap) + 1);
    char block[1 << 16];
    while (text.size() <= cap) {
        const std::size_t want = std::min(sizeof block, cap + 1 - text.size());
        const ssize_t n = ::read(fd.get(), block, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw FileReadError(fmt::format("cannot read file: {}", std::strerror(errno)));
        if (n == 0) break;
        text.append(block, std::size_t(n));
    }
    if (text.size() > cap) throw too_large(text.size());
    return text;
}

}  // namespace dctwin
