#include "io/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace dctwin::io {

int terminal_columns() {
    winsize ws{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    if (const char* c = std::getenv("COLUMNS")) {
        const int n = std::atoi(c);
        if (n > 0 && n < 10000) return n;
    }
    return 80;
}

std::string human_duration(double s) {
    if (!std::isfinite(s) || s < 0) return "?";
    if (s < 10) return fmt::format("{:.1f} s", s);
    const long t = std::lround(s);
    if (t < 60) return fmt::format("{} s", t);
    if (t < 3600) return fmt::format("{} min {:02} s", t / 60, t % 60);
    if (t < 86400) return fmt::format("{} h {:02} min", t / 3600, (t % 3600) / 60);
    return fmt::format("{} d {:02} h", t / 86400, (t % 86400) / 3600);
}

StatusLine::StatusLine(bool on) : on_(on) {}
StatusLine::~StatusLine() { end(); }

bool StatusLine::due() const {
    return on_ && (!drawn_ || std::chrono::steady_clock::now() - last_ >= std::chrono::milliseconds(200));
}

void StatusLine::draw(double fraction, std::string_view text) {
    if (!on_) return;
    last_ = std::chrono::steady_clock::now();
    // The last column is left free: a character there makes some terminals wrap at once.
    const std::size_t room = std::size_t(std::max(10, terminal_columns() - 1));
    std::string line;
    constexpr std::size_t kBar = 10;
    if (text.size() + kBar + 3 <= room) {
        const double f = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
        const auto full = std::size_t(f * double(kBar));
        line = fmt::format("[{}{}] {}", std::string(full, '#'), std::string(kBar - full, '.'), text);
    } else {
        line = std::string(text.substr(0, room));
    }
    // \r and erase-to-end: a shorter line leaves nothing of the longer one before it.
    fmt::print(stderr, "\r{}\x1b[K", line);
    std::fflush(stderr);
    drawn_ = true;
}

void StatusLine::end() {
    if (!on_ || !drawn_) return;
    fmt::print(stderr, "\n");
    std::fflush(stderr);
    drawn_ = false;
}

std::string run_status_text(double t, double total, double wall) {
    const double speed = wall > 0 ? t / wall : 0.0;
    const double eta = speed > 0 ? (total - t) / speed : NAN;
    return fmt::format("{} of {}, {:.0f}x real time, ETA {}", human_duration(t), human_duration(total),
                       speed, human_duration(eta));
}

}  // namespace dctwin::io
