#include "models/cooling/cooling_system.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "models/cooling/physics.hpp"

namespace dctwin {

namespace {
using namespace cooling;
constexpr double kCelsius = 273.15;
constexpr double kRound = 0.05;  // [K] width of the rounded corners of max(0, dT)
// [K] The economiser aims this far below the set point, so that the trim chiller (which
// acts on what is left above the set point) stays off while free cooling suffices.
constexpr double kLeadOffset = 0.5;

StateInfo accumulator(std::string path, std::string unit, double abstol) {
    StateInfo s{std::move(path), std::move(unit), 1.0, 0.0, abstol};
    s.accumulator = true;
    return s;
}
double input_or(const EvalContext& ctx, int input, double otherwise) {
    return input >= 0 ? ctx.inputs[std::size_t(input)] : otherwise;
}
}  // namespace

int CoolingSystem::add_cdu(CduParams p) {
    Cdu c;
    static_cast<CduParams&>(c) = std::move(p);
    cdu_.push_back(std::move(c));
    return int(cdu_.size()) - 1;
}

void CoolingSystem::add_rack(RackLoop r) {
    if (r.cdu >= 0) {
        auto& c = cdu_.at(std::size_t(r.cdu));
        c.racks.push_back(racks_.size());
        c.rated_flow += r.flow;
    }
    racks_.push_back(r);
}

void CoolingSystem::add_crah(CrahParams p) {
    Crah c;
    static_cast<CrahParams&>(c) = std::move(p);
    crah_.push_back(std::move(c));
}

void CoolingSystem::declare(Network& net) {
    // --- states ---------------------------------------------------------------------------
    for (auto& c : cdu_) {
        if (c.racks.empty()) throw std::invalid_argument(fmt::format("{}: serves no rack", c.path));
        c.supply = net.add_state({c.path + "/T_supply", "K", c.header_capacity, c.setpoint});
        StateInfo i{c.path + "/valve_integrator", "1", 1.0, 0.5, 1e-6};
        c.integrator = net.add_state(i);
    }
    if (f_.loop) {
        if (f_.segments < 1 || !(f_.segment_capacity > 0))
            throw std::invalid_argument("cooling: a facility loop needs pipe segments with a heat capacity");
        for (int k = 0; k < f_.segments; ++k)
            seg_s_.push_back(net.add_state({fmt::format("cooling/facility/supply_pipe/T{}", k + 1), "K",
                                            f_.segment_capacity, f_.initial}));
        for (int k = 0; k < f_.segments; ++k)
            seg_r_.push_back(net.add_state({fmt::format("cooling/facility/return_pipe/T{}", k + 1), "K",
                                            f_.segment_capacity, f_.initial}));
        if (f_.economiser.present)
            fan_i_ = net.add_state({"cooling/plant/economiser/fan_integrator", "1", 1.0, 1.0, 1e-6});
        water_ = net.add_state(accumulator("cooling/plant/water_used", "m3", 1e-6));
    }
    auto energy = [&](const char* name) {
        const int s = net.add_state(accumulator(fmt::format("cooling/energy/{}", name), "J", 1.0));
        energy_.emplace_back(name, s);
        return s;
    };
    if (!cdu_.empty()) e_acc_cdu_ = energy("cdu_pumps");
    e_acc_pumps_ = energy("facility_pumps");
    if (!crah_.empty()) e_acc_crah_ = energy("crah_fans");
    if (!f_.loop || f_.economiser.present) e_acc_fans_ = energy(f_.loop ? "economiser_fans" : "heat_rejection_fans");
    if (f_.loop && f_.chiller.present) e_acc_chiller_ = energy("chillers");

    for (const auto& c : cdu_) flow_deps_.insert(flow_deps_.end(), {c.supply, c.integrator});
    for (const auto& r : racks_) return_deps_.push_back(r.coolant);
    for (const auto& c : cdu_) return_deps_.insert(return_deps_.end(), {c.supply, c.integrator});
    for (const auto& h : crah_) return_deps_.push_back(h.air);
    cdu_eval_.resize(cdu_.size());
    crah_eval_.resize(crah_.size());
    dcf_.assign(flow_deps_.size(), 0.0);
    dret_.assign(return_deps_.size(), 0.0);
    slope_.reserve(2 + flow_deps_.size());

    // --- loads ----------------------------------------------------------------------------
    for (auto& c : cdu_)
        c.pump_load = net.add_load({c.path + "/pump/power", c.stage, LoadCategory::cooling, NodeRef::state(c.supply), {}});
    for (auto& h : crah_)
        h.fan_load = net.add_load({h.path + "/fans/power", h.stage, LoadCategory::cooling, NodeRef::state(h.air), {}});
    const NodeRef pump_heat = f_.loop ? NodeRef::state(seg_s_.front()) : f_.outdoor;
    pump_load_ = net.add_load({"cooling/facility/pump/power", f_.stage, LoadCategory::cooling, pump_heat, flow_deps_});
    std::vector<int> plant_deps;
    if (f_.loop) {
        plant_deps.push_back(seg_r_.back());
        if (fan_i_ >= 0) plant_deps.push_back(fan_i_);
        plant_deps.insert(plant_deps.end(), flow_deps_.begin(), flow_deps_.end());
        if (fan_i_ >= 0)
            fan_load_ = net.add_load({"cooling/plant/economiser/fans/power", f_.stage, LoadCategory::cooling, f_.outdoor,
                                      {fan_i_}});
        if (f_.chiller.present) {
            chiller_load_ = net.add_load({"cooling/plant/chiller/power", f_.stage, LoadCategory::cooling, f_.outdoor,
                                          plant_deps});
            cond_fan_load_ = net.add_load({"cooling/plant/chiller/condenser_fans/power", f_.stage, LoadCategory::cooling,
                                           f_.outdoor, plant_deps});
        }
    } else {
        reject_load_ = net.add_load({"cooling/facility/heat_rejection/power", f_.stage, LoadCategory::cooling,
                                     f_.outdoor, return_deps_});
    }

    // --- Jacobian entries -----------------------------------------------------------------
    for (int d : flow_deps_) acc_pump_e_.push_back(net.jac_entry(e_acc_pumps_, d));
    if (reject_load_ >= 0)
        for (int d : return_deps_) acc_fans_e_.push_back(net.jac_entry(e_acc_fans_, d));
    if (fan_load_ >= 0) acc_fans_e_.push_back(net.jac_entry(e_acc_fans_, fan_i_));
    if (chiller_load_ >= 0)
        for (int d : plant_deps) acc_chiller_e_.push_back(net.jac_entry(e_acc_chiller_, d));
    const NodeRef pin = supply_node();
    const int pin_col = pin.is_state() ? pin.id : -1;
    const int ret_row = net.flow_row(return_node());
    rack_e_.resize(racks_.size());
    for (std::size_t k = 0; k < racks_.size(); ++k) {
        const auto& r = racks_[k];
        auto& e = rack_e_[k];
        e.own = net.jac_entry(r.coolant, r.coolant);
        if (r.cdu >= 0) {
            const int hdr = cdu_[std::size_t(r.cdu)].supply;
            e.from = net.jac_entry(r.coolant, hdr);
            e.hdr_own = net.jac_entry(hdr, r.coolant);
        } else {
            e.from = net.jac_entry(r.coolant, pin_col);
        }
        e.ret = net.jac_entry(ret_row, r.coolant);
    }
    cdu_e_.resize(cdu_.size());
    for (std::size_t i = 0; i < cdu_.size(); ++i) {
        const auto& c = cdu_[i];
        auto& e = cdu_e_[i];
        e.hdr_hdr = net.jac_entry(c.supply, c.supply);
        e.hdr_i = net.jac_entry(c.supply, c.integrator);
        e.hdr_pin = net.jac_entry(c.supply, pin_col);
        e.i_hdr = net.jac_entry(c.integrator, c.supply);
        e.i_i = net.jac_entry(c.integrator, c.integrator);
        e.ret_hdr = net.jac_entry(ret_row, c.supply);
        e.ret_i = net.jac_entry(ret_row, c.integrator);
    }
    crah_e_.resize(crah_.size());
    for (std::size_t h = 0; h < crah_.size(); ++h) {
        auto& e = crah_e_[h];
        e.air_air = net.jac_entry(crah_[h].air, crah_[h].air);
        e.air_pin = net.jac_entry(crah_[h].air, pin_col);
        e.ret_air = net.jac_entry(ret_row, crah_[h].air);
    }
    ret_pin_ = net.jac_entry(ret_row, pin_col);
    if (f_.loop) {
        // The loop: S_N -> R_1 -> ... -> R_N -> (plant) -> S_1 -> ... -> S_N, all at C_f.
        std::vector<std::pair<int, int>> pairs;
        pairs.emplace_back(seg_s_.back(), seg_r_.front());
        for (std::size_t k = 0; k + 1 < seg_r_.size(); ++k) pairs.emplace_back(seg_r_[k], seg_r_[k + 1]);
        pairs.emplace_back(seg_r_.back(), seg_s_.front());
        for (std::size_t k = 0; k + 1 < seg_s_.size(); ++k) pairs.emplace_back(seg_s_[k], seg_s_[k + 1]);
        for (auto [a, b] : pairs) {
            Link l{a, b, net.jac_entry(b, a), net.jac_entry(b, b), {}};
            for (int d : flow_deps_) l.bdep.push_back(net.jac_entry(b, d));
            links_.push_back(std::move(l));
        }
        const int out_row = net.flow_row(f_.outdoor);
        for (int d : plant_deps) {
            plant_s1_.push_back(net.jac_entry(seg_s_.front(), d));
            plant_out_.push_back(net.jac_entry(out_row, d));
            if (fan_i_ >= 0) plant_fan_.push_back(net.jac_entry(fan_i_, d));
        }
    }
}

double CoolingSystem::flow_factor(const EvalContext& ctx) const {
    if (!f_.loop) return 1.0;  // a held supply keeps its flows
    const bool on = input_or(ctx, f_.powered_input, 1.0) > 0.5 && ctx.powered[std::size_t(pump_load_)];
    return on ? 1.0 : 0.0;
}

CoolingSystem::CduEval CoolingSystem::eval_cdu(const EvalContext& ctx, std::size_t i) const {
    const Cdu& c = cdu_[i];
    CduEval r;
    r.speed = input_or(ctx, c.speed_input, 1.0) * (ctx.powered[std::size_t(c.pump_load)] ? 1.0 : 0.0);
    r.cs = c.rho_cp * c.rated_flow * r.speed;
    const double ths = ctx.y[std::size_t(c.supply)];
    double s = 0;
    for (std::size_t k : c.racks) s += racks_[k].flow * ctx.y[std::size_t(racks_[k].coolant)];
    r.tmix = s / c.rated_flow;
    r.u = c.gain * (ths - c.setpoint) + ctx.y[std::size_t(c.integrator)];
    r.v = std::clamp(r.u, c.min_valve, 1.0);
    r.dvdu = (r.u > c.min_valve && r.u < 1.0) ? 1.0 : 0.0;
    r.cp = f_.rho_cp * c.primary_max * r.v * flow_factor(ctx);
    r.e = exchange(c.ua, r.cs, r.cp);
    r.q = r.e * (r.tmix - ctx.temperature(supply_node()));
    return r;
}

double CoolingSystem::crah_fan_factor(const EvalContext& ctx, std::size_t i) const {
    const bool on = input_or(ctx, f_.powered_input, 1.0) > 0.5 && ctx.powered[std::size_t(crah_[i].fan_load)];
    return on ? 1.0 : 0.0;
}

double CoolingSystem::crah_exchange(const EvalContext& ctx, std::size_t i) const {
    const Crah& h = crah_[i];
    return exchange(h.ua, h.c_air * crah_fan_factor(ctx, i), f_.rho_cp * h.water_flow * flow_factor(ctx));
}

PlantState CoolingSystem::plant_at(const EvalContext& ctx, double t_in, double fan_i, double cf) const {
    PlantState p;
    p.flow = cf / f_.rho_cp;
    p.inlet = p.economiser_outlet = p.outlet = t_in;
    const bool powered = flow_factor(ctx) > 0;
    const double tdb = ctx.inputs[std::size_t(f_.dry_bulb_input)];
    const double twb = ctx.inputs[std::size_t(f_.wet_bulb_input)];
    const double tset = ctx.inputs[std::size_t(f_.setpoint_input)];
    if (!(cf > 0)) return p;
    const auto& ec = f_.economiser;
    double water = 0;  // [m3/s]
    if (ec.present) {
        const double top = std::max(0.0, input_or(ctx, ec.available_input, 1.0));
        p.fan_speed = powered ? std::clamp(fan_i, std::min(ec.min_speed, top), top) : 0.0;
        double sink = tdb;
        bool evaporates = false;  // towers lose water to evaporation and blow-down
        switch (ec.kind) {
            case EconomiserKind::dry_cooler: break;
            case EconomiserKind::cooling_tower: sink = twb, evaporates = true; break;
        }
        // Air-side conductance dominates: UA ~ (air velocity)^0.8.
        const double e = exchange(ec.ua * std::pow(p.fan_speed, 0.8), cf, ec.c_air * p.fan_speed);
        p.economiser_heat = e * soft_plus(t_in - sink, kRound);
        p.economiser_outlet = t_in - p.economiser_heat / cf;
        if (evaporates) water += p.economiser_heat / (kLatentHeat * kWaterDensity) * ec.cycles / (ec.cycles - 1);
    }
    const auto& ch = f_.chiller;
    if (ch.present && powered && input_or(ctx, ch.available_input, 1.0) > 0.5) {
        const double tcond = ch.tower ? twb + ch.tower_approach : tdb;
        // The curves hold over their fitted range only (a quadratic extrapolated to warm water
        // would promise anything): clamp their inputs.
        const double x = std::clamp(tset, ch.leaving_lo, ch.leaving_hi) - kCelsius;
        const double y = std::clamp(tcond, ch.condenser_lo, ch.condenser_hi) - kCelsius;
        const double cap = ch.capacity * std::max(0.0, biquadratic(ch.cap_ft, x, y));
        if (cap > 0) {
            const double need = cf * soft_plus(p.economiser_outlet - tset, kRound);
            p.chiller_capacity = cap;
            p.chiller_heat = std::max(0.0, need - soft_plus(need - cap, 1e-3 * ch.capacity));
            const double plr = p.chiller_heat / cap;
            // Below the minimum part load the chiller cycles: power scales with the run fraction.
            const double run = std::min(1.0, plr / ch.min_plr);
            p.chiller_power = cap / ch.cop * biquadratic(ch.eir_ft, x, y) *
                              quadratic(ch.eir_fplr, std::max(plr, ch.min_plr)) * run;
            const double rejected = p.chiller_heat + p.chiller_power;
            p.condenser_fan_power = ch.condenser_fan * rejected;
            if (ch.tower) water += rejected / (kLatentHeat * kWaterDensity) * ch.cycles / (ch.cycles - 1);
        }
    }
    p.outlet = p.economiser_outlet - p.chiller_heat / cf;
    p.water_rate = water;
    return p;
}

void CoolingSystem::eval(EvalContext& ctx) const {
    const NodeRef pin = supply_node();
    const double tpin = ctx.temperature(pin);
    const double m = flow_factor(ctx);
    double q_ret = 0.0, cf = 0.0;
    double cdu_pumps = 0.0, crah_fans = 0.0;

    for (std::size_t i = 0; i < cdu_.size(); ++i) {
        const Cdu& c = cdu_[i];
        const CduEval& r = cdu_eval_[i] = eval_cdu(ctx, i);
        const double ths = ctx.y[std::size_t(c.supply)];
        for (std::size_t k : c.racks) {
            const double cr = c.rho_cp * racks_[k].flow * r.speed;
            ctx.flow[std::size_t(racks_[k].coolant)] += cr * (ths - ctx.y[std::size_t(racks_[k].coolant)]);
        }
        ctx.flow[std::size_t(c.supply)] += r.cs * (r.tmix - ths) - r.q;
        ctx.flow[std::size_t(c.integrator)] += c.gain / c.integral_time * (ths - c.setpoint) + (r.v - r.u) / c.integral_time;
        q_ret += r.q;
        cf += r.cp;
        const double pump = ctx.powered[std::size_t(c.pump_load)]
                                ? affinity_power(c.pump_power, input_or(ctx, c.speed_input, 1.0)) : 0.0;
        ctx.load[std::size_t(c.pump_load)] = pump;
        cdu_pumps += pump;
    }
    for (const auto& r : racks_) {
        if (r.cdu >= 0) continue;
        const double cd = f_.rho_cp * r.flow * m;
        const double tr = ctx.y[std::size_t(r.coolant)];
        ctx.flow[std::size_t(r.coolant)] += cd * (tpin - tr);
        q_ret += cd * (tr - tpin);
        cf += cd;
    }
    for (std::size_t i = 0; i < crah_.size(); ++i) {
        const Crah& h = crah_[i];
        crah_eval_[i] = crah_exchange(ctx, i);
        const double q = crah_eval_[i] * (ctx.y[std::size_t(h.air)] - tpin);
        ctx.flow[std::size_t(h.air)] -= q;
        q_ret += q;
        cf += f_.rho_cp * h.water_flow * m;
        const double fans = h.fan_power * crah_fan_factor(ctx, i);
        ctx.load[std::size_t(h.fan_load)] = fans;
        crah_fans += fans;
    }
    ctx.add_heat(return_node(), q_ret);
    cf_ = cf, q_ret_ = q_ret;

    const bool plant_on = input_or(ctx, f_.powered_input, 1.0) > 0.5 && ctx.powered[std::size_t(pump_load_)];
    const double qf = cf / f_.rho_cp;
    const double pump = plant_on ? f_.pump_power * std::pow(qf / f_.rated_flow, 3) : 0.0;
    ctx.load[std::size_t(pump_load_)] = pump;
    ctx.flow[std::size_t(e_acc_pumps_)] += pump;
    if (e_acc_cdu_ >= 0) ctx.flow[std::size_t(e_acc_cdu_)] += cdu_pumps;
    if (e_acc_crah_ >= 0) ctx.flow[std::size_t(e_acc_crah_)] += crah_fans;

    if (!f_.loop) {
        const double fans = plant_on && q_ret > 0 ? f_.specific_rejection * q_ret : 0.0;
        ctx.load[std::size_t(reject_load_)] = fans;
        ctx.flow[std::size_t(e_acc_fans_)] += fans;
        return;
    }
    for (const auto& l : links_) ctx.flow[std::size_t(l.b)] += cf * (ctx.y[std::size_t(l.a)] - ctx.y[std::size_t(l.b)]);
    const double fan_i = fan_i_ >= 0 ? ctx.y[std::size_t(fan_i_)] : 0.0;
    const PlantState p = plant_at(ctx, ctx.y[std::size_t(seg_r_.back())], fan_i, cf);
    const double q_plant = p.economiser_heat + p.chiller_heat;
    ctx.flow[std::size_t(seg_s_.front())] -= q_plant;
    ctx.add_heat(f_.outdoor, q_plant);
    ctx.flow[std::size_t(water_)] += p.water_rate;
    if (fan_i_ >= 0) {
        const double ti = f_.economiser.integral_time;
        const double tset = ctx.inputs[std::size_t(f_.setpoint_input)];
        ctx.flow[std::size_t(fan_i_)] += (p.economiser_outlet - tset + kLeadOffset) / ti + (p.fan_speed - fan_i) / ti;
        const double fans = ctx.powered[std::size_t(fan_load_)] ? affinity_power(f_.economiser.fan_power, p.fan_speed) : 0.0;
        ctx.load[std::size_t(fan_load_)] = fans;
        ctx.flow[std::size_t(e_acc_fans_)] += fans;
    }
    if (chiller_load_ >= 0) {
        const bool on = ctx.powered[std::size_t(chiller_load_)];
        ctx.load[std::size_t(chiller_load_)] = on ? p.chiller_power : 0.0;
        ctx.load[std::size_t(cond_fan_load_)] = on ? p.condenser_fan_power : 0.0;
        ctx.flow[std::size_t(e_acc_chiller_)] += on ? p.chiller_power + p.condenser_fan_power : 0.0;
    }
}

void CoolingSystem::jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const {
    const NodeRef pin = supply_node();
    const double tpin = ctx.temperature(pin);
    // The network evaluates every block at this point just before: eval()'s values stand.
    const double m = flow_factor(ctx);
    const double cf = cf_;
    double dret_dpin = 0.0;
    // d(C_f)/d(flow dep) and d(returned heat)/d(return dep), in declaration order.
    std::vector<double>& dcf = dcf_;
    std::vector<double>& dret = dret_;
    std::fill(dret.begin(), dret.end(), 0.0);
    std::size_t rd = racks_.size();  // CDU part of return_deps_ starts after the racks

    for (std::size_t i = 0; i < cdu_.size(); ++i) {
        const Cdu& c = cdu_[i];
        const CduEval& r = cdu_eval_[i];
        const auto& e = cdu_e_[i];
        const double dcp_dv = f_.rho_cp * c.primary_max * m;
        double de_dcp = 0.0;  // the exchanger's d(conductance)/d(primary capacity rate)
        if (r.cp > 0 && r.cs > 0 && r.dvdu > 0) {
            const double h = 1e-6 * r.cp;
            de_dcp = (exchange(c.ua, r.cs, r.cp + h) - exchange(c.ua, r.cs, r.cp - h)) / (2 * h);
        }
        const double dq_dI = de_dcp * dcp_dv * r.dvdu * (r.tmix - tpin);
        const double dq_dT = dq_dI * c.gain;
        for (std::size_t k : c.racks) {
            const double cr = c.rho_cp * racks_[k].flow * r.speed;
            const auto& re = rack_e_[k];
            jac.add(re.own, -cr);
            jac.add(re.from, cr);
            const double share = r.cs > 0 ? r.e * cr / r.cs : 0.0;
            jac.add(re.hdr_own, cr - share);
            jac.add(re.ret, share);
            dret[k] = share;
        }
        jac.add(e.hdr_hdr, -r.cs - dq_dT);
        jac.add(e.hdr_i, -dq_dI);
        if (e.hdr_pin >= 0) jac.add(e.hdr_pin, r.e);
        jac.add(e.i_hdr, r.dvdu * c.gain / c.integral_time);
        jac.add(e.i_i, (r.dvdu - 1.0) / c.integral_time);
        jac.add(e.ret_hdr, dq_dT);
        jac.add(e.ret_i, dq_dI);
        dret[rd + 2 * i] = dq_dT;
        dret[rd + 2 * i + 1] = dq_dI;
        dcf[2 * i] = dcp_dv * r.dvdu * c.gain;
        dcf[2 * i + 1] = dcp_dv * r.dvdu;
        dret_dpin -= r.e;
    }
    for (std::size_t k = 0; k < racks_.size(); ++k) {
        const auto& r = racks_[k];
        if (r.cdu >= 0) continue;
        const double cd = f_.rho_cp * r.flow * m;
        jac.add(rack_e_[k].own, -cd);
        if (rack_e_[k].from >= 0) jac.add(rack_e_[k].from, cd);
        jac.add(rack_e_[k].ret, cd);
        dret[k] = cd;
        dret_dpin -= cd;
    }
    rd += 2 * cdu_.size();
    for (std::size_t h = 0; h < crah_.size(); ++h) {
        const double eh = crah_eval_[h];
        const auto& e = crah_e_[h];
        jac.add(e.air_air, -eh);
        if (e.air_pin >= 0) jac.add(e.air_pin, eh);
        jac.add(e.ret_air, eh);
        dret[rd + h] = eh;
        dret_dpin -= eh;
    }
    if (ret_pin_ >= 0) jac.add(ret_pin_, dret_dpin);

    // Primary pump: P = P_r (q / q_r)^3.
    const bool plant_on = input_or(ctx, f_.powered_input, 1.0) > 0.5 && ctx.powered[std::size_t(pump_load_)];
    {
        const double qf = cf / f_.rho_cp;
        const double dp_dcf = plant_on ? 3 * f_.pump_power * qf * qf / std::pow(f_.rated_flow, 3) / f_.rho_cp : 0.0;
        const auto off = std::size_t(dl.offset[std::size_t(pump_load_)]);
        for (std::size_t k = 0; k < flow_deps_.size(); ++k) {
            dl.dvalues[off + k] = dp_dcf * dcf[k];
            jac.add(acc_pump_e_[k], dp_dcf * dcf[k]);
        }
    }
    if (!f_.loop) {
        const bool on = plant_on && q_ret_ > 0;
        const auto off = std::size_t(dl.offset[std::size_t(reject_load_)]);
        for (std::size_t k = 0; k < return_deps_.size(); ++k) {
            dl.dvalues[off + k] = on ? f_.specific_rejection * dret[k] : 0.0;
            jac.add(acc_fans_e_[k], dl.dvalues[off + k]);
        }
        return;
    }

    for (const auto& l : links_) {
        jac.add(l.ba, cf);
        jac.add(l.bb, -cf);
        const double dt = ctx.y[std::size_t(l.a)] - ctx.y[std::size_t(l.b)];
        for (std::size_t k = 0; k < l.bdep.size(); ++k) jac.add(l.bdep[k], dcf[k] * dt);
    }

    // Plant: central differences over its three inputs (inlet temperature, fan state, C_f);
    // the same numbers enter the supply row and the outdoor row, so energy stays balanced.
    const double t_in = ctx.y[std::size_t(seg_r_.back())];
    const double fan_i = fan_i_ >= 0 ? ctx.y[std::size_t(fan_i_)] : 0.0;
    using Out = PlantSlope;
    auto at = [&](double t, double fi, double c) {
        const PlantState p = plant_at(ctx, t, fi, c);
        return Out{p.economiser_heat + p.chiller_heat, p.economiser_outlet, p.chiller_power, p.condenser_fan_power};
    };
    auto diff = [](const Out& a, const Out& b, double h) {
        return Out{(a.q - b.q) / h, (a.te - b.te) / h, (a.chiller - b.chiller) / h, (a.cond - b.cond) / h};
    };
    const double hT = 1e-4, hI = 1e-6, hC = 1e-6 * std::max(cf, 1.0);
    const Out dT = diff(at(t_in + hT, fan_i, cf + 0), at(t_in - hT, fan_i, cf), 2 * hT);
    const Out dI = fan_i_ >= 0 ? diff(at(t_in, fan_i + hI, cf), at(t_in, fan_i - hI, cf), 2 * hI) : Out{};
    const Out dC = cf > hC ? diff(at(t_in, fan_i, cf + hC), at(t_in, fan_i, cf - hC), 2 * hC)
                           : diff(at(t_in, fan_i, cf + hC), at(t_in, fan_i, cf), hC);
    // Derivatives against plant_deps: T_in, [I_f], flow deps.
    std::vector<Out>& d = slope_;
    d.clear();
    d.push_back(dT);
    if (fan_i_ >= 0) d.push_back(dI);
    for (double g : dcf) d.push_back({dC.q * g, dC.te * g, dC.chiller * g, dC.cond * g});
    const double ti = f_.economiser.integral_time;
    for (std::size_t k = 0; k < d.size(); ++k) {
        jac.add(plant_s1_[k], -d[k].q);
        jac.add(plant_out_[k], d[k].q);
        if (fan_i_ >= 0) jac.add(plant_fan_[k], d[k].te / ti);
    }
    if (fan_i_ >= 0) {
        const auto& ec = f_.economiser;
        const double top = std::max(0.0, input_or(ctx, ec.available_input, 1.0));
        const double lo = std::min(ec.min_speed, top);
        const bool inside = plant_on && fan_i > lo && fan_i < top;
        jac.add(plant_fan_[1], ((inside ? 1.0 : 0.0) - 1.0) / ti);
        const double s = plant_on ? std::clamp(fan_i, lo, top) : 0.0;
        const bool fans_on = ctx.powered[std::size_t(fan_load_)];
        const double dfan = fans_on && inside ? 3 * ec.fan_power * s * s : 0.0;
        dl.dvalues[std::size_t(dl.offset[std::size_t(fan_load_)])] = dfan;
        jac.add(acc_fans_e_[0], dfan);
    }
    if (chiller_load_ >= 0) {
        const bool on = ctx.powered[std::size_t(chiller_load_)];
        const auto oc = std::size_t(dl.offset[std::size_t(chiller_load_)]);
        const auto of = std::size_t(dl.offset[std::size_t(cond_fan_load_)]);
        for (std::size_t k = 0; k < d.size(); ++k) {
            dl.dvalues[oc + k] = on ? d[k].chiller : 0.0;
            dl.dvalues[of + k] = on ? d[k].cond : 0.0;
            jac.add(acc_chiller_e_[k], dl.dvalues[oc + k] + dl.dvalues[of + k]);
        }
    }
}

CoolingSystem::CduPoint CoolingSystem::cdu_point(const EvalContext& ctx, std::size_t i) const {
    const CduEval r = eval_cdu(ctx, i);
    return {r.q, r.v, r.cp / f_.rho_cp, cdu_[i].rated_flow * r.speed, r.tmix};
}

double CoolingSystem::crah_duty(const EvalContext& ctx, std::size_t i) const {
    return crah_exchange(ctx, i) * (ctx.y[std::size_t(crah_[i].air)] - ctx.temperature(supply_node()));
}

double CoolingSystem::crah_supply_air(const EvalContext& ctx, std::size_t i) const {
    const double c_air = crah_[i].c_air * crah_fan_factor(ctx, i);
    const double t_air = ctx.y[std::size_t(crah_[i].air)];
    return c_air > 0 ? t_air - crah_duty(ctx, i) / c_air : t_air;
}

PlantState CoolingSystem::plant(const EvalContext& ctx) const {
    if (!f_.loop) {
        PlantState p;
        p.flow = facility_flow(ctx);
        p.inlet = p.outlet = p.economiser_outlet = ctx.temperature(f_.supply);
        return p;
    }
    const double cf = f_.rho_cp * facility_flow(ctx);
    return plant_at(ctx, ctx.y[std::size_t(seg_r_.back())], fan_i_ >= 0 ? ctx.y[std::size_t(fan_i_)] : 0.0, cf);
}

std::pair<double, double> CoolingSystem::rejection_need_capacity(const EvalContext& ctx) const {
    if (!f_.loop) return {0.0, 0.0};
    const double cf = f_.rho_cp * facility_flow(ctx);
    const double t_in = ctx.y[std::size_t(seg_r_.back())];
    const double tset = ctx.inputs[std::size_t(f_.setpoint_input)];
    // Fan state far above 1: the controller's clamp gives the highest speed available.
    const PlantState full = plant_at(ctx, t_in, 1e9, cf);
    return {cf * std::max(0.0, t_in - tset), full.economiser_heat + full.chiller_capacity};
}

double CoolingSystem::facility_flow(const EvalContext& ctx) const {
    double q = 0.0;
    const double m = flow_factor(ctx);
    for (std::size_t i = 0; i < cdu_.size(); ++i) q += eval_cdu(ctx, i).cp / f_.rho_cp;
    for (const auto& r : racks_)
        if (r.cdu < 0) q += r.flow * m;
    for (const auto& h : crah_) q += h.water_flow * m;
    return q;
}

}  // namespace dctwin
