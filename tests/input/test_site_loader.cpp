#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "input/site_loader.hpp"

using namespace dctwin;

namespace {

const std::string kExample = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";

// A small valid site; tests change one thing in it.
const std::string kSmall = R"(dctwin: 1
site:
  name: small
ambient:
  temperature: 25 degC
coolant:
  fluid: pg25
  supply_temperature: 30 degC
facility:
  pump_head: 150 kPa
  pump_efficiency: 0.7
  rejection_specific_power: 0.02 W/W
power:
  distribution: { efficiency: 0.97, no_load_loss: 2 kW, rating: 500 kW }
  electrical_room: { heat_capacity: 2 MJ/K, conductance: 3 kW/K }
device_types:
  h100:
    kind: gpu
    idle_power: 70 W
    max_power: 700 W
    leakage_power: 60 W
    leakage_temperature_coefficient: 0.015 1/K
    leakage_reference_temperature: 60 degC
    junction_heat_capacity: 60 J/K
    plate_heat_capacity: 400 J/K
    junction_to_plate_resistance: 0.02 K/W
    plate_to_coolant_resistance: 0.02 K/W
    slowdown_temperature: 89 degC
    shutdown_temperature: 92 degC
    max_clock: 1980 MHz
    min_clock: 345 MHz
rack_types:
  hgx:
    devices:
      gpu: { type: h100, count: 8 }
    coolant_flow: 60 L/min
    coolant_volume: 25 L
    other_power: 4 kW
    power_shelf: { efficiency: 0.96, no_load_loss: 100 W, rating: 40 kW }
halls:
  hall1:
    air: { heat_capacity: 5 MJ/K, cooling_conductance: 20 kW/K, supply_temperature: 24 degC }
    rows:
      rowA: { rack: hgx, count: 2, origin: [0 m, 0 m] }
workload:
  activity:
    - { at: 0 s, value: 0.05 }
)";

InputError error_of(std::string_view text, const std::vector<std::string>& overrides = {},
                    const std::string& label = "t.yaml") {
    try {
        load_site_text(text, label, overrides);
    } catch (const InputError& e) {
        return e;
    }
    FAIL("no InputError");
    return InputError({}, "", "");
}

std::string message_of(std::string_view text, const std::vector<std::string>& overrides = {}) {
    return error_of(text, overrides).what();
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    return s.replace(pos, from.size(), to);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("loader: the shipped example loads with SI values") {
    SiteSpec s = load_site(kExample);
    CHECK(s.format_version == 1);
    CHECK(s.name == "example-pod");
    CHECK(contains(s.description, "128 H100"));
    CHECK(s.source_file == kExample);
    CHECK(s.ambient.temperature == doctest::Approx(298.15));
    CHECK(s.coolant.fluid == "water");
    CHECK(s.coolant.density == doctest::Approx(998.2));
    CHECK(s.coolant.specific_heat == doctest::Approx(4180));
    CHECK(s.coolant.supply_temperature == doctest::Approx(303.15));
    CHECK(s.facility.pump_head == doctest::Approx(150e3));
    CHECK(s.facility.pump_efficiency == doctest::Approx(0.7));
    CHECK(s.facility.rejection_specific_power == doctest::Approx(0.02));
    CHECK(s.power.distribution.efficiency == doctest::Approx(0.995));
    CHECK(s.power.distribution.no_load_loss == doctest::Approx(200));
    CHECK(s.power.distribution.rating == doctest::Approx(300e3));
    CHECK(s.power.grid.present);
    CHECK(s.power.grid.capacity == doctest::Approx(250e3));
    CHECK(s.power.grid.ramp_limit == doctest::Approx(50e3));
    CHECK(s.power.transformer.rating == doctest::Approx(1e6));
    CHECK(s.power.transformer.reference_load == doctest::Approx(0.35));
    CHECK(s.power.ups.present);
    CHECK(s.power.ups.mode == "double_conversion");
    CHECK(s.halls[0].busway.resistance == doctest::Approx(5e-3));
    CHECK(s.halls[0].busway.voltage == doctest::Approx(415));
    CHECK(s.power.electrical_room_heat_capacity == doctest::Approx(2e6));
    CHECK(s.power.electrical_room_conductance == doctest::Approx(3000));

    REQUIRE(s.device_types.size() == 2);
    const DeviceTypeSpec& h100 = s.device_types.at("h100");
    CHECK(h100.name == "h100");
    CHECK(h100.kind == DeviceKind::gpu);
    CHECK(h100.idle_power == doctest::Approx(70));
    CHECK(h100.max_power == doctest::Approx(700));
    CHECK(h100.leakage_power == doctest::Approx(60));
    CHECK(h100.leakage_temperature_coefficient == doctest::Approx(0.015));
    CHECK(h100.leakage_reference_temperature == doctest::Approx(333.15));
    CHECK(h100.junction_heat_capacity == doctest::Approx(60));
    CHECK(h100.plate_heat_capacity == doctest::Approx(400));
    CHECK(h100.junction_to_plate_resistance == doctest::Approx(0.02));
    CHECK(h100.slowdown_temperature == doctest::Approx(362.15));
    CHECK(h100.shutdown_temperature == doctest::Approx(365.15));
    CHECK(h100.loc.line == 52);
    CHECK(h100.loc.col == 3);
    // From the catalogue entry it names, with the site's own override.
    CHECK(h100.model == "h100-sxm");
    CHECK(h100.max_clock == doctest::Approx(1980e6));
    CHECK(h100.power_cap == doctest::Approx(700));
    CHECK(h100.memory_max_temperature == doctest::Approx(368.15));
    CHECK(h100.loc.file == kExample);
    CHECK(s.device_types.at("grace").kind == DeviceKind::cpu);

    const RackTypeSpec& rack = s.rack_types.at("hgx-h100");
    REQUIRE(rack.devices.size() == 2);
    CHECK(rack.devices[0].name == "gpu");  // file order
    CHECK(rack.devices[0].type == "h100");
    CHECK(rack.devices[0].count == 32);
    CHECK(rack.devices[1].name == "cpu");
    CHECK(rack.devices[1].count == 8);
    CHECK(rack.coolant_flow == doctest::Approx(0.001));
    CHECK(rack.coolant_volume == doctest::Approx(0.025));
    CHECK(rack.other_power == doctest::Approx(4000));
    CHECK(rack.power_shelf.efficiency == doctest::Approx(0.96));
    CHECK(rack.power_shelf.no_load_loss == doctest::Approx(100));
    CHECK(rack.power_shelf.rating == doctest::Approx(40e3));
    CHECK(rack.power_shelf.loc.line > 0);
    CHECK(rack.width == doctest::Approx(0.6));
    CHECK(rack.depth == doctest::Approx(1.2));
    CHECK(rack.height == doctest::Approx(2.3));

    REQUIRE(s.halls.size() == 1);
    const HallSpec& hall = s.halls[0];
    CHECK(hall.name == "hall1");
    CHECK(hall.air_heat_capacity == doctest::Approx(5e6));
    CHECK(hall.air_cooling_conductance == doctest::Approx(20e3));
    CHECK(hall.air_supply_temperature == doctest::Approx(297.15));
    REQUIRE(hall.rows.size() == 2);
    CHECK(hall.rows[0].name == "rowA");
    CHECK(hall.rows[1].name == "rowB");
    CHECK(hall.rows[1].rack == "hgx-h100");
    CHECK(hall.rows[1].count == 2);
    CHECK(hall.rows[1].origin_x == doctest::Approx(0));
    CHECK(hall.rows[1].origin_y == doctest::Approx(3));
    CHECK(hall.rows[1].pitch == doctest::Approx(0.6));
    CHECK(hall.rows[1].direction == "x");

    REQUIRE(s.activity.size() == 4);
    CHECK(s.activity[0].at == 0);
    CHECK(s.activity[1].at == doctest::Approx(600));
    CHECK(s.activity[1].value == doctest::Approx(0.95));
    CHECK(s.activity[3].at == doctest::Approx(2520));

    CHECK(s.simulation.duration == doctest::Approx(3600));
    CHECK(s.simulation.output_interval == doctest::Approx(10));
    CHECK(s.simulation.flush_interval == doctest::Approx(5));
    CHECK(s.simulation.write_states);
    CHECK(s.simulation.solver.rtol == doctest::Approx(1e-6));
    CHECK(s.simulation.solver.atol_temperature == doctest::Approx(1e-4));
    CHECK(s.simulation.solver.max_step == 0);
    CHECK(s.simulation.solver.jacobian == "analytic");
    CHECK(s.simulation.solver.linear_solver == "klu");
}

TEST_CASE("loader: the resolved YAML loads back to the same site") {
    SiteSpec a = load_site(kExample, {"coolant.supply_temperature=35 degC"});
    CHECK(contains(a.resolved_yaml, "supply_temperature: 35 degC"));
    SiteSpec b = load_site_text(a.resolved_yaml, "resolved.yaml");
    CHECK(b.coolant.supply_temperature == doctest::Approx(308.15));
    CHECK(b.resolved_yaml == a.resolved_yaml);
    CHECK(b.description == a.description);
    CHECK(b.halls[0].rows[1].origin_y == doctest::Approx(3));
    CHECK(b.activity.size() == a.activity.size());
}

TEST_CASE("loader: documented defaults fill optional keys") {
    SiteSpec s = load_site_text(kSmall, "small.yaml");
    CHECK(s.description.empty());
    CHECK(s.coolant.density == doctest::Approx(1023.7));  // pg25
    CHECK(s.coolant.specific_heat == doctest::Approx(3910));
    CHECK(s.simulation.duration == doctest::Approx(3600));
    CHECK(s.simulation.output_interval == doctest::Approx(10));
    CHECK(s.simulation.solver.linear_solver == "block");
    CHECK(s.simulation.threads == 0);
    CHECK(s.halls[0].rows[0].pitch == doctest::Approx(0.6));
    CHECK(s.halls[0].rows[0].direction == "x");
    CHECK(s.rack_types.at("hgx").height == doctest::Approx(2.3));
    // A simulation section with one key keeps the others at their defaults.
    SiteSpec t = load_site_text(replace(kSmall, "ambient:", "simulation:\n  duration: 2 h\nambient:"), "t.yaml");
    CHECK(t.simulation.duration == doctest::Approx(7200));
    CHECK(t.simulation.flush_interval == doctest::Approx(5));
    CHECK(t.simulation.solver.rtol == doctest::Approx(1e-6));
    // Quoted values, CRLF line ends and a byte order mark are fine.
    std::string crlf;
    for (char c : replace(kSmall, "pump_efficiency: 0.7", "pump_efficiency: \"0.7\"")) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    SiteSpec u = load_site_text("\xEF\xBB\xBF" + crlf, "crlf.yaml");
    CHECK(u.facility.pump_efficiency == doctest::Approx(0.7));
}

TEST_CASE("loader: --set overrides change values before validation") {
    SiteSpec s = load_site(kExample, {"coolant.supply_temperature=35degC", "rack_types.hgx-h100.devices.gpu.count=16",
                                      "workload.activity.1.value=0.5", "rack_types.hgx-h100.size=[1 m, 2 m, 3 m]",
                                      "simulation.solver.jacobian=finite-difference", "site.description=swept"});
    CHECK(s.coolant.supply_temperature == doctest::Approx(308.15));
    CHECK(s.rack_types.at("hgx-h100").devices[0].count == 16);
    CHECK(s.activity[1].value == doctest::Approx(0.5));
    CHECK(s.rack_types.at("hgx-h100").height == doctest::Approx(3));
    CHECK(s.simulation.solver.jacobian == "finite-difference");
    CHECK(s.description == "swept");
    CHECK(contains(s.resolved_yaml, "35degC"));
    CHECK(contains(s.resolved_yaml, "count: 16"));

    // A new key in an existing map is allowed (and validated), as is appending to a list.
    SiteSpec t = load_site_text(kSmall, "t.yaml", {"halls.hall1.rows.rowA.pitch=1.2 m",
                                                   "workload.activity.1={at: 5 min, value: 0.9}"});
    CHECK(t.halls[0].rows[0].pitch == doctest::Approx(1.2));
    REQUIRE(t.activity.size() == 2);
    CHECK(t.activity[1].at == doctest::Approx(300));
    // Sections the file leaves out are made (kSmall has no simulation section), and the rest
    // of them keeps its defaults; the resolved YAML holds them and loads back.
    SiteSpec v = load_site_text(kSmall, "t.yaml", {"simulation.solver.rtol=1e-5", "simulation.solver.max_step=2 s"});
    CHECK(v.simulation.solver.rtol == doctest::Approx(1e-5));
    CHECK(v.simulation.solver.max_step == doctest::Approx(2));
    CHECK(v.simulation.solver.atol_temperature == doctest::Approx(1e-2));
    CHECK(v.simulation.duration == doctest::Approx(3600));
    CHECK(load_site_text(v.resolved_yaml, "resolved.yaml").simulation.solver.max_step == doctest::Approx(2));
    CHECK(contains(message_of(kSmall, {"simulation.solver.rtl=1e-5"}),
                   "--set:1:19: error: simulation.solver: unknown key \"rtl\" (did you mean \"rtol\"?)"));
    // Later overrides win.
    SiteSpec u = load_site_text(kSmall, "t.yaml", {"ambient.temperature=10 degC", "ambient.temperature=20 degC"});
    CHECK(u.ambient.temperature == doctest::Approx(293.15));
}

TEST_CASE("loader: an invalid override is reported at the override") {
    InputError e = error_of(kSmall, {"ambient.temperature=20 degC", "coolant.supply_temperature=35 kW"});
    CHECK(std::string(e.what()) ==
          "--set:2:28: error: coolant.supply_temperature: expected a temperature (e.g. \"35 degC\"), found \"35 kW\" "
          "(a power)\n"
          "    2 | coolant.supply_temperature=35 kW\n"
          "      |                            ^");
    CHECK(e.loc.file == "--set");
    CHECK(e.loc.line == 2);
    CHECK(e.loc.col == 28);
    CHECK(e.key_path == "coolant.supply_temperature");

    CHECK(contains(message_of(kSmall, {"coolant.supply_temperature"}), "--set:1:1: error: an override must look like key.path=value"));
    CHECK(contains(message_of(kSmall, {"=5"}), "--set:1:1: error:"));
    CHECK(contains(message_of(kSmall, {"coolant..fluid=water"}), "--set:1:9: error: coolant..fluid: empty key"));
    // A missing section is made, and validation judges its keys where the override names them.
    CHECK(contains(message_of(kSmall, {"coolant.pump.head=5"}), "--set:1:9: error: coolant: unknown key \"pump\""));
    CHECK(contains(message_of(kSmall, {"coolant.fluid.x=5"}), "--set:1:15: error: coolant.fluid: this is a single value"));
    CHECK(contains(message_of(kSmall, {"workload.activity.7.value=1"}), "index 7 is past the end"));
    CHECK(contains(message_of(kSmall, {"workload.activity.first=1"}), "expected an index"));
    CHECK(contains(message_of(kSmall, {"coolant.fluid=[a, b"}), "--set:1:15: error: coolant.fluid: invalid value: YAML syntax error"));
    // A new unknown key is caught by validation, at the key in the override.
    CHECK(contains(message_of(kSmall, {"coolant.flow=1"}), "--set:1:9: error: coolant: unknown key \"flow\""));
    CHECK(contains(message_of(kSmall, {"workload.activity.0.value=2"}),
                   "--set:1:27: error: workload.activity.0.value: out of range: found 2, expected 0 <= x <= 1"));
}

TEST_CASE("loader: unknown keys list the allowed keys") {
    InputError e = error_of(replace(kSmall, "    coolant_volume: 25 L", "    coolant_volume: 25 L\n    colour: red"));
    CHECK(e.key_path == "rack_types.hgx");
    CHECK(e.detail == "unknown key \"colour\"; expected one of: devices, coolant_flow, coolant_volume, other_power, "
                      "power_shelf, server_air_flow, size");
    CHECK(e.loc.line == 38);
    CHECK(e.loc.col == 5);
    std::string m = message_of(replace(kSmall, "  fluid: pg25", "  fluid: pg25\n  flud: water"));
    CHECK(contains(m, "t.yaml:8:3: error: coolant: unknown key \"flud\" (did you mean \"fluid\"?); expected one of: "
                      "fluid, supply_temperature"));
}

TEST_CASE("loader: errors carry place, key path and an excerpt with a caret") {
    InputError e = error_of(replace(kSmall, "coolant_flow: 60 L/min", "coolant_flow: 35 degC"), {}, "sites/x.yaml");
    CHECK(std::string(e.what()) ==
          "sites/x.yaml:36:19: error: rack_types.hgx.coolant_flow: expected a volume flow (e.g. \"60 L/min\"), found "
          "\"35 degC\" (a temperature)\n"
          "   36 |     coolant_flow: 35 degC\n"
          "      |                   ^");
    // A missing key points at the map that lacks it.
    InputError m = error_of(replace(kSmall, "    plate_heat_capacity: 400 J/K\n", ""));
    CHECK(m.loc.line == 17);
    CHECK(m.loc.col == 3);
    CHECK(m.key_path == "device_types.h100");
    CHECK(contains(m.detail, "missing required key \"plate_heat_capacity\""));
    // Missing sections too.
    CHECK(contains(message_of(replace(kSmall, "ambient:\n  temperature: 25 degC\n", "")),
                   "t.yaml:1:1: error: missing required key \"ambient\""));
    // Tabs in the line keep the caret aligned.
    std::string tabbed = message_of(replace(kSmall, "  name: small", "  name: small\n  extra:\tfoo"));
    CHECK(contains(tabbed, "\n    4 |   extra:\tfoo\n      |   ^"));
    // Control bytes, C0 and C1 (U+009B is a terminal's CSI), are shown as '?', never sent.
    const InputError c({"t.yaml", 3, 9}, "site.name", "bad", "  name: a\x1b[2Jb\xc2\x9b" "31mc\xc3\xa9");
    CHECK(contains(c.what(), "\n    3 |   name: a?[2Jb?31mc\xc3\xa9\n"));
    // YAML syntax errors use the parser's mark.
    CHECK(contains(message_of(replace(kSmall, "  name: small", "  name: [small")), "t.yaml:"));
    CHECK(contains(message_of(replace(kSmall, "  name: small", "  name: small: big")),
                   "t.yaml:3:14: error: YAML syntax error: illegal map value"));
}

TEST_CASE("loader: errors found later can be raised from a SourceLoc") {
    SiteSpec s = load_site(kExample);
    InputError e(s.halls[0].rows[1].loc, "halls.hall1.rows.rowB", "rows overlap");
    CHECK(contains(e.what(), "example-pod.yaml:81:7: error: halls.hall1.rows.rowB: rows overlap\n   81 |       rowB:"));
    InputError nowhere({"--set", 0, 0}, "", "something");
    CHECK(std::string(nowhere.what()) == "--set: error: something");
}

TEST_CASE("loader: files that cannot be read or are not text") {
    std::string m;
    try {
        load_site("/nonexistent/dir/site.yaml");
    } catch (const InputError& e) {
        m = e.what();
    }
    CHECK(m == "/nonexistent/dir/site.yaml: error: cannot read file: No such file or directory");
    CHECK_THROWS_WITH_AS(load_site(DCTWIN_SOURCE_DIR), doctest::Contains("is a directory"), InputError);

    auto tmp = std::filesystem::temp_directory_path() / "dctwin_test_binary.yaml";
    {
        std::ofstream out(tmp, std::ios::binary);
        out << "dctwin: 1\nsite:\n  name: x";
        out.write("\0\0\x01\x02", 4);
    }
    CHECK_THROWS_WITH_AS(load_site(tmp.string()), doctest::Contains("dctwin_test_binary.yaml:3:10: error: this is not a text file"),
                         InputError);
    {
        std::ofstream out(tmp, std::ios::binary);
        out << "dctwin: 1\nsite:\n  name: \xff\xfe x\n";
    }
    CHECK_THROWS_WITH_AS(load_site(tmp.string()), doctest::Contains(":3:9: error: this is not UTF-8 text (byte 0xFF)"),
                         InputError);
    {
        std::ofstream out(tmp, std::ios::binary);  // empty
    }
    CHECK_THROWS_WITH_AS(load_site(tmp.string()), doctest::Contains(":1:1: error: the file is empty"), InputError);
    std::filesystem::remove(tmp);
}

TEST_CASE("loader: hostile input gives an InputError, never a crash") {
    std::vector<std::string> texts = {
        "dctwin: 1\nsite: " + std::string(100000, '['),
        "dctwin: 1\nsite: " + std::string(3000, '[') + std::string(3000, ']'),
        "dctwin: 1\nsite: " + std::string(200, '[') + std::string(200, ']'),
        "dctwin: 1\nsite: &a [*a]\n",
        "dctwin: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n",
        "[1, 2, 3]",
        "just text",
        "? [a, b]\n: 1\n",
        "dctwin: [1]\n",
        "dctwin: 99999999999999999999999\n",
        "dctwin: 1\n---\ndctwin: 1\n",
        "dctwin: 1\nsite: !!binary aGVsbG8=\n",
        "%YAML 1.2\n---\ndctwin: 1\n",
        "dctwin: 1\ndevice_types:\n  h100: ~\n",
        "dctwin: 1\n\"\": 5\n",
        "\t\t\t",
        "# only a comment\n",
        ",dctwin: 1\n",  // yaml-cpp's LoadAll loops forever on these
        "- a\n,\n",
    };
    for (const auto& t : texts) {
        INFO(t.substr(0, 60));
        CHECK_THROWS_AS(load_site_text(t, "h.yaml"), InputError);
    }
    CHECK(contains(message_of(texts[2]), "nesting deeper than 64 levels"));
    CHECK(contains(message_of(texts[4]), "too many values"));
    CHECK(contains(message_of(texts[5]), "expected a map of sections at the top level, found a list"));
    CHECK(contains(message_of(texts[9]), "out of range"));
    CHECK(contains(message_of(texts[10]), "t.yaml:2:1: error: a second YAML document starts here"));
    CHECK(contains(message_of(texts[17]), "t.yaml:1:1: error: YAML syntax error: unexpected \",\""));
    CHECK(contains(message_of(texts[18]), "t.yaml:2:1: error: YAML syntax error: unexpected \",\""));
}

TEST_CASE("loader: format version") {
    CHECK(contains(message_of(replace(kSmall, "dctwin: 1", "dctwin: 2")), "this file is format 2, this dctwin reads format 1"));
    // The version is checked before anything else, so a newer file fails on it rather than on new keys.
    CHECK(contains(message_of(replace(kSmall, "dctwin: 1", "dctwin: 3\nfuture_section: {}")), "format 3"));
    CHECK(contains(message_of(replace(kSmall, "dctwin: 1", "dctwin: one")), "expected a whole number"));
    CHECK(contains(message_of(replace(kSmall, "dctwin: 1\n", "")), "missing required key \"dctwin\""));
}

TEST_CASE("loader: cross-field rules") {
    CHECK(contains(message_of(replace(kSmall, "leakage_power: 60 W", "leakage_power: 640 W")),
                   "max_power (700 W) must exceed idle_power + leakage_power + memory_power (70 W + 640 W + 0 W = 710 W)"));
    CHECK(contains(message_of(replace(kSmall, "shutdown_temperature: 92 degC", "shutdown_temperature: 89 degC")),
                   "slowdown_temperature (89 degC) must be below shutdown_temperature (89 degC)"));
    CHECK(contains(message_of(replace(kSmall, "supply_temperature: 30 degC", "supply_temperature: -10 degC")),
                   "freezing point of pg25 (-9.6 degC)"));
    CHECK_NOTHROW(load_site_text(replace(kSmall, "supply_temperature: 30 degC", "supply_temperature: -5 degC"), "t"));
    CHECK(contains(message_of(replace(kSmall, "- { at: 0 s, value: 0.05 }", "- { at: 0 s, value: 0.05 }\n    - { at: 0 s, value: 1 }")),
                   "workload.activity.1.at: steps must be in increasing order of time"));
    CHECK(contains(message_of(replace(kSmall, "  activity:\n    - { at: 0 s, value: 0.05 }", "  activity: []")),
                   "workload.activity: needs at least one entry"));
}

TEST_CASE("loader: mutated copies of the example either load or throw InputError") {
    // A fixed-seed mutation run: any other exception, or a crash, fails the suite.
    std::ifstream in(kExample, std::ios::binary);
    const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(!original.empty());
    const std::string alphabet = " \t\n:-[]{},#&*!|>'\"%@`0123456789.eEa-zK/^";
    unsigned state = 12345;
    auto next = [&](unsigned n) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % n;
    };
    int loaded = 0, rejected = 0;
    for (int round = 0; round < 600; ++round) {
        std::string text = original;
        for (int edits = 1 + static_cast<int>(next(3)); edits > 0; --edits) {
            size_t pos = next(static_cast<unsigned>(text.size()));
            switch (next(3)) {
                case 0: text[pos] = alphabet[next(static_cast<unsigned>(alphabet.size()))]; break;
                case 1: text.erase(pos, 1 + next(8)); break;
                default: text.insert(pos, 1, alphabet[next(static_cast<unsigned>(alphabet.size()))]); break;
            }
        }
        try {
            load_site_text(text, "mutant.yaml");
            ++loaded;
        } catch (const InputError& e) {
            ++rejected;
            CHECK(std::string(e.what()).rfind("mutant.yaml", 0) == 0);
        }
    }
    CHECK(rejected > 0);
    CHECK(loaded + rejected == 600);
}
