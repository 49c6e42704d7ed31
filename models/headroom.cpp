#include "models/headroom.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/integrator.hpp"
#include "solver/steady.hpp"

namespace dctwin {

namespace {
constexpr double kCelsius = 273.15;

// One design point: the highest utilisation of each family and the constraint that has it.
struct Point {
    bool ok = false;
    double u[kFamilies] = {std::nan(""), std::nan(""), std::nan("")};
    std::string which[kFamilies];
    double cap = std::nan("");  // [1] highest power-cap utilisation
    double factor = 1.0;        // [1] the factor as built (racks: the rack ratio)
    // Unsolvable points count as over every limit: no steady state is no place to run.
    double family(int f) const { return ok ? u[f] : HUGE_VAL; }
};

std::size_t rack_count(const SiteSpec& s) {
    std::size_t n = 0;
    for (const auto& h : s.halls)
        for (const auto& r : h.rows) n += std::size_t(r.count);
    return n;
}

class Evaluator {
public:
    Evaluator(const SiteSpec& site, const HeadroomOptions& o, double at) : site_(site), o_(o), at_(at) {
        base_racks_ = rack_count(site);
    }
    const Point& operator()(double k, double shift) {
        const auto key = std::make_pair(k, shift);
        if (auto it = memo_.find(key); it != memo_.end()) return it->second;
        SiteSpec s = scale_site(site_, o_.axis, k);
        s.ambient.shift += shift;
        Point p;
        p.factor = o_.axis == "racks" ? double(rack_count(s)) / double(base_racks_) : k;
        ++evaluations;
        try {
            SiteModel m(s);
            RunOptions ro;
            ro.steady = true;
            ro.steady_at = at_;
            const RunSummary sum = run_site(m, ro);
            const auto& cs = sum.limits.constraints;
            const auto& u = m.constraint_utilisation();
            for (std::size_t i = 0; i < cs.size(); ++i) {
                if (!std::isfinite(u[i])) continue;
                if (cs[i].setting) {
                    if (std::isnan(p.cap) || u[i] > p.cap) p.cap = u[i];
                    continue;
                }
                const int f = int(cs[i].family);
                if (std::isnan(p.u[f]) || u[i] > p.u[f]) p.u[f] = u[i], p.which[f] = cs[i].path;
            }
            p.ok = true;
        } catch (const SteadyStateError&) {
            ++failures;
        } catch (const SolverError&) {
            ++failures;
        }
        return memo_.emplace(key, std::move(p)).first->second;
    }
    int evaluations = 0, failures = 0;

private:
    const SiteSpec& site_;
    const HeadroomOptions& o_;
    double at_;
    std::size_t base_racks_ = 1;
    std::map<std::pair<double, double>, Point> memo_;
};

// The smallest x in [lo, hi] with g(x) >= 1 for an increasing g, given g(lo) < 1 <= g(hi):
// bisection to the tolerance, then the linear interpolation of g across the last bracket,
// which is left in lo, hi.
template <class G>
double bisect(G&& g, double& lo, double& hi, double glo, double ghi, double tol, bool relative) {
    while ((relative ? (hi - lo) / hi : hi - lo) > tol) {
        const double mid = 0.5 * (lo + hi);
        const double gm = g(mid);
        if (gm >= 1.0) hi = mid, ghi = gm;
        else lo = mid, glo = gm;
    }
    if (std::isfinite(ghi) && std::isfinite(glo) && ghi > glo) return lo + (1.0 - glo) * (hi - lo) / (ghi - glo);
    return hi;
}

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
}  // namespace

SiteSpec scale_site(const SiteSpec& site, const std::string& axis, double k) {
    SiteSpec s = site;
    if (axis == "load") {
        for (auto& [name, d] : s.device_types) {
            d.idle_power *= k, d.max_power *= k, d.leakage_power *= k;
            d.memory_power *= k, d.memory_idle_power *= k;
            d.power_cap *= k, d.power_cap_min *= k;
        }
        for (auto& [name, r] : s.rack_types) r.other_power *= k;
    } else if (axis == "racks") {
        for (auto& h : s.halls)
            for (auto& r : h.rows) r.count = std::max(1, int(std::lround(double(r.count) * k)));
    } else {
        throw InputError(SourceLoc{}, "--axis", fmt::format("unknown axis \"{}\": expected load or racks", axis));
    }
    return s;
}

HeadroomResult headroom(const SiteSpec& site, const HeadroomOptions& o) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.axis != "load" && o.axis != "racks")
        throw InputError(SourceLoc{}, "--axis", fmt::format("unknown axis \"{}\": expected load or racks", o.axis));
    HeadroomResult r;
    r.site = site.name;
    r.axis = o.axis;
    r.max_shift = o.max_shift;
    r.max_factor = o.max_factor;
    {
        // Design point: the highest IT load of the run's span (within 0.1 %), and of those
        // times the hottest outdoor dry bulb. Candidates: a grid over the span and every
        // workload step.
        SiteModel base(site);
        const double span = site.simulation.duration;
        base.check_weather_span(std::max(span, std::isnan(o.at) ? 0.0 : o.at));
        r.at = o.at;
        if (std::isnan(r.at)) {
            std::vector<double> times;
            const double step = std::max(600.0, span / 2000);
            for (double t = 0; t <= span; t += step) times.push_back(t);
            auto steps = [&](const std::vector<ActivityStep>& a) {
                for (const auto& x : a)
                    if (x.at <= span) times.push_back(x.at);
            };
            steps(site.activity);
            for (const auto& j : site.jobs) steps(j.activity), steps(j.power_limit);
            std::sort(times.begin(), times.end());
            const std::vector<double> y0 = base.network().initial_state();
            std::vector<std::pair<double, double>> it;  // (IT power [W], dry bulb [K])
            double top = 0;
            for (double t : times) {
                it.emplace_back(base.point(t, y0.data()).it_power, base.outdoor(t).first);
                top = std::max(top, it.back().first);
            }
            double hottest = -HUGE_VAL;
            for (std::size_t i = 0; i < times.size(); ++i)
                if (it[i].first >= top * (1 - 1e-3) && it[i].second > hottest) hottest = it[i].second, r.at = times[i];
        }
        r.dry_bulb = base.outdoor(r.at).first;
    }
    Evaluator eval(site, o, r.at);
    const Point& today = eval(1.0, 0.0);
    r.power_cap_today = today.cap;
    for (int f = 0; f < kFamilies; ++f) {
        FamilyHeadroom& h = r.family[f];
        h.today = today.ok ? today.u[f] : std::nan("");
        h.today_constraint = today.which[f];
        if (today.ok && std::isnan(today.u[f])) continue;  // the site declares no such limit
        auto g = [&](double k) { return eval(k, 0.0).family(f); };
        double lo, hi, glo = std::nan(""), ghi = std::nan("");
        if (g(1.0) >= 1.0) {  // binds today: search down
            hi = 1.0, ghi = g(1.0), lo = 0.5;
            while (lo >= o.min_factor && (glo = g(lo)) >= 1.0) hi = lo, ghi = glo, lo *= 0.5;
            if (lo < o.min_factor) {
                h.below = true;
                continue;
            }
        } else {
            lo = 1.0, glo = g(1.0), hi = 2.0;
            while (hi <= o.max_factor && (ghi = g(hi)) < 1.0) lo = hi, glo = ghi, hi *= 2.0;
            if (hi > o.max_factor) {
                h.above = true;
                continue;
            }
        }
        const double k = bisect(g, lo, hi, glo, ghi, o.tolerance, true);
        // Rack counts are whole: the bracket closes on the first count that binds.
        h.factor = o.axis == "racks" ? eval(hi, 0.0).factor : k;
        h.constraint = eval(hi, 0.0).which[f];
    }
    double best = HUGE_VAL;
    for (int f = 0; f < kFamilies; ++f) {
        const auto& h = r.family[f];
        const double k = h.below ? 0.0 : h.factor;
        if (std::isfinite(k) && k < best) best = k, r.first = f;
    }
    // Outdoor temperature at which cooling binds at today's load.
    if (today.ok && !std::isnan(today.u[int(Family::cooling)])) {
        const int c = int(Family::cooling);
        auto g = [&](double d) { return eval(1.0, d).family(c); };
        double lo = -o.max_shift, hi = o.max_shift;
        double glo = g(lo), ghi = g(hi);
        if (glo >= 1.0) {
            r.cooling_search = -1;
        } else if (ghi < 1.0) {
            r.cooling_search = +1;
        } else {
            r.cooling_search = 0;
            const double d = bisect(g, lo, hi, glo, ghi, o.temperature_tolerance, false);
            r.cooling_dry_bulb = r.dry_bulb + d;
            r.cooling_constraint = eval(1.0, hi).which[c];
        }
    }
    r.evaluations = eval.evaluations;
    r.failures = eval.failures;
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

nlohmann::json HeadroomResult::to_json() const {
    nlohmann::json fam = nlohmann::json::object();
    for (int f = 0; f < kFamilies; ++f) {
        const auto& h = family[f];
        fam[family_name(Family(f))] = {{"utilisation_today", num(h.today)},
                                       {"constraint_today", h.today_constraint.empty() ? nlohmann::json() : nlohmann::json(h.today_constraint)},
                                       {"binds_at_factor", h.below ? nlohmann::json(0.0) : num(h.factor)},
                                       {"constraint", h.constraint.empty() ? nlohmann::json() : nlohmann::json(h.constraint)},
                                       {"binds_below_search", h.below},
                                       {"free_within_search", h.above}};
    }
    return {{"site", site},
            {"axis", axis},
            {"design_time_s", at},
            {"design_dry_bulb_C", dry_bulb - kCelsius},
            {"families", fam},
            {"binds_first", first >= 0 ? nlohmann::json(family_name(Family(first))) : nlohmann::json()},
            {"binds_first_at_factor", first >= 0 ? (family[first].below ? nlohmann::json(0.0) : num(family[first].factor))
                                                 : nlohmann::json()},
            {"cooling_binds_at_dry_bulb_C", num(cooling_dry_bulb - kCelsius)},
            {"cooling_constraint_at_dry_bulb", cooling_constraint.empty() ? nlohmann::json() : nlohmann::json(cooling_constraint)},
            {"power_cap_utilisation_today", num(power_cap_today)},
            {"steady_solves", evaluations},
            {"steady_solves_failed", failures},
            {"wall_s", wall_s}};
}

std::string HeadroomResult::to_text() const {
    const char* what = axis == "racks" ? "racks" : "IT load";
    std::string s = fmt::format("headroom of site {} on the {} axis, at the design point t = {:.0f} s (outdoor {:.1f} degC)\n",
                                site, axis, at, dry_bulb - kCelsius);
    for (int f = 0; f < kFamilies; ++f) {
        const auto& h = family[f];
        const char* name = family_name(Family(f));
        if (std::isnan(h.today)) {
            s += fmt::format("  {:<8} no limits declared\n", name);
            continue;
        }
        std::string at;
        if (h.below) at = "already over its limit at the smallest load searched";
        else if (h.above) at = fmt::format("does not bind up to {:.0f} x today's {}", max_factor, what);
        else at = fmt::format("binds at {:.3f} x today's {} ({})", h.factor, what, h.constraint);
        s += fmt::format("  {:<8} today {:5.1f} % ({}); {}\n", name, 100 * h.today, h.today_constraint, at);
    }
    if (first >= 0)
        s += fmt::format("  binds first: {}\n", family_name(Family(first)));
    else
        s += "  nothing binds within the factors searched\n";
    if (cooling_search == 0)
        s += fmt::format("  at today's load, cooling binds at an outdoor dry bulb of {:.1f} degC ({})\n",
                         cooling_dry_bulb - kCelsius, cooling_constraint);
    else if (cooling_search < 0)
        s += fmt::format("  at today's load, cooling is over its limit even {:.0f} K below the design outdoor temperature\n",
                         max_shift);
    else if (cooling_search > 0 && cooling_search < 2)
        s += fmt::format("  at today's load, cooling does not bind within {:.0f} K of the design outdoor temperature\n",
                         max_shift);
    if (std::isfinite(power_cap_today))
        s += fmt::format("  devices {} their power cap today (highest {:.1f} % of it)\n",
                         power_cap_today >= 1.0 ? "run at" : "run below", 100 * power_cap_today);
    s += fmt::format("  {} steady solves ({} without a steady state, counted as over every limit), {:.1f} s\n", evaluations,
                     failures, wall_s);
    return s;
}

}  // namespace dctwin
