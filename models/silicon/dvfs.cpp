#include "models/silicon/dvfs.hpp"

#include <algorithm>
#include <cmath>

namespace dctwin {

double ClockCurve::g_inverse(double r) const {
    // Newton on g(x) = r; g is a cubic, increasing and convex where it matters, so a handful of
    // steps reach machine precision.
    const double g_min = g(x_min);
    if (r <= g_min) {
        // Below the floor: linear continuation (the result is clamped by the caller anyway).
        return x_min + (r - g_min) / dg(x_min);
    }
    // v(x) = a + b x, g = x v^2, g' = v (v + 2 b x); start on the tangent at full clock, where
    // capped devices sit: two or three steps.
    const double b = dv(), a = v(x_min) - b * x_min;
    double x = std::clamp(1.0 + (r - 1.0) / (1.0 + 2.0 * b), x_min, 4.0);  // v(1) = 1
    for (int i = 0; i < 30; ++i) {
        const double vx = a + b * x;
        const double step = (x * vx * vx - r) / (vx * (vx + 2.0 * b * x));
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
