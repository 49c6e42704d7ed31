#pragma once
// An X display for VTK's rendering: the user's if it opens, else a private Xvfb.

#include <sys/types.h>

#include <string>

namespace dctwin::viz {

/// While alive, DISPLAY names a display that opens. Starts `Xvfb -displayfd` (which picks a
/// free display number itself, so parallel renders do not collide) when DISPLAY is unset or
/// does not open, and stops it at destruction; Xvfb also ends if this process dies.
/// Throws std::runtime_error saying what to install when Xvfb is missing or fails.
class XDisplay {
public:
    XDisplay(int width, int height);  ///< [pixels] the smallest screen the picture needs
    ~XDisplay();
    XDisplay(const XDisplay&) = delete;
    XDisplay& operator=(const XDisplay&) = delete;

private:
    pid_t server_ = -1;
    std::string saved_display_;
    bool had_display_ = false;
};

}  // namespace dctwin::viz
