#include <doctest/doctest.h>

#include <string>

#include "input/units.hpp"

using namespace dctwin;

namespace {
std::string unit_error(std::string_view text, const Dimension& dim) {
    try {
        parse_quantity(text, dim);
    } catch (const UnitError& e) {
        return e.what();
    }
    return "(no error)";
}
std::string duration_error(std::string_view text) {
    try {
        parse_duration(text);
    } catch (const UnitError& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("units: values with units convert to SI") {
    CHECK(parse_quantity("700 W", dims::power) == doctest::Approx(700));
    CHECK(parse_quantity("4 kW", dims::power) == doctest::Approx(4000));
    CHECK(parse_quantity("10 kVA", dims::power) == doctest::Approx(1e4));
    CHECK(parse_quantity("2 MW/s", dims::power_ramp) == doctest::Approx(2e6));
    CHECK(parse_quantity("1.5 L/min/kW", dims::specific_flow) == doctest::Approx(1.5e-3 / 60 / 1e3));
    CHECK(parse_quantity("60 L/min", dims::volume_flow) == doctest::Approx(1e-3));
    CHECK(parse_quantity("150 kPa", dims::pressure) == doctest::Approx(150e3));
    CHECK(parse_quantity("2 bar", dims::pressure) == doctest::Approx(2e5));
    CHECK(parse_quantity("0.02 K/W", dims::thermal_resistance) == doctest::Approx(0.02));
    CHECK(parse_quantity("5 MJ/K", dims::heat_capacity) == doctest::Approx(5e6));
    CHECK(parse_quantity("3 kW/K", dims::conductance) == doctest::Approx(3e3));
    CHECK(parse_quantity("0.015 1/K", dims::inverse_temperature) == doctest::Approx(0.015));
    CHECK(parse_quantity("0.02 W/W", dims::specific_power) == doctest::Approx(0.02));
    CHECK(parse_quantity("0.02 W/W", dims::dimensionless) == doctest::Approx(0.02));
    CHECK(parse_quantity("96 %", dims::dimensionless) == doctest::Approx(0.96));
    CHECK(parse_quantity("96%", dims::dimensionless) == doctest::Approx(0.96));
    CHECK(parse_quantity("25 L", dims::volume) == doctest::Approx(0.025));
    CHECK(parse_quantity("2 m3", dims::volume) == doctest::Approx(2));
    CHECK(parse_quantity("1 m^3", dims::volume) == doctest::Approx(1));
    CHECK(parse_quantity("2 mm", dims::length) == doctest::Approx(0.002));
    CHECK(parse_quantity("1 km", dims::length) == doctest::Approx(1000));
    CHECK(parse_quantity("1 kWh", dims::energy) == doctest::Approx(3.6e6));
    CHECK(parse_quantity("2 MWh", dims::energy) == doctest::Approx(7.2e9));
    CHECK(parse_quantity("1 kg*m^2/s^3", dims::power) == doctest::Approx(1));
    CHECK(parse_quantity("1 kg*m^2*s^-3", dims::power) == doctest::Approx(1));
    CHECK(parse_quantity("16 A", dims::current) == doctest::Approx(16));
    CHECK(parse_quantity("415 V", dims::voltage) == doctest::Approx(415));
    CHECK(parse_any_quantity("500 g").dim.exponent == std::array<int, 5>{1, 0, 0, 0, 0});
    CHECK(parse_any_quantity("500 g").si == doctest::Approx(0.5));
}

TEST_CASE("units: times, prefixes and bare numbers") {
    CHECK(parse_quantity("1 h", dims::time) == doctest::Approx(3600));
    CHECK(parse_quantity("10 min", dims::time) == doctest::Approx(600));
    CHECK(parse_quantity("90s", dims::time) == doctest::Approx(90));
    CHECK(parse_quantity("2h", dims::time) == doctest::Approx(7200));
    CHECK(parse_quantity("1d", dims::time) == doctest::Approx(86400));
    CHECK(parse_quantity("5 ms", dims::time) == doctest::Approx(5e-3));
    CHECK(parse_quantity("5 us", dims::time) == doctest::Approx(5e-6));
    CHECK(parse_quantity("5 \u00b5s", dims::time) == doctest::Approx(5e-6));
    // A bare number is SI in every dimension.
    CHECK(parse_quantity("700", dims::power) == doctest::Approx(700));
    CHECK(parse_quantity("300", dims::temperature) == doctest::Approx(300));
    CHECK(parse_quantity("1.0e-6", dims::dimensionless) == doctest::Approx(1e-6));
    CHECK(parse_quantity("+5 W", dims::power) == doctest::Approx(5));
    CHECK(parse_quantity("  1e3 W  ", dims::power) == doctest::Approx(1000));
    CHECK(parse_any_quantity("700").unitless);
    CHECK_FALSE(parse_any_quantity("700 W").unitless);
}

TEST_CASE("units: absolute temperatures use offsets, differences do not") {
    CHECK(parse_quantity("35 degC", dims::temperature) == doctest::Approx(308.15));
    CHECK(parse_quantity("-5 degC", dims::temperature) == doctest::Approx(268.15));
    CHECK(parse_quantity("95 degF", dims::temperature) == doctest::Approx(308.15));
    CHECK(parse_quantity("32 degF", dims::temperature) == doctest::Approx(273.15));
    CHECK(parse_quantity("30 \u00b0C", dims::temperature) == doctest::Approx(303.15));
    CHECK(parse_quantity("300 K", dims::temperature) == doctest::Approx(300));
    CHECK(parse_quantity("5 K", dims::temperature_difference) == doctest::Approx(5));
    CHECK(parse_quantity("100 mK", dims::temperature_difference) == doctest::Approx(0.1));
    CHECK(unit_error("5 degC", dims::temperature_difference) ==
          "expected a temperature difference (e.g. \"5 K\"), found \"5 degC\" (an absolute temperature; write "
          "temperature differences in K)");
    CHECK(unit_error("0.02 degC/W", dims::thermal_resistance).find("cannot be part of a compound unit") !=
          std::string::npos);
    CHECK(unit_error("5 1/degC", dims::inverse_temperature).find("compound unit") != std::string::npos);
    CHECK(unit_error("5 degC^2", dims::temperature).find("compound unit") != std::string::npos);
}

TEST_CASE("units: mismatches name what was expected and what was found") {
    CHECK(unit_error("35 degC", dims::power) ==
          "expected a power (e.g. \"700 W\"), found \"35 degC\" (a temperature)");
    CHECK(unit_error("35 degC", dims::volume_flow) ==
          "expected a volume flow (e.g. \"60 L/min\"), found \"35 degC\" (a temperature)");
    CHECK(unit_error("35 kW", dims::temperature) ==
          "expected a temperature (e.g. \"35 degC\"), found \"35 kW\" (a power)");
    CHECK(unit_error("5 min", dims::power) == "expected a power (e.g. \"700 W\"), found \"5 min\" (a time)");
    CHECK(unit_error("5 W/m", dims::power).find("(a quantity in kg*m/s^3)") != std::string::npos);
    CHECK(unit_error("0.5 W/W", dims::energy).find("(a number)") != std::string::npos);
    CHECK(unit_error("1 W", dims::energy).find("expected an energy") == 0);
}

TEST_CASE("units: malformed values are rejected, never turned into inf or nan") {
    CHECK(unit_error("700 Wats", dims::power) ==
          "\"700 Wats\": unknown unit \"Wats\"; expected a power (e.g. \"700 W\")");
    for (const char* bad : {"abc", "", "   ", "W", "1 W W", "1 W/", "1 /W", "1 m^x", "1 m^", "1e", "0x10 W",
                            "1_000 W", "1 kmin", "1 Mh"})
        CHECK_THROWS_AS(parse_quantity(bad, dims::power), UnitError);
    for (const char* bad : {".nan", ".NaN", ".inf", "-.inf", "+.inf", "nan", "inf", "-inf", "infinity"})
        CHECK(unit_error(bad, dims::power).find("not a finite number") != std::string::npos);
    CHECK(unit_error("1e400", dims::power).find("out of range") != std::string::npos);
    CHECK(unit_error("-1e400 W", dims::power).find("out of range") != std::string::npos);
    CHECK(unit_error("1e300 GW", dims::power).find("out of range") != std::string::npos);
    CHECK(unit_error("abc", dims::power).find("\"abc\" is not a number") == 0);
}

TEST_CASE("units: durations for the command line need a unit") {
    CHECK(parse_duration("90s") == doctest::Approx(90));
    CHECK(parse_duration("10min") == doctest::Approx(600));
    CHECK(parse_duration("2h") == doctest::Approx(7200));
    CHECK(parse_duration("1d") == doctest::Approx(86400));
    CHECK(parse_duration("1.5 h") == doctest::Approx(5400));
    CHECK(duration_error("90").find("needs a unit") != std::string::npos);
    CHECK(duration_error("5 W").find("a power") != std::string::npos);
    CHECK(duration_error("-1 h").find("must be positive") != std::string::npos);
    CHECK(duration_error("0 s").find("must be positive") != std::string::npos);
    CHECK(duration_error("2 blorps").find("unknown unit") != std::string::npos);
    CHECK(parse_duration("2 hours") == doctest::Approx(7200));
    CHECK(parse_duration("1 week") == doctest::Approx(7 * 86400));
    CHECK(parse_duration("1h30min") == doctest::Approx(5400));
    CHECK(parse_duration("1 d 6 h") == doctest::Approx(108000));
    CHECK(parse_duration("2min30s") == doctest::Approx(150));
    CHECK(duration_error("1h30kW").find("only a duration may be written in parts") != std::string::npos);
}

TEST_CASE("units: the units of the trade (udunits2 and the additions for cooling plants)") {
    // Conversion factors: NIST SP 811 (2008), appendix B: psi 6894.757 Pa, US gallon
    // 3.785412e-3 m3, ft3 2.831685e-2 m3, Btu (IT) 1055.056 J, ton of refrigeration 3516.853 W.
    CHECK(parse_quantity("30 C", dims::temperature) == doctest::Approx(303.15));
    CHECK(parse_quantity("86 F", dims::temperature) == doctest::Approx(303.15));
    CHECK(parse_quantity("20 psi", dims::pressure) == doctest::Approx(20 * 6894.757).epsilon(1e-6));
    CHECK(parse_quantity("10 gpm", dims::volume_flow) == doctest::Approx(10 * 3.785412e-3 / 60).epsilon(1e-6));
    CHECK(parse_quantity("10 gal/min", dims::volume_flow) == doctest::Approx(10 * 3.785412e-3 / 60).epsilon(1e-6));
    CHECK(parse_quantity("800 cfm", dims::volume_flow) == doctest::Approx(800 * 2.831685e-2 / 60).epsilon(1e-6));
    CHECK(parse_quantity("5 ton", dims::power) == doctest::Approx(5 * 3516.853).epsilon(1e-6));
    CHECK(parse_quantity("5 TR", dims::power) == doctest::Approx(5 * 3516.853).epsilon(1e-6));
    CHECK(parse_quantity("60000 BTU/h", dims::power) == doctest::Approx(60000 * 1055.056 / 3600).epsilon(1e-6));
    CHECK(parse_quantity("2 kWh", dims::energy) == doctest::Approx(7.2e6));
    CHECK(parse_quantity("1 week", dims::time) == doctest::Approx(604800));
    CHECK(parse_quantity("5 degR", dims::temperature_difference) == doctest::Approx(5.0 / 1.8));
    CHECK(parse_quantity("3 mΩ", dims::resistance) == doctest::Approx(3e-3));
    CHECK(parse_quantity("1 W.h", dims::energy) == doctest::Approx(3600));
    CHECK(parse_quantity("1 kg.m2.s-3", dims::power) == doctest::Approx(1));
    CHECK(unit_error("30 C", dims::temperature_difference).find("an absolute temperature") != std::string::npos);
    // udunits' own syntax that would scale or shift a value silently is refused.
    for (const char* bad : {"700 2 W", "700 W 2", "1 s since 1970-01-01", "1 K @ 10", "1 lg(re mW)", "1 m2.5", "1 W:2", "1 W0", "1 d0"})
        CHECK(unit_error(bad, dims::power).find("unknown unit") != std::string::npos);
}

TEST_CASE("units: formatting picks a readable unit and parses back") {
    CHECK(format_quantity(700, dims::power) == "700 W");
    CHECK(format_quantity(4000, dims::power) == "4 kW");
    CHECK(format_quantity(2.5e6, dims::power) == "2.5 MW");
    CHECK(format_quantity(303.15, dims::temperature) == "30 degC");
    CHECK(format_quantity(2.5, dims::temperature_difference) == "2.5 K");
    CHECK(format_quantity(1e-3, dims::volume_flow) == "60 L/min");
    CHECK(format_quantity(0.025, dims::volume) == "25 L");
    CHECK(format_quantity(5e6, dims::heat_capacity) == "5 MJ/K");
    CHECK(format_quantity(3000, dims::conductance) == "3 kW/K");
    CHECK(format_quantity(150e3, dims::pressure) == "150 kPa");
    CHECK(format_quantity(600, dims::time) == "10 min");
    CHECK(format_quantity(3600, dims::time) == "1 h");
    CHECK(format_quantity(0.96, dims::dimensionless) == "0.96");
    CHECK(format_quantity(1e-6, dims::dimensionless) == "1e-6");
    CHECK(format_quantity(0.02, dims::specific_power) == "0.02 W/W");
    CHECK(format_quantity(0, dims::power) == "0 W");
    struct Case {
        double v;
        Dimension d;
    };
    for (const Case& c : {Case{123.456, dims::power}, Case{351.7, dims::temperature}, Case{7.5e-4, dims::volume_flow},
                          Case{0.045, dims::thermal_resistance}, Case{86400 * 3, dims::time},
                          Case{2e6, dims::power_ramp}, Case{1.5e-3 / 60 / 1e3, dims::specific_flow}})
        CHECK(parse_quantity(format_quantity(c.v, c.d), c.d) == doctest::Approx(c.v));
}
