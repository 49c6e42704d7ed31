#include "viz/report.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "io/results.hpp"
#include "viz/scene.hpp"

namespace dctwin::viz {

namespace {
// The last valid row of a 1-D or 2-D series.
std::vector<double> last_row(const std::string& file, const std::string& dataset, std::size_t rows) {
    return read_row(file, dataset, rows - 1);
}
}  // namespace

FileReport read_report(const std::string& results) {
    const ResultsReader reader(results);
    FileReport r;
    r.file = results;
    r.site = text_attribute(reader, "/", "site");
    r.status = text_attribute(reader, "/", "status");
    const std::vector<double> time = output_times(reader);
    r.rows = time.size();
    if (r.rows == 0) throw ViewError(fmt::format("results file '{}' has no output rows: nothing to report", results));
    if (!reader.exists("/constraints/family_utilisation"))
        throw ViewError(fmt::format("results file '{}' was written before constraints were recorded "
                                    "(no /constraints group): run the site again with this dctwin to report on it",
                                    results));
    r.t_first = time.front();
    r.t_last = time.back();
    auto& L = r.limits;
    if (reader.exists("/constraints/paths")) {
        const auto paths = reader.read_strings("/constraints/paths");
        const auto families = reader.read_strings("/constraints/families");
        const auto units = reader.read_strings("/constraints/units");
        if (families.size() != paths.size() || units.size() != paths.size())
            throw ViewError(fmt::format("results file '{}': /constraints labels disagree in length", results));
        std::vector<Family> fam;
        for (std::size_t i = 0; i < paths.size(); ++i) {
            const int f = family_index(families[i]);
            if (f < 0) throw ViewError(fmt::format("results file '{}': unknown constraint family '{}'", results, families[i]));
            L.constraints.push_back({paths[i], Family(f), units[i], ""});
            fam.push_back(Family(f));
        }
        // In blocks of rows (~32 MB), so that a wide series over a long run is never held whole.
        ConstraintTracker tracker(fam);
        const std::size_t n = paths.size(), step = std::max<std::size_t>(1, (std::size_t{4} << 20) / std::max<std::size_t>(n, 1));
        for (std::size_t k = 0; k < r.rows; k += step) {
            std::size_t width = 0;
            const std::size_t count = std::min(step, r.rows - k);
            const std::vector<double> u = read_rows(results, "/constraints/utilisation", k, count, &width);
            if (width != n)
                throw ViewError(fmt::format("results file '{}': /constraints/utilisation has {} columns for {} paths",
                                            results, width, n));
            std::size_t wv = 0, wl = 0;
            const std::vector<double> v = read_rows(results, "/constraints/value", k, count, &wv);
            const std::vector<double> l = read_rows(results, "/constraints/limit", k, count, &wl);
            if (wv != n || wl != n || v.size() != u.size() || l.size() != u.size())
                throw ViewError(fmt::format("results file '{}': /constraints/value or /limit disagree with "
                                            "/constraints/utilisation in shape", results));
            for (std::size_t i = 0; i * n < u.size(); ++i)
                tracker.add(time[k + i], u.data() + i * n, v.data() + i * n, l.data() + i * n);
        }
        L.take(tracker);
    }
    const std::vector<double> lost = last_row(results, "/work/lost_by_cause", r.rows);
    if (lost.size() != std::size_t(kLostCauseCount))
        throw ViewError(fmt::format("results file '{}': /work/lost_by_cause has {} columns, expected {}", results,
                                    lost.size(), kLostCauseCount));
    for (int c = 0; c < kLostCauseCount; ++c) L.lost[c] = lost[std::size_t(c)];
    L.lost_total = last_row(results, "/work/lost", r.rows).at(0);
    L.possible = last_row(results, "/work/possible", r.rows).at(0);
    L.duration = r.t_last - r.t_first;
    return r;
}

nlohmann::json report_json(const FileReport& r) {
    return {{"file", r.file},
            {"site", r.site},
            {"status", r.status},
            {"rows", r.rows},
            {"t_first_s", r.t_first},
            {"t_last_s", r.t_last},
            {"binding", r.limits.binding_json()},
            {"constraints", r.limits.constraints_json()},
            {"binding_family_s", r.limits.families_json()},
            {"lost_work_device_s", r.limits.lost_work_json()}};
}

std::string report_text(const FileReport& r, std::size_t top) {
    std::string s = fmt::format("{}: site {}, {}, {} output rows from t = {} to {}\n", r.file, r.site, r.status, r.rows,
                                clock_text(r.t_first), clock_text(r.t_last));
    if (r.status != "complete")
        s += fmt::format("  the run is {}: what follows covers its {} valid rows only\n", r.status, r.rows);
    s += fmt::format("  {} constraints; utilisation is value over limit (temperatures in degC), 100 % at the limit; margin is limit less value (K for temperatures), at the peak\n",
                     r.limits.constraints.size());
    return s + r.limits.text(top);
}

int report_command(const ReportOptions& o) {
    try {
        FileReport r;
        read_retrying(o.input, [&] { r = read_report(o.input); });
        if (o.json) std::cout << report_json(r).dump(2) << "\n";
        else std::cout << report_text(r, o.top);
        return 0;
    } catch (const std::exception& e) {  // ResultsError, ViewError: the file cannot be reported on
        std::cerr << fmt::format("dctwin report: error: {}\n", e.what());
        return 2;
    }
}

}  // namespace dctwin::viz
