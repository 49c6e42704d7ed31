#include "models/power/rack_storage.hpp"

#include <algorithm>

namespace dctwin {

int RackStorage::add(std::string path, const StoreParams& p, int stage, NodeRef heat_to) {
    Unit u;
    u.path = std::move(path);
    u.p = p;
    u.stage = stage;
    u.heat_to = heat_to;
    units_.push_back(std::move(u));
    return int(units_.size()) - 1;
}

void RackStorage::declare(Network& net) {
    net_ = &net;
    acc_ = net.loss_group_states().at(std::size_t(net.add_loss_group("rack_storage")));
    for (std::size_t k = 0; k < units_.size(); ++k) {
        Unit& u = units_[k];
        u.owner = this;
        u.k = k;
        StateInfo g{u.path + "/draw_target", "W", 1.0, 0.0, std::max(1e-3, 1e-6 * u.p.power)};
        g.electrical = true;
        u.g = net.add_state(g);
        StateInfo e{u.path + "/energy", "J", 1.0, u.p.target_soc * u.p.capacity, 1e-3, 0.0, u.p.capacity};
        e.storage = true;
        u.e = net.add_state(e);
        const int rows[4] = {u.g, u.e, net.flow_row(u.heat_to), acc_};
        for (int r = 0; r < 4; ++r) u.entries[std::size_t(2 * r)] = net.jac_entry(rows[r], u.g),
                                   u.entries[std::size_t(2 * r + 1)] = net.jac_entry(rows[r], u.e);
        net.set_stage_supply(u.stage, &u);
    }
}

std::vector<int> RackStorage::Unit::rows() const {
    return {g, e, owner->net_->flow_row(heat_to), owner->acc_};
}

double RackStorage::Unit::split(double pin, EvalContext& ctx, double* dup, double* drows, double* dcols) {
    const StorePoint& o = last = store_law(p, pin, ctx.y[std::size_t(g)], ctx.y[std::size_t(e)], true);
    p_in = pin;
    ctx.flow[std::size_t(g)] += o.gdot;
    ctx.flow[std::size_t(e)] += o.e_flow;
    ctx.add_heat(heat_to, o.loss);
    ctx.flow[std::size_t(owner->acc_)] += o.loss;

    dloss = o.dloss_dd * o.dd_dp;
    *dup = 1.0 - o.dd_dp;
    drows[0] = o.dgdot_dp;
    drows[1] = o.de_flow_dd * o.dd_dp;
    drows[2] = dloss;
    drows[3] = dloss;
    dcols[0] = -o.dd_dg, dcols[1] = -o.dd_de;  // the feed supplies p_in - d
    dcols[2] = o.dloss_dd * o.dd_dg, dcols[3] = o.dloss_dd * o.dd_de;
    return pin - o.d;
}

double RackStorage::last_power(std::size_t k) const {
    return net_->stage_powered(units_[k].stage) ? units_[k].last.d : 0.0;
}

double RackStorage::last_draw(std::size_t k) const {
    const Unit& u = units_[k];
    return net_->stage_powered(u.stage) ? u.p_in - u.last.d : 0.0;
}

void RackStorage::jacobian(const EvalContext&, JacobianFill& jac, LoadDerivatives&) const {
    for (const Unit& u : units_) {
        if (!net_->stage_powered(u.stage)) continue;  // shed: no flows
        const StorePoint& o = u.last;
        const double lg = o.dloss_dd * o.dd_dg, le = o.dloss_dd * o.dd_de;
        const double v[8] = {o.dgdot_dg, o.dgdot_de, o.de_flow_dd * o.dd_dg, o.de_flow_dd * o.dd_de, lg, le, lg, le};
        for (std::size_t i = 0; i < 8; ++i) jac.add(u.entries[i], v[i]);
    }
}

}  // namespace dctwin
