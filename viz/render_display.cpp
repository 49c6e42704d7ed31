// An X display for VTK's rendering (viz/render_display.hpp).

#include "viz/render_display.hpp"

#include <X11/Xlib.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace dctwin::viz {

namespace {

bool display_opens(const char* name) {
    if (name == nullptr || *name == '\0') return false;
    Display* d = XOpenDisplay(name);
    if (d == nullptr) return false;
    XCloseDisplay(d);
    return true;
}

std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr && *path != '\0' ? path : "/usr/bin:/bin";
    dirs += ":/usr/bin";
    std::size_t begin = 0;
    while (begin <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', begin), dirs.size());
        const std::string candidate = dirs.substr(begin, end - begin) + "/" + name;
        struct stat info {};
        if (end > begin && ::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        begin = end + 1;
    }
    return {};
}

// Reads Xvfb's display number from `fd` (a line, written once the server accepts clients).
int read_display_number(int fd, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::string text;
    while (text.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return -1;
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, int(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return -1;
        char buffer[32];
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;  // Xvfb exited
        text.append(buffer, std::size_t(n));
    }
    char* end = nullptr;
    const long number = std::strtol(text.c_str(), &end, 10);
    return end != text.c_str() && number >= 0 ? int(number) : -1;
}

}  // namespace

XDisplay::XDisplay(int width, int height) {
    const char* current = std::getenv("DISPLAY");
    if (display_opens(current)) return;
    had_display_ = current != nullptr;
    if (had_display_) saved_display_ = current;
    const std::string why = had_display_ ? fmt::format("display '{}' does not open", saved_display_)
                                         : std::string("no X display (DISPLAY is unset)");
    const std::string xvfb = find_program("Xvfb");
    if (xvfb.empty())
        throw std::runtime_error(fmt::format(
            "{}, and Xvfb is not installed: Debian's VTK renders through X only; install Xvfb "
            "(`sudo apt-get install xvfb`) or run with a display",
            why));

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error(fmt::format("cannot start Xvfb: pipe: {}", std::strerror(errno)));
    const std::string screen = fmt::format("{}x{}x24", std::max(width, 1280), std::max(height, 1024));
    const std::string fd_text = std::to_string(fds[1]);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw std::runtime_error(fmt::format("cannot start Xvfb: fork: {}", std::strerror(errno)));
    }
    if (pid == 0) {
        // The server ends with us, even after kill -9.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(1);
        ::fcntl(fds[1], F_SETFD, 0);  // the display number goes through it
        const int null = ::open("/dev/null", O_RDWR);
        if (null >= 0) {
            ::dup2(null, 0);
            ::dup2(null, 1);
            ::dup2(null, 2);
        }
        ::execl(xvfb.c_str(), "Xvfb", "-displayfd", fd_text.c_str(), "-screen", "0", screen.c_str(), "-nolisten",
                "tcp", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    const int number = read_display_number(fds[0], std::chrono::seconds(20));
    ::close(fds[0]);
    if (number < 0) {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
        throw std::runtime_error(fmt::format("{}, and {} did not start (run `Xvfb :99` to see why)", why, xvfb));
    }
    server_ = pid;
    ::setenv("DISPLAY", fmt::format(":{}", number).c_str(), 1);
}

XDisplay::~XDisplay() {
    if (server_ <= 0) return;
    ::kill(server_, SIGTERM);
    ::waitpid(server_, nullptr, 0);
    if (had_display_)
        ::setenv("DISPLAY", saved_display_.c_str(), 1);
    else
        ::unsetenv("DISPLAY");
}

}  // namespace dctwin::viz
