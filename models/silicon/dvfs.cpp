#include "models/silicon/dvfs.hpp"

#include <algorithm>
#include <cmath>

namespace dctwin {

double ClockCurve::g_inverse(double r) const {
    // Newton on g(x) = r from the linear guess; g is a cubic, increasing and convex where it
    // matters, so a handful of steps reach machine precision.
    if (r <= g(x_min)) {
        // Below the floor: linear continuation (the result is clamped by the caller anyway).
        return x_min + (r - g(x_min)) / dg(x_min);
    }
    double x = std::clamp(r, x_min, 4.0);
    for (int i = 0; i < 30; ++i) {
        const double step = (g(x) - r) / dg(x);
        x -= step;
        if (std::abs(step) < 1e-14 * std::max(1.0, std::abs(x))) break;
    }
    return x;
}

const char* throttle_name(Throttle t) {
    switch (t) {
        case Throttle::none: return "none";
        case Throttle::power_cap: return "power_cap";
        case Throttle::thermal: return "thermal";
        case Throttle::external: return "external";
        case Throttle::shutdown: return "shutdown";
    }
    return "?";
}

}  // namespace dctwin
