#include "models/site_model.hpp"
#include "models/step_schedule.hpp"

#include "solver/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <cstdlib>

#include <unistd.h>

#include <fmt/format.h>

#include "input/file_reader.hpp"
#include "input/site_loader.hpp"
#include "models/cooling/physics.hpp"
#include "models/power/site_battery.hpp"
#include "models/power/power_faults.hpp"
#include "models/power/rack_storage.hpp"
#include "models/power/ups_battery.hpp"
#include "models/site_jobs.hpp"
#include "models/weather/weather.hpp"
#include "models/workload/training.hpp"

namespace dctwin {

namespace {
constexpr double kCelsius = 273.15;
constexpr double kAirDensity = 1.184;       // [kg/m3] dry air at 25 degC, 101.325 kPa
constexpr double kAirSpecificHeat = 1006.0; // [J/(kg K)]

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

StoreParams store_params(const StorageSpec& b) {
    StoreParams p;
    p.capacity = b.capacity, p.power = b.power;
    p.charge_efficiency = b.charge_efficiency, p.discharge_efficiency = b.discharge_efficiency;
    p.target_soc = b.target_soc;
    p.ramp_limit = b.ramp_limit;
    p.response_time = b.response_time, p.recharge_time = b.recharge_time;
    return p;
}

bool has_prefix(const std::string& path, const std::string& prefix) {
    return path.compare(0, prefix.size(), prefix) == 0 && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

// Whether `path` is under one of the prefixes (a job's members, a CDU's racks).
bool under_any(const std::string& path, const std::vector<std::string>& prefixes) {
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& m) { return has_prefix(path, m); });
}

// The facility loop's pump, pipes and heat rejection, sized from the rated flow [m3/s].
void plant_params(const SiteSpec& spec, double rated_flow, FacilityParams& f) {
    const auto& fac = spec.facility;
    if (!(rated_flow > 0))
        throw InputError(fac.loc, "facility", "nothing draws facility water (no rack, CDU or air handler)");
    f.rated_flow = rated_flow;
    f.pump_power = rated_flow * fac.pump_head / fac.pump_efficiency;
    if (!f.loop) return;
    const auto& pl = fac.plant;
    f.segments = pl.pipe_segments;
    f.segment_capacity = f.rho_cp * pl.pipe_volume / pl.pipe_segments;
    if (const auto& e = pl.economiser; e.present) {
        auto& ep = f.economiser;
        ep.present = true;
        ep.kind = e.kind;
        ep.fan_power = e.fan_power;
        ep.min_speed = e.min_speed;
        ep.integral_time = e.integral_time;
        ep.cycles = e.cycles;
        // Conductance from the rating: at capacity the water leaves `approach` above the design
        // sink temperature, at the facility's rated flow, with the air rising by its rated rise.
        // Not given: 10 K over a dry cooler; a tower's equivalent air balanced with the water (its
        // rise is the water's range), so that a tower at its YorkCalc design point (3.89 K approach,
        // 5.56 K range: less than 10 K together) is possible.
        const double cw = f.rho_cp * rated_flow;
        const double rise = e.air_temperature_rise > 0 ? e.air_temperature_rise
                            : e.kind == EconomiserKind::dry_cooler ? 10.0
                                                                   : e.capacity / cw;
        const double ca = e.capacity / rise;
        double eps = 0;
        ep.ua = cooling::rated_conductance(e.capacity, cw, ca, e.approach + e.capacity / cw, &eps);
        if (!std::isfinite(ep.ua))
            throw InputError(e.loc, "facility.plant.economiser",
                             fmt::format("no exchanger rejects {:.0f} kW at a {:.1f} K approach with this air flow "
                                         "(effectiveness {:.3f} needed): raise the approach or lower the air temperature rise (more air)",
                                         e.capacity / 1e3, e.approach, eps));
        ep.c_air = ca;
    }
    if (const auto& c = pl.chiller; c.present) {
        auto& cp = f.chiller;
        cp.present = true;
        cp.capacity = c.capacity;
        cp.cop = c.cop;
        cp.tower = c.condenser == CondenserKind::tower;
        cp.tower_approach = c.tower_approach;
        cp.condenser_fan = c.condenser_fan_power;
        cp.cycles = pl.economiser.present ? pl.economiser.cycles : 4.0;
        std::copy(c.cap_ft.begin(), c.cap_ft.end(), cp.cap_ft.begin());
        std::copy(c.eir_ft.begin(), c.eir_ft.end(), cp.eir_ft.begin());
        std::copy(c.eir_fplr.begin(), c.eir_fplr.end(), cp.eir_fplr.begin());
        cp.leaving_lo = c.leaving_lo, cp.leaving_hi = c.leaving_hi;
        cp.condenser_lo = c.condenser_lo, cp.condenser_hi = c.condenser_hi;
        if (cp.tower && spec.ambient.kind == AmbientKind::constant && !(spec.ambient.wet_bulb > 0))
            throw InputError(spec.ambient.loc, "ambient.wet_bulb", "a chiller with a tower condenser needs the wet-bulb");
    }
    if (f.economiser.present && f.economiser.kind == EconomiserKind::cooling_tower &&
        spec.ambient.kind == AmbientKind::constant && !(spec.ambient.wet_bulb > 0))
        throw InputError(spec.ambient.loc, "ambient.wet_bulb", "cooling towers need the outdoor wet-bulb temperature");
}

// ASHRAE limits [degC]: liquid classes name the maximum facility supply; air classes the
// allowable maximum inlet (A1 15-32, A2 10-35, A3 5-40, A4 5-45) [S].
double liquid_class_limit(const std::string& c) {
    if (c.size() == 3 && c[0] == 'W' && c != "W+") return std::stod(c.substr(1));
    return std::nan("");
}
double air_class_limit(const std::string& c) {
    if (c == "A1") return 32;
    if (c == "A2") return 35;
    if (c == "A3") return 40;
    if (c == "A4") return 45;
    return std::nan("");
}

struct Spread {
    double resistance = 1.0, leakage = 1.0;  // multiplicative factors
};

// Groups the members 0..n-1 into lumps of identical ones (same(a, b)), in order of their first
// member; without lumping, one lump each.
template <class Same>
std::vector<std::vector<int>> lumps_of(std::size_t n, bool lump, Same&& same) {
    std::vector<std::vector<int>> out;
    for (int i = 0; i < int(n); ++i) {
        auto it = lump ? std::find_if(out.begin(), out.end(), [&](const auto& l) { return same(l.front(), i); }) : out.end();
        if (it == out.end())
            out.push_back({i});
        else
            it->push_back(i);
    }
    return out;
}

// The name suffix of a lump of members: "3" alone, "0..511" for a run, "3+63" (the first and
// how many more) otherwise.
std::string member_names(const std::vector<int>& lump) {
    if (lump.size() == 1) return std::to_string(lump.front());
    const bool run = lump.back() - lump.front() + 1 == int(lump.size());
    return run ? fmt::format("{}..{}", lump.front(), lump.back()) : fmt::format("{}+{}", lump.front(), lump.size() - 1);
}

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
}  // namespace

namespace {

// The memory a run takes grows with the devices modelled: about 6 kB each for the network,
// the solver's matrices and the output rows (measured on sites/frontier.yaml and
// sites/campus-100k.yaml); 8 kB leaves a margin.
constexpr double kBytesPerDevice = 8e3, kBaseBytes = 64e6;

double machine_memory() {
    double bytes = double(::sysconf(_SC_PHYS_PAGES)) * double(::sysconf(_SC_PAGESIZE));
    try {  // a cgroup (container) limit below it
        const std::string m = read_input_file("/sys/fs/cgroup/memory.max", 64, "a cgroup limit");
        char* end = nullptr;
        const double v = std::strtod(m.c_str(), &end);
        if (end != m.c_str() && v > 0 && v < bytes) bytes = v;
    } catch (const FileReadError&) {
    }
    return bytes;
}

// Refuses, before anything is allocated, a site whose run would not fit in this machine's
// memory (a row count or device count off by orders of magnitude would otherwise end in an
// allocation failure after seconds or minutes).
void check_size(const SiteSpec& spec) {
    double devices = 0, modelled = 0;
    const RowSpec* biggest = nullptr;
    double biggest_devices = 0;
    std::string biggest_path;
    for (const auto& hall : spec.halls)
        for (const auto& row : hall.rows) {
            const auto rack = spec.rack_types.find(row.rack);
            if (rack == spec.rack_types.end()) continue;  // the loader refuses these
            double per_rack = 0;
            for (const auto& g : rack->second.devices) per_rack += g.count;
            const double n = per_rack * row.count;
            devices += n;
            // Lumping models the identical devices of a rack as one per group (at best).
            modelled += spec.simulation.lumping == "identical" ? double(rack->second.devices.size()) * row.count : n;
            if (n > biggest_devices) biggest = &row, biggest_devices = n, biggest_path = "halls." + hall.name + ".rows." + row.name;
        }
    const double need = kBaseBytes + kBytesPerDevice * modelled, have = 0.75 * machine_memory();
    if (need <= have || biggest == nullptr) return;
    const double fit = std::max(0.0, (have - kBaseBytes) / kBytesPerDevice);
    const int count = std::max(1, int(double(biggest->count) * std::max(0.0, 1.0 - (modelled - fit) / biggest_devices)));
    throw InputError(biggest->loc, biggest_path + ".count",
                     fmt::format("the site has {:.0f} devices ({:.0f} modelled, about {:.2g} states), whose run needs "
                                 "about {:.1f} GB of memory; this machine has {:.1f} GB and a run may take 75 % of it, "
                                 "enough for about {:.0f} modelled devices. Fewer racks or devices, e.g. --set {}.count={}",
                                 devices, modelled, 2.8 * modelled, need / 1e9, have / 0.75 / 1e9, fit, biggest_path,
                                 count));
}

}  // namespace

void SiteModel::build_grid_series() {
    GridSpec& g = spec_.power.grid;
    auto load = [&](TimeSeriesSpec& s, const char* key, SeriesQuantity q) {
        load_series_file(s, spec_.source_file, std::string("power.grid.") + key, q, g.currency);
        return s.present ? SeriesTable(s) : SeriesTable();
    };
    grid_series_.carbon_intensity = load(g.carbon_intensity, "carbon_intensity", SeriesQuantity::carbon_intensity);
    grid_series_.energy_price = load(g.energy_price, "energy_price", SeriesQuantity::energy_price);
    grid_series_.renewable_share = load(g.renewable_share, "renewable_share", SeriesQuantity::fraction);
}

SiteModel::SiteModel(const SiteSpec& spec) : spec_(spec) {
    check_size(spec);
    Network& net = net_;
    build_weather(spec);
    build_grid_series();
    const double ambient = outdoor(0.0).first;
    const double supply = spec.coolant.supply_temperature;
    const bool loop = spec.facility.plant.present;

    FacilityParams fp;
    std::vector<CduParams> cdu_params(spec.cdus.size());
    build_cooling_events(spec, fp, cdu_params);
    const int outdoor_b = net.add_boundary("outdoor", dry_bulb_input_);
    const int facility = loop ? -1 : net.add_boundary("facility/supply", setpoint_input_);
    facility_boundary_ = facility;

    auto conduct = std::make_unique<ConductanceBlock>("conductances");
    auto fixed = std::make_unique<FixedLoads>();
    auto devices = std::make_unique<DeviceArray>();
    const double rho_cp = spec.coolant.density * spec.coolant.specific_heat;  // [J/(m3 K)]

    // Electrical room: takes the losses of transformer, UPS and distribution, and leaks them to
    // the outdoor air.
    {
        StateInfo s{"power/electrical_room/T_air", "K", spec.power.electrical_room_heat_capacity, ambient};
        electrical_room_ = net.add_state(s);
        conduct->add(NodeRef::state(electrical_room_), NodeRef::boundary(outdoor_b),
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
    if (const auto& b = spec.power.site_battery; b.present && b.enabled) {
        SiteBatteryParams bp = store_params(b);
        if (!(b.ramp_limit > 0)) bp.ramp_limit = spec.power.grid.ramp_limit;
        auto sb = std::make_unique<SiteBattery>("power/site_battery", bp, mechanical_stage_, utility_input_, room);
        site_battery_ = sb.get();
        net.add_block(std::move(sb));
    }
    {
        const auto& d = spec.power.distribution;
        distribution_ = net.add_stage({"power/distribution", upstream, d.rating, room,
                                       LossModel::linear(d.efficiency, d.no_load_loss), net.add_loss_group("distribution")});
    }
    const int busway_group = net.add_loss_group("busways");
    auto storage = std::make_unique<RackStorage>();
    const int shelf_group = net.add_loss_group("power_shelves");

    // Jobs: each has its activity (and optional external power limit) as inputs.
    SiteJobs jobs(spec, net, *devices, job_smoothing_);
    Variability spread(spec.variability);
    const bool lump_identical = spec.simulation.lumping == "identical";

    // Cooling: the facility water (held, or a loop with its plant), CDUs, air handlers.
    const double rho_cp_f = spec.coolant.density * spec.coolant.specific_heat;  // [J/(m3 K)]
    fp.loop = loop;
    fp.supply = loop ? NodeRef{} : NodeRef::boundary(facility);
    fp.outdoor = NodeRef::boundary(outdoor_b);
    fp.rho_cp = rho_cp_f;
    fp.specific_rejection = spec.facility.rejection_specific_power;
    fp.dry_bulb_input = dry_bulb_input_;
    fp.wet_bulb_input = wet_bulb_input_;
    fp.setpoint_input = setpoint_input_;
    fp.powered_input = mech_on;
    fp.stage = mechanical_stage_;
    fp.initial = supply;
    std::vector<double> cdu_flow(spec.cdus.size(), 0.0);  // [m3/s] secondary, summed over racks
    for (std::size_t i = 0; i < spec.cdus.size(); ++i) {
        const auto& c = spec.cdus[i];
        CduParams& p = cdu_params[i];
        p.path = "cooling/cdus/" + c.name;
        p.rho_cp = c.density * c.specific_heat;
        p.capacity = c.capacity;
        p.primary_max = c.primary_flow;
        p.header_capacity = p.rho_cp * c.volume;
        p.setpoint = c.supply_temperature;
        p.gain = c.gain;
        p.integral_time = c.integral_time;
        p.min_valve = c.min_valve;
        p.stage = distribution_;  // CDU pumps ride on the UPS: without flow a cold plate overheats in seconds
    }
    auto cdu_of = [&](const std::string& rack_path) {
        int found = -1;
        for (std::size_t i = 0; i < spec.cdus.size(); ++i) {
            const auto& c = spec.cdus[i];
            if (!under_any(rack_path, c.racks)) continue;
            if (found >= 0)
                throw InputError(c.loc, "cdus." + c.name + ".racks",
                                 fmt::format("rack {} is already served by CDU {}: a rack is served by one CDU",
                                             rack_path, spec.cdus[std::size_t(found)].name));
            found = int(i);
        }
        return found;
    };
    std::vector<RackLoop> rack_loops;
    std::vector<CrahParams> crahs;

    for (std::size_t h = 0; h < spec.halls.size(); ++h) {
        const auto& hall = spec.halls[h];
        hall_names_.push_back(hall.name);
        const double air0 = hall.crah.present ? supply : hall.air_supply_temperature;
        const int air = net.add_state({hall.name + "/air/T", "K", hall.air_heat_capacity, air0});
        hall_air_.push_back(air);
        if (hall.crah.present) {
            const auto& c = hall.crah;
            crahs.push_back({hall.name + "/crah", air, cooling::kAirDensity * cooling::kAirSpecificHeat * c.air_flow,
                             c.water_flow, c.ua, c.fan_power, mechanical_stage_});
        } else {
            const int air_in = net.add_input(std::make_unique<ConstantSignal>(hall.air_supply_temperature));
            const int air_supply = net.add_boundary(hall.name + "/air_supply", air_in);
            conduct->add(NodeRef::state(air), NodeRef::boundary(air_supply), hall.air_cooling_conductance);
        }
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

                const int cdu = cdu_of(rec.path);
                rec.cdu = cdu;
                const double rho_cp_r = cdu >= 0 ? cdu_params[std::size_t(cdu)].rho_cp : rho_cp;
                const double t0 = cdu >= 0 ? spec.cdus[std::size_t(cdu)].supply_temperature : supply;
                rec.coolant = net.add_state({rec.path + "/coolant/T", "K", rho_cp_r * rt.coolant_volume, t0});
                rack_loops.push_back({rec.coolant, rt.coolant_flow, cdu});
                if (cdu >= 0) cdu_flow[std::size_t(cdu)] += rt.coolant_flow;

                rec.shelf = net.add_stage(shelf_stage(rec.path + "/power_shelf", rt.power_shelf, hall_feed,
                                                      NodeRef::state(air), shelf_group));
                if (const auto& st = rt.power_shelf.storage; st.present && st.enabled)
                    rec.storage = storage->add(rec.path + "/power_shelf/storage", store_params(st), rec.shelf,
                                               NodeRef::state(air));
                if (rt.other_power > 0.0)
                    fixed->add(rec.path + "/other", rt.other_power, rec.shelf, LoadCategory::it, NodeRef::state(air));

                rec.first_device = devices->size();
                int n_liquid = 0, n_air = 0;
                for (const auto& g : rt.devices)
                    (spec.device_types.at(g.type).cooling == DeviceCooling::air ? n_air : n_liquid) += g.count;
                if (n_air > 0 && !(rt.server_air_flow > 0.0))
                    throw InputError(rt.loc, "rack_types." + rt.name + ".server_air_flow",
                                     "the rack holds air-cooled devices: server_air_flow must be given and positive");
                rec.air_flow = n_air > 0 ? rt.server_air_flow : 0.0;
                rec.other_power = rt.other_power;
                for (const auto& g : rt.devices) {
                    rec.groups.push_back({g.name, devices->size(), devices->size()});  // end set below
                    const DeviceTypeSpec& dt = spec.device_types.at(g.type);
                    const bool air_cooled = dt.cooling == DeviceCooling::air;
                    // Identical plates in parallel on one manifold share the flow equally.
                    const double flow = air_cooled ? rt.server_air_flow / n_air : rt.coolant_flow / n_liquid;
                    const double nominal = air_cooled ? dt.nominal_air_flow : dt.nominal_coolant_flow;
                    const double flow_factor = nominal > 0.0 ? std::pow(nominal / flow, dt.flow_exponent) : 1.0;
                    // The group's devices with what can make them differ: spread and load.
                    struct Member {
                        Spread sp;
                        JobInput ji;
                        std::string path;
                    };
                    std::vector<Member> members;
                    members.reserve(std::size_t(std::max(g.count, 0)));
                    const std::string group_path = rec.path + "/" + g.name;
                    for (int i = 0; i < g.count; ++i) {
                        const Spread sp = spread.next();
                        std::string path = group_path + std::to_string(i);
                        const JobInput ji = jobs.member(path, g.type);
                        members.push_back({sp, ji, std::move(path)});
                    }
                    auto add_lump = [&](const std::vector<int>& lump) {
                        // A lumped device: one set of nodes with n times the capacities and
                        // conductances, n times the loads (DeviceArray), named after its members.
                        const Member& f = members[std::size_t(lump.front())];
                        const double n = double(lump.size());
                        std::string dp = lump.size() == 1 ? std::move(members[std::size_t(lump.front())].path)
                                                          : group_path + member_names(lump);
                        DeviceParams p = device_params(dt);
                        p.leakage_power *= f.sp.leakage;
                        DeviceNodes nd;
                        nd.junction = net.add_state({dp + "/T_junction", "K", n * dt.junction_heat_capacity, supply});
                        const int pl = net.add_state({dp + (air_cooled ? "/T_heat_sink" : "/T_plate"), "K",
                                                      n * dt.plate_heat_capacity, supply});
                        conduct->add(NodeRef::state(nd.junction), NodeRef::state(pl),
                                     n / (dt.junction_to_plate_resistance * f.sp.resistance));
                        const double r_out = dt.plate_to_coolant_resistance * flow_factor * f.sp.resistance;
                        conduct->add(NodeRef::state(pl), NodeRef::state(air_cooled ? air : rec.coolant), n / r_out);
                        if (dt.memory_power > 0.0) {
                            nd.memory = net.add_state({dp + "/T_memory", "K", n * dt.memory_heat_capacity, supply});
                            conduct->add(NodeRef::state(nd.memory), NodeRef::state(pl), n / dt.memory_to_plate_resistance);
                        }
                        devices->add(std::move(dp), nd, p, f.ji.activity, f.ji.limit, rec.shelf, f.ji.job,
                                     int(lump.size()));
                        device_junction_.push_back(nd.junction);
                        device_plate_.push_back(pl);
                        device_air_conductance_.push_back(air_cooled ? n / r_out : 0.0);
                    };
                    if (lump_identical) {
                        for (const std::vector<int>& lump : lumps_of(members.size(), true, [&](int a, int b) {
                                 const Member &x = members[std::size_t(a)], &y = members[std::size_t(b)];
                                 return x.sp.resistance == y.sp.resistance && x.sp.leakage == y.sp.leakage &&
                                        x.ji.job == y.ji.job && x.ji.activity == y.ji.activity &&
                                        x.ji.limit == y.ji.limit;
                             }))
                            add_lump(lump);
                    } else {  // one device each, without a list per device
                        std::vector<int> one(1);
                        for (std::size_t i = 0; i < members.size(); ++i) one[0] = int(i), add_lump(one);
                    }
                    rec.groups.back().end = devices->size();
                }
                rec.end_device = devices->size();
                racks_.push_back(std::move(rec));
            }
        }
    }

    jobs.check_members();

    // The facility's rated flow: every consumer at its largest draw.
    double rated_flow = 0.0;  // [m3/s]
    for (std::size_t i = 0; i < spec.cdus.size(); ++i) {
        const auto& c = spec.cdus[i];
        CduParams& p = cdu_params[i];
        if (!(cdu_flow[i] > 0))
            throw InputError(c.loc, "cdus." + c.name + ".racks", "these prefixes match no rack of the site");
        p.pump_power = cdu_flow[i] * c.pump_head / c.pump_efficiency;
        // Exchanger conductance from the approach at rated duty with the valve open.
        const double cs = p.rho_cp * cdu_flow[i];
        double eps = 0;
        p.ua = cooling::rated_conductance(c.capacity, cs, rho_cp_f * c.primary_flow, c.capacity / cs + c.approach, &eps);
        if (!std::isfinite(p.ua))
            throw InputError(c.loc, "cdus." + c.name + ".approach",
                             fmt::format("no exchanger reaches a {:.1f} K approach at {:.0f} kW with these flows "
                                         "(effectiveness {:.3f} needed): raise the approach or the primary flow",
                                         c.approach, c.capacity / 1e3, eps));
        rated_flow += c.primary_flow;
    }
    for (const auto& r : rack_loops)
        if (r.cdu < 0) rated_flow += r.flow;
    for (const auto& c : crahs) rated_flow += c.water_flow;
    plant_params(spec, rated_flow, fp);
    auto cooling = std::make_unique<CoolingSystem>(fp);
    for (const auto& p : cdu_params) cooling->add_cdu(p);
    for (const auto& r : rack_loops) cooling->add_rack(r);
    for (const auto& c : crahs) cooling->add_crah(c);

    // Thermal limits count as a cooling fault's doing once the first cooling fault has begun.
    if (const auto faults = cooling_faults(); !faults.empty()) {
        cooling_fault_input_ = net.add_input(step_schedule({{0.0, 0.0}, {faults.front().time, 1.0}}));
        devices->set_cooling_fault_input(cooling_fault_input_);
    }
    devices_ = devices.get();
    cooling_ = cooling.get();
    net.add_block(std::move(conduct));
    net.add_block(std::move(fixed));
    if (storage->size() > 0) {
        rack_storage_ = storage.get();
        net.add_block(std::move(storage));
    }
    build_power_faults(spec);
    net.add_block(std::move(devices));
    net.add_block(std::move(cooling));
    net.finalize();
    liquid_limit_ = liquid_class_limit(spec.coolant.liquid_class);
    for (const auto& h : spec.halls) air_limits_.push_back(air_class_limit(h.air_class));
    any_air_class_ = std::any_of(air_limits_.begin(), air_limits_.end(), [](double l) { return !std::isnan(l); });
    build_constraints();
    build_outputs();
}

void SiteModel::check_run_limits(double duration) const {
    const SimulationSpec& sim = spec_.simulation;
    if (duration / sim.output_interval > kMaxOutputRows)
        throw InputError(sim.loc, "simulation.output_interval",
                         fmt::format("{:.3g} output rows over the run ({} s every {} s): at most {:.0e} (a longer "
                                     "interval, or a shorter run)",
                                     duration / sim.output_interval, duration, sim.output_interval, kMaxOutputRows));
    if (sim.grid_sample_interval > 0 && duration / sim.grid_sample_interval > kMaxGridSamples)
        throw InputError(sim.loc, "simulation.grid_sample_interval",
                         fmt::format("{:.3g} samples over the run: at most 20 million (a longer interval, or a shorter "
                                     "run)",
                                     duration / sim.grid_sample_interval));
    for (const JobSpec& j : spec_.jobs)
        if (j.smoothing.present && duration / j.smoothing.sample_interval > kMaxSmoothingSteps)
            throw InputError(j.smoothing.loc, "workload.jobs." + j.name + ".smoothing.sample_interval",
                             fmt::format("{:.3g} filter steps over the run: at most 20 million (a longer "
                                         "sample_interval, or a shorter run)",
                                         duration / j.smoothing.sample_interval));
}

int SiteModel::battery_state() const { return battery_ ? battery_->energy_state() : -1; }
int SiteModel::site_battery_loss_state() const { return site_battery_ ? site_battery_->loss_state() : -1; }

bool SiteModel::device_figures_current(std::uint64_t& id) const {
    // Power-only mode holds every temperature, so a device's figures change only with the
    // evaluation: the same evaluation gives the same figures, without a pass over the devices.
    const bool same = net_.power_only() && id == net_.evaluation_id();
    id = net_.evaluation_id();
    return same;
}

std::string SiteModel::plant_shortfall(double t, const double* y) {
    const SitePoint p = point(t, y);
    const double draw = p.grid_power + p.generator_power;  // all of it ends as heat
    const EvalContext ctx = net_.view(t, y);
    const double cap = cooling_->rejection_need_capacity(ctx).second;
    if (cooling_->water_state() < 0 || !(cap < draw)) return "";
    return fmt::format("the facility plant lacks capacity: at full fans and chiller capacity it takes {:.1f} kW from "
                       "the water at the start's outdoor conditions, while the site draws {:.1f} kW, so the water "
                       "warms without end (raise facility.plant's chiller or economiser capacity)",
                       cap / 1e3, draw / 1e3);
}

SitePoint SiteModel::point(double t, const double* y) {
    net_.evaluate(t, y);
    SitePoint p;
    p.grid_power = net_.last_grid_power();
    p.generator_power = net_.last_source_power() - p.grid_power;
    p.storage_release = net_.last_storage_release();
    // The tree sums every powered load into its category's accumulator.
    p.it_power = net_.last_flow()[std::size_t(net_.accounting().it)];
    p.cooling_power = net_.last_flow()[std::size_t(net_.accounting().cooling)];
    p.loss_power = net_.last_flow()[std::size_t(net_.accounting().losses)];
    for (const auto& b : net_.boundaries()) p.heat_rejection += net_.last_flow()[std::size_t(b.accumulator)];
    if (!device_figures_current(point_figures_id_)) {
        point_figures_ = {};
        point_figures_.max_junction_T = -HUGE_VAL;
        for (std::size_t k = 0; k < device_junction_.size(); ++k) {
            if (y[device_junction_[k]] > point_figures_.max_junction_T)
                point_figures_.max_junction_T = y[device_junction_[k]], point_figures_.hottest_device = k;
            if (devices_->reason(k) != Throttle::none) point_figures_.throttled_devices += std::size_t(devices_->count(k));
        }
    }
    p.max_junction_T = point_figures_.max_junction_T;
    p.hottest_device = point_figures_.hottest_device;
    p.throttled_devices = point_figures_.throttled_devices;
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

}  // namespace dctwin
