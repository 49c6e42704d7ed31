#include "calib/measured.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "input/file_reader.hpp"
#include "input/site_loader.hpp"

namespace dctwin::calib {

namespace {

struct Field {
    std::string text;  // trimmed, quotes removed
    int col = 1;       // 1-based byte column of its first character
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The file may be anything a user names: a message quotes only short tokens made of the
// characters the format itself uses, never other text of the file (line:col say where).
std::string shown(std::string_view s) {
    constexpr std::size_t kMax = 40;
    const bool plain = !s.empty() && s.size() <= kMax && std::all_of(s.begin(), s.end(), [](char ch) {
        const unsigned char c = static_cast<unsigned char>(ch);
        return std::isalnum(c) || std::string_view(" _-+./:%[]()").find(ch) != std::string_view::npos;
    });
    if (plain) return fmt::format("'{}'", s);
    return s.empty() ? std::string("an empty field") : fmt::format("a field of {} bytes", s.size());
}

class Lines {
public:
    Lines(std::string_view text, std::string label) : text_(text), label_(std::move(label)) {
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // a spreadsheet's BOM
    }
    /// The next line that is neither blank nor a '#' comment; false at the end.
    bool next() {
        while (pos_ <= text_.size()) {
            std::size_t end = text_.find('\n', pos_);
            if (end == std::string_view::npos) end = text_.size();
            line_ = text_.substr(pos_, end - pos_);
            if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
            ++number_;
            pos_ = end + 1;
            const auto t = trim(line_);
            if (!t.empty() && t.front() != '#') return true;
        }
        return false;
    }
    std::string_view line() const { return line_; }
    int number() const { return number_; }
    [[noreturn]] void fail(int col, const std::string& detail) const { fail_at(number_, col, detail); }
    [[noreturn]] void fail_at(int line, int col, const std::string& detail) const {
        throw InputError(SourceLoc{label_, line, col}, "", detail, std::string_view{});
    }
    std::vector<Field> split() const {
        std::vector<Field> out;
        std::size_t i = 0;
        const std::string_view l = line_;
        while (true) {
            while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
            Field f;
            f.col = int(i) + 1;
            if (i < l.size() && l[i] == '"') {  // RFC 4180 quoting, "" for a quote
                std::size_t j = i + 1;
                for (;; ++j) {
                    if (j >= l.size()) fail(f.col, "a quoted field is not closed on its line");
                    if (l[j] == '"') {
                        if (j + 1 < l.size() && l[j + 1] == '"') {
                            f.text += '"';
                            ++j;
                            continue;
                        }
                        break;
                    }
                    f.text += l[j];
                }
                i = j + 1;
                while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
                if (i < l.size() && l[i] != ',') fail(int(i) + 1, "expected ',' after a quoted field");
            } else {
                const std::size_t end = std::min(l.find(',', i), l.size());
                f.text = std::string(trim(l.substr(i, end - i)));
                i = end;
            }
            out.push_back(std::move(f));
            if (i >= l.size()) break;
            ++i;  // the comma
        }
        return out;
    }

private:
    std::string_view text_, line_;
    std::string label_;
    std::size_t pos_ = 0;
    int number_ = 0;
};

std::optional<double> number(std::string_view s) {
    if (s.empty()) return std::nullopt;
    if (s.front() == '+') s.remove_prefix(1);
    double v = 0.0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

bool missing(std::string_view s) { return s.empty() || s == "NaN" || s == "nan" || s == "NA" || s == "N/A"; }

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + std::int64_t(doe) - 719468;
}

// "name [unit]" -> name, unit (without brackets), column of the unit; false without a unit.
bool heading_parts(std::string_view h, std::string& name, std::string& unit, int& unit_col) {
    const auto open = h.rfind('[');
    if (open == std::string_view::npos || h.empty() || h.back() != ']') return false;
    name = std::string(trim(h.substr(0, open)));
    unit = std::string(trim(h.substr(open + 1, h.size() - open - 2)));
    unit_col = int(open) + 1;
    return true;
}

bool path_like(std::string_view p) {
    return !p.empty() && p.size() <= 512 && std::all_of(p.begin(), p.end(), [](char ch) {
        const unsigned char c = static_cast<unsigned char>(ch);
        return std::isalnum(c) || std::string_view("_-./:+").find(ch) != std::string_view::npos;
    });
}

constexpr const char* kExample = "'time [s],site/grid_power [kW]' or 'timestamp,site/grid_power [kW]'";

}  // namespace

std::optional<double> parse_iso8601(std::string_view s) {
    auto digits = [&](std::size_t at, std::size_t n, int& out) {
        if (at + n > s.size()) return false;
        out = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    int Y, M, D, h, m, sec;
    if (s.size() < 19 || !digits(0, 4, Y) || s[4] != '-' || !digits(5, 2, M) || s[7] != '-' || !digits(8, 2, D) ||
        (s[10] != ' ' && s[10] != 'T') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, m) || s[16] != ':' ||
        !digits(17, 2, sec))
        return std::nullopt;
    std::size_t i = 19;
    double frac = 0.0;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        double scale = 0.1;
        const std::size_t first = i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && i < first + 9; ++i, scale *= 0.1) frac += (s[i] - '0') * scale;
        if (i == first) return std::nullopt;
    }
    int zone = 0;  // [s] east of UTC
    if (i < s.size()) {
        if (s[i] == 'Z' && i + 1 == s.size()) {
            ++i;
        } else if (s[i] == '+' || s[i] == '-') {
            int zh = 0, zm = 0;
            const bool colon = i + 3 < s.size() && s[i + 3] == ':';
            if (!digits(i + 1, 2, zh) || !digits(i + (colon ? 4 : 3), 2, zm) || zh > 23 || zm > 59) return std::nullopt;
            zone = (s[i] == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
            i += colon ? 6 : 5;
        }
    }
    if (i != s.size()) return std::nullopt;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] + (M == 2 && leap) || h > 23 || m > 59 || sec > 60)
        return std::nullopt;
    return double(days_from_civil(Y, unsigned(M), unsigned(D)) * 86400 + h * 3600 + m * 60 + sec - zone) + frac;
}

UnitMap unit_map(std::string_view unit) {
    UnitMap u;
    if (unit.empty() || unit == "1" || unit == "-") {
        u.dim.unitless = true;
        return u;
    }
    // udunits maps are affine for every unit a meter reports: two points give the map.
    const Quantity zero = parse_any_quantity(fmt::format("0 {}", unit));
    const Quantity one = parse_any_quantity(fmt::format("1 {}", unit));
    u.scale = one.si - zero.si;
    u.offset = zero.si;
    u.dim = one;
    if (!(u.scale > 0) || !std::isfinite(u.offset)) throw UnitError(fmt::format("'{}' is not a linear unit", unit));
    return u;
}

MeasuredData parse_measured_csv(std::string_view text, const std::string& label) {
    MeasuredData out;
    out.file = label;
    Lines in(text, label);
    if (!in.next()) in.fail_at(1, 1, std::string("empty file: expected a header line, e.g. ") + kExample);

    const auto header = in.split();
    const int header_line = in.number();
    // The time column: `time [s]` (seconds of the run) or `timestamp` / `time` (ISO 8601).
    bool seconds = false;
    {
        std::string name, unit;
        int unit_col = 0;
        const std::string& h = header[0].text;
        if (heading_parts(h, name, unit, unit_col) && name == "time") {
            if (unit != "s")
                in.fail(header[0].col + unit_col, fmt::format("the time column's unit must be [s], found {}", shown(unit)));
            seconds = true;
        } else if (h != "timestamp" && h != "time" && h != "Date/Time" && h != "datetime") {
            in.fail(header[0].col, fmt::format("expected the time column first, 'time [s]' or 'timestamp' (ISO "
                                               "8601), found {}; a header is e.g. {}",
                                               shown(h), kExample));
        }
    }
    // `dctwin export` writes "time [s],Date/Time,..." for a run with a calendar: the clock text
    // repeats the time, so it is skipped and its output reads back as measurements.
    const std::size_t first = seconds && header.size() > 1 && header[1].text == "Date/Time" ? 2 : 1;
    if (header.size() <= first)
        in.fail(int(in.line().size()) + 1, std::string("expected at least one measured column after the time, e.g. ") + kExample);
    for (std::size_t i = first; i < header.size(); ++i) {
        const Field& f = header[i];
        MeasuredSeries s;
        int unit_col = 0;
        if (!heading_parts(f.text, s.path, s.unit, unit_col))
            in.fail(f.col, fmt::format("expected a heading 'result/path [unit]', e.g. 'site/grid_power [kW]', found {}",
                                       shown(f.text)));
        if (!path_like(s.path))
            in.fail(f.col, fmt::format("expected a result path before the unit, e.g. 'site/grid_power', found {}",
                                       shown(s.path)));
        try {
            const UnitMap m = unit_map(s.unit);
            s.scale = m.scale;
            s.offset = m.offset;
            s.dim = m.dim;
        } catch (const UnitError&) {
            in.fail(f.col + unit_col, fmt::format("unknown unit {} in the heading of {}: expected a unit such as kW, "
                                                  "degC, L/min or 1",
                                                  shown(s.unit), shown(s.path)));
        }
        for (const auto& prev : out.series)
            if (prev.path == s.path || (prev.path.front() == '/' ? prev.path.substr(1) : prev.path) ==
                                           (s.path.front() == '/' ? s.path.substr(1) : s.path))
                in.fail(f.col, fmt::format("the column {} appears twice (first at column {})", shown(s.path), prev.col));
        s.line = header_line;
        s.col = f.col;
        out.series.push_back(std::move(s));
    }

    while (in.next()) {
        const auto f = in.split();
        if (f.size() != header.size())
            in.fail(f.size() < header.size() ? int(in.line().size()) + 1 : f[header.size()].col,
                    fmt::format("expected {} comma-separated fields as in the header on line {}, found {}",
                                header.size(), header_line, f.size()));
        double t = 0;
        if (seconds) {
            const auto v = number(f[0].text);
            if (!v) in.fail(f[0].col, fmt::format("expected a time in seconds, found {}", shown(f[0].text)));
            t = *v;
        } else {
            const auto v = parse_iso8601(f[0].text);
            if (!v)
                in.fail(f[0].col, fmt::format("expected an ISO 8601 timestamp, e.g. 2026-03-01T00:00:00Z, found {}",
                                              shown(f[0].text)));
            if (!out.epoch) out.epoch = *v;
            t = *v - *out.epoch;
        }
        if (!out.time.empty() && !(t > out.time.back()))
            in.fail(f[0].col, fmt::format("time must increase from row to row: this row is {} the row on line {}",
                                          t == out.time.back() ? "at the same time as" : "before", out.lines.back()));
        out.time.push_back(t);
        out.lines.push_back(in.number());
        for (std::size_t i = first; i < f.size(); ++i) {
            auto& s = out.series[i - first];
            if (missing(f[i].text)) {
                s.values.push_back(std::numeric_limits<double>::quiet_NaN());
                continue;
            }
            const auto v = number(f[i].text);
            if (!v)
                in.fail(f[i].col, fmt::format("expected a number in {} (the unit is in the header), or an empty "
                                              "field for no measurement, found {}",
                                              s.unit.empty() ? "1" : s.unit, shown(f[i].text)));
            s.values.push_back(*v);
        }
    }
    if (out.time.empty()) in.fail_at(header_line, 1, "the file has a header but no rows of measurements");
    return out;
}

MeasuredData read_measured_csv(const std::string& path) {
    std::string text;
    try {
        text = read_input_file(path, kMaxMeasuredBytes, "a measured-data file");
    } catch (const FileReadError& e) {
        throw InputError(SourceLoc{path, 0, 0}, "", e.what(), std::string_view{});
    }
    return parse_measured_csv(text, path);
}

}  // namespace dctwin::calib
