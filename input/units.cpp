#include "input/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

namespace dctwin {
namespace {

using Exps = std::array<int, 5>;  // kg, m, s, K, A

struct UnitDef {
    std::string_view name;
    Exps exp;
    double scale;        // SI value of 1 unit
    double offset;       // SI value of 0 unit (only degC, degF)
    bool prefixable;
};

constexpr Exps kPower{1, 2, -3, 0, 0};
constexpr Exps kEnergy{1, 2, -2, 0, 0};

// Exact names are tried before prefixes, so "min" is minutes, not milli-inches, and "Pa"
// is pascal. Prefixes apply only where they are customary.
const UnitDef kUnits[] = {
    {"%", {}, 0.01, 0, false},
    {"W", kPower, 1, 0, true},
    {"VA", kPower, 1, 0, true},
    {"J", kEnergy, 1, 0, true},
    {"Wh", kEnergy, 3600, 0, true},
    {"Pa", {1, -1, -2, 0, 0}, 1, 0, true},
    {"bar", {1, -1, -2, 0, 0}, 1e5, 0, true},
    {"L", {0, 3, 0, 0, 0}, 1e-3, 0, true},
    {"l", {0, 3, 0, 0, 0}, 1e-3, 0, true},
    {"m", {0, 1, 0, 0, 0}, 1, 0, true},
    {"g", {1, 0, 0, 0, 0}, 1e-3, 0, true},
    {"s", {0, 0, 1, 0, 0}, 1, 0, true},
    {"min", {0, 0, 1, 0, 0}, 60, 0, false},
    {"h", {0, 0, 1, 0, 0}, 3600, 0, false},
    {"d", {0, 0, 1, 0, 0}, 86400, 0, false},
    {"Hz", {0, 0, -1, 0, 0}, 1, 0, true},
    {"K", {0, 0, 0, 1, 0}, 1, 0, true},
    {"degC", {0, 0, 0, 1, 0}, 1, 273.15, false},
    {"\u00b0C", {0, 0, 0, 1, 0}, 1, 273.15, false},
    {"degF", {0, 0, 0, 1, 0}, 5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0, false},
    {"\u00b0F", {0, 0, 0, 1, 0}, 5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0, false},
    {"A", {0, 0, 0, 0, 1}, 1, 0, true},
    {"V", {1, 2, -3, 0, -1}, 1, 0, true},
    {"ohm", {1, 2, -3, 0, -2}, 1, 0, true},
};

struct Prefix {
    std::string_view symbol;
    double factor;
};
const Prefix kPrefixes[] = {{"G", 1e9}, {"M", 1e6}, {"k", 1e3}, {"m", 1e-3},
                            {"u", 1e-6}, {"\u00b5", 1e-6}, {"\u03bc", 1e-6}};

// Dimensions known by name, in the order used to describe what was found.
const Dimension* const kNamed[] = {
    &dims::dimensionless, &dims::power,         &dims::energy,
    &dims::temperature,   &dims::thermal_resistance, &dims::heat_capacity,
    &dims::conductance,   &dims::pressure,      &dims::volume,
    &dims::volume_flow,   &dims::length,        &dims::time,
    &dims::inverse_temperature, &dims::power_ramp, &dims::specific_flow,
    &dims::current,       &dims::voltage,
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string quoted(std::string_view s) { return fmt::format("\"{}\"", s); }

const UnitDef* find_unit(std::string_view name) {
    for (const auto& u : kUnits)
        if (u.name == name) return &u;
    return nullptr;
}

struct Term {
    Exps exp{};
    double scale = 1;
    double offset = 0;
};

// One factor of a compound unit: "kW", "m3", "s^2", "K^-1", "1".
std::optional<Term> parse_term(std::string_view t) {
    int power = 1;
    if (auto caret = t.find('^'); caret != std::string_view::npos) {
        auto e = t.substr(caret + 1);
        if (!e.empty() && e.front() == '+') e.remove_prefix(1);
        auto [p, ec] = std::from_chars(e.data(), e.data() + e.size(), power);
        if (ec != std::errc{} || p != e.data() + e.size() || e.empty() || std::abs(power) > 9)
            return std::nullopt;
        t = t.substr(0, caret);
    } else if (t.size() > 1 && (t.back() == '2' || t.back() == '3')) {
        power = t.back() - '0';  // m2, m3
        t.remove_suffix(1);
    }
    Term out;
    if (t == "1") {
        if (power != 1) return std::nullopt;
        return out;
    }
    const UnitDef* u = find_unit(t);
    double factor = 1;
    if (!u) {
        for (const auto& p : kPrefixes) {
            if (t.size() > p.symbol.size() && t.substr(0, p.symbol.size()) == p.symbol) {
                const UnitDef* base = find_unit(t.substr(p.symbol.size()));
                if (base && base->prefixable) {
                    u = base;
                    factor = p.factor;
                    break;
                }
            }
        }
    }
    if (!u) return std::nullopt;
    for (int i = 0; i < 5; ++i) out.exp[i] = u->exp[i] * power;
    out.scale = std::pow(u->scale * factor, power);
    out.offset = u->offset;
    if (u->offset != 0 && power != 1) out.offset = std::nan("");  // "degC^2": rejected below
    return out;
}

std::string base_units(const Exps& e) {
    static const char* names[] = {"kg", "m", "s", "K", "A"};
    std::string num, den;
    for (int i = 0; i < 5; ++i) {
        if (e[i] == 0) continue;
        std::string& part = e[i] > 0 ? num : den;
        if (!part.empty()) part += '*';
        part += names[i];
        if (std::abs(e[i]) != 1) part += fmt::format("^{}", std::abs(e[i]));
    }
    if (den.empty()) return num.empty() ? std::string("1") : num;
    return fmt::format("{}/{}", num.empty() ? "1" : num, den);
}

// "a temperature" for what a value turned out to be.
std::string describe_found(const Quantity& q) {
    if (q.dim.exponent == dims::temperature.exponent) return q.offset ? "a temperature" : "a temperature (or difference)";
    for (const Dimension* d : kNamed)
        if (d->same_units(q.dim)) return describe(*d);
    return "a quantity in " + base_units(q.dim.exponent);
}

std::string tidy_number(double v) {
    std::string s = fmt::format("{:.6g}", v);
    if (s == "-0") return "0";
    // 1e-06 -> 1e-6
    if (auto e = s.find('e'); e != std::string::npos) {
        std::string_view mant = std::string_view(s).substr(0, e), ex = std::string_view(s).substr(e + 1);
        bool negative = ex.front() == '-';
        ex.remove_prefix(1);
        while (ex.size() > 1 && ex.front() == '0') ex.remove_prefix(1);
        s = fmt::format("{}e{}{}", mant, negative ? "-" : "", ex);
    }
    return s;
}

}  // namespace

std::string describe(const Dimension& dim) {
    std::string_view n = dim.name;
    bool vowel = !n.empty() && std::string_view("aeiou").find(n.front()) != std::string_view::npos;
    return fmt::format("{} {}", vowel ? "an" : "a", n);
}

Quantity parse_any_quantity(std::string_view text) {
    std::string_view s = trim(text);
    if (s.empty()) throw UnitError("an empty value is not a number");
    std::string_view num = s;
    if (num.front() == '+') num.remove_prefix(1);
    // YAML's .inf and .nan, and the words inf/nan that from_chars accepts (any case, after a
    // minus sign).
    {
        std::string_view word = num;
        if (!word.empty() && word.front() == '-') word.remove_prefix(1);
        auto starts = [&](std::string_view w) {
            if (word.size() < w.size()) return false;
            for (std::size_t i = 0; i < w.size(); ++i)
                if (std::tolower(static_cast<unsigned char>(word[i])) != w[i]) return false;
            return true;
        };
        if (starts(".inf") || starts(".nan") || starts("inf") || starts("nan"))
            throw UnitError(fmt::format("{} is not a finite number", quoted(s)));
    }

    Quantity q;
    double value = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), value);
    if (ec == std::errc::result_out_of_range)
        throw UnitError(fmt::format("{} is out of range (beyond what a double can hold)", quoted(s)));
    if (ec != std::errc{}) throw UnitError(fmt::format("{} is not a number", quoted(s)));
    if (!std::isfinite(value)) throw UnitError(fmt::format("{} is not a finite number", quoted(s)));

    std::string_view unit = trim(std::string_view(ptr, num.data() + num.size() - ptr));
    if (unit.empty()) {
        q.si = value;
        q.unitless = true;
        return q;
    }
    auto unknown = [&](std::string_view what) {
        return UnitError(fmt::format("{}: unknown unit {}", quoted(s), quoted(what)));
    };

    // Factors separated by '*' or '/'; every '/' divides by the next factor only
    // (so L/min/kW is L / min / kW).
    double scale = 1, offset = 0;
    int terms = 0;
    bool has_offset = false;
    size_t pos = 0;
    int sign = 1;
    while (true) {
        size_t next = unit.find_first_of("*/", pos);
        std::string_view t = trim(unit.substr(pos, next == std::string_view::npos ? next : next - pos));
        if (t.empty() || t.find_first_of(" \t") != std::string_view::npos) throw unknown(unit);
        auto term = parse_term(t);
        if (!term) throw unknown(t);
        ++terms;
        for (int i = 0; i < 5; ++i) q.dim.exponent[i] += sign * term->exp[i];
        scale *= sign > 0 ? term->scale : 1.0 / term->scale;
        if (term->offset != 0) {
            has_offset = true;
            offset = term->offset;
        }
        if (next == std::string_view::npos) break;
        sign = unit[next] == '/' ? -1 : 1;
        pos = next + 1;
    }
    if (has_offset && (terms != 1 || std::isnan(offset)))
        throw UnitError(fmt::format(
            "{}: degC and degF are absolute temperatures and cannot be part of a compound unit; "
            "write temperature differences in K (e.g. \"0.02 K/W\")",
            quoted(s)));
    q.offset = has_offset;
    q.si = value * scale + offset;
    if (!std::isfinite(q.si))
        throw UnitError(fmt::format("{} is out of range (beyond what a double can hold)", quoted(s)));
    return q;
}

double parse_quantity(std::string_view text, const Dimension& expected) {
    // What was expected, for messages only.
    auto want = [&] { return fmt::format("{} (e.g. \"{}\")", describe(expected), expected.example); };
    Quantity q;
    try {
        q = parse_any_quantity(text);
    } catch (const UnitError& e) {
        throw UnitError(fmt::format("{}; expected {}", e.what(), want()));
    }
    if (q.unitless) return q.si;  // a bare number is SI, whatever the dimension
    if (!q.dim.same_units(expected))
        throw UnitError(fmt::format("expected {}, found {} ({})", want(), quoted(trim(text)), describe_found(q)));
    if (q.offset && !expected.absolute)
        throw UnitError(fmt::format("expected {}, found {} (an absolute temperature; write temperature "
                                    "differences in K)", want(), quoted(trim(text))));
    return q.si;
}

double parse_duration(std::string_view text) {
    constexpr const char* kHint = "write a number with a unit, e.g. \"90s\", \"10min\", \"2h\" or \"1d\"";
    Quantity q;
    try {
        q = parse_any_quantity(text);
    } catch (const UnitError& e) {
        throw UnitError(fmt::format("invalid duration: {}; {}", e.what(), kHint));
    }
    if (q.unitless)
        throw UnitError(fmt::format("invalid duration \"{}\": a duration needs a unit; {}", trim(text), kHint));
    if (!q.dim.same_units(dims::time))
        throw UnitError(fmt::format("invalid duration \"{}\" ({}); {}", trim(text), describe_found(q), kHint));
    if (!(q.si > 0)) throw UnitError(fmt::format("invalid duration \"{}\": must be positive", trim(text)));
    return q.si;
}

std::string format_quantity(double si, const Dimension& dim) {
    struct Pick {
        std::string_view unit;
        double scale;
    };
    auto pick = [&](std::initializer_list<Pick> units) {
        const Pick* chosen = &*(units.end() - 1);
        for (const Pick& p : units)
            if (std::abs(si) >= p.scale * (1 - 1e-12)) {
                chosen = &p;
                break;
            }
        return fmt::format("{} {}", tidy_number(si / chosen->scale), chosen->unit);
    };
    const Exps& e = dim.exponent;
    std::string_view name = dim.name;
    if (e == dims::temperature.exponent)
        return dim.absolute ? tidy_number(si - 273.15) + " degC" : tidy_number(si) + " K";
    if (e == dims::dimensionless.exponent)
        return name == dims::specific_power.name ? tidy_number(si) + " W/W" : tidy_number(si);
    if (e == dims::power.exponent) return pick({{"GW", 1e9}, {"MW", 1e6}, {"kW", 1e3}, {"W", 1}});
    if (e == dims::energy.exponent) return pick({{"GJ", 1e9}, {"MJ", 1e6}, {"kJ", 1e3}, {"J", 1}});
    if (e == dims::heat_capacity.exponent) return pick({{"MJ/K", 1e6}, {"kJ/K", 1e3}, {"J/K", 1}});
    if (e == dims::conductance.exponent) return pick({{"MW/K", 1e6}, {"kW/K", 1e3}, {"W/K", 1}});
    if (e == dims::pressure.exponent) return pick({{"MPa", 1e6}, {"kPa", 1e3}, {"Pa", 1}});
    if (e == dims::volume.exponent) return pick({{"m3", 1}, {"L", 1e-3}});
    if (e == dims::volume_flow.exponent) return pick({{"m3/s", 1}, {"L/min", 1e-3 / 60}});
    if (e == dims::time.exponent) return pick({{"d", 86400}, {"h", 3600}, {"min", 60}, {"s", 1}});
    if (e == dims::frequency.exponent) return pick({{"GHz", 1e9}, {"MHz", 1e6}, {"kHz", 1e3}, {"Hz", 1}});
    if (e == dims::power_ramp.exponent) return pick({{"GW/s", 1e9}, {"MW/s", 1e6}, {"kW/s", 1e3}, {"W/s", 1}});
    if (e == dims::specific_flow.exponent) return pick({{"L/min/kW", 1e-3 / 60 / 1e3}});
    if (e == dims::length.exponent) return pick({{"m", 1}});
    if (e == dims::thermal_resistance.exponent) return pick({{"K/W", 1}});
    if (e == dims::inverse_temperature.exponent) return pick({{"1/K", 1}});
    if (e == dims::voltage.exponent) return pick({{"kV", 1e3}, {"V", 1}});
    if (e == dims::resistance.exponent) return pick({{"ohm", 1}, {"mohm", 1e-3}});
    return tidy_number(si) + " " + base_units(e);
}

}  // namespace dctwin
