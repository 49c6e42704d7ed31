#include "models/power/ups_battery.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace dctwin {

namespace {
constexpr double kResume = 0.9999;  // charging resumes below this state of charge
}

void UpsBattery::declare(Network& net) {
    net_ = &net;
    StateInfo s{path_ + "/energy", "J", 1.0, p_.initial_soc * p_.capacity, 1.0, 0.0, p_.capacity};
    s.storage = true;
    e_ = net.add_state(s);
    // A tally: in every device's chain below the UPS, a full row would couple them all in the
    // Newton matrix (the block elimination's interface grew from under 40 to 186 states).
    acc_ = net.loss_group_states().at(std::size_t(net.add_loss_group("ups_battery", true)));
    full_ = p_.initial_soc >= kResume;
    net.set_stage_supply(stage_, this);
    check_at_ = next_check(-HUGE_VAL);
}

std::vector<int> UpsBattery::rows() const { return {e_, net_->flow_row(heat_to_), acc_}; }

double UpsBattery::split(double p_in, EvalContext& ctx, double* dup, double* drows, double*) {
    const bool utility = ctx.inputs[std::size_t(utility_)] > 0.5;
    const double avail = utility ? HUGE_VAL : ctx.inputs[std::size_t(gen_)];
    const double from_bus = std::min(p_in, avail);
    const double discharge = discharge_ = p_in - from_bus;  // delivered by the battery [W]
    const double room = avail - from_bus;      // what upstream could still give
    const double charge = (!full_ && discharge <= 0.0) ? std::min(p_.max_charge, room) : 0.0;
    const double etad = p_.discharge_efficiency, etac = p_.charge_efficiency;
    const bool bus_limited = p_in > avail;
    const bool charge_limited = charge > 0.0 && room < p_.max_charge;

    loss_ = discharge * (1.0 / etad - 1.0) + charge * (1.0 - etac);
    ctx.flow[std::size_t(e_)] += etac * charge - discharge / etad;
    ctx.add_heat(heat_to_, loss_);
    ctx.flow[std::size_t(acc_)] += loss_;

    // Derivatives with respect to p_in.
    double de = 0.0;
    dloss_ = 0.0;
    *dup = 1.0;
    if (bus_limited) {
        de = -1.0 / etad;
        dloss_ = 1.0 / etad - 1.0;
        *dup = 0.0;
    } else if (charge_limited) {  // charge = avail - p_in
        de = -etac;
        dloss_ = -(1.0 - etac);
        *dup = 0.0;
    }
    drows[0] = de;
    drows[1] = dloss_;
    drows[2] = dloss_;
    return from_bus + charge;
}

// The next time after t to check the discharge limit: just after the start of an outage, or
// just after an input discontinuity during one (a load step may jump past the limit there).
double UpsBattery::next_check(double t) const {
    if (!(p_.max_discharge > 0)) return HUGE_VAL;
    for (const auto& [t0, t1] : outages_) {
        if (t < just_after(t0)) return just_after(t0);
        if (t < t1) {
            const double d = net_->next_discontinuity(t);
            if (d < t1) return just_after(d);
        }
    }
    return HUGE_VAL;
}

bool UpsBattery::roots_read_tree(const EvalContext& ctx) const {
    return p_.max_discharge > 0 && !shed_ && ctx.inputs[std::size_t(utility_)] < 0.5;
}

void UpsBattery::roots(const EvalContext& ctx, double* g) const {
    const double e = ctx.y[std::size_t(e_)];
    g[0] = e;                               // empty
    g[1] = e - p_.capacity;                 // full
    g[2] = e - kResume * p_.capacity;       // drained below the resume level
    if (num_roots() > 3) {
        // The margin to the discharge limit, read from the evaluated tree during an outage.
        g[3] = roots_read_tree(ctx) ? p_.max_discharge - discharge_ : p_.max_discharge;
        g[4] = std::isfinite(check_at_) ? ctx.t - check_at_ : -1.0;  // no check left: never crosses
    }
}

void UpsBattery::drop_load(const EvalContext& ctx, std::vector<Event>& events, const std::string& why) {
    shed_ = true;
    net_->shed(stage_);
    events.push_back({ctx.t, path_, EventKind::load_shed, why + ": the UPS dropped its load, everything it feeds is without power"});
}

bool UpsBattery::on_root(int i, int dir, const EvalContext& ctx, std::vector<Event>& events) {
    if (i == 4 && dir > 0) {  // a scheduled check (on_roots evaluated the tree at ctx.t)
        check_at_ = next_check(ctx.t);
        if (!shed_ && ctx.inputs[std::size_t(utility_)] < 0.5 && discharge_ > p_.max_discharge)
            drop_load(ctx, events, fmt::format("the UPS battery would have to deliver {:.1f} kW, over its discharge "
                                               "limit of {:.1f} kW",
                                               discharge_ / 1e3, p_.max_discharge / 1e3));
        return true;  // the check moved on: a new root function
    }
    // Charging stops when full and resumes below the resume level, load shed or not.
    if (i == 1 && dir > 0 && !full_) {
        full_ = true;
        events.push_back({ctx.t, path_, EventKind::battery_full, "the UPS battery is recharged"});
        return true;
    }
    if (i == 2 && dir < 0 && full_) {
        full_ = false;
        return true;
    }
    if (shed_) return false;
    if (i == 0 && dir < 0) {
        drop_load(ctx, events, "the UPS battery is empty");
        return true;
    }
    if (i == 3 && dir < 0 && ctx.inputs[std::size_t(utility_)] < 0.5) {
        drop_load(ctx, events, fmt::format("the load on the UPS battery rose past its discharge limit of {:.1f} kW",
                                           p_.max_discharge / 1e3));
        return true;
    }
    return false;
}

}  // namespace dctwin
