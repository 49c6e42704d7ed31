#include "models/power/site_battery.hpp"

#include <algorithm>
#include <cmath>

namespace dctwin {

namespace {
constexpr double kTaper = 0.02;  // share of the capacity over which charge or discharge fades out
constexpr double kBlend = 1e-3;  // share of the power rating over which the efficiencies blend
}

void SiteBattery::declare(Network& net) {
    net_ = &net;
    StateInfo g{path_ + "/grid_target", "W", 1.0, 0.0, std::max(1.0, 1e-6 * p_.power)};  // [W]: a watt of a site is noise
    g_ = net.add_state(g);
    StateInfo e{path_ + "/energy", "J", 1.0, p_.target_soc * p_.capacity, 1.0, 0.0, p_.capacity};
    e.storage = true;
    e_ = net.add_state(e);
    StateInfo a{"site/energy/site_battery_losses", "J", 1.0, 0.0, 1e-3};
    a.accumulator = true;
    acc_ = net.add_state(a);
    const int heat = net.flow_row(heat_to_), grid = net.accounting().grid, losses = net.accounting().losses;
    e_gg_ = net.jac_entry(g_, g_), e_ge_ = net.jac_entry(g_, e_);
    e_eg_ = net.jac_entry(e_, g_), e_ee_ = net.jac_entry(e_, e_);
    e_hg_ = net.jac_entry(heat, g_), e_he_ = net.jac_entry(heat, e_);
    e_ag_ = net.jac_entry(acc_, g_), e_ae_ = net.jac_entry(acc_, e_);
    e_rg_ = net.jac_entry(grid, g_), e_re_ = net.jac_entry(grid, e_);
    e_lg_ = net.jac_entry(losses, g_), e_le_ = net.jac_entry(losses, e_);
    net.set_stage_supply(stage_, this);
}

std::vector<int> SiteBattery::rows() const { return {g_, e_, net_->flow_row(heat_to_), acc_}; }

double SiteBattery::split(double p_in, EvalContext& ctx, double* dup, double* drows) {
    const double g = ctx.y[std::size_t(g_)], E = ctx.y[std::size_t(e_)];
    const double R = p_.ramp_limit, tau = p_.response_time, Tr = p_.recharge_time;
    const bool utility = utility_ < 0 || ctx.inputs[std::size_t(utility_)] > 0.5;

    // Tracker.
    const double u = (p_in + (p_.target_soc * p_.capacity - E) / Tr - g) / (R * tau);
    const double th = std::tanh(u), sech2 = 1.0 - th * th;
    ctx.flow[std::size_t(g_)] += R * th;
    const double dgdot_dp = sech2 / tau;
    dgdot_dg_ = -sech2 / tau;
    dgdot_de_ = -sech2 / (tau * Tr);

    // Battery power: the difference, clamped, tapered at the ends of its energy.
    double dc = 0.0, ddc = 0.0;  // clamped demand and its slope against (p_in - g)
    if (utility) {
        const double raw = p_in - g;
        dc = std::clamp(raw, -p_.power, p_.power);
        ddc = std::abs(raw) < p_.power ? 1.0 : 0.0;
    }
    const double band = kTaper * p_.capacity;
    double f = 1.0, df = 0.0;  // taper against E
    if (dc > 0 && E < band) f = std::max(0.0, E / band), df = E > 0 ? 1.0 / band : 0.0;
    if (dc < 0 && E > p_.capacity - band)
        f = std::max(0.0, (p_.capacity - E) / band), df = E < p_.capacity ? -1.0 / band : 0.0;
    d_ = dc * f;
    const double dd_dp = ddc * f;
    dd_dg_ = -ddc * f;
    dd_de_ = dc * df;

    // Discharge and charge efficiencies blend smoothly over a band around d = 0: a hard switch
    // there is a kink the solver would keep stepping across while the battery idles.
    const double etad = p_.discharge_efficiency, etac = p_.charge_efficiency;
    const double band_d = kBlend * p_.power;
    const double th_d = std::tanh(d_ / band_d), s = 0.5 * (1.0 + th_d), ds = 0.5 * (1.0 - th_d * th_d) / band_d;
    const double k_e = s / etad + (1.0 - s) * etac;            // storage taken per watt delivered
    const double k_l = s * (1.0 / etad - 1.0) - (1.0 - s) * (1.0 - etac);  // loss per watt delivered
    const double flow_e = -d_ * k_e;
    loss_ = d_ * k_l;
    dflowe_dd_ = -k_e - d_ * ds * (1.0 / etad - etac);        // d(E flow)/d(d)
    dloss_dd_ = k_l + d_ * ds * ((1.0 / etad - 1.0) + (1.0 - etac));
    ctx.flow[std::size_t(e_)] += flow_e;
    ctx.add_heat(heat_to_, loss_);
    ctx.flow[std::size_t(acc_)] += loss_;

    dloss_ = dloss_dd_ * dd_dp;
    *dup = 1.0 - dd_dp;
    drows[0] = dgdot_dp;
    drows[1] = dflowe_dd_ * dd_dp;
    drows[2] = dloss_;
    drows[3] = dloss_;
    return p_in - d_;
}

void SiteBattery::jacobian(const EvalContext&, JacobianFill& jac, LoadDerivatives&) const {
    jac.add(e_gg_, dgdot_dg_);
    jac.add(e_ge_, dgdot_de_);
    jac.add(e_eg_, dflowe_dd_ * dd_dg_);
    jac.add(e_ee_, dflowe_dd_ * dd_de_);
    const double lg = dloss_dd_ * dd_dg_, le = dloss_dd_ * dd_de_;
    jac.add(e_hg_, lg), jac.add(e_he_, le);
    jac.add(e_ag_, lg), jac.add(e_ae_, le);
    jac.add(e_lg_, lg), jac.add(e_le_, le);
    // The grid supplies p - d (the battery idles in an outage, so the generator's row is untouched).
    jac.add(e_rg_, -dd_dg_), jac.add(e_re_, -dd_de_);
}

}  // namespace dctwin
