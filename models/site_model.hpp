#pragma once
// A site as a Network: built once from a validated SiteSpec, then evaluated by the solvers.
// Also knows the site's output series (what goes into the results file at every output time).

#include <memory>
#include <string>
#include <vector>

#include "input/site_spec.hpp"
#include "models/constraints.hpp"
#include "models/cooling/cooling_system.hpp"
#include "models/kpis.hpp"
#include "models/outputs.hpp"
#include "models/power/fixed_loads.hpp"
#include "models/silicon/device_array.hpp"
#include "models/workload/training.hpp"
#include "solver/edges.hpp"
#include "solver/network.hpp"

namespace dctwin {

class ResultsWriter;

/// The workload model's profile for a job's `training` section (stop 0: never).
TrainingProfile training_profile(const TrainingSpec& t);

struct RackRecord {
    std::string path;              ///< hall/row/rackNN
    int hall = 0;
    double x = 0, y = 0, z = 0;    ///< [m] floor position of the rack's corner
    double width = 0, depth = 0, height = 0;  ///< [m]
    int coolant = -1;              ///< coolant state
    int cdu = -1;                  ///< index of its CDU, -1: on the facility water directly
    int shelf = -1;                ///< power shelf stage
    int storage = -1;              ///< its in-rack store (RackStorage unit), -1: none
    std::size_t first_device = 0, end_device = 0;  ///< [first, end) in the device array
    struct DeviceGroup {
        std::string name;              ///< the key under the rack type's `devices:`
        std::size_t first = 0, end = 0;
    };
    std::vector<DeviceGroup> groups;   ///< its devices by group, in file order
    double air_flow = 0.0;         ///< [m3/s] server fan flow (racks with air-cooled devices)
    double other_power = 0.0;      ///< [W] constant non-device load
};

/// Site-wide figures at one point in time.
struct SitePoint {
    double grid_power = 0, generator_power = 0, it_power = 0, cooling_power = 0, loss_power = 0;  ///< [W]
    double storage_release = 0;       ///< [W] net power the electrical stores give up (charging: negative)
    double heat_rejection = 0;        ///< [W] into all boundaries
    double max_junction_T = 0;        ///< [K]
    std::size_t hottest_device = 0;
    double throughput = 1.0;          ///< [1] useful-work rate: jobs' paces weighted by their sizes
    std::size_t throttled_devices = 0;
};

/// Work limits of a run, checked before it starts (SiteModel::check_run_limits).
inline constexpr double kMaxOutputRows = 1e8;       ///< rows of the results file
inline constexpr double kMaxGridSamples = 2e7;      ///< grid power samples (grid_sample_interval)
inline constexpr double kMaxSmoothingSteps = 2e7;   ///< steps of a smoothing filter (its max_samples)

class SiteModel {
public:
    explicit SiteModel(const SiteSpec& spec);
    SiteModel(const SiteModel&) = delete;
    SiteModel& operator=(const SiteModel&) = delete;

    Network& network() { return net_; }
    const SiteSpec& spec() const { return spec_; }
    const std::vector<RackRecord>& racks() const { return racks_; }
    const DeviceArray& devices() const { return *devices_; }
    /// Physical devices (a lumped device counts as the devices it stands for).
    std::size_t device_count() const { return devices_->device_total(); }
    /// [K] air leaving the rack's servers: hall air + heat to air / (rho cp V); NaN without fans.
    double rack_air_outlet(std::size_t r, const double* y) const;

    /// Site-wide figures at (t, y); evaluates the network once.
    SitePoint point(double t, const double* y);
    /// Why a steady state cannot exist, when the facility plant at full fans and chiller
    /// capacity takes less heat from the water than the site draws at (t, y); empty otherwise.
    std::string plant_shortfall(double t, const double* y);

    /// Scenario events (outages, generator steps) at their known times, sorted by time.
    const std::vector<Event>& scheduled_events() const { return scheduled_; }
    /// [J] UPS battery energy state, or -1.
    int battery_state() const;
    /// [J] accumulator of the site battery's losses, or -1 without one.
    int site_battery_loss_state() const;
    /// The in-rack stores (null without any); rack r's unit is racks()[r].storage.
    const class RackStorage* rack_storage() const { return rack_storage_; }
    const CoolingSystem& cooling() const { return *cooling_; }
    /// The grid's carbon intensity, price and renewable share (power.grid; files read).
    const GridSeries& grid_series() const { return grid_series_; }
    /// Outdoor dry-bulb and wet-bulb [K] at t.
    std::pair<double, double> outdoor(double t) const;
    /// The power-smoothing filter of job j (DeviceArray job order), or null.
    const class SmoothedActivity* smoothing(std::size_t j) const { return job_smoothing_.at(j); }
    /// Throws InputError if the weather does not cover [0, duration] s.
    void check_weather_span(double duration) const;
    /// Throws InputError for a run of `duration` [s] (0 for a steady solve) that would fail
    /// or overflow only after it started: output rows, grid samples, smoothing filter steps.
    /// `dctwin check` and every run call it (and check_weather_span) before anything is written.
    void check_run_limits(double duration) const;
    /// Cooling faults of the scenario (kinds cdu_pump_trip, chiller_trip, economiser_fan_loss,
    /// facility_supply_step), sorted by time.
    const std::vector<Event>& cooling_faults() const { return cooling_faults_; }

    /// Marks y0 as the start of a run: stored-energy changes are counted from it.
    void set_start(double t0, const double* y0);

    /// Declares every output series and static dataset on the writer.
    void declare_outputs(ResultsWriter& w) const;
    /// One output row at (t, y), in the order of declare_outputs; returns the site figures it
    /// was made from (one evaluation of the network serves both). Rows must come in time
    /// order (the grid's ramp rate is taken between consecutive rows).
    SitePoint output_row(double t, const double* y, std::vector<double>& row);
    /// The descriptors both of the above come from (models/site_outputs.cpp).
    const OutputList& outputs() const { return outputs_; }

    /// Every limit of the site (see models/constraints.hpp), in a fixed order.
    const std::vector<Constraint>& constraints() const { return constraints_; }
    /// [1] utilisations at the last output_row(), in the order of constraints().
    const std::vector<double>& constraint_utilisation() const { return c_util_; }
    /// [constraint's unit] values and limits at the last output_row(), as constraint_utilisation().
    const std::vector<double>& constraint_values() const { return c_value_; }
    const std::vector<double>& constraint_limits() const { return c_limit_; }
    /// Work accumulators: lost by cause [device-s] (LostCause order) and possible
    /// (members x elapsed time) [device-s] at y, counted from the start of the run.
    std::vector<double> lost_work(const double* y) const;
    double possible_work(double t) const;

private:
    SiteSpec spec_;
    Network net_;
    std::vector<RackRecord> racks_;
    std::vector<std::string> hall_names_;
    std::vector<int> hall_air_;          ///< hall air states
    int electrical_room_ = -1;
    int distribution_ = -1;              ///< stage
    int ups_ = -1;                       ///< stage, -1 without one
    class UpsBattery* battery_ = nullptr;  ///< owned by net_, null without one
    class SiteBattery* site_battery_ = nullptr;  ///< owned by net_, null without one
    class RackStorage* rack_storage_ = nullptr;  ///< owned by net_, null without in-rack storage
    class PowerFaults* faults_ = nullptr;        ///< owned by net_, null without PSU or PDU failures
    void build_power_faults(const SiteSpec& spec);  // models/site_scenario.cpp, as the other scenario builders
    int utility_input_ = -1;             ///< 1 while the utility is there
    std::vector<Event> scheduled_;       ///< scenario events at their times, sorted
    std::vector<Event> cooling_faults_;  ///< the cooling faults' first events, sorted
    int build_scenario(const SiteSpec& spec, NodeRef room);
    int mechanical_stage_ = -1;          ///< stage feeding cooling loads (-1: the grid)
    std::vector<int> device_junction_, device_plate_;  ///< states, by device
    std::vector<double> device_air_conductance_;        ///< [W/K] heat sink to air, 0 for liquid
    DeviceArray* devices_ = nullptr;     ///< owned by net_
    CoolingSystem* cooling_ = nullptr;   ///< owned by net_
    int setpoint_input_ = -1;
    int facility_boundary_ = -1;         ///< held supply boundary, -1 with a plant            ///< [K] facility supply set point
    int dry_bulb_input_ = -1, wet_bulb_input_ = -1;  ///< [K] outdoor air
    std::shared_ptr<const class Weather> weather_;
    GridSeries grid_series_;
    void build_grid_series();  // reads the series files of power.grid into spec_
    /// Cooling faults and set-point steps as inputs; fills the CoolingSystem's event inputs.
    void build_cooling_events(const SiteSpec& spec, FacilityParams& f, std::vector<CduParams>& cdus);
    void build_weather(const SiteSpec& spec);  // models/site_weather.cpp
    double liquid_limit_ = 0.0;          ///< [degC] the liquid class's maximum supply, NaN: no class
    std::vector<double> air_limits_;     ///< [degC] per hall, the air class's allowable maximum, NaN: none
    bool any_air_class_ = false;
    double stored_at_start_ = 0.0;  ///< [J]
    std::vector<double> lost_at_start_;  ///< [device-s]
    double t_start_ = 0.0;               ///< [s]

    // Constraints: what each is made from, and its value, limit and utilisation at the last row.
    struct ConstraintSource {
        enum Kind : std::uint8_t {
            junction, memory, power_cap, cdu_duty, liquid_class, air_class, plant_rejection, stage_load,
            grid_import, grid_ramp, generator_load, battery_depth, battery_discharge, site_battery_power,
            rack_storage_power
        } kind;
        std::size_t a = 0, b = 0;  ///< device range [a, b), or the CDU, hall or stage in a
    };
    void build_constraints();
    /// Values, limits and utilisations of every constraint at an output row, and the binding one.
    void evaluate_constraints(const EvalContext& ctx, const SitePoint& p, double t);
    std::vector<Constraint> constraints_;
    std::vector<ConstraintSource> c_source_;
    /// By device, for the silicon constraints' loops: memory state (-1: none), and the
    /// junction slowdown and memory maximum temperatures [degC].
    std::vector<int> device_memory_;
    std::vector<double> junction_limit_C_, memory_limit_C_;
    std::vector<double> power_cap_W_;  ///< [W] by device
    std::vector<double> c_value_, c_limit_, c_util_;
    /// The silicon constraints (junction, memory, power cap: loops over devices), computed on
    /// the network's threads; the others after them, in order.
    void silicon_constraints(const double* y);
    // Per rack at the last row, from one pass over its devices (output_row).
    struct RackFigures {
        double max_T = 0, mean_T = 0, air_outlet = 0, min_clock = 0, throttled = 0;
    };
    std::vector<RackFigures> rack_fig_;
    // What point() reads from the devices: the hottest junction, the throttled count.
    struct PointFigures {
        double max_junction_T = 0;  ///< [K]
        std::size_t hottest_device = 0, throttled_devices = 0;
    };
    PointFigures point_figures_;
    /// The evaluation each device loop was last computed from (Network::evaluation_id); true
    /// if its figures still hold (power-only mode only). Sets id to the current evaluation.
    bool device_figures_current(std::uint64_t& id) const;
    std::uint64_t point_figures_id_ = ~std::uint64_t(0), rack_figures_id_ = ~std::uint64_t(0),
                  silicon_figures_id_ = ~std::uint64_t(0);
    double ramp_t_ = std::nan(""), ramp_p_ = 0.0, ramp_ = 0.0;  ///< last row's time [s], grid power [W], ramp [W/s]
    int cooling_fault_input_ = -1;

    // Output series (models/site_outputs.cpp): descriptors built once, after everything else.
    OutputList outputs_;
    void build_outputs();
    void build_site_outputs();
    void build_cooling_outputs();
    void build_storage_outputs();
    void build_constraint_outputs();
    void build_device_outputs();
    /// What several series share at the current output row, computed once by output_row.
    struct RowFigures {
        SitePoint point;
        PlantState plant;
        double facility_supply = 0.0;  ///< [K]
        std::vector<CoolingSystem::CduPoint> cdus;
        int binding = -1;              ///< binding constraint, -1: none
    };
    RowFigures row_;
    std::vector<const class SmoothedActivity*> job_smoothing_;  ///< by job, owned by net_
};

}  // namespace dctwin
