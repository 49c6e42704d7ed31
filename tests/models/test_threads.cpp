// Threads inside a run (simulation.threads) change nothing: the same results to the bit.

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "tests/models/model_test_util.hpp"
#include "io/results.hpp"

using namespace dctwin;

TEST_CASE("threads: a run on 1, 2 and 3 threads writes the same results to the bit") {
    // gb200-hall: 16 416 devices and 43 984 states, large enough for every threaded loop
    // (devices, conductances, the electrical tree's sums, the block elimination, long vectors,
    // racks and constraints of the output rows) to run on the threads; a training job with
    // iterations resolved, so that the minute holds many input steps.
    const std::vector<std::string> series{"/devices/junction_temperature", "/devices/power", "/racks/power",
                                          "/site/energy_grid", "/site/energy_stored_change", "/constraints/utilisation",
                                          "/cooling/cdus/duty", "/power/stages/input_power"};
    std::vector<std::vector<double>> first;
    RunSummary first_summary;
    for (int threads : {1, 2, 3}) {
        CAPTURE(threads);
        SiteModel m(load_site(std::string(DCTWIN_SOURCE_DIR) + "/sites/gb200-hall.yaml",
                              {"simulation.threads=" + std::to_string(threads), "simulation.write_states=true",
                               "variability={thermal_resistance: 0.05, leakage: 0.1}",
                               "workload={jobs: {train: {training: {iteration_period: 2 s, compute_fraction: 0.7, "
                               "compute_activity: 1, communication_activity: 0.4, resolution: iterations}}}}"}));
        RunOptions o;
        o.duration = 60;
        o.output = test::scratch("threads", "gb200-" + std::to_string(threads) + ".h5");
        o.force = true;
        const RunSummary s = run_site(m, o);
        REQUIRE(s.status == "complete");
        ResultsReader r(o.output);
        std::vector<std::vector<double>> got;
        for (const auto& name : series) got.push_back(r.read(name));
        if (threads == 1) {
            first = got;
            first_summary = s;
            continue;
        }
        CHECK(s.solver.steps == first_summary.solver.steps);
        CHECK(s.solver.rhs_evals == first_summary.solver.rhs_evals);
        CHECK(std::memcmp(&s.e_grid, &first_summary.e_grid, sizeof(double)) == 0);
        CHECK(std::memcmp(&s.max_junction_T, &first_summary.max_junction_T, sizeof(double)) == 0);
        for (std::size_t i = 0; i < series.size(); ++i) {
            CAPTURE(series[i]);
            REQUIRE(got[i].size() == first[i].size());
            CHECK(std::memcmp(got[i].data(), first[i].data(), got[i].size() * sizeof(double)) == 0);
        }
    }
}
