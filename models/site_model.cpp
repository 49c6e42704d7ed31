#include "models/site_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "viz/results.hpp"

namespace dctwin {

namespace {
constexpr double kCelsius = 273.15;
}

SiteModel::SiteModel(const SiteSpec& spec) : spec_(spec) {
    Network& net = net_;
    const double ambient = spec.ambient.temperature;
    const double supply = spec.coolant.supply_temperature;

    std::vector<double> at, act;
    for (const auto& s : spec.activity) at.push_back(s.at), act.push_back(s.value);
    if (at.empty()) at = {0.0}, act = {0.0};
    const int activity = net.add_input(std::make_unique<StepSchedule>(at, act));
    const int supply_in = net.add_input(std::make_unique<ConstantSignal>(supply));
    const int ambient_in = net.add_input(std::make_unique<ConstantSignal>(ambient));
    const int facility = net.add_boundary("facility/supply", supply_in);
    const int outdoor = net.add_boundary("outdoor", ambient_in);

    auto conduct = std::make_unique<ConductanceBlock>("conductances");
    auto advect = std::make_unique<AdvectionBlock>("coolant_flow");
    auto fixed = std::make_unique<FixedLoads>();
    auto devices = std::make_unique<DeviceArray>();
    const double rho_cp = spec.coolant.density * spec.coolant.specific_heat;  // [J/(m3 K)]

    // Electrical room: takes the distribution losses, leaks them to the outdoor air.
    {
        StateInfo s{"power/electrical_room/T_air", "K", spec.power.electrical_room_heat_capacity, ambient};
        electrical_room_ = net.add_state(s);
        conduct->add(NodeRef::state(electrical_room_), NodeRef::boundary(outdoor),
                     spec.power.electrical_room_conductance);
        const auto& d = spec.power.distribution;
        distribution_ = net.add_stage({"power/distribution", -1, d.efficiency, d.no_load_loss, d.rating,
                                       NodeRef::state(electrical_room_)});
    }

    double total_flow = 0.0;  // [m3/s]
    std::vector<std::pair<int, double>> returns;
    for (std::size_t h = 0; h < spec.halls.size(); ++h) {
        const auto& hall = spec.halls[h];
        hall_names_.push_back(hall.name);
        const int air_in = net.add_input(std::make_unique<ConstantSignal>(hall.air_supply_temperature));
        const int air_supply = net.add_boundary(hall.name + "/air_supply", air_in);
        const int air = net.add_state({hall.name + "/air/T", "K", hall.air_heat_capacity, hall.air_supply_temperature});
        hall_air_.push_back(air);
        conduct->add(NodeRef::state(air), NodeRef::boundary(air_supply), hall.air_cooling_conductance);

        for (const auto& row : hall.rows) {
            const RackTypeSpec& rt = spec.rack_types.at(row.rack);
            for (int r = 0; r < row.count; ++r) {
                RackRecord rec;
                rec.path = fmt::format("{}/{}/rack{:02d}", hall.name, row.name, r + 1);
                rec.hall = int(h);
                const double along = row.pitch * r;
                rec.x = row.origin_x + (row.direction == "x" ? along : 0.0);
                rec.y = row.origin_y + (row.direction == "y" ? along : 0.0);
                rec.width = rt.width, rec.depth = rt.depth, rec.height = rt.height;

                rec.coolant = net.add_state({rec.path + "/coolant/T", "K", rho_cp * rt.coolant_volume, supply});
                const double mcp = rho_cp * rt.coolant_flow;  // [W/K]
                advect->add(NodeRef::boundary(facility), NodeRef::state(rec.coolant), mcp);
                advect->add(NodeRef::state(rec.coolant), NodeRef::boundary(facility), mcp);
                returns.emplace_back(rec.coolant, mcp);
                total_flow += rt.coolant_flow;

                const auto& sh = rt.power_shelf;
                rec.shelf = net.add_stage({rec.path + "/power_shelf", distribution_, sh.efficiency,
                                           sh.no_load_loss, sh.rating, NodeRef::state(air)});
                if (rt.other_power > 0.0)
                    fixed->add(rec.path + "/other", rt.other_power, rec.shelf, LoadCategory::it, NodeRef::state(air));

                rec.first_device = devices->size();
                for (const auto& g : rt.devices) {
                    const DeviceTypeSpec& dt = spec.device_types.at(g.type);
                    DeviceParams p;
                    p.idle_power = dt.idle_power;
                    p.dynamic_power = dt.max_power - dt.idle_power - dt.leakage_power;
                    p.leakage_power = dt.leakage_power;
                    p.leakage_coeff = dt.leakage_temperature_coefficient;
                    p.leakage_ref_T = dt.leakage_reference_temperature;
                    p.slowdown_T = dt.slowdown_temperature;
                    p.shutdown_T = dt.shutdown_temperature;
                    for (int i = 0; i < g.count; ++i) {
                        const std::string dp = fmt::format("{}/{}{}", rec.path, g.name, i);
                        const int j = net.add_state({dp + "/T_junction", "K", dt.junction_heat_capacity, supply});
                        const int pl = net.add_state({dp + "/T_plate", "K", dt.plate_heat_capacity, supply});
                        conduct->add(NodeRef::state(j), NodeRef::state(pl), 1.0 / dt.junction_to_plate_resistance);
                        conduct->add(NodeRef::state(pl), NodeRef::state(rec.coolant), 1.0 / dt.plate_to_coolant_resistance);
                        devices->add(dp, j, p, activity, rec.shelf);
                        device_junction_.push_back(j);
                        device_plate_.push_back(pl);
                    }
                }
                rec.end_device = devices->size();
                racks_.push_back(std::move(rec));
            }
        }
    }

    const double pump_power = total_flow * spec.facility.pump_head / spec.facility.pump_efficiency;
    auto plant = std::make_unique<FacilityPlant>(pump_power, spec.facility.rejection_specific_power,
                                                 NodeRef::boundary(outdoor), supply_in);
    for (auto [c, mcp] : returns) plant->add_return(c, mcp);

    devices_ = devices.get();
    plant_ = plant.get();
    net.add_block(std::move(conduct));
    net.add_block(std::move(advect));
    net.add_block(std::move(fixed));
    net.add_block(std::move(devices));
    net.add_block(std::move(plant));
    net.finalize();
    scratch_.resize(net.size());
}

SitePoint SiteModel::point(double t, const double* y) {
    net_.rhs(t, y, scratch_.data());
    SitePoint p;
    p.grid_power = net_.last_grid_power();
    const auto loads = net_.last_loads();
    for (std::size_t l = 0; l < loads.size(); ++l)
        (net_.loads()[l].category == LoadCategory::it ? p.it_power : p.cooling_power) += loads[l];
    p.loss_power = p.grid_power - p.it_power - p.cooling_power;
    for (const auto& b : net_.boundaries()) p.heat_rejection += net_.last_flow()[std::size_t(b.accumulator)];
    p.max_junction_T = -HUGE_VAL;
    for (std::size_t k = 0; k < device_junction_.size(); ++k)
        if (y[device_junction_[k]] > p.max_junction_T) p.max_junction_T = y[device_junction_[k]], p.hottest_device = k;
    return p;
}

void SiteModel::declare_outputs(ResultsWriter& w) const {
    auto site = [&](const char* name, const char* unit, const char* desc) {
        w.add_series({fmt::format("/site/{}", name), unit, desc, 0, {}});
    };
    site("grid_power", "W", "power drawn from the grid");
    site("it_power", "W", "power delivered to IT loads (devices and other rack loads)");
    site("cooling_power", "W", "power drawn by pumps and heat-rejection fans");
    site("losses_power", "W", "conversion losses of every power stage");
    site("heat_rejection_power", "W", "heat leaving the site through all boundaries");
    site("pue", "1", "power usage effectiveness, grid power / IT power");
    site("max_junction_temperature", "degC", "hottest junction of the site");
    site("energy_grid", "J", "energy drawn from the grid since the start");
    site("energy_it", "J", "energy delivered to IT loads since the start");
    site("energy_cooling", "J", "energy drawn by cooling since the start");
    site("energy_losses", "J", "conversion losses since the start");
    site("energy_stored_change", "J", "change of the heat stored in every thermal mass since the start");
    site("energy_rejected", "J", "heat rejected through all boundaries since the start");

    std::vector<std::string> rack_paths, hall_paths, stage_paths;
    for (const auto& r : racks_) rack_paths.push_back(r.path);
    for (const auto& h : hall_names_) hall_paths.push_back(h);
    for (const auto& s : net_.stages()) stage_paths.push_back(s.path);
    const std::size_t nr = racks_.size();
    w.add_labels("/racks/paths", rack_paths, "rack paths, the columns of every /racks series");
    std::vector<double> geo;
    for (const auto& r : racks_) geo.insert(geo.end(), {r.x, r.y, r.z, r.width, r.depth, r.height});
    w.add_static("/racks/geometry", geo, nr, 6, "m", "rack boxes: x, y, z of the corner, width, depth, height");
    w.add_series({"/racks/power", "W", "electrical input of the rack power shelf", nr, "/racks/paths"});
    w.add_series({"/racks/max_junction_temperature", "degC", "hottest junction in the rack", nr, "/racks/paths"});
    w.add_series({"/racks/mean_junction_temperature", "degC", "mean junction temperature in the rack", nr, "/racks/paths"});
    w.add_series({"/racks/coolant_return_temperature", "degC", "rack coolant return (well-mixed volume)", nr, "/racks/paths"});
    w.add_series({"/racks/coolant_supply_temperature", "degC", "rack coolant supply", nr, "/racks/paths"});
    w.add_labels("/halls/paths", hall_paths, "hall names, the columns of every /halls series");
    w.add_series({"/halls/air_temperature", "degC", "hall air temperature", hall_paths.size(), "/halls/paths"});
    w.add_labels("/power/stages/paths", stage_paths, "power stage paths");
    w.add_series({"/power/stages/input_power", "W", "electrical input of each stage", stage_paths.size(), "/power/stages/paths"});
    w.add_series({"/power/stages/loss", "W", "conversion loss of each stage, dissipated as heat", stage_paths.size(), "/power/stages/paths"});
    w.add_series({"/power/electrical_room_temperature", "degC", "electrical room air", 0, {}});

    if (spec_.simulation.write_states) {
        std::vector<std::string> dev;
        for (std::size_t k = 0; k < devices_->size(); ++k) dev.push_back(devices_->path(k));
        const std::size_t nd = dev.size();
        w.add_labels("/devices/paths", dev, "device paths, the columns of every /devices series");
        w.add_series({"/devices/junction_temperature", "degC", "junction temperature", nd, "/devices/paths"});
        w.add_series({"/devices/plate_temperature", "degC", "cold plate temperature", nd, "/devices/paths"});
        w.add_series({"/devices/power", "W", "electrical power", nd, "/devices/paths"});
    }
}

void SiteModel::output_row(double t, const double* y, std::vector<double>& row) {
    const SitePoint p = point(t, y);
    const auto& acct = net_.accounting();
    row.clear();
    row.insert(row.end(), {p.grid_power, p.it_power, p.cooling_power, p.loss_power, p.heat_rejection,
                           p.it_power > 0 ? p.grid_power / p.it_power : std::nan(""), p.max_junction_T - kCelsius,
                           y[acct.grid], y[acct.it], y[acct.cooling], y[acct.losses]});
    row.push_back(net_.stored_energy(y) - stored_at_start_);
    row.push_back(net_.rejected_energy(y));

    const double supply = spec_.coolant.supply_temperature;
    const auto stage_in = net_.last_stage_input();
    const auto stage_out = net_.last_stage_output();
    for (const auto& r : racks_) row.push_back(stage_in[std::size_t(r.shelf)]);
    for (const auto& r : racks_) {
        double m = -HUGE_VAL;
        for (std::size_t k = r.first_device; k < r.end_device; ++k) m = std::max(m, y[device_junction_[k]]);
        row.push_back(r.end_device > r.first_device ? m - kCelsius : std::nan(""));
    }
    for (const auto& r : racks_) {
        double s = 0;
        for (std::size_t k = r.first_device; k < r.end_device; ++k) s += y[device_junction_[k]];
        const auto n = r.end_device - r.first_device;
        row.push_back(n ? s / double(n) - kCelsius : std::nan(""));
    }
    for (const auto& r : racks_) row.push_back(y[r.coolant] - kCelsius);
    for (std::size_t k = 0; k < racks_.size(); ++k) row.push_back(supply - kCelsius);
    for (int a : hall_air_) row.push_back(y[a] - kCelsius);
    for (std::size_t s = 0; s < stage_in.size(); ++s) row.push_back(stage_in[s]);
    for (std::size_t s = 0; s < stage_in.size(); ++s) row.push_back(stage_in[s] - stage_out[s]);
    row.push_back(y[electrical_room_] - kCelsius);

    if (spec_.simulation.write_states) {
        for (int j : device_junction_) row.push_back(y[j] - kCelsius);
        for (int pl : device_plate_) row.push_back(y[pl] - kCelsius);
        const auto loads = net_.last_loads();
        for (std::size_t k = 0; k < devices_->size(); ++k) row.push_back(loads[std::size_t(devices_->load_id(k))]);
    }
}

}  // namespace dctwin
