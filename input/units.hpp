#pragma once
// Physical quantities in site files: "700 W", "35 degC", "1.5 L/min/kW", "90s".
// A value is converted to SI once, when it is read; everything downstream is SI with
// temperatures in kelvin. A number without a unit is already SI.

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dctwin {

/// The physical dimension of a quantity as powers of the SI base units, plus what a
/// message needs to name it. Two dimensions are the same quantity when their exponents
/// agree; `absolute` separates a temperature (accepts degC, degF, K) from a temperature
/// difference (K only): 35 degC is 308.15 K, but a 35 degC difference means nothing.
struct Dimension {
    std::array<int, 5> exponent{};  ///< powers of kg, m, s, K, A
    bool absolute = false;          ///< an absolute temperature: degC and degF allowed
    const char* name = "";          ///< "power", used as "expected a power"
    const char* example = "";       ///< "700 W", a typical way to write one

    constexpr bool same_units(const Dimension& o) const { return exponent == o.exponent; }
};

/// The dimensions that site parameters use. Exponent order: kg, m, s, K, A.
namespace dims {
inline constexpr Dimension dimensionless{{0, 0, 0, 0, 0}, false, "number", "0.97"};
inline constexpr Dimension power{{1, 2, -3, 0, 0}, false, "power", "700 W"};
inline constexpr Dimension energy{{1, 2, -2, 0, 0}, false, "energy", "10 kWh"};
inline constexpr Dimension temperature{{0, 0, 0, 1, 0}, true, "temperature", "35 degC"};
inline constexpr Dimension temperature_difference{{0, 0, 0, 1, 0}, false, "temperature difference", "5 K"};
inline constexpr Dimension thermal_resistance{{-1, -2, 3, 1, 0}, false, "thermal resistance", "0.02 K/W"};
inline constexpr Dimension heat_capacity{{1, 2, -2, -1, 0}, false, "heat capacity", "5 MJ/K"};
inline constexpr Dimension conductance{{1, 2, -3, -1, 0}, false, "thermal conductance", "3 kW/K"};
inline constexpr Dimension pressure{{1, -1, -2, 0, 0}, false, "pressure", "150 kPa"};
inline constexpr Dimension volume{{0, 3, 0, 0, 0}, false, "volume", "25 L"};
inline constexpr Dimension volume_flow{{0, 3, -1, 0, 0}, false, "volume flow", "60 L/min"};
inline constexpr Dimension length{{0, 1, 0, 0, 0}, false, "length", "0.6 m"};
inline constexpr Dimension time{{0, 0, 1, 0, 0}, false, "time", "10 min"};
inline constexpr Dimension resistance{{1, 2, -3, 0, -2}, false, "electrical resistance", "5 mohm"};
inline constexpr Dimension frequency{{0, 0, -1, 0, 0}, false, "frequency", "1980 MHz"};
inline constexpr Dimension inverse_temperature{{0, 0, 0, -1, 0}, false, "inverse temperature", "0.015 1/K"};
/// [W/W] e.g. fan power per watt of heat rejected; dimensionless, named for messages.
inline constexpr Dimension specific_power{{0, 0, 0, 0, 0}, false, "specific power", "0.02 W/W"};
inline constexpr Dimension power_ramp{{1, 2, -4, 0, 0}, false, "power ramp rate", "2 MW/s"};
/// [m3/(s W)] coolant flow per watt of heat, e.g. 1.5 L/min/kW.
inline constexpr Dimension specific_flow{{-1, 1, 2, 0, 0}, false, "flow per power", "1.5 L/min/kW"};
inline constexpr Dimension current{{0, 0, 0, 0, 1}, false, "current", "16 A"};
inline constexpr Dimension voltage{{1, 2, -3, 0, -1}, false, "voltage", "415 V"};
/// [kg/J] mass (of CO2) per energy, e.g. a grid's carbon intensity 0.4 kg/kWh.
inline constexpr Dimension carbon_intensity{{0, -2, 2, 0, 0}, false, "carbon intensity", "0.4 kg/kWh"};
}  // namespace dims

/// A value text that is not a valid quantity of the expected dimension. what() is a
/// complete sentence fragment for a message, e.g.
/// `expected a power (e.g. "700 W"), found "35 degC" (a temperature)`.
class UnitError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A parsed quantity of any dimension.
struct Quantity {
    double si = 0.0;        ///< value in SI units (kelvin for temperatures)
    Dimension dim;          ///< exponents only; name and example are empty
    bool offset = false;    ///< written in degC or degF: an absolute temperature
    bool unitless = false;  ///< a bare number, taken as SI
};

/// Parses "<number> [unit]" into SI without checking the dimension. Throws UnitError on
/// anything that is not a finite number followed by a known unit.
Quantity parse_any_quantity(std::string_view text);

/// Parses a value that must have dimension `expected`; returns it in SI. A bare number is
/// SI. Throws UnitError naming what was expected and what was found.
double parse_quantity(std::string_view text, const Dimension& expected);

/// Parses a command-line duration that must carry a unit ("90s", "10min", "2h", "1d",
/// "1.5 h") and be positive. Returns [s].
double parse_duration(std::string_view text);

/// Parses a command-line time of a run ("20min", "0 s", "1d6h") with the same rules as a
/// duration but zero allowed: a unit is required on every time the command line takes. [s]
double parse_time_of_run(std::string_view text);

/// Formats an SI value in a unit a person reads easily: 4000 W -> "4 kW",
/// 303.15 K (temperature) -> "30 degC", 0.001 m3/s -> "60 L/min".
std::string format_quantity(double si, const Dimension& dim);

/// "a power", "an energy": the dimension's name with its article.
std::string describe(const Dimension& dim);

}  // namespace dctwin
