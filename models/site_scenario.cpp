// The site's scenario (input/site_spec.hpp ScenarioEvent): outages and the generator, PSU
// and PDU failures, cooling faults and set-point steps, as inputs and blocks of the network
// with their times as known discontinuities. Each builder switches over every ScenarioKind.

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/power/power_faults.hpp"
#include "models/power/ups_battery.hpp"
#include "models/site_model.hpp"
#include "models/step_schedule.hpp"

namespace dctwin {

std::unique_ptr<StepSchedule> step_schedule(std::vector<Change> c) {
    std::stable_sort(c.begin(), c.end(), [](const Change& a, const Change& b) { return a.first < b.first; });
    std::vector<double> t, v;
    for (const auto& [at, value] : c) {
        if (!t.empty() && at == t.back()) v.back() = value;
        else t.push_back(at), v.push_back(value);
    }
    return std::make_unique<StepSchedule>(t, v);
}

namespace {

constexpr double kCelsius = 273.15;

// "scenario.<i>.<field>", i the entry's place in the file's list (the loader's key paths).
std::string scenario_key(const SiteSpec& spec, const ScenarioEvent& e, const std::string& field) {
    std::string key = "scenario";
    for (std::size_t i = 0; i < spec.scenario.size(); ++i) {
        const SourceLoc& l = spec.scenario[i].loc;
        if (l.line == e.loc.line && l.col == e.loc.col && l.file == e.loc.file) {
            key += "." + std::to_string(i);
            break;
        }
    }
    return field.empty() ? key : key + "." + field;
}

}  // namespace

// Outages and the generator as inputs with known discontinuities; the UPS battery as the
// supply at the UPS. Returns the input that says whether cooling loads have power.
int SiteModel::build_scenario(const SiteSpec& spec, NodeRef room) {
    Network& net = net_;
    std::vector<ScenarioEvent> events = spec.scenario;
    std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
    double gen_fails = HUGE_VAL;
    std::vector<std::pair<double, double>> outages;
    for (const auto& e : events) {
        switch (e.kind) {
            case ScenarioKind::generator_failure:
                gen_fails = std::min(gen_fails, e.at);
                scheduled_.push_back({e.at, "power/generator", EventKind::generator_failure, "the generator will not start"});
                break;
            case ScenarioKind::utility_outage:
                if (!spec.power.ups.battery.present)
                    throw InputError(e.loc, scenario_key(spec, e, ""),
                                     "a utility_outage needs a UPS with a battery (power.ups.battery)");
                if (!outages.empty() && e.at < outages.back().second)
                    throw InputError(e.loc, scenario_key(spec, e, ""), "utility outages must not overlap");
                outages.emplace_back(e.at, e.at + e.duration);
                break;
            case ScenarioKind::psu_failure:
            case ScenarioKind::pdu_failure: break;  // build_power_faults
            case ScenarioKind::cdu_pump_trip:
            case ScenarioKind::chiller_trip:
            case ScenarioKind::economiser_fan_loss:
            case ScenarioKind::facility_supply_step: break;  // build_cooling_events
            }
        }
        // Piecewise-constant schedules: utility (1/0), generator limit for the UPS [W], cooling on (1/0).
        std::vector<double> tu{0}, vu{1}, tg{0}, vg{0}, tm{0}, vm{1};
        const auto& g = spec.power.generator;
        for (const auto& [t0, t1] : outages) {
            tu.push_back(t0), vu.push_back(0), tu.push_back(t1), vu.push_back(1);
            tm.push_back(t0), vm.push_back(0);
            scheduled_.push_back({t0, "power/grid", EventKind::utility_outage, "the utility supply is lost"});
            bool first = true;
        for (std::size_t i = 0; g.present && i < g.load_steps.size(); ++i) {
            const double at = t0 + g.start_delay + double(i) * g.step_interval;
            if (at >= t1 || at >= gen_fails) break;
            tg.push_back(at), vg.push_back(g.load_steps[i] * g.rating);
            scheduled_.push_back({at, "power/generator", EventKind::generator_load_step,
                                  fmt::format("the generator accepts {:.0f} % of its rating", 100 * g.load_steps[i])});
            if (first) tm.push_back(at), vm.push_back(1), first = false;
        }
        if (g.present && t0 + g.start_delay >= gen_fails)
            scheduled_.push_back({t0 + g.start_delay, "power/generator", EventKind::generator_start_failed,
                                  "the generator did not start"});
        tg.push_back(t1), vg.push_back(0);
        if (first) tm.push_back(t1), vm.push_back(1);
        scheduled_.push_back({t1, "power/grid", EventKind::utility_restored, "the utility supply is back"});
    }
    std::stable_sort(scheduled_.begin(), scheduled_.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
    auto schedule_of = [](const std::vector<double>& t, const std::vector<double>& v) {
        std::vector<Change> c;
        for (std::size_t i = 0; i < t.size(); ++i) c.emplace_back(t[i], v[i]);
        return step_schedule(std::move(c));
    };
    const int utility = utility_input_ = net.add_input(schedule_of(tu, vu));
    const int gen_limit = net.add_input(schedule_of(tg, vg));
    const int mech_on = net.add_input(schedule_of(tm, vm));
    net.set_grid_available_input(utility);
    net.set_generator_input(gen_limit);
    if (ups_ >= 0 && spec.power.ups.battery.present) {
        const auto& b = spec.power.ups.battery;
        BatteryParams bp{b.capacity, b.max_charge, b.charge_efficiency, b.discharge_efficiency, b.initial_soc,
                         b.max_discharge};
        auto battery = std::make_unique<UpsBattery>("power/ups/battery", bp, ups_, utility, gen_limit, room, outages);
        battery_ = battery.get();
        net.add_block(std::move(battery));
    }
    return mech_on;
}

// PSU and PDU failures of the scenario, on the shelves and busways just built.
void SiteModel::build_power_faults(const SiteSpec& spec) {
    auto faults = std::make_unique<PowerFaults>();
    std::map<std::size_t, int> shelf_of;  // rack index -> shelf index in faults
    for (const auto& e : spec.scenario) {
        if (e.kind == ScenarioKind::psu_failure) {
            const auto r = std::find_if(racks_.begin(), racks_.end(), [&](const RackRecord& x) { return x.path == e.target; });
            if (racks_.empty()) throw InputError(e.loc, scenario_key(spec, e, "target"), "the site has no racks");
            if (r == racks_.end())
                throw InputError(e.loc, scenario_key(spec, e, "target"),
                                 fmt::format("no rack \"{}\"; a psu_failure names a rack by its path, {} to {}", e.target,
                                             racks_.front().path, racks_.back().path));
            const std::size_t k = std::size_t(r - racks_.begin());
            const StageInfo& st = net_.stages()[std::size_t(r->shelf)];
            if (st.loss.kind != LossModel::Kind::curve)
                throw InputError(e.loc, scenario_key(spec, e, "target"),
                                 fmt::format("the power shelf of {} is lumped: a psu_failure needs PSUs (psu_count, "
                                             "psu_rating) in its rack type",
                                             e.target));
            if (e.count > st.loss.units)
                throw InputError(e.loc, scenario_key(spec, e, "count"),
                                 fmt::format("{} PSUs fail, but the shelf of {} has {}", e.count, e.target, st.loss.units));
            auto [it, fresh] = shelf_of.try_emplace(k, -1);
            if (fresh)  // the rating is (psu_count - redundancy) PSUs
                it->second = faults->add_shelf(st.path, r->shelf, st.loss, int(std::lround(st.rating / st.loss.unit_rating)));
            faults->add_psu_change(e.at, it->second, -e.count);
            if (e.duration > 0) faults->add_psu_change(e.at + e.duration, it->second, e.count);
        } else if (e.kind == ScenarioKind::pdu_failure) {
            std::vector<std::string> pdus;
            int stage = -1;
            for (std::size_t s = 0; s < net_.stages().size(); ++s) {
                const std::string& path = net_.stages()[s].path;
                const bool pdu = path == "power/distribution" ||
                                 (path.size() > 7 && path.compare(path.size() - 7, 7, "/busway") == 0);
                if (!pdu) continue;
                pdus.push_back(path);
                if (path == e.target) stage = int(s);
            }
            if (stage < 0)
                throw InputError(e.loc, scenario_key(spec, e, "target"),
                                 fmt::format("no PDU \"{}\"; a pdu_failure names a hall's busway or the distribution: {}",
                                             e.target, fmt::join(pdus, ", ")));
            faults->add_pdu_failure(e.at, stage, e.target);
        }
    }
    if (faults->empty()) return;
    faults_ = faults.get();
    net_.add_block(std::move(faults));
}

// Cooling faults and set-point steps become piecewise-constant inputs with their times as
// known discontinuities.
void SiteModel::build_cooling_events(const SiteSpec& spec, FacilityParams& f, std::vector<CduParams>& cdus) {
    Network& net = net_;
    std::vector<Change> setpoint{{0.0, spec.coolant.supply_temperature}};
    std::vector<std::pair<double, double>> chiller_off, fans_lost;
    std::vector<std::vector<std::pair<double, double>>> pump_off(spec.cdus.size());
    std::vector<double> fan_fraction;
    const double forever = HUGE_VAL;
    // The cooling faults' first events, for cooling_faults().
    auto fault = [&](Event ev) {
        cooling_faults_.push_back(ev);
        scheduled_.push_back(std::move(ev));
    };
    for (const auto& e : spec.scenario) {
        const double end = e.duration > 0 ? e.at + e.duration : forever;
        switch (e.kind) {
            case ScenarioKind::facility_supply_step:
                setpoint.emplace_back(e.at, e.temperature);
                fault({e.at, "cooling/facility", EventKind::facility_supply_step,
                       fmt::format("the facility supply set point becomes {:.1f} degC", e.temperature - kCelsius)});
                break;
            case ScenarioKind::cdu_pump_trip: {
                auto it = std::find_if(spec.cdus.begin(), spec.cdus.end(), [&](const CduSpec& c) { return c.name == e.target; });
                if (it == spec.cdus.end()) {
                    std::vector<std::string> names;
                    for (const auto& c : spec.cdus) names.push_back(c.name);
                    throw InputError(e.loc, scenario_key(spec, e, "target"),
                                     fmt::format("no CDU named \"{}\"; the CDUs are: {}", e.target,
                                                 names.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(names, ", "))));
                }
                pump_off[std::size_t(it - spec.cdus.begin())].emplace_back(e.at, end);
                fault({e.at, "cooling/cdus/" + e.target, EventKind::cdu_pump_trip, "the secondary pump stops"});
                if (end < forever) scheduled_.push_back({end, "cooling/cdus/" + e.target, EventKind::cdu_pump_restart, "the secondary pump runs again"});
                break;
            }
            case ScenarioKind::chiller_trip:
                if (!spec.facility.plant.chiller.present)
                    throw InputError(e.loc, scenario_key(spec, e, "kind"), "a chiller_trip needs facility.plant.chiller");
                chiller_off.emplace_back(e.at, end);
                fault({e.at, "cooling/plant/chiller", EventKind::chiller_trip, "the chiller stops"});
                if (end < forever) scheduled_.push_back({end, "cooling/plant/chiller", EventKind::chiller_restart, "the chiller runs again"});
                break;
            case ScenarioKind::economiser_fan_loss:
                if (!spec.facility.plant.economiser.present)
                    throw InputError(e.loc, scenario_key(spec, e, "kind"), "an economiser_fan_loss needs facility.plant.economiser");
                fans_lost.emplace_back(e.at, end);
                fan_fraction.push_back(e.fraction);
                fault({e.at, "cooling/plant/economiser", EventKind::economiser_fan_loss,
                       fmt::format("{:.0f} % of the economiser's fans fail", 100 * e.fraction)});
                if (end < forever)
                    scheduled_.push_back({end, "cooling/plant/economiser", EventKind::economiser_fans_restored, "the fans are back"});
                break;
            case ScenarioKind::utility_outage:
            case ScenarioKind::generator_failure: break;  // build_scenario
            case ScenarioKind::psu_failure:
            case ScenarioKind::pdu_failure: break;  // build_power_faults
        }
    }
    // A schedule that is `on` except during intervals, where it takes that interval's value.
    auto intervals = [&](const std::vector<std::pair<double, double>>& iv, const std::vector<double>& off, double on) {
        std::vector<Change> c{{0.0, on}};
        for (std::size_t k = 0; k < iv.size(); ++k) {
            c.emplace_back(iv[k].first, off[k]);
            if (iv[k].second < forever) c.emplace_back(iv[k].second, on);
        }
        return step_schedule(std::move(c));
    };
    setpoint_input_ = net.add_input(step_schedule(std::move(setpoint)));
    for (std::size_t i = 0; i < cdus.size(); ++i)
        cdus[i].speed_input = pump_off[i].empty()
                                  ? -1
                                  : net.add_input(intervals(pump_off[i], std::vector<double>(pump_off[i].size(), 0.0), 1.0));
    if (!chiller_off.empty())
        f.chiller.available_input = net.add_input(intervals(chiller_off, std::vector<double>(chiller_off.size(), 0.0), 1.0));
    if (!fans_lost.empty()) {
        std::vector<double> left;
        for (double x : fan_fraction) left.push_back(1.0 - x);
        f.economiser.available_input = net.add_input(intervals(fans_lost, left, 1.0));
    }
    auto by_time = [](const auto& a, const auto& b) { return a.time < b.time; };
    std::stable_sort(scheduled_.begin(), scheduled_.end(), by_time);
    std::stable_sort(cooling_faults_.begin(), cooling_faults_.end(), by_time);
}

}  // namespace dctwin
