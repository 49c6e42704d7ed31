#include "models/constraints.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace dctwin {

const char* family_name(Family f) {
    switch (f) {
        case Family::silicon: return "silicon";
        case Family::cooling: return "cooling";
        case Family::power: return "power";
    }
    return "?";
}

int family_index(const std::string& name) {
    for (int f = 0; f < kFamilies; ++f)
        if (name == family_name(Family(f))) return f;
    return -1;
}

int binding_now(const double* u, std::size_t n) {
    int best = -1;
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(u[i]) && (best < 0 || u[i] > u[best])) best = int(i);
    return best;
}

ConstraintTracker::ConstraintTracker(std::vector<Family> families)
    : families_(std::move(families)), stats_(families_.size()) {}

void ConstraintTracker::add(double t, const double* u, const double* values, const double* limits) {
    const double dt = rows_ > 0 ? std::max(0.0, t - last_t_) : 0.0;
    for (std::size_t i = 0; i < stats_.size(); ++i) {
        if (!std::isfinite(u[i])) continue;
        ConstraintStats& s = stats_[i];
        if (u[i] > s.peak) {
            s.peak = u[i], s.peak_time = t;
            if (values) s.peak_value = values[i];
            if (limits) s.peak_limit = limits[i];
        }
        if (u[i] >= 1.0) {
            if (std::isnan(s.first_limit_time)) s.first_limit_time = t;
            s.seconds_over += dt;
        }
    }
    if (const int b = binding_now(u, stats_.size()); b >= 0) {
        const auto f = std::size_t(families_[std::size_t(b)]);
        binding_s_[f] += dt;
        if (u[b] >= 1.0) limit_s_[f] += dt;
    }
    last_t_ = t;
    ++rows_;
}

Binding binding_of(const std::vector<ConstraintStats>& stats) {
    Binding b;
    for (std::size_t i = 0; i < stats.size(); ++i) {
        const auto& s = stats[i];
        if (!std::isfinite(s.peak)) continue;
        const bool limit = !std::isnan(s.first_limit_time);
        bool better;
        if (b.index < 0) better = true;
        else if (limit != b.at_limit) better = limit;
        else if (limit && s.first_limit_time != b.first_limit_time) better = s.first_limit_time < b.first_limit_time;
        else better = s.peak > b.utilisation;
        if (!better) continue;
        b.index = int(i);
        b.utilisation = s.peak;
        b.at_limit = limit;
        b.first_limit_time = s.first_limit_time;
    }
    return b;
}

}  // namespace dctwin

namespace dctwin {

namespace {
nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

std::string hours(double s) {
    if (s >= 3600) return fmt::format("{:.2f} h", s / 3600);
    if (s >= 60) return fmt::format("{:.1f} min", s / 60);
    return fmt::format("{:.0f} s", s);
}

}  // namespace

// A value in a constraint's unit, for people: degC as is, watts and joules with a prefix.
std::string constraint_value_text(double v, const std::string& unit) {
    if (!std::isfinite(v)) return "-";
    if (unit == "degC") return fmt::format("{:.1f} degC", v);
    if (unit == "W" || unit == "J" || unit == "W/s") {
        const double a = std::abs(v);
        const auto [scale, prefix] = a >= 1e9 ? std::pair{1e9, "G"} : a >= 1e6 ? std::pair{1e6, "M"}
                                   : a >= 1e3 ? std::pair{1e3, "k"} : std::pair{1.0, ""};
        return fmt::format("{:.3g} {}{}", v / scale, prefix, unit);
    }
    return unit == "1" || unit.empty() ? fmt::format("{:.3g}", v) : fmt::format("{:.4g} {}", v, unit);
}

// Limit less value: K for temperatures (a difference of degC), the unit otherwise; signed,
// or in words ("62.8 W over", "1.1 kW to spare").
std::string constraint_margin_text(double value, double limit, const std::string& unit, bool words) {
    if (!std::isfinite(value) || !std::isfinite(limit)) return "-";
    const double m = limit - value;
    std::string t;
    if (unit == "degC")
        t = fmt::format("{:.1f} K", std::abs(m));
    else if (unit == "W" || unit == "J" || unit == "W/s")
        t = constraint_value_text(std::abs(m), unit);
    else
        t = fmt::format("{:.3g}{}", std::abs(m), unit == "1" || unit.empty() ? "" : " " + unit);
    if (words) return t + (m >= 0 ? " to spare" : " over");
    return (m >= 0 ? "+" : "-") + t;
}

namespace {
std::string quantity_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The lost-work cause a constraint's limit stands for (kLostCauseNames), or -1.
int lost_cause_of(const Constraint& c) {
    const std::string q = quantity_of(c.path);
    if (q == "power_cap") return 0;
    if (q == "junction_temperature" || q == "memory_temperature") return 1;
    return -1;
}
}  // namespace

std::string ConstraintReport::why(std::size_t i) const {
    const Constraint& c = constraints[i];
    const ConstraintStats& st = stats[i];
    const std::string v = constraint_value_text(st.peak_value, c.unit), l = constraint_value_text(st.peak_limit, c.unit),
                      m = constraint_margin_text(st.peak_value, st.peak_limit, c.unit, true);
    const std::string q = quantity_of(c.path);
    const bool over = st.peak >= 1.0;
    if (q == "power_cap")
        return over ? fmt::format("the power cap lowers the clock: at full clock the device would draw {} against its cap "
                                  "of {} ({})", v, l, m)
                    : fmt::format("at full clock the device draws {} against its cap of {} ({})", v, l, m);
    if (q == "junction_temperature")
        return over ? fmt::format("heat does not leave the die fast enough: the junction reaches {} against its slowdown "
                                  "temperature of {} ({}), and the clock slows", v, l, m)
                    : fmt::format("the hottest junction reaches {} against its slowdown temperature of {} ({})",
                                  v, l, m);
    if (q == "memory_temperature")
        return fmt::format("the memory reaches {} against its maximum of {} ({})", v, l, m);
    return fmt::format("{} against {} ({}): {}", v, l, m, c.description);
}

std::string ConstraintReport::headline() const {
    if (binding.index < 0) return "";
    const auto b = std::size_t(binding.index);
    const auto& c = constraints[b];
    std::string s = binding.at_limit
                        ? fmt::format("  binds first: {} ({}), at its limit from t = {}, peak {:.1f} %\n", c.path,
                                      family_name(c.family), hours(binding.first_limit_time), 100 * binding.utilisation)
                        : fmt::format("  nothing reached its limit; nearest: {} ({}), peak {:.1f} %\n", c.path,
                                      family_name(c.family), 100 * binding.utilisation);
    s += fmt::format("    why: {}\n", why(b));
    // The constraint that bound first is not always the one that cost the work: say which did.
    int worst = -1;
    for (int k = 0; k < kLostCauseCount; ++k)
        if (lost[k] > 0 && (worst < 0 || lost[k] > lost[worst])) worst = k;
    if (worst >= 0 && worst != lost_cause_of(c) && possible > 0 && lost[worst] > 0.01 * possible) {
        int most = -1;  // the constraint of that cause nearest (or furthest over) its limit
        for (std::size_t i = 0; i < constraints.size(); ++i)
            if (lost_cause_of(constraints[i]) == worst && std::isfinite(stats[i].peak) &&
                (most < 0 || stats[i].peak > stats[std::size_t(most)].peak))
                most = int(i);
        s += fmt::format("  most work lost to {}: {:.3f} device-h ({:.1f} % of possible){}\n", kLostCauseNames[worst],
                         lost[worst] / 3600, 100 * lost[worst] / possible,
                         most >= 0 ? fmt::format(", at {}", constraints[std::size_t(most)].path) : std::string());
        if (most >= 0) s += fmt::format("    why: {}\n", why(std::size_t(most)));
    }
    return s;
}

void ConstraintReport::take(const ConstraintTracker& t) {
    stats = t.stats();
    binding = binding_of(stats);
    for (int f = 0; f < kFamilies; ++f) {
        family_binding_s[f] = t.family_binding_seconds()[f];
        family_limit_s[f] = t.family_limit_seconds()[f];
    }
}

std::vector<std::size_t> ConstraintReport::ranking() const {
    std::vector<std::size_t> order(stats.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto key = [&](std::size_t i) { return std::isfinite(stats[i].peak) ? stats[i].peak : -HUGE_VAL; };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
    return order;
}

nlohmann::json ConstraintReport::binding_json() const {
    nlohmann::json j;
    if (binding.index < 0) {
        j = {{"family", nullptr}, {"constraint", nullptr}, {"utilisation", nullptr}, {"at_limit", false},
             {"first_binding_time_s", nullptr}};
        return j;
    }
    const Constraint& c = constraints[std::size_t(binding.index)];
    j = {{"family", family_name(c.family)},
         {"constraint", c.path},
         {"utilisation", number_or_null(binding.utilisation)},
         {"at_limit", binding.at_limit},
         {"first_binding_time_s", number_or_null(binding.first_limit_time)}};
    return j;
}

nlohmann::json ConstraintReport::constraints_json(std::size_t top) const {
    auto out = nlohmann::json::array();
    for (std::size_t i : ranking()) {
        if (top > 0 && out.size() >= top) break;
        const auto& c = constraints[i];
        const auto& s = stats[i];
        out.push_back({{"name", c.path},
                       {"family", family_name(c.family)},
                       {"unit", c.unit},
                       {"peak_utilisation", number_or_null(s.peak)},
                       {"peak_time_s", number_or_null(s.peak_time)},
                       {"first_binding_time_s", number_or_null(s.first_limit_time)},
                       {"seconds_over_limit", s.seconds_over},
                       {"peak_value", number_or_null(s.peak_value)},
                       {"peak_limit", number_or_null(s.peak_limit)},
                       {"margin", number_or_null(s.peak_limit - s.peak_value)}});
    }
    return out;
}

nlohmann::json ConstraintReport::lost_work_json() const {
    nlohmann::json by = nlohmann::json::object();
    for (int c = 0; c < kLostCauseCount; ++c) by[kLostCauseNames[c]] = lost[c];
    return {{"by_cause", by},
            {"total", lost_total},
            {"possible", possible},
            {"fraction", possible > 0 ? nlohmann::json(lost_total / possible) : nlohmann::json(0.0)}};
}

nlohmann::json ConstraintReport::families_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (int f = 0; f < kFamilies; ++f)
        j[family_name(Family(f))] = {{"binding_s", family_binding_s[f]}, {"at_limit_s", family_limit_s[f]}};
    return j;
}

std::string ConstraintReport::text(std::size_t top) const {
    std::string s;
    if (constraints.empty()) return "  no constraints: the site declares no ratings or limits\n";
    const auto order = ranking();
    std::size_t w = 10;
    for (std::size_t k = 0; k < std::min(top, order.size()); ++k) w = std::max(w, constraints[order[k]].path.size());
    s += fmt::format("  {:<7}  {:<{}}  {:>8}  {:>12}  {:>12}  {:>10}  {:>14}  {:>12}\n", "family", "constraint", w, "peak",
                     "value", "limit", "margin", "first at limit", "over limit");
    for (std::size_t k = 0; k < std::min(top, order.size()); ++k) {
        const auto& c = constraints[order[k]];
        const auto& st = stats[order[k]];
        s += fmt::format("  {:<7}  {:<{}}  {:>7.1f}%  {:>12}  {:>12}  {:>10}  {:>14}  {:>12}\n", family_name(c.family),
                         c.path, w, std::isfinite(st.peak) ? 100 * st.peak : std::nan(""), constraint_value_text(st.peak_value, c.unit),
                         constraint_value_text(st.peak_limit, c.unit), constraint_margin_text(st.peak_value, st.peak_limit, c.unit),
                         std::isnan(st.first_limit_time) ? std::string("-") : fmt::format("t = {}", hours(st.first_limit_time)),
                         hours(st.seconds_over));
    }
    if (order.size() > top) s += fmt::format("  ... {} more (--top N to see them)\n", order.size() - top);
    s += headline();
    if (duration > 0) {
        s += "  binding family over the run:";
        for (int f = 0; f < kFamilies; ++f)
            s += fmt::format(" {} {:.1f} % ({:.1f} % at the limit){}", family_name(Family(f)),
                             100 * family_binding_s[f] / duration, 100 * family_limit_s[f] / duration,
                             f + 1 < kFamilies ? "," : "\n");
    }
    if (possible > 0) {
        s += fmt::format("  lost work: {:.3f} device-h of {:.1f} ({:.3f} %)", lost_total / 3600, possible / 3600,
                         100 * lost_total / possible);
        bool any = false;
        for (int c = 0; c < kLostCauseCount; ++c)
            if (lost[c] > 1e-9 * possible) {
                s += fmt::format("{} {} {:.3f} device-h", any ? "," : ":", kLostCauseNames[c], lost[c] / 3600);
                any = true;
            }
        s += "\n";
    }
    return s;
}

}  // namespace dctwin
