#include "models/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <hdf5.h>
#include <sundials/sundials_config.h>

#include "dctwin_version.hpp"
#include "input/site_loader.hpp"
#include "models/workload/grid_analysis.hpp"
#include "models/workload/smoothed_signal.hpp"
#include "models/workload/training.hpp"
#include "solver/steady.hpp"
#include "io/results.hpp"
#include "io/terminal.hpp"

namespace dctwin {

std::atomic<bool> g_stop_requested{false};

namespace {
constexpr double kCelsius = 273.15;

void write_metadata(ResultsWriter& w, const SiteModel& m) {
    w.add_text("/metadata/site_yaml", m.spec().resolved_yaml, "the site as run, after --set overrides");
}

void write_solver_stats(ResultsWriter& w, const SolverStats& s) {
    const std::string g = "/metadata/solver";
    w.set_attribute(g, "steps", std::int64_t(s.steps));
    w.set_attribute(g, "rhs_evals", std::int64_t(s.rhs_evals));
    w.set_attribute(g, "jac_evals", std::int64_t(s.jac_evals));
    w.set_attribute(g, "linear_solver_setups", std::int64_t(s.lin_setups));
    w.set_attribute(g, "nonlinear_iterations", std::int64_t(s.nonlin_iters));
    w.set_attribute(g, "error_test_failures", std::int64_t(s.err_test_fails));
    w.set_attribute(g, "reinitialisations", std::int64_t(s.reinits));
    w.set_attribute(g, "exact_stretches", std::int64_t(s.exact_stretches));
    w.set_attribute(g, "retries", std::int64_t(s.retries));
    w.set_attribute(g, "wall_s", s.wall_s);
}
// The KPIs as the group /kpi: one subgroup per KPI with its value (NaN: null) and what it is.
void write_kpis(ResultsWriter& w, const nlohmann::json& k) {
    for (const auto& [name, item] : k.items()) {
        const std::string g = "/kpi/" + name;
        for (const auto& [key, v] : item.items()) {
            const std::string attr = key == "unit" ? "units" : key;
            if (v.is_number()) w.set_attribute(g, attr, v.get<double>());
            else if (v.is_string()) w.set_attribute(g, attr, v.get<std::string>());
            else if (v.is_null())  // the summary's null: NaN for a number, empty for a text
                w.set_attribute(g, attr, key == "reason" || key == "standard" ? AttributeValue(std::string())
                                                                               : AttributeValue(std::nan("")));
        }
    }
}

// What the run's KPIs are made of (models/kpis.hpp).
KpiInputs kpi_inputs(const SiteModel& m, const RunSummary& sum, const KpiAccumulator* acc) {
    const SiteSpec& spec = m.spec();
    const GridSpec& g = spec.power.grid;
    const GridSeries& gs = m.grid_series();
    KpiInputs k;
    k.pue = sum.pue;
    k.e_it = sum.e_it;
    k.e_grid = sum.e_grid;
    k.e_generator = sum.e_generator;
    k.e_facility = std::isfinite(sum.pue) ? sum.pue * sum.e_it : sum.e_grid + sum.e_generator;
    k.has_plant = sum.has_plant;
    const auto& plant = spec.facility.plant;
    k.water_using_plant = plant.present && (plant.economiser.kind == EconomiserKind::cooling_tower ||
                                            (plant.chiller.present && plant.chiller.condenser == CondenserKind::tower));
    k.water_m3 = sum.water_m3;
    k.grid_present = g.present;
    k.has_carbon = !gs.carbon_intensity.empty();
    k.has_price = !gs.energy_price.empty();
    k.has_renewable = !gs.renewable_share.empty();
    k.currency = g.present ? g.currency : std::string("USD");
    k.demand_charge = g.present ? g.demand_charge : 0.0;
    k.demand_interval = g.present ? g.demand_interval : GridSpec{}.demand_interval;
    k.billing_period = g.present ? g.billing_period : GridSpec{}.billing_period;
    if (acc) {
        k.carbon_kg = acc->carbon_kg;
        k.energy_cost = acc->energy_cost;
        k.renewable_J = acc->renewable_J;
        k.peak_demand_W = acc->peak_demand();
        k.demand_cost = acc->demand_cost();
        k.billing_periods = int(acc->period_peak_W.size());
        for (std::size_t p = 0; p < acc->period_peak_W.size(); ++p) k.billed_periods += acc->billed_fraction(p);
    }
    return k;
}
}  // namespace

// What the grid sees (models/workload/grid_analysis.hpp) from the sampled grid power.
nlohmann::json grid_json(const std::vector<double>& t, const std::vector<double>& p, double dt, const SiteSpec& spec) {
    if (t.size() < 3 || !(dt > 0)) return nullptr;
    const UniformSeries u = resample_uniform(t, p, dt);
    if (u.v.size() < 3) return nullptr;
    GridAnalysisOptions o;
    o.ramp_window = std::max(1.0, dt);
    o.ramp_limit = spec.power.grid.present ? spec.power.grid.ramp_limit : 0.0;
    const GridReport g = analyse_grid(u, o);
    nlohmann::json range = nlohmann::json::object(), bands = nlohmann::json::object();
    for (const auto& r : g.ranges) range[fmt::format("{:g} s", r.window)] = r.max_range;
    const double nyquist = 0.5 / dt;
    for (const auto& b : g.bands) {
        const std::string k = fmt::format("{:g}-{:g} Hz", b.band.f_lo, b.band.f_hi);
        // A band the sampling cannot see is unknown, not empty.
        bands[k] = b.band.f_hi > nyquist ? nlohmann::json()
                                         : nlohmann::json{{"energy_W2", b.energy}, {"fraction", b.fraction}, {"rms_W", b.rms}};
    }
    nlohmann::json j{{"sample_interval_s", dt},
                     {"samples", u.v.size()},
                     {"ramp_window_s", g.ramp.window},
                     {"max_ramp_W_per_s", g.ramp.max_abs},
                     {"max_ramp_time_s", g.ramp.time_of_max},
                     {"dynamic_range_W", range},
                     {"band_energy", bands}};
    if (o.ramp_limit > 0) {
        j["ramp_limit_W_per_s"] = o.ramp_limit;
        j["ramp_limit_violations"] = {{"count", g.violations.count},
                                      {"total_time_s", g.violations.total_time},
                                      {"first_time_s", g.violations.first_time >= 0 ? nlohmann::json(g.violations.first_time)
                                                                                    : nlohmann::json()},
                                      {"worst_W_per_s", g.violations.worst}};
    } else {
        j["ramp_limit_W_per_s"] = nullptr;
        j["ramp_limit_violations"] = nullptr;
    }
    return j;
}

// Per job: how its activity is given, and in averaged mode the swing it no longer resolves.
nlohmann::json jobs_json(const SiteModel& m, double t_end) {
    auto out = nlohmann::json::array();
    const SiteSpec& spec = m.spec();
    const DeviceArray& d = m.devices();
    for (std::size_t k = 0; k < d.job_count(); ++k) {
        const std::string& name = d.job_name(k);
        nlohmann::json j{{"name", name}, {"members", d.job_size(k)}, {"dynamic_power_W", d.job_dynamic_power(k)}};
        const JobSpec* js = nullptr;
        for (const auto& x : spec.jobs)
            if (x.name == name) js = &x;
        if (js && js->training.present) {
            const TrainingProfile p = training_profile(js->training);
            j["profile"] = "training";
            j["resolution"] = js->training.resolution;
            j["training_activity"] = average_activity(p);
            j["swing_W"] = swing_amplitude(p) * d.job_dynamic_power(k);
        } else {
            j["profile"] = js && js->inference.present ? "inference" : "activity_steps";
        }
        if (const SmoothedActivity* sm = m.smoothing(k)) {
            const auto [extra, deficit] = sm->costs(t_end);
            j["smoothing"] = {{"extra_energy_J", extra * double(d.job_size(k))},
                              {"deferred_energy_J", deficit * double(d.job_size(k))}};
        }
        out.push_back(j);
    }
    return out;
}

SolverOptions solver_options(const SiteSpec& spec) {
    const auto& s = spec.simulation.solver;
    SolverOptions o;
    o.rtol = s.rtol;
    // Temperature states are declared with an absolute tolerance of 1e-4 K; every state's
    // tolerance scales with the setting.
    o.abstol_scale = s.atol_temperature / 1e-4;
    o.analytic_jacobian = s.jacobian == "analytic";
    o.dense = s.linear_solver == "dense";
    o.block_elimination = s.linear_solver == "block";
    o.method = s.method == "esdirk" ? SolverOptions::Method::esdirk : SolverOptions::Method::bdf;
    o.threads = spec.simulation.threads > 0 ? spec.simulation.threads
                                            : int(std::max(1u, std::thread::hardware_concurrency()));
    o.max_step = s.max_step;
    return o;
}

RunSummary run_site(SiteModel& model, const RunOptions& opt) {
    Network& net = model.network();
    const SiteSpec& spec = model.spec();
    RunSummary sum;
    sum.site = spec.name;
    sum.output = opt.output;
    sum.states = net.size();
    sum.devices = model.device_count();
    sum.modelled_devices = model.devices().size();
    sum.duration_s = opt.steady ? 0.0 : (opt.duration >= 0 ? opt.duration : spec.simulation.duration);
    const double t0 = opt.steady ? opt.steady_at : 0.0;
    model.check_weather_span(std::max(t0, t0 + sum.duration_s));
    model.check_run_limits(sum.duration_s);

    // Start from the steady state of the first instant: a site that has been running.
    std::vector<double> y0 = net.initial_state();
    sum.initial_state = "declared";
    if (opt.steady || !opt.cold_start) {
        SteadyOptions so;
        so.t = t0;
        SteadyResult st;
        try {
            st = solve_steady(net, y0, so);
        } catch (const SteadyStateError& e) {
            // An overloaded plant has no steady state: say so before the diverged states.
            const std::string why = model.plant_shortfall(t0, y0.data());
            if (why.empty()) throw;
            throw SteadyStateError("steady state not reached: " + why + "\n  " + e.what());
        }
        y0 = st.y;
        sum.initial_state = "steady";
        sum.initial_state_s = st.wall_s;
    }
    const bool power_only = !opt.steady && spec.simulation.mode == "power-only";
    net.set_power_only(power_only);
    model.set_start(t0, y0.data());  // after the mode: the stored energy counts its states
    sum.mode = power_only ? "power-only" : "full";

    ResultsWriter::Options wo;
    wo.flush_interval_s = spec.simulation.flush_interval;
    wo.overwrite = opt.force;
    wo.max_buffer_bytes = 32u << 20;  // wide sites get fewer rows per chunk
    // Without an output path (summary-only sweeps) the row layout is still declared, since
    // the summary is made from the same rows, but no file is created.
    const bool to_file = !opt.output.empty();
    ResultsWriter w(to_file ? opt.output : std::string("(no results file)"), wo);
    model.declare_outputs(w);
    write_metadata(w, model);
    if (to_file) {
        w.begin();
        w.set_attribute("/", "dctwin_version", std::string(DCTWIN_VERSION));
        w.set_attribute("/", "site", spec.name);
        w.set_attribute("/", "mode", std::string(opt.steady ? "steady" : "transient"));
        w.set_attribute("/", "duration", sum.duration_s);
        w.set_attribute("/", "initial_state", sum.initial_state);
        w.set_attribute("/", "physics", sum.mode);
        // What made the file: versions and the solver settings that decide its numbers.
        const SolverOptions so = solver_options(spec);
        unsigned maj = 0, min = 0, rel = 0;
        H5get_libversion(&maj, &min, &rel);
        w.set_attribute("/metadata", "dctwin_version", std::string(DCTWIN_VERSION));
        w.set_attribute("/metadata", "site_format_version", std::int64_t(kSiteFormatVersion));
        w.set_attribute("/metadata", "site_file", spec.source_file);
        w.set_attribute("/metadata", "sundials_version", std::string(SUNDIALS_VERSION));
        w.set_attribute("/metadata", "hdf5_version", fmt::format("{}.{}.{}", maj, min, rel));
        w.set_attribute("/metadata", "rtol", so.rtol);
        w.set_attribute("/metadata", "atol_temperature", spec.simulation.solver.atol_temperature);
        w.set_attribute("/metadata", "linear_solver", spec.simulation.solver.linear_solver);
        w.set_attribute("/metadata", "integration_method", spec.simulation.solver.method);
        // Enumerations are stored as numbers: their codes, as JSON text, beside them.
        if (spec.simulation.write_states && model.device_count() > 0)
            w.set_attribute("/devices/throttle_reason", "codes",
                            std::string(R"({"0": "none", "1": "power_cap", "2": "thermal", "3": "external", "4": "shutdown"})"));
        w.set_attribute("/constraints/binding_family", "codes",
                        std::string(R"({"-1": "none", "0": "silicon", "1": "cooling", "2": "power"})"));
    }

    std::vector<double> row;
    const auto& acct = net.accounting();
    std::vector<Family> families;
    for (const auto& c : model.constraints()) families.push_back(c.family);
    ConstraintTracker tracker(families);
    sum.limits.constraints = model.constraints();
    // Grid power samples: at the output rows, or every grid_sample_interval inside the steps.
    const double gdt = opt.steady ? 0.0 : spec.simulation.grid_sample_interval;
    std::vector<double> grid_t, grid_p;
    KpiAccumulator kpi(spec.power.grid, model.grid_series(), t0);
    using Clock = std::chrono::steady_clock;
    auto seconds_since = [](Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); };
    auto record = [&](double t, const double* y) {
        const auto wall0 = Clock::now();
        const SitePoint p = model.output_row(t, y, row);
        sum.throttled_devices_at_end = p.throttled_devices;
        sum.peak_grid = std::max(sum.peak_grid, p.grid_power);
        sum.peak_it = std::max(sum.peak_it, p.it_power);
        if (sum.rows == 0 || p.max_junction_T > sum.max_junction_T) {
            sum.max_junction_T = p.max_junction_T;
            sum.hottest_device = model.device_count() ? model.devices().path(p.hottest_device) : "";
        }
        if (to_file) w.append(t, row.data());
        if (opt.on_row) opt.on_row(t, row);
        tracker.add(t, model.constraint_utilisation().data(), model.constraint_values().data(),
                    model.constraint_limits().data());
        if (gdt == 0 || sum.rows == 0) grid_t.push_back(t), grid_p.push_back(p.grid_power);
        kpi.add(t, y[acct.grid]);
        ++sum.rows;
        sum.output_s += seconds_since(wall0);
        return p;
    };
    auto close_energies = [&](const double* y) {
        sum.e_grid = y[acct.grid];
        sum.e_generator = y[acct.generator];
        sum.e_it = y[acct.it];
        sum.e_cooling = y[acct.cooling];
        sum.e_losses = y[acct.losses];
        // Power-only: heat flows into held temperatures, so what leaves is not computed (NaN, null
        // in JSON), as the energy balance.
        sum.e_rejected = power_only ? std::nan("") : net.rejected_energy(y) - net.rejected_energy(y0.data());
        sum.e_stored = net.stored_energy(y) - net.stored_energy(y0.data());
        // ISO/IEC 30134-2 counts the energy of on-site sources: what the stores (UPS battery,
        // site battery, rack storage) gave up over the run counts, what they took in (already
        // in the grid's energy) does not. Undefined (NaN, null in JSON) without an IT load:
        // IT energy below 1e-6 of the facility's (all of it shed) is roundoff, not a load.
        double stored_electric = 0.0;
        for (std::size_t i = 0; i < net.states().size(); ++i)
            if (net.states()[i].storage) stored_electric += y[i] - y0[i];
        const double e_facility = sum.e_grid + sum.e_generator - stored_electric;
        sum.pue = sum.e_it > 1e-6 * std::abs(e_facility) && sum.e_it > 0 ? e_facility / sum.e_it : std::nan("");
        const double e_in = sum.e_grid + sum.e_generator;
        // Power-only: the heat goes into held temperatures, so there is no balance to close.
        sum.energy_balance_error = power_only ? std::nan("")
                                   : e_in > 0 ? std::abs(e_in - sum.e_rejected - sum.e_stored) / e_in
                                              : 0.0;
        sum.losses_by_stage.clear();
        for (int g : net.loss_group_states()) {
            const std::string& path = net.states()[std::size_t(g)].path;
            sum.losses_by_stage.emplace_back(path.substr(path.rfind('/') + 1), y[g] - y0[std::size_t(g)]);
        }
        if (const int b = model.site_battery_loss_state(); b >= 0)
            sum.losses_by_stage.emplace_back("site_battery", y[b] - y0[std::size_t(b)]);
        const DeviceArray& d = model.devices();
        const double span = sum.t_reached_s - t0;
        double work = 0, members = 0;
        for (std::size_t j = 0; j < d.job_count(); ++j) {
            work += double(d.job_size(j)) * (y[d.job_work_state(j)] - y0[std::size_t(d.job_work_state(j))]);
            members += double(d.job_size(j));
        }
        sum.throughput_fraction = members > 0 && span > 0 ? work / (members * span) : 1.0;
        for (int r = 0; r < 4; ++r) {
            const int s = d.throttle_state(Throttle(r + 1));
            sum.throttled_s[r] = y[s] - y0[std::size_t(s)];
        }
        const CoolingSystem& cs = model.cooling();
        sum.cooling_by_component.clear();
        for (const auto& [name, st] : cs.energy_states())
            sum.cooling_by_component.emplace_back(name, y[st] - y0[std::size_t(st)]);
        sum.has_plant = cs.water_state() >= 0;
        if (sum.has_plant) sum.water_m3 = y[cs.water_state()] - y0[std::size_t(cs.water_state())];
        const std::vector<double> lost = model.lost_work(y);
        sum.limits.lost_total = 0;
        for (int c = 0; c < kLostCauseCount; ++c) sum.limits.lost[c] = lost[std::size_t(c)], sum.limits.lost_total += lost[std::size_t(c)];
        sum.limits.possible = model.possible_work(sum.t_reached_s);
        sum.limits.duration = span;
    };

    if (opt.steady) {
        const SitePoint p = record(t0, y0.data());
        sum.pue = p.it_power > 0 ? p.grid_power / p.it_power : std::nan("");
        sum.throughput_fraction = p.throughput;
        sum.throttled_devices_at_end = p.throttled_devices;
        sum.energy_balance_error = p.grid_power > 0 ? std::abs(p.grid_power - p.heat_rejection) / p.grid_power : 0.0;
        // At the design point the KPIs are ratios of powers (a second's energies).
        KpiInputs k = kpi_inputs(model, sum, nullptr);
        k.steady = true;
        k.e_it = p.it_power, k.e_grid = p.grid_power, k.e_generator = p.generator_power;
        k.e_facility = p.grid_power + p.generator_power + p.storage_release;
        const GridSeries& gs = model.grid_series();
        if (k.has_carbon) k.carbon_kg = gs.carbon_intensity.at(t0) * p.grid_power;
        if (k.has_renewable) k.renewable_J = gs.renewable_share.at(t0) * p.grid_power;
        sum.kpis = kpis_json(k);
        sum.status = "complete";
        sum.t_reached_s = t0;
        sum.limits.take(tracker);
        if (to_file) {
            write_kpis(w, sum.kpis);
            w.set_attribute("/", "summary_json", sum.to_json().dump());
            w.finish(sum.status, t0);
        }
        return sum;
    }

    Integrator integ(net, solver_options(spec));
    integ.start(t0, y0);
    std::vector<double> ys;  // outlives the observer's calls
    if (gdt > 0) {
        long next = 1;
        integ.set_step_observer([&, next](double, double b) mutable {
            const auto wall0 = Clock::now();
            for (double ts = t0 + double(next) * gdt; ts <= b && ts <= t0 + sum.duration_s; ts = t0 + double(++next) * gdt) {
                integ.interpolate(ts, ys);
                grid_t.push_back(ts);
                grid_p.push_back(model.point(ts, ys.data()).grid_power);
            }
            sum.output_s += seconds_since(wall0);
        });
    }
    record(t0, y0.data());
    const double T = sum.duration_s, dt = spec.simulation.output_interval;
    // Events found by the solver, merged in time order with the scenario's own (outages,
    // generator steps) as the run passes them.
    const auto& scheduled = model.scheduled_events();
    std::size_t next_scheduled = 0;
    while (next_scheduled < scheduled.size() && scheduled[next_scheduled].time < t0) ++next_scheduled;
    auto drain_events = [&] {
        std::vector<Event> found = integ.take_events();
        while (next_scheduled < scheduled.size() && scheduled[next_scheduled].time <= integ.t())
            found.push_back(scheduled[next_scheduled++]);
        std::stable_sort(found.begin(), found.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
        for (auto& e : found) {
            if (to_file) w.append_event(e.time, e.path, std::string(event_name(e.kind)), e.message);
            sum.events.push_back(std::move(e));
        }
    };
    sum.status = "complete";
    try {
        for (long k = 1; integ.t() < T; ++k) {
            const double tout = std::min(T, t0 + double(k) * dt);
            while (!integ.advance(tout)) drain_events();
            drain_events();
            record(integ.t(), integ.y().data());
            if (opt.progress) opt.progress(integ.t(), T);
            if (g_stop_requested.load()) {
                sum.status = "interrupted";
                break;
            }
        }
    } catch (const SolverError& e) {
        drain_events();
        sum.status = "incomplete";
        sum.solver = integ.stats();
        if (to_file) {
            write_solver_stats(w, sum.solver);
            w.set_attribute("/", "error", std::string(e.what()));
            w.finish(sum.status, integ.t());
        }
        throw;
    }
    sum.t_reached_s = integ.t();
    sum.solver = integ.stats();
    // Ride-through: from the first cooling fault to the first thermal throttle after it.
    if (const auto faults = model.cooling_faults(); !faults.empty()) {
        const double t_fault = faults.front().time;
        if (t_fault <= sum.t_reached_s) {
            sum.ride_through_s = HUGE_VAL;
            for (const auto& e : sum.events)
                if ((e.kind == EventKind::thermal_throttle_onset || e.kind == EventKind::shutdown) && e.time >= t_fault) {
                    sum.ride_through_s = e.time - t_fault;
                    sum.ride_through_device = e.path;
                    break;
                }
        }
    }
    close_energies(integ.y().data());
    kpi.finish();
    sum.kpis = kpis_json(kpi_inputs(model, sum, &kpi));
    sum.limits.take(tracker);
    sum.grid = grid_json(grid_t, grid_p, gdt > 0 ? gdt : spec.simulation.output_interval, spec);
    sum.jobs = jobs_json(model, sum.t_reached_s);
    if (to_file) {
        write_solver_stats(w, sum.solver);
        write_kpis(w, sum.kpis);
        w.set_attribute("/", "energy_balance_error", sum.energy_balance_error);
        w.set_attribute("/", "summary_json", sum.to_json().dump());
        w.finish(sum.status, sum.t_reached_s);
    }
    return sum;
}

nlohmann::json RunSummary::to_json() const {
    nlohmann::json j;
    j["site"] = site;
    j["status"] = status;
    j["output"] = output;
    j["initial_state"] = initial_state;
    j["mode"] = mode;
    j["duration_s"] = duration_s;
    j["t_reached_s"] = t_reached_s;
    j["energy_J"] = {{"grid", e_grid}, {"generator", e_generator}, {"it", e_it}, {"cooling", e_cooling}, {"losses", e_losses},
                     {"rejected", std::isnan(e_rejected) ? nlohmann::json() : nlohmann::json(e_rejected)},
                     {"stored_change", e_stored}};
    j["peak_power_W"] = {{"grid", peak_grid}, {"it", peak_it}};
    j["losses_by_stage_J"] = nlohmann::json::object();
    for (const auto& [k, v] : losses_by_stage) j["losses_by_stage_J"][k] = v;
    j["pue"] = std::isfinite(pue) ? nlohmann::json(pue) : nlohmann::json();
    j["max_junction_temperature_C"] = max_junction_T - kCelsius;
    j["hottest_device"] = hottest_device;
    j["energy_balance_error"] = std::isnan(energy_balance_error) ? nlohmann::json() : nlohmann::json(energy_balance_error);
    j["throughput_fraction"] = throughput_fraction;
    j["throttled_device_seconds"] = {{"power_cap", throttled_s[0]}, {"thermal", throttled_s[1]},
                                     {"external", throttled_s[2]}, {"dropped_out", throttled_s[3]}};
    j["throttled_devices_at_end"] = throttled_devices_at_end;
    j["cooling_energy_by_component_J"] = nlohmann::json::object();
    for (const auto& [k, v] : cooling_by_component) j["cooling_energy_by_component_J"][k] = v;
    if (has_plant) {
        j["water_m3"] = water_m3;
        j["wue_L_per_kWh"] = e_it > 0 ? nlohmann::json(water_m3 * 1e3 / (e_it / 3.6e6)) : nlohmann::json();
    }
    if (!std::isnan(ride_through_s)) {
        // null: no device throttled before the end of the run.
        j["ride_through_s"] = std::isfinite(ride_through_s) ? nlohmann::json(ride_through_s) : nlohmann::json();
        j["ride_through_device"] = ride_through_device;
    }
    j["states"] = states;
    j["devices"] = devices;
    j["modelled_devices"] = modelled_devices;
    j["output_rows"] = rows;
    j["solver"] = {{"steps", solver.steps}, {"rhs_evals", solver.rhs_evals}, {"jac_evals", solver.jac_evals},
                   {"linear_solver_setups", solver.lin_setups}, {"reinitialisations", solver.reinits},
                   {"exact_stretches", solver.exact_stretches},
                   {"retries", solver.retries}, {"root_evals", solver.root_evals},
                   {"linear_solves", solver.nonlin_iters},  // one per Newton iteration
                   {"wall_s", solver.wall_s},
                   {"time_s", {{"rhs", solver.rhs_s}, {"jacobian", solver.jac_s}, {"roots", solver.roots_s},
                               {"linear_setup", solver.lsetup_s}, {"linear_solve", solver.lsolve_s},
                               {"integrator", std::max(0.0, solver.wall_s - solver.rhs_s - solver.jac_s - solver.roots_s -
                                                                solver.lsetup_s - solver.lsolve_s)}}}};
    j["wall_s"] = {{"setup", setup_s}, {"initial_state", initial_state_s}, {"solver", solver.wall_s}, {"output", output_s}};
    j["grid"] = grid;
    j["jobs"] = jobs;
    j["kpis"] = kpis.is_null() ? nlohmann::json::object() : kpis;
    j["binding"] = limits.binding_json();
    j["constraints"] = limits.constraints_json(10);
    j["constraint_count"] = limits.constraints.size();
    j["binding_family_s"] = limits.families_json();
    j["lost_work_device_s"] = limits.lost_work_json();
    auto outages = nlohmann::json::array();
    for (const auto& e : events)
        if (e.path.rfind("power/", 0) == 0 || e.kind == EventKind::load_shed || e.kind == EventKind::psu_failure ||
            e.kind == EventKind::psu_repaired || e.kind == EventKind::pdu_failure)
            outages.push_back({{"time_s", e.time}, {"path", e.path}, {"kind", e.kind}, {"message", e.message}});
    j["outages"] = outages;
    auto ev = nlohmann::json::array();
    for (const auto& e : events)
        ev.push_back({{"time_s", e.time}, {"path", e.path}, {"kind", e.kind}, {"message", e.message}});
    j["events"] = ev;
    return j;
}

namespace {
std::string si(double v, const char* unit) {
    const double a = std::abs(v);
    if (a >= 1e12) return fmt::format("{:.3f} T{}", v / 1e12, unit);
    if (a >= 1e9) return fmt::format("{:.3f} G{}", v / 1e9, unit);
    if (a >= 1e6) return fmt::format("{:.3f} M{}", v / 1e6, unit);
    if (a >= 1e3) return fmt::format("{:.3f} k{}", v / 1e3, unit);
    return fmt::format("{:.3f} {}", v, unit);
}
}  // namespace

std::string RunSummary::to_text() const {
    std::string s;
    s += fmt::format("site {}: {} run, {}\n", site, duration_s > 0 ? "transient" : "steady", status);
    s += fmt::format("  {} devices, {} states, initial state: {}\n", devices, states, initial_state);
    if (duration_s > 0) {
        s += fmt::format("  simulated {:.0f} s of {:.0f} s\n", t_reached_s, duration_s);
        s += fmt::format("  energy: grid {}{}, IT {}, cooling {}, conversion losses {}\n", si(e_grid / 3600, "Wh"),
                         e_generator > 0 ? ", generator " + si(e_generator / 3600, "Wh") : std::string(),
                         si(e_it / 3600, "Wh"), si(e_cooling / 3600, "Wh"), si(e_losses / 3600, "Wh"));
    }
    s += fmt::format("  peak power: grid {}, IT {}\n", si(peak_grid, "W"), si(peak_it, "W"));
    s += std::isfinite(pue) ? fmt::format("  PUE {:.4f}\n", pue) : std::string("  PUE undefined (no IT load)\n");
    s += fmt::format("  max junction temperature {:.2f} degC ({})\n", max_junction_T - kCelsius, hottest_device);
    s += fmt::format("  throughput {:.2f} % of full clock; {} devices throttled at the end\n", 100 * throughput_fraction,
                     throttled_devices_at_end);
    if (duration_s > 0)
        s += fmt::format("  throttled device-hours: power cap {:.3f}, thermal {:.3f}, external {:.3f}, dropped out {:.3f}\n",
                         throttled_s[0] / 3600, throttled_s[1] / 3600, throttled_s[2] / 3600, throttled_s[3] / 3600);
    if (has_plant && duration_s > 0 && e_it > 0)
        s += fmt::format("  water {:.3f} m3\n", water_m3);
    // The site KPIs, each with its reason where it has no value.
    if (kpis.is_object() && !kpis.empty()) {
        auto one = [&](const char* key, const char* label, const char* fmt_) {
            const auto& k = kpis[key];
            std::string v = k["value"].is_number() ? fmt::format(fmt::runtime(fmt_), k["value"].get<double>()) : "n/a";
            if (k["reason"].is_string() && !k["value"].is_number()) v += " (" + k["reason"].get<std::string>() + ")";
            return fmt::format("{} {}", label, v);
        };
        s += fmt::format("  KPIs: {}, {}, {}, {}\n", one("wue", "WUE", "{:.3f} L/kWh"), one("erf", "ERF", "{:.3f}"),
                         one("ref", "REF", "{:.3f}"), one("cue", "CUE", "{:.4f} kg/kWh"));
        const auto& c = kpis["grid_cost"];
        const std::string cur = c["unit"].get<std::string>();
        if (c["value"].is_number()) {
            const double billed = c["billed_periods"].get<double>();
            const int periods = c["billing_periods"].get<int>();
            // Say when the demand charge is a share of the periods' charges, not their bills.
            std::string share;
            if (billed < periods - 1e-9)
                share = fmt::format("; pro-rated: {} of {} billing period{} of {}",
                                    io::human_duration(billed * c["billing_period_s"].get<double>()), periods,
                                    periods == 1 ? "" : "s", io::human_duration(c["billing_period_s"].get<double>()));
            s += fmt::format("  grid cost {:.2f} {}: energy {:.2f}, demand {:.2f} on a peak of {} ({:g} min mean{})\n",
                             c["value"].get<double>(), cur, c["energy_cost"].get<double>(), c["demand_cost"].get<double>(),
                             si(c["peak_demand_W"].get<double>(), "W"), c["demand_interval_s"].get<double>() / 60, share);
        }
        else
            s += fmt::format("  grid cost n/a ({})\n", c["reason"].is_string() ? c["reason"].get<std::string>() : "");
    }
    // What the grid sees, on every site: the largest ramp, the swing, the interconnect's limit.
    if (grid.is_object() && grid.contains("max_ramp_W_per_s") && grid["max_ramp_W_per_s"].is_number()) {
        s += fmt::format("  grid: largest ramp {}/s at t = {:.0f} s (over {:.0f} s)", si(grid["max_ramp_W_per_s"].get<double>(), "W"),
                         grid.value("max_ramp_time_s", 0.0), grid.value("ramp_window_s", 0.0));
        if (grid.contains("dynamic_range_W") && grid["dynamic_range_W"].contains("60 s") &&
            grid["dynamic_range_W"]["60 s"].is_number())
            s += fmt::format(", swing within 60 s {}", si(grid["dynamic_range_W"]["60 s"].get<double>(), "W"));
        if (grid["ramp_limit_violations"].is_object())
            s += fmt::format("; ramp limit {}/s: {} violations", si(grid["ramp_limit_W_per_s"].get<double>(), "W"),
                             grid["ramp_limit_violations"].value("count", 0));
        s += "\n";
    }
    if (!std::isnan(ride_through_s))
        s += std::isfinite(ride_through_s)
                 ? fmt::format("  ride-through: {:.1f} s from the first cooling fault to the first throttle ({})\n",
                               ride_through_s, ride_through_device)
                 : std::string("  ride-through: no device throttled after the cooling fault before the end\n");
    s += limits.headline();
    if (limits.lost_total > 0 && limits.possible > 0) {
        s += fmt::format("  lost work {:.3f} % of possible:", 100 * limits.lost_total / limits.possible);
        for (int c = 0; c < kLostCauseCount; ++c)
            if (limits.lost[c] > 0) s += fmt::format(" {} {:.3f} device-h", kLostCauseNames[c], limits.lost[c] / 3600);
        s += "\n";
    }
    s += std::isnan(energy_balance_error)
             ? std::string("  energy balance: not computed (power-only: temperatures held)\n")
             : fmt::format("  energy balance error {:.2e} (relative)\n", energy_balance_error);
    if (!events.empty()) {
        s += fmt::format("  {} events, first: t = {:.1f} s {} {}\n", events.size(), events.front().time,
                         events.front().path, event_name(events.front().kind));
    }
    if (duration_s > 0)
        s += fmt::format("  solver: {} steps, {} rhs, {} Jacobians, {:.3f} s wall\n", solver.steps, solver.rhs_evals,
                         solver.jac_evals, solver.wall_s);
    s += fmt::format("  results: {}\n", output);
    return s;
}

}  // namespace dctwin
