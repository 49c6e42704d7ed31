#include "models/silicon/device_array.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/constraints.hpp"
#include "solver/parallel.hpp"

namespace dctwin {

namespace {
constexpr double kCelsius = 273.15;
constexpr double kNoLimit = 1e3;  // clock fraction standing for "this limit does not bind"
}  // namespace

static_assert(kLostCauses == kLostCauseCount, "one name per cause of lost work");
const char* lost_cause_name(LostCause c) { return kLostCauseNames[std::size_t(c)]; }

int DeviceArray::add_job(std::string name, bool synchronous) {
    Job j;
    j.name = std::move(name);
    j.synchronous = synchronous;
    jobs_.push_back(std::move(j));
    return int(jobs_.size()) - 1;
}

void DeviceArray::add(std::string path, DeviceNodes nodes, const DeviceParams& p, int activity, int limit,
                      int stage, int job, int count) {
    if (count < 1) throw std::invalid_argument("DeviceArray::add: a device stands for at least one");
    path_.push_back(std::move(path));
    nodes_.push_back(nodes);
    p_.push_back(p);
    activity_.push_back(activity);
    limit_.push_back(limit);
    stage_.push_back(stage);
    job_.push_back(job);
    dropped_.push_back(0);
    count_.push_back(count);
    device_total_ += std::size_t(count);
    if (job >= 0) {
        jobs_.at(std::size_t(job)).members.push_back(int(size()) - 1);
        jobs_[std::size_t(job)].size += count;
    }
}

void DeviceArray::declare(Network& net) {
    const std::size_t n = size();
    load_.resize(n);
    mem_load_.assign(n, -1);
    for (std::size_t k = 0; k < n; ++k) {
        const auto& nd = nodes_[k];
        load_[k] = net.add_load({path_[k] + "/power", stage_[k], LoadCategory::it, NodeRef::state(nd.junction),
                                 {nd.junction}});
        if (p_[k].memory_idle_power + p_[k].memory_dynamic_power > 0.0)
            mem_load_[k] = net.add_load({path_[k] + "/memory_power", stage_[k], LoadCategory::it,
                                         NodeRef::state(nd.memory >= 0 ? nd.memory : nd.junction), {}});
    }
    for (auto& j : jobs_) {
        StateInfo w{"jobs/" + j.name + "/work", "s", 1.0, 0.0, 1e-6};
        w.accumulator = w.tally = true;
        j.work = net.add_state(w);
        j.entries.clear();
        for (int m : j.members) j.entries.push_back(net.jac_entry(j.work, nodes_[std::size_t(m)].junction));
    }
    const char* reasons[] = {"power_cap", "thermal", "external", "shutdown"};
    for (std::size_t r = 0; r < 4; ++r) {
        StateInfo s{fmt::format("site/throttled_device_seconds/{}", reasons[r]), "s", 1.0, 0.0, 1e-6};
        s.accumulator = s.tally = true;
        throttle_acc_[r] = net.add_state(s);
    }
    for (int c = 0; c < kLostCauses; ++c) {
        StateInfo s{fmt::format("site/lost_work/{}", lost_cause_name(LostCause(c))), "s", 1.0, 0.0, 1e-6};
        s.accumulator = s.tally = true;
        lost_acc_[std::size_t(c)] = net.add_state(s);
    }
    lost_entries_.clear();
    lost_entry_offset_.clear();
    for (const auto& j : jobs_) {
        lost_entry_offset_.push_back(lost_entries_.size());
        for (int m : j.members) {
            std::array<int, 4> e{};
            for (std::size_t c = 0; c < 4; ++c) e[c] = net.jac_entry(lost_acc_[c], nodes_[std::size_t(m)].junction);
            lost_entries_.push_back(e);
        }
    }
    x_.assign(n, 1.0);
    p_free_.assign(n, 0.0);
    dxdT_.assign(n, 0.0);
    dPdT_.assign(n, 0.0);
    reason_.assign(n, 0);
    unpowered_.assign(n, 0);
}

LostCause DeviceArray::cause(std::size_t k, const EvalContext& ctx) const {
    if (unpowered_[k]) return LostCause::outage;
    const bool fault = fault_input_ >= 0 && ctx.inputs[std::size_t(fault_input_)] > 0.5;
    switch (Throttle(reason_[k])) {
        case Throttle::power_cap: return LostCause::power_cap;
        case Throttle::external: return LostCause::site_power_limit;
        default: return fault ? LostCause::cooling_fault : LostCause::thermal;  // thermal, or dropped out hot
    }
}

DeviceArray::Clock DeviceArray::solve_clock(std::size_t k, double T, double a, double limit) const {
    const auto& p = p_[k];
    const auto& c = p.clock;
    Clock r{};
    r.leak = p.leakage_power * std::exp(p.leakage_coeff * (T - p.leakage_ref_T));
    const double dleak = p.leakage_coeff * r.leak;
    const double base = p.idle_power + r.leak + p.memory_idle_power + a * p.memory_dynamic_power;
    const double apd = a * p.dynamic_power;

    // Thermal slowdown: a linear ramp of the clock over the band above the slowdown temperature.
    const double over = (T - p.slowdown_T) / p.slowdown_band;
    const double x_th = over <= 0 ? 1.0 : std::max(c.x_min, 1.0 - (1.0 - c.x_min) * over);
    r.x_unc = std::min(1.0, x_th);
    r.g_unc = c.g(r.x_unc);
    // A power limit P leaves the relative dynamic power (P - base) / apd; with no dynamic power
    // to take away, no limit binds.
    const bool dyn = apd > 1e-9;
    r.r_cap = dyn ? (p.power_cap - base) / apd : HUGE_VAL;
    r.r_ext = dyn && limit >= 0 ? (limit - base) / apd : HUGE_VAL;
    // g is increasing, so comparing relative powers orders the clocks; invert only what binds.
    const double x_cap = r.r_cap < r.g_unc ? c.g_inverse(r.r_cap) : kNoLimit;
    r.x_ext = r.r_ext < r.g_unc ? c.g_inverse(r.r_ext) : kNoLimit;

    r.x = std::min({r.x_unc, x_cap, r.x_ext});
    if (x_cap < r.x_unc && x_cap <= r.x_ext)
        r.reason = Throttle::power_cap;
    else if (r.x_ext < r.x_unc)
        r.reason = Throttle::external;
    else if (x_th < 1.0)
        r.reason = Throttle::thermal;
    else
        r.reason = Throttle::none;

    r.dxdT = 0.0;
    if (r.x <= c.x_min) {
        r.x = c.x_min;  // the floor: the device cannot go slower, even if a limit says so
    } else if (r.reason == Throttle::power_cap || r.reason == Throttle::external) {
        r.dxdT = -dleak / (apd * c.dg(r.x));  // leakage eats into the dynamic budget
    } else if (r.reason == Throttle::thermal) {
        r.dxdT = -(1.0 - c.x_min) / p.slowdown_band;
    }
    return r;
}

void DeviceArray::eval(EvalContext& ctx) const {
    // Each device writes only its own entries (clock, reason, loads): the loop runs on the
    // network's threads with the same result for any count.
    parallel_for(ctx.pool, std::int64_t(size()), 2048, [&](std::int64_t kk) {
        const auto k = std::size_t(kk);
        const auto& p = p_[k];
        unpowered_[k] = !ctx.powered[std::size_t(load_[k])];
        if (dropped_[k] || unpowered_[k]) {  // out, or its feed was shed
            x_[k] = 0.0, dxdT_[k] = 0.0, dPdT_[k] = 0.0, p_free_[k] = 0.0, reason_[k] = std::uint8_t(Throttle::shutdown);
            ctx.load[std::size_t(load_[k])] = 0.0;
            if (mem_load_[k] >= 0) ctx.load[std::size_t(mem_load_[k])] = 0.0;
            return;
        }
        const double T = ctx.y[std::size_t(nodes_[k].junction)];
        const double a = ctx.inputs[std::size_t(activity_[k])];
        const double lim = limit_[k] >= 0 ? ctx.inputs[std::size_t(limit_[k])] : -1.0;
        if (T <= p.slowdown_T) {
            // The common case, checked first: full clock unless a power limit binds there.
            const double leak = p.leakage_power * std::exp(p.leakage_coeff * (T - p.leakage_ref_T));
            const double mem = p.memory_idle_power + a * p.memory_dynamic_power;
            const double full = p.idle_power + a * p.dynamic_power + leak;  // g(1) = 1
            if (full + mem <= p.power_cap && (lim < 0 || full + mem <= lim)) {
                const double n = count_[k];
                x_[k] = 1.0, dxdT_[k] = 0.0, reason_[k] = std::uint8_t(Throttle::none);
                p_free_[k] = full + mem;
                ctx.load[std::size_t(load_[k])] = n * full;
                dPdT_[k] = n * p.leakage_coeff * leak;
                if (mem_load_[k] >= 0) ctx.load[std::size_t(mem_load_[k])] = n * mem;
                return;
            }
        }
        const Clock c = solve_clock(k, T, a, lim);
        x_[k] = c.x, dxdT_[k] = c.dxdT, reason_[k] = std::uint8_t(c.reason);
        const double gx = c.x == c.x_unc ? c.g_unc : p.clock.g(c.x);
        const double n = count_[k];
        const double x_free = std::max(p.clock.x_min, std::min(c.x_unc, c.x_ext));
        p_free_[k] = p.idle_power + a * p.dynamic_power * (x_free == c.x_unc ? c.g_unc : p.clock.g(x_free)) + c.leak +
                     p.memory_idle_power + a * p.memory_dynamic_power;
        ctx.load[std::size_t(load_[k])] = n * (p.idle_power + a * p.dynamic_power * gx + c.leak);
        // d(P)/d(T_junction), kept for jacobian(), which always follows an eval at the same point.
        dPdT_[k] = n * (p.leakage_coeff * c.leak + (c.dxdT != 0.0 ? a * p.dynamic_power * p.clock.dg(c.x) * c.dxdT : 0.0));
        if (mem_load_[k] >= 0)
            ctx.load[std::size_t(mem_load_[k])] = n * (p.memory_idle_power + a * p.memory_dynamic_power);
    });
    for (const auto& j : jobs_) {
        j.pace = 0.0;
        j.slowest = -1;
        if (j.members.empty()) continue;
        if (j.synchronous) {
            double m = HUGE_VAL;
            for (int d : j.members)
                if (x_[std::size_t(d)] < m) m = x_[std::size_t(d)], j.slowest = d;
            j.pace = m;  // a dropped member (clock 0) stalls the whole job
        } else {
            double s = 0.0;
            for (int d : j.members) s += count_[std::size_t(d)] * x_[std::size_t(d)];
            j.pace = s / j.size;
        }
        ctx.flow[std::size_t(j.work)] += j.pace;
        if (j.synchronous) {
            if (j.slowest >= 0)
                ctx.flow[std::size_t(lost_acc_[std::size_t(cause(std::size_t(j.slowest), ctx))])] += j.size * (1.0 - j.pace);
        } else {
            for (int d : j.members)
                ctx.flow[std::size_t(lost_acc_[std::size_t(cause(std::size_t(d), ctx))])] +=
                    count_[std::size_t(d)] * (1.0 - x_[std::size_t(d)]);
        }
    }
    for (std::size_t k = 0; k < size(); ++k)
        if (reason_[k] != 0) ctx.flow[std::size_t(throttle_acc_[reason_[k] - 1u])] += count_[k];
}

void DeviceArray::jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const {
    for (std::size_t k = 0; k < size(); ++k) dl.dvalues[std::size_t(dl.offset[std::size_t(load_[k])])] = dPdT_[k];
    for (std::size_t jj = 0; jj < jobs_.size(); ++jj) {
        const auto& j = jobs_[jj];
        if (j.members.empty()) continue;
        for (std::size_t i = 0; i < j.members.size(); ++i) {
            const auto d = std::size_t(j.members[i]);
            if (dxdT_[d] == 0.0) continue;
            const auto c = std::size_t(cause(d, ctx));
            if (j.synchronous) {
                if (j.members[i] != j.slowest) continue;
                jac.add(j.entries[i], dxdT_[d]);
                if (c < 4) jac.add(lost_entries_[lost_entry_offset_[jj] + i][c], -j.size * dxdT_[d]);
            } else {
                const double n = count_[d];
                jac.add(j.entries[i], n * dxdT_[d] / j.size);
                if (c < 4) jac.add(lost_entries_[lost_entry_offset_[jj] + i][c], -n * dxdT_[d]);
            }
        }
    }
}

void DeviceArray::roots(const EvalContext& ctx, double* g) const {
    parallel_for(ctx.pool, std::int64_t(size()), 2048, [&](std::int64_t kk) {
        const auto k = std::size_t(kk);
        double* r = g + kRootsPerDevice * k;
        if (dropped_[k] || !ctx.powered[std::size_t(load_[k])]) {
            std::fill(r, r + kRootsPerDevice, 1.0);
            return;
        }
        const auto& p = p_[k];
        const double T = ctx.y[std::size_t(nodes_[k].junction)];
        r[0] = T - p.slowdown_T;
        r[1] = T - p.shutdown_T;
        r[2] = nodes_[k].memory >= 0 ? ctx.y[std::size_t(nodes_[k].memory)] - p.memory_max_T : -1.0;
    });
}

bool DeviceArray::on_start(const EvalContext& ctx, std::vector<Event>& events) {
    bool changed = false;
    for (std::size_t k = 0; k < size(); ++k) {
        if (dropped_[k] || !ctx.powered[std::size_t(load_[k])]) continue;
        const auto& p = p_[k];
        const double T = ctx.y[std::size_t(nodes_[k].junction)];
        const int base = int(k) * kRootsPerDevice;
        if (T > p.slowdown_T) on_root(base + 0, +1, ctx, events);
        if (T >= p.shutdown_T) changed |= on_root(base + 1, +1, ctx, events);
        if (nodes_[k].memory >= 0 && ctx.y[std::size_t(nodes_[k].memory)] > p.memory_max_T)
            on_root(base + 2, +1, ctx, events);
    }
    return changed;
}

bool DeviceArray::on_root(int i, int dir, const EvalContext& ctx, std::vector<Event>& events) {
    const auto k = std::size_t(i / kRootsPerDevice);
    const int which = i % kRootsPerDevice;
    const auto& p = p_[k];
    if (dropped_[k]) return false;
    switch (which) {
        case 0:
            events.push_back({ctx.t, path_[k], dir > 0 ? EventKind::thermal_throttle_onset : EventKind::thermal_throttle_end,
                              fmt::format("junction temperature {} the slowdown temperature {:.1f} degC",
                                          dir > 0 ? "rose through" : "fell below", p.slowdown_T - kCelsius)});
            return false;
        case 1:
            if (dir < 0) return false;
            dropped_[k] = 1;
            events.push_back({ctx.t, path_[k], EventKind::shutdown,
                              fmt::format("junction temperature reached the shutdown temperature {:.1f} degC: the "
                                          "device dropped out",
                                          p.shutdown_T - kCelsius)});
            if (job_[k] >= 0) {
                const auto& j = jobs_[std::size_t(job_[k])];
                if (j.synchronous)
                    events.push_back({ctx.t, "jobs/" + j.name, EventKind::job_stalled,
                                      fmt::format("member {} dropped out: the synchronous job stalls", path_[k])});
            }
            return true;
        case 2:
            events.push_back({ctx.t, path_[k], dir > 0 ? EventKind::memory_over_temperature : EventKind::memory_temperature_normal,
                              fmt::format("memory temperature {} its limit {:.1f} degC",
                                          dir > 0 ? "rose through" : "fell below", p.memory_max_T - kCelsius)});
            return false;
        default:
            return false;
    }
}

}  // namespace dctwin
