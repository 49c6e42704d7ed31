#include "models/workload/trace.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "input/file_reader.hpp"
#include "input/site_loader.hpp"
#include "input/text_lines.hpp"

namespace dctwin {

namespace {

using Field = TextField;  // a trimmed field with its column (input/text_lines.hpp)

std::optional<double> number(std::string_view s) { return plain_number(s); }

bool missing(std::string_view s) {
    return s == "[N/A]" || s == "N/A" || s == "[Not Supported]" || s == "[Unknown Error]";
}

// A field as shown in a message. The file is not the user's own (a site may name any path):
// only a short number-like token is quoted, never other text from it (the line and column
// say where to look).
std::string shown(std::string_view s) {
    constexpr std::size_t kMax = 24;
    const bool number_like = !s.empty() && s.size() <= kMax && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c != 0 && std::strchr(" +-.eE/:%", c) != nullptr);
    });
    if (number_like) return fmt::format("'{}'", s);
    return s.empty() ? std::string("an empty field") : fmt::format("a field of {} bytes", s.size());
}

// A unit or a column name: a short word of the characters the format's own names use.
std::string shown_name(std::string_view s) {
    constexpr std::size_t kMax = 16;
    const bool word = !s.empty() && s.size() <= kMax && std::all_of(s.begin(), s.end(), [](char ch) {
        const unsigned char c = static_cast<unsigned char>(ch);
        return std::isalnum(c) || c == '_' || c == '%' || c == '[' || c == ']' || c == '(' || c == ')' || c == '.';
    });
    if (word) return fmt::format("'{}'", s);
    return fmt::format("a field of {} bytes", s.size());
}

/// Walks the lines of a trace and raises errors at a place.
// A trace's lines: at most kMaxTraceBytes.
class Lines : public TextLines {
public:
    Lines(std::string_view text, const std::string& label, const std::string& key) : TextLines(text, label, key) {
        if (long(text.size()) > kMaxTraceBytes)
            throw InputError(SourceLoc{label, 0, 0}, key,
                             fmt::format("the trace is {} bytes, more than the {} MB limit", text.size(),
                                         kMaxTraceBytes >> 20),
                             std::string_view{});
    }
    [[noreturn]] void fail_empty(const std::string& expected) const {
        fail_at(1, 1, "empty trace: expected a header line " + expected);
    }
    [[noreturn]] void fail_no_rows(int header_line) const {
        fail_at(header_line, 1, "the trace has a header but no samples");
    }
};

void check_count(const Lines& in, const std::vector<Field>& f, std::size_t n, const std::string& names) {
    if (f.size() == n) return;
    const int col = f.size() < n ? int(in.line().size()) + 1 : f[n].col;
    in.fail(col, fmt::format("expected {} comma-separated fields ({}), found {}", n, names, f.size()));
}

// Accumulates samples per device, checking that each device's time increases.
class Collector {
public:
    int device(const std::string& name) {
        auto [it, added] = index_.emplace(name, int(names_.size()));
        if (added) {
            names_.push_back(name);
            last_time_.push_back(-std::numeric_limits<double>::infinity());
            last_line_.push_back(0);
        }
        return it->second;
    }
    void time(const Lines& in, int col, int d, double t, const std::string& shown_time) {
        if (!(t > last_time_[std::size_t(d)]))
            in.fail(col, fmt::format("time must increase for each device: device {} at {} is {} its sample on "
                                     "line {}",
                                     names_[std::size_t(d)], shown_time,
                                     t == last_time_[std::size_t(d)] ? "at the same time as" : "before",
                                     last_line_[std::size_t(d)]));
        last_time_[std::size_t(d)] = t;
        last_line_[std::size_t(d)] = in.number();
    }

private:
    std::map<std::string, int> index_;
    std::vector<std::string> names_;
    std::vector<double> last_time_;
    std::vector<int> last_line_;
};

struct SeriesSet {
    std::vector<DeviceSeries> s;
    void add(int d, const std::string& name, double t, double v) {
        if (std::size_t(d) >= s.size()) s.resize(std::size_t(d) + 1);
        if (s[std::size_t(d)].device.empty()) s[std::size_t(d)].device = name;
        s[std::size_t(d)].time.push_back(t);
        s[std::size_t(d)].value.push_back(v);
    }
    std::vector<DeviceSeries> take() {
        std::vector<DeviceSeries> out;
        for (auto& x : s)
            if (!x.time.empty()) out.push_back(std::move(x));
        return out;
    }
};

// ---- nvidia-smi timestamps ---------------------------------------------------------------------

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + std::int64_t(doe) - 719468;
}

struct Stamp {
    std::int64_t seconds = 0;  // whole seconds since 1970 (as written, no zone)
    double fraction = 0.0;     // [s]
};

std::optional<Stamp> parse_timestamp(std::string_view s) {
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
    if (s.size() < 19 || !digits(0, 4, Y) || (s[4] != '/' && s[4] != '-') || !digits(5, 2, M) || s[7] != s[4] ||
        !digits(8, 2, D) || (s[10] != ' ' && s[10] != 'T') || !digits(11, 2, h) || s[13] != ':' ||
        !digits(14, 2, m) || s[16] != ':' || !digits(17, 2, sec))
        return std::nullopt;
    double frac = 0.0;
    if (s.size() > 19) {
        if (s[19] != '.' || s.size() == 20 || s.size() > 29) return std::nullopt;
        double scale = 0.1;
        for (std::size_t i = 20; i < s.size(); ++i, scale *= 0.1) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            frac += (s[i] - '0') * scale;
        }
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] + (M == 2 && leap) || h > 23 || m > 59 || sec > 59)
        return std::nullopt;
    return Stamp{days_from_civil(Y, unsigned(M), unsigned(D)) * 86400 + h * 3600 + m * 60 + sec, frac};
}

// A value with an optional unit suffix: "612.45 W", "612.45", "97 %".
std::optional<double> value_with_unit(const Lines& in, const Field& f, std::string_view unit,
                                      const char* what) {
    if (missing(f.text)) return std::nullopt;
    std::string_view num = f.text, u;
    const auto sp = f.text.find_first_of(" \t");
    if (sp != std::string_view::npos) {
        num = f.text.substr(0, sp);
        u = trim_blanks(f.text.substr(sp));
    } else if (!f.text.empty() && f.text.back() == '%' && unit == "%") {
        num = f.text.substr(0, f.text.size() - 1);
        u = "%";
    }
    const auto v = number(num);
    if (!v)
        in.fail(f.col, fmt::format("expected {} as a number with optional unit {} (e.g. {}), found {}", what, unit,
                                   unit == "W" ? "612.45 W" : "97 %", shown(f.text)));
    if (!u.empty() && u != unit)
        in.fail(f.col + int(u.data() - f.text.data()),
                fmt::format("unknown unit {} for {}: expected {}", shown_name(u), what, unit));
    return v;
}

std::string read_file(const std::string& path, const std::string& key) {
    try {
        return read_input_file(path, std::size_t(kMaxTraceBytes), "a trace");
    } catch (const FileReadError& e) {
        throw InputError(SourceLoc{path, 0, 0}, key, e.what(), std::string_view{});
    }
}

std::string too_much_power(double w) {
    return fmt::format("power {:.3g} W is more than the {:.0f} kW a sample of one device may draw (a unit mistake?)", w,
                       kMaxTracePower / 1e3);
}

const char* kSmiHeader = "'timestamp, index, power.draw [W], utilization.gpu [%]'";

}  // namespace

const DeviceSeries* Trace::find(std::string_view device) const {
    for (const auto& d : devices)
        if (d.device == device) return &d;
    return nullptr;
}

// ---- nvidia-smi ------------------------------------------------------------------------------

GpuTrace parse_nvidia_smi_csv(std::string_view text, const std::string& label, const std::string& key) {
    Lines in(text, label, key);
    if (!in.next()) in.fail_empty(kSmiHeader);

    // Header: names with an optional [unit].
    const auto header = split_fields(in.line());
    const int header_line = in.number();
    int c_time = -1, c_index = -1, c_power = -1, c_util = -1;
    for (std::size_t i = 0; i < header.size(); ++i) {
        std::string_view name = header[i].text, unit;
        const auto br = name.find('[');
        if (br != std::string_view::npos) {
            unit = name.substr(br);
            name = trim_blanks(name.substr(0, br));
        }
        auto want_unit = [&](std::string_view u) {
            if (unit != u)
                in.fail(header[i].col + int(br == std::string_view::npos ? 0 : br),
                        fmt::format("unknown unit {} for {}: expected {}", shown_name(unit.empty() ? "(none)" : unit),
                                    std::string(name), std::string(u)));
        };
        if (name == "timestamp") c_time = int(i);
        else if (name == "index") c_index = int(i);
        else if ((name == "power.draw" || name == "power.draw.average" || name == "power.draw.instant") &&
                 c_power < 0) {
            want_unit("[W]");
            c_power = int(i);
        } else if (name == "utilization.gpu") {
            want_unit("[%]");
            c_util = int(i);
        }
    }
    if (c_time < 0 || c_index < 0 || c_power < 0)
        in.fail(1, fmt::format("the header lacks the column {}: expected nvidia-smi's CSV header, e.g. {}",
                               c_time < 0 ? "timestamp" : c_index < 0 ? "index" : "power.draw", kSmiHeader));

    std::string names;
    for (std::size_t i = 0; i < header.size(); ++i) names += (i ? ", " : "") + std::string(header[i].text);

    Collector devices;
    SeriesSet power, util;
    std::optional<Stamp> first;
    while (in.next()) {
        const auto f = split_fields(in.line());
        check_count(in, f, header.size(), names);
        const Field& ft = f[std::size_t(c_time)];
        const auto st = parse_timestamp(ft.text);
        if (!st) in.fail(ft.col, "expected a timestamp YYYY/MM/DD HH:MM:SS.fff, found " + shown(ft.text));
        if (!first) first = st;
        const double t = double(st->seconds - first->seconds) + (st->fraction - first->fraction);

        const Field& fi = f[std::size_t(c_index)];
        int idx = -1;
        {
            const auto [p, ec] = std::from_chars(fi.text.data(), fi.text.data() + fi.text.size(), idx);
            if (ec != std::errc() || p != fi.text.data() + fi.text.size() || idx < 0)
                in.fail(fi.col, "expected a GPU index (an integer >= 0), found " + shown(fi.text));
        }
        const std::string name = std::to_string(idx);
        const int d = devices.device(name);
        devices.time(in, ft.col, d, t, std::string(ft.text));

        const Field& fp = f[std::size_t(c_power)];
        if (const auto p = value_with_unit(in, fp, "W", "power.draw")) {
            if (*p < 0) in.fail(fp.col, "power must not be negative, found " + shown(fp.text));
            if (*p > kMaxTracePower) in.fail(fp.col, too_much_power(*p));
            power.add(d, name, t, *p);
        }
        if (c_util >= 0) {
            const Field& fu = f[std::size_t(c_util)];
            if (const auto u = value_with_unit(in, fu, "%", "utilization.gpu")) {
                if (*u < 0 || *u > 100) in.fail(fu.col, "utilization must be within 0..100 %, found " + shown(fu.text));
                util.add(d, name, t, *u / 100.0);
            }
        }
    }
    if (!first) in.fail_no_rows(header_line);

    GpuTrace out;
    out.power.devices = power.take();
    out.utilization.devices = util.take();
    auto by_index = [](const DeviceSeries& a, const DeviceSeries& b) { return std::stoi(a.device) < std::stoi(b.device); };
    std::sort(out.power.devices.begin(), out.power.devices.end(), by_index);
    std::sort(out.utilization.devices.begin(), out.utilization.devices.end(), by_index);
    return out;
}

GpuTrace read_nvidia_smi_csv(const std::string& path, const std::string& key) {
    return parse_nvidia_smi_csv(read_file(path, key), path, key);
}

// ---- plain table -----------------------------------------------------------------------------

Trace parse_table_csv(std::string_view text, const std::string& label, const std::string& key, TraceQuantity bare) {
    Lines in(text, label, key);
    const char* expected = "'time, device, power_W' (or utilization, utilization_pct, power_kW, value)";
    if (!in.next()) in.fail_empty(expected);
    const auto header = split_fields(in.line());
    const int header_line = in.number();
    check_count(in, header, 3, "time, device, value");

    int c_time = -1, c_dev = -1, c_val = -1;
    Trace out;
    double scale = 1.0;  // file unit -> SI
    bool percent = false;  // utilization in %, else as a fraction
    for (std::size_t i = 0; i < 3; ++i) {
        const auto n = header[i].text;
        if ((n == "time" || n == "time_s") && c_time < 0) c_time = int(i);
        else if ((n == "device" || n == "gpu" || n == "index") && c_dev < 0) c_dev = int(i);
        else if (c_val < 0 && (n == "value" || n.starts_with("power") || n.starts_with("utili"))) {
            c_val = int(i);
            if (n == "value") {
                out.quantity = bare;
            } else if (n == "power" || n == "power_W") {
                out.quantity = TraceQuantity::power;
            } else if (n == "power_kW") {
                out.quantity = TraceQuantity::power;
                scale = 1e3;
            } else if (n == "power_MW") {
                out.quantity = TraceQuantity::power;
                scale = 1e6;
            } else if (n == "utilization" || n == "utilisation") {
                out.quantity = TraceQuantity::utilization;
            } else if (n == "utilization_pct" || n == "utilisation_pct" || n == "utilization_%" ||
                       n == "utilisation_%") {
                out.quantity = TraceQuantity::utilization;
                percent = true;
                scale = 1e-2;
            } else {
                in.fail(header[i].col, fmt::format("unknown unit in the value column {}: expected value, power_W, "
                                                   "power_kW, power_MW, utilization or utilization_pct",
                                                   shown_name(n)));
            }
        } else if (n.starts_with("time"))
            in.fail(header[i].col, fmt::format("unknown unit in the time column {}: expected time or time_s (seconds)",
                                               shown_name(n)));
        else
            in.fail(header[i].col, fmt::format("unexpected column {}: expected {}", shown_name(n), expected));
    }
    if (c_time < 0 || c_dev < 0 || c_val < 0)
        in.fail(1, fmt::format("the header lacks the {} column: expected {}",
                               c_time < 0 ? "time" : c_dev < 0 ? "device" : "value", expected));
    const std::string names = fmt::format("{}, {}, {}", header[0].text, header[1].text, header[2].text);

    Collector devices;
    SeriesSet series;
    int rows = 0;
    while (in.next()) {
        const auto f = split_fields(in.line());
        check_count(in, f, 3, names);
        ++rows;
        const Field& ft = f[std::size_t(c_time)];
        const auto t = number(ft.text);
        if (!t) in.fail(ft.col, "expected the time in seconds (a finite number), found " + shown(ft.text));
        const Field& fd = f[std::size_t(c_dev)];
        if (fd.text.empty()) in.fail(fd.col, "expected a device index or name, found an empty field");
        const std::string name(fd.text);
        const int d = devices.device(name);
        devices.time(in, ft.col, d, *t, std::string(ft.text) + " s");

        const Field& fv = f[std::size_t(c_val)];
        if (missing(fv.text)) continue;
        const auto v = number(fv.text);
        if (!v)
            in.fail(fv.col, fmt::format("expected a number for {}, found {}", header[std::size_t(c_val)].text,
                                        shown(fv.text)));
        if (out.quantity == TraceQuantity::power && *v < 0)
            in.fail(fv.col, "power must not be negative, found " + shown(fv.text));
        if (out.quantity == TraceQuantity::power && *v * scale > kMaxTracePower) in.fail(fv.col, too_much_power(*v * scale));
        if (out.quantity == TraceQuantity::utilization) {
            const double hi = percent ? 100.0 : 1.0;
            if (*v < 0 || *v > hi)
                in.fail(fv.col, fmt::format("utilization must be within 0..{}, found {}", hi, shown(fv.text)));
        }
        series.add(d, name, *t, *v * scale);
    }
    if (rows == 0) in.fail_no_rows(header_line);
    out.devices = series.take();
    return out;
}

Trace read_table_csv(const std::string& path, const std::string& key, TraceQuantity bare) {
    return parse_table_csv(read_file(path, key), path, key, bare);
}

GpuTrace read_trace_csv(const std::string& path, const std::string& key) {
    const std::string text = read_file(path, key);
    // The first line that is not blank or a comment decides.
    Lines probe(text, path, key);
    bool smi = false;
    if (probe.next())
        for (const auto& f : split_fields(probe.line()))
            if (f.text == "timestamp") smi = true;
    if (smi) return parse_nvidia_smi_csv(text, path, key);
    Trace t = parse_table_csv(text, path, key);
    GpuTrace out;
    (t.quantity == TraceQuantity::power ? out.power : out.utilization) = std::move(t);
    return out;
}

double trapezoid(const DeviceSeries& s) {
    double e = 0.0;
    for (std::size_t i = 1; i < s.time.size(); ++i)
        e += 0.5 * (s.value[i] + s.value[i - 1]) * (s.time[i] - s.time[i - 1]);
    return e;
}

// ---- the signal ------------------------------------------------------------------------------

TraceSignal::TraceSignal(DeviceSeries s, TraceSignalOptions o) : s_(std::move(s)), o_(std::move(o)) {
    if (s_.time.empty() || s_.time.size() != s_.value.size())
        throw std::invalid_argument("TraceSignal: device " + s_.device + " needs one value per time, at least one");
    for (std::size_t i = 0; i < s_.time.size(); ++i)
        if (!std::isfinite(s_.time[i]) || !std::isfinite(s_.value[i]) || (i > 0 && !(s_.time[i] > s_.time[i - 1])))
            throw std::invalid_argument("TraceSignal: device " + s_.device +
                                        ": times must increase strictly, all values finite");
    if (!std::isfinite(o_.start) || !std::isfinite(o_.gain) || !std::isfinite(o_.offset) ||
        (o_.outside && !std::isfinite(*o_.outside)))
        throw std::invalid_argument("TraceSignal: start, gain, offset and outside must be finite");
    const std::size_t n = s_.time.size();
    const double span = s_.time.back() - s_.time.front();
    period_ = n > 1 ? span + span / double(n - 1) : 0.0;
}

double TraceSignal::interpolate(double x) const {
    const auto& T = s_.time;
    const auto& V = s_.value;
    const auto it = std::upper_bound(T.begin(), T.end(), x);
    if (it == T.begin()) return V.front();
    if (it == T.end()) return V.back();
    const std::size_t i = std::size_t(it - T.begin());
    const double w = (x - T[i - 1]) / (T[i] - T[i - 1]);
    return V[i - 1] + w * (V[i] - V[i - 1]);
}

double TraceSignal::value(double t) const {
    double v;
    if (t < first_time()) {
        if (o_.outside) return *o_.outside;
        v = s_.value.front();
    } else if (o_.repeat && period_ > 0.0) {
        const double x = std::fmod(t - first_time(), period_);
        const double span = s_.time.back() - s_.time.front();
        if (x <= span) v = interpolate(s_.time.front() + x);
        else v = s_.value.back() + (x - span) / (period_ - span) * (s_.value.front() - s_.value.back());
    } else if (t >= last_time() && o_.outside) {
        return *o_.outside;
    } else {
        v = interpolate(t - o_.start);
    }
    return o_.gain * v + o_.offset;
}

double TraceSignal::next_discontinuity(double t) const {
    if (t < first_time()) return first_time();
    if (!o_.repeat && t < last_time()) return last_time();
    return std::numeric_limits<double>::infinity();
}

}  // namespace dctwin
