// Whole sites built from site files: variability, air cooling, the catalogue, Jacobians.

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>

#include <fmt/format.h>

#include "input/catalogue.hpp"
#include "input/site_loader.hpp"
#include "models/site_model.hpp"
#include "solver/integrator.hpp"
#include "solver/steady.hpp"
#include "tests/models/model_test_util.hpp"

using namespace dctwin;

namespace {

const std::string kDir = std::string(DCTWIN_SOURCE_DIR) + "/sites/";

std::vector<double> junctions(SiteModel& m, const std::vector<double>& y) {
    std::vector<double> t;
    for (std::size_t k = 0; k < m.device_count(); ++k) t.push_back(y[std::size_t(m.devices().nodes(k).junction)]);
    return t;
}

std::vector<double> steady(SiteModel& m, double at) {
    return solve_steady(m.network(), m.network().initial_state(), SteadyOptions{at}).y;
}

// A one-rack site around a device type given as YAML lines (indented four spaces).
std::string one_rack(const std::string& device, const std::string& rack_extra = "") {
    return fmt::format(R"(dctwin: 1
site: {{ name: t }}
ambient: {{ temperature: 25 degC }}
coolant: {{ fluid: water, supply_temperature: 30 degC }}
facility: {{ pump_head: 150 kPa, pump_efficiency: 0.7, rejection_specific_power: 0.02 W/W }}
power:
  distribution: {{ efficiency: 0.97, no_load_loss: 1 kW, rating: 100 kW }}
  electrical_room: {{ heat_capacity: 1 MJ/K, conductance: 1 kW/K }}
device_types:
  dev:
{}
rack_types:
  r:
    devices: {{ d: {{ type: dev, count: 4 }} }}
    coolant_flow: 20 L/min
    coolant_volume: 10 L
    other_power: 500 W
    power_shelf: {{ efficiency: 0.96, no_load_loss: 50 W, rating: 20 kW }}
{}
halls:
  h:
    air: {{ heat_capacity: 2 MJ/K, cooling_conductance: 5 kW/K, supply_temperature: 24 degC }}
    rows:
      a: {{ rack: r, count: 1, origin: [0 m, 0 m] }}
workload:
  activity:
    - {{ at: 0 s, value: 1 }}
)",
                       device, rack_extra);
}

}  // namespace

TEST_CASE("variability: the same seed gives the same site, another seed another") {
    const std::string site = kDir + "hotspot-pod.yaml";
    auto run = [&](std::vector<std::string> sets) {
        SiteModel m(load_site(site, sets));
        return junctions(m, steady(m, 600));
    };
    const auto a = run({}), b = run({}), c = run({"variability.seed=8"});
    CHECK(a == b);  // bit for bit
    CHECK(a != c);
    const auto none = run({"variability.thermal_resistance=0", "variability.leakage=0"});
    // Without spread, the devices of one rack are identical.
    CHECK(none[0] == none[1]);
    CHECK(a[0] != a[1]);
}

TEST_CASE("an air-cooled device heats its server's exhaust by P / (m_dot cp)") {
    const auto spec = load_site_text(one_rack("    model: epyc", "    server_air_flow: 0.2 m3/s"), "air.yaml");
    SiteModel m(spec);
    const auto y = steady(m, 0);
    m.point(0, y.data());
    double P = spec.rack_types.at("r").other_power;
    for (std::size_t k = 0; k < m.device_count(); ++k) {
        P += m.network().last_loads()[std::size_t(m.devices().logic_load(k))];
        CHECK(m.devices().params(k).memory_dynamic_power == 0);
    }
    // Air properties at 25 degC, 101.325 kPa: rho 1.184 kg/m3, cp 1006 J/(kg K).
    const double mcp = 1.184 * 0.2 * 1006;
    double T_hall = 0;
    for (std::size_t i = 0; i < m.network().size(); ++i)
        if (m.network().states()[i].path == "h/air/T") T_hall = y[i];
    CHECK(m.rack_air_outlet(0, y.data()) - T_hall == doctest::Approx(P / mcp).epsilon(1e-9));
    CHECK(P > 4 * 90);  // the devices are drawing real power
}

TEST_CASE("a rack of air-cooled devices without fans is refused") {
    CHECK_THROWS_WITH_AS(SiteModel(load_site_text(one_rack("    model: epyc"), "air.yaml")),
                         doctest::Contains("server_air_flow"), InputError);
}

TEST_CASE("every catalogue entry builds a site that reaches a steady state") {
    for (const auto& e : device_catalogue()) {
        INFO("model " << e.name);
        const bool air = e.yaml.find("cooling: air") != std::string_view::npos;
        SiteModel m(load_site_text(one_rack(fmt::format("    model: {}", e.name), air ? "    server_air_flow: 0.2 m3/s" : ""),
                                   std::string(e.name) + ".yaml"));
        const auto y = steady(m, 0);
        const SitePoint p = m.point(0, y.data());
        CHECK(p.it_power > 4 * m.devices().params(0).idle_power);
        CHECK(p.max_junction_T > 273.15 + 24);
        CHECK(p.max_junction_T < m.devices().params(0).shutdown_T);
    }
}

namespace {
void check_site_jacobian(const std::string& file, const std::vector<std::string>& sets,
                         const std::function<void(const Network&, std::vector<double>&)>& tweak = {}) {
    INFO(file);
    SiteModel m(load_site(kDir + file, sets));
    Network& net = m.network();
    auto y = steady(m, 600);
    for (std::size_t i = 0; i < y.size(); ++i)
        if (net.states()[i].accumulator) y[i] = 1e5;
    if (tweak) tweak(net, y);
    CHECK(test::jacobian_mismatches(net, 600, y) == 0);
}
}  // namespace

TEST_CASE("the whole site's analytic Jacobian matches finite differences") {
    // The hot-spot site at full load: power caps, thermal throttling, jobs, variability, PSU
    // shelves on an efficiency curve.
    check_site_jacobian("hotspot-pod.yaml", {"halls.hall1.rows.rowA.count=1"});
    // The example: transformer, UPS curve, busway, linear shelves.
    check_site_jacobian("example-pod.yaml", {"halls.hall1.rows.rowA.count=1", "halls.hall1.rows.rowB.count=1"});
    // A site battery discharging 10 kW from the last 1 % of its energy (the taper), and charging
    // at 10 kW near full: the tracker, the clamp and the taper against g, E and the loads.
    for (const double soc : {0.01, 0.995}) {
        check_site_jacobian("example-pod.yaml",
                            {"halls.hall1.rows.rowA.count=1", "halls.hall1.rows.rowB.count=1",
                             "power.site_battery={capacity: 5 kWh, power: 150 kW}"},
                            [soc](const Network& net, std::vector<double>& y) {
                                for (std::size_t i = 0; i < y.size(); ++i) {
                                    if (net.states()[i].path == "power/site_battery/grid_target")
                                        y[i] += soc < 0.5 ? -10e3 : 10e3;
                                    if (net.states()[i].path == "power/site_battery/energy") y[i] = soc * 18e6;
                                }
                            });
    }
}
