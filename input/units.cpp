#include "input/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <udunits2.h>

namespace dctwin {
namespace {

using Exps = std::array<int, 5>;  // kg, m, s, K, A

// Units are parsed by udunits2 (its database knows SI, US customary and trade units: psi,
// BTU/h, gallon, week), with a few additions facility engineers write and its database does
// not have. All calls go through one mutex: udunits' parser keeps global state.
struct UnitSystem {
    ut_system* sys = nullptr;
    std::mutex m;
    ut_unit* base[5] = {};  // kg, m, s, K, A
    std::string error;      // why the database could not be read

    UnitSystem() {
        ut_set_error_message_handler(ut_ignore);
        sys = ut_read_xml(nullptr);
        if (!sys) {
            error = fmt::format("the udunits2 unit database could not be read (status {}; UDUNITS2_XML_PATH: {})",
                                int(ut_get_status()), std::getenv("UDUNITS2_XML_PATH") ? std::getenv("UDUNITS2_XML_PATH") : "unset");
            return;
        }
        const char* names[] = {"kg", "m", "s", "K", "A"};
        for (int i = 0; i < 5; ++i) base[i] = ut_parse(sys, names[i], UT_ASCII);
        // Additions: watt-hours (prefixes follow: kWh, MWh), flows in gallons and cubic feet per
        // minute, and the refrigeration ton, which is what "ton" means on a cooling plant.
        alias("Wh", "W.h");
        alias("gal", "US_liquid_gallon");  // not the galileo (cm/s2)
        alias("gpm", "US_liquid_gallon/min");
        alias("cfm", "ft3/min");
        alias("ton", "ton_of_refrigeration");
        alias("TR", "ton_of_refrigeration");
    }
    void alias(const char* symbol, const char* definition) {
        ut_unit* u = ut_parse(sys, definition, UT_ASCII);
        if (!u) return;
        ut_unmap_symbol_to_unit(sys, symbol, UT_ASCII);
        ut_unmap_name_to_unit(sys, symbol, UT_ASCII);
        ut_map_symbol_to_unit(symbol, UT_ASCII, u);
        ut_free(u);
    }
};

UnitSystem& units() {
    static UnitSystem u;  // read once, on first use
    return u;
}

// The definition of a unit in base units, "0.001 m2.kg.s-3.A-2" or "K @ 273.15": the
// exponents of kg, m, s, K, A. False for any other base (candela, mole, radian).
bool exponents_of(ut_unit* u, Exps& out) {
    char buf[256];
    const int n = ut_format(u, buf, sizeof buf, UT_ASCII | UT_DEFINITION);
    if (n < 0 || n >= int(sizeof buf)) return false;
    std::string_view d(buf, std::size_t(n));
    if (auto at = d.find(" @ "); at != std::string_view::npos) d = d.substr(0, at);
    out = {};
    std::size_t pos = 0;
    while (pos < d.size()) {
        std::size_t end = d.find_first_of(". ", pos);
        if (end == std::string_view::npos) end = d.size();
        std::string_view tok = d.substr(pos, end - pos);
        pos = end + 1;
        if (tok.empty() || std::isdigit(static_cast<unsigned char>(tok.front()))) continue;  // the scale
        std::size_t k = 0;
        while (k < tok.size() && std::isalpha(static_cast<unsigned char>(tok[k]))) ++k;
        int power = 1;
        if (k < tok.size()) {
            auto [p, ec] = std::from_chars(tok.data() + k, tok.data() + tok.size(), power);
            if (ec != std::errc{} || p != tok.data() + tok.size()) return false;
        }
        static const std::string_view names[] = {"kg", "m", "s", "K", "A"};
        const auto it = std::find(std::begin(names), std::end(names), tok.substr(0, k));
        if (it == std::end(names)) return false;
        out[std::size_t(it - std::begin(names))] += power;
    }
    return true;
}

// Digits in a unit are exponents ("m3", "s-1", "m^2") or the 1 of "1/K"; a bare number
// ("2 W" after the value, "s since 1970") would scale or shift the unit silently.
bool plausible_unit_text(std::string_view u) {
    for (std::size_t i = 0; i < u.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(u[i]);
        if (c < 0x80 && !std::isalnum(c) && std::string_view("^/*.-+% ").find(char(c)) == std::string_view::npos)
            return false;  // "@", "(", ":" and the like: udunits' shift and log syntax
        if (!std::isdigit(c) || (i > 0 && std::isdigit(static_cast<unsigned char>(u[i - 1])))) continue;
        std::size_t j = i;
        while (j < u.size() && std::isdigit(static_cast<unsigned char>(u[j]))) ++j;
        if (c == '0') return false;  // "d0", "m01": an exponent of 0 makes any unit a number
        if (j < u.size() && u[j] == '.' && !(j + 1 < u.size() && std::isalpha(static_cast<unsigned char>(u[j + 1]))))
            return false;  // "m2.5"
        if (i == 0) {
            if (u.substr(0, j) == "1" && j < u.size() && u[j] == '/') continue;  // 1/K
            return false;
        }
        std::size_t p = i - 1;
        if (u[p] == '-' || u[p] == '+') {
            if (p == 0) return false;
            --p;
        }
        const unsigned char b = static_cast<unsigned char>(u[p]);
        if (!(std::isalpha(b) || b == '^' || b >= 0x80)) return false;
    }
    return true;
}

// "1h30min" as {"1h", "30min"}: numbers each followed by a word of letters, nothing else;
// empty or one part when the text is not of that form.
std::vector<std::string> compound_parts(std::string_view s) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    auto skip = [&] {
        while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
    };
    while (true) {
        skip();
        if (pos == s.size()) break;
        const std::size_t start = pos;
        double v = 0;
        auto [p, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), v);
        if (ec != std::errc{}) return {};
        pos = std::size_t(p - s.data());
        skip();
        const std::size_t word = pos;
        while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos]))) ++pos;
        if (pos == word) return {};
        parts.emplace_back(s.substr(start, pos - start));
    }
    return parts;
}

bool is_offset_temperature_word(std::string_view u) {
    for (std::string_view w : {"degC", "degF", "\u00b0C", "\u00b0F", "celsius", "fahrenheit", "degree_C", "degree_F"})
        if (u.find(w) != std::string_view::npos) return true;
    return false;
}

// Dimensions known by name, in the order used to describe what was found.
const Dimension* const kNamed[] = {
    &dims::dimensionless, &dims::power,         &dims::energy,
    &dims::temperature,   &dims::thermal_resistance, &dims::heat_capacity,
    &dims::conductance,   &dims::pressure,      &dims::volume,
    &dims::volume_flow,   &dims::length,        &dims::time,
    &dims::inverse_temperature, &dims::power_ramp, &dims::specific_flow,
    &dims::current,       &dims::voltage,       &dims::carbon_intensity,
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string quoted(std::string_view s) { return fmt::format("\"{}\"", s); }

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
    if (const auto parts = compound_parts(s); parts.size() > 1) {
        // "1h30min", "1 d 6 h": a duration written in parts, summed.
        q.si = 0;
        for (const auto& part : parts) {
            const Quantity p = parse_any_quantity(part);
            if (p.dim.exponent != dims::time.exponent)
                throw UnitError(fmt::format("{}: only a duration may be written in parts (e.g. \"1h30min\"); {} is not "
                                            "a time",
                                            quoted(s), quoted(part)));
            q.si += p.si;
        }
        q.dim.exponent = dims::time.exponent;
        return q;
    }
    if (!plausible_unit_text(unit)) throw unknown(unit);
    // "30 C" and "86 F" are temperatures here (no site value is a charge or a capacitance).
    std::string text_unit(unit);
    if (unit == "C" || unit == "F") text_unit = unit == "C" ? "degC" : "degF";

    UnitSystem& us = units();
    if (!us.sys) throw UnitError(us.error);
    std::lock_guard lock(us.m);
    ut_unit* u = ut_parse(us.sys, text_unit.c_str(), UT_UTF8);
    if (!u) throw unknown(unit);
    struct Free {
        ut_unit* u;
        ut_unit* si = nullptr;
        cv_converter* cv = nullptr;
        ~Free() {
            if (cv) cv_free(cv);
            ut_free(si);
            ut_free(u);
        }
    } guard{u};
    if (!exponents_of(u, q.dim.exponent)) throw unknown(unit);
    // The SI unit of the same dimension, and the converter to it (scale and offset).
    guard.si = ut_get_dimensionless_unit_one(us.sys);
    for (int i = 0; i < 5; ++i) {
        if (q.dim.exponent[std::size_t(i)] == 0) continue;
        ut_unit* p = ut_raise(us.base[i], q.dim.exponent[std::size_t(i)]);
        ut_unit* prod = ut_multiply(guard.si, p);
        ut_free(p);
        ut_free(guard.si);
        guard.si = prod;
    }
    guard.cv = ut_get_converter(u, guard.si);
    if (!guard.cv) throw unknown(unit);
    const double offset = cv_convert_double(guard.cv, 0.0);
    const bool temperature = q.dim.exponent == dims::temperature.exponent;
    if (is_offset_temperature_word(text_unit) && (!temperature || offset == 0.0))
        throw UnitError(fmt::format(
            "{}: degC and degF are absolute temperatures and cannot be part of a compound unit; "
            "write temperature differences in K (e.g. \"0.02 K/W\")",
            quoted(s)));
    q.offset = offset != 0.0;
    q.si = cv_convert_double(guard.cv, value);
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

namespace {
Quantity time_with_unit(std::string_view text, const char* what, const char* hint) {
    Quantity q;
    try {
        q = parse_any_quantity(text);
    } catch (const UnitError& e) {
        throw UnitError(fmt::format("invalid {}: {}; {}", what, e.what(), hint));
    }
    if (q.unitless)
        throw UnitError(fmt::format("invalid {} \"{}\": a {} needs a unit; {}", what, trim(text), what, hint));
    if (!q.dim.same_units(dims::time))
        throw UnitError(fmt::format("invalid {} \"{}\" ({}); {}", what, trim(text), describe_found(q), hint));
    return q;
}
}  // namespace

double parse_time_of_run(std::string_view text) {
    const Quantity q = time_with_unit(text, "time", "write a number with a unit, e.g. \"0 s\", \"20min\" or \"6h\"");
    if (!(q.si >= 0)) throw UnitError(fmt::format("invalid time \"{}\": must not be negative", trim(text)));
    return q.si;
}

double parse_duration(std::string_view text) {
    const Quantity q =
        time_with_unit(text, "duration", "write a number with a unit, e.g. \"90s\", \"10min\", \"2h\" or \"1d\"");
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
