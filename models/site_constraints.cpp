// The site's constraints (models/constraints.hpp): which limits exist, their values at an
// output row, and the lost-work accounting.

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/power/rack_storage.hpp"
#include "models/power/site_battery.hpp"
#include "models/power/ups_battery.hpp"
#include "models/site_model.hpp"
#include "solver/parallel.hpp"

namespace dctwin {

namespace {
constexpr double kCelsius = 273.15;
}  // namespace

void SiteModel::build_constraints() {
    auto add = [&](std::string path, Family f, const char* unit, std::string desc, ConstraintSource src) {
        constraints_.push_back({std::move(path), f, unit, std::move(desc), src.kind == ConstraintSource::power_cap});
        c_source_.push_back(src);
    };
    using S = ConstraintSource;
    const std::size_t nd = devices_->size();
    device_memory_.resize(nd), junction_limit_C_.resize(nd), memory_limit_C_.resize(nd), power_cap_W_.resize(nd);
    for (std::size_t k = 0; k < nd; ++k) {
        device_memory_[k] = devices_->nodes(k).memory;
        junction_limit_C_[k] = devices_->params(k).slowdown_T - kCelsius;
        power_cap_W_[k] = devices_->params(k).power_cap;
        memory_limit_C_[k] = devices_->params(k).memory_max_T - kCelsius;
    }
    // Silicon, per rack and device group: the device nearest its limit speaks for the group.
    for (const auto& r : racks_)
        for (const auto& g : r.groups) {
            if (g.first == g.end) continue;
            const std::string base = r.path + "/" + g.name;
            add(base + "/junction_temperature", Family::silicon, "degC",
                "hottest junction (relative to its limit) against the slowdown temperature", {S::junction, g.first, g.end});
            add(base + "/power_cap", Family::silicon, "W",
                "power at the clock the other limits allow against the power cap (above 1: the cap lowers the clock)",
                {S::power_cap, g.first, g.end});
            if (devices_->nodes(g.first).memory >= 0)
                add(base + "/memory_temperature", Family::silicon, "degC",
                    "hottest memory (HBM) against its maximum temperature", {S::memory, g.first, g.end});
        }
    // Cooling.
    for (std::size_t i = 0; i < cooling_->cdu_count(); ++i)
        add(cooling_->cdu(i).path + "/duty", Family::cooling, "W", "heat passed to the facility water against the rated duty",
            {S::cdu_duty, i});
    if (!std::isnan(liquid_limit_))
        add("cooling/facility/supply_temperature", Family::cooling, "degC",
            fmt::format("facility supply against the liquid class {} maximum", spec_.coolant.liquid_class),
            {S::liquid_class});
    for (std::size_t h = 0; h < hall_air_.size(); ++h)
        if (!std::isnan(air_limits_[h]))
            add(hall_names_[h] + "/air/inlet_temperature", Family::cooling, "degC",
                fmt::format("hall air (server inlet) against the air class {} allowable maximum", spec_.halls[h].air_class),
                {S::air_class, h});
    if (spec_.facility.plant.present)
        add("cooling/plant/heat_rejection", Family::cooling, "W",
            "heat to take from the water to reach the set point against what the economiser at full fans and the "
            "chiller can take at the current outdoor conditions",
            {S::plant_rejection});
    // Power.
    const auto& stages = net_.stages();
    for (std::size_t s = 0; s < stages.size(); ++s)
        if (stages[s].rating > 0)
            add(stages[s].path + "/load", Family::power, "W", "output against the rating", {S::stage_load, s});
    const auto& g = spec_.power.grid;
    if (g.present && g.capacity > 0)
        add("power/grid/import", Family::power, "W", "grid import against the contracted capacity", {S::grid_import});
    if (g.present && g.ramp_limit > 0)
        add("power/grid/ramp_rate", Family::power, "W/s",
            "rate of change of the grid import between output times against the interconnect's ramp limit",
            {S::grid_ramp});
    if (spec_.power.generator.present && spec_.power.generator.rating > 0)
        add("power/generator/load", Family::power, "W", "generator output against its rating", {S::generator_load});
    if (battery_ && spec_.power.ups.battery.capacity > 0)
        add("power/ups/battery/depth_of_discharge", Family::power, "J", "energy taken from the UPS battery against its usable energy",
            {S::battery_depth});
    if (battery_ && spec_.power.ups.battery.max_discharge > 0)
        add("power/ups/battery/discharge_power", Family::power, "W",
            "power the UPS battery delivers against its discharge limit (over it, the UPS drops its load)",
            {S::battery_discharge});
    if (rack_storage_)
        for (std::size_t k = 0; k < rack_storage_->size(); ++k)
            add(rack_storage_->path(k) + "/power", Family::power, "W",
                "in-rack store charge or discharge against its power rating", {S::rack_storage_power, k});
    if (site_battery_)
        add("power/site_battery/power", Family::power, "W", "site battery charge or discharge against its power rating",
            {S::site_battery_power});
    c_value_.assign(constraints_.size(), 0.0);
    c_limit_.assign(constraints_.size(), 0.0);
    c_util_.assign(constraints_.size(), std::nan(""));
}

void SiteModel::silicon_constraints(const double* y) {
    if (device_figures_current(silicon_figures_id_)) return;
    const DeviceArray& d = *devices_;
    parallel_for(net_.pool(), std::int64_t(constraints_.size()), 2, [&](std::int64_t ii) {
        const auto i = std::size_t(ii);
        const ConstraintSource& s = c_source_[i];
        double value = std::nan(""), limit = std::nan(""), u = std::nan("");
        switch (s.kind) {
            case ConstraintSource::junction:
            case ConstraintSource::memory: {
                const bool junction = s.kind == ConstraintSource::junction;
                const int* nodes = junction ? device_junction_.data() : device_memory_.data();
                const double* lims = junction ? junction_limit_C_.data() : memory_limit_C_.data();
                for (std::size_t k = s.a; k < s.b; ++k) {
                    const double lim = lims[k], v = y[nodes[k]] - kCelsius, uk = utilisation(v, lim);
                    if (std::isnan(u) || uk > u) u = uk, value = v, limit = lim;
                }
                break;
            }
            case ConstraintSource::power_cap: {
                const double* free = d.free_power();  // cap_utilisation(k), from flat arrays
                for (std::size_t k = s.a; k < s.b; ++k) {
                    const double uk = free[k] / power_cap_W_[k];
                    if (std::isnan(u) || uk > u) u = uk, limit = power_cap_W_[k], value = uk * limit;
                }
                break;
            }
            default:
                return;
        }
        if (std::isnan(u)) u = utilisation(value, limit);
        c_value_[i] = value, c_limit_[i] = limit, c_util_[i] = u;
    });
}

void SiteModel::evaluate_constraints(const EvalContext& ctx, const SitePoint& p, double t) {
    const double* y = ctx.y.data();
    // Ramp: between this row and the previous one (0 at the first row, and for a repeated time).
    if (!std::isnan(ramp_t_) && t > ramp_t_) ramp_ = std::abs(p.grid_power - ramp_p_) / (t - ramp_t_);
    if (std::isnan(ramp_t_) || t > ramp_t_) ramp_t_ = t, ramp_p_ = p.grid_power;
    const auto stage_out = net_.last_stage_output();
    silicon_constraints(y);
    for (std::size_t i = 0; i < constraints_.size(); ++i) {
        const ConstraintSource& s = c_source_[i];
        double value = std::nan(""), limit = std::nan(""), u = std::nan("");
        switch (s.kind) {
            case ConstraintSource::junction:
            case ConstraintSource::memory:
            case ConstraintSource::power_cap:
                continue;  // silicon_constraints()
            case ConstraintSource::cdu_duty:
                value = cooling_->cdu_point(ctx, s.a).duty;
                limit = cooling_->cdu(s.a).capacity;
                break;
            case ConstraintSource::liquid_class:
                value = cooling_->facility_supply(ctx) - kCelsius;
                limit = liquid_limit_;
                break;
            case ConstraintSource::air_class:
                value = y[hall_air_[s.a]] - kCelsius;
                limit = air_limits_[s.a];
                break;
            case ConstraintSource::plant_rejection: {
                const auto [need, cap] = cooling_->rejection_need_capacity(ctx);
                value = need, limit = cap;
                // No capacity left (chiller tripped on a hot day with the fans lost) but heat to
                // reject: far over; nothing to reject: idle.
                if (!(cap > 0)) u = need > 0 ? 1e3 : 0.0;
                break;
            }
            case ConstraintSource::stage_load:
                value = stage_out[s.a];
                limit = net_.stages()[s.a].rating;
                break;
            case ConstraintSource::grid_import:
                value = p.grid_power;
                limit = spec_.power.grid.capacity;
                break;
            case ConstraintSource::grid_ramp:
                value = ramp_;
                limit = spec_.power.grid.ramp_limit;
                break;
            case ConstraintSource::generator_load:
                value = p.generator_power;
                limit = spec_.power.generator.rating;
                break;
            case ConstraintSource::site_battery_power:
                value = std::abs(site_battery_->last_power());
                limit = spec_.power.site_battery.power;
                break;
            case ConstraintSource::battery_discharge:
                value = battery_->last_discharge();
                limit = spec_.power.ups.battery.max_discharge;
                break;
            case ConstraintSource::rack_storage_power:
                value = std::abs(rack_storage_->last_power(s.a));
                limit = rack_storage_->params(s.a).power;
                break;
            case ConstraintSource::battery_depth:
                limit = spec_.power.ups.battery.capacity;
                value = limit - y[battery_->energy_state()];
                break;
        }
        if (std::isnan(u)) u = utilisation(value, limit);
        c_value_[i] = value, c_limit_[i] = limit, c_util_[i] = u;
    }
    row_.binding = binding_now(c_util_.data(), c_util_.size());
}

void SiteModel::set_start(double t0, const double* y0) {
    stored_at_start_ = net_.stored_energy(y0);
    t_start_ = t0;
    lost_at_start_.assign(kLostCauses, 0.0);
    for (int c = 0; c < kLostCauses; ++c) lost_at_start_[std::size_t(c)] = y0[devices_->lost_work_state(LostCause(c))];
    ramp_t_ = std::nan(""), ramp_ = 0.0;
}

std::vector<double> SiteModel::lost_work(const double* y) const {
    std::vector<double> out(kLostCauses);
    for (int c = 0; c < kLostCauses; ++c)
        out[std::size_t(c)] = y[devices_->lost_work_state(LostCause(c))] -
                              (lost_at_start_.empty() ? 0.0 : lost_at_start_[std::size_t(c)]);
    return out;
}

double SiteModel::possible_work(double t) const {
    double members = 0;
    for (std::size_t j = 0; j < devices_->job_count(); ++j) members += double(devices_->job_size(j));
    return members * std::max(0.0, t - t_start_);
}

}  // namespace dctwin
