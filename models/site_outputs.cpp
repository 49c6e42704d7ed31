// The site's output series (models/outputs.hpp): one descriptor per series, built once with
// the model. The order of the descriptors is the layout of the results file (viz/README.md),
// a user interface: a new series goes where it does not move the others' meaning.

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/power/rack_storage.hpp"
#include "models/power/site_battery.hpp"
#include "models/power/ups_battery.hpp"
#include "models/site_model.hpp"
#include "solver/parallel.hpp"
#include "io/results.hpp"

namespace dctwin {

namespace {
constexpr double kCelsius = 273.15;
using Ctx = OutputContext;
using Sink = OutputSink;
}  // namespace

void SiteModel::build_site_outputs() {
    OutputList& o = outputs_;
    auto site = [&](const char* name, const char* unit, const char* desc, std::function<double(const Ctx&)> f) {
        o.series({fmt::format("/site/{}", name), unit, desc, 0, {},
                  [f = std::move(f)](const Ctx& c, Sink& out) { out(f(c)); }});
    };
    const SitePoint* p = &row_.point;  // filled by output_row before the descriptors run
    const auto& acct = net_.accounting();
    site("grid_power", "W", "power drawn from the grid", [p](const Ctx&) { return p->grid_power; });
    site("generator_power", "W", "power supplied by the generator (utility outages)",
         [p](const Ctx&) { return p->generator_power; });
    site("it_power", "W", "power delivered to IT loads (devices and other rack loads)", [p](const Ctx&) { return p->it_power; });
    site("cooling_power", "W", "power drawn by pumps and heat-rejection fans", [p](const Ctx&) { return p->cooling_power; });
    site("losses_power", "W", "conversion losses of every power stage", [p](const Ctx&) { return p->loss_power; });
    // Power-only mode holds the temperatures: the heat that leaves is not followed (NaN, as
    // the summary's null).
    site("heat_rejection_power", "W", "heat leaving the site through all boundaries (NaN in power-only mode)",
         [this, p](const Ctx&) { return net_.power_only() ? std::nan("") : p->heat_rejection; });
    // ISO/IEC 30134-2 counts on-site sources: what the stores give up counts, what they take in
    // (already in the grid's power) does not, as in the summary's pue.
    site("pue", "1",
         "(grid + generator + net power given up by the UPS battery, site battery and rack stores) / IT power at the "
         "row's instant; NaN where the IT power is 0",
         [p](const Ctx&) {
             return p->it_power > 0 ? (p->grid_power + p->generator_power + p->storage_release) / p->it_power
                                    : std::nan("");
         });
    site("max_junction_temperature", "degC", "hottest junction of the site",
         [p](const Ctx&) { return p->max_junction_T - kCelsius; });
    site("throughput_fraction", "1", "useful-work rate: every job's pace (slowest member for training) weighted by its size",
         [p](const Ctx&) { return p->throughput; });
    site("throttled_devices", "1", "devices running below full clock for any reason",
         [p](const Ctx&) { return double(p->throttled_devices); });
    site("energy_grid", "J", "energy drawn from the grid since the start", [a = acct.grid](const Ctx& c) { return c.y[a]; });
    site("energy_it", "J", "energy delivered to IT loads since the start", [a = acct.it](const Ctx& c) { return c.y[a]; });
    site("energy_cooling", "J", "energy drawn by cooling since the start", [a = acct.cooling](const Ctx& c) { return c.y[a]; });
    site("energy_losses", "J", "conversion losses since the start", [a = acct.losses](const Ctx& c) { return c.y[a]; });
    site("energy_stored_change", "J", "change of the heat stored in every thermal mass since the start",
         [this](const Ctx& c) { return net_.stored_energy(c.y) - stored_at_start_; });
    site("energy_rejected", "J", "heat rejected through all boundaries since the start (NaN in power-only mode)",
         [this](const Ctx& c) { return net_.power_only() ? std::nan("") : net_.rejected_energy(c.y); });

    // Racks: one column per rack.
    std::vector<std::string> rack_paths, hall_paths, stage_paths;
    for (const auto& r : racks_) rack_paths.push_back(r.path);
    for (const auto& h : hall_names_) hall_paths.push_back(h);
    for (const auto& s : net_.stages()) stage_paths.push_back(s.path);
    const std::size_t nr = racks_.size();
    o.labels("/racks/paths", rack_paths, "rack paths, the columns of every /racks series");
    std::vector<double> geo;
    for (const auto& r : racks_) geo.insert(geo.end(), {r.x, r.y, r.z, r.width, r.depth, r.height});
    o.fixed("/racks/geometry", geo, nr, 6, "m", "rack boxes: x, y, z of the corner, width, depth, height");
    auto per_rack = [&](const char* name, const char* unit, const char* desc, std::function<void(const Ctx&, Sink&)> f) {
        o.series({fmt::format("/racks/{}", name), unit, desc, nr, "/racks/paths", std::move(f)});
    };
    auto rack_figure = [&](const char* name, const char* unit, const char* desc, double RackFigures::*m) {
        per_rack(name, unit, desc, [this, m](const Ctx&, Sink& out) {
            for (const auto& f : rack_fig_) out(f.*m);
        });
    };
    per_rack("power", "W", "what the rack draws from its feed: the power shelf's input, less what an in-rack store delivers",
             [this](const Ctx&, Sink& out) {
                 const auto stage_in = net_.last_stage_input();
                 for (const auto& r : racks_)
                     out(r.storage >= 0 ? rack_storage_->last_draw(std::size_t(r.storage)) : stage_in[std::size_t(r.shelf)]);
             });
    rack_figure("max_junction_temperature", "degC", "hottest junction in the rack", &RackFigures::max_T);
    rack_figure("mean_junction_temperature", "degC", "mean junction temperature in the rack", &RackFigures::mean_T);
    per_rack("coolant_return_temperature", "degC", "rack coolant return (well-mixed volume)", [this](const Ctx& c, Sink& out) {
        for (const auto& r : racks_) out(c.y[r.coolant] - kCelsius);
    });
    per_rack("coolant_supply_temperature", "degC", "rack coolant supply", [this](const Ctx& c, Sink& out) {
        for (const auto& r : racks_)
            out((r.cdu >= 0 ? c.y[cooling_->cdu_supply_state(std::size_t(r.cdu))] : row_.facility_supply) - kCelsius);
    });
    rack_figure("air_outlet_temperature", "degC", "server exhaust air (NaN for racks without server fans)",
                &RackFigures::air_outlet);
    rack_figure("min_clock_fraction", "1", "lowest clock fraction of the rack's devices", &RackFigures::min_clock);
    rack_figure("throttled_devices", "1", "devices of the rack below full clock", &RackFigures::throttled);

    // Devices and jobs.
    std::vector<std::string> jobs, dev;
    for (std::size_t j = 0; j < devices_->job_count(); ++j) jobs.push_back(devices_->job_name(j));
    for (std::size_t k = 0; k < devices_->size(); ++k) dev.push_back(devices_->path(k));
    o.labels("/devices/paths", dev, "device paths, the columns of every /devices series");
    {
        std::vector<double> count;
        for (std::size_t k = 0; k < devices_->size(); ++k) count.push_back(devices_->count(k));
        if (!count.empty())
            o.fixed("/devices/count", count, count.size(), 1, "1",
                    "devices each column stands for: 1, or the members of a lumped device (simulation.lumping)");
    }
    if (!jobs.empty()) {
        o.labels("/jobs/names", jobs, "job names, the columns of every /jobs series");
        o.series({"/jobs/throughput_fraction", "1", "pace of each job relative to full clock", jobs.size(), "/jobs/names",
                  [this](const Ctx&, Sink& out) {
                      for (std::size_t j = 0; j < devices_->job_count(); ++j) out(devices_->job_pace(j));
                  }});
        o.series({"/jobs/slowest_device", "1", "index into /devices/paths of the member setting the pace", jobs.size(),
                  "/jobs/names", [this](const Ctx&, Sink& out) {
                      for (std::size_t j = 0; j < devices_->job_count(); ++j) out(double(devices_->job_slowest(j)));
                  }});
    }

    // Halls and power stages.
    o.labels("/halls/paths", hall_paths, "hall names, the columns of every /halls series");
    o.series({"/halls/air_temperature", "degC", "hall air temperature", hall_paths.size(), "/halls/paths",
              [this](const Ctx& c, Sink& out) {
                  for (int a : hall_air_) out(c.y[a] - kCelsius);
              }});
    o.labels("/power/stages/paths", stage_paths, "power stage paths");
    auto per_stage = [&](const char* name, const char* unit, const char* desc, double (*f)(double in, double out, double rating)) {
        o.series({fmt::format("/power/stages/{}", name), unit, desc, stage_paths.size(), "/power/stages/paths",
                  [this, f](const Ctx&, Sink& out) {
                      const auto in = net_.last_stage_input();
                      const auto st_out = net_.last_stage_output();
                      for (std::size_t s = 0; s < in.size(); ++s) out(f(in[s], st_out[s], net_.stages()[s].rating));
                  }});
    };
    per_stage("input_power", "W", "electrical input of each stage", [](double in, double, double) { return in; });
    per_stage("loss", "W", "conversion loss of each stage, dissipated as heat",
              [](double in, double out, double) { return in - out; });
    per_stage("utilisation", "1", "output over rating of each stage", [](double, double out, double r) { return out / r; });
    if (spec_.power.grid.present)
        o.series({"/power/grid/utilisation", "1", "grid import over the contracted capacity", 0, {},
                  [this](const Ctx&, Sink& out) { out(row_.point.grid_power / spec_.power.grid.capacity); }});
    o.series({"/power/electrical_room_temperature", "degC", "electrical room air", 0, {},
              [this](const Ctx& c, Sink& out) { out(c.y[electrical_room_] - kCelsius); }});
}

void SiteModel::build_cooling_outputs() {
    OutputList& o = outputs_;
    const auto& cs = *cooling_;
    auto site = [&](const char* name, const char* unit, const char* desc, std::function<double(const Ctx&)> f) {
        o.series({fmt::format("/cooling/{}", name), unit, desc, 0, {},
                  [f = std::move(f)](const Ctx& c, Sink& out) { out(f(c)); }});
    };
    const PlantState* p = &row_.plant;
    site("outdoor_dry_bulb", "degC", "outdoor dry-bulb temperature",
         [this](const Ctx& c) { return c.eval->inputs[std::size_t(dry_bulb_input_)] - kCelsius; });
    site("outdoor_wet_bulb", "degC", "outdoor wet-bulb temperature",
         [this](const Ctx& c) { return c.eval->inputs[std::size_t(wet_bulb_input_)] - kCelsius; });
    site("facility_supply_temperature", "degC", "facility water reaching the consumers",
         [this](const Ctx&) { return row_.facility_supply - kCelsius; });
    site("facility_return_temperature", "degC", "facility water returned by the consumers, mixed", [this, p](const Ctx& c) {
        const double sup = row_.facility_supply;
        if (spec_.facility.plant.present) return c.y[cooling_->return_segment(0)] - kCelsius;
        if (!(p->flow > 0)) return sup - kCelsius;
        // Held supply: the mixed return carries the heat the supply boundary receives.
        const auto acc = std::size_t(net_.boundaries()[std::size_t(facility_boundary_)].accumulator);
        return sup + net_.last_flow()[acc] / (spec_.coolant.density * spec_.coolant.specific_heat * p->flow) - kCelsius;
    });
    site("facility_flow", "m3/s", "facility water flow", [p](const Ctx&) { return p->flow; });
    if (!std::isnan(liquid_limit_))
        site("liquid_class_utilisation", "1",
             "facility supply over the liquid class's maximum, both in degC (1: at the limit)",
             [this](const Ctx&) { return (row_.facility_supply - kCelsius) / liquid_limit_; });
    if (spec_.facility.plant.present) {
        site("plant/economiser_heat", "W", "heat rejected by the economiser", [p](const Ctx&) { return p->economiser_heat; });
        site("plant/economiser_fan_speed", "1", "economiser fan speed ratio", [p](const Ctx&) { return p->fan_speed; });
        site("plant/chiller_heat", "W", "heat the chiller takes from the facility water",
             [p](const Ctx&) { return p->chiller_heat; });
        site("plant/chiller_power", "W", "chiller compressor power", [p](const Ctx&) { return p->chiller_power; });
        site("plant/chiller_cop", "1", "chiller coefficient of performance (NaN while it is off)", [p](const Ctx&) {
            return p->chiller_power > 0 ? p->chiller_heat / p->chiller_power : std::nan("");
        });
        site("plant/chiller_utilisation", "1", "chiller duty over its capacity at the current temperatures",
             [p](const Ctx&) { return p->chiller_capacity > 0 ? p->chiller_heat / p->chiller_capacity : 0.0; });
        site("plant/water_rate", "m3/s", "cooling tower make-up water (evaporation and blow-down)",
             [p](const Ctx&) { return p->water_rate; });
        site("plant/water_used", "m3", "make-up water since the start",
             [w = cs.water_state()](const Ctx& c) { return c.y[w]; });
    }
    // The grid's series where the site gives them (power.grid), in the units they are quoted in,
    // under /site beside the grid power.
    if (!grid_series_.carbon_intensity.empty())
        o.series({"/site/grid_carbon_intensity", "kg/kWh", "CO2 per energy drawn from the grid (power.grid.carbon_intensity)",
                  0, {}, [s = &grid_series_.carbon_intensity](const Ctx& c, Sink& out) { out(s->at(c.t) * 3.6e6); }});
    if (!grid_series_.energy_price.empty())
        o.series({"/site/grid_energy_price", spec_.power.grid.currency + "/kWh",
                  "price of energy drawn from the grid (power.grid.energy_price)", 0, {},
                  [s = &grid_series_.energy_price](const Ctx& c, Sink& out) { out(s->at(c.t) * 3.6e6); }});
    if (!grid_series_.renewable_share.empty())
        o.series({"/site/grid_renewable_share", "1",
                  "share of the grid's energy from renewable sources (power.grid.renewable_share)", 0, {},
                  [s = &grid_series_.renewable_share](const Ctx& c, Sink& out) { out(s->at(c.t)); }});
    for (const auto& [name, state] : cs.energy_states())
        o.series({fmt::format("/cooling/energy/{}", name), "J", "electrical energy drawn since the start", 0, {},
                  [s = state](const Ctx& c, Sink& out) { out(c.y[s]); }});
    if (cs.cdu_count() > 0) {
        std::vector<std::string> paths;
        for (std::size_t i = 0; i < cs.cdu_count(); ++i) paths.push_back(cs.cdu(i).path);
        const std::size_t n = paths.size();
        o.labels("/cooling/cdus/paths", paths, "CDU paths, the columns of every /cooling/cdus series");
        auto per_cdu = [&](const char* name, const char* unit, const char* desc,
                           std::function<double(const Ctx&, std::size_t)> f) {
            o.series({fmt::format("/cooling/cdus/{}", name), unit, desc, n, "/cooling/cdus/paths",
                      [this, f = std::move(f)](const Ctx& c, Sink& out) {
                          for (std::size_t i = 0; i < row_.cdus.size(); ++i) out(f(c, i));
                      }});
        };
        per_cdu("supply_temperature", "degC", "secondary supply (header)",
                [this](const Ctx& c, std::size_t i) { return c.y[cooling_->cdu_supply_state(i)] - kCelsius; });
        per_cdu("return_temperature", "degC", "secondary return, mixed",
                [this](const Ctx&, std::size_t i) { return row_.cdus[i].return_T - kCelsius; });
        per_cdu("duty", "W", "heat passed to the facility water", [this](const Ctx&, std::size_t i) { return row_.cdus[i].duty; });
        per_cdu("utilisation", "1", "duty over rated capacity",
                [this](const Ctx&, std::size_t i) { return row_.cdus[i].duty / cooling_->cdu(i).capacity; });
        per_cdu("valve", "1", "primary valve opening", [this](const Ctx&, std::size_t i) { return row_.cdus[i].valve; });
        per_cdu("primary_flow", "m3/s", "facility water through the exchanger",
                [this](const Ctx&, std::size_t i) { return row_.cdus[i].primary_flow; });
        per_cdu("secondary_flow", "m3/s", "secondary flow (0: pump stopped)",
                [this](const Ctx&, std::size_t i) { return row_.cdus[i].secondary_flow; });
    }
    o.series({"/halls/air_cooling_duty", "W", "heat taken from the hall air by air handlers or the held air supply",
              hall_names_.size(), "/halls/paths", [this](const Ctx& c, Sink& out) {
                  std::size_t k = 0;
                  for (std::size_t h = 0; h < hall_air_.size(); ++h) {
                      const auto& hs = spec_.halls[h];
                      if (hs.crah.present) out(cooling_->crah_duty(*c.eval, k++));
                      else out(hs.air_cooling_conductance * (c.y[hall_air_[h]] - hs.air_supply_temperature));
                  }
              }});
    if (any_air_class_)
        o.series({"/halls/air_class_utilisation", "1",
                  "hall air (server inlet) over the air class's allowable maximum, both in degC (NaN: no class)",
                  hall_names_.size(), "/halls/paths", [this](const Ctx& c, Sink& out) {
                      for (std::size_t h = 0; h < hall_air_.size(); ++h) out((c.y[hall_air_[h]] - kCelsius) / air_limits_[h]);
                  }});
}

void SiteModel::build_storage_outputs() {
    OutputList& o = outputs_;
    const std::size_t nr = racks_.size();
    if (battery_)
        o.series({"/power/ups/battery_energy", "J", "energy in the UPS battery", 0, {},
                  [s = battery_->energy_state()](const Ctx& c, Sink& out) { out(c.y[s]); }});
    if (rack_storage_) {
        o.series({"/racks/storage_energy", "J", "energy in the in-rack store (NaN: none)", nr, "/racks/paths",
                  [this](const Ctx& c, Sink& out) {
                      for (const auto& r : racks_)
                          out(r.storage >= 0 ? c.y[rack_storage_->energy_state(std::size_t(r.storage))] : std::nan(""));
                  }});
        o.series({"/racks/storage_power", "W", "power the in-rack store delivers (negative: charging; NaN: none)", nr,
                  "/racks/paths", [this](const Ctx&, Sink& out) {
                      for (const auto& r : racks_)
                          out(r.storage >= 0 ? rack_storage_->last_power(std::size_t(r.storage)) : std::nan(""));
                  }});
    }
    if (site_battery_) {
        o.series({"/power/site_battery/energy", "J", "energy in the site battery", 0, {},
                  [this](const Ctx& c, Sink& out) { out(c.y[site_battery_->energy_state()]); }});
        o.series({"/power/site_battery/power", "W", "power the site battery delivers (negative: charging)", 0, {},
                  [this](const Ctx&, Sink& out) { out(site_battery_->last_power()); }});
        o.series({"/power/site_battery/grid_target", "W", "the rate-limited grid-facing power it holds to", 0, {},
                  [this](const Ctx& c, Sink& out) { out(c.y[site_battery_->target_state()]); }});
    }
}

void SiteModel::build_constraint_outputs() {
    OutputList& o = outputs_;
    const std::size_t n = constraints_.size();
    std::vector<std::string> paths, families, units;
    for (const auto& c : constraints_) {
        paths.push_back(c.path);
        families.push_back(family_name(c.family));
        units.push_back(c.unit);
    }
    auto all = [](const std::vector<double>& v) {
        return [v = &v](const Ctx&, Sink& out) {
            for (double x : *v) out(x);
        };
    };
    if (n > 0) {
        o.labels("/constraints/paths", paths, "constraint paths, the columns of every /constraints series");
        o.labels("/constraints/families", families, "family of each constraint: silicon, cooling or power");
        o.labels("/constraints/units", units, "unit of each constraint's value and limit");
        o.series({"/constraints/value", "see /constraints/units", "current value of each constraint", n,
                  "/constraints/paths", all(c_value_)});
        o.series({"/constraints/limit", "see /constraints/units", "current limit of each constraint", n,
                  "/constraints/paths", all(c_limit_)});
        o.series({"/constraints/utilisation", "1", "value over limit (temperatures in degC); 1: at the limit", n,
                  "/constraints/paths", all(c_util_)});
    }
    o.labels("/constraints/family_names", {"silicon", "cooling", "power"}, "the families, columns of family_utilisation");
    o.series({"/constraints/family_utilisation", "1", "highest utilisation in each family (NaN: none)", kFamilies,
              "/constraints/family_names", [this](const Ctx&, Sink& out) {
                  double fam[kFamilies];
                  std::fill(fam, fam + kFamilies, std::nan(""));
                  for (std::size_t i = 0; i < constraints_.size(); ++i) {
                      double& f = fam[std::size_t(constraints_[i].family)];
                      if (std::isfinite(c_util_[i]) && (std::isnan(f) || c_util_[i] > f)) f = c_util_[i];
                  }
                  for (double f : fam) out(f);
              }});
    o.series({"/constraints/binding_index", "1", "index into /constraints/paths of the binding constraint (-1: none)", 0, {},
              [this](const Ctx&, Sink& out) { out(double(row_.binding)); }});
    o.series({"/constraints/binding_utilisation", "1", "utilisation of the binding constraint", 0, {},
              [this](const Ctx&, Sink& out) {
                  out(row_.binding >= 0 ? c_util_[std::size_t(row_.binding)] : std::nan(""));
              }});
    o.series({"/constraints/binding_family", "1", "family of the binding constraint: 0 silicon, 1 cooling, 2 power, -1 none",
              0, {}, [this](const Ctx&, Sink& out) {
                  out(row_.binding >= 0 ? double(constraints_[std::size_t(row_.binding)].family) : -1.0);
              }});
    std::vector<std::string> causes;
    for (int c = 0; c < kLostCauses; ++c) causes.push_back(lost_cause_name(LostCause(c)));
    o.labels("/work/causes", causes, "causes of lost work, the columns of /work/lost_by_cause");
    o.series({"/work/lost_by_cause", "s", "device-seconds of work lost since the start, by cause", causes.size(),
              "/work/causes", [this](const Ctx& c, Sink& out) {
                  for (double x : lost_work(c.y)) out(x);
              }});
    o.series({"/work/lost", "s", "device-seconds of work lost since the start: possible minus done", 0, {},
              [this](const Ctx& c, Sink& out) {
                  double total = 0;
                  for (double x : lost_work(c.y)) total += x;
                  out(total);
              }});
    o.series({"/work/possible", "s", "device-seconds of work the jobs' members could have done since the start", 0, {},
              [this](const Ctx& c, Sink& out) { out(possible_work(c.t)); }});
}

void SiteModel::build_device_outputs() {
    if (!spec_.simulation.write_states) return;
    OutputList& o = outputs_;
    const std::size_t nd = devices_->size();
    auto per_device = [&](const char* name, const char* unit, const char* desc, std::function<void(const Ctx&, Sink&)> f) {
        o.series({fmt::format("/devices/{}", name), unit, desc, nd, "/devices/paths", std::move(f)});
    };
    per_device("junction_temperature", "degC", "junction temperature", [this](const Ctx& c, Sink& out) {
        for (int j : device_junction_) out(c.y[j] - kCelsius);
    });
    per_device("plate_temperature", "degC", "cold plate (or heat sink) temperature", [this](const Ctx& c, Sink& out) {
        for (int pl : device_plate_) out(c.y[pl] - kCelsius);
    });
    per_device("memory_temperature", "degC", "memory (HBM) temperature, NaN without a memory node",
               [this](const Ctx& c, Sink& out) {
                   for (std::size_t k = 0; k < devices_->size(); ++k) {
                       const int m = devices_->nodes(k).memory;
                       out(m >= 0 ? c.y[m] - kCelsius : std::nan(""));
                   }
               });
    per_device("power", "W", "electrical power of one device, logic and memory", [this](const Ctx&, Sink& out) {
        const auto loads = net_.last_loads();
        for (std::size_t k = 0; k < devices_->size(); ++k) {
            const int ml = devices_->memory_load(k);
            const bool on = net_.load_powered(std::size_t(devices_->logic_load(k)));
            const double both = loads[std::size_t(devices_->logic_load(k))] + (ml >= 0 ? loads[std::size_t(ml)] : 0.0);
            out(on ? both / devices_->count(k) : 0.0);
        }
    });
    per_device("clock_fraction", "1", "clock over the highest clock (0: dropped out)", [this](const Ctx&, Sink& out) {
        for (std::size_t k = 0; k < devices_->size(); ++k) out(devices_->clock(k));
    });
    per_device("throttle_reason", "1", "why below full clock: 0 none, 1 power cap, 2 thermal, 3 external limit, 4 shutdown",
               [this](const Ctx&, Sink& out) {
                   for (std::size_t k = 0; k < devices_->size(); ++k) out(double(devices_->reason(k)));
               });
}

void SiteModel::build_outputs() {
    build_site_outputs();
    build_cooling_outputs();
    build_storage_outputs();
    build_constraint_outputs();
    build_device_outputs();
}

void SiteModel::declare_outputs(ResultsWriter& w) const { outputs_.declare(w); }

SitePoint SiteModel::output_row(double t, const double* y, std::vector<double>& row) {
    // What several series share is computed once per row, before the descriptors read it.
    row_.point = point(t, y);
    // Every rack's figures from its devices, racks on the network's threads.
    rack_fig_.resize(racks_.size());
    if (!device_figures_current(rack_figures_id_)) parallel_for(net_.pool(), std::int64_t(racks_.size()), 2, [&](std::int64_t ri) {
        const auto& r = racks_[std::size_t(ri)];
        RackFigures& f = rack_fig_[std::size_t(ri)];
        const bool any = r.end_device > r.first_device;
        double mx = -HUGE_VAL, s = 0, n = 0, clock = any ? 1.0 : std::nan(""), throttled = 0;
        for (std::size_t k = r.first_device; k < r.end_device; ++k) {
            const double T = y[device_junction_[k]], c = devices_->count(k);
            mx = std::max(mx, T);
            s += c * T, n += c;
            clock = std::min(clock, devices_->clock(k));
            if (devices_->reason(k) != Throttle::none) throttled += c;
        }
        f.max_T = any ? mx - kCelsius : std::nan("");
        f.mean_T = n > 0 ? s / n - kCelsius : std::nan("");
        f.min_clock = clock;
        f.throttled = throttled;
        f.air_outlet = rack_air_outlet(std::size_t(ri), y) - kCelsius;
    });
    const EvalContext ctx = net_.view(t, y);
    row_.facility_supply = cooling_->facility_supply(ctx);
    row_.plant = cooling_->plant(ctx);
    row_.cdus.resize(cooling_->cdu_count());
    for (std::size_t i = 0; i < row_.cdus.size(); ++i) row_.cdus[i] = cooling_->cdu_point(ctx, i);
    evaluate_constraints(ctx, row_.point, t);
    outputs_.fill({t, y, &ctx}, row);
    return row_.point;
}

}  // namespace dctwin
