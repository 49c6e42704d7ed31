#include "sweep/sweep_file.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <cstring>

#include "input/file_reader.hpp"
#include "input/site_loader.hpp"
#include "input/units.hpp"
#include "sweep/summary.hpp"
#include "sweep/yaml_source.hpp"

namespace dctwin::sweep {

namespace fs = std::filesystem;

namespace {

using namespace yaml;

long long whole(const Source& src, const YAML::Node& n, const std::string& path, long long lo, long long hi) {
    const std::string t = scalar(src, n, path, "a whole number");
    long long v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc{} || p != t.data() + t.size() || v < lo || v > hi)
        src.fail(n, path, fmt::format("expected a whole number from {} to {}, found \"{}\"", lo, hi, t));
    return v;
}

// A value as --set takes it: a scalar's text, or a collection in YAML flow style.
std::string value_text(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    YAML::Emitter out;
    out.SetMapFormat(YAML::Flow);
    out.SetSeqFormat(YAML::Flow);
    out << n;
    return out.c_str();
}

// A number with an optional unit, e.g. "20 degC", as a range or bound.
std::pair<double, std::string> quantity(const Source& src, const YAML::Node& n, const std::string& path) {
    const std::string t = scalar(src, n, path, "a number with an optional unit (e.g. \"20 degC\")");
    double v = 0;
    std::string unit;
    if (!split_number(t, v, unit))
        src.fail(n, path, fmt::format("expected a number with an optional unit (e.g. \"20 degC\"), found \"{}\"", t));
    return {v, unit};
}

// "Latin hypercube" rows are kept per design node as columns of value texts.
struct Block {
    std::vector<std::size_t> params;             // indices into Sweep::parameters
    std::vector<std::vector<std::string>> rows;  // rows[case][k] for params[k]
};

std::string fmt_number(double v) { return fmt::format("{}", v); }

std::string with_unit(double v, const std::string& unit) {
    return unit.empty() ? fmt_number(v) : fmt::format("{} {}", fmt_number(v), unit);
}

class DesignBuilder {
public:
    DesignBuilder(const Source& src, Sweep& s) : src_(src), s_(s) {}

    Block node(const YAML::Node& n, const std::string& path) {
        if (n.IsScalar()) return single(n, path);
        if (!n.IsMap() || n.size() != 1)
            src_.fail(n, path,
                      fmt::format("expected a parameter name or a map with one of product, zip, latin_hypercube; "
                                  "found {}",
                                  n.IsMap() ? "a map of " + std::to_string(n.size()) + " keys" : kind_of(n)));
        const auto es = entries(src_, n, path, {"product", "zip", "latin_hypercube"});
        const auto& [key, body] = es.front();
        const std::string here = join(path, key);
        if (key == "latin_hypercube") return lhs(body, here);
        if (!body.IsSequence() || body.size() == 0)
            src_.fail(body, here, fmt::format("expected a list of parameter names or designs, found {}",
                                              body.IsSequence() ? "an empty list" : kind_of(body)));
        std::vector<Block> parts;
        for (std::size_t i = 0; i < body.size(); ++i) parts.push_back(node(body[i], join(here, std::to_string(i))));
        return key == "product" ? product(parts, body, here) : zip(parts, body, here);
    }

    // Every parameter must be used once.
    void check_all_used(const YAML::Node& design, const std::string& path) const {
        for (std::size_t i = 0; i < s_.parameters.size(); ++i)
            if (!used_.count(i))
                src_.fail(design, path,
                          fmt::format("parameter \"{}\" is not used by the design; every parameter appears in it once",
                                      s_.parameters[i].name));
    }

private:
    std::size_t use(const YAML::Node& n, const std::string& path) {
        const std::string name = scalar(src_, n, path, "a parameter name");
        for (std::size_t i = 0; i < s_.parameters.size(); ++i) {
            if (s_.parameters[i].name != name) continue;
            if (!used_.insert(i).second)
                src_.fail(n, path, fmt::format("parameter \"{}\" appears twice in the design", name));
            return i;
        }
        std::string list;
        for (const auto& p : s_.parameters) list += (list.empty() ? "" : ", ") + p.name;
        src_.fail(n, path, fmt::format("unknown parameter \"{}\"; the parameters are: {}", name, list));
    }

    Block single(const YAML::Node& n, const std::string& path) {
        const std::size_t i = use(n, path);
        const Parameter& p = s_.parameters[i];
        if (p.kind == Parameter::Kind::between)
            src_.fail(n, path,
                      fmt::format("parameter \"{}\" has bounds (between): it is sampled inside a latin_hypercube, "
                                  "not used alone",
                                  p.name));
        Block b;
        b.params = {i};
        for (const auto& v : p.values) b.rows.push_back({v});
        return b;
    }

    Block product(const std::vector<Block>& parts, const YAML::Node& at, const std::string& path) {
        std::size_t total = 1;
        for (const auto& p : parts) {
            if (p.rows.empty() || total > kMaxCases / p.rows.size())
                src_.fail(at, path, fmt::format("the product has more than {} cases", kMaxCases));
            total *= p.rows.size();
        }
        Block b;
        for (const auto& p : parts) b.params.insert(b.params.end(), p.params.begin(), p.params.end());
        b.rows.reserve(total);
        // Row-major: the first entry varies slowest, as nested loops written in that order.
        std::vector<std::size_t> idx(parts.size(), 0);
        for (std::size_t c = 0; c < total; ++c) {
            std::vector<std::string> row;
            for (std::size_t k = 0; k < parts.size(); ++k)
                row.insert(row.end(), parts[k].rows[idx[k]].begin(), parts[k].rows[idx[k]].end());
            b.rows.push_back(std::move(row));
            for (std::size_t k = parts.size(); k-- > 0;) {
                if (++idx[k] < parts[k].rows.size()) break;
                idx[k] = 0;
            }
        }
        return b;
    }

    Block zip(const std::vector<Block>& parts, const YAML::Node& at, const std::string& path) {
        for (std::size_t k = 1; k < parts.size(); ++k)
            if (parts[k].rows.size() != parts[0].rows.size())
                src_.fail(at[k], join(path, std::to_string(k)),
                          fmt::format("a zip pairs entries one by one: expected {} values (as entry 0), found {}",
                                      parts[0].rows.size(), parts[k].rows.size()));
        Block b;
        for (const auto& p : parts) b.params.insert(b.params.end(), p.params.begin(), p.params.end());
        for (std::size_t c = 0; c < parts[0].rows.size(); ++c) {
            std::vector<std::string> row;
            for (const auto& p : parts) row.insert(row.end(), p.rows[c].begin(), p.rows[c].end());
            b.rows.push_back(std::move(row));
        }
        return b;
    }

    Block lhs(const YAML::Node& body, const std::string& path) {
        const auto es = entries(src_, body, path, {"samples", "seed", "parameters"});
        for (const char* k : {"samples", "seed", "parameters"})
            if (!find(es, k)) src_.fail(body, path, fmt::format("missing required key \"{}\"", k));
        const auto samples = std::size_t(whole(src_, *find(es, "samples"), join(path, "samples"), 1, kMaxCases));
        const std::string seed_path = join(path, "seed");
        const auto seed = std::uint64_t(whole(src_, *find(es, "seed"), seed_path, 0, (1LL << 53)));
        const YAML::Node& names = *find(es, "parameters");
        const std::string names_path = join(path, "parameters");
        if (!names.IsSequence() || names.size() == 0)
            src_.fail(names, names_path, fmt::format("expected a list of parameter names (with bounds), found {}",
                                                     names.IsSequence() ? "an empty list" : kind_of(names)));
        Block b;
        for (std::size_t k = 0; k < names.size(); ++k) {
            const std::size_t i = use(names[k], join(names_path, std::to_string(k)));
            if (s_.parameters[i].kind != Parameter::Kind::between)
                src_.fail(names[k], join(names_path, std::to_string(k)),
                          fmt::format("parameter \"{}\" has no bounds: a latin_hypercube samples parameters given "
                                      "with `between: {{min: ..., max: ...}}`",
                                      s_.parameters[i].name));
            b.params.push_back(i);
        }
        const auto u = latin_hypercube(samples, b.params.size(), seed);
        for (std::size_t c = 0; c < samples; ++c) {
            std::vector<std::string> row;
            for (std::size_t k = 0; k < b.params.size(); ++k) {
                const Parameter& p = s_.parameters[b.params[k]];
                double v = p.min + (p.max - p.min) * u[c * b.params.size() + k];
                if (p.step > 0) v = std::min(p.max, p.min + std::round((v - p.min) / p.step) * p.step);
                row.push_back(with_unit(v, p.unit));
            }
            b.rows.push_back(std::move(row));
        }
        return b;
    }

    const Source& src_;
    Sweep& s_;
    std::set<std::size_t> used_;
};

Parameter parameter(const Source& src, const std::string& name, const YAML::Node& n, const std::string& path) {
    Parameter p;
    p.name = name;
    p.line = n.Mark().line + 1;
    p.col = n.Mark().column + 1;
    for (const char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
            src.fail(n, path, fmt::format("a parameter name holds letters, digits, _ and -; found \"{}\"", name));
    const auto es = entries(src, n, path, {"key", "values", "range", "between"});
    const YAML::Node* key = find(es, "key");
    if (!key) src.fail(n, path, "missing required key \"key\" (the key path the parameter overrides, as for --set)");
    p.key = scalar(src, *key, join(path, "key"), "a key path (e.g. coolant.supply_temperature)");
    if (p.key.empty() || p.key.find('=') != std::string::npos)
        src.fail(*key, join(path, "key"), fmt::format("expected a key path (e.g. coolant.supply_temperature), found \"{}\"", p.key));
    const int kinds = int(find(es, "values") != nullptr) + int(find(es, "range") != nullptr) +
                      int(find(es, "between") != nullptr);
    if (kinds != 1)
        src.fail(n, path, fmt::format("expected exactly one of values (a list), range (from, to, steps) or between "
                                      "(min, max: for a latin_hypercube); found {} of them",
                                      kinds));
    if (const YAML::Node* v = find(es, "values")) {
        const std::string vp = join(path, "values");
        if (!v->IsSequence() || v->size() == 0)
            src.fail(*v, vp, fmt::format("expected a list of values, found {}",
                                         v->IsSequence() ? "an empty list" : kind_of(*v)));
        p.kind = Parameter::Kind::list;
        bool first = true;
        for (std::size_t i = 0; i < v->size(); ++i) {
            const YAML::Node& e = (*v)[i];
            if (!e.IsScalar() && !e.IsSequence() && !e.IsMap())
                src.fail(e, join(vp, std::to_string(i)), "expected a value, found nothing");
            p.values.push_back(value_text(e));
            double x = 0;
            std::string unit;
            const bool num = e.IsScalar() && split_number(e.Scalar(), x, unit);
            if (!num || (!first && unit != p.unit)) p.numeric = false;
            if (first) p.unit = unit;
            first = false;
        }
        if (!p.numeric) p.unit.clear();
    } else if (const YAML::Node* r = find(es, "range")) {
        const std::string rp = join(path, "range");
        const auto rs = entries(src, *r, rp, {"from", "to", "steps"});
        for (const char* k : {"from", "to", "steps"})
            if (!find(rs, k)) src.fail(*r, rp, fmt::format("missing required key \"{}\"", k));
        p.kind = Parameter::Kind::range;
        const auto [from, u1] = quantity(src, *find(rs, "from"), join(rp, "from"));
        const auto [to, u2] = quantity(src, *find(rs, "to"), join(rp, "to"));
        if (u1 != u2)
            src.fail(*find(rs, "to"), join(rp, "to"),
                     fmt::format("expected the unit of `from` (\"{}\"), found \"{}\"", u1, u2));
        const auto steps = std::size_t(whole(src, *find(rs, "steps"), join(rp, "steps"), 1, (long long)kMaxCases));
        if (steps == 1 && from != to)
            src.fail(*find(rs, "steps"), join(rp, "steps"),
                     "expected at least 2 steps (the values include both ends) when from and to differ");
        p.unit = u1;
        for (std::size_t i = 0; i < steps; ++i) {
            // The ends exactly as written; evenly spaced between.
            const double v = i + 1 == steps ? to : from + (to - from) * double(i) / double(steps - 1);
            p.values.push_back(with_unit(v, p.unit));
        }
    } else {
        const YAML::Node& b = *find(es, "between");
        const std::string bp = join(path, "between");
        const auto bs = entries(src, b, bp, {"min", "max", "step"});
        for (const char* k : {"min", "max"})
            if (!find(bs, k)) src.fail(b, bp, fmt::format("missing required key \"{}\"", k));
        p.kind = Parameter::Kind::between;
        const auto [lo, u1] = quantity(src, *find(bs, "min"), join(bp, "min"));
        const auto [hi, u2] = quantity(src, *find(bs, "max"), join(bp, "max"));
        if (u1 != u2)
            src.fail(*find(bs, "max"), join(bp, "max"),
                     fmt::format("expected the unit of `min` (\"{}\"), found \"{}\"", u1, u2));
        if (!(hi > lo))
            src.fail(*find(bs, "max"), join(bp, "max"), fmt::format("expected a value above min ({}), found {}", lo, hi));
        p.unit = u1;
        p.min = lo;
        p.max = hi;
        if (const YAML::Node* st = find(bs, "step")) {
            const auto [step, u3] = quantity(src, *st, join(bp, "step"));
            // A temperature step is a difference: K goes with degC bounds.
            const bool same = u3 == u1 || u3.empty() || (u3 == "K" && (u1 == "degC" || u1 == "degF"));
            if (!same || !(step > 0) || step > hi - lo)
                src.fail(*st, join(bp, "step"),
                         fmt::format("expected a positive rounding step in the unit of min and max, at most max - min; "
                                     "found \"{}\"",
                                     st->Scalar()));
            p.step = step;
        }
    }
    return p;
}

// The base site (with the fixed overrides) must load, and each parameter's key path must
// lead somewhere: a typo would fail every case.
void check_against_base(const Source& src, const Sweep& s, const YAML::Node& set_node, const YAML::Node& base_node) {
    try {
        load_site_text(s.base_text, s.base_path, s.fixed);
    } catch (const InputError& e) {
        if (e.loc.file == "--set" && e.loc.line >= 1 && std::size_t(e.loc.line) <= s.fixed.size())
            src.fail(set_node[std::size_t(e.loc.line - 1)], fmt::format("set.{}", e.loc.line - 1), e.detail);
        src.fail(base_node, "base", fmt::format("the base site does not load:\n{}", e.what()));
    }
    for (const auto& p : s.parameters) {
        if (p.kind == Parameter::Kind::between) continue;
        std::vector<std::string> sets = s.fixed;
        sets.push_back(p.key + "=" + p.values.front());
        try {
            load_site_text(s.base_text, s.base_path, sets);
        } catch (const InputError& e) {
            const bool in_path = e.loc.file == "--set" && std::size_t(e.loc.line) == sets.size() &&
                                 (e.key_path != p.key || e.detail.rfind("unknown key", 0) == 0);
            if (in_path) src.fail(p.line, p.col, "parameters." + p.name + ".key", e.detail);
            // Otherwise the value itself is refused: that case fails and is recorded.
        }
    }
}

}  // namespace

bool split_number(std::string_view t, double& number, std::string& unit) {
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (t.empty()) return false;
    const char* b = t.data() + (t.front() == '+' ? 1 : 0);
    const auto [p, ec] = std::from_chars(b, t.data() + t.size(), number);
    if (ec != std::errc{} || !std::isfinite(number)) return false;
    std::string_view rest(p, std::size_t(t.data() + t.size() - p));
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    for (const char c : rest)
        if (c == ' ' || c == '\t' || c == ',' || c == '[' || c == '{') return false;
    unit = std::string(rest);
    return true;
}

std::string content_hash(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return fmt::format("{:016x}", h);
}

std::vector<double> latin_hypercube(std::size_t samples, std::size_t dims, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    // An unbiased integer in [0, n): rejection of the top partial block of 2^64.
    auto below = [&](std::uint64_t n) {
        const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                    std::numeric_limits<std::uint64_t>::max() % n;
        std::uint64_t x = rng();
        while (x >= limit) x = rng();
        return x % n;
    };
    // 53 random bits: a double in [0, 1) exactly representable, the same everywhere.
    auto unit = [&] { return double(rng() >> 11) * 0x1.0p-53; };
    std::vector<double> out(samples * dims);
    std::vector<std::size_t> perm(samples);
    for (std::size_t d = 0; d < dims; ++d) {
        for (std::size_t i = 0; i < samples; ++i) perm[i] = i;
        for (std::size_t i = samples; i > 1; --i) std::swap(perm[i - 1], perm[below(i)]);  // Fisher-Yates
        for (std::size_t i = 0; i < samples; ++i)
            out[i * dims + d] = (double(perm[i]) + unit()) / double(samples);
    }
    return out;
}

std::vector<std::string> Sweep::overrides(std::size_t i) const {
    std::vector<std::string> sets = fixed;
    if (!case_sets.empty()) {
        sets.insert(sets.end(), case_sets.at(i).begin(), case_sets.at(i).end());
        return sets;
    }
    for (std::size_t k = 0; k < parameters.size(); ++k) sets.push_back(parameters[k].key + "=" + cases.at(i).values[k]);
    return sets;
}

Sweep load_sweep_text(std::string_view text, const std::string& label) {
    const Source src(label, text);
    const std::string kStart = "a sweep file starts with `dctwin_sweep: 1` (see sites/sweeps/README.md)";
    const YAML::Node doc = load_map(src, text, "sweep", kStart);
    const auto top = entries(src, doc, "",
                             {"dctwin_sweep", "name", "base", "run", "keep", "set", "parameters", "design"});
    const YAML::Node* version = find(top, "dctwin_sweep");
    if (!version) src.fail(doc, "", "missing required key \"dctwin_sweep\" (the format version); " + kStart);
    if (version->IsScalar() && version->Scalar() != std::to_string(kSweepFormatVersion))
        src.fail(*version, "dctwin_sweep",
                 fmt::format("this file is format {}, this dctwin reads format {}", version->Scalar(), kSweepFormatVersion));
    whole(src, *version, "dctwin_sweep", kSweepFormatVersion, kSweepFormatVersion);
    for (const char* k : {"base", "parameters"})
        if (!find(top, k)) src.fail(doc, "", fmt::format("missing required key \"{}\"", k));

    Sweep s;
    s.file = label;
    s.name = fs::path(label).stem().string();
    if (const YAML::Node* n = find(top, "name")) s.name = scalar(src, *n, "name", "a name");

    const YAML::Node& base = *find(top, "base");
    const std::string base_rel = scalar(src, base, "base", "the path of the base site file");
    fs::path bp(base_rel);
    if (bp.is_relative()) bp = fs::path(label).parent_path() / bp;
    s.base_path = bp.lexically_normal().string();
    try {
        s.base_text = read_text(s.base_path, "a site file", kMaxSiteBytes);
    } catch (const InputError& e) {
        src.fail(base, "base", e.detail + fmt::format(" (\"{}\")", s.base_path));
    }

    if (const YAML::Node* run = find(top, "run")) {
        const auto rs = entries(src, *run, "run", {"mode", "at", "duration", "cold_start"});
        std::string mode = "steady";
        if (const YAML::Node* m = find(rs, "mode")) {
            mode = scalar(src, *m, "run.mode", "steady or transient");
            if (mode != "steady" && mode != "transient")
                src.fail(*m, "run.mode", fmt::format("expected steady or transient, found \"{}\"", mode));
        }
        s.steady = mode == "steady";
        auto time_of = [&](const YAML::Node& n, const std::string& path, bool positive) {
            const std::string t = scalar(src, n, path, "a time with its unit (e.g. \"2 h\")");
            double v = 0;
            try {
                v = positive ? parse_duration(t) : parse_quantity(t, dims::time);
            } catch (const std::exception& e) {
                src.fail(n, path, fmt::format("expected a time with its unit (e.g. \"2 h\"): {}", e.what()));
            }
            if (!(v >= 0) || v > 36500 * 86400.0)
                src.fail(n, path, fmt::format("expected a time from 0 s to 36500 d, found \"{}\"", t));
            return v;
        };
        if (const YAML::Node* a = find(rs, "at")) {
            if (!s.steady) src.fail(*a, "run.at", "`at` is the time of a steady (design-point) solve; this run is transient");
            s.at_s = time_of(*a, "run.at", false);
        }
        if (const YAML::Node* d = find(rs, "duration")) {
            if (s.steady) src.fail(*d, "run.duration", "`duration` is for transient runs; set `mode: transient`");
            s.duration_s = time_of(*d, "run.duration", true);
        }
        if (const YAML::Node* c = find(rs, "cold_start")) {
            const std::string t = scalar(src, *c, "run.cold_start", "true or false");
            if (t != "true" && t != "false")
                src.fail(*c, "run.cold_start", fmt::format("expected true or false, found \"{}\"", t));
            if (s.steady) src.fail(*c, "run.cold_start", "`cold_start` is for transient runs; set `mode: transient`");
            s.cold_start = t == "true";
        }
    }
    if (const YAML::Node* k = find(top, "keep")) {
        const std::string t = scalar(src, *k, "keep", "summary or results");
        if (t != "summary" && t != "results")
            src.fail(*k, "keep", fmt::format("expected summary (a row per case) or results (also a results file per "
                                             "case), found \"{}\"",
                                             t));
        s.keep_results = t == "results";
    }
    YAML::Node set_node;
    if (const YAML::Node* st = find(top, "set")) {
        set_node = *st;
        if (!st->IsSequence())
            src.fail(*st, "set", fmt::format("expected a list of key.path=value overrides, found {}", kind_of(*st)));
        for (std::size_t i = 0; i < st->size(); ++i) {
            const std::string t = scalar(src, (*st)[i], fmt::format("set.{}", i), "a key.path=value override");
            if (t.find('=') == std::string::npos)
                src.fail((*st)[i], fmt::format("set.{}", i),
                         fmt::format("expected key.path=value (e.g. simulation.write_states=false), found \"{}\"", t));
            s.fixed.push_back(t);
        }
    }

    const YAML::Node& params = *find(top, "parameters");
    const auto ps = entries(src, params, "parameters", {});
    if (ps.empty()) src.fail(params, "parameters", "expected at least one parameter");
    std::set<std::string> columns = {"case"};
    for (const auto& c : result_columns()) columns.insert(c.name);
    for (const auto& [name, node] : ps) {
        s.parameters.push_back(parameter(src, name, node, "parameters." + name));
        // Parameter columns sit beside the result columns of the summary.
        if (!columns.insert(parameter_column(s.parameters.back())).second)
            src.fail(node, "parameters." + name,
                     fmt::format("the parameter's summary column \"{}\" is taken (by a result or another parameter); "
                                 "rename the parameter",
                                 parameter_column(s.parameters.back())));
    }

    DesignBuilder builder(src, s);
    Block block;
    if (const YAML::Node* d = find(top, "design")) {
        block = builder.node(*d, "design");
        builder.check_all_used(*d, "design");
    } else {
        // No design: the product of every parameter, in file order.
        YAML::Node all(YAML::NodeType::Sequence);
        for (const auto& p : s.parameters) all.push_back(p.name);
        YAML::Node product;
        product["product"] = all;
        for (const auto& p : s.parameters)
            if (p.kind == Parameter::Kind::between)
                src.fail(p.line, p.col, "parameters." + p.name,
                         "a parameter with bounds (between) needs a `design` with a latin_hypercube");
        block = builder.node(product, "design");
    }
    s.cases.resize(block.rows.size());
    for (std::size_t c = 0; c < block.rows.size(); ++c) {
        Case& k = s.cases[c];
        k.values.resize(s.parameters.size());
        for (std::size_t j = 0; j < block.params.size(); ++j) k.values[block.params[j]] = block.rows[c][j];
        k.numbers.assign(s.parameters.size(), std::nan(""));
        for (std::size_t j = 0; j < s.parameters.size(); ++j) {
            double x = 0;
            std::string unit;
            if (s.parameters[j].numeric && split_number(k.values[j], x, unit)) k.numbers[j] = x;
        }
    }
    check_against_base(src, s, set_node, base);

    // What decides the results: the base site, the run, the overrides and every case's values
    // (not the comments or the layout of the sweep file).
    std::string key = fmt::format("dctwin_sweep {}\n{}\n{} {} {} {} {}\n", kSweepFormatVersion, s.base_text, s.steady,
                                  s.at_s, s.duration_s, s.cold_start, s.keep_results);
    for (const auto& f : s.fixed) key += f + "\n";
    for (const auto& p : s.parameters) key += p.name + " " + p.key + "\n";
    for (const auto& c : s.cases) {
        for (const auto& v : c.values) key += v + "\x1f";
        key += "\n";
    }
    s.hash = content_hash(key);
    return s;
}

Sweep load_sweep(const std::string& path) {
    return load_sweep_text(read_text(path, "a sweep file", kMaxSweepBytes), path);
}

void apply_set_files(Sweep& sweep, const std::vector<std::string>& files) {
    if (files.empty()) return;
    load_site_text(sweep.base_text, sweep.base_path, {}, files);  // faults placed in the set file
    std::vector<std::string> fixed;
    for (const auto& f : files)
        for (auto& o : read_set_file(f)) fixed.push_back(std::move(o));
    std::string key = sweep.hash;
    for (const auto& o : fixed) key += "\n" + o;
    fixed.insert(fixed.end(), sweep.fixed.begin(), sweep.fixed.end());
    sweep.fixed = std::move(fixed);
    sweep.hash = content_hash(key);
}

}  // namespace dctwin::sweep
