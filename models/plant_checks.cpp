#include "models/plant_checks.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/site_model.hpp"

namespace dctwin {

namespace {
constexpr double kC = 273.15;

std::string where(const SourceLoc& l) { return fmt::format("{}:{}:{}", l.file, l.line, l.col); }
}  // namespace

std::vector<std::string> plant_warnings(const SiteModel& model, double duration_s) {
    const SiteSpec& spec = model.spec();
    std::vector<std::string> out;
    const double facility = spec.coolant.supply_temperature;
    for (const CduSpec& c : spec.cdus) {
        const std::string key = fmt::format("cdus.{}.supply_temperature", c.name);
        if (c.supply_temperature < facility)
            out.push_back(fmt::format(
                "{}: warning: {}: {:.1f} degC is below the facility supply of {:.1f} degC: an exchanger cannot cool its "
                "secondary below its primary water, so the CDU's supply will sit above its set point",
                where(c.loc), key, c.supply_temperature - kC, facility - kC));
    }
    const PlantSpec& plant = spec.facility.plant;
    if (plant.present && plant.economiser.present && !plant.chiller.present) {
        // The hottest sink over the run (sampled every 10 min): dry-bulb for dry coolers,
        // wet-bulb for towers. The leaving water cannot go below it at any load.
        const bool tower = plant.economiser.kind == EconomiserKind::cooling_tower;
        const double span = std::max(0.0, duration_s);
        const double dt = std::max(600.0, span / 20000);
        double hottest = -HUGE_VAL, at = 0;
        for (double t = 0; t <= span; t += dt) {
            const auto [dry, wet] = model.outdoor(t);
            const double sink = tower ? wet : dry;
            if (sink > hottest) hottest = sink, at = t;
        }
        if (std::isfinite(hottest) && facility <= hottest)
            out.push_back(fmt::format(
                "{}: warning: coolant.supply_temperature: {:.1f} degC cannot be reached at t = {:.0f} s, when the "
                "outdoor {} is {:.1f} degC: {} cannot cool water below it and the plant has no chiller, so the facility "
                "supply will sit above its set point",
                where(spec.coolant.loc), facility - kC, at, tower ? "wet-bulb" : "dry-bulb", hottest - kC,
                tower ? "cooling towers" : "dry coolers"));
    }
    return out;
}

}  // namespace dctwin
