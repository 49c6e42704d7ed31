#include "models/site_model.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/power/ups_battery.hpp"
#include "viz/results.hpp"

namespace dctwin {

namespace {
constexpr double kCelsius = 273.15;
constexpr double kAirDensity = 1.184;       // [kg/m3] dry air at 25 degC, 101.325 kPa
constexpr double kAirSpecificHeat = 1006.0; // [J/(kg K)]

std::unique_ptr<InputSignal> schedule(const std::vector<ActivityStep>& steps) {
    std::vector<double> t, v;
    for (const auto& s : steps) t.push_back(s.at), v.push_back(s.value);
    return std::make_unique<StepSchedule>(t, v);
}

DeviceParams device_params(const DeviceTypeSpec& dt) {
    DeviceParams p;
    p.idle_power = dt.idle_power;
    p.leakage_power = dt.leakage_power;
    p.dynamic_power = dt.max_power - dt.idle_power - dt.leakage_power - dt.memory_power;
    p.leakage_coeff = dt.leakage_temperature_coefficient;
    p.leakage_ref_T = dt.leakage_reference_temperature;
    p.memory_idle_power = dt.memory_power > 0 ? dt.memory_idle_power : 0.0;
    p.memory_dynamic_power = dt.memory_power > 0 ? dt.memory_power - dt.memory_idle_power : 0.0;
    p.memory_max_T = dt.memory_power > 0 ? dt.memory_max_temperature : 1e30;
    p.clock.x_min = dt.min_clock / dt.max_clock;
    p.clock.v_min = dt.min_clock_voltage_ratio;
    p.power_cap = dt.power_cap;
    p.slowdown_T = dt.slowdown_temperature;
    p.slowdown_band = dt.slowdown_band;
    p.shutdown_T = dt.shutdown_temperature;
    if (!(dt.max_clock > 0 && dt.min_clock > 0 && dt.min_clock <= dt.max_clock) || !(p.dynamic_power > 0))
        throw InputError(dt.loc, "device_types." + dt.name, "inconsistent clock range or power budget");
    return p;
}

// The rack power shelf: lumped, or PSUs sharing the load on an efficiency curve.
StageInfo shelf_stage(std::string path, const PowerShelfSpec& sh, int parent, NodeRef heat_to, int group) {
    if (sh.psu_count == 0)
        return {std::move(path), parent, sh.rating, heat_to, LossModel::linear(sh.efficiency, sh.no_load_loss), group};
    std::vector<double> x{0.1, 0.2, 0.5, 1.0}, e{0.90, 0.94, 0.96, 0.91};  // 80 PLUS Titanium [S]
    if (!sh.curve.empty()) {
        x.clear(), e.clear();
        for (const auto& c : sh.curve) x.push_back(c.load), e.push_back(c.efficiency);
    }
    return {std::move(path), parent, (sh.psu_count - sh.redundancy) * sh.psu_rating, heat_to,
            LossModel::efficiency_curve(x, e, sh.psu_rating, sh.psu_count), group};
}

struct Spread {
    double resistance = 1.0, leakage = 1.0;  // multiplicative factors
};

// Manufacturing spread, sampled device by device in build order from one seeded stream, so
// that a seed gives the same site on every machine (no std:: distributions: their
// algorithms are not specified).
class Variability {
public:
    explicit Variability(const VariabilitySpec& v) : spec_(v), rng_(v.seed) {}
    Spread next() {
        if (spec_.thermal_resistance <= 0 && spec_.leakage <= 0) return {};
        const double zr = normal(), zl = normal();
        return {std::max(0.2, 1.0 + spec_.thermal_resistance * zr), std::max(0.0, 1.0 + spec_.leakage * zl)};
    }

private:
    double uniform() { return (double(rng_() >> 11) + 0.5) * 0x1.0p-53; }
    double normal() {  // Box-Muller
        const double u1 = uniform(), u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
    VariabilitySpec spec_;
    std::mt19937_64 rng_;
};
}

SiteModel::SiteModel(const SiteSpec& spec) : spec_(spec) {
    Network& net = net_;
    const double ambient = spec.ambient.temperature;
    const double supply = spec.coolant.supply_temperature;

    const int supply_in = net.add_input(std::make_unique<ConstantSignal>(supply));
    const int ambient_in = net.add_input(std::make_unique<ConstantSignal>(ambient));
    const int facility = net.add_boundary("facility/supply", supply_in);
    const int outdoor = net.add_boundary("outdoor", ambient_in);

    auto conduct = std::make_unique<ConductanceBlock>("conductances");
    auto advect = std::make_unique<AdvectionBlock>("coolant_flow");
    auto fixed = std::make_unique<FixedLoads>();
    auto devices = std::make_unique<DeviceArray>();
    const double rho_cp = spec.coolant.density * spec.coolant.specific_heat;  // [J/(m3 K)]

    // Electrical room: takes the losses of transformer, UPS and distribution, and leaks them to
    // the outdoor air.
    {
        StateInfo s{"power/electrical_room/T_air", "K", spec.power.electrical_room_heat_capacity, ambient};
        electrical_room_ = net.add_state(s);
        conduct->add(NodeRef::state(electrical_room_), NodeRef::boundary(outdoor),
                     spec.power.electrical_room_conductance);
    }
    // The chain from the grid: transformer -> UPS -> distribution (-> hall busway -> rack shelf).
    const NodeRef room = NodeRef::state(electrical_room_);
    int upstream = -1;
    if (const auto& x = spec.power.transformer; x.present) {
        // loss = P0 + k P^2 with k from the total loss at the reference load.
        const double p_ref = x.reference_load * x.rating;
        const double k = (p_ref * (1 / x.efficiency - 1) - x.no_load_loss) / (p_ref * p_ref);
        upstream = net.add_stage({"power/transformer", -1, x.rating, room, LossModel::quad(x.no_load_loss, 0, k),
                                  net.add_loss_group("transformer")});
    }
    mechanical_stage_ = upstream;  // cooling is fed from the transformer, not through the UPS
    if (const auto& u = spec.power.ups; u.present) {
        std::vector<double> x, e;
        if (u.curve.empty()) {
            x = {0.25, 0.5, 0.75, 1.0};
            e = u.mode == "eco" ? std::vector<double>{0.98, 0.99, 0.99, 0.99} : std::vector<double>{0.94, 0.96, 0.97, 0.97};
        }
        for (const auto& c : u.curve) x.push_back(c.load), e.push_back(c.efficiency);
        upstream = net.add_stage({"power/ups", upstream, u.rating, room, LossModel::efficiency_curve(x, e, u.rating, 1),
                                  net.add_loss_group("ups")});
        ups_ = upstream;
    }
    const int mech_on = build_scenario(spec, room);
    {
        const auto& d = spec.power.distribution;
        distribution_ = net.add_stage({"power/distribution", upstream, d.rating, room,
                                       LossModel::linear(d.efficiency, d.no_load_loss), net.add_loss_group("distribution")});
    }
    const int busway_group = net.add_loss_group("busways");
    const int shelf_group = net.add_loss_group("power_shelves");

    // Jobs: each has its activity (and optional external power limit) as inputs; devices in
    // no job idle.
    struct JobInput {
        int job = -1, activity = -1, limit = -1;
    };
    const int idle = net.add_input(std::make_unique<ConstantSignal>(0.0));
    std::vector<JobSpec> jobs = spec.jobs;
    if (jobs.empty() && !spec.activity.empty()) {
        JobSpec all;
        all.name = "site";
        all.activity = spec.activity;
        all.loc = spec.simulation.loc;
        jobs.push_back(std::move(all));
    }
    std::vector<JobInput> job_inputs;
    std::vector<int> job_members(jobs.size(), 0);
    for (const auto& j : jobs) {
        JobInput ji;
        ji.job = devices->add_job(j.name, j.kind == "training");
        ji.activity = net.add_input(schedule(j.activity));
        if (!j.power_limit.empty()) ji.limit = net.add_input(schedule(j.power_limit));
        job_inputs.push_back(ji);
    }
    auto job_of = [&](const std::string& device_path) {
        int found = -1;
        for (std::size_t j = 0; j < jobs.size(); ++j) {
            const auto& members = jobs[j].members;
            const bool in = members.empty() || std::any_of(members.begin(), members.end(), [&](const std::string& m) {
                                return device_path.compare(0, m.size(), m) == 0 &&
                                       (device_path.size() == m.size() || device_path[m.size()] == '/');
                            });
            if (!in) continue;
            if (found >= 0)
                throw InputError(jobs[j].loc, "workload.jobs." + jobs[j].name + ".members",
                                 fmt::format("device {} is already in job {}: a device runs one job at a time",
                                             device_path, jobs[std::size_t(found)].name));
            found = int(j);
        }
        if (found < 0) return JobInput{-1, idle, -1};
        ++job_members[std::size_t(found)];
        return job_inputs[std::size_t(found)];
    };
    Variability spread(spec.variability);

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
        int hall_feed = distribution_;
        if (const auto& b = hall.busway; b.present)
            hall_feed = net.add_stage({hall.name + "/busway", distribution_, std::sqrt(3.0) * b.voltage * b.ampacity,
                                       NodeRef::state(air), LossModel::quad(0, 0, b.resistance / (b.voltage * b.voltage)),
                                       busway_group});

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

                rec.shelf = net.add_stage(shelf_stage(rec.path + "/power_shelf", rt.power_shelf, hall_feed,
                                                      NodeRef::state(air), shelf_group));
                if (rt.other_power > 0.0)
                    fixed->add(rec.path + "/other", rt.other_power, rec.shelf, LoadCategory::it, NodeRef::state(air));

                rec.first_device = devices->size();
                int n_liquid = 0, n_air = 0;
                for (const auto& g : rt.devices)
                    (spec.device_types.at(g.type).cooling == "air" ? n_air : n_liquid) += g.count;
                if (n_air > 0 && !(rt.server_air_flow > 0.0))
                    throw InputError(rt.loc, "rack_types." + rt.name + ".server_air_flow",
                                     "the rack holds air-cooled devices: server_air_flow must be given and positive");
                rec.air_flow = n_air > 0 ? rt.server_air_flow : 0.0;
                rec.other_power = rt.other_power;
                for (const auto& g : rt.devices) {
                    const DeviceTypeSpec& dt = spec.device_types.at(g.type);
                    const bool air_cooled = dt.cooling == "air";
                    // Identical plates in parallel on one manifold share the flow equally.
                    const double flow = air_cooled ? rt.server_air_flow / n_air : rt.coolant_flow / n_liquid;
                    const double nominal = air_cooled ? dt.nominal_air_flow : dt.nominal_coolant_flow;
                    const double flow_factor = nominal > 0.0 ? std::pow(nominal / flow, dt.flow_exponent) : 1.0;
                    for (int i = 0; i < g.count; ++i) {
                        const std::string dp = fmt::format("{}/{}{}", rec.path, g.name, i);
                        const Spread sp = spread.next();
                        DeviceParams p = device_params(dt);
                        p.leakage_power *= sp.leakage;
                        DeviceNodes nd;
                        nd.junction = net.add_state({dp + "/T_junction", "K", dt.junction_heat_capacity, supply});
                        const int pl = net.add_state({dp + (air_cooled ? "/T_heat_sink" : "/T_plate"), "K",
                                                      dt.plate_heat_capacity, supply});
                        conduct->add(NodeRef::state(nd.junction), NodeRef::state(pl),
                                     1.0 / (dt.junction_to_plate_resistance * sp.resistance));
                        const double r_out = dt.plate_to_coolant_resistance * flow_factor * sp.resistance;
                        conduct->add(NodeRef::state(pl), NodeRef::state(air_cooled ? air : rec.coolant), 1.0 / r_out);
                        if (dt.memory_power > 0.0) {
                            nd.memory = net.add_state({dp + "/T_memory", "K", dt.memory_heat_capacity, supply});
                            conduct->add(NodeRef::state(nd.memory), NodeRef::state(pl), 1.0 / dt.memory_to_plate_resistance);
                        }
                        const JobInput ji = job_of(dp);
                        devices->add(dp, nd, p, ji.activity, ji.limit, rec.shelf, ji.job);
                        device_junction_.push_back(nd.junction);
                        device_plate_.push_back(pl);
                        device_air_conductance_.push_back(air_cooled ? 1.0 / r_out : 0.0);
                    }
                }
                rec.end_device = devices->size();
                racks_.push_back(std::move(rec));
            }
        }
    }

    for (std::size_t j = 0; j < jobs.size(); ++j)
        if (job_members[j] == 0)
            throw InputError(jobs[j].loc, "workload.jobs." + jobs[j].name + ".members",
                             "these members match no device of the site");

    const double pump_power = total_flow * spec.facility.pump_head / spec.facility.pump_efficiency;
    auto plant = std::make_unique<FacilityPlant>(pump_power, spec.facility.rejection_specific_power,
                                                 NodeRef::boundary(outdoor), supply_in, mechanical_stage_, mech_on);
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

// Outages and the generator as inputs with known discontinuities; the UPS battery as the
// supply at the UPS. Returns the input that says whether cooling loads have power.
int SiteModel::build_scenario(const SiteSpec& spec, NodeRef room) {
    Network& net = net_;
    std::vector<ScenarioEvent> events = spec.scenario;
    std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
    double gen_fails = HUGE_VAL;
    std::vector<std::pair<double, double>> outages;
    for (const auto& e : events) {
        if (e.kind == "generator_failure") {
            gen_fails = std::min(gen_fails, e.at);
            scheduled_.push_back({e.at, "power/generator", "generator_failure", "the generator will not start"});
        } else {
            if (!spec.power.ups.battery.present)
                throw InputError(e.loc, "scenario", "a utility_outage needs a UPS with a battery (power.ups.battery)");
            if (!outages.empty() && e.at < outages.back().second)
                throw InputError(e.loc, "scenario", "utility outages must not overlap");
            outages.emplace_back(e.at, e.at + e.duration);
        }
    }
    // Piecewise-constant schedules: utility (1/0), generator limit for the UPS [W], cooling on (1/0).
    std::vector<double> tu{0}, vu{1}, tg{0}, vg{0}, tm{0}, vm{1};
    const auto& g = spec.power.generator;
    for (const auto& [t0, t1] : outages) {
        tu.push_back(t0), vu.push_back(0), tu.push_back(t1), vu.push_back(1);
        tm.push_back(t0), vm.push_back(0);
        scheduled_.push_back({t0, "power/grid", "utility_outage", "the utility supply is lost"});
        bool first = true;
        for (std::size_t i = 0; g.present && i < g.load_steps.size(); ++i) {
            const double at = t0 + g.start_delay + double(i) * g.step_interval;
            if (at >= t1 || at >= gen_fails) break;
            tg.push_back(at), vg.push_back(g.load_steps[i] * g.rating);
            scheduled_.push_back({at, "power/generator", "generator_load_step",
                                  fmt::format("the generator accepts {:.0f} % of its rating", 100 * g.load_steps[i])});
            if (first) tm.push_back(at), vm.push_back(1), first = false;
        }
        if (g.present && t0 + g.start_delay >= gen_fails)
            scheduled_.push_back({t0 + g.start_delay, "power/generator", "generator_start_failed",
                                  "the generator did not start"});
        tg.push_back(t1), vg.push_back(0);
        if (first) tm.push_back(t1), vm.push_back(1);
        scheduled_.push_back({t1, "power/grid", "utility_restored", "the utility supply is back"});
    }
    std::stable_sort(scheduled_.begin(), scheduled_.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
    auto schedule_of = [](std::vector<double> t, std::vector<double> v) {
        // Merge equal times (the last value wins), keep the order.
        std::vector<double> tt, vv;
        for (std::size_t i = 0; i < t.size(); ++i) {
            if (!tt.empty() && t[i] == tt.back()) vv.back() = v[i];
            else tt.push_back(t[i]), vv.push_back(v[i]);
        }
        return std::make_unique<StepSchedule>(tt, vv);
    };
    const int utility = net.add_input(schedule_of(tu, vu));
    const int gen_limit = net.add_input(schedule_of(tg, vg));
    const int mech_on = net.add_input(schedule_of(tm, vm));
    net.set_grid_available_input(utility);
    if (ups_ >= 0 && spec.power.ups.battery.present) {
        const auto& b = spec.power.ups.battery;
        BatteryParams bp{b.capacity, b.max_charge, b.charge_efficiency, b.discharge_efficiency, b.initial_soc};
        auto battery = std::make_unique<UpsBattery>("power/ups/battery", bp, ups_, utility, gen_limit, room);
        battery_ = battery.get();
        net.add_block(std::move(battery));
    }
    return mech_on;
}

int SiteModel::battery_state() const { return battery_ ? battery_->energy_state() : -1; }

SitePoint SiteModel::point(double t, const double* y) {
    net_.rhs(t, y, scratch_.data());
    SitePoint p;
    p.grid_power = net_.last_grid_power();
    p.generator_power = net_.last_source_power() - p.grid_power;
    const auto loads = net_.last_loads();
    for (std::size_t l = 0; l < loads.size(); ++l)
        if (net_.load_powered(l)) (net_.loads()[l].category == LoadCategory::it ? p.it_power : p.cooling_power) += loads[l];
    p.loss_power = net_.last_flow()[std::size_t(net_.accounting().losses)];
    for (const auto& b : net_.boundaries()) p.heat_rejection += net_.last_flow()[std::size_t(b.accumulator)];
    p.max_junction_T = -HUGE_VAL;
    for (std::size_t k = 0; k < device_junction_.size(); ++k) {
        if (y[device_junction_[k]] > p.max_junction_T) p.max_junction_T = y[device_junction_[k]], p.hottest_device = k;
        if (devices_->reason(k) != Throttle::none) ++p.throttled_devices;
    }
    double work = 0, members = 0;
    for (std::size_t j = 0; j < devices_->job_count(); ++j) {
        const double m = double(devices_->job_size(j));
        work += m * devices_->job_pace(j);
        members += m;
    }
    p.throughput = members > 0 ? work / members : 1.0;
    return p;
}

double SiteModel::rack_air_outlet(std::size_t r, const double* y) const {
    const auto& rec = racks_[r];
    if (!(rec.air_flow > 0)) return std::nan("");
    const double Tin = y[hall_air_[std::size_t(rec.hall)]];
    double q = rec.other_power;
    for (std::size_t k = rec.first_device; k < rec.end_device; ++k)
        q += device_air_conductance_[k] * (y[device_plate_[k]] - Tin);
    return Tin + q / (kAirDensity * kAirSpecificHeat * rec.air_flow);
}

void SiteModel::declare_outputs(ResultsWriter& w) const {
    auto site = [&](const char* name, const char* unit, const char* desc) {
        w.add_series({fmt::format("/site/{}", name), unit, desc, 0, {}});
    };
    site("grid_power", "W", "power drawn from the grid");
    site("generator_power", "W", "power supplied by the generator (utility outages)");
    site("it_power", "W", "power delivered to IT loads (devices and other rack loads)");
    site("cooling_power", "W", "power drawn by pumps and heat-rejection fans");
    site("losses_power", "W", "conversion losses of every power stage");
    site("heat_rejection_power", "W", "heat leaving the site through all boundaries");
    site("pue", "1", "power usage effectiveness, (grid + generator) power / IT power");
    site("max_junction_temperature", "degC", "hottest junction of the site");
    site("throughput_fraction", "1", "useful-work rate: every job's pace (slowest member for training) weighted by its size");
    site("throttled_devices", "1", "devices running below full clock for any reason");
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
    w.add_series({"/racks/air_outlet_temperature", "degC", "server exhaust air (NaN for racks without server fans)", nr, "/racks/paths"});
    w.add_series({"/racks/min_clock_fraction", "1", "lowest clock fraction of the rack's devices", nr, "/racks/paths"});
    w.add_series({"/racks/throttled_devices", "1", "devices of the rack below full clock", nr, "/racks/paths"});
    std::vector<std::string> jobs, dev;
    for (std::size_t j = 0; j < devices_->job_count(); ++j) jobs.push_back(devices_->job_name(j));
    for (std::size_t k = 0; k < devices_->size(); ++k) dev.push_back(devices_->path(k));
    const std::size_t nd = dev.size();
    w.add_labels("/devices/paths", dev, "device paths, the columns of every /devices series");
    if (!jobs.empty()) {
        w.add_labels("/jobs/names", jobs, "job names, the columns of every /jobs series");
        w.add_series({"/jobs/throughput_fraction", "1", "pace of each job relative to full clock", jobs.size(), "/jobs/names"});
        w.add_series({"/jobs/slowest_device", "1", "index into /devices/paths of the member setting the pace", jobs.size(), "/jobs/names"});
    }
    w.add_labels("/halls/paths", hall_paths, "hall names, the columns of every /halls series");
    w.add_series({"/halls/air_temperature", "degC", "hall air temperature", hall_paths.size(), "/halls/paths"});
    w.add_labels("/power/stages/paths", stage_paths, "power stage paths");
    w.add_series({"/power/stages/input_power", "W", "electrical input of each stage", stage_paths.size(), "/power/stages/paths"});
    w.add_series({"/power/stages/loss", "W", "conversion loss of each stage, dissipated as heat", stage_paths.size(), "/power/stages/paths"});
    w.add_series({"/power/stages/utilisation", "1", "output over rating of each stage", stage_paths.size(), "/power/stages/paths"});
    if (spec_.power.grid.present)
        w.add_series({"/power/grid/utilisation", "1", "grid import over the contracted capacity", 0, {}});
    w.add_series({"/power/electrical_room_temperature", "degC", "electrical room air", 0, {}});
    if (battery_) w.add_series({"/power/ups/battery_energy", "J", "energy in the UPS battery", 0, {}});

    if (spec_.simulation.write_states) {
        w.add_series({"/devices/junction_temperature", "degC", "junction temperature", nd, "/devices/paths"});
        w.add_series({"/devices/plate_temperature", "degC", "cold plate (or heat sink) temperature", nd, "/devices/paths"});
        w.add_series({"/devices/memory_temperature", "degC", "memory (HBM) temperature, NaN without a memory node", nd, "/devices/paths"});
        w.add_series({"/devices/power", "W", "electrical power, logic and memory", nd, "/devices/paths"});
        w.add_series({"/devices/clock_fraction", "1", "clock over the highest clock (0: dropped out)", nd, "/devices/paths"});
        w.add_series({"/devices/throttle_reason", "1",
                      "why below full clock: 0 none, 1 power cap, 2 thermal, 3 external limit, 4 shutdown", nd,
                      "/devices/paths"});
    }
}

SitePoint SiteModel::output_row(double t, const double* y, std::vector<double>& row) {
    const SitePoint p = point(t, y);
    const auto& acct = net_.accounting();
    row.clear();
    row.insert(row.end(), {p.grid_power, p.generator_power, p.it_power, p.cooling_power, p.loss_power, p.heat_rejection,
                           p.it_power > 0 ? (p.grid_power + p.generator_power) / p.it_power : std::nan(""),
                           p.max_junction_T - kCelsius,
                           p.throughput, double(p.throttled_devices), y[acct.grid], y[acct.it], y[acct.cooling], y[acct.losses]});
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
    for (std::size_t k = 0; k < racks_.size(); ++k) row.push_back(rack_air_outlet(k, y) - kCelsius);
    for (const auto& r : racks_) {
        double m = r.end_device > r.first_device ? 1.0 : std::nan("");
        for (std::size_t k = r.first_device; k < r.end_device; ++k) m = std::min(m, devices_->clock(k));
        row.push_back(m);
    }
    for (const auto& r : racks_) {
        double n = 0;
        for (std::size_t k = r.first_device; k < r.end_device; ++k) n += devices_->reason(k) != Throttle::none;
        row.push_back(n);
    }
    if (devices_->job_count() > 0) {
        for (std::size_t j = 0; j < devices_->job_count(); ++j) row.push_back(devices_->job_pace(j));
        for (std::size_t j = 0; j < devices_->job_count(); ++j) row.push_back(double(devices_->job_slowest(j)));
    }
    for (int a : hall_air_) row.push_back(y[a] - kCelsius);
    for (std::size_t s = 0; s < stage_in.size(); ++s) row.push_back(stage_in[s]);
    for (std::size_t s = 0; s < stage_in.size(); ++s) row.push_back(stage_in[s] - stage_out[s]);
    for (std::size_t s = 0; s < stage_in.size(); ++s) row.push_back(stage_out[s] / net_.stages()[s].rating);
    if (spec_.power.grid.present) row.push_back(p.grid_power / spec_.power.grid.capacity);
    row.push_back(y[electrical_room_] - kCelsius);
    if (battery_) row.push_back(y[battery_->energy_state()]);

    if (spec_.simulation.write_states) {
        const std::size_t nd = devices_->size();
        for (int j : device_junction_) row.push_back(y[j] - kCelsius);
        for (int pl : device_plate_) row.push_back(y[pl] - kCelsius);
        for (std::size_t k = 0; k < nd; ++k) {
            const int m = devices_->nodes(k).memory;
            row.push_back(m >= 0 ? y[m] - kCelsius : std::nan(""));
        }
        const auto loads = net_.last_loads();
        for (std::size_t k = 0; k < nd; ++k) {
            const int ml = devices_->memory_load(k);
            const bool on = net_.load_powered(std::size_t(devices_->logic_load(k)));
            row.push_back(on ? loads[std::size_t(devices_->logic_load(k))] + (ml >= 0 ? loads[std::size_t(ml)] : 0.0) : 0.0);
        }
        for (std::size_t k = 0; k < nd; ++k) row.push_back(devices_->clock(k));
        for (std::size_t k = 0; k < nd; ++k) row.push_back(double(devices_->reason(k)));
    }
    return p;
}

}  // namespace dctwin
