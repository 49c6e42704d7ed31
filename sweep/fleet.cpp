#include "sweep/fleet.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include "input/file_reader.hpp"
#include "input/site_loader.hpp"
#include "input/units.hpp"
#include "models/headroom.hpp"
#include "models/simulation.hpp"
#include "sweep/journal.hpp"
#include "sweep/yaml_source.hpp"

namespace dctwin::sweep {

namespace fs = std::filesystem;

namespace {

using namespace yaml;

// A collection as YAML flow text (what --set takes); a scalar as its text.
std::string flow(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    YAML::Emitter out;
    out.SetMapFormat(YAML::Flow);
    out.SetSeqFormat(YAML::Flow);
    out << n;
    return out.c_str();
}

// A path written in the fleet file, as the site file takes it (relative to the site's folder).
std::string for_site(const std::string& fleet_label, const std::string& written, const std::string& site_path) {
    fs::path p(written);
    if (p.is_relative()) p = fs::path(fleet_label).parent_path() / p;
    const fs::path site_dir = fs::path(site_path).parent_path();
    const fs::path rel = p.lexically_normal().lexically_relative(site_dir.empty() ? fs::path(".") : site_dir);
    return rel.empty() ? p.lexically_normal().string() : rel.string();
}

// One override and the fleet node it came from (to place the site loader's errors).
struct Set {
    std::string text;
    YAML::Node node;
    std::string path;
};

struct FleetSite {
    std::string name;
    std::size_t site = 0;                 // index into Sweep::sites
    std::vector<Set> sets;                // after the fleet's own
    std::vector<std::string> reserved;    // rack path prefixes that are not free
    YAML::Node node;
};

struct Workload {
    std::string name, gpu_type;
    long long gpus = 0;
    double duration = 0;   // [s]
    std::string job;       // the job's keys but members, as YAML flow map entries
    YAML::Node node;
};

// Placement of `w` on a loaded site: racks in file order (halls, rows, racks), skipping the
// reserved ones, until the workload's GPUs are covered. Whole racks: a rack is the unit a
// job is given.
struct Placement {
    long long free = 0, placed = 0;
    std::size_t racks = 0;
    std::vector<std::string> members;  // rack, row or hall paths
};

bool under(const std::string& path, const std::string& prefix) {
    return path == prefix || (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
                              path[prefix.size()] == '/');
}

Placement place(const SiteSpec& s, const Workload& w, const std::vector<std::string>& reserved) {
    Placement p;
    auto gpus_in = [&](const RackTypeSpec& rt) {
        long long n = 0;
        for (const auto& g : rt.devices) {
            const auto it = s.device_types.find(g.type);
            if (g.type == w.gpu_type || (it != s.device_types.end() && it->second.model == w.gpu_type)) n += g.count;
        }
        return n;
    };
    for (const auto& h : s.halls) {
        bool whole_hall = true;
        std::vector<std::string> hall_members;
        for (const auto& r : h.rows) {
            const auto rt = s.rack_types.find(r.rack);
            const long long per = rt == s.rack_types.end() ? 0 : gpus_in(rt->second);
            std::vector<std::string> taken;
            for (int k = 0; k < r.count; ++k) {
                const std::string rack = fmt::format("{}/{}/rack{:02d}", h.name, r.name, k + 1);
                const bool free = per > 0 && std::none_of(reserved.begin(), reserved.end(),
                                                          [&](const std::string& x) { return under(rack, x); });
                if (!free) continue;
                p.free += per;
                if (p.placed < w.gpus) {
                    p.placed += per;
                    ++p.racks;
                    taken.push_back(rack);
                }
            }
            if (int(taken.size()) == r.count) hall_members.push_back(h.name + "/" + r.name);
            else {
                whole_hall = false;
                hall_members.insert(hall_members.end(), taken.begin(), taken.end());
            }
        }
        if (whole_hall && !h.rows.empty()) p.members.push_back(h.name);
        else p.members.insert(p.members.end(), hall_members.begin(), hall_members.end());
    }
    return p;
}

std::string members_flow(const std::vector<std::string>& m) {
    std::string s = "[";
    for (std::size_t i = 0; i < m.size(); ++i) s += (i ? ", " : "") + m[i];
    return s + "]";
}

std::string workload_override(const Workload& w, const std::vector<std::string>& members) {
    return fmt::format("workload={{jobs: {{{}: {{members: {}{}}}}}}}", w.name, members_flow(members),
                       w.job.empty() ? "" : ", " + w.job);
}

double num(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* p = &j;
    for (const char* k : path) {
        if (!p->is_object() || !p->contains(k)) return std::nan("");
        p = &(*p)[k];
    }
    return p->is_number() ? p->get<double>() : std::nan("");
}

nlohmann::json jnum(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

const char* const kCauses[] = {"power_cap", "thermal", "site_power_limit", "cooling_fault", "outage"};

std::vector<ExtraColumn> fleet_columns() {
    std::vector<ExtraColumn> c = {
        {"site_file", "-", "the site file the placement runs on", true},
        {"gpu_type", "-", "the GPU type the workload asks for (device type name or catalogue model)", true},
        {"gpus_asked", "1", "GPUs the workload asks for", false},
        {"gpus_free", "1", "GPUs of the type in the site's free racks", false},
        {"gpus_placed", "1", "GPUs in the racks given to the workload (whole racks)", false},
        {"racks_placed", "1", "racks given to the workload", false},
        {"fits", "1", "1: enough GPUs free and power and cooling utilisation <= 1 at the design point; 0: not", false},
        {"fit_binding_family", "-", "gpus, power, cooling or silicon: what limits the placement most", true},
        {"fit_binding_constraint", "-", "the constraint (or the GPU count) that limits it", true},
        {"headroom_power", "1", "1 - the highest power utilisation at the design point (< 0: over its limit)", false},
        {"headroom_cooling", "1", "1 - the highest cooling utilisation at the design point (< 0: over its limit)", false},
        {"headroom_silicon", "1", "1 - the highest silicon utilisation at the design point (< 0: throttling)", false},
        {"design_time_s", "s", "design point: the time of highest IT load in the period, of those the hottest", false},
        {"design_dry_bulb_C", "degC", "outdoor dry bulb at the design point", false},
        {"duration_s", "s", "simulated time of the placement (the workload's duration)", false},
    };
    for (const char* k : kCauses)
        c.push_back({fmt::format("lost_work_{}_device_s", k), "device-s", fmt::format("work lost to {}", k), false});
    c.push_back({"lost_work_fraction", "1", "work lost over work possible, every cause", false});
    c.push_back({"water_m3", "m3", "cooling water make-up over the run", false});
    c.push_back({"carbon_kg", "kg", "CO2e of the grid energy (power.grid.carbon_intensity)", false});
    c.push_back({"max_ramp_W_per_s", "W/s", "steepest grid power ramp", false});
    c.push_back({"ramp_limit_violations", "1", "times the grid ramp exceeded power.grid.ramp_limit", false});
    return c;
}

}  // namespace

Sweep load_fleet(const std::string& path, std::string* objective) {
    return load_fleet_text(read_text(path, "a fleet file", kMaxSweepBytes), path, objective);
}

Sweep load_fleet_text(std::string_view text, const std::string& label, std::string* objective) {
    const Source src(label, text);
    const std::string kStart = "a fleet file starts with `dctwin_fleet: 1` (see sites/fleets/README.md)";
    const YAML::Node doc = load_map(src, text, "fleet", kStart);
    const auto top = entries(src, doc, "", {"dctwin_fleet", "name", "objective", "keep", "set", "sites", "workloads"});
    const YAML::Node* version = find(top, "dctwin_fleet");
    if (!version) src.fail(doc, "", "missing required key \"dctwin_fleet\" (the format version); " + kStart);
    if (!version->IsScalar() || version->Scalar() != std::to_string(kFleetFormatVersion))
        src.fail(*version, "dctwin_fleet",
                 fmt::format("this file is format {}, this dctwin reads format {}", flow(*version), kFleetFormatVersion));
    for (const char* k : {"sites", "workloads"})
        if (!find(top, k)) src.fail(doc, "", fmt::format("missing required key \"{}\"", k));

    Sweep s;
    s.kind = "fleet";
    s.file = label;
    s.base_path = label;
    s.name = fs::path(label).stem().string();
    s.steady = false;
    if (const YAML::Node* n = find(top, "name")) s.name = scalar(src, *n, "name", "a name");
    std::string obj = "cost";
    if (const YAML::Node* n = find(top, "objective")) {
        obj = scalar(src, *n, "objective", "an objective");
        const auto& all = fleet_objectives();
        if (std::find(all.begin(), all.end(), obj) == all.end())
            src.fail(*n, "objective",
                     fmt::format("expected one of cost, carbon, energy, water, throughput, found \"{}\"{}", obj,
                                 did_you_mean(obj, all)));
    }
    if (objective) *objective = obj;
    if (const YAML::Node* k = find(top, "keep")) {
        const std::string t = scalar(src, *k, "keep", "summary or results");
        if (t != "summary" && t != "results")
            src.fail(*k, "keep", fmt::format("expected summary or results (also a results file per placement), found \"{}\"", t));
        s.keep_results = t == "results";
    }
    auto set_list = [&](const YAML::Node& n, const std::string& path) {
        std::vector<Set> out;
        if (!n.IsSequence()) src.fail(n, path, fmt::format("expected a list of key.path=value overrides, found {}", kind_of(n)));
        for (std::size_t i = 0; i < n.size(); ++i) {
            const std::string here = fmt::format("{}.{}", path, i);
            const std::string t = scalar(src, n[i], here, "a key.path=value override");
            if (t.find('=') == std::string::npos)
                src.fail(n[i], here, fmt::format("expected key.path=value (e.g. simulation.lumping=identical), found \"{}\"", t));
            out.push_back({t, n[i], here});
        }
        return out;
    };
    std::vector<Set> fixed;
    if (const YAML::Node* n = find(top, "set")) fixed = set_list(*n, "set");

    // Sites.
    const YAML::Node& sites_node = *find(top, "sites");
    const auto ss = entries(src, sites_node, "sites", {});
    if (ss.empty()) src.fail(sites_node, "sites", "expected at least one site");
    std::vector<FleetSite> sites;
    for (const auto& [name, node] : ss) {
        const std::string here = "sites." + name;
        const auto es = entries(src, node, here, {"site", "weather", "grid", "reserved", "set"});
        const YAML::Node* file = find(es, "site");
        if (!file) src.fail(node, here, "missing required key \"site\" (the site file, relative to the fleet file)");
        FleetSite fs_;
        fs_.name = name;
        fs_.node = node;
        fs::path p(scalar(src, *file, here + ".site", "the path of a site file"));
        if (p.is_relative()) p = fs::path(label).parent_path() / p;
        CaseSite cs{p.lexically_normal().string(), ""};
        try {
            cs.text = read_text(cs.path, "a site file", kMaxSiteBytes);
        } catch (const InputError& e) {
            src.fail(*file, here + ".site", e.detail + fmt::format(" (\"{}\")", cs.path));
        }
        fs_.site = s.sites.size();
        s.sites.push_back(cs);
        for (const auto& f : fixed) fs_.sets.push_back(f);
        if (const YAML::Node* w = find(es, "weather")) {
            // A path, or {file, start}: ambient becomes that EPW file.
            // (A default YAML::Node is a null node, not an absent one: the start is a pointer.)
            YAML::Node f = *w;
            std::optional<YAML::Node> start;
            if (w->IsMap()) {
                const auto ws = entries(src, *w, here + ".weather", {"file", "start"});
                if (!find(ws, "file")) src.fail(*w, here + ".weather", "missing required key \"file\" (an EPW file)");
                f = *find(ws, "file");
                if (const YAML::Node* st = find(ws, "start")) start = *st;
            }
            const std::string rel = for_site(label, scalar(src, f, here + ".weather.file", "the path of an EPW file"), cs.path);
            std::string t = fmt::format("ambient={{kind: epw, file: \"{}\"", rel);
            if (start) t += ", start: " + scalar(src, *start, here + ".weather.start", "a time (e.g. 182 d)");
            fs_.sets.push_back({t + "}", *w, here + ".weather"});
        }
        if (const YAML::Node* g = find(es, "grid")) {
            // power.grid keys; a `file:` inside a series is relative to the fleet file.
            for (const auto& [key, v] : entries(src, *g, here + ".grid", {})) {
                YAML::Node value = YAML::Clone(v);
                if (value.IsMap() && value["file"] && value["file"].IsScalar())
                    value["file"] = for_site(label, value["file"].Scalar(), cs.path);
                fs_.sets.push_back({fmt::format("power.grid.{}={}", key, flow(value)), v, here + ".grid." + key});
            }
        }
        if (const YAML::Node* r = find(es, "reserved")) {
            if (!r->IsSequence()) src.fail(*r, here + ".reserved", fmt::format("expected a list of rack paths, found {}", kind_of(*r)));
            for (std::size_t i = 0; i < r->size(); ++i)
                fs_.reserved.push_back(scalar(src, (*r)[i], fmt::format("{}.reserved.{}", here, i), "a rack path (hall1/rowA)"));
        }
        if (const YAML::Node* n = find(es, "set"))
            for (auto& x : set_list(*n, here + ".set")) fs_.sets.push_back(std::move(x));
        // The site must load with its overrides: place the loader's complaint.
        std::vector<std::string> texts;
        for (const auto& x : fs_.sets) texts.push_back(x.text);
        try {
            load_site_text(cs.text, cs.path, texts);
        } catch (const InputError& e) {
            if (e.loc.file == "--set" && e.loc.line >= 1 && std::size_t(e.loc.line) <= fs_.sets.size()) {
                const Set& x = fs_.sets[std::size_t(e.loc.line - 1)];
                src.fail(x.node, x.path, fmt::format("{}: {}", e.key_path, e.detail));
            }
            src.fail(*file, here + ".site", fmt::format("the site does not load:\n{}", e.what()));
        }
        sites.push_back(std::move(fs_));
    }

    // Workloads.
    const YAML::Node& wl_node = *find(top, "workloads");
    const auto ws = entries(src, wl_node, "workloads", {});
    if (ws.empty()) src.fail(wl_node, "workloads", "expected at least one workload");
    std::vector<Workload> workloads;
    for (const auto& [name, node] : ws) {
        const std::string here = "workloads." + name;
        const std::vector<std::string> allowed = {"gpus",  "gpu_type", "duration",  "kind",       "training",
                                                  "inference", "activity", "trace", "smoothing", "power_limit"};
        // The name becomes a job's name in the site (and a key path): plain characters only.
        if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                                std::string::npos)
            src.fail(node, here, fmt::format("a workload's name is letters, digits, '-' and '_' (it names the job in the "
                                             "site), found \"{}\"", name));
        const auto es = entries(src, node, here, allowed);
        Workload w;
        w.name = name;
        w.node = node;
        for (const char* k : {"gpus", "gpu_type", "duration"})
            if (!find(es, k)) src.fail(node, here, fmt::format("missing required key \"{}\"", k));
        {
            const YAML::Node& g = *find(es, "gpus");
            const std::string t = scalar(src, g, here + ".gpus", "a whole number of GPUs");
            const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), w.gpus);
            if (ec != std::errc{} || p != t.data() + t.size() || w.gpus < 1 || w.gpus > 100'000'000)
                src.fail(g, here + ".gpus", fmt::format("expected a whole number of GPUs from 1 to 100000000, found \"{}\"", t));
        }
        w.gpu_type = scalar(src, *find(es, "gpu_type"), here + ".gpu_type", "a device type or catalogue model (gb200)");
        {
            const YAML::Node& d = *find(es, "duration");
            const std::string t = scalar(src, d, here + ".duration", "a time with its unit (e.g. \"30 d\")");
            try {
                w.duration = parse_duration(t);
            } catch (const std::exception& e) {
                src.fail(d, here + ".duration", fmt::format("expected a time with its unit (e.g. \"30 d\"): {}", e.what()));
            }
            if (!(w.duration > 0) || w.duration > 36500 * 86400.0)
                src.fail(d, here + ".duration", fmt::format("expected a time above 0 s and at most 36500 d, found \"{}\"", t));
        }
        int profiles = 0;
        for (const auto& [k, v] : es) {
            if (k == "gpus" || k == "gpu_type" || k == "duration") continue;
            profiles += k == "training" || k == "inference" || k == "activity" || k == "trace";
            w.job += (w.job.empty() ? "" : ", ") + k + ": " + flow(v);
        }
        if (profiles != 1)
            src.fail(node, here, "expected one of training, inference, activity or trace (the job's profile, as "
                                 "workload.jobs.<name> of a site file takes it)");
        // The job must load: on the first site, over every device.
        std::vector<std::string> texts;
        for (const auto& x : sites.front().sets) texts.push_back(x.text);
        texts.push_back(fmt::format("workload={{jobs: {{{}: {{{}}}}}}}", w.name, w.job));
        try {
            load_site_text(s.sites[sites.front().site].text, s.sites[sites.front().site].path, texts);
        } catch (const InputError& e) {
            // workload.jobs.NAME.training.x -> workloads.NAME.training.x, at that node.
            const std::string prefix = "workload.jobs." + w.name;
            if (e.loc.file == "--set" && e.key_path.rfind(prefix, 0) == 0) {
                std::string rest = e.key_path.substr(prefix.size());
                YAML::Node at = node;
                std::string walked = here;
                while (!rest.empty() && rest[0] == '.') {
                    const std::size_t dot = rest.find('.', 1);
                    const std::string k = rest.substr(1, dot == std::string::npos ? std::string::npos : dot - 1);
                    rest = dot == std::string::npos ? "" : rest.substr(dot);
                    YAML::Node next;
                    if (at.IsMap() && at[k]) next = at[k];
                    else if (at.IsSequence()) {
                        std::size_t i = 0;
                        const auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), i);
                        if (ec == std::errc{} && i < at.size()) next = at[i];
                    }
                    if (!next.IsDefined()) break;
                    at = next;
                    walked = join(walked, k);
                }
                src.fail(at, walked, e.detail);
            }
            src.fail(node, here, fmt::format("the workload does not load as a job of site \"{}\":\n{}", sites.front().name,
                                             e.what()));
        }
        workloads.push_back(std::move(w));
    }

    // Cases: every workload on every site.
    Parameter site_p, wl_p;
    site_p.name = "site", site_p.numeric = false;
    wl_p.name = "workload", wl_p.numeric = false;
    s.parameters = {site_p, wl_p};
    auto fleet_sites = std::make_shared<std::vector<FleetSite>>(std::move(sites));
    auto fleet_workloads = std::make_shared<std::vector<Workload>>(std::move(workloads));
    std::vector<std::pair<std::size_t, std::size_t>> pairs;  // (site, workload) per case
    std::string key = fmt::format("dctwin_fleet {}\n{}\n", kFleetFormatVersion, s.keep_results);
    for (std::size_t wi = 0; wi < fleet_workloads->size(); ++wi)
        for (std::size_t si = 0; si < fleet_sites->size(); ++si) {
            const FleetSite& fsite = (*fleet_sites)[si];
            const Workload& w = (*fleet_workloads)[wi];
            Case c;
            c.values = {fsite.name, w.name};
            c.numbers = {std::nan(""), std::nan("")};
            s.cases.push_back(c);
            s.case_site.push_back(fsite.site);
            std::vector<std::string> texts;
            for (const auto& x : fsite.sets) texts.push_back(x.text);
            s.case_sets.push_back(texts);
            pairs.emplace_back(si, wi);
            // What decides the results: the site, its overrides, what is reserved, the workload.
            key += fmt::format("case {} {}\n{}\n", fsite.name, w.name, s.sites[fsite.site].text);
            for (const auto& t : texts) key += t + "\n";
            for (const auto& r : fsite.reserved) key += "reserved " + r + "\n";
            key += fmt::format("{} {} {:.17g} {}\n", w.gpus, w.gpu_type, w.duration, w.job);
        }
    if (s.cases.size() > kMaxCases) src.fail(doc, "", fmt::format("{} placements; at most {}", s.cases.size(), kMaxCases));
    s.hash = content_hash(key);
    s.extra_columns = fleet_columns();

    auto hooks = std::make_shared<CaseHooks>();
    hooks->before = [fleet_sites, fleet_workloads, pairs, sites_files = s.sites](
                        std::size_t i, SiteSpec& spec, RunOptions& run, nlohmann::json& out) {
        const FleetSite& fsite = (*fleet_sites)[pairs.at(i).first];
        const Workload& w = (*fleet_workloads)[pairs.at(i).second];
        const CaseSite& cs = sites_files[fsite.site];
        out["site_file"] = cs.path;
        out["gpu_type"] = w.gpu_type;
        out["gpus_asked"] = double(w.gpus);
        out["duration_s"] = w.duration;
        const Placement p = place(spec, w, fsite.reserved);
        out["gpus_free"] = double(p.free);
        if (p.free < w.gpus) {
            out["gpus_placed"] = 0.0;
            out["racks_placed"] = 0.0;
            out["fits"] = 0.0;
            out["fit_binding_family"] = "gpus";
            out["fit_binding_constraint"] =
                fmt::format("{} GPUs of type {} free, {} asked", p.free, w.gpu_type, w.gpus);
            return false;  // nothing to run: the workload is not on the site
        }
        out["gpus_placed"] = double(p.placed);
        out["racks_placed"] = double(p.racks);
        // The site again, with the workload in place of its own (racks not given idle).
        std::vector<std::string> texts;
        for (const auto& x : fsite.sets) texts.push_back(x.text);
        texts.push_back(workload_override(w, p.members));
        const int threads = spec.simulation.threads;
        spec = load_site_text(cs.text, cs.path, texts);
        spec.simulation.threads = threads;
        spec.simulation.duration = w.duration;
        run.duration = w.duration;
        // Power and cooling at the period's design point: one steady solve (no search: the
        // factors span only 1).
        HeadroomOptions ho;
        ho.max_factor = 1.0;
        ho.min_factor = 1.0;
        ho.max_shift = 0.0;
        const HeadroomResult h = headroom(spec, ho);
        out["design_time_s"] = h.at;
        out["design_dry_bulb_C"] = h.dry_bulb - 273.15;
        const char* names[kFamilies] = {"headroom_silicon", "headroom_cooling", "headroom_power"};
        double worst = -HUGE_VAL;
        std::string worst_family = "none", worst_constraint;
        bool fits = true;
        for (int f = 0; f < kFamilies; ++f) {
            const double u = h.family[f].today;
            out[names[f]] = jnum(1.0 - u);
            if (h.evaluations > h.failures && !std::isfinite(u)) continue;
            const double uu = std::isfinite(u) ? u : HUGE_VAL;  // no steady state: over every limit
            if (f != int(Family::silicon) && uu > 1.0) fits = false;
            // The limit of the placement: a family over its limit (power, cooling) before
            // silicon, which throttles rather than refuses; else the closest to its limit.
            const bool over = f != int(Family::silicon) && uu > 1.0;
            const double score = over ? 10.0 + uu : uu;
            if (score > worst) worst = score, worst_family = family_name(Family(f)), worst_constraint = h.family[f].today_constraint;
        }
        out["fits"] = fits ? 1.0 : 0.0;
        out["fit_binding_family"] = worst_family;
        out["fit_binding_constraint"] = h.evaluations > h.failures ? worst_constraint : "no steady state at the design point";
        return true;
    };
    hooks->after = [](std::size_t, const nlohmann::json& j, nlohmann::json& out) {
        for (const char* k : kCauses)
            out[fmt::format("lost_work_{}_device_s", k)] = jnum(num(j, {"lost_work_device_s", "by_cause", k}));
        out["lost_work_fraction"] = jnum(num(j, {"lost_work_device_s", "fraction"}));
        out["water_m3"] = jnum(num(j, {"water_m3"}));
        out["carbon_kg"] = jnum(num(j, {"kpis", "cue", "carbon_kg"}));
        out["max_ramp_W_per_s"] = jnum(num(j, {"grid", "max_ramp_W_per_s"}));
        out["ramp_limit_violations"] = jnum(num(j, {"grid", "ramp_limit_violations", "count"}));
    };
    s.hooks = hooks;
    return s;
}

std::string objective_column(const std::string& objective) {
    if (objective == "cost") return "grid_cost";
    if (objective == "carbon") return "carbon_kg";
    if (objective == "energy") return "energy_grid_J";
    if (objective == "water") return "water_m3";
    if (objective == "throughput") return "throughput_fraction";
    throw std::invalid_argument(fmt::format("unknown objective \"{}\": expected cost, carbon, energy, water or throughput",
                                            objective));
}

std::vector<RankedPlacement> rank_fleet(const SummaryTable& t, const std::string& objective) {
    const std::string col = objective_column(objective);
    auto need = [&](const std::string& name) {
        const int k = t.find(name);
        if (k < 0) throw std::invalid_argument(fmt::format("the summary has no column {}: not a fleet's summary", name));
        return std::size_t(k);
    };
    const std::size_t site = need("site"), wl = need("workload"), fits = need("fits"), value = need(col),
                      status = need("status"), error = need("error"), fam = need("fit_binding_family"),
                      con = need("fit_binding_constraint"), asked = need("gpus_asked"), freeg = need("gpus_free");
    const bool higher_better = objective == "throughput";
    struct Row {
        std::size_t i;
        int group;      // 0 fits with a value, 1 fits without, 2 does not fit, 3 failed
        double key;     // within the group, lower first
    };
    std::vector<std::string> order;
    std::map<std::string, std::vector<Row>> blocks;
    for (std::size_t i = 0; i < t.rows; ++i) {
        const std::string& w = t.strings[wl][i];
        if (!blocks.count(w)) order.push_back(w);
        const double v = t.numbers[value][i];
        Row r{i, 0, 0};
        if (t.strings[status][i] != "complete") r.group = 3;
        else if (!(t.numbers[fits][i] == 1.0)) {
            r.group = 2;
            const double shortfall = t.numbers[asked][i] - t.numbers[freeg][i];
            r.key = shortfall > 0 ? 1e18 + shortfall : 0;
        } else if (!std::isfinite(v)) r.group = 1;
        else r.key = higher_better ? -v : v;
        blocks[w].push_back(r);
    }
    std::vector<RankedPlacement> out;
    for (const auto& w : order) {
        auto& b = blocks[w];
        std::stable_sort(b.begin(), b.end(), [](const Row& a, const Row& c) {
            return a.group != c.group ? a.group < c.group : a.key < c.key;
        });
        std::size_t rank = 0;
        for (const Row& r : b) {
            RankedPlacement p;
            p.workload = w;
            p.site = t.strings[site][r.i];
            p.rank = ++rank;
            p.fits = r.group <= 1;
            p.value = t.numbers[value][r.i];
            if (r.group == 3) p.reason = "failed: " + t.strings[error][r.i];
            else if (r.group == 2)
                p.reason = fmt::format("does not fit: {} ({})", t.strings[fam][r.i], t.strings[con][r.i]);
            else if (r.group == 1) p.reason = fmt::format("no {} figure ({} is empty)", objective, col);
            out.push_back(p);
        }
    }
    return out;
}

std::string write_ranking(const SummaryTable& t, const std::vector<RankedPlacement>& ranking, const std::string& objective,
                          const std::string& dir) {
    const std::string col = objective_column(objective);
    const int k = t.find(col);
    std::string unit = k >= 0 ? t.columns[std::size_t(k)].unit : "";
    if (col == "grid_cost") {
        const int c = t.find("grid_currency");
        if (c >= 0)
            for (const auto& s : t.strings[std::size_t(c)])
                if (!s.empty()) unit = s;
    }
    auto field = [](const std::string& s) {
        if (s.find_first_of(",\"\n") == std::string::npos) return s;
        std::string o = "\"";
        for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
        return o + "\"";
    };
    const fs::path csv = fs::path(dir) / "ranking.csv", tmp = fs::path(dir) / "ranking.csv.tmp";
    std::string text = fmt::format("ranking by {} ({}, {}; {} first):\n", objective, col, unit,
                                   objective == "throughput" ? "highest" : "lowest");
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << "workload,rank,site,fits,objective,value,unit,reason\n";
        // The printed figures in engineering units (the CSV keeps the summary's).
        auto shown = [&](double v) {
            if (!std::isfinite(v)) return std::string("-");
            if (unit == "J") return fmt::format("{:.4g} MWh", v / 3.6e9);
            if (unit == "kg") return v >= 1e3 ? fmt::format("{:.4g} t", v / 1e3) : fmt::format("{:.4g} kg", v);
            if (col == "throughput_fraction") return fmt::format("{:.4g} %", 100 * v);
            if (col == "grid_cost" && std::abs(v) >= 1e6) return fmt::format("{:.4g} M{}", v / 1e6, unit);
            if (col == "grid_cost" && std::abs(v) >= 1e3) return fmt::format("{:.4g} k{}", v / 1e3, unit);
            return fmt::format("{:.4g} {}", v, unit);
        };
        for (const auto& r : ranking) {
            out << field(r.workload) << "," << r.rank << "," << field(r.site) << "," << (r.fits ? 1 : 0) << ","
                << objective << "," << (std::isfinite(r.value) ? fmt::format("{}", r.value) : "") << "," << field(unit)
                << "," << field(r.reason) << "\n";
            text += fmt::format("  {:<16} {:>2}. {:<16} {:<4} {:>16}{}\n", r.workload, r.rank, r.site,
                                r.fits ? "fits" : "no", shown(r.value), r.reason.empty() ? "" : "  " + r.reason);
        }
        out.flush();
        if (!out) throw SweepDirError(fmt::format("cannot write '{}'", tmp.string()), false);
    }
    std::error_code ec;
    fs::rename(tmp, csv, ec);
    if (ec) throw SweepDirError(fmt::format("cannot rename '{}': {}", tmp.string(), ec.message()), false);
    return text;
}

}  // namespace dctwin::sweep
