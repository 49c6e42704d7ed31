#pragma once
// A status line on the terminal (progress of a run or a sweep) and times written for people.

#include <chrono>
#include <string>
#include <string_view>

namespace dctwin::io {

/// Columns of the terminal that stderr is on (the tty's size, then $COLUMNS), 80 if unknown.
int terminal_columns();

/// A span of time for people, to the precision that matters at its size: "42 s",
/// "12 min 30 s", "3 h 05 min", "2 d 03 h". [s]; "?" for a negative or non-finite span.
std::string human_duration(double seconds);

/// One line of stderr redrawn in place: a bar and a text, cut to the terminal's width
/// (a line that wraps can no longer be redrawn: every redraw would add a line). end()
/// moves to a fresh line, so that what is printed next starts at the left margin.
class StatusLine {
public:
    explicit StatusLine(bool on);
    ~StatusLine();
    StatusLine(const StatusLine&) = delete;
    StatusLine& operator=(const StatusLine&) = delete;

    /// True when a redraw is due (at most 5 a second).
    bool due() const;
    /// Redraws: "[####......] text", the bar dropped and then the text cut where the
    /// terminal is narrow. fraction in [0, 1].
    void draw(double fraction, std::string_view text);
    /// Ends the line if one was drawn; idempotent.
    void end();
    bool on() const { return on_; }

private:
    bool on_, drawn_ = false;
    std::chrono::steady_clock::time_point last_{};
};

/// The line a status line shows for a run: simulated over total, speed and ETA.
std::string run_status_text(double simulated_s, double total_s, double wall_s);

}  // namespace dctwin::io
