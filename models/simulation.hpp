#pragma once
// Runs a site: transient (CVODE) or steady (direct solve), writing the results file and
// returning the summary that `dctwin run` prints.

#include <atomic>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/constraints.hpp"
#include "models/site_model.hpp"
#include "solver/integrator.hpp"

namespace dctwin {

struct RunOptions {
    std::string output;           ///< results file path; empty: no file (the summary only)
    double duration = -1.0;       ///< [s] overrides the site's simulation.duration when >= 0
    bool steady = false;          ///< design-point solve instead of a transient run
    double steady_at = 0.0;       ///< [s] time whose inputs the steady solve freezes
    bool cold_start = false;      ///< start from the declared initial temperatures, not steady state
    bool force = false;           ///< overwrite an existing results file
    /// Called after every output row with (simulated time, end time) [s].
    std::function<void(double, double)> progress;
    /// Called with every output row (time [s], values in the layout of model.outputs()): an
    /// in-memory run, e.g. calibration, which reads a few series of many runs.
    std::function<void(double, const std::vector<double>&)> on_row;
};

struct RunSummary {
    std::string site, status, output, initial_state;
    std::string mode = "full";                ///< "full" or "power-only" (simulation.mode)
    double duration_s = 0, t_reached_s = 0;
    double e_grid = 0, e_generator = 0, e_it = 0, e_cooling = 0, e_losses = 0, e_rejected = 0, e_stored = 0;  ///< [J]
    double peak_grid = 0, peak_it = 0;        ///< [W] at output times
    double pue = 0;                           ///< [1] energy-weighted (steady: at the point)
    double max_junction_T = 0;                ///< [K]
    std::string hottest_device;
    double energy_balance_error = 0;          ///< [1] relative
    std::vector<std::pair<std::string, double>> losses_by_stage;  ///< [J] per loss group
    double throughput_fraction = 1;           ///< [1] work done / work at full clock, over every job
    double throttled_s[4] = {0, 0, 0, 0};     ///< [device-s] power cap, thermal, external, dropped out
    std::size_t throttled_devices_at_end = 0;
    std::vector<std::pair<std::string, double>> cooling_by_component;  ///< [J]
    double water_m3 = 0;                      ///< [m3] cooling tower make-up
    bool has_plant = false;                   ///< a facility plant (water use is modelled)
    /// [s] from the first cooling fault to the first thermal throttle after it; NaN when no
    /// fault was scheduled; +inf when nothing throttled before the end.
    double ride_through_s = std::nan("");
    std::string ride_through_device;          ///< the first device to throttle
    std::size_t states = 0, devices = 0, rows = 0;
    std::size_t modelled_devices = 0;         ///< devices modelled (fewer than devices when lumped)
    ConstraintReport limits;                  ///< constraints over the output rows, lost work by cause
    nlohmann::json grid;                      ///< grid analysis of the site power (null: too few samples)
    nlohmann::json jobs;                      ///< per job: profile, resolution, swing
    nlohmann::json kpis;                      ///< site KPIs (models/kpis.hpp): each {value, unit, standard, definition, reason}
    SolverStats solver;
    double setup_s = 0;                       ///< [s] wall time of reading and building the site (set by the caller)
    double initial_state_s = 0;               ///< [s] wall time of the initial steady state
    double output_s = 0;                      ///< [s] wall time of the output rows (and grid samples)
    std::vector<Event> events;

    nlohmann::json to_json() const;
    std::string to_text() const;
};

/// Set from a signal handler: the run stops at its next output time, marked "interrupted".
extern std::atomic<bool> g_stop_requested;

/// Throws SolverError / SteadyStateError (after closing the results file as "incomplete") or
/// ResultsError.
RunSummary run_site(SiteModel& model, const RunOptions& opt);

SolverOptions solver_options(const SiteSpec& spec);

}  // namespace dctwin
