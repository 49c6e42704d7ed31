// The calibration's text report, JSON and set file (calib/calibrate.hpp).

#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "calib/calibrate.hpp"

namespace dctwin::calib {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
nlohmann::json number(const std::optional<double>& v) { return v ? number(*v) : nlohmann::json(); }

std::string percent(const std::optional<double>& v) { return v && std::isfinite(*v) ? fmt::format("{:.3f} %", *v * 100) : "n/a"; }

// A value in the parameter's unit, with the unit, to 6 significant digits (the set file and
// the JSON keep 12).
std::string in_unit(double si, const FitParameter& p) {
    if (!std::isfinite(si)) return "unbounded";
    if (p.unit.empty()) return fmt::format("{:.6g}", si);
    const UnitMap u = unit_map(p.unit);
    return fmt::format("{:.6g} {}", (si - u.offset) / u.scale, p.unit);
}
// A difference (standard error) in the unit: no offset.
std::string diff_in_unit(double si, const FitParameter& p) {
    if (!std::isfinite(si)) return "infinite";
    if (p.unit.empty()) return fmt::format("{:.4g}", si);
    const UnitMap u = unit_map(p.unit);
    return fmt::format("{:.4g} {}", si / u.scale, u.offset != 0 ? "K" : p.unit);
}

bool identifiable(const Calibration& c, std::size_t k) {
    for (const auto& [a, b] : c.correlated)
        if (a == k || b == k) return false;
    for (std::size_t w : c.weak)
        if (w == k) return false;
    return true;
}

}  // namespace

nlohmann::json Calibration::to_json() const {
    nlohmann::json j;
    j["site"] = site;
    j["measured"] = measured;
    j["duration_s"] = duration;
    j["residuals"] = residuals;
    j["runs"] = runs;
    j["forward_runs"] = forward_runs;
    j["sensitivities"] = sensitivities;
    j["forward_fallbacks"] = fallbacks;
    j["forward_work"] = {{"steps", forward_steps}, {"sensitivity_rhs", forward_sens_rhs}, {"reinitialisations", forward_reinits},
                         {"wall_s", forward_wall_s}, {"output_rows_s", forward_output_s}};
    j["iterations"] = iterations;
    j["wall_s"] = wall_s;
    j["stop"] = stop;
    j["cost_before"] = cost_before;
    j["cost_after"] = cost_after;
    j["condition_number"] = number(condition);
    auto ps = nlohmann::json::array();
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        const auto& p = parameters[k];
        // SI values and the unit's text beside them, so that a reader need not parse units.
        ps.push_back({{"key", p.p.key},
                      {"unit", p.p.unit},
                      {"start", value_text(p.p.start, p.p.unit)},
                      {"value", value_text(p.value, p.p.unit)},
                      {"lower_bound", value_text(p.p.lo, p.p.unit)},
                      {"upper_bound", value_text(p.p.hi, p.p.unit)},
                      {"start_si", p.p.start},
                      {"value_si", p.value},
                      {"std_error_si", number(p.std_error)},
                      {"ci95_si", {number(p.lo95), number(p.hi95)}},
                      {"start_from_site", p.p.start_from_site},
                      {"at_bound", p.at_bound},
                      {"sensitivity", p.method},
                      {"sensitivity_note", p.method_note},
                      {"identifiable", identifiable(*this, k)}});
    }
    j["parameters"] = ps;
    auto corr = nlohmann::json::array();
    for (const auto& row : correlation) {
        auto r = nlohmann::json::array();
        for (double v : row) r.push_back(number(v));
        corr.push_back(r);
    }
    j["correlation"] = corr;
    auto ni = nlohmann::json::array();
    for (const auto& [a, b] : correlated)
        ni.push_back({{"parameters", {parameters[a].p.key, parameters[b].p.key}}, {"correlation", number(correlation[a][b])}});
    for (std::size_t w : weak) ni.push_back({{"parameters", {parameters[w].p.key}}, {"correlation", nullptr}});
    j["not_identifiable"] = ni;
    auto ss = nlohmann::json::array();
    for (const auto& s : series)
        ss.push_back({{"series", s.heading},
                      {"pairs", s.pairs},
                      {"residual_scale", s.scale},
                      {"before", {{"cv_rmse", number(s.cv_before)}, {"nmbe", number(s.nmbe_before)}}},
                      {"after", {{"cv_rmse", number(s.cv_after)}, {"nmbe", number(s.nmbe_after)}}}});
    j["series"] = ss;
    return j;
}

std::string Calibration::to_text() const {
    std::string s;
    s += fmt::format("calibration of {} against {}\n", site, measured);
    s += fmt::format("  {} runs of {:.0f} s simulated, {} residuals over {} series, {} iterations, {:.1f} s wall\n", runs,
                     duration, residuals, series.size(), iterations, wall_s);
    s += fmt::format("  {}\n", stop);
    if (forward_runs > 0) s += fmt::format("  and {} runs with forward sensitivities (CVODES)\n", forward_runs);
    for (const auto& f : fallbacks)
        s += fmt::format("  a forward run was refused (finite differences from there on): {}\n", f);
    s += fmt::format("  sum of squared scaled residuals: {:.6g} -> {:.6g} [1]\n", cost_before, cost_after);
    s += "\nparameters (95 % interval, Student t, linearised at the fit):\n";
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        const auto& p = parameters[k];
        s += fmt::format("  {}  [sensitivity: {}{}]\n    {} -> {}  +/- {} (std error)  95 %: [{}, {}]{}{}{}\n", p.p.key,
                         p.method, p.method_note.empty() ? "" : ": " + p.method_note, in_unit(p.p.start, p.p),
                         in_unit(p.value, p.p), diff_in_unit(p.std_error, p.p),
                         in_unit(p.lo95, p.p), in_unit(p.hi95, p.p), p.p.start_from_site ? "" : "  (started mid-range)",
                         p.at_bound ? "  AT A BOUND" : "", identifiable(*this, k) ? "" : "  NOT IDENTIFIABLE");
    }
    if (parameters.size() > 1) {
        s += "\ncorrelation [1]:\n";
        for (std::size_t k = 0; k < parameters.size(); ++k) {
            s += fmt::format("  {:>2}", k + 1);
            for (double v : correlation[k]) s += std::isfinite(v) ? fmt::format(" {:7.4f}", v) : "     n/a";
            s += fmt::format("  {}\n", parameters[k].p.key);
        }
    }
    s += fmt::format("  condition number of the scaled J^T J: {:.3g} [1]\n", condition);
    if (correlated.empty() && weak.empty()) s += "  every parameter is identifiable from this data\n";
    for (const auto& [a, b] : correlated)
        s += fmt::format("  not identifiable from this data: {} and {} (correlation {:.4f}): the data constrain a "
                         "combination of the two, not each\n",
                         parameters[a].p.key, parameters[b].p.key, correlation[a][b]);
    for (std::size_t w : weak)
        s += fmt::format("  not identifiable from this data: {} (the data hardly depend on it: its 95 % interval is "
                         "wider than its range)\n", parameters[w].p.key);
    s += "\nseries: CV(RMSE) and NMBE at the samples (Guideline 14, p = 1), before -> after:\n";
    for (const auto& x : series)
        s += fmt::format("  {}: {} pairs, CV(RMSE) {} -> {}, NMBE {} -> {}\n", x.heading, x.pairs, percent(x.cv_before),
                         percent(x.cv_after), percent(x.nmbe_before), percent(x.nmbe_after));
    return s;
}

std::string Calibration::to_yaml() const {
    std::string s = fmt::format("# dctwin calibrate: {} fitted against {} ({:.0f} s)\n", site, measured, duration);
    s += "# apply with: dctwin run SITE --set-file THIS_FILE (also sweep, headroom, calibrate)\n";
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        const auto& p = parameters[k];
        s += fmt::format("{}: \"{}\"  # 95 %: [{}, {}]{}\n", p.p.key, value_text(p.value, p.p.unit), in_unit(p.lo95, p.p),
                         in_unit(p.hi95, p.p), identifiable(*this, k) ? "" : ", not identifiable from this data");
    }
    return s;
}

}  // namespace dctwin::calib
