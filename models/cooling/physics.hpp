#pragma once
// Closed forms of the cooling chain: heat-exchanger effectiveness, affinity laws, the DOE-2
// chiller curves, and the smooth switches that keep the right-hand side differentiable.

#include <algorithm>
#include <array>
#include <cmath>

namespace dctwin::cooling {

/// Counterflow effectiveness eps(NTU, Cr), Cr = C_min / C_max in [0, 1]. (Incropera, Fundamentals
/// of Heat and Mass Transfer, Table 11.3.)
inline double counterflow_effectiveness(double ntu, double cr) {
    if (!(ntu > 0)) return 0.0;
    if (cr < 1e-9) return 1.0 - std::exp(-ntu);
    if (std::abs(1.0 - cr) < 1e-9) return ntu / (1.0 + ntu);
    const double e = std::exp(-ntu * (1.0 - cr));
    return (1.0 - e) / (1.0 - cr * e);
}

/// NTU that gives effectiveness eps at Cr (the inverse of counterflow_effectiveness); NaN when
/// no finite NTU reaches eps.
inline double counterflow_ntu(double eps, double cr) {
    if (!(eps > 0) || !(eps < 1)) return std::nan("");
    if (cr < 1e-9) return -std::log(1.0 - eps);
    if (std::abs(1.0 - cr) < 1e-9) return eps / (1.0 - eps);
    if (eps * cr >= 1.0) return std::nan("");
    return std::log((1.0 - eps * cr) / (1.0 - eps)) / (1.0 - cr);
}

/// Heat-exchanger conductance [W/K] between the inlet temperature difference and the heat flow:
/// q = exchange(UA, C1, C2) * (T_hot,in - T_cold,in), for capacity rates C1, C2 [W/K].
inline double exchange(double ua, double c1, double c2) {
    const double cmin = std::min(c1, c2), cmax = std::max(c1, c2);
    if (!(cmin > 0)) return 0.0;
    return counterflow_effectiveness(ua / cmin, cmin / cmax) * cmin;
}

/// The counterflow exchanger that passes q [W] between streams of capacity rates c1, c2 [W/K]
/// whose inlets differ by dt_in [K] (the inverse of exchange()). `eps` receives the
/// effectiveness needed; the conductance UA [W/K] is NaN when no exchanger reaches it.
inline double rated_conductance(double q, double c1, double c2, double dt_in, double* eps) {
    const double cmin = std::min(c1, c2), cmax = std::max(c1, c2);
    *eps = q / (cmin * dt_in);
    return counterflow_ntu(*eps, cmin / cmax) * cmin;
}

/// Affinity laws at speed ratio n: flow ~ n, head ~ n^2, power ~ n^3.
inline double affinity_flow(double rated, double n) { return rated * n; }
inline double affinity_head(double rated, double n) { return rated * n * n; }
inline double affinity_power(double rated, double n) { return rated * n * n * n; }

/// DOE-2 biquadratic in degC: a + b x + c x^2 + d y + e y^2 + f x y.
inline double biquadratic(const std::array<double, 6>& k, double x, double y) {
    return k[0] + k[1] * x + k[2] * x * x + k[3] * y + k[4] * y * y + k[5] * x * y;
}
inline double quadratic(const std::array<double, 3>& k, double x) { return k[0] + k[1] * x + k[2] * x * x; }

/// max(0, x) with its corner rounded over a width w (same units as x); >= 0, smooth.
inline double soft_plus(double x, double w) { return 0.5 * (x + std::sqrt(x * x + w * w)); }

/// Water's latent heat of vaporisation near 25 degC [J/kg] (steam tables).
inline constexpr double kLatentHeat = 2.442e6;
inline constexpr double kWaterDensity = 997.0;   ///< [kg/m3] at 25 degC
inline constexpr double kAirDensity = 1.184;     ///< [kg/m3] dry air at 25 degC, 101.325 kPa
inline constexpr double kAirSpecificHeat = 1006.0;  ///< [J/(kg K)]

}  // namespace dctwin::cooling
