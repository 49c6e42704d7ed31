// In-rack energy storage at the power shelves: the rack's draw from its feed under the ramp
// limit, the energy balance with the stores, their loss against its integral, the Jacobian.

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "input/site_loader.hpp"
#include "models/power/rack_storage.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "tests/models/model_test_util.hpp"
#include "solver/integrator.hpp"
#include "solver/steady.hpp"
#include "io/results.hpp"

using namespace dctwin;

namespace {
const std::string kPod = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";
const std::string kStore = "rack_types.hgx-h100.power_shelf.storage={capacity: 1 kWh, power: 25 kW, ramp_limit: 2 kW/s}";

std::string scratch(const std::string& name) { return test::scratch("rack-storage", name); }

struct Series {
    std::vector<double> t, v;  // v row-major: rows x cols
    std::size_t cols = 0;
};

Series read(const std::string& file, const std::string& path) {
    ResultsReader r(file);
    Series s;
    s.t = r.time();
    std::vector<std::size_t> shape;
    s.v = r.read(path, &shape);
    s.cols = shape.size() > 1 ? shape[1] : 1;
    return s;
}

// Largest |dp/dt| of any column between consecutive rows [W/s].
double max_ramp(const Series& s) {
    double m = 0;
    for (std::size_t k = 1; k < s.t.size(); ++k)
        for (std::size_t c = 0; c < s.cols; ++c)
            m = std::max(m, std::abs(s.v[k * s.cols + c] - s.v[(k - 1) * s.cols + c]) / (s.t[k] - s.t[k - 1]));
    return m;
}

double loss_group(const RunSummary& s, const std::string& name) {
    for (const auto& [k, v] : s.losses_by_stage)
        if (k == name) return v;
    return std::nan("");
}
}  // namespace

TEST_CASE("in-rack storage keeps each rack's draw under its ramp limit through a training job, and the balance closes") {
    // 160 devices in 4 racks swing about 14 kW per rack at every phase switch of 2 s iterations.
    // Output rows every 1/16 s: no row falls within rounding of a phase switch.
    const std::vector<std::string> base = {"simulation.write_states=false", "simulation.output_interval=0.0625 s",
                                           "workload={jobs: {train: {training: {iteration_period: 2 s}}}}"};
    double ramp[2];
    RunSummary sum[2];
    for (int k = 0; k < 2; ++k) {
        auto sets = base;
        if (k) sets.push_back(kStore);
        SiteModel m(load_site(kPod, sets));
        RunOptions o;
        o.duration = 60;
        o.output = scratch(k ? "store.h5" : "bare.h5");
        o.force = true;
        sum[k] = run_site(m, o);
        ramp[k] = max_ramp(read(o.output, "/racks/power"));
        if (k) {
            // The store stayed within its power and away from the ends of its energy.
            const Series e = read(o.output, "/racks/storage_energy"), d = read(o.output, "/racks/storage_power");
            for (double x : e.v) CHECK((x > 0.1 * 3.6e6 && x < 0.9 * 3.6e6));
            double dmax = 0;
            for (double x : d.v) dmax = std::max(dmax, std::abs(x));
            CHECK(dmax > 5e3);   // it did the smoothing
            CHECK(dmax < 25e3);  // within its power
        }
    }
    CHECK(ramp[0] > 50 * 2e3);  // bare: the phase switches are steps
    CHECK(ramp[1] <= 2e3 * (1 + 1e-6));
    CHECK(sum[1].energy_balance_error < 1e-6);
    const double lost = loss_group(sum[1], "rack_storage");
    CHECK(lost > 0);
    CHECK(std::isnan(loss_group(sum[0], "rack_storage")));  // no stores, no group
    // The stores' energy cost: a small share of what the racks drew.
    CHECK(lost < 0.02 * sum[1].e_it);
}

TEST_CASE("in-rack storage: the loss reported is the integral of the stores' loss") {
    // One activity step at 10.03125 s (halfway between output rows, so trapezoids over the rows are exact to
    // first order at the jump): each store delivers the step and falls back at the ramp limit,
    // then recharges over its recharge time. Loss = d (1/eta_d - 1) discharging, |d| (1 - eta_c)
    // charging (the run ends while the recharge is still far above the 25 W band around zero
    // where the two blend).
    // The rows are interpolated inside the solver's steps, so the comparison needs a tolerance
    // below its own 1e-4: at the default 1e-6 the steps span seconds, and CVODE's error norm
    // (an RMS over every state) lets a small flow such as this loss drift by 1e-3 of itself.
    const double etad = 0.92, etac = 0.96;
    SiteModel m(load_site(kPod, {"simulation.write_states=false", "simulation.output_interval=0.0625 s",
                                 "simulation.solver.rtol=1e-8",
                                 "workload={activity: [{at: 0 s, value: 0.1}, {at: 10.03125 s, value: 0.9}]}",
                                 "rack_types.hgx-h100.power_shelf.storage={capacity: 1 kWh, power: 25 kW, ramp_limit: "
                                 "1 kW/s, recharge_time: 40 s, charge_efficiency: 0.96, discharge_efficiency: 0.92}"}));
    RunOptions o;
    o.duration = 150;
    o.output = scratch("loss.h5");
    o.force = true;
    const RunSummary s = run_site(m, o);
    const Series d = read(o.output, "/racks/storage_power");
    REQUIRE(d.cols == 4);
    auto loss = [&](double x) { return x > 0 ? x * (1 / etad - 1) : -x * (1 - etac); };
    double integral = 0, discharged = 0;
    for (std::size_t k = 1; k < d.t.size(); ++k)
        for (std::size_t c = 0; c < d.cols; ++c) {
            const double a = d.v[(k - 1) * d.cols + c], b = d.v[k * d.cols + c], dt = d.t[k] - d.t[k - 1];
            integral += 0.5 * (loss(a) + loss(b)) * dt;
            discharged += 0.5 * (std::max(a, 0.0) + std::max(b, 0.0)) * dt;
        }
    CHECK(discharged > 4 * 0.5 * 10e3 * 10);  // each store carried a step of over 10 kW for over 10 s
    CHECK(loss_group(s, "rack_storage") == doctest::Approx(integral).epsilon(1e-4));
    CHECK(s.energy_balance_error < 1e-6);
}

TEST_CASE("in-rack storage: the Jacobian with stores discharging and charging under the busway, UPS and transformer") {
    for (const double off : {-6e3, 6e3}) {
        INFO("draw target offset " << off << " W");
        SiteModel m(load_site(kPod, {"halls.hall1.rows.rowA.count=1", "halls.hall1.rows.rowB.count=1", kStore,
                                     "power.site_battery={capacity: 5 kWh, power: 150 kW}"}));
        Network& net = m.network();
        auto y = solve_steady(net, net.initial_state(), SteadyOptions{600}).y;
        for (std::size_t i = 0; i < y.size(); ++i) {
            if (net.states()[i].accumulator) y[i] = 1e5;
            if (net.states()[i].path.ends_with("storage/draw_target")) y[i] += off;
        }
        CHECK(test::jacobian_mismatches(net, 600, y) == 0);
        const auto* rs = m.rack_storage();
        REQUIRE(rs != nullptr);
        CHECK(rs->size() == 2);
        CHECK((off < 0 ? rs->last_power(0) > 0 : rs->last_power(0) < 0));
    }
}

TEST_CASE("in-rack storage: enabled=false builds the racks without it") {
    SiteModel m(load_site(kPod, {kStore, "rack_types.hgx-h100.power_shelf.storage.enabled=false"}));
    CHECK(m.rack_storage() == nullptr);
    CHECK_THROWS_WITH_AS(load_site(kPod, {"rack_types.hgx-h100.power_shelf.storage={capacity: 1 kWh, power: 25 kW}"}),
                         doctest::Contains("missing required key \"ramp_limit\""), InputError);
}
