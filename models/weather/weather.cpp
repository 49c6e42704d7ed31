#include "models/weather/weather.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "input/file_reader.hpp"
#include "input/site_loader.hpp"

namespace dctwin {

// ---------------------------------------------------------------------------------------
// Psychrometrics (ASHRAE Handbook - Fundamentals 2017, ch. 1). The unchecked forms below
// run in at(); the public functions check their arguments first.

namespace {

constexpr double kZeroC = 273.15;          // [K]
constexpr double kMolarRatio = 0.621945;   // [1] M_water / M_dry air (eq. 20)
constexpr double kMinT = 173.15, kMaxT = 473.15;  // [K] where eqs. 5 and 6 hold

double pws(double T) {
    if (T < kZeroC) {  // eq. 5, over ice
        return std::exp(-5.6745359e3 / T + 6.3925247 +
                        T * (-9.6778430e-3 + T * (6.2215701e-7 + T * (2.0747825e-9 + T * -9.4840240e-13))) +
                        4.1635019 * std::log(T));
    }
    return std::exp(-5.8002206e3 / T + 1.3914993 + T * (-4.8640239e-2 + T * (4.1764768e-5 + T * -1.4452093e-8)) +
                    6.5459673 * std::log(T));  // eq. 6, over liquid water
}

double w_from_pw(double pw, double p) { return kMolarRatio * pw / (p - pw); }  // eq. 20
double pw_from_w(double w, double p) { return p * w / (kMolarRatio + w); }

/// Humidity ratio of air at T whose thermodynamic wet bulb is Ts (both [K]): eq. 33 with
/// the wet bulb over water, eq. 35 below freezing (over ice).
double w_wet_bulb(double T, double Ts, double p) {
    const double t = T - kZeroC, ts = Ts - kZeroC;
    const double ws = w_from_pw(pws(Ts), p);
    if (ts >= 0) return ((2501 - 2.326 * ts) * ws - 1.006 * (t - ts)) / (2501 + 1.86 * t - 4.186 * ts);
    return ((2830 - 0.24 * ts) * ws - 1.006 * (t - ts)) / (2830 + 1.86 * t - 2.1 * ts);
}

/// The wet bulb [K] of air at T with humidity ratio w. w_wet_bulb rises with Ts (with a
/// small step at 0 degC where the equations change), so bisection finds it for sure.
double wet_bulb_from_w(double T, double w, double p) {
    double lo = kMinT, hi = T;
    if (w_wet_bulb(T, hi, p) <= w) return hi;  // saturated
    if (w_wet_bulb(T, lo, p) >= w) return lo;
    while (hi - lo > 1e-10) {
        const double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        (w_wet_bulb(T, mid, p) > w ? hi : lo) = mid;
    }
    return 0.5 * (lo + hi);
}

double rh_from_wet_bulb(double T, double Twb, double p) { return pw_from_w(w_wet_bulb(T, Twb, p), p) / pws(T); }

void check_temperature(double T, const char* what) {
    if (!(T >= kMinT && T <= kMaxT))
        throw std::domain_error(fmt::format("{} {} K is outside 173.15-473.15 K (-100 to 200 degC), where the "
                                            "saturation pressure equations hold",
                                            what, T));
}

void check_pressure(double T, double p) {
    if (!(p > 0 && std::isfinite(p))) throw std::domain_error(fmt::format("pressure {} Pa must be positive", p));
    if (pws(T) >= p)
        throw std::domain_error(fmt::format("dry bulb {:.2f} degC is at or above the boiling point of water at {} Pa",
                                            T - kZeroC, p));
}

}  // namespace

double saturation_pressure(double T) {
    check_temperature(T, "temperature");
    return pws(T);
}

double relative_humidity_from_dew_point(double dry_bulb, double dew_point) {
    check_temperature(dry_bulb, "dry bulb");
    check_temperature(dew_point, "dew point");
    return pws(dew_point) / pws(dry_bulb);
}

double humidity_ratio_from_wet_bulb(double dry_bulb, double wet_bulb, double pressure) {
    check_temperature(dry_bulb, "dry bulb");
    check_temperature(wet_bulb, "wet bulb");
    check_pressure(dry_bulb, pressure);
    if (wet_bulb > dry_bulb + 1e-9)
        throw std::domain_error(fmt::format("wet bulb {} K is above the dry bulb {} K", wet_bulb, dry_bulb));
    return w_wet_bulb(dry_bulb, wet_bulb, pressure);
}

double relative_humidity_from_wet_bulb(double dry_bulb, double wet_bulb, double pressure) {
    const double w = humidity_ratio_from_wet_bulb(dry_bulb, wet_bulb, pressure);
    return pw_from_w(w, pressure) / pws(dry_bulb);
}

double wet_bulb_temperature(double dry_bulb, double relative_humidity, double pressure) {
    check_temperature(dry_bulb, "dry bulb");
    check_pressure(dry_bulb, pressure);
    if (!(relative_humidity >= 0 && relative_humidity <= 1))
        throw std::domain_error(fmt::format("relative humidity {} is outside 0-1", relative_humidity));
    return wet_bulb_from_w(dry_bulb, w_from_pw(relative_humidity * pws(dry_bulb), pressure), pressure);
}

// ---------------------------------------------------------------------------------------
// Constant weather and design days

namespace {

// The limits of a plausible outdoor state, shared by every source (EPW fields use them in
// their own units).
constexpr double kMinDryBulbC = -90, kMaxDryBulbC = 70;   // [degC]
constexpr double kMinPressure = 30e3, kMaxPressure = 120e3;  // [Pa]

std::string celsius(double T) { return fmt::format("{:.1f} degC", T - kZeroC); }

void check_outdoor(double dry_bulb, double pressure, const char* what) {
    if (!(dry_bulb >= kMinDryBulbC + kZeroC && dry_bulb <= kMaxDryBulbC + kZeroC))
        throw std::invalid_argument(
            fmt::format("{}: dry bulb {} K is outside {}..{} degC", what, dry_bulb, kMinDryBulbC, kMaxDryBulbC));
    if (!(pressure >= kMinPressure && pressure <= kMaxPressure))
        throw std::invalid_argument(
            fmt::format("{}: pressure {} Pa is outside {}..{} Pa", what, pressure, kMinPressure, kMaxPressure));
    if (pws(dry_bulb) >= pressure)
        throw std::invalid_argument(fmt::format("{}: dry bulb {} is at or above the boiling point of water at {} Pa",
                                                what, celsius(dry_bulb), pressure));
}

class ConstantWeather final : public Weather {
public:
    explicit ConstantWeather(WeatherSample s) : s_(s) {}
    WeatherSample at(double) const override { return s_; }
    std::string describe() const override {
        return fmt::format("constant: {} dry bulb, {} wet bulb, {:.0f} Pa", celsius(s_.dry_bulb), celsius(s_.wet_bulb),
                           s_.pressure);
    }

private:
    WeatherSample s_;
};

// ASHRAE Handbook - Fundamentals (2009-2021), ch. 14, Table 6 "Fraction of Daily
// Temperature Range", hours 1..24 local standard time, here the value at h:00.
// kFraction[0] is 0:00, the same instant as hour 24, so the day closes on itself.
constexpr std::array<double, 25> kFraction = {0.82, 0.88, 0.92, 0.95, 0.98, 1.00, 0.98, 0.91, 0.74,
                                              0.55, 0.38, 0.23, 0.13, 0.05, 0.00, 0.00, 0.06, 0.14,
                                              0.24, 0.39, 0.50, 0.59, 0.68, 0.75, 0.82};

class DesignDayWeather final : public Weather {
public:
    /// `d` as checked by design_day(): its wet_bulb_range resolved (never NaN).
    explicit DesignDayWeather(const DesignDay& d) : d_(d) {}

    WeatherSample at(double t) const override {
        if (!std::isfinite(t)) throw std::out_of_range(fmt::format("weather: design day at t = {} s", t));
        double h = d_.start_hour + t / 3600.0;
        h -= 24.0 * std::floor(h / 24.0);
        const int i = std::min(static_cast<int>(h), 23);
        const double u = h - i;
        const double f = (1 - u) * kFraction[std::size_t(i)] + u * kFraction[std::size_t(i) + 1];
        WeatherSample s;
        s.dry_bulb = d_.max_dry_bulb - f * d_.daily_range;
        s.wet_bulb = std::min(d_.max_wet_bulb - f * d_.wet_bulb_range, s.dry_bulb);
        s.pressure = d_.pressure;
        // The construction checked every hour; between hours rounding could only nudge it.
        s.relative_humidity = std::clamp(rh_from_wet_bulb(s.dry_bulb, s.wet_bulb, d_.pressure), 0.0, 1.0);
        return s;
    }

    std::string describe() const override {
        const int minutes = static_cast<int>(std::lround(d_.start_hour * 60));
        return fmt::format("design day: {} max dry bulb, {:.1f} K range, {} max wet bulb ({:.1f} K range), "
                           "{:.0f} Pa, from {:02d}:{:02d}",
                           celsius(d_.max_dry_bulb), d_.daily_range, celsius(d_.max_wet_bulb), d_.wet_bulb_range,
                           d_.pressure, minutes / 60 % 24, minutes % 60);
    }

private:
    DesignDay d_;
};

}  // namespace

std::unique_ptr<Weather> constant_weather(double dry_bulb, double wet_bulb, double pressure) {
    check_outdoor(dry_bulb, pressure, "constant weather");
    if (!(wet_bulb <= dry_bulb + 1e-9))
        throw std::invalid_argument(fmt::format("constant weather: wet bulb {} is above the dry bulb {}",
                                                std::isfinite(wet_bulb) ? celsius(wet_bulb) : "nan", celsius(dry_bulb)));
    wet_bulb = std::min(wet_bulb, dry_bulb);
    if (!(wet_bulb >= kMinT) || w_wet_bulb(dry_bulb, wet_bulb, pressure) < 0)
        throw std::invalid_argument(fmt::format("constant weather: wet bulb {} is below that of dry air at {} dry bulb",
                                                std::isfinite(wet_bulb) ? celsius(wet_bulb) : "nan",
                                                celsius(dry_bulb)));
    WeatherSample s{dry_bulb, wet_bulb, rh_from_wet_bulb(dry_bulb, wet_bulb, pressure), pressure};
    s.relative_humidity = std::min(s.relative_humidity, 1.0);
    return std::make_unique<ConstantWeather>(s);
}

std::unique_ptr<Weather> design_day(const DesignDay& d) {
    const char* what = "design day";
    check_outdoor(d.max_dry_bulb, d.pressure, what);
    if (!(d.daily_range >= 0 && d.max_dry_bulb - d.daily_range >= kMinDryBulbC + kZeroC))
        throw std::invalid_argument(fmt::format("design day: daily range {} K must be at least 0 and keep the minimum "
                                                "dry bulb above {} degC",
                                                d.daily_range, kMinDryBulbC));
    if (!(d.max_wet_bulb <= d.max_dry_bulb + 1e-9 && d.max_wet_bulb >= kMinT))
        throw std::invalid_argument(fmt::format("design day: max wet bulb {} K must lie between 173.15 K and the max "
                                                "dry bulb {} K",
                                                d.max_wet_bulb, d.max_dry_bulb));
    if (!(d.start_hour >= 0 && d.start_hour < 24))
        throw std::invalid_argument(fmt::format("design day: start hour {} must be in [0, 24)", d.start_hour));
    const double w_max = w_wet_bulb(d.max_dry_bulb, d.max_wet_bulb, d.pressure);
    if (w_max < 0)
        throw std::invalid_argument(fmt::format("design day: max wet bulb {} is below that of dry air at {} dry bulb",
                                                celsius(d.max_wet_bulb), celsius(d.max_dry_bulb)));
    double wbr = d.wet_bulb_range;
    if (std::isnan(wbr)) {
        // Humidity ratio held at its value of the hottest hour: the wet bulb of that air at
        // the coolest hour (saturated if it would condense).
        const double T_min = d.max_dry_bulb - d.daily_range;
        const double w_sat = w_from_pw(pws(T_min), d.pressure);
        wbr = d.max_wet_bulb - (w_max >= w_sat ? T_min : wet_bulb_from_w(T_min, w_max, d.pressure));
    }
    if (!(wbr >= 0 && std::isfinite(wbr)))
        throw std::invalid_argument(fmt::format("design day: wet-bulb range {} K must be at least 0", wbr));
    DesignDay dd = d;
    dd.max_wet_bulb = std::min(d.max_wet_bulb, d.max_dry_bulb);
    dd.wet_bulb_range = wbr;
    for (std::size_t h = 0; h < 24; ++h) {
        const double T = dd.max_dry_bulb - kFraction[h] * dd.daily_range;
        const double Twb = std::min(dd.max_wet_bulb - kFraction[h] * wbr, T);
        if (Twb < kMinT || w_wet_bulb(T, Twb, dd.pressure) < -1e-12)
            throw std::invalid_argument(fmt::format("design day: the wet-bulb range {} K is too large: at {:02d}:00 the "
                                                    "wet bulb {} is below that of dry air at {} dry bulb",
                                                    wbr, h, celsius(Twb), celsius(T)));
    }
    return std::make_unique<DesignDayWeather>(dd);
}

// ---------------------------------------------------------------------------------------
// EPW files

namespace {

constexpr int kFields = 35;        // fields of an hourly row
constexpr int kMaxFillHours = 6;   // longest run of missing hours filled by interpolation
constexpr double kMissingTemperature = 99.9, kMissingRh = 999, kMissingPressure = 999999;
constexpr std::array<std::string_view, 8> kHeaders = {
    "LOCATION", "DESIGN CONDITIONS", "TYPICAL/EXTREME PERIODS", "GROUND TEMPERATURES",
    "HOLIDAYS/DAYLIGHT SAVINGS", "COMMENTS 1", "COMMENTS 2", "DATA PERIODS"};
constexpr std::array<int, 12> kMonthDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

int days_in(int month, bool leap) { return month == 2 && leap ? 29 : kMonthDays[std::size_t(month) - 1]; }

/// Day of year (1-based) of month/day.
int day_of_year(int month, int day, bool leap) {
    int doy = day;
    for (int m = 1; m < month; ++m) doy += days_in(m, leap);
    return doy;
}

struct Stamp {
    int month = 0, day = 0, hour = 0;  // hour 1-24: the hour ending at hour:00
    bool operator==(const Stamp&) const = default;
};

Stamp next(Stamp s, bool leap) {
    if (s.hour < 24) return {s.month, s.day, s.hour + 1};
    if (s.day < days_in(s.month, leap)) return {s.month, s.day + 1, 1};
    return {s.month + 1, 1, 1};
}

std::string show(Stamp s) { return fmt::format("{:02d}-{:02d} hour {}", s.month, s.day, s.hour); }

/// "MM-DD HH:MM" of tau [s] after Jan 1 00:00, within a year of the given length.
std::string show_time(double tau, bool leap) {
    const double year = (leap ? 366 : 365) * 86400.0;
    tau -= year * std::floor(tau / year);
    long s = static_cast<long>(std::floor(tau));
    int month = 1, day = static_cast<int>(s / 86400) + 1;
    while (month < 12 && day > days_in(month, leap)) day -= days_in(month++, leap);
    s %= 86400;
    std::string out = fmt::format("{:02d}-{:02d} {:02d}:{:02d}", month, day, s / 3600, s / 60 % 60);
    if (s % 60) out += fmt::format(":{:02d}", s % 60);
    return out;
}

/// The user's text in a message: printable ASCII only, cut to a readable length.
// A field as shown in a message. The file is not the user's own (a site may name any path):
// only a short number-like token is quoted, never other text from it (the line and column
// say where to look).
std::string quote(std::string_view s) {
    constexpr std::size_t kMax = 24;
    const bool number_like = !s.empty() && s.size() <= kMax && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c != 0 && std::strchr(" +-.eE/:%", c) != nullptr);
    });
    if (number_like) return fmt::format("\"{}\"", s);
    return s.empty() ? std::string("an empty field") : fmt::format("a field of {} bytes", s.size());
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<double> to_number(std::string_view s) {
    s = trim(s);
    if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

/// One line split at its commas: at most kFields + 1 fields are kept (enough to say there
/// are too many). Columns are 1-based byte columns of each field's first non-blank.
struct Fields {
    std::array<std::string_view, kFields + 1> text;
    std::array<int, kFields + 1> col{};
    int count = 0;  // fields found, up to kFields + 1

    explicit Fields(std::string_view line) {
        std::size_t start = 0;
        while (count <= kFields) {
            const std::size_t comma = std::min(line.find(',', start), line.size());
            std::string_view f = line.substr(start, comma - start);
            std::size_t lead = 0;
            while (lead < f.size() && (f[lead] == ' ' || f[lead] == '\t')) ++lead;
            text[std::size_t(count)] = f;
            col[std::size_t(count)] = static_cast<int>(start + lead) + 1;
            ++count;
            if (comma == line.size()) break;
            start = comma + 1;
        }
    }
};

struct Row {
    Stamp stamp;
    int line = 0;
    std::array<int, 4> col{};       // columns of dry bulb, dew point, relative humidity, pressure
    double dry_bulb = 0, dew_point = 0, rh = 0, pressure = 0;  // [degC], [degC], [%], [Pa]
    bool dry_missing = false, dew_missing = false, rh_missing = false, p_missing = false;
};

class EpwWeather final : public Weather {
public:
    struct Data {
        std::string label, place;
        bool leap = false, whole_year = false, periodic = false;
        double offset = 0;  // [s] EpwOptions::start_offset
        double t0 = 0;      // [s] from Jan 1 00:00 to the start of the first row's hour
        std::vector<WeatherSample> points;  // points[k] at t0 + k h; points[0] for the first hour
        int filled = 0;
    };
    explicit EpwWeather(Data d)
        : d_(std::move(d)), hours_(d_.points.size() - 1), span_(static_cast<double>(hours_) * 3600.0) {}

    WeatherSample at(double t) const override {
        double x = t + d_.offset - d_.t0;
        if (d_.periodic && !(x >= 0 && x <= span_)) x -= span_ * std::floor(x / span_);
        if (!(x >= 0 && x <= span_)) throw_outside(t);
        const double u = x / 3600.0;
        const std::size_t i = std::min(static_cast<std::size_t>(u), hours_ - 1);
        const double f = u - static_cast<double>(i), g = 1 - f;
        const WeatherSample& a = d_.points[i];
        const WeatherSample& b = d_.points[i + 1];
        return {g * a.dry_bulb + f * b.dry_bulb, g * a.wet_bulb + f * b.wet_bulb,
                g * a.relative_humidity + f * b.relative_humidity, g * a.pressure + f * b.pressure};
    }

    std::string describe() const override {
        std::string s = fmt::format("EPW {}", d_.label);
        if (!d_.place.empty()) s += fmt::format(" ({})", d_.place);
        s += " from " + show_time(d_.offset, d_.leap);
        if (d_.filled > 0) s += fmt::format(", {} missing values filled", d_.filled);
        return s;
    }

    std::pair<double, double> valid_range() const override {
        if (d_.periodic) return Weather::valid_range();
        return {d_.t0 - d_.offset, d_.t0 + span_ - d_.offset};
    }

private:
    // Out of line, so that at() stays a leaf without a frame for the message.
    [[noreturn, gnu::cold, gnu::noinline]] void throw_outside(double t) const {
        const auto [a, b] = valid_range();
        // The date only within the first year: a later one would read as a date of this year.
        const double tau = t + d_.offset, year = (d_.leap ? 366 : 365) * 86400.0;
        std::string when = tau >= 0 && tau < year ? " (" + show_time(tau, d_.leap) + ")" : "";
        throw std::out_of_range(fmt::format(
            "weather: t = {} s{} is outside the period of EPW {}: {} to {} (t = {} s to {} s){}", t, when, d_.label,
            show_time(d_.t0, d_.leap), show_time(d_.t0 + span_, d_.leap), a, b,
            d_.whole_year ? " (wrap is off)" : "; only a whole-year file wraps"));
    }

    Data d_;
    std::size_t hours_;
    double span_;  // [s]
};

class EpwReader {
public:
    EpwReader(std::string_view text, std::string label, const EpwOptions& o) : label_(std::move(label)), o_(o) {
        if (text.size() > std::size_t(kMaxWeatherBytes))
            fail(0, 0, fmt::format("the file is too large ({} MB) for a weather file (at most {} MB)", text.size() >> 20,
                                   kMaxWeatherBytes >> 20));
        if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t end = std::min(text.find('\n', start), text.size());
            std::string_view l = text.substr(start, end - start);
            if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
            lines_.push_back(l);
            start = end + 1;
        }
        while (!lines_.empty() && trim(lines_.back()).empty()) lines_.pop_back();  // blank lines at the end
    }

    std::unique_ptr<Weather> read() {
        if (!std::isfinite(o_.start_offset))
            throw std::invalid_argument(fmt::format("weather: start offset {} s must be finite", o_.start_offset));
        header();
        rows();
        fill();
        return build();
    }

private:
    [[noreturn]] void fail(int line, int col, std::string detail) const {
        throw InputError::in_named_file(SourceLoc{label_, line, col}, o_.key, std::move(detail), o_.named_at);
    }

    int line_end(int line) const { return static_cast<int>(lines_[std::size_t(line) - 1].size()) + 1; }

    void header() {
        if (lines_.empty()) fail(1, 1, "the file is empty: an EPW file starts with 8 header lines (LOCATION ... DATA PERIODS)");
        for (std::size_t i = 0; i < kHeaders.size(); ++i) {
            const int n = static_cast<int>(i) + 1;
            if (i >= lines_.size()) {
                const int last = static_cast<int>(lines_.size());
                fail(last, line_end(last),
                     fmt::format("the file ends after {} lines: an EPW file starts with 8 header lines (LOCATION ... "
                                 "DATA PERIODS), then its hourly rows",
                                 last));
            }
            const Fields f(lines_[i]);
            const std::string_view key = trim(f.text[0]);
            bool same = key.size() == kHeaders[i].size();
            for (std::size_t k = 0; same && k < key.size(); ++k)
                same = std::toupper(static_cast<unsigned char>(key[k])) == kHeaders[i][k];
            if (!same) {
                std::string d = fmt::format("expected header line {} of 8, \"{},...\", found {}", n, kHeaders[i],
                                            quote(lines_[i]));
                if (to_number(f.text[0]))
                    d += fmt::format(" (an hourly row: the file has {} header lines, an EPW file has 8)", i);
                fail(n, f.col[0], d);
            }
            if (i == 0 && f.count > 1) place_ = std::string(trim(f.text[1]));
        }
        // DATA PERIODS, number of periods, records per hour, name, start weekday, start, end
        const Fields f(lines_[7]);
        if (f.count < 7)
            fail(8, line_end(8),
                 fmt::format("expected 7 fields on the DATA PERIODS line (DATA PERIODS, number of periods, records "
                             "per hour, name, start day of week, start date, end date), found {}",
                             f.count));
        if (whole(f, 1, "number of data periods") != 1)
            fail(8, f.col[1], fmt::format("dctwin reads EPW files with one data period, found {}", trim(f.text[1])));
        if (whole(f, 2, "records per hour") != 1)
            fail(8, f.col[2],
                 fmt::format("dctwin reads hourly EPW files (1 record per hour), found {}", trim(f.text[2])));
        start_ = date(f, 5, "start date");
        end_ = date(f, 6, "end date");
        end_col_ = f.col[6];
        leap_ = start_.month == 2 && start_.day == 29;
        if (day_of_year(end_.month, end_.day, true) < day_of_year(start_.month, start_.day, true))
            fail(8, f.col[6], fmt::format("the data period ends ({}/{}) before it starts ({}/{}): a period across the "
                                          "year end is not supported",
                                          end_.month, end_.day, start_.month, start_.day));
    }

    /// A whole number in field k (0-based) of a header line.
    long whole(const Fields& f, int k, const char* what) const {
        const auto v = to_number(f.text[std::size_t(k)]);
        if (!v || *v != std::floor(*v) || std::abs(*v) > 1e9)
            fail(8, f.col[std::size_t(k)],
                 fmt::format("expected a whole number for the {}, found {}", what, quote(f.text[std::size_t(k)])));
        return static_cast<long>(*v);
    }

    /// "M/D" or "M/D/YYYY" in field k of the DATA PERIODS line.
    Stamp date(const Fields& f, int k, const char* what) const {
        const std::string_view s = trim(f.text[std::size_t(k)]);
        std::array<int, 3> part{};
        int n = 0;
        std::size_t start = 0;
        bool ok = true;
        while (ok && n < 3) {
            const std::size_t slash = std::min(s.find('/', start), s.size());
            const auto v = to_number(s.substr(start, slash - start));
            ok = v && *v == std::floor(*v) && *v >= 0 && *v <= 9999;
            if (ok) part[std::size_t(n++)] = static_cast<int>(*v);
            if (slash == s.size()) break;
            start = slash + 1;
            if (n == 3) ok = false;  // more than two slashes
        }
        ok = ok && n >= 2 && part[0] >= 1 && part[0] <= 12 && part[1] >= 1 && part[1] <= days_in(part[0], true);
        if (!ok)
            fail(8, f.col[std::size_t(k)],
                 fmt::format("expected a date month/day (e.g. 7/15) for the {} of the data period, found {}", what,
                             quote(f.text[std::size_t(k)])));
        return {part[0], part[1], 0};
    }

    /// Field k (1-based, as the EPW documentation counts) as a whole number in [lo, hi].
    int whole_field(const Fields& f, int line, int k, const char* what, int lo, int hi, std::string range) const {
        const auto v = to_number(f.text[std::size_t(k) - 1]);
        if (!v || *v != std::floor(*v) || *v < lo || *v > hi)
            fail(line, f.col[std::size_t(k) - 1],
                 fmt::format("expected {} {} (field {}), found {}", what, range, k, quote(f.text[std::size_t(k) - 1])));
        return static_cast<int>(*v);
    }

    /// Field k (1-based) as a number; `missing` tells whether it holds the missing marker.
    double number(const Fields& f, int line, int k, const char* what, double marker, double lo, double hi,
                  const char* unit, bool& missing) const {
        const std::string_view t = f.text[std::size_t(k) - 1];
        const auto v = to_number(t);
        if (!v) fail(line, f.col[std::size_t(k) - 1], fmt::format("expected a number for {} (field {}), found {}", what, k, quote(t)));
        missing = *v == marker;
        if (!missing && (*v < lo || *v > hi))
            fail(line, f.col[std::size_t(k) - 1],
                 fmt::format("{} {} {} (field {}) is outside {}..{} {} (missing values are marked {})", what, trim(t),
                             unit, k, lo, hi, unit, marker));
        return *v;
    }

    void rows() {
        if (lines_.size() <= 8) fail(9, 1, "the file has no hourly rows after its 8 header lines");
        bool leap_known = leap_ || start_.month > 2;  // Feb 29 counts only when the file has it
        for (std::size_t i = 8; i < lines_.size(); ++i) {
            const int line = static_cast<int>(i) + 1;
            const Fields f(lines_[i]);
            if (f.count != kFields) {
                if (f.count < kFields)
                    fail(line, line_end(line),
                         trim(lines_[i]).empty()
                             ? std::string("expected an hourly row of 35 comma-separated fields, found an empty line")
                             : fmt::format("expected 35 comma-separated fields in an hourly row, found {}", f.count));
                fail(line, f.col[kFields], "expected 35 comma-separated fields in an hourly row, found more: field 36 starts here");
            }
            Row r;
            r.line = line;
            whole_field(f, line, 1, "a whole number", -9999, 9999, "for the year");
            r.stamp.month = whole_field(f, line, 2, "a month", 1, 12, "1-12");
            const int dmax = days_in(r.stamp.month, true);
            r.stamp.day = whole_field(f, line, 3, "a day of the month", 1, dmax, fmt::format("1-{}", dmax));
            r.stamp.hour = whole_field(f, line, 4, "an hour", 1, 24, "1-24 (the hour ending at that time)");
            whole_field(f, line, 5, "a minute", 0, 60, "0-60");
            sequence(f, r, leap_known);
            for (int k = 0; k < 4; ++k) r.col[std::size_t(k)] = f.col[std::size_t(k) + 6];
            r.dry_bulb = number(f, line, 7, "dry bulb temperature", kMissingTemperature, kMinDryBulbC, kMaxDryBulbC,
                                "degC", r.dry_missing);
            r.dew_point = number(f, line, 8, "dew point temperature", kMissingTemperature, kMinDryBulbC, kMaxDryBulbC,
                                 "degC", r.dew_missing);
            r.rh = number(f, line, 9, "relative humidity", kMissingRh, 0, 110, "%", r.rh_missing);
            r.pressure = number(f, line, 10, "atmospheric station pressure", kMissingPressure, kMinPressure,
                                kMaxPressure, "Pa", r.p_missing);
            rows_.push_back(r);
        }
        const Stamp last = rows_.back().stamp;
        if (!(last == Stamp{end_.month, end_.day, 24})) {
            const int hours = 24 * (day_of_year(end_.month, end_.day, leap_) - day_of_year(last.month, last.day, leap_)) +
                              24 - last.hour;
            fail(8, end_col_,
                 fmt::format("too few rows: the hourly rows end at {} (line {}), {} hours before the end of the data "
                             "period declared here ({}/{} hour 24)",
                             show(last), rows_.back().line, hours, end_.month, end_.day));
        }
    }

    /// Rows follow each other hour by hour through the declared period.
    void sequence(const Fields& f, const Row& r, bool& leap_known) {
        const Stamp s = r.stamp;
        const auto col_of_difference = [&](Stamp want) {
            return want.month != s.month ? f.col[1] : want.day != s.day ? f.col[2] : f.col[3];
        };
        if (rows_.empty()) {
            const Stamp want{start_.month, start_.day, 1};
            if (!(s == want))
                fail(r.line, col_of_difference(want),
                     fmt::format("the data period declared on line 8 starts {}/{}: expected {} here, found {}",
                                 start_.month, start_.day, show(want), show(s)));
            return;
        }
        const Row& prev = rows_.back();
        if (prev.stamp == Stamp{end_.month, end_.day, 24})
            fail(r.line, f.col[1],
                 fmt::format("a row after the end of the data period declared on line 8 ({}/{} hour 24)", end_.month,
                             end_.day));
        Stamp want = next(prev.stamp, leap_);
        if (!leap_known && prev.stamp == Stamp{2, 28, 24}) {
            leap_known = true;
            leap_ = s == Stamp{2, 29, 1};
            want = next(prev.stamp, leap_);
        }
        if (s == want) return;
        if (s == prev.stamp)
            fail(r.line, f.col[3], fmt::format("duplicate hour: {} again (first on line {})", show(s), prev.line));
        fail(r.line, col_of_difference(want),
             fmt::format("out of order: expected {} after {} on line {}, found {}", show(want), show(prev.stamp),
                         prev.line, show(s)));
    }

    /// Fills runs of missing values between known ones (see load_epw).
    void fill() {
        fill_runs(&Row::dry_bulb, &Row::dry_missing, 0, "dry bulb temperature", kMissingTemperature);
        for (Row& r : rows_) {
            if (r.rh_missing && !r.dew_missing) {
                r.rh = 100 * pws(r.dew_point + kZeroC) / pws(r.dry_bulb + kZeroC);
                r.rh_missing = false;
                ++filled_;
            }
        }
        fill_runs(&Row::rh, &Row::rh_missing, 2, "relative humidity", kMissingRh);
        fill_runs(&Row::pressure, &Row::p_missing, 3, "atmospheric station pressure", kMissingPressure);
    }

    void fill_runs(double Row::*value, bool Row::*missing, int field, const char* what, double marker) {
        const std::size_t n = rows_.size();
        for (std::size_t a = 0; a < n; ++a) {
            if (!(rows_[a].*missing)) continue;
            std::size_t b = a;
            while (b < n && rows_[b].*missing) ++b;
            const Row& first = rows_[a];
            const int col = first.col[std::size_t(field)];
            if (a == 0 || b == n)
                fail(first.line, col,
                     fmt::format("{} missing ({}) at the {} of the file: a missing value is filled only between two "
                                 "known ones",
                                 what, marker, a == 0 ? "start" : "end"));
            if (b - a > std::size_t(kMaxFillHours))
                fail(first.line, col,
                     fmt::format("{} missing ({}) for {} consecutive hours from here: at most {} are filled by "
                                 "interpolation",
                                 what, marker, b - a, kMaxFillHours));
            const double v0 = rows_[a - 1].*value, v1 = rows_[b].*value;
            for (std::size_t k = a; k < b; ++k) {
                const double u = static_cast<double>(k - a + 1) / static_cast<double>(b - a + 1);
                rows_[k].*value = (1 - u) * v0 + u * v1;
                rows_[k].*missing = false;
            }
            filled_ += static_cast<int>(b - a);
            a = b;
        }
    }

    std::unique_ptr<Weather> build() {
        EpwWeather::Data d;
        d.label = label_;
        d.place = place_;
        d.leap = leap_;
        d.offset = o_.start_offset;
        d.filled = filled_;
        const Stamp first = rows_.front().stamp;
        d.t0 = (day_of_year(first.month, first.day, leap_) - 1) * 86400.0;
        d.whole_year = start_ == Stamp{1, 1, 0} && end_ == Stamp{12, 31, 0};
        d.periodic = d.whole_year && o_.wrap;
        d.points.reserve(rows_.size() + 1);
        d.points.emplace_back();
        for (const Row& r : rows_) {
            const double T = r.dry_bulb + kZeroC;
            if (pws(T) >= r.pressure)
                fail(r.line, r.col[0],
                     fmt::format("dry bulb temperature {:.1f} degC is at or above the boiling point of water at the "
                                 "row's station pressure {:.0f} Pa",
                                 r.dry_bulb, r.pressure));
            const double rh = std::clamp(r.rh / 100, 0.0, 1.0);  // up to 110 % is allowed: saturated
            d.points.push_back({T, wet_bulb_temperature(T, rh, r.pressure), rh, r.pressure});
        }
        d.points[0] = d.periodic ? d.points.back() : d.points[1];
        return std::make_unique<EpwWeather>(std::move(d));
    }

    std::string label_;
    EpwOptions o_;
    std::vector<std::string_view> lines_;
    std::string place_;
    Stamp start_, end_;
    int end_col_ = 1;
    bool leap_ = false;
    std::vector<Row> rows_;
    int filled_ = 0;
};

}  // namespace

std::unique_ptr<Weather> load_epw_text(std::string_view text, const std::string& file_label, const EpwOptions& o) {
    return EpwReader(text, file_label, o).read();
}

std::unique_ptr<Weather> load_epw(const std::string& path, const EpwOptions& o) {
    std::string text;
    try {
        text = read_input_file(path, std::size_t(kMaxWeatherBytes), "a weather file");
    } catch (const FileReadError& e) {
        throw InputError::in_named_file(SourceLoc{path, 0, 0}, o.key, e.what(), o.named_at);
    }
    return load_epw_text(text, path, o);
}

}  // namespace dctwin
