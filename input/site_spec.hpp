#pragma once
// The validated site: what the loader produces from a site file and what the model builder
// consumes. Every value is SI (temperatures in kelvin); every object keeps the place in the
// file it came from, so that errors found later (while building the network) still point at
// the user's text.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dctwin {

// Kinds of the site format: the loader parses each name once (an unknown one is a located
// error listing the names), the model switches on the value, never on the text.
enum class AmbientKind : std::uint8_t { constant, design_day, epw };
enum class EconomiserKind : std::uint8_t { dry_cooler, cooling_tower };
enum class DeviceKind : std::uint8_t { gpu, cpu };
enum class DeviceCooling : std::uint8_t { liquid, air };
enum class CondenserKind : std::uint8_t { air, tower };
enum class JobKind : std::uint8_t { training, independent };
enum class ScenarioKind : std::uint8_t {
    utility_outage, generator_failure, cdu_pump_trip, chiller_trip, economiser_fan_loss, facility_supply_step,
    psu_failure, pdu_failure
};

/// The names of a kind's values in the site format, in the order of the values.
template <class E>
struct KindNames;
template <>
struct KindNames<AmbientKind> {
    static constexpr std::array<std::string_view, 3> names{"constant", "design_day", "epw"};
};
template <>
struct KindNames<EconomiserKind> {
    static constexpr std::array<std::string_view, 2> names{"dry_cooler", "cooling_tower"};
};
template <>
struct KindNames<DeviceKind> {
    static constexpr std::array<std::string_view, 2> names{"gpu", "cpu"};
};
template <>
struct KindNames<DeviceCooling> {
    static constexpr std::array<std::string_view, 2> names{"liquid", "air"};
};
template <>
struct KindNames<CondenserKind> {
    static constexpr std::array<std::string_view, 2> names{"air", "tower"};
};
template <>
struct KindNames<JobKind> {
    static constexpr std::array<std::string_view, 2> names{"training", "independent"};
};
template <>
struct KindNames<ScenarioKind> {
    static constexpr std::array<std::string_view, 8> names{
        "utility_outage", "generator_failure", "cdu_pump_trip", "chiller_trip", "economiser_fan_loss",
        "facility_supply_step", "psu_failure", "pdu_failure"};
};
/// The site format's name of a kind (as written in files, messages and event records).
template <class E>
std::string kind_name(E e) {
    return std::string(KindNames<E>::names.at(std::size_t(e)));
}

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

/// A store holding the power drawn from upstream under a ramp limit: the site battery
/// (BESS) at the MV transformer, or in-rack storage at a rack's power shelf.
struct StorageSpec {
    bool present = false;
    bool enabled = true;                 ///< false: described but not built (what-if without it)
    double capacity = 0.0;               ///< [J] usable energy
    double power = 0.0;                  ///< [W] largest charge or discharge
    double charge_efficiency = 0.95;     ///< [1]
    double discharge_efficiency = 0.95;  ///< [1]
    double target_soc = 0.5;             ///< [1]
    double ramp_limit = 0.0;             ///< [W/s] site battery: 0 is the grid's ramp_limit
    double response_time = 1.0;          ///< [s]
    double recharge_time = 900.0;        ///< [s]
    SourceLoc loc;
};
using SiteBatterySpec = StorageSpec;

/// The rack power shelf: either a lumped linear stage (ConversionSpec) or PSUs on an
/// efficiency curve sharing the load, with spares.
struct PowerShelfSpec : ConversionSpec {
    int psu_count = 0;                ///< 0: the lumped form
    double psu_rating = 0.0;          ///< [W] output of one PSU
    int redundancy = 0;               ///< spare PSUs (N+1: 1; N+N: psu_count / 2)
    std::vector<CurvePoint> curve;    ///< default 80 PLUS Titanium
    StorageSpec storage;              ///< optional in-rack store at the shelf's input
};

/// What a series holds: its unit in the site format and its SI value.
enum class SeriesQuantity : std::uint8_t {
    carbon_intensity,  ///< [kg/J] of CO2 per energy drawn, written e.g. "0.4 kg/kWh"
    energy_price,      ///< [currency/J], written "0.12 USD/kWh" in the grid's currency
    fraction           ///< [1] in 0..1, e.g. a renewable share, "0.35" or "35 %"
};

/// A time series of the site file: a constant, inline [time, value] points, or a CSV file
/// (read when the model is built). Times are from the start of the run (t = 0).
struct TimeSeriesSpec {
    bool present = false;
    std::vector<double> time;   ///< [s] strictly increasing, the first 0
    std::vector<double> value;  ///< SI (see SeriesQuantity), one per time
    bool linear = false;        ///< false: each value holds until the next point; true: linear between points
    double period = 0.0;        ///< [s] the series repeats with this period; 0: the last value holds
    std::string file;           ///< CSV file, relative to the site file's folder ("" : inline or constant)
    SourceLoc loc;              ///< where the site gives it
};

/// Grid interconnect: the site as seen by the utility, and what its energy costs in money
/// and carbon (the KPIs of the summary).
struct GridSpec {
    bool present = false;
    double capacity = 0.0;    ///< [W] contracted import
    double ramp_limit = 0.0;  ///< [W/s] allowed rate of change of the import (0: none)
    std::string currency = "USD";  ///< ISO 4217 code of every price
    TimeSeriesSpec carbon_intensity;   ///< [kg/J] CO2 per energy drawn from the grid
    TimeSeriesSpec energy_price;       ///< [currency/J]
    TimeSeriesSpec renewable_share;    ///< [1] of the grid's energy from renewable sources
    double demand_charge = 0.0;    ///< [currency/W] per billing period, on the peak demand
    double demand_interval = 900.0;  ///< [s] averaging interval of the demand (15 min)
    double billing_period = 30 * 86400.0;  ///< [s] each period's peak demand is charged
    /// "prorated": a period the run covers only in part pays the covered share of its demand
    /// charge; "whole": it pays the charge in full, as a bill would.
    std::string partial_billing_period = "prorated";
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
    double max_discharge = 0.0;        ///< [W] largest power delivered; 0: no limit
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
    ScenarioKind kind = ScenarioKind::utility_outage;
    double duration = 0.0;    ///< [s] how long (0: to the end of the run, where allowed)
    std::string target;       ///< cdu_pump_trip: the CDU's name; psu_failure: a rack path; pdu_failure: a stage path
    int count = 1;            ///< psu_failure: PSUs that fail
    double fraction = 0.0;    ///< [1] economiser_fan_loss: share of the fan capacity lost
    double temperature = 0.0; ///< [K] facility_supply_step: the new set point
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
    DeviceKind kind = DeviceKind::gpu;
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
    DeviceCooling cooling = DeviceCooling::liquid;  ///< cold plate, or heat sink in the server air
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

/// Air handlers of a hall (CRAH or fan wall): fans pull the hall air through a coil fed
/// with facility water, q = eps C_min (T_air - T_water,in) (counterflow epsilon-NTU).
struct CrahSpec {
    bool present = false;
    double air_flow = 0.0;     ///< [m3/s] fan flow of all units
    double water_flow = 0.0;   ///< [m3/s] facility water through the coils
    double ua = 0.0;           ///< [W/K] coil conductance
    double fan_power = 0.0;    ///< [W] all fans (their heat stays in the hall)
    SourceLoc loc;
};

struct HallSpec {
    std::string name;
    double air_heat_capacity = 0.0;        ///< [J/K] hall air plus what exchanges with it quickly
    double air_cooling_conductance = 0.0;  ///< [W/K] hall air to a fixed air-side supply (0: use crah)
    double air_supply_temperature = 0.0;   ///< [K] the fixed air-side supply temperature
    std::string air_class;                 ///< ASHRAE A1..A4 ("" : not checked)
    std::vector<RowSpec> rows;             ///< in file order
    BuswaySpec busway;                     ///< optional, between distribution and the racks
    CrahSpec crah;                         ///< optional: air handlers on facility water (replace the fixed supply)
    SourceLoc loc;
};

struct CoolantSpec {
    std::string fluid = "water";        ///< "water" or "pg25"
    double density = 998.2;             ///< [kg/m3] from the fluid
    double specific_heat = 4180.0;      ///< [J/(kg K)] from the fluid
    double supply_temperature = 0.0;    ///< [K] facility supply (held, or the plant's set point)
    std::string liquid_class;           ///< ASHRAE W17..W45, "W+" ("" : not checked)
    SourceLoc loc;
};

/// A coolant distribution unit: a liquid-to-liquid heat exchanger between a secondary loop
/// (its racks) and the facility water, a secondary pump, and a PI controller that opens the
/// primary valve to hold the secondary supply temperature.
struct CduSpec {
    std::string name;
    std::vector<std::string> racks;      ///< path prefixes of the racks it serves
    double capacity = 0.0;               ///< [W] rated heat duty
    double approach = 3.0;               ///< [K] secondary supply above facility supply at rated duty
    double supply_temperature = 0.0;     ///< [K] secondary supply set point
    double primary_flow = 0.0;           ///< [m3/s] facility water with the valve fully open
    double pump_head = 0.0;              ///< [Pa] secondary pump at rated flow
    double pump_efficiency = 0.7;        ///< [1] wire to water
    double volume = 0.0;                 ///< [m3] secondary supply header and exchanger
    std::string fluid = "water";         ///< secondary fluid: "water" or "pg25"
    double density = 998.2;              ///< [kg/m3]
    double specific_heat = 4180.0;       ///< [J/(kg K)]
    double gain = 0.0;                   ///< [1/K] valve opening per kelvin of error
    double integral_time = 0.0;          ///< [s]
    double min_valve = 0.05;             ///< [1] lowest valve opening
    SourceLoc loc;
};

/// Economiser of the heat-rejection plant: dry coolers (sink: dry-bulb) or cooling towers
/// (sink: wet-bulb), fans on an integral controller that holds the facility supply.
struct EconomiserSpec {
    bool present = false;
    EconomiserKind kind = EconomiserKind::dry_cooler;
    double capacity = 0.0;               ///< [W] at the design sink temperature, full fans
    double design_temperature = 0.0;     ///< [K] dry-bulb (dry cooler) or wet-bulb (tower) at capacity
    double approach = 0.0;               ///< [K] leaving water above the design sink at capacity
    double air_temperature_rise = 0.0;   ///< [K] of the air at capacity (sets the air flow); 0: the kind's default
    double fan_power = 0.0;              ///< [W] all fans at full speed
    double min_speed = 0.1;              ///< [1]
    double integral_time = 300.0;        ///< [s] of the fan-speed controller
    double cycles = 4.0;                 ///< [1] tower cycles of concentration (blow-down)
    SourceLoc loc;
};

/// Chiller trimming the economiser's leaving water down to the set point (DOE-2 EIR model).
struct ChillerSpec {
    bool present = false;
    double capacity = 0.0;               ///< [W] at the reference point
    double cop = 0.0;                    ///< [1] at the reference point
    CondenserKind condenser = CondenserKind::air;  ///< sink: dry-bulb, or wet-bulb + approach (tower)
    double tower_approach = 3.89;        ///< [K] condenser water above wet-bulb
    double condenser_fan_power = 0.01;   ///< [W/W] condenser fans per watt rejected
    std::vector<double> cap_ft;          ///< 6 coefficients, temperatures in degC
    std::vector<double> eir_ft;          ///< 6 coefficients, temperatures in degC
    std::vector<double> eir_fplr;        ///< 3 coefficients
    double leaving_lo = 0.0, leaving_hi = 0.0;      ///< [K] range of leaving chilled water the curves hold over
    double condenser_lo = 0.0, condenser_hi = 0.0;  ///< [K] range of entering condenser temperature
    SourceLoc loc;
};

struct PlantSpec {
    bool present = false;
    double pipe_volume = 0.0;            ///< [m3] each of supply and return
    int pipe_segments = 4;               ///< well-mixed volumes per pipe (transport delay)
    EconomiserSpec economiser;
    ChillerSpec chiller;
    SourceLoc loc;
};

/// Facility cooling of the first slice: a pump and a heat-rejection plant whose electrical
/// power is drawn from the grid and whose heat goes straight to the outdoor air.
struct FacilitySpec {
    double pump_head = 0.0;               ///< [Pa] across the whole loop
    double pump_efficiency = 0.7;         ///< [1] wire to water
    double rejection_specific_power = 0.0;  ///< [W/W] without a plant: fan power per watt rejected by the liquid loop
    PlantSpec plant;                      ///< optional: the dynamic loop and its heat rejection
    SourceLoc loc;
};


struct PowerSpec {
    GridSpec grid;
    TransformerSpec transformer;
    UpsSpec ups;
    GeneratorSpec generator;
    SiteBatterySpec site_battery;
    ConversionSpec distribution;          ///< switchgear and PDUs between UPS (or grid) and halls
    double electrical_room_heat_capacity = 0.0;  ///< [J/K]
    double electrical_room_conductance = 0.0;    ///< [W/K] room to outdoor air
    SourceLoc loc;
};

/// The outdoor air: constant, an ASHRAE design day, or an EnergyPlus weather (EPW) file.
struct AmbientSpec {
    AmbientKind kind = AmbientKind::constant;
    double temperature = 0.0;        ///< [K] constant: dry-bulb
    double wet_bulb = 0.0;           ///< [K] constant: wet-bulb (0: not given)
    double max_dry_bulb = 0.0;       ///< [K] design_day
    double daily_range = 0.0;        ///< [K] design_day: dry-bulb swing
    double max_wet_bulb = 0.0;       ///< [K] design_day: coincident wet-bulb at the hottest hour
    double start_hour = 0.0;         ///< [h] design_day: hour of day at t = 0
    std::string file;                ///< epw: path (relative paths from the site file's folder)
    double start_offset = 0.0;       ///< [s] epw: from Jan 1 00:00 to t = 0
    /// [K] added to the dry and wet bulb of whichever source (not in the site format: set by
    /// `dctwin headroom` along its outdoor-temperature axis).
    double shift = 0.0;
    double pressure = 101325.0;      ///< [Pa] constant and design_day: barometric pressure
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
/// A training job's activity (models/workload/training.hpp): iterations of a compute and a
/// communication phase, checkpoints, a start ramp.
struct TrainingSpec {
    bool present = false;
    double start = 0.0;                  ///< [s] first iteration
    double stop = 0.0;                   ///< [s] idle from then on; 0: never
    double iteration_period = 2.0;       ///< [s]
    double compute_fraction = 0.7;       ///< [1] of each iteration
    double compute_activity = 1.0;       ///< [1]
    double communication_activity = 0.3; ///< [1]
    double idle_activity = 0.0;          ///< [1] before start and after stop
    double jitter = 0.0;                 ///< [1] relative standard deviation of the period
    int seed = 0;                        ///< of the jitter
    double checkpoint_interval = 0.0;    ///< [s] 0: no checkpoints
    double checkpoint_duration = 0.0;    ///< [s]
    double checkpoint_activity = 0.0;    ///< [1]
    double ramp_duration = 0.0;          ///< [s] start ramp
    int ramp_steps = 0;                  ///< 0: linear
    std::string resolution = "iterations";  ///< "iterations" or "averaged"
    SourceLoc loc;
};

/// An inference job's activity: a daily cosine of demand times the batch utilisation.
struct InferenceSpec {
    bool present = false;
    double start = 0.0, stop = 0.0;      ///< [s] stop 0: never
    double mean_demand = 0.6;            ///< [1]
    double amplitude = 0.3;              ///< [1]
    double peak_time = 14 * 3600.0;      ///< [s] after midnight
    double time_of_day_at_start = 0.0;   ///< [s] after midnight at t = 0
    double batch_utilisation = 0.8;      ///< [1]
    double idle_activity = 0.0;          ///< [1]
    SourceLoc loc;
};

/// A job replaying measured per-device logs (models/workload/trace.hpp): member k, in build
/// order, replays the trace's device k modulo their number.
struct TraceJobSpec {
    bool present = false;
    std::string file;                    ///< nvidia-smi CSV or a time, device, value table; relative to the site file
    std::string quantity = "power";      ///< "power" or "utilization"
    double start = 0.0;                  ///< [s] simulation time of trace time 0
    bool repeat = false;                 ///< loop the trace; otherwise hold its end values
    SourceLoc loc;
};

/// GPU power smoothing on a job's members: a power floor and ramp-rate limits (the settings
/// of NVIDIA's power-smoothing profiles), per device.
struct SmoothingSpec {
    bool present = false;
    double floor = 0.0;                  ///< [1] minimum power as a fraction of the device's max power (TDP)
    double ramp_up_rate = 0.0;           ///< [W/s] per device; 0: unlimited
    double ramp_down_rate = 0.0;         ///< [W/s] per device; 0: unlimited
    double ramp_down_hysteresis = 0.0;   ///< [s]
    double sample_interval = 0.01;       ///< [s] step of the filter
    SourceLoc loc;
};

struct JobSpec {
    std::string name;
    std::vector<std::string> members;        ///< path prefixes ("hall1", "hall1/rowA", "hall1/rowA/rack02"); empty: every device
    JobKind kind = JobKind::training;        ///< training: synchronous
    std::vector<ActivityStep> activity;      ///< sorted by `at`, first at 0; empty with a profile
    TrainingSpec training;                   ///< or a training profile
    InferenceSpec inference;                 ///< or an inference profile
    TraceJobSpec trace;                      ///< or a replayed trace
    SmoothingSpec smoothing;                 ///< optional power smoothing of its members
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
    double atol_temperature = 1e-2;      ///< [K]
    double max_step = 0.0;               ///< [s], 0: no limit
    std::string jacobian = "analytic";   ///< "analytic" or "finite-difference"
    std::string linear_solver = "block"; ///< "block", "klu" or "dense"
    std::string method = "bdf";          ///< "bdf" (CVODE) or "esdirk" (ARKODE)
};

struct SimulationSpec {
    double duration = 3600.0;          ///< [s]
    double output_interval = 10.0;     ///< [s] simulated time between output rows
    double flush_interval = 5.0;       ///< [s] wall-clock time between flushes of the results file
    bool write_states = true;          ///< write every state's series into the results file
    double grid_sample_interval = 0.0; ///< [s] grid power sampled for the grid analysis; 0: at output rows
    std::string lumping = "none";      ///< "none" | "identical": lump identical devices under identical load
    std::string mode = "full";         ///< "full" | "power-only": temperatures held at the initial state
    int threads = 0;                   ///< threads of one run; 0: every core
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
    std::vector<CduSpec> cdus;          ///< in file order; racks in none take facility water directly
    std::vector<ActivityStep> activity; ///< sorted by `at`, first at 0 (shorthand: one job over every device)
    std::vector<JobSpec> jobs;          ///< in file order; a device is in at most one job
    VariabilitySpec variability;
    std::vector<ScenarioEvent> scenario;  ///< sorted by `at`
    SimulationSpec simulation;
};

}  // namespace dctwin
