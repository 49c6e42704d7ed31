#include "calib/compare.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "io/results.hpp"
#include "viz/scene.hpp"

namespace dctwin::calib {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kHour = 3600.0;
constexpr double kMonthBlock = 730.0 * kHour;  // 8760 h / 12: a "month" of a run without dates
constexpr double kCoverage = 0.9;              // a bin counts when its samples cover 90 % of it
constexpr double kMadScale = 1.4826;           // MAD -> standard deviation for normal residuals
constexpr double kOutlierMads = 5.0;

double median(std::vector<double> v) {
    if (v.empty()) return kNaN;
    const std::size_t h = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(h), v.end());
    const double hi = v[h];
    if (v.size() % 2) return hi;
    return (*std::max_element(v.begin(), v.begin() + std::ptrdiff_t(h)) + hi) / 2;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t(0));
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

struct Candidate {
    std::string name;     // "site/grid_power", "racks/power/hall1/rowA/rack01"
    std::string dataset;  // "/racks/power"
    std::size_t column = 0;
    bool two_d = false;
    std::string label, unit;
};

// The series a measured column may name: a 1-D series by its path, a column of a 2-D series
// by path/label (and path:label, the heading `dctwin export` writes). Labels are read only
// for a series a column names: a campus has millions of device columns.
class Catalogue {
public:
    Catalogue(const std::string& results, const ResultsReader& reader) : reader_(reader) {
        for (const auto& d : viz::catalogue(results)) {
            if (!d.numeric || !d.extendible || d.path == "/time" || d.path.rfind("/events/", 0) == 0 || d.dims.empty() ||
                d.dims.size() > 2)
                continue;
            series_.push_back({d.path.substr(1), d.path, d.unit, d.columns, d.dims.size() == 2 ? d.dims[1] : 0, {}, {}});
        }
    }

    std::optional<Candidate> find(const std::string& want) const {
        for (const auto& s : series_) {
            if (s.width == 0) {
                if (s.base == want) return Candidate{s.base, s.dataset, 0, false, "", s.unit};
                continue;
            }
            if (!under(want, s)) continue;
            const std::string label = want.substr(s.base.size() + 1);
            const auto& index = labels(s).second;
            if (const auto it = index.find(label); it != index.end())
                return Candidate{s.base + "/" + label, s.dataset, it->second, true, label, s.unit};
        }
        return std::nullopt;
    }

    /// The `k` names nearest to `want` (edit distance): every 1-D series, every column of a
    /// 2-D series `want` lies under, and the first column of the others.
    std::vector<std::string> nearest(const std::string& want, std::size_t k) const {
        std::vector<std::pair<std::size_t, std::string>> near;
        for (const auto& s : series_) {
            if (s.width == 0) {
                near.emplace_back(edit_distance(want, s.base), s.base);
                continue;
            }
            const auto& names = labels(s).first;
            if (under(want, s)) {
                for (const auto& l : names) near.emplace_back(edit_distance(want, s.base + "/" + l), s.base + "/" + l);
            } else if (!names.empty()) {
                near.emplace_back(edit_distance(want, s.base + "/" + names[0]), s.base + "/" + names[0]);
            }
        }
        std::stable_sort(near.begin(), near.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::string> out;
        for (std::size_t i = 0; i < std::min(k, near.size()); ++i) out.push_back(near[i].second);
        return out;
    }

private:
    struct Series {
        std::string base, dataset, unit, columns;
        std::size_t width = 0;  // 0: 1-D
        std::vector<std::string> names;
        std::unordered_map<std::string, std::size_t> index;
    };
    static bool under(const std::string& want, const Series& s) {
        return want.size() > s.base.size() + 1 && want.compare(0, s.base.size(), s.base) == 0 &&
               (want[s.base.size()] == '/' || want[s.base.size()] == ':');
    }
    std::pair<const std::vector<std::string>&, const std::unordered_map<std::string, std::size_t>&> labels(
        const Series& cs) const {
        auto& s = series_[std::size_t(&cs - series_.data())];  // labels: a cache, filled on first use
        if (s.names.empty() && s.width > 0) {
            if (!s.columns.empty()) s.names = reader_.read_strings(s.columns);
            if (s.names.size() != s.width) {
                s.names.clear();
                for (std::size_t c = 0; c < s.width; ++c) s.names.push_back(std::to_string(c));
            }
            for (std::size_t c = 0; c < s.names.size(); ++c) s.index.emplace(s.names[c], c);
        }
        return {s.names, s.index};
    }

    const ResultsReader& reader_;
    mutable std::vector<Series> series_;  // mutable: the labels are read on first use
};

std::string error_unit_of(const std::string& unit, const Quantity& q) {
    if (!q.offset) return unit;
    if (unit == "degC" || unit == "°C" || unit == "celsius") return "K";
    return unit + " (difference)";
}

// The sample interval that separates a gap from ordinary spacing, and the coverage of bins.
double median_interval(const std::vector<double>& t) {
    std::vector<double> d;
    for (std::size_t i = 1; i < t.size(); ++i) d.push_back(t[i] - t[i - 1]);
    return d.empty() ? 0.0 : median(d);
}

Metrics metrics_of(const std::vector<double>& m, const std::vector<double>& s) {
    Metrics r;
    r.n = m.size();
    r.cv_rmse = cv_rmse(m, s, kGuideline14P);
    r.nmbe = nmbe(m, s, kGuideline14P);
    if (!r.cv_rmse) r.why = r.n <= std::size_t(kGuideline14P) ? fmt::format("{} pairs: needs at least {}", r.n, kGuideline14P + 1)
                                                              : "the measured mean is 0";
    return r;
}

// Means of m and s over bins; a bin counts when its samples cover kCoverage of it.
Metrics binned(const SeriesComparison& c, const std::vector<double>& abs_t, double interval,
               const std::function<std::pair<long long, double>(double)>& bin_of, const char* what) {
    std::map<long long, std::array<double, 4>> bins;  // sum m, sum s, count, length
    for (std::size_t i = 0; i < c.t.size(); ++i) {
        const auto [key, length] = bin_of(abs_t[i]);
        auto& b = bins[key];
        b[0] += c.m[i];
        b[1] += c.s[i];
        b[2] += 1;
        b[3] = length;
    }
    std::vector<double> m, s;
    for (const auto& [key, b] : bins)
        if (b[2] * interval >= kCoverage * b[3] - 1e-9) {
            m.push_back(b[0] / b[2]);
            s.push_back(b[1] / b[2]);
        }
    Metrics r = metrics_of(m, s);
    if (m.size() <= std::size_t(kGuideline14P))
        r.why = fmt::format("{} complete {}: needs at least {} ({} % of each covered by samples)", m.size(), what,
                            kGuideline14P + 1, int(kCoverage * 100));
    return r;
}

// Month of a time [s] since 1970 UTC: key year*12+month and its length [s].
std::pair<long long, double> calendar_month(double t) {
    const long long days = (long long)std::floor(t / 86400.0);
    // civil_from_days (H. Hinnant)
    const long long z = days + 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = unsigned(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long long y0 = (long long)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const long long year = y0 + (month <= 2);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return {year * 12 + month, 86400.0 * (mdays[month - 1] + (month == 2 && leap))};
}

std::string pct(const std::optional<double>& v) { return v ? fmt::format("{:.2f} %", *v * 100) : "n/a"; }
std::string num(double v) { return fmt::format("{:.6g}", v); }
// A value with its unit; a plain number ("1") has none.
std::string num(double v, const std::string& unit) {
    return unit.empty() || unit == "1" || unit == "-" ? num(v) : fmt::format("{:.6g} {}", v, unit);
}

}  // namespace

std::optional<double> cv_rmse(const std::vector<double>& m, const std::vector<double>& s, int p) {
    const std::size_t n = std::min(m.size(), s.size());
    if (n <= std::size_t(std::max(p, 0))) return std::nullopt;
    double sq = 0, sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sq += (m[i] - s[i]) * (m[i] - s[i]);
        sum += m[i];
    }
    const double mean = sum / double(n);
    if (mean == 0) return std::nullopt;
    return std::sqrt(sq / double(n - std::size_t(p))) / mean;
}

std::optional<double> nmbe(const std::vector<double>& m, const std::vector<double>& s, int p) {
    const std::size_t n = std::min(m.size(), s.size());
    if (n <= std::size_t(std::max(p, 0))) return std::nullopt;
    double diff = 0, sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        diff += m[i] - s[i];
        sum += m[i];
    }
    const double mean = sum / double(n);
    if (mean == 0) return std::nullopt;
    return diff / (double(n - std::size_t(p)) * mean);
}

bool Metrics::pass() const {
    return cv_rmse && nmbe && cv_limit && nmbe_limit && std::abs(*cv_rmse) <= *cv_limit && std::abs(*nmbe) <= *nmbe_limit;
}

Comparison compare(const std::string& results, const MeasuredData& measured, const CompareOptions& options) {
    Comparison out;
    out.results = results;
    out.measured = measured.file;
    out.method = "the simulated series is interpolated linearly in time at each measured time (measured values are "
                 "never interpolated); rows of the results file that share a time count as the later row; "
                 "measurements outside the run are not compared";
    const ResultsReader reader(results);
    const std::vector<double> time = viz::output_times(reader);
    if (time.empty()) throw viz::ViewError(fmt::format("{} has no output rows", results));
    // Steps strictly increasing: of rows sharing a time, the later one (after a discontinuity).
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < time.size(); ++i) {
        if (!rows.empty() && time[rows.back()] == time[i]) rows.back() = i;
        else rows.push_back(i);
    }
    out.run_start = time.front();
    out.run_end = time.back();
    const Catalogue cands(results, reader);

    for (const auto& ms : measured.series) {
        const std::string want = ms.path.front() == '/' ? ms.path.substr(1) : ms.path;
        const auto found = cands.find(want);
        if (!found) {
            std::string hint;
            for (const auto& n : cands.nearest(want, 3)) hint += fmt::format("{}'{}'", hint.empty() ? "" : ", ", n);
            throw InputError(SourceLoc{measured.file, ms.line, ms.col}, "",
                             fmt::format("'{}' is not a series of {}; did you mean {}? (`dctwin export {} --csv -` "
                                         "lists the series)",
                                         want, results, hint.empty() ? "nothing" : hint, results),
                             std::string_view{});
        }
        const Candidate& cand = *found;
        UnitMap sim;
        try {
            sim = unit_map(cand.unit);
        } catch (const UnitError& e) {
            throw ResultsError(fmt::format("{}: {}: unit '{}' not understood: {}", results, cand.dataset, cand.unit, e.what()));
        }
        // An absolute temperature (degC in the file) takes degC, degF or K; a difference only K.
        const bool ms_absolute = ms.dim.offset || (sim.dim.offset && ms.unit == "K");
        if (sim.dim.dim.exponent != ms.dim.dim.exponent || sim.dim.offset != ms_absolute)
            throw InputError(SourceLoc{measured.file, ms.line, ms.col}, "",
                             fmt::format("the unit '{}' does not convert to '{}', the unit of {} in {}", ms.unit,
                                         cand.unit.empty() ? "1" : cand.unit, cand.dataset, results),
                             std::string_view{});

        std::vector<double> values = cand.two_d ? viz::read_column(results, cand.dataset, cand.column, time.size())
                                                : reader.read(cand.dataset);
        values.resize(time.size(), kNaN);

        SeriesComparison c;
        c.heading = fmt::format("{} [{}]", ms.path, ms.unit);
        c.dataset = cand.dataset;
        c.column = cand.label;
        c.unit = ms.unit;
        c.error_unit = error_unit_of(ms.unit, ms.dim);
        std::vector<double> valid_t, abs_t;
        const double shift = measured.epoch ? options.start : 0.0;
        std::size_t k = 0;  // rows[k] <= t < rows[k+1]
        for (std::size_t i = 0; i < measured.time.size(); ++i) {
            const double mv = ms.values[i];
            if (!std::isfinite(mv)) continue;
            ++c.samples;
            const double t = measured.time[i] + shift;
            valid_t.push_back(t);
            if (t < out.run_start || t > out.run_end) {
                ++c.outside;
                continue;
            }
            while (k + 1 < rows.size() && time[rows[k + 1]] <= t) ++k;
            double sv = values[rows[k]];
            if (k + 1 < rows.size() && t > time[rows[k]]) {
                const double t0 = time[rows[k]], t1 = time[rows[k + 1]];
                sv += (values[rows[k + 1]] - sv) * (t - t0) / (t1 - t0);
            }
            if (!std::isfinite(sv)) continue;
            // Into the measured column's unit, through SI.
            const double s_unit = (sim.scale * sv + sim.offset - ms.offset) / ms.scale;
            c.t.push_back(t);
            c.m.push_back(mv);
            c.s.push_back(s_unit);
            abs_t.push_back(measured.epoch ? *measured.epoch + measured.time[i] : t);
        }
        c.compared = c.t.size();
        // Gaps: spans between measured values longer than the threshold.
        const double interval = median_interval(valid_t);
        c.gap_threshold = options.gap > 0 ? options.gap : 3 * interval;
        for (std::size_t i = 1; i < valid_t.size(); ++i)
            if (c.gap_threshold > 0 && valid_t[i] - valid_t[i - 1] > c.gap_threshold) c.gaps.push_back({valid_t[i - 1], valid_t[i]});

        if (c.compared > 0) {
            std::vector<double> r(c.compared);
            double sm = 0, ss = 0, scale = 0;
            for (std::size_t i = 0; i < c.compared; ++i) {
                r[i] = c.m[i] - c.s[i];
                sm += c.m[i];
                ss += c.s[i];
                scale += std::abs(c.m[i]);
                if (std::abs(r[i]) > c.max_error) {
                    c.max_error = std::abs(r[i]);
                    c.max_error_time = c.t[i];
                }
            }
            c.mean_measured = sm / double(c.compared);
            c.mean_simulated = ss / double(c.compared);
            const double med = median(r);
            std::vector<double> dev(r.size());
            for (std::size_t i = 0; i < r.size(); ++i) dev[i] = std::abs(r[i] - med);
            // A floor of 1e-6 of the mean magnitude: rounding alone is never an outlier.
            c.outlier_limit = std::max(kOutlierMads * kMadScale * median(dev), 1e-6 * scale / double(c.compared));
            for (std::size_t i = 0; i < r.size(); ++i)
                if (dev[i] > c.outlier_limit) c.outlier_times.push_back(c.t[i]);
        }
        c.samples_metrics = metrics_of(c.m, c.s);
        if (c.compared == 0) c.samples_metrics.why = "no measured value lies inside the run";
        c.hourly = binned(c, abs_t, interval, [](double t) { return std::pair{(long long)std::floor(t / kHour), kHour}; },
                          "hours");
        c.hourly.cv_limit = 0.30;
        c.hourly.nmbe_limit = 0.10;
        if (measured.epoch)
            c.monthly = binned(c, abs_t, interval, calendar_month, "calendar months");
        else
            c.monthly = binned(c, abs_t, interval,
                               [](double t) { return std::pair{(long long)std::floor(t / kMonthBlock), kMonthBlock}; },
                               "730-hour months");
        c.monthly.cv_limit = 0.15;
        c.monthly.nmbe_limit = 0.05;
        out.series.push_back(std::move(c));
    }
    return out;
}

nlohmann::json Comparison::to_json() const {
    using nlohmann::json;
    auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    auto met = [&](const Metrics& m) {
        json j{{"n", m.n}, {"cv_rmse", opt(m.cv_rmse)}, {"nmbe", opt(m.nmbe)}};
        if (m.cv_limit) {
            j["cv_rmse_limit"] = *m.cv_limit;
            j["nmbe_limit"] = *m.nmbe_limit;
            j["pass"] = m.pass();
        }
        if (!m.why.empty()) j["why_none"] = m.why;
        return j;
    };
    json j{{"results", results},
           {"measured", measured},
           {"resampling", method},
           {"metrics", {{"definition", "ASHRAE Guideline 14-2014: CV(RMSE) = sqrt(sum (m-s)^2/(n-p)) / mean(m), "
                                       "NMBE = sum (m-s) / ((n-p) mean(m)), fractions"},
                        {"p", kGuideline14P}}},
           {"run", {{"start_s", run_start}, {"end_s", run_end}}},
           {"series", json::array()}};
    for (const auto& c : series) {
        json g = json::array();
        for (const auto& x : c.gaps) g.push_back({{"from_s", x.from}, {"to_s", x.to}});
        j["series"].push_back({{"measured", c.heading},
                               {"dataset", c.dataset},
                               {"column", c.column},
                               {"unit", c.unit},
                               {"error_unit", c.error_unit},
                               {"samples", c.samples},
                               {"compared", c.compared},
                               {"outside_run", c.outside},
                               {"mean_measured", c.mean_measured},
                               {"mean_simulated", c.mean_simulated},
                               {"max_error", c.max_error},
                               {"max_error_time_s", c.max_error_time},
                               {"at_samples", met(c.samples_metrics)},
                               {"hourly", met(c.hourly)},
                               {"monthly", met(c.monthly)},
                               {"gap_threshold_s", c.gap_threshold},
                               {"gaps", g},
                               {"outlier_limit", c.outlier_limit},
                               {"outlier_times_s", c.outlier_times}});
    }
    return j;
}

std::string Comparison::to_text() const {
    std::string o = fmt::format("{} against {} (run {} to {})\n", measured, results, viz::clock_text(run_start),
                                viz::clock_text(run_end));
    o += fmt::format("resampling: {}\n", method);
    o += fmt::format("metrics: ASHRAE Guideline 14, p = {}: CV(RMSE) = sqrt(sum (m-s)^2/(n-p)) / mean(m), "
                     "NMBE = sum (m-s) / ((n-p) mean(m)); NMBE > 0: the model is below the measurement\n",
                     kGuideline14P);
    for (const auto& c : series) {
        o += fmt::format("\n{}  vs  {}{}\n", c.heading, c.dataset, c.column.empty() ? "" : " column " + c.column);
        o += fmt::format("  samples {}, compared {}, outside the run {}; mean measured {}, simulated {}\n", c.samples,
                         c.compared, c.outside, num(c.mean_measured, c.unit), num(c.mean_simulated, c.unit));
        o += fmt::format("  max error {} at {}\n", num(c.max_error, c.error_unit), viz::clock_text(c.max_error_time));
        o += fmt::format("  {:<10}{:>7}  {:>10}  {:>7}  {:>10}  {:>7}  {}\n", "", "n", "CV(RMSE)", "limit", "NMBE", "limit",
                         "Guideline 14");
        for (const auto& [name, m] : {std::pair{"samples", &c.samples_metrics}, std::pair{"hourly", &c.hourly},
                                      std::pair{"monthly", &c.monthly}}) {
            if (!m->cv_rmse) {
                o += fmt::format("  {:<10}{:>7}  n/a: {}\n", name, m->n, m->why);
                continue;
            }
            o += fmt::format("  {:<10}{:>7}  {:>10}  {:>7}  {:>10}  {:>7}  {}\n", name, m->n, pct(m->cv_rmse),
                             m->cv_limit ? fmt::format("{:.0f} %", *m->cv_limit * 100) : "-", pct(m->nmbe),
                             m->nmbe_limit ? fmt::format("±{:.0f} %", *m->nmbe_limit * 100) : "-",
                             m->cv_limit ? (m->pass() ? "meets" : "does not meet") : "");
        }
        o += fmt::format("  gaps (no measurement for more than {}): ", viz::clock_text(c.gap_threshold));
        if (c.gaps.empty()) o += "none\n";
        else {
            o += fmt::format("{}\n", c.gaps.size());
            for (std::size_t i = 0; i < std::min<std::size_t>(c.gaps.size(), 10); ++i)
                o += fmt::format("    {} to {}\n", viz::clock_text(c.gaps[i].from), viz::clock_text(c.gaps[i].to));
            if (c.gaps.size() > 10) o += fmt::format("    ... and {} more (--json lists all)\n", c.gaps.size() - 10);
        }
        o += fmt::format("  outliers (residual more than 5 x 1.4826 MAD = {} from its median): {}",
                         num(c.outlier_limit, c.error_unit), c.outlier_times.size());
        for (std::size_t i = 0; i < std::min<std::size_t>(c.outlier_times.size(), 5); ++i)
            o += fmt::format("{}{}", i ? ", " : " at ", viz::clock_text(c.outlier_times[i]));
        o += c.outlier_times.size() > 5 ? ", ... (--json lists all)\n" : "\n";
    }
    return o;
}

}  // namespace dctwin::calib
