#include "models/power/site_battery.hpp"

#include <algorithm>
#include <cmath>

namespace dctwin {

void SiteBattery::declare(Network& net) {
    net_ = &net;
    StateInfo g{path_ + "/grid_target", "W", 1.0, 0.0, std::max(1.0, 1e-6 * p_.power)};  // [W]: a watt of a site is noise
    g.electrical = true;
    g_ = net.add_state(g);
    StateInfo e{path_ + "/energy", "J", 1.0, p_.target_soc * p_.capacity, 1.0, 0.0, p_.capacity};
    e.storage = true;
    e_ = net.add_state(e);
    StateInfo a{"site/energy/site_battery_losses", "J", 1.0, 0.0, 1e-3};
    a.accumulator = true;
    acc_ = net.add_state(a);
    const int heat = net.flow_row(heat_to_);
    e_gg_ = net.jac_entry(g_, g_), e_ge_ = net.jac_entry(g_, e_);
    e_eg_ = net.jac_entry(e_, g_), e_ee_ = net.jac_entry(e_, e_);
    e_hg_ = net.jac_entry(heat, g_), e_he_ = net.jac_entry(heat, e_);
    e_ag_ = net.jac_entry(acc_, g_), e_ae_ = net.jac_entry(acc_, e_);
    net.set_stage_supply(stage_, this);
}

std::vector<int> SiteBattery::rows() const { return {g_, e_, net_->flow_row(heat_to_), acc_}; }

double SiteBattery::split(double p_in, EvalContext& ctx, double* dup, double* drows, double* dcols) {
    const bool utility = utility_ < 0 || ctx.inputs[std::size_t(utility_)] > 0.5;
    const StorePoint& o = last_ = store_law(p_, p_in, ctx.y[std::size_t(g_)], ctx.y[std::size_t(e_)], utility);
    ctx.flow[std::size_t(g_)] += o.gdot;
    ctx.flow[std::size_t(e_)] += o.e_flow;
    ctx.add_heat(heat_to_, o.loss);
    ctx.flow[std::size_t(acc_)] += o.loss;

    dloss_ = o.dloss_dd * o.dd_dp;
    *dup = 1.0 - o.dd_dp;
    drows[0] = o.dgdot_dp;
    drows[1] = o.de_flow_dd * o.dd_dp;
    drows[2] = dloss_;
    drows[3] = dloss_;
    // Upstream takes p_in - d; its loss moves with d.
    dcols[0] = -o.dd_dg, dcols[1] = -o.dd_de;
    dcols[2] = o.dloss_dd * o.dd_dg, dcols[3] = o.dloss_dd * o.dd_de;
    return p_in - o.d;
}

void SiteBattery::jacobian(const EvalContext&, JacobianFill& jac, LoadDerivatives&) const {
    const StorePoint& o = last_;
    jac.add(e_gg_, o.dgdot_dg);
    jac.add(e_ge_, o.dgdot_de);
    jac.add(e_eg_, o.de_flow_dd * o.dd_dg);
    jac.add(e_ee_, o.de_flow_dd * o.dd_de);
    const double lg = o.dloss_dd * o.dd_dg, le = o.dloss_dd * o.dd_de;
    jac.add(e_hg_, lg), jac.add(e_he_, le);
    jac.add(e_ag_, lg), jac.add(e_ae_, le);
}

}  // namespace dctwin
