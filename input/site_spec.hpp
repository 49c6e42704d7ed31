#pragma once
// The validated site: what the loader produces from a site file and what the model builder
// consumes. Every value is SI (temperatures in kelvin); every object keeps the place in the
// file it came from, so that errors found later (while building the network) still point at
// the user's text.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dctwin {

/// A place in an input text. line and col are 1-based; line 0 means "no place known".
struct SourceLoc {
    std::string file;
    int line = 0;
    int col = 0;
};

/// Electrical conversion stage in the form P_in = (P_out + no_load_loss) / efficiency
/// (the rack-conversion form of ExaDigiT RAPS). Loss = P_in - P_out becomes heat.
struct ConversionSpec {
    double efficiency = 0.96;   ///< [1] at any load, 0 < eta <= 1
    double no_load_loss = 0.0;  ///< [W] constant term c
    double rating = 0.0;        ///< [W] output rating (reported, checked later as a constraint)
    SourceLoc loc;
};

/// A point of an efficiency curve.
struct CurvePoint {
    double load = 0.0;        ///< [1] fraction of the unit's rating
    double efficiency = 0.0;  ///< [1]
    SourceLoc loc;
};

/// The rack power shelf: either a lumped linear stage (ConversionSpec) or PSUs on an
/// efficiency curve sharing the load, with spares.
struct PowerShelfSpec : ConversionSpec {
    int psu_count = 0;                ///< 0: the lumped form
    double psu_rating = 0.0;          ///< [W] output of one PSU
    int redundancy = 0;               ///< spare PSUs (N+1: 1; N+N: psu_count / 2)
    std::vector<CurvePoint> curve;    ///< default 80 PLUS Titanium
};

/// Grid interconnect: the site as seen by the utility.
struct GridSpec {
    bool present = false;
    double capacity = 0.0;    ///< [W] contracted import
    double ramp_limit = 0.0;  ///< [W/s] allowed rate of change of the import (0: none)
    SourceLoc loc;
};

/// MV/LV transformer: loss = no-load + load loss x (P / rating)^2.
struct TransformerSpec {
    bool present = false;
    double rating = 0.0;          ///< [W] (kVA at unity power factor)
    double no_load_loss = 0.0;    ///< [W]
    double efficiency = 0.0;      ///< [1] at reference_load
    double reference_load = 0.35; ///< [1] fraction of rating (DOE 10 CFR 431.196 rates at 35 %)
    SourceLoc loc;
};

/// The UPS battery.
struct BatterySpec {
    bool present = false;
    double capacity = 0.0;             ///< [J] usable energy
    double max_charge = 0.0;           ///< [W]
    double charge_efficiency = 0.95;   ///< [1]
    double discharge_efficiency = 0.95;  ///< [1]
    double initial_soc = 1.0;          ///< [1]
    SourceLoc loc;
};

/// UPS as a conversion stage on an efficiency curve, with its battery.
struct UpsSpec {
    bool present = false;
    double rating = 0.0;              ///< [W]
    std::string mode = "double_conversion";  ///< or "eco"
    std::vector<CurvePoint> curve;    ///< default by mode
    BatterySpec battery;
    SourceLoc loc;
};

/// Standby generator: starts on a utility outage and accepts load in steps (ISO 8528-5).
struct GeneratorSpec {
    bool present = false;
    double rating = 0.0;               ///< [W]
    double start_delay = 10.0;         ///< [s] outage to first load acceptance (NFPA 110 Type 10)
    std::vector<double> load_steps{0.5, 0.8, 1.0};  ///< [1] cumulative fractions of rating accepted
    double step_interval = 5.0;        ///< [s] between steps
    SourceLoc loc;
};

/// Something that happens to the site at a time.
struct ScenarioEvent {
    double at = 0.0;          ///< [s]
    std::string kind;         ///< "utility_outage" or "generator_failure"
    double duration = 0.0;    ///< [s] utility_outage: how long
    SourceLoc loc;
};

/// Busway (or PDU run) of a hall: three-phase, loss = 3 I^2 R = P^2 R / V^2.
struct BuswaySpec {
    bool present = false;
    double voltage = 0.0;      ///< [V] line to line
    double ampacity = 0.0;     ///< [A]
    double resistance = 0.0;   ///< [ohm] per phase, whole run
    SourceLoc loc;
};

/// A device type (GPU or CPU) of the first physical slice: one junction and one cold-plate
/// thermal mass; power = idle + activity * dynamic + leakage(T_junction).
struct DeviceTypeSpec {
    std::string name;
    std::string kind = "gpu";               ///< "gpu" or "cpu"
    double idle_power = 0.0;                ///< [W] at activity 0, excluding leakage
    double max_power = 0.0;                 ///< [W] total at activity 1 and T = leakage_reference_temperature
    double leakage_power = 0.0;             ///< [W] leakage at the reference temperature (part of max_power)
    double leakage_temperature_coefficient = 0.0;  ///< [1/K] leakage ~ exp(k (T - T_ref))
    double leakage_reference_temperature = 0.0;    ///< [K]
    double junction_heat_capacity = 0.0;    ///< [J/K]
    double plate_heat_capacity = 0.0;       ///< [J/K]
    double junction_to_plate_resistance = 0.0;  ///< [K/W]
    double plate_to_coolant_resistance = 0.0;   ///< [K/W]
    double slowdown_temperature = 0.0;      ///< [K] thermal throttling starts here
    double shutdown_temperature = 0.0;      ///< [K] the device drops out when it gets here
    // --- silicon model (format 1, silicon issue) -------------------------------------------
    std::string model;                      ///< catalogue entry it was based on ("" if none)
    std::string cooling = "liquid";         ///< "liquid" (cold plate) or "air" (heat sink)
    double max_clock = 0.0;                 ///< [Hz] highest clock
    double min_clock = 0.0;                 ///< [Hz] lowest clock DVFS may choose
    double min_clock_voltage_ratio = 0.7;   ///< [1] V(min_clock) / V(max_clock); V linear in f between
    double power_cap = 0.0;                 ///< [W] user power limit (default max_power)
    double power_cap_min = 0.0;             ///< [W] lowest power limit the device accepts
    double slowdown_band = 2.0;             ///< [K] clock falls from max to min over this band above slowdown
    double nominal_coolant_flow = 0.0;      ///< [m3/s] per device, at which plate_to_coolant_resistance holds
    double flow_exponent = 0.8;             ///< [1] R_plate(flow) = R_nom (flow_nom / flow)^n
    double nominal_air_flow = 0.0;          ///< [m3/s] per device (air cooling), at which the sink resistance holds
    double memory_power = 0.0;              ///< [W] HBM at activity 1 (0: no memory node)
    double memory_idle_power = 0.0;         ///< [W] HBM at activity 0
    double memory_heat_capacity = 0.0;      ///< [J/K]
    double memory_to_plate_resistance = 0.0;  ///< [K/W]
    double memory_max_temperature = 0.0;    ///< [K] HBM limit (reported as an event)
    SourceLoc loc;
};

struct RackDeviceGroupSpec {
    std::string name;   ///< key under the rack's `devices:` map
    std::string type;   ///< a key of SiteSpec::device_types (checked by the loader)
    int count = 1;
    SourceLoc loc;
};

struct RackTypeSpec {
    std::string name;
    std::vector<RackDeviceGroupSpec> devices;  ///< in file order
    double coolant_flow = 0.0;     ///< [m3/s] volumetric flow through the rack manifold
    double coolant_volume = 0.0;   ///< [m3] well-mixed coolant in the rack loop
    double other_power = 0.0;      ///< [W] constant non-device IT load (NICs, fans), heat to hall air
    PowerShelfSpec power_shelf;    ///< rack power shelf, loss heat to hall air
    double width = 0.6, depth = 1.2, height = 2.3;  ///< [m] footprint for visualisation
    double server_air_flow = 0.0;  ///< [m3/s] total server fan flow through the rack (air-cooled devices)
    SourceLoc loc;
};

struct RowSpec {
    std::string name;
    std::string rack;        ///< a key of SiteSpec::rack_types
    int count = 1;
    double origin_x = 0.0;   ///< [m] floor position of the first rack's corner
    double origin_y = 0.0;   ///< [m]
    double pitch = 0.6;      ///< [m] distance between rack origins along the row
    std::string direction = "x";  ///< "x" or "y": the axis the row runs along
    SourceLoc loc;
};

struct HallSpec {
    std::string name;
    double air_heat_capacity = 0.0;        ///< [J/K] hall air plus what exchanges with it quickly
    double air_cooling_conductance = 0.0;  ///< [W/K] hall air to the air-side cooling supply
    double air_supply_temperature = 0.0;   ///< [K] air-side cooling (CRAH) supply temperature
    std::vector<RowSpec> rows;             ///< in file order
    BuswaySpec busway;                     ///< optional, between distribution and the racks
    SourceLoc loc;
};

struct CoolantSpec {
    std::string fluid = "water";        ///< "water" or "pg25"
    double density = 998.2;             ///< [kg/m3] from the fluid
    double specific_heat = 4180.0;      ///< [J/(kg K)] from the fluid
    double supply_temperature = 0.0;    ///< [K] facility supply to every rack
    SourceLoc loc;
};

/// Facility cooling of the first slice: a pump and a heat-rejection plant whose electrical
/// power is drawn from the grid and whose heat goes straight to the outdoor air.
struct FacilitySpec {
    double pump_head = 0.0;               ///< [Pa] across the whole loop
    double pump_efficiency = 0.7;         ///< [1] wire to water
    double rejection_specific_power = 0.0;  ///< [W/W] heat-rejection fan power per watt rejected by the liquid loop
    SourceLoc loc;
};

struct PowerSpec {
    GridSpec grid;
    TransformerSpec transformer;
    UpsSpec ups;
    GeneratorSpec generator;
    ConversionSpec distribution;          ///< switchgear and PDUs between UPS (or grid) and halls
    double electrical_room_heat_capacity = 0.0;  ///< [J/K]
    double electrical_room_conductance = 0.0;    ///< [W/K] room to outdoor air
    SourceLoc loc;
};

struct AmbientSpec {
    double temperature = 0.0;   ///< [K] outdoor dry-bulb (constant in this format version)
    SourceLoc loc;
};

/// A step of the site-wide activity schedule: from `at` on, every device runs at `value`.
struct ActivityStep {
    double at = 0.0;      ///< [s]
    double value = 0.0;   ///< [1] in [0, 1]
    SourceLoc loc;
};

/// A job over a group of devices. Its members switch activity together; a synchronous job
/// runs at the pace of its slowest member.
struct JobSpec {
    std::string name;
    std::vector<std::string> members;        ///< path prefixes ("hall1", "hall1/rowA", "hall1/rowA/rack02"); empty: every device
    std::string kind = "training";           ///< "training" (synchronous) or "independent"
    std::vector<ActivityStep> activity;      ///< sorted by `at`, first at 0
    std::vector<ActivityStep> power_limit;   ///< [W per device] external limit steps; empty: none
    SourceLoc loc;
};

/// Manufacturing spread of devices, sampled per device from `seed`.
struct VariabilitySpec {
    std::uint64_t seed = 1;
    double thermal_resistance = 0.0;   ///< [1] relative standard deviation of both resistances
    double leakage = 0.0;              ///< [1] relative standard deviation of leakage power
    SourceLoc loc;
};

struct SolverSpec {
    double rtol = 1e-6;                  ///< [1]
    double atol_temperature = 1e-4;      ///< [K]
    double max_step = 0.0;               ///< [s], 0: no limit
    std::string jacobian = "analytic";   ///< "analytic" or "finite-difference"
    std::string linear_solver = "klu";   ///< "klu" or "dense"
};

struct SimulationSpec {
    double duration = 3600.0;          ///< [s]
    double output_interval = 10.0;     ///< [s] simulated time between output rows
    double flush_interval = 5.0;       ///< [s] wall-clock time between flushes of the results file
    bool write_states = true;          ///< write every state's series into the results file
    SolverSpec solver;
    SourceLoc loc;
};

struct SiteSpec {
    int format_version = 1;
    std::string name;
    std::string description;
    std::string source_file;           ///< the file it was read from
    std::string resolved_yaml;         ///< the site after --set overrides, as YAML text
    CoolantSpec coolant;
    FacilitySpec facility;
    PowerSpec power;
    AmbientSpec ambient;
    std::map<std::string, DeviceTypeSpec> device_types;
    std::map<std::string, RackTypeSpec> rack_types;
    std::vector<HallSpec> halls;        ///< in file order
    std::vector<ActivityStep> activity; ///< sorted by `at`, first at 0 (shorthand: one job over every device)
    std::vector<JobSpec> jobs;          ///< in file order; a device is in at most one job
    VariabilitySpec variability;
    std::vector<ScenarioEvent> scenario;  ///< sorted by `at`
    SimulationSpec simulation;
};

}  // namespace dctwin
