#include "calib/measured.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <array>
#include <cstring>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "input/file_reader.hpp"
#include "input/site_loader.hpp"
#include "input/text_lines.hpp"

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

// A measured file's lines, split as CSV.
class Lines : public TextLines {
public:
    Lines(std::string_view text, std::string label) : TextLines(text, std::move(label)) {}
    /// The fields of a data line, as many as the header on line header_line has.
    std::vector<Field> split_as(std::size_t n, int header_line) const {
        auto f = split();
        if (f.size() != n)
            fail(f.size() < n ? int(line().size()) + 1 : f[n].col,
                 fmt::format("expected {} comma-separated fields as in the header on line {}, found {}", n,
                             header_line, f.size()));
        return f;
    }
    std::vector<Field> split() const {
        std::vector<Field> out;
        std::size_t i = 0;
        const std::string_view l = line();
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
};

std::optional<double> number(std::string_view s) { return plain_number(s); }

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
        const auto f = in.split_as(header.size(), header_line);
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

namespace {

std::string read_text(const std::string& path) {
    try {
        return read_input_file(path, kMaxMeasuredBytes, "a measured-data file");
    } catch (const FileReadError& e) {
        throw InputError(SourceLoc{path, 0, 0}, "", e.what(), std::string_view{});
    }
}

// nvidia-smi's timestamp "2024/05/01 12:00:00.123" (also with '-' and 'T'): [s] since 1970.
std::optional<double> smi_time(std::string_view s) {
    if (s.size() < 19 || (s[4] != '/' && s[4] != '-') || s[7] != s[4]) return std::nullopt;
    std::string iso(s);
    iso[4] = iso[7] = '-';
    return parse_iso8601(iso);
}

// One series sampled at its own times, before they are put on a shared axis.
struct Sampled {
    MeasuredSeries series;
    std::vector<double> t;  // [s] since 1970
    std::vector<int> lines;
};

// The series on the union of their times (NaN where one has no sample), t = 0 at the first.
MeasuredData on_shared_axis(std::vector<Sampled> all, const std::string& label) {
    MeasuredData out;
    out.file = label;
    std::vector<std::pair<double, int>> times;
    for (const auto& a : all)
        for (std::size_t i = 0; i < a.t.size(); ++i) times.emplace_back(a.t[i], a.lines[i]);
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end(), [](const auto& x, const auto& y) { return x.first == y.first; }),
                times.end());
    if (times.empty()) return out;
    out.epoch = times.front().first;
    for (const auto& [t, line] : times) {
        out.time.push_back(t - *out.epoch);
        out.lines.push_back(line);
    }
    for (auto& a : all) {
        const std::vector<double> sampled = std::move(a.series.values);
        a.series.values.assign(times.size(), std::numeric_limits<double>::quiet_NaN());
        std::size_t k = 0;
        for (std::size_t i = 0; i < a.t.size(); ++i) {
            while (times[k].first < a.t[i]) ++k;
            a.series.values[k] = sampled[i];
        }
        out.series.push_back(std::move(a.series));
    }
    return out;
}

}  // namespace

MeasuredData parse_nvidia_smi_csv(std::string_view text, const std::string& label, const std::string& gpu_prefix) {
    constexpr const char* kSmiExample =
        "'timestamp, index, power.draw [W], temperature.gpu, clocks.sm [MHz]' (nvidia-smi --query-gpu=... --format=csv)";
    Lines in(text, label);
    if (!in.next()) in.fail_at(1, 1, std::string("empty file: expected nvidia-smi's CSV header, e.g. ") + kSmiExample);
    const auto header = in.split();
    const int header_line = in.number();
    int c_time = -1, c_index = -1, c_power = -1, c_temp = -1, c_clock = -1, c_max = -1;
    for (std::size_t i = 0; i < header.size(); ++i) {
        std::string name = header[i].text, u;
        int unit_col = 0;
        if (!heading_parts(header[i].text, name, u, unit_col)) name = header[i].text;
        auto want = [&](const char* expected, int& column) {
            if (!u.empty() && u != expected)
                in.fail(header[i].col + unit_col, fmt::format("unknown unit {} for {}: expected [{}]",
                                                              shown(u), shown(name), expected));
            if (column < 0) column = int(i);
        };
        if (name == "timestamp") c_time = int(i);
        else if (name == "index") c_index = int(i);
        else if (name == "power.draw" || name == "power.draw.instant" || name == "power.draw.average") want("W", c_power);
        else if (name == "temperature.gpu") {
            if (!u.empty() && u != "C" && u != "degC")
                in.fail(header[i].col + unit_col, fmt::format("unknown unit {} for temperature.gpu: expected none (degC)", shown(u)));
            c_temp = int(i);
        } else if (name == "clocks.sm" || name == "clocks.current.sm") want("MHz", c_clock);
        else if (name == "clocks.max.sm" || name == "clocks.max.sm_clock") want("MHz", c_max);
    }
    if (c_time < 0 || c_index < 0 || (c_power < 0 && c_temp < 0))
        in.fail(1, fmt::format("the header lacks {}: expected nvidia-smi's CSV header, e.g. {}",
                               c_time < 0 ? "the column timestamp" : c_index < 0 ? "the column index"
                                                                                 : "power.draw or temperature.gpu",
                               kSmiExample));

    std::map<int, std::array<Sampled, 3>> gpus;  // per index: power, temperature, clock fraction
    std::map<int, double> last;                  // per index: the last time [s]
    while (in.next()) {
        const auto f = in.split_as(header.size(), header_line);
        const auto t = smi_time(f[std::size_t(c_time)].text);
        if (!t)
            in.fail(f[std::size_t(c_time)].col, fmt::format("expected a timestamp YYYY/MM/DD HH:MM:SS.fff, found {}",
                                                            shown(f[std::size_t(c_time)].text)));
        const auto& fi = f[std::size_t(c_index)];
        const auto idx = number(fi.text);
        if (!idx || *idx < 0 || *idx > 1e6 || *idx != std::floor(*idx))
            in.fail(fi.col, fmt::format("expected a GPU index (0, 1, ...), found {}", shown(fi.text)));
        const int g = int(*idx);
        if (auto it = last.find(g); it != last.end() && !(*t > it->second))
            in.fail(f[std::size_t(c_time)].col,
                    fmt::format("time must increase for each GPU: GPU {} at this row is {} its previous sample", g,
                                *t == it->second ? "at the same time as" : "before"));
        last[g] = *t;
        auto [it, added] = gpus.try_emplace(g);
        auto& series = it->second;
        if (added) {
            const std::string device = gpu_prefix + std::to_string(g);
            const char* paths[] = {"devices/power/", "devices/junction_temperature/", "devices/clock_fraction/"};
            const char* units[] = {"W", "degC", "1"};
            for (int k = 0; k < 3; ++k) {
                auto& m = series[std::size_t(k)].series;
                m.path = paths[k] + device;
                m.unit = units[k];
                m.line = in.number();
                m.col = fi.col;
                const UnitMap u = unit_map(m.unit);
                m.scale = u.scale;
                m.offset = u.offset;
                m.dim = u.dim;
            }
        }
        // A value with nvidia-smi's unit suffix ("312.45 W") or without (nounits).
        auto value = [&](int column, const char* suffix) -> std::optional<double> {
            const auto& fv = f[std::size_t(column)];
            std::string_view v = fv.text;
            if (v.empty() || v == "[N/A]" || v == "N/A" || v == "[Not Supported]" || v == "[Unknown Error]")
                return std::numeric_limits<double>::quiet_NaN();
            if (*suffix && v.size() > std::strlen(suffix) && v.substr(v.size() - std::strlen(suffix)) == suffix)
                v = trim(v.substr(0, v.size() - std::strlen(suffix)));
            const auto x = number(v);
            if (!x)
                in.fail(fv.col, fmt::format("expected a number{}{}, found {}", *suffix ? " in " : "", suffix, shown(fv.text)));
            return x;
        };
        auto add = [&](int k, double v) {
            auto& s = series[std::size_t(k)];
            s.t.push_back(*t);
            s.lines.push_back(in.number());
            s.series.values.push_back(v);
        };
        if (c_power >= 0) add(0, *value(c_power, "W"));
        if (c_temp >= 0) add(1, *value(c_temp, ""));
        if (c_clock >= 0 && c_max >= 0) {
            const double c = *value(c_clock, "MHz"), m = *value(c_max, "MHz");
            add(2, m > 0 ? c / m : std::numeric_limits<double>::quiet_NaN());
        }
    }
    if (gpus.empty()) in.fail_at(header_line, 1, "the file has a header but no samples");
    std::vector<Sampled> all;
    for (auto& [g, series] : gpus)
        for (auto& s : series)
            if (!s.t.empty()) all.push_back(std::move(s));
    return on_shared_axis(std::move(all), label);
}

MeasuredData parse_dcgmi_dmon(std::string_view text, const std::string& label, const std::string& gpu_prefix,
                              double interval) {
    constexpr const char* kDmonExample = "'#Entity   POWER   GTEMP' (dcgmi dmon -e 155,150)";
    if (!(interval > 0)) throw InputError(SourceLoc{label, 0, 0}, "", "the sample interval must be positive", std::string_view{});
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    auto words = [](std::string_view l) {
        std::vector<std::pair<std::string_view, int>> w;  // word, 1-based column
        std::size_t i = 0;
        while (i < l.size()) {
            while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
            const std::size_t b = i;
            while (i < l.size() && l[i] != ' ' && l[i] != '\t') ++i;
            if (i > b) w.emplace_back(l.substr(b, i - b), int(b) + 1);
        }
        return w;
    };
    std::vector<std::string> fields;  // of the current header: POWER, GTEMP, ...
    std::map<int, std::array<Sampled, 2>> gpus;
    int round = -1, line_no = 0;
    std::map<int, bool> in_round;
    std::size_t pos = 0;
    bool any = false;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto w = words(line);
        if (w.empty()) continue;
        auto fail = [&](int col, const std::string& d) {
            throw InputError(SourceLoc{label, line_no, col}, "", d, std::string_view{});
        };
        if (w[0].first.front() == '#') {
            // "#Entity POWER GTEMP" or "# Entity POWER GTEMP": the field names.
            std::size_t k = 0;
            if (w[0].first == "#") ++k;
            const std::string_view first = k ? (w.size() > 1 ? w[1].first : std::string_view{}) : w[0].first.substr(1);
            if (first != "Entity") fail(w[0].second, std::string("expected dcgmi dmon's header, e.g. ") + kDmonExample);
            fields.clear();
            for (std::size_t i = k + 1; i < w.size(); ++i) fields.emplace_back(w[i].first);
            continue;
        }
        if (w[0].first == "ID" || w[0].first == "Id") continue;  // the units line
        if (fields.empty()) fail(w[0].second, std::string("expected dcgmi dmon's header before its rows, e.g. ") + kDmonExample);
        any = true;
        if (w.size() != fields.size() + 2)
            fail(w.size() > fields.size() + 2 ? w[fields.size() + 2].second : int(line.size()) + 1,
                 fmt::format("expected an entity, its id and {} values (the fields of the header), found {} words",
                             fields.size(), w.size()));
        if (w[0].first != "GPU") continue;  // GPU-I, GPU-CI, CPU, ...: not modelled as devices
        const auto id = number(w[1].first);
        if (!id || *id < 0 || *id > 1e6 || *id != std::floor(*id)) fail(w[1].second, fmt::format("expected a GPU id, found {}", shown(w[1].first)));
        const int g = int(*id);
        // A GPU already seen in this round starts the next one.
        if (round < 0 || in_round[g]) {
            ++round;
            in_round.clear();
        }
        in_round[g] = true;
        auto [it, added] = gpus.try_emplace(g);
        if (added) {
            const char* paths[] = {"devices/power/", "devices/junction_temperature/"};
            const char* units[] = {"W", "degC"};
            for (int k = 0; k < 2; ++k) {
                auto& m = it->second[std::size_t(k)].series;
                m.path = paths[k] + gpu_prefix + std::to_string(g);
                m.unit = units[k];
                m.line = line_no;
                m.col = w[0].second;
                const UnitMap u = unit_map(m.unit);
                m.scale = u.scale;
                m.offset = u.offset;
                m.dim = u.dim;
            }
        }
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const int k = fields[i] == "POWER" ? 0 : fields[i] == "GTEMP" ? 1 : -1;
            if (k < 0) continue;
            const auto& [v, col] = w[i + 2];
            double x = std::numeric_limits<double>::quiet_NaN();
            if (v != "N/A") {
                const auto n = number(v);
                if (!n) fail(col, fmt::format("expected a number or N/A for {}, found {}", fields[i], shown(v)));
                x = *n;
            }
            auto& s = it->second[std::size_t(k)];
            s.t.push_back(round * interval);
            s.lines.push_back(line_no);
            s.series.values.push_back(x);
        }
    }
    if (!any) throw InputError(SourceLoc{label, 1, 1}, "", std::string("no rows: expected dcgmi dmon's output, e.g. ") + kDmonExample, std::string_view{});
    std::vector<Sampled> all;
    for (auto& [g, series] : gpus)
        for (auto& s : series)
            if (!s.t.empty()) all.push_back(std::move(s));
    if (all.empty())
        throw InputError(SourceLoc{label, 1, 1}, "", "no POWER or GTEMP field of a GPU: run dcgmi dmon -e 155,150",
                         std::string_view{});
    // Rounds count from 0 at t = 0: no epoch (the output has no clock).
    MeasuredData out = on_shared_axis(std::move(all), label);
    for (auto& t : out.time) t += *out.epoch;
    out.epoch.reset();
    return out;
}

MeasuredData read_measured_csv(const std::string& path) { return parse_measured_csv(read_text(path), path); }

namespace {

bool metric_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool metric_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }

// Parses `NAME{a="x",b="y"}` from the start of `s`; returns the length read or 0 when
// malformed; `err` gets the offset and what was expected.
std::size_t metric_selector(std::string_view s, std::string& name, std::vector<std::pair<std::string, std::string>>& labels,
                            std::size_t& err_at, std::string& err) {
    std::size_t i = 0;
    if (s.empty() || !metric_start(s[0])) {
        err = "expected a metric name";
        return err_at = 0, 0;
    }
    while (i < s.size() && metric_char(s[i])) ++i;
    name = std::string(s.substr(0, i));
    if (i >= s.size() || s[i] != '{') return i;
    ++i;
    while (true) {
        while (i < s.size() && s[i] == ' ') ++i;
        if (i < s.size() && s[i] == '}') return i + 1;
        const std::size_t l0 = i;
        if (i >= s.size() || !metric_start(s[i])) {
            err = "expected a label name or '}'";
            return err_at = i, 0;
        }
        while (i < s.size() && metric_char(s[i])) ++i;
        std::string key(s.substr(l0, i - l0)), value;
        if (i + 1 >= s.size() || s[i] != '=' || s[i + 1] != '"') {
            err = "expected =\"value\" after the label name";
            return err_at = i, 0;
        }
        i += 2;
        for (;; ++i) {
            if (i >= s.size()) {
                err = "a label value is not closed on its line";
                return err_at = l0, 0;
            }
            if (s[i] == '"') break;
            if (s[i] == '\\' && i + 1 < s.size()) {
                ++i;
                value += s[i] == 'n' ? '\n' : s[i];
            } else {
                value += s[i];
            }
        }
        ++i;
        labels.emplace_back(std::move(key), std::move(value));
        while (i < s.size() && s[i] == ' ') ++i;
        if (i < s.size() && s[i] == ',') ++i;
        else if (i >= s.size() || s[i] != '}') {
            err = "expected ',' or '}' after a label";
            return err_at = i, 0;
        }
    }
}

std::optional<double> prom_number(std::string_view s) {
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "+Inf" || s == "-Inf" || s == "Inf") return std::nullopt;  // not a measurement
    return number(s);
}

}  // namespace

MetricMap parse_metric_map(std::string_view text) {
    MetricMap m;
    std::size_t err_at = 0;
    std::string err;
    const std::size_t n = metric_selector(text, m.name, m.labels, err_at, err);
    if (n == 0) throw std::invalid_argument(fmt::format("--metric: {} at character {}", err, err_at + 1));
    if (n >= text.size() || text[n] != '=')
        throw std::invalid_argument("--metric: expected NAME{label=\"value\",...}=result/path [unit], e.g. "
                                    "'facility_power_watts{point=\"grid\"}=site/grid_power [W]'");
    std::string unit;
    int unit_col = 0;
    if (!heading_parts(trim(text.substr(n + 1)), m.path, unit, unit_col) || !path_like(m.path))
        throw std::invalid_argument(fmt::format("--metric {}: expected '=result/path [unit]' after the metric", std::string(text)));
    try {
        (void)unit_map(unit);
    } catch (const UnitError& e) {
        throw std::invalid_argument(fmt::format("--metric {}: unknown unit '{}'", std::string(text), unit));
    }
    m.unit = unit;
    return m;
}

MeasuredData parse_prometheus_text(std::string_view text, const std::string& label, const std::string& gpu_prefix,
                                   const std::vector<MetricMap>& maps) {
    Lines in(text, label);
    std::map<std::string, std::size_t> index;  // path -> position in `all`
    std::vector<Sampled> all;
    bool any = false;
    while (in.next()) {
        const std::string_view line = trim(in.line());
        if (line.front() == '#') continue;  // HELP, TYPE, UNIT, EOF (Lines skips them already)
        const int col0 = int(line.data() - in.line().data()) + 1;
        any = true;
        std::string name;
        std::vector<std::pair<std::string, std::string>> labels;
        std::size_t err_at = 0;
        std::string err;
        const std::size_t n = metric_selector(line, name, labels, err_at, err);
        if (n == 0) in.fail(col0 + int(err_at), err + " (Prometheus text: NAME{label=\"value\",...} VALUE TIMESTAMP)");
        // The series this sample belongs to, if any.
        std::string path, unit;
        auto label_of = [&](const char* k) -> const std::string* {
            for (const auto& [key, v] : labels)
                if (key == k) return &v;
            return nullptr;
        };
        if (!gpu_prefix.empty() && (name == "DCGM_FI_DEV_POWER_USAGE" || name == "DCGM_FI_DEV_GPU_TEMP")) {
            const std::string* gpu = label_of("gpu");
            if (!gpu || gpu->empty() || gpu->size() > 6 ||
                !std::all_of(gpu->begin(), gpu->end(), [](char c) { return c >= '0' && c <= '9'; }))
                in.fail(col0, fmt::format("{}: expected a label gpu=\"N\" naming the GPU's index", name));
            path = (name == "DCGM_FI_DEV_POWER_USAGE" ? "devices/power/" : "devices/junction_temperature/") + gpu_prefix + *gpu;
            unit = name == "DCGM_FI_DEV_POWER_USAGE" ? "W" : "degC";
        }
        for (const auto& m : maps) {
            if (m.name != name) continue;
            const bool match = std::all_of(m.labels.begin(), m.labels.end(), [&](const auto& kv) {
                const std::string* v = label_of(kv.first.c_str());
                return v && *v == kv.second;
            });
            if (match) {
                path = m.path;
                unit = m.unit;
                break;
            }
        }
        if (path.empty()) continue;
        // VALUE TIMESTAMP after the selector.
        std::size_t i = n;
        auto token = [&](int& col) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            const std::size_t b = i;
            while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
            col = col0 + int(b);
            return line.substr(b, i - b);
        };
        int vcol = 0, tcol = 0;
        const std::string_view vt = token(vcol), tt = token(tcol);
        const auto v = prom_number(vt);
        if (!v) in.fail(vcol, fmt::format("expected the sample's value, a number, found {}", shown(vt)));
        if (tt.empty())
            in.fail(tcol, "expected a timestamp after the value (ms since 1970): a comparison needs the time of every "
                          "sample, as a dump of scrapes has");
        const auto ts = number(tt);
        if (!ts || *ts < 0) in.fail(tcol, fmt::format("expected a timestamp in ms since 1970, found {}", shown(tt)));
        const double t = *ts >= 1e11 ? *ts / 1000 : *ts;  // Prometheus: ms; OpenMetrics: s
        auto [it, added] = index.try_emplace(path, all.size());
        if (added) {
            Sampled s;
            s.series.path = path;
            s.series.unit = unit;
            s.series.line = in.number();
            s.series.col = col0;
            const UnitMap u = unit_map(unit);
            s.series.scale = u.scale;
            s.series.offset = u.offset;
            s.series.dim = u.dim;
            all.push_back(std::move(s));
        }
        Sampled& s = all[it->second];
        if (!s.t.empty() && !(t > s.t.back()))
            in.fail(tcol, fmt::format("time must increase for each series: this sample of {} is {} the one on line {}",
                                      shown(path), t == s.t.back() ? "at the same time as" : "before", s.lines.back()));
        s.t.push_back(t);
        s.lines.push_back(in.number());
        s.series.values.push_back(*v);
    }
    if (!any) in.fail_at(1, 1, "empty file: expected Prometheus text, e.g. 'DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 312.4 1709251200000'");
    if (all.empty())
        in.fail_at(1, 1, gpu_prefix.empty() && maps.empty()
                             ? "no metric is mapped to a result path: give --gpus PREFIX for DCGM metrics and --metric "
                               "'NAME{...}=path [unit]' for others"
                             : "no sample of a mapped metric (DCGM_FI_DEV_POWER_USAGE, DCGM_FI_DEV_GPU_TEMP with "
                               "--gpus, or a --metric) in the file");
    return on_shared_axis(std::move(all), label);
}

std::optional<MeasuredFormat> measured_format(std::string_view name) {
    if (name == "auto") return MeasuredFormat::automatic;
    if (name == "csv") return MeasuredFormat::csv;
    if (name == "nvidia-smi") return MeasuredFormat::nvidia_smi;
    if (name == "prometheus") return MeasuredFormat::prometheus;
    if (name == "dcgmi") return MeasuredFormat::dcgmi;
    return std::nullopt;
}

MeasuredData read_measured(const std::string& path, MeasuredFormat format, const TelemetryOptions& options) {
    const std::string& gpu_prefix = options.gpu_prefix;
    const std::string text = read_text(path);
    if (format == MeasuredFormat::automatic) {
        Lines in(text, path);
        format = MeasuredFormat::csv;
        if (in.next()) {
            // The CSV splitter's own errors (an open quote) are not the file's: a Prometheus
            // label value may hold a comma and a quote. The chosen reader reports its own.
            std::vector<Field> h;
            try {
                h = in.split();
            } catch (const InputError&) {
            }
            bool metric = false;
            for (const auto& f : h)
                metric = metric || f.text.rfind("power.draw", 0) == 0 || f.text.rfind("temperature.gpu", 0) == 0;
            if (h.size() > 2 && h[0].text == "timestamp" && h[1].text == "index" && metric) format = MeasuredFormat::nvidia_smi;
            std::string name;
            std::vector<std::pair<std::string, std::string>> labels;
            std::size_t at = 0;
            std::string err;
            const std::string_view l = trim(in.line());
            const std::size_t n = metric_selector(l, name, labels, at, err);
            // A sample line: the selector, blanks, a number.
            if (n > 0 && n < l.size() && (l[n] == ' ' || l[n] == '\t')) {
                const std::string_view rest = trim(l.substr(n));
                if (prom_number(rest.substr(0, rest.find_first_of(" \t")))) format = MeasuredFormat::prometheus;
            }
        }
        // Lines skips comments: a file of `# HELP` and `# TYPE` lines is Prometheus text.
        if (text.rfind("# HELP ", 0) == 0 || text.rfind("# TYPE ", 0) == 0) format = MeasuredFormat::prometheus;
        const std::string_view head = trim(std::string_view(text).substr(text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0));
        if (head.rfind("#Entity", 0) == 0 || head.rfind("# Entity", 0) == 0) format = MeasuredFormat::dcgmi;
    }
    if (format == MeasuredFormat::nvidia_smi || format == MeasuredFormat::dcgmi) {
        if (gpu_prefix.empty())
            throw InputError(SourceLoc{path, 1, 1}, "",
                             fmt::format("{} output names GPUs by index: say which devices they are with --gpus PREFIX "
                             "(e.g. --gpus hall1/rowA/rack01/gpu: index 0 is hall1/rowA/rack01/gpu0)",
                                         format == MeasuredFormat::dcgmi ? "dcgmi dmon" : "nvidia-smi"),
                             std::string_view{});
        if (format == MeasuredFormat::dcgmi) return parse_dcgmi_dmon(text, path, gpu_prefix, options.interval);
        return parse_nvidia_smi_csv(text, path, gpu_prefix);
    }
    if (format == MeasuredFormat::prometheus) return parse_prometheus_text(text, path, gpu_prefix, options.maps);
    return parse_measured_csv(text, path);
}

}  // namespace dctwin::calib
