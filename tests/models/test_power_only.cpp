// Power-only mode (simulation.mode: power-only): the temperatures are held at the initial
// state and the electrical side runs. With the activity stepping between stretches of constant
// input, every power is constant in each stretch, so the energies are sums of power times
// length, which the test computes from the model at the held state, stretch by stretch.

#include <doctest/doctest.h>

#include <cmath>
#include <tuple>
#include <string>
#include <vector>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/integrator.hpp"
#include "solver/steady.hpp"
#include "tests/models/model_test_util.hpp"
#include "viz/results.hpp"

using namespace dctwin;

namespace {
const std::string kPod = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";
}  // namespace

TEST_CASE("power-only: energies are the held state's powers times the stretches, temperatures stay") {
    // The example pod's job: activity 0.05, 0.95 at 10 min, 0.2 at 40 min, 0.95 at 42 min.
    const double T = 3600;
    const std::vector<double> switches{0, 600, 2400, 2520, T};
    SiteModel m(load_site(kPod, {"simulation.mode=power-only", "simulation.write_states=true"}));
    RunOptions o;
    o.duration = T;
    o.output = test::scratch("power-only", "pod.h5");
    o.force = true;
    const RunSummary s = run_site(m, o);
    REQUIRE(s.status == "complete");
    CHECK(s.mode == "power-only");
    CHECK(std::isnan(s.energy_balance_error));  // no balance to close with temperatures held

    // The expected energies, from a model of the same site evaluated at its initial steady state.
    SiteModel ref(load_site(kPod));
    Network& net = ref.network();
    const auto y0 = solve_steady(net, net.initial_state(), SteadyOptions{0}).y;
    double grid = 0, it = 0, cooling = 0;
    for (std::size_t k = 0; k + 1 < switches.size(); ++k) {
        const SitePoint p = ref.point(0.5 * (switches[k] + switches[k + 1]), y0.data());
        const double dt = switches[k + 1] - switches[k];
        grid += p.grid_power * dt, it += p.it_power * dt, cooling += p.cooling_power * dt;
    }
    CHECK(s.e_it == doctest::Approx(it).epsilon(1e-9));
    CHECK(s.e_grid == doctest::Approx(grid).epsilon(1e-9));
    CHECK(s.e_cooling == doctest::Approx(cooling).epsilon(1e-9));

    // Every junction stays where it started.
    ResultsReader r(o.output);
    std::vector<std::size_t> shape;
    const auto tj = r.read("/devices/junction_temperature", &shape);
    REQUIRE(shape.size() == 2);
    REQUIRE(shape[0] > 100);
    double drift = 0;
    for (std::size_t i = 0; i < shape[0]; ++i)
        for (std::size_t c = 0; c < shape[1]; ++c) drift = std::max(drift, std::abs(tj[i * shape[1] + c] - tj[c]));
    CHECK(drift == 0.0);
}

TEST_CASE("power-only: under constant load it agrees with the full run, which stays at its steady state") {
    const std::vector<std::string> sets{"workload={activity: [{at: 0 s, value: 0.7}]}"};
    auto run = [&](const std::string& mode) {
        std::vector<std::string> s = sets;
        s.push_back("simulation.mode=" + mode);
        SiteModel m(load_site(kPod, s));
        RunOptions o;
        o.duration = 1800;
        return run_site(m, o);
    };
    const RunSummary full = run("full"), power = run("power-only");
    CHECK(power.e_grid == doctest::Approx(full.e_grid).epsilon(1e-6));
    CHECK(power.e_it == doctest::Approx(full.e_it).epsilon(1e-6));
    CHECK(power.pue == doctest::Approx(full.pue).epsilon(1e-6));
}

TEST_CASE("power-only: exact stretches give CVODE's answer, and CVODE takes the stretches where a battery moves") {
    // The outage pod: a 10-minute outage bridged by the UPS battery and the generator. Where
    // nothing electrical moves the stretch is integrated exactly; during the outage the
    // battery discharges and CVODE integrates, as it does everything with exact stretches off.
    for (const char* site : {"outage-pod.yaml", "example-pod.yaml"}) {
        CAPTURE(std::string(site));
        auto run = [&](bool exact) {
            const SiteSpec spec = load_site(std::string(DCTWIN_SOURCE_DIR) + "/sites/" + site, {"simulation.mode=power-only"});
            SiteModel m(spec);
            Network& net = m.network();
            net.set_power_only(true);
            const auto y0 = solve_steady(net, net.initial_state(), SteadyOptions{0}).y;
            SolverOptions o = solver_options(spec);
            o.exact_power_only = exact;
            o.rtol = 1e-10;
            Integrator integ(net, o);
            integ.start(0.0, y0);
            std::vector<Event> events;
            while (!integ.advance(3600.0))
                for (auto& e : integ.take_events()) events.push_back(e);
            return std::tuple(std::vector<double>(integ.y().begin(), integ.y().end()), integ.stats(), events.size());
        };
        const auto [ye, se, ne] = run(true);
        const auto [yc, sc, nc] = run(false);
        CHECK(se.exact_stretches > 0);
        CHECK(sc.exact_stretches == 0);
        CHECK(se.steps < sc.steps);
        if (std::string(site) == "outage-pod.yaml") CHECK(se.steps > 0);  // the battery's stretches
        CHECK(ne == nc);  // the same electrical events (battery, generator), found by CVODE
        double worst = 0;
        for (std::size_t i = 0; i < ye.size(); ++i) worst = std::max(worst, std::abs(ye[i] - yc[i]) / std::max(1.0, std::abs(yc[i])));
        CHECK(worst < 1e-7);
    }
}
