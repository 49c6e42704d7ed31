// The site format's tables for the IT and the site: device types, rack types, halls, rows,
// CRAHs, workload (training, inference, traces, jobs), variability, and the root.

#include "input/site_tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace dctwin::schema {

std::vector<std::string> catalogue_names() {
    std::vector<std::string> names;
    for (const auto& e : device_catalogue()) names.emplace_back(e.name);
    return names;
}

const Table<DeviceTypeSpec>& device_type_table() {
    using D = DeviceTypeSpec;
    constexpr double kMaxDevicePower = 10e3;  // [W] a 2025 GPU is 700-1400 W
    const auto P = [](const char* key, double D::*m, std::optional<double> def, const char* desc) {
        return quantity<D>(key, dims::power, m, in(0, kMaxDevicePower), def, desc);
    };
    // The power cap defaults to max_power, a value of the same map: read after max_power.
    Field<D> power_cap = [] {
        Param p;
        p.key = "power_cap";
        p.dim = dims::power;
        p.required = false;
        p.default_text = "max_power";
        p.range = above(0, kMaxDevicePower);
        p.description = "Power limit set by the user (nvidia-smi -pl), between power_cap_min and max_power.";
        return Field<D>{p, [](D& d, const Param& p, const Slot& s, Reader& r) {
                            d.power_cap = s.entry ? r.quantity(s.entry->value, p, s.path) : d.max_power;
                        }};
    }();
    static const Table<D> t{
        "device_types.<name>",
        "A kind of device (GPU or CPU), defined once and used by rack types. `model:` starts from a catalogue "
        "entry (see below) whose keys the map may override. Power = idle + activity x dynamic x g(clock) + "
        "leakage(T_junction) + memory, g = f V(f)^2 relative to full clock. The clock is the highest that "
        "respects the power cap, the thermal slowdown ramp and any external limit. Thermal masses: junction, "
        "cold plate (or heat sink), and memory when memory_power > 0.",
        {
            choice<D>("model", &D::model, catalogue_names(), std::string{},
                      "Catalogue entry to start from; every key it sets may be overridden here."),
            kind<D, DeviceKind>("kind", &D::kind, kRequired, "What the device is."),
            kind<D>("cooling", &D::cooling, DeviceCooling::liquid,
                      "liquid: cold plate on the rack's coolant; air: heat sink in the server air (hall air)."),
            P("idle_power", &D::idle_power, kRequired, "Power at activity 0 without leakage and memory. MI250X idle 88 W [P] ExaDigiT RAPS."),
            quantity<D>("max_power", dims::power, &D::max_power, above(0, kMaxDevicePower), kRequired,
              "Total power at activity 1, full clock and the leakage reference temperature (includes leakage and "
              "memory). H100 SXM 700 W [P] nvidia-smi; B200 1000 W, GB200 1200 W [S]."),
            power_cap,
            P("power_cap_min", &D::power_cap_min, 0.0, "Lowest power limit the device accepts. H100 SXM 200 W [P] nvidia-smi."),
            P("leakage_power", &D::leakage_power, kRequired,
              "Leakage at the reference temperature, part of max_power; 3-5 % of total power per 10 K [E]."),
            quantity<D>("leakage_temperature_coefficient", dims::inverse_temperature,
                        &D::leakage_temperature_coefficient, in(0, 1), kRequired,
                        "k in leakage ~ exp(k (T_junction - T_ref)); roughly exponential [E]."),
            quantity<D>("leakage_reference_temperature", dims::temperature, &D::leakage_reference_temperature,
                        kTemperatureRange, kRequired, "T_ref: junction temperature at which leakage_power holds."),
            quantity<D>("max_clock", dims::frequency, &D::max_clock, above(0, 10e9), kRequired,
                        "Highest clock. H100 SXM 1980 MHz [P] nvidia-smi."),
            quantity<D>("min_clock", dims::frequency, &D::min_clock, above(0, 10e9), kRequired,
                        "Lowest clock DVFS may choose [E]."),
            quantity<D>("min_clock_voltage_ratio", dims::dimensionless, &D::min_clock_voltage_ratio, above(0, 1), 0.7,
                        "Voltage at min_clock over voltage at max_clock; voltage is linear in clock between [E]. With "
                        "0.65, capping an H100 from 700 to 600 W costs 11 % of clock (published: 10-15 % of step "
                        "time [S])."),
            quantity<D>("junction_heat_capacity", dims::heat_capacity, &D::junction_heat_capacity, above(0, 1e6),
                        kRequired, "Die and package; die and cold plate time constants are 1-10 s [E]."),
            quantity<D>("plate_heat_capacity", dims::heat_capacity, &D::plate_heat_capacity, above(0, 1e6), kRequired,
                        "Cold plate (or heat sink) and the coolant in it."),
            quantity<D>("junction_to_plate_resistance", dims::thermal_resistance, &D::junction_to_plate_resistance,
                        above(0, 100), kRequired,
                        "Junction to cold plate. Junction to coolant in total is 0.02-0.05 K/W per GPU [E]."),
            quantity<D>("plate_to_coolant_resistance", dims::thermal_resistance, &D::plate_to_coolant_resistance,
                        above(0, 100), kRequired,
                        "Cold plate to the coolant (air cooling: heat sink to the air) at the nominal flow."),
            quantity<D>("nominal_coolant_flow", dims::volume_flow, &D::nominal_coolant_flow, in(0, 1), 0.0,
                        "Coolant flow per device at which plate_to_coolant_resistance holds; the device's share of "
                        "its rack's flow sets the actual resistance. 0: no flow dependence. 1.5 L/min/kW [S] OCP."),
            quantity<D>("nominal_air_flow", dims::volume_flow, &D::nominal_air_flow, in(0, 10), 0.0,
                        "Air cooling: fan flow per device at which the heat-sink resistance holds. 0: no flow dependence."),
            quantity<D>("flow_exponent", dims::dimensionless, &D::flow_exponent, in(0, 2), 0.8,
                        "n in R(flow) = R_nom (flow_nom / flow)^n; 0.8 for turbulent forced convection (Dittus-Boelter)."),
            quantity<D>("slowdown_temperature", dims::temperature, &D::slowdown_temperature, kTemperatureRange,
                        kRequired, "Junction temperature at which thermal throttling starts (an event). H100 89 degC "
                                   "[P] nvidia-smi."),
            quantity<D>("slowdown_band", dims::temperature_difference, &D::slowdown_band, above(0, 50), 2.0,
                        "The clock falls linearly from max_clock at slowdown_temperature to min_clock this much above [E]."),
            quantity<D>("shutdown_temperature", dims::temperature, &D::shutdown_temperature, kTemperatureRange,
                        kRequired, "Junction temperature at which the device drops out (an event; its job stalls). "
                                   "H100 92 degC [P] nvidia-smi."),
            P("memory_power", &D::memory_power, 0.0, "Memory (HBM) power at activity 1, part of max_power; > 0 adds a memory thermal node [E]."),
            P("memory_idle_power", &D::memory_idle_power, 0.0, "Memory power at activity 0 [E]."),
            quantity<D>("memory_heat_capacity", dims::heat_capacity, &D::memory_heat_capacity, in(0, 1e6), 0.0,
                        "Memory stacks; required when memory_power > 0."),
            quantity<D>("memory_to_plate_resistance", dims::thermal_resistance, &D::memory_to_plate_resistance,
                        in(0, 100), 0.0, "Memory to cold plate; required when memory_power > 0."),
            quantity<D>("memory_max_temperature", dims::temperature, &D::memory_max_temperature, kTemperatureRange,
                        kC + 95, "Memory limit, reported as an event. H100 HBM 95 degC [P] nvidia-smi."),
        },
        [](const D& d, const Node& n, Reader& r, const std::string& path) {
            auto pw = [](double v) { return format_quantity(v, dims::power); };
            if (!(d.max_power > d.idle_power + d.leakage_power + d.memory_power))
                r.fail(value_loc(n, "max_power"), join(path, "max_power"),
                       fmt::format("max_power ({}) must exceed idle_power + leakage_power + memory_power ({} + {} + {} "
                                   "= {}): the rest is the dynamic power at activity 1",
                                   pw(d.max_power), pw(d.idle_power), pw(d.leakage_power), pw(d.memory_power),
                                   pw(d.idle_power + d.leakage_power + d.memory_power)));
            if (!(d.slowdown_temperature < d.shutdown_temperature))
                r.fail(value_loc(n, "slowdown_temperature"), join(path, "slowdown_temperature"),
                       fmt::format("slowdown_temperature ({}) must be below shutdown_temperature ({})",
                                   format_quantity(d.slowdown_temperature, dims::temperature),
                                   format_quantity(d.shutdown_temperature, dims::temperature)));
            if (!(d.min_clock <= d.max_clock))
                r.fail(value_loc(n, "min_clock"), join(path, "min_clock"),
                       fmt::format("min_clock ({}) must not exceed max_clock ({})", format_quantity(d.min_clock, dims::frequency),
                                   format_quantity(d.max_clock, dims::frequency)));
            if (!(d.power_cap >= d.power_cap_min && d.power_cap <= d.max_power))
                r.fail(value_loc(n, "power_cap"), join(path, "power_cap"),
                       fmt::format("power_cap ({}) must be within the device's range, power_cap_min to max_power ({} to {})",
                                   pw(d.power_cap), pw(d.power_cap_min), pw(d.max_power)));
            if (d.memory_power > 0 && !(d.memory_heat_capacity > 0 && d.memory_to_plate_resistance > 0))
                r.fail(value_loc(n, "memory_power"), join(path, "memory_power"),
                       "a device with memory_power needs memory_heat_capacity and memory_to_plate_resistance");
            if (!(d.memory_idle_power <= d.memory_power))
                r.fail(value_loc(n, "memory_idle_power"), join(path, "memory_idle_power"),
                       fmt::format("memory_idle_power ({}) must not exceed memory_power ({})", pw(d.memory_idle_power),
                                   pw(d.memory_power)));
        }};
    return t;
}

const Table<RackDeviceGroupSpec>& device_group_table() {
    using G = RackDeviceGroupSpec;
    static const Table<G> t{
        "rack_types.<name>.devices.<name>", "A group of identical devices in a rack.",
        {
            name_ref<G>("type", &G::type, "device_types", "device type", "A name from `device_types`."),
            integer<G>("count", &G::count, 1, 1000, "How many of these devices the rack holds (NVL72: 72 GPUs)."),
        }};
    return t;
}

const Table<RackTypeSpec>& rack_type_table() {
    using R = RackTypeSpec;
    static const Table<R> t{
        "rack_types.<name>",
        "A kind of rack, defined once and placed by rows. Its devices' cold plates share one well-mixed coolant "
        "volume fed from the facility supply.",
        {
            named_map<R, RackDeviceGroupSpec>("devices", device_group_table(),
                             +[](R& r, RackDeviceGroupSpec&& g) { r.devices.push_back(std::move(g)); },
                             "Device groups by name, e.g. `gpu: { type: h100, count: 32 }`."),
            quantity<R>("coolant_flow", dims::volume_flow, &R::coolant_flow, above(0, 1), kRequired,
                        "Coolant flow through the rack manifold. Sizing: 1.5 L/min/kW (1.25-2.0) for dT <= 10 K [S] "
                        "OCP."),
            quantity<R>("coolant_volume", dims::volume, &R::coolant_volume, above(0, 10), kRequired,
                        "Coolant in the rack loop (manifolds, hoses, cold plates), treated as well mixed."),
            quantity<R>("other_power", dims::power, &R::other_power, in(0, 10e6), kRequired,
                        "Constant IT power besides the devices (NICs, switches, fans, memory); heats the hall air."),
            section<R, PowerShelfSpec>("power_shelf", power_shelf_table(), +[](R& r) -> PowerShelfSpec& { return r.power_shelf; },
                                       true, "The rack's power conversion."),
            quantity<R>("server_air_flow", dims::volume_flow, &R::server_air_flow, in(0, 100), 0.0,
                        "Total server fan flow through the rack; required when it holds air-cooled devices, whose "
                        "heat sinks share it equally."),
            quantities<R>("size", dims::length, {&R::width, &R::depth, &R::height}, above(0, 10), std::vector<double>{0.6, 1.2, 2.3},
                       "[width, depth, height] for visualisation; the default is a 600 x 1200 mm, 48U rack."),
        }};
    return t;
}

const Table<HallSpec>& hall_air_table() {
    using H = HallSpec;
    static const Table<H> t{
        "halls.<name>.air", "The air of the hall, cooled by air handlers (CRAH).",
        {
            quantity<H>("heat_capacity", dims::heat_capacity, &H::air_heat_capacity, above(0, 1e12), kRequired,
                        "Hall air plus the mass that exchanges heat with it quickly."),
            quantity<H>("cooling_conductance", dims::conductance, &H::air_cooling_conductance, above(0, 1e10),
                        0.0, "Without `crah`: heat transfer from the hall air to a held air-side supply."),
            quantity<H>("supply_temperature", dims::temperature, &H::air_supply_temperature, kTemperatureRange,
                        0.0, "Without `crah`: the held air-side supply temperature."),
            choice<H>("class", &H::air_class, {"A1", "A2", "A3", "A4"}, std::string{},
                      "ASHRAE air class; the server inlet (the hall air) is checked against its allowable maximum: "
                      "A1 32, A2 35, A3 40, A4 45 degC (recommended 18-27 degC) [S]."),
        }};
    return t;
}

const Table<CrahSpec>& crah_table() {
    using C = CrahSpec;
    static const Table<C> t{
        "halls.<name>.crah",
        "Air handlers (CRAH units or fan walls) of the hall: their fans pull the hall air through coils on the "
        "facility water, q = eps C_min (T_air - T_water) (counterflow epsilon-NTU). Fans run at constant speed; "
        "their heat stays in the hall.",
        {
            quantity<C>("air_flow", dims::volume_flow, &C::air_flow, above(0, 1e4), kRequired, "Air flow of all units."),
            quantity<C>("water_flow", dims::volume_flow, &C::water_flow, above(0, 100), kRequired,
                        "Facility water through all coils."),
            quantity<C>("ua", dims::conductance, &C::ua, above(0, 1e9), kRequired, "Conductance of all coils."),
            quantity<C>("fan_power", dims::power, &C::fan_power, in(0, 1e8), kRequired, "All fans."),
        }};
    return t;
}

const Table<RowSpec>& row_table() {
    using W = RowSpec;
    static const Table<W> t{
        "halls.<name>.rows.<name>", "A row of identical racks; it gives each rack a floor position.",
        {
            name_ref<W>("rack", &W::rack, "rack_types", "rack type", "A name from `rack_types`."),
            integer<W>("count", &W::count, 1, 10000, "Racks in the row."),
            quantities<W>("origin", dims::length, {&W::origin_x, &W::origin_y}, in(-1e4, 1e4), std::nullopt,
                       "[x, y] floor position of the first rack's corner."),
            quantity<W>("pitch", dims::length, &W::pitch, above(0, 100), 0.6,
                        "Distance between rack origins along the row (a standard rack is 0.6 m wide)."),
            choice<W>("direction", &W::direction, {"x", "y"}, "x", "The floor axis the row runs along."),
        }};
    return t;
}

HallSpec& hall_self(HallSpec& h) { return h; }

const Table<HallSpec>& hall_table() {
    using H = HallSpec;
    static const Table<H> t{
        "halls.<name>", "A data hall: one air volume and rows of racks.",
        {
            section<H, H>("air", hall_air_table(), hall_self, true, "The hall air."),
            named_map<H, RowSpec>("rows", row_table(), +[](H& h, RowSpec&& r) { h.rows.push_back(std::move(r)); },
                                  "Rows by name, in file order."),
            optional_section<H, BuswaySpec>("busway", busway_table(), +[](H& h) -> BuswaySpec& { return h.busway; },
                                            "The hall's busway."),
            optional_section<H, CrahSpec>("crah", crah_table(), +[](H& h) -> CrahSpec& { return h.crah; },
                                          "Air handlers on facility water (instead of a held air supply)."),
        },
        [](const H& h, const Node& n, Reader& r, const std::string& path) {
            const Node* air = child(n, "air");
            for (const char* key : {"cooling_conductance", "supply_temperature"}) {
                const Entry* e = air ? air->find(key) : nullptr;
                if (h.crah.present && e)
                    r.fail(e->key_loc, join(join(path, "air"), key),
                           "the hall has `crah`: its air is cooled by the air handlers, not a held supply");
                if (!h.crah.present && !e)
                    r.fail(air ? air->loc : n.loc, join(join(path, "air"), key),
                           fmt::format("missing required key \"{}\" (or give the hall `crah`)", key));
            }
        }};
    return t;
}

// A schedule step: `value` holds from `at` on.
Table<ActivityStep> step_table_of(std::string title, std::string intro, const Dimension& dim, Range range,
                                  std::string value_desc) {
    return {std::move(title), std::move(intro),
            {
                quantity<ActivityStep>("at", dims::time, &ActivityStep::at, in(0, 100 * kYear), kRequired,
                                       "Simulated time from which `value` holds."),
                quantity<ActivityStep>("value", dim, &ActivityStep::value, range, kRequired, std::move(value_desc)),
            }};
}

const Table<ActivityStep>& step_table() {
    static const Table<ActivityStep> t = step_table_of(
        "workload.activity[]", "One step of an activity schedule (also `workload.jobs.<name>.activity[]`).",
        dims::dimensionless, in(0, 1), "Activity, 0 (idle) to 1 (full load).");
    return t;
}

const Table<ActivityStep>& power_step_table() {
    static const Table<ActivityStep> t = step_table_of(
        "workload.jobs.<name>.power_limit[]", "One step of an external power limit on every member of a job.",
        dims::power, above(0, 10e3),
        "Limit per device, passed down by the site (a power-capping controller, a utility request); throttling it "
        "causes is reported as `external`.");
    return t;
}

// Steps sorted by time, the first at 0 s: the schedule has a value from the start.
void check_steps(const std::vector<ActivityStep>& steps, const Node* list_node, const std::string& path, Reader& r) {
    if (!list_node) return;
    for (size_t i = 0; i < steps.size(); ++i) {
        const bool first_late = i == 0 && steps[0].at != 0, out_of_order = i > 0 && !(steps[i].at > steps[i - 1].at);
        if (!first_late && !out_of_order) continue;  // the place and key path only for a message
        std::string p = join(join(path, std::to_string(i)), "at");
        Loc at = value_loc(list_node->items[i], "at");
        if (first_late)
            r.fail(at, p, fmt::format("the first step must be at 0 s (the schedule needs a value from the start), "
                                      "found {}", format_quantity(steps[0].at, dims::time)));
        if (out_of_order)
            r.fail(at, p, fmt::format("steps must be in increasing order of time: this step at {} follows one at {}",
                                      format_quantity(steps[i].at, dims::time),
                                      format_quantity(steps[i - 1].at, dims::time)));
    }
}

const Table<TrainingSpec>& training_table() {
    using T = TrainingSpec;
    static const Table<T> t{
        "workload.jobs.<name>.training",
        "A training profile: every iteration is a compute phase and a communication phase, every member in step; "
        "checkpoints pause the iterations at start + k interval; a start ramp scales the activity above idle.",
        {
            quantity<T>("start", dims::time, &T::start, in(0, 100 * kYear), 0.0, "The first iteration."),
            quantity<T>("stop", dims::time, &T::stop, in(0, 100 * kYear), 0.0, "Idle from then on; 0 s: never."),
            quantity<T>("iteration_period", dims::time, &T::iteration_period, above(0, kDay), kRequired,
                        "Mean period of one iteration."),
            quantity<T>("compute_fraction", dims::dimensionless, &T::compute_fraction, above(0, 1), 0.7,
                        "Share of each iteration in the compute phase."),
            quantity<T>("compute_activity", dims::dimensionless, &T::compute_activity, in(0, 1), 1.0,
                        "Activity in the compute phase."),
            quantity<T>("communication_activity", dims::dimensionless, &T::communication_activity, in(0, 1), 0.3,
                        "Activity in the communication phase."),
            quantity<T>("idle_activity", dims::dimensionless, &T::idle_activity, in(0, 1), 0.0,
                        "Activity before start and after stop."),
            quantity<T>("jitter", dims::dimensionless, &T::jitter, in(0, 0.3), 0.0,
                        "Relative standard deviation of the iteration period (seeded: the same seed, the same run)."),
            integer<T>("seed", &T::seed, 0, 2147483647, "Seed of the jitter.", 0),
            quantity<T>("checkpoint_interval", dims::time, &T::checkpoint_interval, in(0, kYear), 0.0,
                        "Between checkpoint starts (wall-clock, from start); 0 s: no checkpoints."),
            quantity<T>("checkpoint_duration", dims::time, &T::checkpoint_duration, in(0, kDay), 0.0,
                        "Length of each checkpoint; less than the interval."),
            quantity<T>("checkpoint_activity", dims::dimensionless, &T::checkpoint_activity, in(0, 1), 0.0,
                        "Activity during a checkpoint."),
            quantity<T>("ramp_duration", dims::time, &T::ramp_duration, in(0, kDay), 0.0,
                        "Start ramp of the activity above idle; 0 s: full activity at start."),
            integer<T>("ramp_steps", &T::ramp_steps, 0, 1000, "0: a linear ramp; n: n equal steps.", 0),
            choice<T>("resolution", &T::resolution, {"iterations", "averaged"}, std::string("iterations"),
                      "iterations: every phase resolved; averaged: the iteration-averaged activity (long runs), the "
                      "swing reported in the summary."),
        },
        [](const T& p, const Node& n, Reader& r, const std::string& path) {
            if (p.stop > 0 && !(p.stop > p.start))
                r.fail(value_loc(n, "stop"), join(path, "stop"), "stop must come after start");
            if (p.checkpoint_interval > 0 && !(p.checkpoint_duration < p.checkpoint_interval))
                r.fail(value_loc(n, "checkpoint_duration"), join(path, "checkpoint_duration"),
                       "a checkpoint must be shorter than the interval between checkpoints");
        }};
    return t;
}

const Table<InferenceSpec>& inference_table() {
    using I = InferenceSpec;
    static const Table<I> t{
        "workload.jobs.<name>.inference",
        "An inference profile: activity = batch_utilisation x (mean_demand + amplitude cos(2 pi (clock - peak_time) "
        "/ 1 d)) between start and stop, idle otherwise.",
        {
            quantity<I>("start", dims::time, &I::start, in(0, 100 * kYear), 0.0, "Serving begins."),
            quantity<I>("stop", dims::time, &I::stop, in(0, 100 * kYear), 0.0, "Idle from then on; 0 s: never."),
            quantity<I>("mean_demand", dims::dimensionless, &I::mean_demand, in(0, 1), 0.6,
                        "Daily mean demand, a fraction of capacity."),
            quantity<I>("amplitude", dims::dimensionless, &I::amplitude, in(0, 1), 0.3,
                        "Half the peak-to-trough swing of the demand; mean +- amplitude stays within 0..1."),
            quantity<I>("peak_time", dims::time, &I::peak_time, in(0, kDay), 14 * 3600.0,
                        "Clock time (after midnight) of the daily peak."),
            quantity<I>("time_of_day_at_start", dims::time, &I::time_of_day_at_start, in(0, kDay), 0.0,
                        "Clock time (after midnight) at t = 0."),
            quantity<I>("batch_utilisation", dims::dimensionless, &I::batch_utilisation, in(0, 1), 0.8,
                        "Activity at full demand."),
            quantity<I>("idle_activity", dims::dimensionless, &I::idle_activity, in(0, 1), 0.0,
                        "Activity outside serving."),
        },
        [](const I& p, const Node& n, Reader& r, const std::string& path) {
            if (p.stop > 0 && !(p.stop > p.start))
                r.fail(value_loc(n, "stop"), join(path, "stop"), "stop must come after start");
            if (p.mean_demand - p.amplitude < 0 || p.mean_demand + p.amplitude > 1)
                r.fail(value_loc(n, "amplitude"), join(path, "amplitude"),
                       fmt::format("mean_demand +- amplitude must stay within 0..1 (found {:.3g} +- {:.3g})",
                                   p.mean_demand, p.amplitude));
        }};
    return t;
}

const Table<TraceJobSpec>& trace_job_table() {
    using T = TraceJobSpec;
    static const Table<T> t{
        "workload.jobs.<name>.trace",
        "Replays measured logs: `nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv` "
        "output or a `time, device, value` table (see the trace formats below the reference). Member k of the job, in "
        "build order, replays the trace's device k modulo their number, interpolated linearly. Power becomes activity "
        "through the member's own power figures at the leakage reference temperature: (P - idle - leakage - idle "
        "memory) / (max - the same), at least 0.",
        {
            text<T>("file", &T::file, std::nullopt, "The trace file; a relative path is taken from the site file's folder."),
            choice<T>("quantity", &T::quantity, {"power", "utilization"}, std::string("power"),
                      "Which series drives the activity: power draw, or GPU utilisation taken as the activity."),
            quantity<T>("start", dims::time, &T::start, in(0, 100 * kYear), 0.0, "Simulation time of the trace's first sample."),
            boolean<T>("repeat", &T::repeat, false, "Loop the trace; otherwise its first and last values hold outside it."),
        }};
    return t;
}

const Table<SmoothingSpec>& smoothing_table() {
    using S = SmoothingSpec;
    static const Table<S> t{
        "workload.jobs.<name>.smoothing",
        "GPU power smoothing on every member (the settings of NVIDIA's power-smoothing profiles): a floor the power "
        "never drops below, and limits on how fast it rises and falls, the fall only after the request has stayed "
        "below for the hysteresis. It acts on the job's activity, with the power figures of the job's first member "
        "(put GPUs and CPUs in separate jobs). The summary reports the energy it burns and holds back.",
        {
            quantity<S>("floor", dims::dimensionless, &S::floor, in(0, 0.9), 0.0,
                        "Minimum power as a fraction of the device's max_power (products: 20-90 %); 0: none."),
            quantity<S>("ramp_up_rate", dims::power_ramp, &S::ramp_up_rate, in(0, 1e9), 0.0,
                        "Largest rise of a device's power; 0: unlimited."),
            quantity<S>("ramp_down_rate", dims::power_ramp, &S::ramp_down_rate, in(0, 1e9), 0.0,
                        "Largest fall of a device's power; 0: unlimited."),
            quantity<S>("ramp_down_hysteresis", dims::time, &S::ramp_down_hysteresis, in(0, 3600), 0.0,
                        "How long the request must stay below the drawn power before it falls."),
            quantity<S>("sample_interval", dims::time, &S::sample_interval, in(1e-4, 1), 0.01,
                        "Step of the filter (at most 20 million steps per run)."),
        }};
    return t;
}

const Table<JobSpec>& job_table() {
    using J = JobSpec;
    static const Table<J> t{
        "workload.jobs.<name>",
        "A job over a group of devices. Its members switch activity together; a training job is synchronous and "
        "advances at the pace of its slowest member (a member that drops out stalls it). Devices in no job idle.",
        {
            texts<J>("members", &J::members, "(every device)",
                     "Path prefixes of the devices it runs on: a hall, a row or a rack (`hall1`, `hall1/rowA`, "
                     "`hall1/rowA/rack02`) or a device (`hall1/rowA/rack02/gpu3`). A device is in one job at most."),
            kind<J>("kind", &J::kind, JobKind::training,
                      "training: synchronous, at the slowest member's pace; independent: the members' mean pace."),
            list<J, ActivityStep>("activity", step_table(), &J::activity,
                                  "Activity steps: sorted, the first at 0 s. Give this, `training` or `inference`.",
                                  false),
            optional_section<J, TrainingSpec>("training", training_table(),
                                              +[](J& j) -> TrainingSpec& { return j.training; },
                                              "A training profile (iterations, checkpoints, start ramp)."),
            optional_section<J, InferenceSpec>("inference", inference_table(),
                                               +[](J& j) -> InferenceSpec& { return j.inference; },
                                               "An inference profile (daily demand)."),
            optional_section<J, TraceJobSpec>("trace", trace_job_table(),
                                              +[](J& j) -> TraceJobSpec& { return j.trace; },
                                              "A replayed trace of measured power or utilisation."),
            optional_section<J, SmoothingSpec>("smoothing", smoothing_table(),
                                               +[](J& j) -> SmoothingSpec& { return j.smoothing; },
                                               "Power smoothing of its members (floor, ramp rates)."),
            list<J, ActivityStep>("power_limit", power_step_table(), &J::power_limit,
                                  "External power limit steps per device: sorted, the first at 0 s.", false),
        },
        [](const J& j, const Node& n, Reader& r, const std::string& path) {
            const int given = int(n.find("activity") != nullptr) + int(j.training.present) + int(j.inference.present) +
                              int(j.trace.present);
            if (given != 1)
                r.fail(n.loc, path,
                       given == 0 ? "missing `activity`, `training`, `inference` or `trace`: what the job does"
                                  : "give one of `activity`, `training`, `inference` or `trace`, not several");
            check_steps(j.activity, child(n, "activity"), join(path, "activity"), r);
            check_steps(j.power_limit, child(n, "power_limit"), join(path, "power_limit"), r);
        }};
    return t;
}

SiteSpec& site_self(SiteSpec& s) { return s; }

const Table<SiteSpec>& workload_table() {
    static const Table<SiteSpec> t{
        "workload", "What the devices do over time: one activity schedule for every device, or jobs.",
        {
            list<SiteSpec, ActivityStep>("activity", step_table(), &SiteSpec::activity,
                                         "One job over every device (named `site`): steps sorted by `at`, the first "
                                         "at 0 s. Give this or `jobs`.", false),
            named_map<SiteSpec, JobSpec>("jobs", job_table(),
                                         +[](SiteSpec& s, JobSpec&& j) { s.jobs.push_back(std::move(j)); },
                                         "Jobs by name. Give this or `activity`.", false),
        },
        [](const SiteSpec& s, const Node& n, Reader& r, const std::string& path) {
            const bool a = n.find("activity"), j = n.find("jobs");
            if (a == j)
                r.fail(a ? n.find("jobs")->key_loc : n.loc, path,
                       a ? "give either `activity` (one job over every device) or `jobs`, not both"
                         : "missing `activity` or `jobs`: what the devices do");
            check_steps(s.activity, child(n, "activity"), join(path, "activity"), r);
        }};
    return t;
}

const Table<VariabilitySpec>& variability_table() {
    using V = VariabilitySpec;
    static const Table<V> t{
        "variability",
        "Manufacturing spread between devices of one type, sampled per device from a seeded stream: the same seed "
        "gives the same site on every machine.",
        {
            [] {
                Param p;
                p.key = "seed";
                p.kind = Kind::integer;
                p.required = false;
                p.default_text = "1";
                p.range = in(0, 9.0e15);
                p.description = "Seed of the random stream.";
                return Field<V>{p, [](V& v, const Param& p, const Slot& s, Reader& r) {
                                    v.seed = s.entry ? std::uint64_t(r.integer(s.entry->value, p, s.path)) : 1;
                                }};
            }(),
            quantity<V>("thermal_resistance", dims::dimensionless, &V::thermal_resistance, in(0, 0.5), 0.0,
                        "Relative standard deviation of a device's thermal resistances (both scaled together)."),
            quantity<V>("leakage", dims::dimensionless, &V::leakage, in(0, 1), 0.0,
                        "Relative standard deviation of a device's leakage power."),
        }};
    return t;
}


const Table<SiteSpec>& site_info_table() {
    static const Table<SiteSpec> t{
        "site", "What the file describes.",
        {
            text<SiteSpec>("name", &SiteSpec::name, kRequired, "Name of the site, written into results."),
            text<SiteSpec>("description", &SiteSpec::description, std::string{}, "One line about the site."),
        }};
    return t;
}

const Table<SiteSpec>& root_table() {
    using S = SiteSpec;
    static const Table<S> t{
        "", "The sections of a site file.",
        {
            [] {
                Param p;
                p.key = "dctwin";
                p.kind = Kind::integer;
                p.range = in(kSiteFormatVersion, kSiteFormatVersion);
                p.description = "Format version of the file; this dctwin reads format 1.";
                return Field<S>{p, [](S& s, const Param& p, const Slot& slot, Reader& r) {
                                    Param any = p;
                                    any.range = {};
                                    long long v = r.integer(slot.entry->value, any, slot.path);
                                    if (v != kSiteFormatVersion)
                                        r.fail(slot.entry->value.loc, slot.path,
                                               fmt::format("this file is format {}, this dctwin reads format {}", v,
                                                           kSiteFormatVersion));
                                    s.format_version = static_cast<int>(v);
                                }};
            }(),
            section<S, S>("site", site_info_table(), site_self, true, "Name and description."),
            section<S, SimulationSpec>("simulation", simulation_table(), +[](S& s) -> SimulationSpec& { return s.simulation; },
                                       false, "Simulated time, output and solver settings."),
            section<S, AmbientSpec>("ambient", ambient_table(), +[](S& s) -> AmbientSpec& { return s.ambient; }, true,
                                    "Outdoor conditions."),
            section<S, CoolantSpec>("coolant", coolant_table(), +[](S& s) -> CoolantSpec& { return s.coolant; }, true,
                                    "The facility liquid loop."),
            section<S, FacilitySpec>("facility", facility_table(), +[](S& s) -> FacilitySpec& { return s.facility; },
                                     true, "Pump and heat rejection."),
            section<S, PowerSpec>("power", power_table(), +[](S& s) -> PowerSpec& { return s.power; }, true,
                                  "Power distribution."),
            named_map<S, DeviceTypeSpec>("device_types", device_type_table(),
                                         +[](S& s, DeviceTypeSpec&& d) { s.device_types.emplace(d.name, std::move(d)); },
                                         "Device types by name."),
            named_map<S, RackTypeSpec>("rack_types", rack_type_table(),
                                       +[](S& s, RackTypeSpec&& r) { s.rack_types.emplace(r.name, std::move(r)); },
                                       "Rack types by name."),
            named_map<S, HallSpec>("halls", hall_table(), +[](S& s, HallSpec&& h) { s.halls.push_back(std::move(h)); },
                                   "Halls by name, in file order."),
            named_map<S, CduSpec>("cdus", cdu_table(), +[](S& s, CduSpec&& c) { s.cdus.push_back(std::move(c)); },
                                  "Coolant distribution units by name; without them racks take facility water directly.",
                                  false),
            section<S, S>("workload", workload_table(), site_self, true, "What the devices do."),
            list<S, ScenarioEvent>("scenario", scenario_event_table(), &S::scenario,
                                   "Events: utility outages, generator, PSU and PDU failures, cooling faults; in order of time.",
                                   false),
            section<S, VariabilitySpec>("variability", variability_table(),
                                        +[](S& s) -> VariabilitySpec& { return s.variability; }, false,
                                        "Spread between devices (none by default)."),
        }};
    return t;
}


}  // namespace dctwin::schema
