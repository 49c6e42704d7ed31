// The site format's tables for the run and the cooling chain: simulation, solver, ambient,
// coolants, economiser, chiller, plant, facility loop, CDUs.

#include "input/site_tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace dctwin::schema {

// --- the tables -------------------------------------------------------------------------

const Table<SolverSpec>& solver_table() {
    static const Table<SolverSpec> t{
        "simulation.solver", "Settings of the integrator (CVODE's BDF or ARKODE's ESDIRK, with Newton iterations). All optional.",
        {
            quantity<SolverSpec>("rtol", dims::dimensionless, &SolverSpec::rtol, in(1e-12, 1e-2), 1e-6,
                                 "Relative tolerance of every state."),
            quantity<SolverSpec>("atol_temperature", dims::temperature_difference, &SolverSpec::atol_temperature,
                                 above(0, 10), 1e-2,
                                 "Absolute tolerance of temperature states (junctions, plates, coolant, air); the "
                                 "absolute tolerances of the other states (energies, tallies, controls) scale with "
                                 "it. The error of every junction stays within a few times it (bench/accuracy.sh)."),
            quantity<SolverSpec>("max_step", dims::time, &SolverSpec::max_step, in(0, 100 * kYear), 0.0,
                                 "Largest step the integrator may take; 0 s means no limit."),
            choice<SolverSpec>("jacobian", &SolverSpec::jacobian, {"analytic", "finite-difference"}, "analytic",
                               "`analytic`: sparse Jacobian from each component; `finite-difference`: CVODE's "
                               "difference quotients (slower, for checking)."),
            choice<SolverSpec>("linear_solver", &SolverSpec::linear_solver, {"block", "klu", "dense"}, "block",
                               "`block`: each device's states eliminated onto the shared nodes, KLU on the reduced "
                               "system (fastest, scales with the site); `klu`: sparse LU of the whole Newton matrix; "
                               "`dense`: only for tiny sites and debugging."),
            choice<SolverSpec>("method", &SolverSpec::method, {"bdf", "esdirk"}, "bdf",
                               "`bdf`: CVODE's variable-order BDF (the fastest on every site measured); `esdirk`: "
                               "ARKODE's ESDIRK324L2SA (order 3, L-stable, one-step), an independent method to "
                               "check a result against, 1.5 to 4 times the work (bench/README.md)."),
        }};
    return t;
}

SolverSpec& solver_of(SimulationSpec& s) { return s.solver; }

const Table<SimulationSpec>& simulation_table() {
    static const Table<SimulationSpec> t{
        "simulation", "How long to simulate and what to write. The whole section is optional.",
        {
            quantity<SimulationSpec>("duration", dims::time, &SimulationSpec::duration, above(0, 100 * kYear), 3600.0,
                                     "Simulated time span; `dctwin run --duration` overrides it."),
            quantity<SimulationSpec>("output_interval", dims::time, &SimulationSpec::output_interval, in(1e-3, kYear), 10.0,
                                     "Simulated time between rows of the results file (at most 100 million rows per "
                                     "run)."),
            quantity<SimulationSpec>("flush_interval", dims::time, &SimulationSpec::flush_interval, above(0, kDay), 5.0,
                                     "Wall-clock time between flushes of the results file; a killed run keeps what was "
                                     "flushed."),
            boolean<SimulationSpec>("write_states", &SimulationSpec::write_states, true,
                                    "Write the series of every state (every temperature, every device) to the results file."),
            quantity<SimulationSpec>("grid_sample_interval", dims::time, &SimulationSpec::grid_sample_interval,
                                     in(0, kDay), 0.0,
                                     "Step at which the grid power is sampled for the grid analysis of the summary "
                                     "(ramp rates, dynamic range, spectrum); 0 s: at the output rows. Resolving the "
                                     "2-20 Hz band takes 25 ms or less. At most 20 million samples per run."),
            choice<SimulationSpec>("lumping", &SimulationSpec::lumping, {"none", "identical"}, "none",
                                   "`identical`: the devices of a rack that are identical (one type, one manufacturing "
                                   "spread) under identical load (one job, one activity and limit) are modelled as one "
                                   "device standing for all of them, which gives the same answer with fewer states; "
                                   "`none`: every device is modelled."),
            choice<SimulationSpec>("mode", &SimulationSpec::mode, {"full", "power-only"}, "full",
                                   "`full`: power and heat together; `power-only`: a power study, every temperature "
                                   "and cooling controller held at the initial state (the steady state of the first "
                                   "instant, or the declared temperatures with `--cold-start`) while the electrical "
                                   "side runs: device powers at those temperatures, conversion losses, batteries, the "
                                   "grid. Thermal figures (temperatures, heat rejected, the energy balance) are then "
                                   "not computed."),
            integer<SimulationSpec>("threads", &SimulationSpec::threads, 0, 256,
                                    "Threads of one run (the loops over devices, solver blocks and vectors); 0: every "
                                    "core. The results are the same to the bit for any count. `dctwin sweep` runs "
                                    "each case on one thread when it runs several cases at once.",
                                    0),
            section<SimulationSpec, SolverSpec>("solver", solver_table(), solver_of, false, "Integrator settings."),
        }};
    return t;
}

const Table<AmbientSpec>& ambient_table() {
    using A = AmbientSpec;
    static const Table<A> t{
        "ambient",
        "The outdoor air the heat-rejection plant and the electrical room see: constant, an ASHRAE design day, or "
        "an EnergyPlus weather (EPW) file, interpolated in time.",
        {
            kind<A>("kind", &A::kind, AmbientKind::constant,
                      "constant: `temperature` (and `wet_bulb`); design_day: `max_dry_bulb`, `daily_range`, "
                      "`max_wet_bulb`; epw: `file`."),
            quantity<A>("temperature", dims::temperature, &A::temperature, in(kC - 60, kC + 60), 0.0,
                        "constant: outdoor dry-bulb temperature."),
            quantity<A>("wet_bulb", dims::temperature, &A::wet_bulb, in(kC - 60, kC + 60), 0.0,
                        "constant: outdoor wet-bulb temperature; needed by cooling towers."),
            quantity<A>("max_dry_bulb", dims::temperature, &A::max_dry_bulb, in(kC - 60, kC + 60), 0.0,
                        "design_day: the day's highest dry-bulb, e.g. the ASHRAE 0.4 % cooling design value."),
            quantity<A>("daily_range", dims::temperature_difference, &A::daily_range, in(0, 40), 0.0,
                        "design_day: highest minus lowest dry-bulb of the day."),
            quantity<A>("max_wet_bulb", dims::temperature, &A::max_wet_bulb, in(kC - 60, kC + 60), 0.0,
                        "design_day: the wet-bulb coincident with the highest dry-bulb."),
            quantity<A>("start_hour", dims::dimensionless, &A::start_hour, in(0, 24), 0.0,
                        "design_day: hour of the day at the start of the run."),
            quantity<A>("pressure", dims::pressure, &A::pressure, in(30e3, 120e3), 101325.0,
                        "constant, design_day: barometric pressure."),
            text<A>("file", &A::file, std::string{}, "epw: the weather file, relative to the site file's folder."),
            quantity<A>("start", dims::time, &A::start_offset, in(0, kYear), 0.0,
                        "epw: time from January 1, 00:00 of the file to the start of the run, e.g. `196 d` for "
                        "July 15."),
        },
        [](const A& a, const Node& n, Reader& r, const std::string& path) {
            auto need = [&](const char* key) {
                if (!n.find(key))
                    r.fail(n.loc, join(path, key),
                           fmt::format("missing required key \"{}\" for kind {}", key, kind_name(a.kind)));
            };
            auto refuse = [&](std::initializer_list<const char*> keys) {
                for (const char* key : keys)
                    if (const Entry* e = n.find(key))
                        r.fail(e->key_loc, join(path, key),
                               fmt::format("\"{}\" does not apply to kind {}", key, kind_name(a.kind)));
            };
            switch (a.kind) {
                case AmbientKind::constant:
                    need("temperature");
                    refuse({"max_dry_bulb", "daily_range", "max_wet_bulb", "start_hour", "file", "start"});
                    if (n.find("wet_bulb") && a.wet_bulb > a.temperature)
                        r.fail(value_loc(n, "wet_bulb"), join(path, "wet_bulb"), "the wet-bulb cannot exceed the dry-bulb");
                    break;
                case AmbientKind::design_day:
                    need("max_dry_bulb"), need("daily_range"), need("max_wet_bulb");
                    refuse({"temperature", "wet_bulb", "file", "start"});
                    if (a.max_wet_bulb > a.max_dry_bulb)
                        r.fail(value_loc(n, "max_wet_bulb"), join(path, "max_wet_bulb"), "the wet-bulb cannot exceed the dry-bulb");
                    break;
                case AmbientKind::epw:
                    need("file");
                    refuse({"temperature", "wet_bulb", "max_dry_bulb", "daily_range", "max_wet_bulb", "start_hour", "pressure"});
                    break;
            }
        }};
    return t;
}

// [kg/m3], [J/(kg K)] at 20 degC, /work/shared/reference/parameters.md [P].
void set_fluid(CoolantSpec& c) {
    if (c.fluid == "water") c.density = 998.2, c.specific_heat = 4180.0;
    if (c.fluid == "pg25") c.density = 1023.7, c.specific_heat = 3910.0;
}

const Table<CoolantSpec>& coolant_table() {
    static const Table<CoolantSpec> t = [] {
        Table<CoolantSpec> t{
            "coolant", "The liquid of the facility loop that every rack's cold plates are connected to.",
            {
                choice<CoolantSpec>("fluid", &CoolantSpec::fluid, {"water", "pg25"}, kRequired,
                                    "`water`: 998.2 kg/m3, 4180 J/(kg K); `pg25` (25 % propylene glycol): 1023.7 kg/m3, "
                                    "3910 J/(kg K), freezes at -9.6 degC. Both at 20 degC [P]."),
                quantity<CoolantSpec>("supply_temperature", dims::temperature, &CoolantSpec::supply_temperature,
                                      kTemperatureRange, kRequired,
                                      "Facility supply temperature: held there without `facility.plant`, the plant's "
                                      "set point with one; ASHRAE classes W17 to W45 name the maximum in degC [S]."),
                choice<CoolantSpec>("liquid_class", &CoolantSpec::liquid_class,
                                    {"W17", "W27", "W32", "W40", "W45", "W+"}, std::string{},
                                    "ASHRAE liquid class of the facility water; its maximum supply temperature is "
                                    "checked as a constraint (W+: above 45 degC, not checked) [S]."),
            },
            [](const CoolantSpec& c, const Node& n, Reader& r, const std::string& path) {
                double freeze = c.fluid == "water" ? kC : kC - 9.6;
                if (c.supply_temperature <= freeze)
                    r.fail(value_loc(n, "supply_temperature"), join(path, "supply_temperature"),
                           fmt::format("{} is at or below the freezing point of {} ({})",
                                       format_quantity(c.supply_temperature, dims::temperature), c.fluid,
                                       format_quantity(freeze, dims::temperature)));
            }};
        auto base = t.fields[0].read;
        t.fields[0].read = [base](CoolantSpec& c, const Param& p, const Slot& s, Reader& r) {
            base(c, p, s, r);
            set_fluid(c);
        };
        return t;
    }();
    return t;
}

const Table<EconomiserSpec>& economiser_table() {
    using E = EconomiserSpec;
    static const Table<E> t{
        "facility.plant.economiser",
        "Free cooling: dry coolers (sink: dry-bulb) or cooling towers (sink: wet-bulb) on the facility water, as a "
        "counterflow exchanger with the air whose conductance grows as fan speed^0.8 and whose fans draw power ~ "
        "speed^3. An integral controller sets the fan speed to bring the leaving water to the set point.",
        {
            kind<E, EconomiserKind>("kind", &E::kind, kRequired,
                      "dry_cooler: approach above dry-bulb (5-10 K [E]); cooling_tower: approach above wet-bulb, "
                      "water lost to evaporation and blow-down."),
            quantity<E>("capacity", dims::power, &E::capacity, above(0, 1e10), kRequired,
                        "Heat rejected at full fans with the design sink temperature and the facility's rated flow."),
            quantity<E>("design_temperature", dims::temperature, &E::design_temperature, in(kC - 40, kC + 60), kRequired,
                        "Sink temperature (dry-bulb or wet-bulb) at which `capacity` holds; a tower: 25.55 degC wet-bulb "
                        "[P] YorkCalc design."),
            quantity<E>("approach", dims::temperature_difference, &E::approach, above(0, 40), kRequired,
                        "Leaving water above the design sink temperature at capacity: dry coolers 5-10 K [E], towers "
                        "3.89 K [P] YorkCalc design."),
            quantity<E>("air_temperature_rise", dims::temperature_difference, &E::air_temperature_rise, above(0, 50), 0.0,
                        "Rise of the air (for a tower, of its equivalent dry air) at capacity; sets the air flow. "
                        "Default: 10 K for a dry cooler [E]; for a tower the water's range at capacity (air and water "
                        "capacity rates equal), which any approach allows, as at the YorkCalc design point [E]."),
            quantity<E>("fan_power", dims::power, &E::fan_power, in(0, 1e9), kRequired, "All fans at full speed."),
            quantity<E>("min_speed", dims::dimensionless, &E::min_speed, in(0.01, 1), 0.1, "Lowest fan speed."),
            quantity<E>("integral_time", dims::time, &E::integral_time, above(0, 86400), 300.0,
                        "Time for the fan controller to go from stop to full speed under a 1 K error."),
            quantity<E>("cycles_of_concentration", dims::dimensionless, &E::cycles, above(1, 100), 4.0,
                        "Cooling tower: blow-down = evaporation / (cycles - 1)."),
        }};
    return t;
}

const Table<ChillerSpec>& chiller_table() {
    using C = ChillerSpec;
    static const Table<C> t{
        "facility.plant.chiller",
        "A chiller after the economiser trims the facility water to the set point (DOE-2 electric EIR model: "
        "capacity = capacity_ref cap_ft(T_leaving, T_condenser); power = capacity / COP_ref eir_ft eir_fplr(PLR), "
        "temperatures in degC and clamped to the curves' range; below 10 % part load it cycles).",
        {
            quantity<C>("capacity", dims::power, &C::capacity, above(0, 1e10), kRequired, "Cooling capacity at the reference point."),
            quantity<C>("cop", dims::dimensionless, &C::cop, above(0, 30), kRequired,
                        "Coefficient of performance at the reference point (DOE-2 centrifugal: 5.50 [P])."),
            kind<C>("condenser", &C::condenser, CondenserKind::air,
                      "air: condenser at the dry-bulb; tower: condenser water at wet-bulb + `tower_approach`."),
            quantity<C>("tower_approach", dims::temperature_difference, &C::tower_approach, above(0, 30), 3.89,
                        "Condenser water above wet-bulb [P] YorkCalc design."),
            quantity<C>("condenser_fan_power", dims::specific_power, &C::condenser_fan_power, in(0, 0.5), 0.01,
                        "Condenser fans per watt rejected [E]."),
            numbers<C>("cap_ft", &C::cap_ft, {0.257896, 0.0389016, -2.1708e-4, 0.0468684, -9.4284e-4, -3.4344e-4},
                       "Capacity over (leaving chilled water x, entering condenser y) in degC: a + b x + c x^2 + d y + "
                       "e y^2 + f x y; default DOE-2 centrifugal 5.50 COP [P]."),
            numbers<C>("eir_ft", &C::eir_ft, {0.933884, -0.058212, 4.50036e-3, 2.43e-3, 4.86e-4, -1.215e-3},
                       "Energy input ratio over the same temperatures; default DOE-2 centrifugal 5.50 COP [P]."),
            numbers<C>("eir_fplr", &C::eir_fplr, {0.222903, 0.313387, 0.463710},
                       "Energy input ratio over part load: a + b PLR + c PLR^2; default DOE-2 centrifugal [P]."),
            quantities<C>("leaving_range", dims::temperature, {&C::leaving_lo, &C::leaving_hi}, in(kC - 20, kC + 60),
                       std::vector<double>{kC + 4.4, kC + 10.0},
                       "Leaving chilled-water range over which the curves hold; the default curves' range."),
            quantities<C>("condenser_range", dims::temperature, {&C::condenser_lo, &C::condenser_hi}, in(kC - 40, kC + 70),
                       std::vector<double>{kC + 12.8, kC + 35.0},
                       "Entering condenser range over which the curves hold; the default curves' range."),
        },
        [](const C& c, const Node& n, Reader& r, const std::string& path) {
            if (!(c.leaving_lo < c.leaving_hi)) r.fail(value_loc(n, "leaving_range"), join(path, "leaving_range"), "the range must increase");
            if (!(c.condenser_lo < c.condenser_hi))
                r.fail(value_loc(n, "condenser_range"), join(path, "condenser_range"), "the range must increase");
        }};
    return t;
}

const Table<PlantSpec>& plant_table() {
    using P = PlantSpec;
    static const Table<P> t{
        "facility.plant",
        "The dynamic facility loop: supply and return pipes as well-mixed segments in series (transport delay and "
        "thermal mass), a variable-speed primary pump (power ~ flow^3) delivering what the consumers draw, and the "
        "heat rejection: an economiser, a trim chiller, or both.",
        {
            quantity<P>("pipe_volume", dims::volume, &P::pipe_volume, above(0, 1e5), kRequired,
                        "Water in each of the supply and return pipes."),
            [] {
                auto f = integer<P>("pipe_segments", &P::pipe_segments, 1, 50,
                                    "Well-mixed segments per pipe: more segments, a sharper transport delay.");
                f.param.required = false;
                f.param.default_text = "4";
                return f;
            }(),
            optional_section<P, EconomiserSpec>("economiser", economiser_table(),
                                                +[](P& p) -> EconomiserSpec& { return p.economiser; },
                                                "Dry coolers or cooling towers."),
            optional_section<P, ChillerSpec>("chiller", chiller_table(), +[](P& p) -> ChillerSpec& { return p.chiller; },
                                             "Trim chiller."),
        },
        [](const P& p, const Node& n, Reader& r, const std::string& path) {
            if (!p.economiser.present && !p.chiller.present)
                r.fail(n.loc, path, "a plant needs an `economiser`, a `chiller`, or both");
        }};
    return t;
}

const Table<FacilitySpec>& facility_table() {
    static const Table<FacilitySpec> t{
        "facility", "Facility cooling: the primary pump and the heat rejection.",
        {
            quantity<FacilitySpec>("pump_head", dims::pressure, &FacilitySpec::pump_head, above(0, 10e6), kRequired,
                                   "Pressure rise of the pump across the whole loop; cold plates take about 50 kPa at "
                                   "nominal flow [P] Modelica Buildings."),
            quantity<FacilitySpec>("pump_efficiency", dims::dimensionless, &FacilitySpec::pump_efficiency, above(0, 1),
                                   kRequired, "Wire-to-water efficiency of the pump."),
            quantity<FacilitySpec>("rejection_specific_power", dims::specific_power,
                                   &FacilitySpec::rejection_specific_power, in(0, 1), 0.0,
                                   "Without `plant`: fan power of heat rejection per watt of heat returned by the "
                                   "liquid loop [E]."),
            optional_section<FacilitySpec, PlantSpec>("plant", plant_table(),
                                                      +[](FacilitySpec& f) -> PlantSpec& { return f.plant; },
                                                      "The facility loop and its heat rejection; without it the "
                                                      "supply is held at `coolant.supply_temperature`."),
        },
        [](const FacilitySpec& f, const Node& n, Reader& r, const std::string& path) {
            if (f.plant.present && n.find("rejection_specific_power"))
                r.fail(n.find("rejection_specific_power")->key_loc, join(path, "rejection_specific_power"),
                       "give either `rejection_specific_power` (a held supply) or `plant`, not both");
        }};
    return t;
}


const Table<CduSpec>& cdu_table() {
    using C = CduSpec;
    static const Table<C> t = [] {
        Table<C> t{
            "cdus.<name>",
            "A coolant distribution unit: a counterflow liquid-to-liquid exchanger between its racks' secondary loop "
            "and the facility water, a secondary pump (affinity laws), and a PI controller (integrator as state, "
            "back-calculation anti-windup) that opens the primary valve to hold the secondary supply temperature.",
            {
                texts<C>("racks", &C::racks, "",
                         "Path prefixes of the racks it serves: a hall, a row or a rack (`hall1/rowA`). A rack is "
                         "served by one CDU at most; racks with liquid-cooled devices in no CDU take facility water "
                         "directly.",
                         true),
                quantity<C>("capacity", dims::power, &C::capacity, above(0, 1e9), kRequired,
                            "Rated heat duty (units up to about 2.6 MW [S])."),
                quantity<C>("approach", dims::temperature_difference, &C::approach, above(0, 30), 3.0,
                            "Secondary supply above facility supply at rated duty with the valve open: 3-5 K [S]."),
                quantity<C>("supply_temperature", dims::temperature, &C::supply_temperature, kTemperatureRange, kRequired,
                            "Secondary supply set point (17-45 degC [S])."),
                quantity<C>("primary_flow", dims::volume_flow, &C::primary_flow, above(0, 100), kRequired,
                            "Facility water with the valve fully open."),
                quantity<C>("pump_head", dims::pressure, &C::pump_head, above(0, 10e6), kRequired,
                            "Secondary pump pressure rise at rated flow (the racks' flows summed)."),
                quantity<C>("pump_efficiency", dims::dimensionless, &C::pump_efficiency, above(0, 1), 0.7,
                            "Wire-to-water efficiency of the secondary pump [E]."),
                quantity<C>("volume", dims::volume, &C::volume, above(0, 1000), kRequired,
                            "Secondary fluid in the exchanger and supply header."),
                choice<C>("fluid", &C::fluid, {"water", "pg25"}, std::string("water"),
                          "Secondary fluid (properties as in `coolant.fluid`)."),
                quantity<C>("gain", dims::inverse_temperature, &C::gain, above(0, 100), 0.1,
                            "Proportional gain: valve opening per kelvin above the set point [E]."),
                quantity<C>("integral_time", dims::time, &C::integral_time, above(0, 86400), 60.0,
                            "Integral time of the valve controller [E]."),
                quantity<C>("min_valve", dims::dimensionless, &C::min_valve, in(0.001, 1), 0.05,
                            "Lowest valve opening (minimum flow) [E]."),
            }};
        auto base = t.fields[9].read;  // fluid
        t.fields[9].read = [base](C& c, const Param& p, const Slot& s, Reader& r) {
            base(c, p, s, r);
            if (c.fluid == "pg25") c.density = 1023.7, c.specific_heat = 3910.0;
        };
        return t;
    }();
    return t;
}


}  // namespace dctwin::schema
