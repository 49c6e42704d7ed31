#include "models/power/power_faults.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "input/site_spec.hpp"

namespace dctwin {

int PowerFaults::add_shelf(std::string path, int stage, const LossModel& full, int rated_units) {
    shelves_.push_back({std::move(path), stage, full, rated_units, full.units});
    return int(shelves_.size()) - 1;
}

void PowerFaults::add_psu_change(double t, int shelf, int delta) { items_.push_back({t, false, shelf, delta, {}}); }

void PowerFaults::add_pdu_failure(double t, int stage, std::string path) {
    items_.push_back({t, true, stage, 0, std::move(path)});
}

void PowerFaults::roots(const EvalContext& ctx, double* g) const {
    for (std::size_t i = 0; i < items_.size(); ++i) g[i] = items_[i].done ? -1.0 : ctx.t - just_after(items_[i].t);
}

bool PowerFaults::on_root(int i, int dir, const EvalContext& ctx, std::vector<Event>& events) {
    Item& it = items_[std::size_t(i)];
    if (dir < 0 || it.done) return false;
    it.done = true;  // its root function is now constant
    if (it.pdu) {
        const bool was = net_->stage_powered(it.target);
        events.push_back({ctx.t, it.path, EventKind::pdu_failure, "the PDU fails; the racks it feeds have no other path"});
        if (was) {
            net_->shed(it.target);
            events.push_back({ctx.t, it.path, EventKind::load_shed, "everything the failed PDU feeds is without power"});
        }
        return true;
    }
    Shelf& sh = shelves_[std::size_t(it.target)];
    const int total = sh.full.units, before = sh.working;
    sh.working = std::clamp(sh.working + it.delta, 0, total);
    const double unit = sh.full.unit_rating;
    const bool on = net_->stage_powered(sh.stage);
    const double out = on ? net_->last_stage_output()[std::size_t(sh.stage)] : 0.0;  // evaluated at ctx.t
    if (it.delta > 0) {
        events.push_back({ctx.t, sh.path, EventKind::psu_repaired,
                          fmt::format("{} PSU(s) back in the shelf: {} of {} working", sh.working - before, sh.working, total)});
    } else {
        events.push_back({ctx.t, sh.path, EventKind::psu_failure,
                          fmt::format("{} PSU(s) fail: {} of {} left, able to carry {:.1f} kW of the rack's {:.1f} kW",
                                      before - sh.working, sh.working, total, sh.working * unit / 1e3, out / 1e3)});
        if (on && (sh.working == 0 || out > sh.working * unit)) {
            net_->shed(sh.stage);
            events.push_back({ctx.t, sh.path, EventKind::load_shed,
                              "the PSUs left cannot carry the rack's load: the shelf drops it, the rack is without power"});
            return true;
        }
    }
    if (sh.working > 0) {
        LossModel m = sh.full;
        m.units = sh.working;
        net_->set_stage_loss(sh.stage, m, std::min(sh.rated_units, sh.working) * unit);
    }
    return true;
}

}  // namespace dctwin
