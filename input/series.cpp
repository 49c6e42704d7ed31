#include "input/series.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "input/file_reader.hpp"
#include "input/site_loader.hpp"
#include "input/text_lines.hpp"
#include "input/units.hpp"

namespace dctwin {

namespace {

constexpr double kJoulesPerKWh = 3.6e6;


// "<number> <currency>/<unit>" in currency per SI unit of `per` (energy or power).
double parse_price(std::string_view text, const std::string& currency, const Dimension& per, const char* example) {
    const std::string expected = fmt::format("expected a price in {} per {} (e.g. \"{}\")", currency, per.name, example);
    std::string_view s = trim_blanks(text);
    std::string_view num = s;
    if (!num.empty() && num.front() == '+') num.remove_prefix(1);
    double v = 0;
    const auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc{} || !std::isfinite(v)) throw UnitError(fmt::format("{}, found \"{}\"", expected, s));
    std::string_view unit = trim_blanks(std::string_view(p, std::size_t(num.data() + num.size() - p)));
    if (unit.size() <= currency.size() || unit.substr(0, currency.size()) != currency || unit[currency.size()] != '/')
        throw UnitError(fmt::format("{}, found \"{}\" (the currency is power.grid.currency)", expected, s));
    const std::string rest(unit.substr(currency.size() + 1));
    double one = 0;
    try {
        one = parse_quantity("1 " + rest, per);
    } catch (const UnitError&) {
        throw UnitError(fmt::format("{}, found \"{}\" (\"{}\" is not a unit of {})", expected, s, rest, per.name));
    }
    return v / one;
}

// A field's text as a message may show it: only short number-like text (the file may be any
// file the site names, see input/file_reader.hpp).
std::string shown(std::string_view s) {
    const bool number_like = !s.empty() && s.size() <= 24 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || std::string_view("+-.eE").find(c) != std::string_view::npos;
    });
    if (number_like) return fmt::format("'{}'", s);
    return s.empty() ? std::string("an empty field") : fmt::format("a field of {} bytes", s.size());
}

// A unit in a header: short and of the characters units use.
std::string shown_unit(std::string_view s) {
    const bool word = !s.empty() && s.size() <= 16 && std::all_of(s.begin(), s.end(), [](char ch) {
        const unsigned char c = static_cast<unsigned char>(ch);
        return std::isalnum(c) || std::string_view("/%^.-_ ").find(ch) != std::string_view::npos;
    });
    return word ? fmt::format("'{}'", s) : fmt::format("a unit of {} bytes", s.size());
}

using CsvField = TextField;  // a trimmed field with its column (input/text_lines.hpp)

// The range check of a value in SI; "" when it is in range.
std::string out_of_range(double v, SeriesQuantity q, const std::string& currency) {
    switch (q) {
        case SeriesQuantity::carbon_intensity:
            if (v < 0 || v > 5 / kJoulesPerKWh)
                return fmt::format("out of range: found {:g} kg/kWh, expected 0 <= x <= 5 kg/kWh", v * kJoulesPerKWh);
            break;
        case SeriesQuantity::energy_price:
            if (v < -10 / kJoulesPerKWh || v > 100 / kJoulesPerKWh)
                return fmt::format("out of range: found {:g} {}/kWh, expected -10 {}/kWh <= x <= 100 {}/kWh",
                                   v * kJoulesPerKWh, currency, currency, currency);
            break;
        case SeriesQuantity::fraction:
            if (v < 0 || v > 1) return fmt::format("out of range: found {:g}, expected 0 <= x <= 1", v);
            break;
    }
    return "";
}

}  // namespace

double parse_series_value(std::string_view text, SeriesQuantity q, const std::string& currency) {
    double v = 0;
    switch (q) {
        case SeriesQuantity::carbon_intensity: {
            // A bare number would be kg/J: refused, since nobody writes that.
            if (parse_any_quantity(text).unitless)
                throw UnitError(fmt::format("expected a carbon intensity with its unit (e.g. \"0.4 kg/kWh\"), found \"{}\"",
                                            trim_blanks(text)));
            v = parse_quantity(text, dims::carbon_intensity);
            break;
        }
        case SeriesQuantity::energy_price: v = parse_price(text, currency, dims::energy, "0.12 USD/kWh"); break;
        case SeriesQuantity::fraction: v = parse_quantity(text, dims::dimensionless); break;
    }
    if (const std::string e = out_of_range(v, q, currency); !e.empty()) throw UnitError(e);
    return v;
}

double parse_demand_charge(std::string_view text, const std::string& currency) {
    return parse_price(text, currency, dims::power, "15 USD/kW");
}

std::string series_example(SeriesQuantity q, const std::string& currency) {
    switch (q) {
        case SeriesQuantity::carbon_intensity: return "0.4 kg/kWh";
        case SeriesQuantity::energy_price: return "0.12 " + currency + "/kWh";
        case SeriesQuantity::fraction: return "0.35";
    }
    return "";
}

void parse_series_csv(std::string_view text, const std::string& label, const std::string& key, SeriesQuantity q,
                      const std::string& currency, TimeSeriesSpec& out) {
    TextLines in(text, label, key);
    const std::string header_example =
        q == SeriesQuantity::carbon_intensity ? "time [h], carbon_intensity [kg/kWh]"
        : q == SeriesQuantity::energy_price   ? fmt::format("time [h], energy_price [{}/kWh]", currency)
                                              : std::string("time [h], renewable_share [1]");
    if (!in.next()) in.fail_at(1, 1, fmt::format("empty series file: expected a header line '{}'", header_example));
    const int header_line = in.number();
    const auto header = split_fields(in.line());
    if (header.size() != 2)
        in.fail(header.size() > 2 ? header[2].col : int(in.line().size()) + 1,
                fmt::format("expected a header of 2 comma-separated columns, e.g. '{}', found {}", header_example,
                            header.size()));
    // Each column's unit, in brackets: its factor to SI.
    double scale[2] = {1, 1};
    for (int c = 0; c < 2; ++c) {
        const CsvField& h = header[std::size_t(c)];
        const auto open = h.text.find('['), close = h.text.rfind(']');
        if (open == std::string_view::npos || close == std::string_view::npos || close < open || close + 1 != h.text.size())
            in.fail(h.col, fmt::format("expected a column name with its unit in brackets, e.g. '{}'", header_example));
        const std::string unit(trim_blanks(h.text.substr(open + 1, close - open - 1)));
        const int ucol = h.col + int(open) + 1;
        try {
            if (c == 0) {
                scale[0] = parse_quantity("1 " + unit, dims::time);
            } else if (q == SeriesQuantity::energy_price) {
                scale[1] = parse_price("1 " + unit, currency, dims::energy, "0.12 USD/kWh");
            } else if (q == SeriesQuantity::carbon_intensity) {
                scale[1] = parse_quantity("1 " + unit, dims::carbon_intensity);
            } else {
                scale[1] = unit == "1" ? 1.0 : parse_quantity("1 " + unit, dims::dimensionless);
            }
        } catch (const UnitError&) {
            const char* what = c == 0 ? "a unit of time (e.g. h)"
                               : q == SeriesQuantity::energy_price ? "a price per energy (e.g. USD/kWh, in the grid's currency)"
                               : q == SeriesQuantity::carbon_intensity ? "a unit of carbon intensity (e.g. kg/kWh)"
                                                                       : "1 or %";
            in.fail(ucol, fmt::format("unknown unit {} for the {} column: expected {}", shown_unit(unit),
                                      c == 0 ? "time" : "value", what));
        }
        if (!(scale[c] > 0) || !std::isfinite(scale[c])) in.fail(ucol, "the unit's scale must be a positive number");
    }
    out.time.clear(), out.value.clear();
    int last_line = 0;
    while (in.next()) {
        const auto f = split_fields(in.line());
        if (f.size() != 2)
            in.fail(f.size() > 2 ? f[2].col : int(in.line().size()) + 1,
                    fmt::format("expected 2 comma-separated fields (time, value), found {}", f.size()));
        const auto t = plain_number(f[0].text), v = plain_number(f[1].text);
        if (!t) in.fail(f[0].col, "expected the time as a plain number (its unit is in the header), found " + shown(f[0].text));
        if (!v) in.fail(f[1].col, "expected the value as a plain number (its unit is in the header), found " + shown(f[1].text));
        const double ts = *t * scale[0], vs = *v * scale[1];
        if (!std::isfinite(ts) || ts > 100 * 365 * 86400.0)
            in.fail(f[0].col, "the time is beyond 100 years from the start of the run");
        if (out.time.empty() && ts != 0)
            in.fail(f[0].col, fmt::format("the first time must be 0 (the start of the run), found {}", shown(f[0].text)));
        if (!out.time.empty() && !(ts > out.time.back()))
            in.fail(f[0].col, fmt::format("times must increase: {} is not after the time on line {}", shown(f[0].text),
                                          last_line));
        if (const std::string e = out_of_range(vs, q, currency); !e.empty()) in.fail(f[1].col, e);
        out.time.push_back(ts);
        out.value.push_back(vs);
        last_line = in.number();
    }
    if (out.time.empty()) in.fail_at(header_line, 1, "the series file has a header but no points");
}

void load_series_file(TimeSeriesSpec& s, const std::string& site_file, const std::string& key, SeriesQuantity q,
                      const std::string& currency) {
    if (s.file.empty()) return;
    std::filesystem::path file(s.file);
    if (file.is_relative()) file = std::filesystem::path(site_file).parent_path() / file;
    const std::string fkey = key + ".file";
    try {
        std::string text;
        try {
            text = read_input_file(file.string(), std::size_t(kMaxSeriesBytes), "a series file");
        } catch (const FileReadError& e) {
            throw InputError(SourceLoc{file.string(), 0, 0}, fkey, e.what(), std::string_view{});
        }
        parse_series_csv(text, file.string(), fkey, q, currency, s);
    } catch (const InputError& e) {
        throw InputError::in_named_file(e.loc, e.key_path, e.detail, s.loc);
    }
    if (s.period > 0 && !(s.period > s.time.back()))
        throw InputError(s.loc, key + ".period",
                         fmt::format("the period ({:g} s) must be after the last point of {} ({:g} s)", s.period,
                                     s.file, s.time.back()));
}

SeriesTable::SeriesTable(const TimeSeriesSpec& s) : t_(s.time), v_(s.value), linear_(s.linear), period_(s.period) {
    if (t_.empty()) return;
    // A period closes the series with a knot at its end: the first value again (linear), or
    // the last value held (step).
    if (period_ > 0) t_.push_back(period_), v_.push_back(linear_ ? v_.front() : v_.back());
    cum_.assign(t_.size(), 0.0);
    for (std::size_t i = 1; i < t_.size(); ++i) {
        const double dt = t_[i] - t_[i - 1];
        cum_[i] = cum_[i - 1] + dt * (linear_ ? 0.5 * (v_[i - 1] + v_[i]) : v_[i - 1]);
    }
}

double SeriesTable::integral_in_period(double x) const {
    const std::size_t n = t_.size();
    const std::size_t i = std::size_t(std::upper_bound(t_.begin(), t_.end(), x) - t_.begin()) - 1;
    const double dx = x - t_[i];
    if (i + 1 >= n || !linear_) return cum_[i] + v_[i] * dx;
    const double slope = (v_[i + 1] - v_[i]) / (t_[i + 1] - t_[i]);
    return cum_[i] + dx * (v_[i] + 0.5 * slope * dx);
}

double SeriesTable::integral(double x) const {
    if (x <= 0) return v_.front() * x;  // before the start the first value holds
    if (period_ <= 0) return integral_in_period(x);
    const double k = std::floor(x / period_);
    const double r = std::clamp(x - k * period_, 0.0, period_);
    return k * cum_.back() + integral_in_period(r);
}

double SeriesTable::at(double t) const {
    if (t_.empty()) return std::nan("");
    if (t <= 0) return v_.front();
    if (period_ > 0) t = std::clamp(t - std::floor(t / period_) * period_, 0.0, period_);
    const std::size_t i = std::size_t(std::upper_bound(t_.begin(), t_.end(), t) - t_.begin()) - 1;
    if (i + 1 >= t_.size() || !linear_) return v_[i];
    return v_[i] + (v_[i + 1] - v_[i]) * (t - t_[i]) / (t_[i + 1] - t_[i]);
}

double SeriesTable::mean(double a, double b) const {
    if (t_.empty()) return std::nan("");
    if (!(b > a)) return at(a);
    return (integral(b) - integral(a)) / (b - a);
}

}  // namespace dctwin
