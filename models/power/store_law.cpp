#include "models/power/store_law.hpp"

#include <algorithm>
#include <cmath>

namespace dctwin {

namespace {
constexpr double kTaper = 0.02;  // share of the capacity over which charge or discharge fades out
constexpr double kBlend = 1e-3;  // share of the power rating over which the efficiencies blend
}  // namespace

StorePoint store_law(const StoreParams& s, double p, double g, double E, bool active) {
    StorePoint o;
    const double R = s.ramp_limit, tau = s.response_time, Tr = s.recharge_time;

    // Tracker.
    const double u = (p + (s.target_soc * s.capacity - E) / Tr - g) / (R * tau);
    const double th = std::tanh(u), sech2 = 1.0 - th * th;
    o.gdot = R * th;
    o.dgdot_dp = sech2 / tau;
    o.dgdot_dg = -sech2 / tau;
    o.dgdot_de = -sech2 / (tau * Tr);

    // Power: the difference, clamped, tapered at the ends of its energy.
    double dc = 0.0, ddc = 0.0;  // clamped demand and its slope against (p - g)
    if (active) {
        const double raw = p - g;
        dc = std::clamp(raw, -s.power, s.power);
        ddc = std::abs(raw) < s.power ? 1.0 : 0.0;
    }
    const double band = kTaper * s.capacity;
    double f = 1.0, df = 0.0;  // taper against E
    if (dc > 0 && E < band) f = std::max(0.0, E / band), df = E > 0 ? 1.0 / band : 0.0;
    if (dc < 0 && E > s.capacity - band)
        f = std::max(0.0, (s.capacity - E) / band), df = E < s.capacity ? -1.0 / band : 0.0;
    o.d = dc * f;
    o.dd_dp = ddc * f;
    o.dd_dg = -ddc * f;
    o.dd_de = dc * df;

    // Discharge and charge efficiencies blend smoothly over a band around d = 0: a hard switch
    // there is a kink the solver would keep stepping across while the store idles.
    const double etad = s.discharge_efficiency, etac = s.charge_efficiency;
    const double band_d = kBlend * s.power;
    const double th_d = std::tanh(o.d / band_d), w = 0.5 * (1.0 + th_d), dw = 0.5 * (1.0 - th_d * th_d) / band_d;
    const double k_e = w / etad + (1.0 - w) * etac;                      // storage taken per watt delivered
    const double k_l = w * (1.0 / etad - 1.0) - (1.0 - w) * (1.0 - etac);  // loss per watt delivered
    o.e_flow = -o.d * k_e;
    o.loss = o.d * k_l;
    o.de_flow_dd = -k_e - o.d * dw * (1.0 / etad - etac);
    o.dloss_dd = k_l + o.d * dw * ((1.0 / etad - 1.0) + (1.0 - etac));
    return o;
}

}  // namespace dctwin
