#pragma once
// Dynamic voltage and frequency scaling of one device, as pure functions.
//
// x = f / f_max is the clock fraction, in [x_min, 1]. The voltage is linear in the clock
// between V(x_min) = v_min V_max and V(1) = V_max, and dynamic power goes as f V^2, so
//     g(x) = x v(x)^2,   v(x) = v_min + (1 - v_min) (x - x_min) / (1 - x_min),   g(1) = 1.
// g is increasing on [x_min, 1], so a power limit gives the highest clock by inverting g.

#include <cstdint>

namespace dctwin {

struct ClockCurve {
    double x_min = 0.2;   ///< [1] lowest clock fraction
    double v_min = 0.7;   ///< [1] voltage at x_min over voltage at full clock

    double v(double x) const { return x_min >= 1.0 ? 1.0 : v_min + (1.0 - v_min) * (x - x_min) / (1.0 - x_min); }
    double dv() const { return x_min >= 1.0 ? 0.0 : (1.0 - v_min) / (1.0 - x_min); }
    /// Dynamic power relative to full clock.
    double g(double x) const {
        const double vv = v(x);
        return x * vv * vv;
    }
    double dg(double x) const {
        const double vv = v(x);
        return vv * vv + 2.0 * x * vv * dv();
    }
    /// The clock fraction whose relative dynamic power is r, extended beyond [x_min, 1] by
    /// continuing the same polynomial (so that the result is continuous in r).
    double g_inverse(double r) const;
};

/// Why a device runs below its full clock.
enum class Throttle : std::uint8_t { none = 0, power_cap = 1, thermal = 2, external = 3, shutdown = 4 };

const char* throttle_name(Throttle t);

}  // namespace dctwin
