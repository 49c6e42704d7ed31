#include "calib/calibrate.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>

#include <Eigen/Dense>
#include <unsupported/Eigen/LevenbergMarquardt>
#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "calib/compare.hpp"
#include "calib/forward.hpp"
#include "input/site_loader.hpp"
#include "input/units.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/parallel.hpp"
#include "sweep/sweep_file.hpp"

namespace dctwin::calib {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

// The scalar at a dotted key path of a YAML tree (maps and list indices), or "" when absent.
std::string scalar_at(const YAML::Node& root, const std::string& key) {
    YAML::Node cur;
    cur.reset(root);  // reset, not =: assigning a yaml-cpp node writes into the node it refers to
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = key.find('.', start);
        const std::string seg = key.substr(start, dot == std::string::npos ? dot : dot - start);
        YAML::Node next;
        bool found = false;
        // Iterated, not cur[seg]: a lookup of a missing key gives a node that throws on use.
        if (cur.IsMap()) {
            for (auto it = cur.begin(); it != cur.end() && !found; ++it)
                if (it->first.IsScalar() && it->first.Scalar() == seg) next.reset(it->second), found = true;
        } else if (cur.IsSequence()) {
            char* end = nullptr;
            const unsigned long i = std::strtoul(seg.c_str(), &end, 10);
            if (seg.empty() || *end || i >= cur.size()) return {};
            std::size_t k = 0;
            for (auto it = cur.begin(); it != cur.end() && !found; ++it, ++k)
                if (k == i) next.reset(*it), found = true;
        }
        if (!found) return {};
        cur.reset(next);
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return cur.IsScalar() ? cur.Scalar() : std::string();
}

}  // namespace

FitRequest parse_fit(std::string_view text) {
    FitRequest r;
    r.text = std::string(text);
    const std::size_t eq = text.find('=');
    r.key = trim(text.substr(0, eq));
    if (r.key.empty())
        throw std::invalid_argument(fmt::format("--fit '{}' (column 1): expected KEY or KEY=LO..HI, the key path is empty", text));
    if (eq == std::string_view::npos) return r;
    const std::string_view range = text.substr(eq + 1);
    const std::size_t dots = range.find("..");
    if (dots == std::string_view::npos)
        throw std::invalid_argument(fmt::format("--fit '{}' (column {}): expected a range LO..HI after '=', e.g. "
                                                "'30 L/min..90 L/min'", text, eq + 2));
    r.lo = trim(range.substr(0, dots));
    r.hi = trim(range.substr(dots + 2));
    if (r.lo.empty() || r.hi.empty())
        throw std::invalid_argument(fmt::format("--fit '{}' (column {}): the range needs both bounds, LO..HI", text,
                                                r.lo.empty() ? eq + 2 : eq + dots + 4));
    return r;
}

std::string value_text(double si, const std::string& unit) {
    if (unit.empty()) return fmt::format("{:.12g}", si);
    const UnitMap u = unit_map(unit);
    return fmt::format("{:.12g} {}", (si - u.offset) / u.scale, unit);
}

FitParameter resolve_parameter(const FitRequest& r, const std::string& resolved_yaml) {
    FitParameter p;
    p.key = r.key;
    p.text = r.text;
    auto fail = [&](const std::string& why) {
        throw std::invalid_argument(fmt::format("--fit '{}': {}: {}", r.text, r.key, why));
    };
    const std::string site_text = scalar_at(YAML::Load(resolved_yaml), r.key);
    double site_number = 0;
    std::string site_unit;
    const bool has_site = !site_text.empty() && sweep::split_number(site_text, site_number, site_unit);
    if (!site_text.empty() && !has_site)
        fail(fmt::format("the site's value \"{}\" is not a number with a unit; only numbers can be fitted", site_text));
    auto quantity = [&](const std::string& t, const char* what) -> Quantity {
        try {
            return parse_any_quantity(t);
        } catch (const UnitError& e) {
            fail(fmt::format("{} \"{}\": {}", what, t, e.what()));
        }
        return {};
    };
    std::optional<Quantity> site;
    if (has_site) site = quantity(site_text, "the site's value");
    if (r.lo.empty()) {
        if (!site) fail("the site does not set this key (or it is not a path of the site); give a range KEY=LO..HI");
        p.unit = site_unit;
        p.start = site->si;
        if (site->offset) {
            p.lo = p.start - 10, p.hi = p.start + 10;  // a temperature: +/- 10 K
        } else if (p.start > 0) {
            p.lo = p.start / 4, p.hi = p.start * 4;
        } else {
            fail(fmt::format("the site's value {} is not positive: give a range KEY=LO..HI", site_text));
        }
        return p;
    }
    const Quantity lo = quantity(r.lo, "the lower bound"), hi = quantity(r.hi, "the upper bound");
    std::string lo_unit;
    double ignored = 0;
    sweep::split_number(r.lo, ignored, lo_unit);
    if (!lo.dim.same_units(hi.dim) || lo.unitless != hi.unitless)
        fail(fmt::format("the bounds \"{}\" and \"{}\" are not the same kind of quantity", r.lo, r.hi));
    if (site && (!site->dim.same_units(lo.dim) || (site->unitless != lo.unitless && !site->unitless)))
        fail(fmt::format("the bounds \"{}\"..\"{}\" do not match the site's value \"{}\" (give them in its unit)", r.lo,
                         r.hi, site_text));
    p.unit = lo_unit.empty() ? site_unit : lo_unit;
    p.lo = lo.si, p.hi = hi.si;
    if (!(p.lo < p.hi)) fail(fmt::format("the range is empty: LO \"{}\" must be below HI \"{}\"", r.lo, r.hi));
    p.start_from_site = site.has_value();
    p.start = site ? site->si : 0.5 * (p.lo + p.hi);
    if (!(p.start > p.lo && p.start < p.hi))
        fail(fmt::format("the site's value {} is not inside the range {}..{} (strictly: the fit starts there)",
                         site_text, r.lo, r.hi));
    return p;
}

namespace {

// A measured column located in the output row.
struct Target {
    std::size_t col = 0;          // offset in the output row
    double r_scale = 1, r_offset = 0;  // result unit -> SI
    const MeasuredSeries* m = nullptr;
    std::vector<std::size_t> rows;  // measured row indices compared (inside the run, not empty)
    std::vector<double> t;          // [s] of the run
    std::vector<double> meas;       // in the measured column's unit
    double scale = 1;               // residual divisor, in the measured unit
};

// The row offset of `want` ("site/grid_power", "racks/power/hall1/rowA/rack01",
// "racks/power:hall1/...") in the model's output list, with its unit; false when absent.
bool locate(const OutputList& outputs, std::string want, std::size_t& col, std::string& unit) {
    if (!want.empty() && want.front() == '/') want.erase(0, 1);
    std::size_t offset = 0;
    for (const auto& s : outputs.all_series()) {
        const std::string base = s.path.substr(1);
        if (s.width == 0 && base == want) {
            col = offset, unit = s.unit;
            return true;
        }
        if (s.width > 0 && want.size() > base.size() + 1 && want.compare(0, base.size(), base) == 0 &&
            (want[base.size()] == '/' || want[base.size()] == ':')) {
            const std::string label = want.substr(base.size() + 1);
            if (const auto* labels = outputs.labels_at(s.columns))
                for (std::size_t c = 0; c < labels->size() && c < s.width; ++c)
                    if ((*labels)[c] == label) {
                        col = offset + c, unit = s.unit;
                        return true;
                    }
        }
        offset += s.values();
    }
    return false;
}

// One evaluation's simulated values at the measured samples of every target (measured unit).
using Simulated = std::vector<std::vector<double>>;

class Problem {
public:
    Problem(const std::string& site, const MeasuredData& data, std::vector<FitParameter> params, const CalibrateOptions& o)
        : site_(site), data_(data), params_(std::move(params)), opt_(o), pool_(std::max(1, o.threads)) {}

    std::vector<FitParameter>& params() { return params_; }
    const std::vector<Target>& targets() const { return targets_; }
    std::size_t residuals() const { return m_; }
    std::size_t runs() const { return runs_.load(); }
    double duration() const { return duration_; }

    // Loads the site at the start, finds every measured series in its outputs.
    void setup() {
        std::vector<double> start;
        for (const auto& q : params_) start.push_back(q.start);
        SiteSpec spec;
        try {
            spec = load_site(site_, overrides(start), opt_.set_files);
        } catch (const InputError& e) {
            // A fitted key the site refuses (a typo given with a range): named by its --fit.
            const std::size_t k = std::size_t(std::max(0, e.loc.line - 1));
            if (e.loc.file != "--set" || k < opt_.sets.size() || k >= opt_.sets.size() + params_.size()) throw;
            throw std::invalid_argument(fmt::format("--fit '{}': {}{}", params_[k - opt_.sets.size()].text,
                                                    e.key_path.empty() ? "" : e.key_path + ": ", e.detail));
        }
        SiteModel model(spec);
        double last = 0;
        for (std::size_t i = 0; i < data_.time.size(); ++i) last = std::max(last, data_.time[i] + opt_.start);
        duration_ = opt_.duration > 0 ? opt_.duration : last;
        if (!(duration_ > 0))
            throw std::invalid_argument(fmt::format("{}: the measured data spans no time of the run (its last sample is "
                                                    "at {} s); give --duration or --start", data_.file, last));
        for (const auto& ms : data_.series) {
            Target tg;
            std::string unit;
            if (!locate(model.outputs(), ms.path, tg.col, unit))
                throw InputError({data_.file, ms.line, ms.col}, ms.path,
                                 "the site's runs have no result series of this path (see viz/README.md for the paths)");
            const UnitMap u = unit_map(unit == "1" ? "" : unit);
            if (!u.dim.dim.same_units(ms.dim.dim))
                throw InputError({data_.file, ms.line, ms.col}, ms.path,
                                 fmt::format("the unit [{}] does not convert to the result's [{}]", ms.unit, unit));
            tg.r_scale = u.scale, tg.r_offset = u.offset;
            tg.m = &ms;
            double sum = 0, sum2 = 0;
            for (std::size_t i = 0; i < data_.time.size(); ++i) {
                const double t = data_.time[i] + opt_.start, v = ms.values[i];
                if (std::isnan(v) || t < 0 || t > duration_) continue;
                tg.rows.push_back(i), tg.t.push_back(t), tg.meas.push_back(v);
                sum += v, sum2 += v * v;
            }
            // A series without a sample inside the run adds no residual; it is listed with 0 pairs.
            const double n = std::max(1.0, double(tg.meas.size())), mean = sum / n;
            const double sd = std::sqrt(std::max(0.0, sum2 / n - mean * mean));
            // Residuals are divided by the spread of their series so that kW and degC mix; a
            // flat series by its mean's size instead.
            tg.scale = sd > 1e-9 * std::abs(mean) && sd > 0 ? sd : std::max(std::abs(mean), 1e-12);
            m_ += tg.meas.size();
            targets_.push_back(std::move(tg));
        }
        if (m_ == 0)
            throw std::invalid_argument(fmt::format("{}: no measured sample lies inside the run (0 s to {} s)", data_.file,
                                                    duration_));
        if (m_ <= params_.size())
            throw std::invalid_argument(fmt::format("{}: {} measured samples for {} parameters: a fit needs more samples "
                                                    "than parameters", data_.file, m_, params_.size()));
        classify(start);
    }

    // Which parameters take forward sensitivities (--sensitivities), and why the others not.
    void classify(const std::vector<double>& start) {
        fp_.site = site_, fp_.set_files = opt_.set_files, fp_.params = params_;
        fp_.overrides = [this](const std::vector<double>& p) { return overrides(p); };
        fp_.duration = duration_, fp_.threads = std::max(1, opt_.threads);
        forward_.assign(params_.size(), false);
        methods_.assign(params_.size(), "finite differences");
        notes_.assign(params_.size(), "");
        for (std::size_t k = 0; k < params_.size(); ++k) {
            if (opt_.sensitivities == Sensitivities::fd) {
                notes_[k] = "--sensitivities fd";
                continue;
            }
            const std::string why = forward_refusal(fp_, start, k);
            if (why.empty()) {
                forward_[k] = true, methods_[k] = "forward";
            } else if (opt_.sensitivities == Sensitivities::forward) {
                throw std::invalid_argument(fmt::format("--sensitivities forward: --fit '{}': the model cannot take this "
                                                        "key in place: {}; use --sensitivities auto (finite differences "
                                                        "for this key) or fd", params_[k].text, why));
            } else {
                notes_[k] = why;
            }
        }
    }
    const std::vector<std::string>& methods() const { return methods_; }
    const std::vector<std::string>& notes() const { return notes_; }
    const std::vector<std::string>& fallbacks() const { return fallbacks_; }
    std::size_t forward_runs() const { return forward_runs_; }
    const ForwardStats& forward_stats() const { return fstats_; }
    double forward_wall_s() const { return forward_wall_s_; }
    double forward_output_s() const { return forward_output_s_; }

    // d(residual)/dx at p: a finite-difference column (r(pert[k]) - r(p)) / div[k] for a key
    // without forward sensitivities, dr/dp_k * chain[k] (chain = dp_k/dx_k) for one with.
    // Also r at p: from the ordinary run (the finite differences' base), or with every column
    // forward from the forward run's rows (within the solver's tolerance of it).
    Eigen::MatrixXd jacobian(const std::vector<double>& p, const std::vector<std::vector<double>>& pert,
                             const std::vector<double>& div, const std::vector<double>& chain, Eigen::VectorXd& r) {
        const std::size_t n = params_.size();
        std::vector<std::size_t> which;
        for (std::size_t k = 0; k < n; ++k)
            if (forward_[k]) which.push_back(k);
        std::optional<ForwardRun> fw;
        if (!which.empty()) {
            std::vector<std::size_t> cols;
            for (const auto& tg : targets_) cols.push_back(tg.col);
            try {
                fw = run_forward(fp_, p, which, cols);
                ++forward_runs_;
                fstats_.steps += fw->stats.steps, fstats_.sens_rhs += fw->stats.sens_rhs;
                fstats_.reinits += fw->stats.reinits;
                forward_wall_s_ += fw->wall_s, forward_output_s_ += fw->output_s;
            } catch (const ForwardRefused& e) {
                if (opt_.sensitivities == Sensitivities::forward)
                    throw std::runtime_error(fmt::format("--sensitivities forward: {}", e.what()));
                // Finite differences from here on: the next run near p would meet it again.
                fallbacks_.push_back(e.what());
                for (std::size_t k : which) {
                    forward_[k] = false, methods_[k] = "finite differences";
                    notes_[k] = "a forward run was refused";
                }
            }
        }
        std::vector<std::vector<double>> ps{p};
        std::vector<std::size_t> fd;
        for (std::size_t k = 0; k < n; ++k)
            if (!forward_[k] || !fw) fd.push_back(k), ps.push_back(pert[k]);
        std::vector<Simulated> sims;
        if (fd.empty()) {
            // All columns forward: r from the forward run's own rows (no run more).
            Simulated s(targets_.size());
            for (std::size_t j = 0; j < targets_.size(); ++j) {
                const Target& tg = targets_[j];
                s[j] = sample(fw->t, fw->v[j], tg.t);
                for (double& v : s[j]) v = (tg.r_scale * v + tg.r_offset - tg.m->offset) / tg.m->scale;
            }
            r = residual(s);
        } else {
            sims = simulate(ps);
            r = residual(sims[0]);
        }
        Eigen::MatrixXd J{r.size(), Eigen::Index(n)};
        for (std::size_t i = 0; i < fd.size(); ++i)
            J.col(Eigen::Index(fd[i])) = (residual(sims[i + 1]) - r) / div[fd[i]];
        if (fw)
            for (std::size_t w = 0; w < which.size(); ++w) {
                Eigen::Index row = 0;
                const std::size_t k = which[w];
                for (std::size_t j = 0; j < targets_.size(); ++j) {
                    const Target& tg = targets_[j];
                    const auto d = sample(fw->t, fw->d[w][j], tg.t);
                    const auto v = sample(fw->t, fw->v[j], tg.t);
                    for (std::size_t i = 0; i < d.size(); ++i, ++row) {
                        const double g = tg.r_scale * d[i] / tg.m->scale / tg.scale * chain[k];
                        J(row, Eigen::Index(k)) = std::isfinite(g) && std::isfinite(v[i]) ? g : 0.0;
                    }
                }
            }
        return J;
    }

    // Simulated values for each parameter vector [SI], runs in parallel. Throws the first
    // failure (with the parameter values that caused it).
    std::vector<Simulated> simulate(const std::vector<std::vector<double>>& ps) {
        std::vector<Simulated> out(ps.size());
        std::vector<std::string> errors(ps.size());
        const int per_run = ps.size() > 1 ? 1 : std::max(1, opt_.threads);
        pool_.run(std::int64_t(ps.size()), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) try {
                    out[std::size_t(i)] = run_one(ps[std::size_t(i)], per_run);
                } catch (const std::exception& ex) {
                    errors[std::size_t(i)] = ex.what();
                }
        });
        for (std::size_t i = 0; i < ps.size(); ++i)
            if (!errors[i].empty()) {
                std::string at;
                for (std::size_t k = 0; k < params_.size(); ++k)
                    at += fmt::format("{}{}={}", k ? ", " : "", params_[k].key, value_text(ps[i][k], params_[k].unit));
                throw std::runtime_error(fmt::format("the run with {} failed: {}", at, errors[i]));
            }
        return out;
    }

    // The scaled residual vector (simulated - measured) / scale.
    Eigen::VectorXd residual(const Simulated& s) const {
        Eigen::VectorXd r{Eigen::Index(m_)};
        Eigen::Index k = 0;
        for (std::size_t j = 0; j < targets_.size(); ++j)
            for (std::size_t i = 0; i < targets_[j].meas.size(); ++i) {
                const double d = (s[j][i] - targets_[j].meas[i]) / targets_[j].scale;
                r[k++] = std::isfinite(d) ? d : 0.0;  // a missing simulated value adds nothing
            }
        return r;
    }

    std::vector<std::string> overrides(const std::vector<double>& p) const {
        std::vector<std::string> o = opt_.sets;
        for (std::size_t k = 0; k < params_.size(); ++k) o.push_back(params_[k].key + "=" + value_text(p[k], params_[k].unit));
        return o;
    }

private:
    Simulated run_one(const std::vector<double>& p, int threads) {
        // The fitted values go after the user's --set: they are what is being varied.
        SiteSpec spec = load_site(site_, overrides(p), opt_.set_files);
        spec.simulation.threads = threads;
        SiteModel model(spec);
        std::vector<double> rt;
        std::vector<std::vector<double>> rv(targets_.size());
        RunOptions ro;
        ro.duration = duration_;
        ro.on_row = [&](double t, const std::vector<double>& row) {
            rt.push_back(t);
            for (std::size_t j = 0; j < targets_.size(); ++j) rv[j].push_back(row[targets_[j].col]);
        };
        run_site(model, ro);
        ++runs_;
        Simulated out(targets_.size());
        for (std::size_t j = 0; j < targets_.size(); ++j) {
            const Target& tg = targets_[j];
            const MeasuredSeries& ms = *tg.m;
            out[j] = sample(rt, rv[j], tg.t);
            for (double& v : out[j]) v = (tg.r_scale * v + tg.r_offset - ms.offset) / ms.scale;
        }
        return out;
    }

    // Row values v at the times t [s]: linear in time between the rows around each; rows
    // sharing a time: the later; before the first row, the first.
    static std::vector<double> sample(const std::vector<double>& rt, const std::vector<double>& rv,
                                      const std::vector<double>& ts) {
        std::vector<double> out(ts.size());
        for (std::size_t i = 0; i < ts.size(); ++i) {
            const double t = ts[i];
            const auto it = std::upper_bound(rt.begin(), rt.end(), t);
            double v = kNaN;
            if (it == rt.begin()) {
                v = rt.empty() ? kNaN : rv.front();
            } else {
                const std::size_t b = std::size_t(it - rt.begin()) - 1;
                if (it == rt.end() || rt[b] == t) {
                    v = rv[b];
                } else {
                    const double w = (t - rt[b]) / (rt[b + 1] - rt[b]);
                    v = rv[b] + w * (rv[b + 1] - rv[b]);
                }
            }
            out[i] = v;
        }
        return out;
    }

    std::string site_;
    const MeasuredData& data_;
    ForwardProblem fp_;
    std::vector<bool> forward_;
    std::vector<std::string> methods_, notes_, fallbacks_;
    std::size_t forward_runs_ = 0;
    ForwardStats fstats_;
    double forward_wall_s_ = 0, forward_output_s_ = 0;
    std::vector<FitParameter> params_;
    CalibrateOptions opt_;
    WorkerPool pool_;
    std::vector<Target> targets_;
    std::size_t m_ = 0;
    double duration_ = 0;
    std::atomic<std::size_t> runs_{0};
};

// Levenberg-Marquardt in u, p = lo + (hi - lo) (1 + sin u) / 2: the bounds hold without
// constraints (MINUIT's transform); the Jacobian's columns are forward differences in u.
struct Functor : Eigen::DenseFunctor<double> {
    Functor(Problem& pr, double step) : DenseFunctor(int(pr.params().size()), int(pr.residuals())), pr(pr), h(step) {}
    std::vector<double> to_p(const Eigen::VectorXd& u) const {
        std::vector<double> p(std::size_t(u.size()));
        for (Eigen::Index k = 0; k < u.size(); ++k) {
            const auto& q = pr.params()[std::size_t(k)];
            p[std::size_t(k)] = q.lo + (q.hi - q.lo) * 0.5 * (1 + std::sin(u[k]));
        }
        return p;
    }
    int operator()(const Eigen::VectorXd& u, Eigen::VectorXd& f) {
        try {
            f = pr.residual(pr.simulate({to_p(u)})[0]);
        } catch (const std::exception& e) {
            error = e.what();
            return -1;
        }
        return 0;
    }
    int df(const Eigen::VectorXd& u, Eigen::MatrixXd& J) {
        const std::vector<double> p = to_p(u);
        std::vector<std::vector<double>> pert;
        std::vector<double> hs, chain;
        for (Eigen::Index k = 0; k < u.size(); ++k) {
            Eigen::VectorXd v = u;
            // Toward the middle of the range, where sin is not flat.
            const double hk = std::sin(u[k]) > 0 ? -2 * h : 2 * h;
            v[k] += hk;
            hs.push_back(hk);
            pert.push_back(to_p(v));
            const auto& q = pr.params()[std::size_t(k)];
            chain.push_back((q.hi - q.lo) * 0.5 * std::cos(u[k]));  // dp/du
        }
        try {
            Eigen::VectorXd f0;
            J = pr.jacobian(p, pert, hs, chain, f0);
        } catch (const std::exception& e) {
            error = e.what();
            return -1;
        }
        return 0;
    }
    Problem& pr;
    double h;
    std::string error;
};

const char* stop_reason(Eigen::LevenbergMarquardtSpace::Status s) {
    using namespace Eigen::LevenbergMarquardtSpace;
    switch (s) {
        case RelativeReductionTooSmall: return "converged: the sum of squares no longer decreases (ftol)";
        case RelativeErrorTooSmall: return "converged: the parameters no longer move (xtol)";
        case RelativeErrorAndReductionTooSmall: return "converged (ftol and xtol)";
        case CosinusTooSmall: return "converged: the residuals are orthogonal to the Jacobian (gtol)";
        case TooManyFunctionEvaluation: return "stopped: too many runs (--max-iterations)";
        case FtolTooSmall:
        case XtolTooSmall:
        case GtolTooSmall: return "converged to the precision of the runs";
        case UserAsked: return "stopped: a run failed";
        default: return "stopped";
    }
}

}  // namespace

Calibration calibrate(const std::string& site, const MeasuredData& data, const std::vector<FitRequest>& requests,
                      const CalibrateOptions& opt) {
    const auto wall0 = std::chrono::steady_clock::now();
    if (requests.empty()) throw std::invalid_argument("nothing to fit: give at least one --fit KEY[=LO..HI]");
    const SiteSpec spec0 = load_site(site, opt.sets, opt.set_files);
    std::vector<FitParameter> params;
    for (const auto& r : requests) {
        for (const auto& q : params)
            if (q.key == r.key) throw std::invalid_argument(fmt::format("--fit {}: this key is fitted twice", r.key));
        params.push_back(resolve_parameter(r, spec0.resolved_yaml));
    }
    Problem pr(site, data, params, opt);
    pr.setup();
    const std::size_t n = params.size(), m = pr.residuals();

    Calibration c;
    c.site = site, c.measured = data.file, c.duration = pr.duration(), c.residuals = m;
    Functor f(pr, opt.step);
    Eigen::VectorXd u{Eigen::Index(n)};
    // Shifted by 2 pi (sin is periodic): MINPACK scales its step bound and tests convergence
    // by |u|, which is 0 at the middle of a range.
    for (std::size_t k = 0; k < n; ++k)
        u[Eigen::Index(k)] = 2 * M_PI + std::asin(std::clamp(2 * (params[k].start - params[k].lo) / (params[k].hi - params[k].lo) - 1, -1.0, 1.0));
    std::vector<double> p0 = f.to_p(u);
    const Simulated before = pr.simulate({p0})[0];
    c.cost_before = pr.residual(before).squaredNorm();

    Eigen::LevenbergMarquardt<Functor> lm(f);
    // The first step at most 0.1 |u| (about 0.6, a quarter of a range), as u is periodic:
    // MINPACK's default of 100 |u| wraps around the bounds.
    lm.setFactor(0.1);
    lm.setXtol(opt.xtol);
    lm.setFtol(1e-12);
    lm.setMaxfev(Eigen::Index(opt.max_iterations) * 4);
    auto status = lm.minimizeInit(u);
    if (status != Eigen::LevenbergMarquardtSpace::ImproperInputParameters) {
        do {
            status = lm.minimizeOneStep(u);
        } while (status == Eigen::LevenbergMarquardtSpace::Running && lm.iterations() <= opt.max_iterations);
    }
    if (status == Eigen::LevenbergMarquardtSpace::UserAsked) throw std::runtime_error(f.error);
    c.stop = status == Eigen::LevenbergMarquardtSpace::Running ? "stopped: --max-iterations reached" : stop_reason(status);
    c.iterations = int(lm.iterations());

    // At the optimum: the Jacobian in q = p / (hi - lo), forward differences inward.
    const std::vector<double> p = f.to_p(u);
    std::vector<std::vector<double>> pert;
    std::vector<double> hs, chain;
    for (std::size_t k = 0; k < n; ++k) {
        std::vector<double> v = p;
        const double range = params[k].hi - params[k].lo;
        const double dq = (p[k] - params[k].lo > params[k].hi - p[k] ? -1 : 1) * opt.step;
        v[k] += dq * range;
        hs.push_back(dq);
        pert.push_back(v);
        chain.push_back(range);  // dp/dq
    }
    Eigen::VectorXd r;
    const Eigen::MatrixXd J = pr.jacobian(p, pert, hs, chain, r);
    // The residuals of the ordinary run (a forward run's differ by the solver's tolerance).
    const Simulated at_fit = pr.simulate({p})[0];
    r = pr.residual(at_fit);
    c.cost_after = r.squaredNorm();
    const double dof = double(m - n);
    const double s2 = c.cost_after / dof;
    // Columns normalised: the condition and the weak directions do not depend on units.
    Eigen::VectorXd norms = J.colwise().norm().transpose();
    for (Eigen::Index k = 0; k < norms.size(); ++k)
        if (!(norms[k] > 0)) norms[k] = 1;
    const Eigen::MatrixXd Jn = J * norms.cwiseInverse().asDiagonal();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(Jn, Eigen::ComputeThinV);
    const Eigen::VectorXd sv = svd.singularValues();
    const double smax = sv[0], smin = sv[sv.size() - 1];
    c.condition = smin > 0 ? (smax / smin) * (smax / smin) : std::numeric_limits<double>::infinity();
    // (Jn^T Jn)^+ through the SVD; directions below 1e-8 of the largest are left out (and reported).
    Eigen::MatrixXd Cn = Eigen::MatrixXd::Zero(Eigen::Index(n), Eigen::Index(n));
    for (Eigen::Index i = 0; i < sv.size(); ++i) {
        if (sv[i] > 1e-8 * smax) {
            Cn += svd.matrixV().col(i) * svd.matrixV().col(i).transpose() / (sv[i] * sv[i]);
        } else {
            for (Eigen::Index k = 0; k < Eigen::Index(n); ++k)
                if (std::abs(svd.matrixV()(k, i)) > 0.3) c.weak.push_back(std::size_t(k));
        }
    }
    const Eigen::MatrixXd C = s2 * (norms.cwiseInverse().asDiagonal() * Cn * norms.cwiseInverse().asDiagonal());
    const double tq = boost::math::quantile(boost::math::complement(boost::math::students_t_distribution<double>(dof), 0.025));
    c.correlation.assign(n, std::vector<double>(n, 0.0));
    for (std::size_t k = 0; k < n; ++k) {
        ParameterFit pf;
        pf.p = params[k];
        pf.value = p[k];
        pf.method = pr.methods()[k];
        pf.method_note = pr.notes()[k];
        const double range = params[k].hi - params[k].lo;
        pf.std_error = std::sqrt(std::max(0.0, C(Eigen::Index(k), Eigen::Index(k)))) * range;
        if (std::find(c.weak.begin(), c.weak.end(), k) != c.weak.end()) pf.std_error = std::numeric_limits<double>::infinity();
        pf.lo95 = pf.value - tq * pf.std_error, pf.hi95 = pf.value + tq * pf.std_error;
        pf.at_bound = std::min(p[k] - params[k].lo, params[k].hi - p[k]) < 1e-6 * range;
        // The normalised J hides a parameter the data hardly depend on: one whose 95 % interval
        // is wider than the range it was given, or whose whole range moves the residuals by a
        // millionth of what another's does, is not identifiable from this data either.
        const bool flat = norms[Eigen::Index(k)] < 1e-6 * norms.maxCoeff() || !(pf.hi95 - pf.lo95 <= range);
        if (flat && std::find(c.weak.begin(), c.weak.end(), k) == c.weak.end()) c.weak.push_back(k);
        c.parameters.push_back(pf);
        for (std::size_t l = 0; l < n; ++l) {
            // From (J^T J)^+ itself: defined also for a perfect fit (s = 0).
            const auto K = Eigen::Index(k), L = Eigen::Index(l);
            const double d = std::sqrt(Cn(K, K) * Cn(L, L));
            c.correlation[k][l] = k == l ? 1.0 : d > 0 ? Cn(K, L) / d : kNaN;
            if (l > k && std::abs(c.correlation[k][l]) > kNotIdentifiable) c.correlated.emplace_back(k, l);
        }
    }
    for (std::size_t j = 0; j < pr.targets().size(); ++j) {
        const Target& tg = pr.targets()[j];
        SeriesFit sf;
        sf.heading = fmt::format("{} [{}]", tg.m->path, tg.m->unit);
        sf.unit = tg.m->unit;
        sf.pairs = tg.meas.size();
        sf.scale = tg.scale;
        sf.cv_before = cv_rmse(tg.meas, before[j], kGuideline14P);
        sf.nmbe_before = nmbe(tg.meas, before[j], kGuideline14P);
        sf.cv_after = cv_rmse(tg.meas, at_fit[j], kGuideline14P);
        sf.nmbe_after = nmbe(tg.meas, at_fit[j], kGuideline14P);
        c.series.push_back(sf);
    }
    c.runs = pr.runs();
    c.forward_runs = pr.forward_runs();
    c.forward_steps = pr.forward_stats().steps, c.forward_sens_rhs = pr.forward_stats().sens_rhs;
    c.forward_reinits = pr.forward_stats().reinits;
    c.forward_wall_s = pr.forward_wall_s(), c.forward_output_s = pr.forward_output_s();
    c.fallbacks = pr.fallbacks();
    c.sensitivities = opt.sensitivities == Sensitivities::fd ? "fd" : opt.sensitivities == Sensitivities::forward ? "forward" : "auto";
    c.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    return c;
}

}  // namespace dctwin::calib
