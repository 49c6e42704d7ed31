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

void ConstraintTracker::add(double t, const double* u) {
    const double dt = rows_ > 0 ? std::max(0.0, t - last_t_) : 0.0;
    for (std::size_t i = 0; i < stats_.size(); ++i) {
        if (!std::isfinite(u[i])) continue;
        ConstraintStats& s = stats_[i];
        if (u[i] > s.peak) s.peak = u[i], s.peak_time = t;
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
                       {"seconds_over_limit", s.seconds_over}});
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
    s += fmt::format("  {:<7}  {:<{}}  {:>8}  {:>14}  {:>12}\n", "family", "constraint", w, "peak", "first at limit",
                     "over limit");
    for (std::size_t k = 0; k < std::min(top, order.size()); ++k) {
        const auto& c = constraints[order[k]];
        const auto& st = stats[order[k]];
        s += fmt::format("  {:<7}  {:<{}}  {:>7.1f}%  {:>14}  {:>12}\n", family_name(c.family), c.path, w,
                         std::isfinite(st.peak) ? 100 * st.peak : std::nan(""),
                         std::isnan(st.first_limit_time) ? std::string("-") : fmt::format("t = {}", hours(st.first_limit_time)),
                         hours(st.seconds_over));
    }
    if (order.size() > top) s += fmt::format("  ... {} more (--top N to see them)\n", order.size() - top);
    if (binding.index >= 0) {
        const auto& c = constraints[std::size_t(binding.index)];
        s += binding.at_limit
                 ? fmt::format("  binds first: {} ({}), at its limit from t = {}, peak {:.1f} %\n", c.path,
                               family_name(c.family), hours(binding.first_limit_time), 100 * binding.utilisation)
                 : fmt::format("  nothing reached its limit; nearest: {} ({}), peak {:.1f} %\n", c.path,
                               family_name(c.family), 100 * binding.utilisation);
    }
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
