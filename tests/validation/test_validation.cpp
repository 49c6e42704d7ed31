// The example sites against published figures. Each case runs a shipped site at a steady
// design point or over time (a load step, an outage) under stated conditions (overrides as
// `dctwin run --set` takes them), names its source and its tolerance, and is one row of
// docs/validation.md: a published result (counted) or a consistency check (not counted: it
// restates an input, was tuned to its figure, or has no published source). To rewrite that file:
//   DCTWIN_UPDATE_DOCS=1 build/tests/test_validation
// Without DCTWIN_UPDATE_DOCS each case is checked, and must be listed in the file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/integrator.hpp"
#include "solver/steady.hpp"

using namespace dctwin;

namespace {
const std::string kSites = std::string(DCTWIN_SOURCE_DIR) + "/sites/";
const std::string kDoc = std::string(DCTWIN_SOURCE_DIR) + "/docs/validation.md";
constexpr double kC = 273.15;

bool updating() {
    const char* u = std::getenv("DCTWIN_UPDATE_DOCS");
    return u && std::string(u) == "1";
}

// One row of the table.
// A row counts as a published result only if the figure is published by a named source and the
// twin computes it from inputs not taken from it; otherwise `check` says why it is a consistency
// check (it restates an input, or its figure has no published source). Both are tested alike.
struct Case {
    std::string site, figure, source, conditions, published, twin, error, tolerance;
    bool pass = false;
    std::string check;  // empty: a counted published result; else why it is not counted
    bool transient() const { return conditions.rfind("transient", 0) == 0; }
};

// Marks a case as a consistency check, not counted, for the reason given.
Case check(Case c, std::string why) {
    c.check = std::move(why);
    return c;
}

// Rows of every group that ran in this process, by group, in the order of the file.
std::vector<std::pair<std::string, std::vector<Case>>>& rows() {
    static std::vector<std::pair<std::string, std::vector<Case>>> r;
    return r;
}

// Known misses, computed: bullets for "Not yet validated". Each is checked to still miss, so
// that a model change that reproduces the figure fails here and moves it into the table.
std::vector<std::string>& misses() {
    static std::vector<std::string> m;
    return m;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string pct(double x, int digits = 1) { return fmt::format("{:+.{}f} %", 100 * x, digits); }

// A case against a point figure with a relative tolerance.
Case relative(std::string site, std::string figure, std::string source, std::string conditions,
              double published, double twin, double tol, const std::string& unit, double scale, int digits) {
    Case c{std::move(site), std::move(figure), std::move(source), std::move(conditions), "", "", "", ""};
    const std::string u = unit.empty() ? "" : " " + unit;
    c.published = fmt::format("{:.{}f}{}", published / scale, digits, u);
    c.twin = fmt::format("{:.{}f}{}", twin / scale, digits + 1, u);
    const double e = (twin - published) / published;
    c.error = pct(e);
    c.tolerance = fmt::format("±{:g} %", 100 * tol);
    c.pass = std::abs(e) <= tol;
    return c;
}

// A case against a published range [lo, hi].
Case range(std::string site, std::string figure, std::string source, std::string conditions, double lo, double hi,
           double twin, const std::string& unit, double scale, int digits, double offset = 0) {
    Case c{std::move(site), std::move(figure), std::move(source), std::move(conditions), "", "", "", ""};
    const std::string u = unit.empty() ? "" : " " + unit;
    c.published = fmt::format("{:.{}f}-{:.{}f}{}", (lo - offset) / scale, digits, (hi - offset) / scale, digits, u);
    c.twin = fmt::format("{:.{}f}{}", (twin - offset) / scale, digits + 1, u);
    const double slack = 1e-9 * std::max(std::abs(lo), std::abs(hi));  // a bound reached exactly
    c.pass = twin >= lo - slack && twin <= hi + slack;
    c.error = c.pass    ? std::string("in range")
            : twin < lo ? fmt::format("{:.{}f}{} below", (lo - twin) / scale, digits + 1, u)
                        : fmt::format("{:.{}f}{} above", (twin - hi) / scale, digits + 1, u);
    c.tolerance = "the range";
    return c;
}

// Checks every case of a group and keeps its rows for the table.
void record(const std::string& group, std::vector<Case> cases) {
    const std::string doc = read_all(kDoc);
    for (const auto& c : cases) {
        INFO(c.site, ": ", c.figure, " [", c.source, "]: published ", c.published, ", twin ", c.twin, ", error ",
             c.error, ", tolerance ", c.tolerance);
        CHECK(c.pass);
        if (!updating())
            CHECK_MESSAGE(doc.find("| " + c.figure + " |") != std::string::npos,
                          "docs/validation.md does not list this case: run DCTWIN_UPDATE_DOCS=1 test_validation");
    }
    rows().emplace_back(group, std::move(cases));
}

// A site at a steady point: the site figures and every power stage's input and output.
struct Steady {
    std::vector<double> y;
    SitePoint site;
    std::map<std::string, std::pair<double, double>> stage;  // path -> [W] (input, output)
    PlantState plant;
    double racks_in = 0;   // [W] input of every rack power shelf
};

Steady solve(SiteModel& m, double t, const std::vector<double>* from = nullptr) {
    Network& net = m.network();
    SteadyOptions so;
    so.t = t;
    // A 10 s first pseudo step takes the big sites from their declared temperatures in a few
    // iterations; the solver's own 1 s start is the fallback.
    so.initial_step = 10.0;
    const std::vector<double> y0 = from ? *from : net.initial_state();
    Steady s;
    try {
        s.y = solve_steady(net, y0, so).y;
    } catch (const SteadyStateError&) {
        so.initial_step = SteadyOptions{}.initial_step;
        s.y = solve_steady(net, y0, so).y;
    }
    s.site = m.point(t, s.y.data());
    const auto in = net.last_stage_input(), out = net.last_stage_output();
    for (std::size_t i = 0; i < net.stages().size(); ++i) {
        const auto& path = net.stages()[i].path;
        s.stage[path] = {in[i], out[i]};
        if (path.size() > 12 && path.compare(path.size() - 12, 12, "/power_shelf") == 0) s.racks_in += in[i];
    }
    const EvalContext ctx = net.view(t, s.y.data());
    s.plant = m.cooling().plant(ctx);
    return s;
}

std::size_t count_gpus(const SiteModel& m) {
    std::size_t n = 0;
    for (std::size_t k = 0; k < m.device_count(); ++k)
        if (m.devices().path(k).find("/gpu") != std::string::npos) ++n;
    return n;
}

std::size_t state(Network& net, const std::string& path) {
    for (std::size_t i = 0; i < net.size(); ++i)
        if (net.states()[i].path == path) return i;
    FAIL("no state " << path);
    return 0;
}

// A site over time from its steady state at t = 0 (as `dctwin run` starts), sampled at `times`:
// the states at `paths`, the site figures, the facility return, and every event.
struct Transient {
    std::vector<double> t, inlet;             // [s], [K] facility return (plant inlet)
    std::vector<std::vector<double>> v;       // per sample, the states at `paths`
    std::vector<SitePoint> site;
    std::vector<Event> events;
};

Transient transient(SiteModel& m, const std::vector<double>& times, const std::vector<std::string>& paths,
                    bool plant = false) {
    Network& net = m.network();
    SteadyOptions so;
    so.initial_step = 10.0;
    const std::vector<double> y0 = solve_steady(net, net.initial_state(), so).y;
    m.set_start(0.0, y0.data());
    std::vector<std::size_t> idx;
    for (const auto& p : paths) idx.push_back(state(net, p));
    Transient r;
    auto sample = [&](double t, const double* y) {
        r.t.push_back(t);
        std::vector<double> v;
        for (auto i : idx) v.push_back(y[i]);
        r.v.push_back(std::move(v));
        r.site.push_back(m.point(t, y));
        if (plant) r.inlet.push_back(m.cooling().plant(net.view(t, y)).inlet);
    };
    Integrator in(net, solver_options(m.spec()));
    in.start(0.0, y0);
    sample(0.0, y0.data());
    for (double t : times) {
        while (!in.advance(t))
            for (auto& e : in.take_events()) r.events.push_back(std::move(e));
        for (auto& e : in.take_events()) r.events.push_back(std::move(e));
        sample(in.t(), in.y().data());
    }
    for (const auto& e : m.scheduled_events())
        if (e.time <= times.back()) r.events.push_back(e);
    return r;
}

std::vector<double> grid(double a, double b, double dt) {
    std::vector<double> t;
    for (long k = 1; a + double(k) * dt <= b + 1e-9; ++k) t.push_back(a + double(k) * dt);
    return t;
}

// [s] after `t_step` at which x first covers `share` of its rise from x0 to x1 (linear between samples).
double rise_time(const std::vector<double>& t, const std::vector<double>& x, double t_step, double x0, double x1,
                 double share) {
    const double target = x0 + share * (x1 - x0);
    for (std::size_t i = 1; i < t.size(); ++i)
        if (t[i] > t_step && (x[i] - target) * (x1 - x0) >= 0) {
            const double a = t[i - 1], fa = x[i - 1] - target, fb = x[i] - target;
            return std::max(a, t_step) + (t[i] - a) * (fa == fb ? 1.0 : -fa / (fb - fa)) - t_step;
        }
    return HUGE_VAL;
}

// [s] after `t_step` from which x stays within `band` of its rise around x1.
double settling_time(const std::vector<double>& t, const std::vector<double>& x, double t_step, double x0, double x1,
                     double band) {
    double last_out = t_step;
    for (std::size_t i = 0; i < t.size(); ++i)
        if (t[i] > t_step && std::abs(x[i] - x1) > band * std::abs(x1 - x0)) last_out = t[i];
    return last_out - t_step;
}

// Top500, June 2022 (59th list), Frontier: Rmax 1102.00 PFlop/s, Rpeak 1685.65 PFlop/s;
// Green500 of the same list: 52.23 GFlops/W, so 21.1 MW during the HPL run.
constexpr double kFrontierRmax = 1102.00e15, kFrontierRpeak = 1685.65e15, kFrontierGflopsPerW = 52.23e9;
// Top500, June 2023 (61st list), Frontier after a year of tuning: Rmax 1194.00 PFlop/s, Rpeak
// 1679.82 PFlop/s (8 699 904 cores against 8 730 112 in 2022), power 22 703 kW (Green500 of the
// same list: 52.59 GFlops/W). Another HPL run at a higher share of peak: a second point on the
// same power-against-load line.
constexpr double kFrontier23Rmax = 1194.00e15, kFrontier23Rpeak = 1679.82e15, kFrontier23Power = 22703e3;
// The nodes of each run, from the list's core counts: a node is 64 EPYC cores + 4 MI250X of
// 220 compute units, 944 "cores" [D]. 8 730 112 / 944 = 9248 nodes (2022), 8 699 904 / 944 = 9216
// (2023), 120 832 / 944 = 128 (Frontier TDS, one cabinet); both Rpeaks give 182.27 TFlop/s per node.
constexpr double kCoresPerNode = 944, kFrontierNodes = 9472;
// TOP500 June 2024 (63rd list), Frontier: HPL 1.206 EFlop/s on 8 699 904 cores (9216 nodes
// [D]) at 52.93 GFlops/W (top500.org/lists/top500/2024/06; DCD: 52.927). Its Rpeak is not
// confirmed here: 9216 nodes at the 2022 Rpeak per node [D].
constexpr double kFrontier24Rmax = 1206.00e15, kFrontier24GflopsPerW = 52.927e9, kFrontier24Cores = 8699904;
constexpr double kFrontierNodes22 = 8730112 / kCoresPerNode, kFrontierNodes23 = 8699904 / kCoresPerNode;
// Green500 June 2022 (top500.org/lists/green500/2022/06): No. 1, Frontier TDS, 120 832 cores,
// HPL 19.2 PFlop/s at 62.8 GFlops/W, "basically just one rack identical to racks in the actual
// Frontier system". Its Rpeak is not on the page: 128 nodes at Frontier's 2022 Rpeak per node [D].
constexpr double kTdsRmax = 19.2e15, kTdsGflopsPerW = 62.8e9, kTdsCores = 120832;
// TOP500 June 2022, No. 3: LUMI (EuroHPC/CSC), HPE Cray EX235a, 1 110 144 cores, HPL 151.90
// PFlop/s; Green500 of the same list, No. 3: 51.63 GFlops/W. LUMI-G's node is Frontier's: one
// 64-core Trento EPYC, four MI250X, four 200 Gbit/s NICs (lumi-supercomputer.eu, "LUMI's full
// system architecture revealed"). 1 110 144 / 944 = 1176 nodes [D].
constexpr double kLumiRmax = 151.90e15, kLumiGflopsPerW = 51.63e9, kLumiCores = 1110144;
// TOP500 June 2023 (61st list), No. 3: LUMI after its upgrade, 2 220 288 cores (2352 nodes [D]),
// Rmax 309.10 PFlop/s, Rpeak 428.70 PFlop/s, power 6016 kW (Green500: 51.38 GFlops/W).
constexpr double kLumi23Rmax = 309.10e15, kLumi23Rpeak = 428.70e15, kLumi23Power = 6016e3, kLumi23Cores = 2220288;
// TOP500 June 2022 (59th list), No. 10: Adastra (GENCI-CINES), HPE Cray EX235a, HPL 46.1 PFlop/s
// (top500.org/lists/2022/06); Green500 of the same list, No. 4: 50.03 GFlops/W
// (top500.org/lists/green500/2022/06). Its MI250X partition is 338 nodes of one 64-core Trento
// EPYC and four MI250X, Frontier's node (CINES, cines.fr/calcul/adastra, "tranche 1"). Its core
// count and Rpeak are not confirmed here: 338 nodes at Frontier's 2022 Rpeak per node [D].
constexpr double kAdastraRmax = 46.1e15, kAdastraGflopsPerW = 50.03e9, kAdastraNodes = 338;
}  // namespace

TEST_CASE("frontier against OLCF, Top500 and ExaDigiT figures") {
    // One build, three steady points: idle (t = 0), HPL-like (1 h) and full load (2 h).
    // HPL-like: every device at activity Rmax / Rpeak (the linear utilisation model of
    // ExaDigiT RAPS, with utilisation taken as the achieved share of peak FP64) [E].
    const double u = kFrontierRmax / kFrontierRpeak, u23 = kFrontier23Rmax / kFrontier23Rpeak;
    const double tds_nodes = kTdsCores / kCoresPerNode;
    REQUIRE(tds_nodes == 128);
    REQUIRE(kFrontierNodes22 == 9248);
    REQUIRE(kFrontierNodes23 == 9216);
    const double u_tds = kTdsRmax / (tds_nodes * kFrontierRpeak / kFrontierNodes22);
    const double lumi_nodes = kLumiCores / kCoresPerNode;
    REQUIRE(lumi_nodes == 1176);
    const double u_lumi = kLumiRmax / (lumi_nodes * kFrontierRpeak / kFrontierNodes22);
    const double lumi23_nodes = kLumi23Cores / kCoresPerNode, u_lumi23 = kLumi23Rmax / kLumi23Rpeak;
    const double nodes24 = kFrontier24Cores / kCoresPerNode;
    const double u24 = kFrontier24Rmax / (nodes24 * kFrontierRpeak / kFrontierNodes22);
    REQUIRE(lumi23_nodes == 2352);
    const double u_adastra = kAdastraRmax / (kAdastraNodes * kFrontierRpeak / kFrontierNodes22);
    SiteModel m(load_site(kSites + "frontier.yaml",
                          {fmt::format("workload={{activity: [{{at: 0 s, value: 0}}, {{at: 1 h, value: {:.4f}}}, "
                                       "{{at: 2 h, value: 1}}, {{at: 3 h, value: {:.4f}}}, {{at: 4 h, value: {:.4f}}}, "
                                       "{{at: 5 h, value: {:.4f}}}, {{at: 6 h, value: {:.4f}}}, {{at: 7 h, value: {:.4f}}}, "
                                       "{{at: 8 h, value: {:.4f}}}]}}",
                                       u, u23, u_tds, u_lumi, u_lumi23, u24, u_adastra)}));
    const Steady idle = solve(m, 0.0);
    const Steady hpl = solve(m, 3600.0, &idle.y);
    const Steady full = solve(m, 7200.0, &hpl.y);
    const Steady hpl23 = solve(m, 3 * 3600.0, &hpl.y);
    const Steady tds = solve(m, 4 * 3600.0, &hpl23.y);
    const Steady lumi = solve(m, 5 * 3600.0, &hpl23.y);
    const Steady lumi23 = solve(m, 6 * 3600.0, &hpl23.y);
    const Steady hpl24 = solve(m, 7 * 3600.0, &hpl23.y);
    const Steady adastra = solve(m, 8 * 3600.0, &hpl23.y);
    const std::string site = "frontier";
    std::vector<Case> c;
    // The run's nodes only: their share of every cabinet's input (the lists' power is that of
    // the nodes in the run; the site has 9472).
    c.push_back(relative(site, "Frontier HPL power, 1.102 EFlop/s at 52.23 GFlops/W",
                         "Top500 / Green500 June 2022 (59th list), Frontier entry",
                         fmt::format("steady, every node at activity Rmax/Rpeak = {:.3f} [E]; all cabinet inputs x "
                                     "{:.0f} / 9472, the run's nodes (8 730 112 cores / 944 per node [D])",
                                     u, kFrontierNodes22),
                         kFrontierRmax / kFrontierGflopsPerW, hpl.racks_in * kFrontierNodes22 / kFrontierNodes, 0.10,
                         "MW", 1e6, 1));
    c.push_back(relative(site, "Frontier HPL power, 1.194 EFlop/s at 52.59 GFlops/W (2023)",
                         "Top500 / Green500 June 2023 (61st list), Frontier entry: 22 703 kW",
                         fmt::format("steady, every node at activity Rmax/Rpeak = {:.3f} [E]; all cabinet inputs x "
                                     "{:.0f} / 9472, the run's nodes (8 699 904 cores / 944 per node [D])",
                                     u23, kFrontierNodes23),
                         kFrontier23Power, hpl23.racks_in * kFrontierNodes23 / kFrontierNodes, 0.10, "MW", 1e6, 1));
    c.push_back(relative(site, "Frontier HPL power, 1.206 EFlop/s at 52.93 GFlops/W (2024)",
                         "TOP500 / Green500 June 2024 (63rd list), Frontier entry",
                         fmt::format("steady, every node at activity Rmax/Rpeak = {:.3f} (Rpeak: 9216 nodes at the "
                                     "2022 Rpeak per node [D]) [E]; all cabinet inputs x 9216 / 9472 (8 699 904 "
                                     "cores / 944 [D])",
                                     u24),
                         kFrontier24Rmax / kFrontier24GflopsPerW, hpl24.racks_in * nodes24 / kFrontierNodes, 0.10,
                         "MW", 1e6, 1));
    // Frontier TDS: one cabinet of the site (128 nodes, its own switches and rectifiers) at
    // the TDS run's share of peak; the other cabinets at the same load only set the coolant.
    c.push_back(relative(site, "Frontier TDS HPL power, 19.2 PFlop/s at 62.8 GFlops/W",
                         "Green500 June 2022, No. 1: Frontier TDS (ORNL), 120 832 cores, one Frontier cabinet",
                         fmt::format("steady, activity Rmax/Rpeak = {:.3f} (Rpeak: 128 nodes at Frontier's 2022 "
                                     "Rpeak per node [D]) [E]; input of cabinet hall1/c01/rack01",
                                     u_tds),
                         kTdsRmax / kTdsGflopsPerW, tds.stage.at("hall1/c01/rack01/power_shelf").first, 0.10, "kW", 1e3, 0));
    // LUMI-G: Frontier's cabinets at LUMI's share of peak, per node, times LUMI's nodes. LUMI's
    // own cooling (and so its coolant temperatures) is not modelled.
    c.push_back(relative(site, "LUMI HPL power, 151.9 PFlop/s at 51.63 GFlops/W",
                         "TOP500 / Green500 June 2022 (59th list), LUMI (EuroHPC/CSC) entry, No. 3 on both",
                         fmt::format("steady, activity Rmax/Rpeak = {:.3f} (Rpeak: 1176 nodes at Frontier's 2022 Rpeak "
                                     "per node [D]) [E]; all cabinet inputs / 9472 nodes x 1176 (1 110 144 cores / "
                                     "944 [D]); Frontier's cabinets and cooling, not LUMI's",
                                     u_lumi),
                         kLumiRmax / kLumiGflopsPerW, lumi.racks_in / kFrontierNodes * lumi_nodes, 0.10, "MW", 1e6, 2));
    c.push_back(relative(site, "LUMI HPL power, 309.1 PFlop/s (2023)",
                         "TOP500 June 2023 (61st list), LUMI entry: Rpeak 428.70 PFlop/s, 6016 kW (Green500: "
                         "51.38 GFlops/W)",
                         fmt::format("steady, activity Rmax/Rpeak = {:.3f} [E]; all cabinet inputs / 9472 nodes x 2352 "
                                     "(2 220 288 cores / 944 [D]); Frontier's cabinets and cooling, not LUMI's",
                                     u_lumi23),
                         kLumi23Power, lumi23.racks_in / kFrontierNodes * lumi23_nodes, 0.10, "MW", 1e6, 2));
    // Adastra: the same HPL power line as LUMI's (Frontier's cabinets per node), a third site
    // of the same node on it, at its own share of peak, held to the LUMI rows' 10 %. A miss.
    {
        const double published = kAdastraRmax / kAdastraGflopsPerW;
        const double twin = adastra.racks_in / kFrontierNodes * kAdastraNodes;
        CHECK_MESSAGE(std::abs(twin - published) > 0.10 * published,
                      "Adastra's HPL power is now within 10 %: move it into the table");
        misses().push_back(fmt::format(
            "- **Adastra HPL power, 46.1 PFlop/s at 50.03 GFlops/W** [P] TOP500 June 2022 (59th list), No. 10\n"
            "  (top500.org/lists/2022/06), and Green500 of the same list, No. 4 (top500.org/lists/green500/\n"
            "  2022/06): {:.0f} kW. Its MI250X partition is 338 nodes of Frontier's node (CINES, Adastra's\n"
            "  architecture page). Frontier's cabinets per node x 338 at activity Rmax/Rpeak = {:.3f}\n"
            "  (Rpeak: 338 nodes at Frontier's 2022 Rpeak per node [D]): {:.0f} kW, {:+.1f} % against the\n"
            "  LUMI rows' 10 %. Adastra's own cabinets, switches and cooling, and what its measurement\n"
            "  covered, are not modelled (the site is Frontier's); not tuned after the miss.\n",
            published / 1e3, u_adastra, twin / 1e3, 100 * (twin - published) / published));
    }
    c.push_back(relative(site, "Frontier power draw, low end of 8-30 MW",
                         "Sun et al., Energy dataset of Frontier, Sci. Data 11, 1077 (2024)",
                         "steady, every device idle (activity 0); all cabinet inputs", 8e6, idle.racks_in, 0.15, "MW",
                         1e6, 1));
    c.push_back(relative(site, "Frontier power draw, high end of 8-30 MW",
                         "Sun et al., Energy dataset of Frontier, Sci. Data 11, 1077 (2024)",
                         "steady, every device at activity 1; all cabinet inputs", 30e6, full.racks_in, 0.10, "MW", 1e6, 1));
    // Rectifier (eta 0.96, 17 W, 4 per chassis) after SIVOC converters (eta 0.98, 13 W per
    // node), switches (4 x 250 W per chassis) behind the rectifiers only: RAPS's
    // compute_rack_power with config/frontier.yaml, applied to the twin's node powers.
    double raps_loss = 0, twin_loss = 0;
    for (const auto& [path, io] : hpl.stage) {
        if (path.find("/power_shelf") == std::string::npos) continue;
        const double switches = 32 * 250.0;
        const double node = (io.second - switches) / 128;   // [W] per node: devices, memory, NICs, NVMe
        const double chassis = 16 * (node + 13) / 0.98 + 4 * 250.0;
        const double rack_in = 8 * 4 * (chassis / 4 + 17) / 0.96;
        raps_loss += rack_in - io.second;
        twin_loss += io.first - io.second;
    }
    c.push_back(check(relative(site, "Rectifier and converter losses, eta 0.96 + 17 W and 0.98 + 13 W",
                               "ExaDigiT RAPS config/frontier.yaml and raps/power.py (Brewer et al., SC24)",
                               "the HPL-like point above; losses of every cabinet against RAPS's two-stage formula",
                               raps_loss, twin_loss, 0.02, "MW", 1e6, 3),
                      "restates inputs: the site's conversion efficiencies and fixed losses are RAPS's own, so "
                      "the row checks the lumped stage against RAPS's two-stage formula, not a measurement"));
    c.push_back(range(site, "Frontier waste heat (facility return) 30-38 degC",
                      "Sun et al., Energy dataset of Frontier, Sci. Data 11, 1077 (2024)",
                      "the HPL-like point above, 22 degC wet-bulb, CDUs holding 32 degC [E]; facility return", 30 + kC,
                      38 + kC, hpl.plant.inlet, "degC", 1, 0, kC));
    record("frontier", std::move(c));
}

TEST_CASE("gb200-hall against NVIDIA, Meta and PUE figures") {
    // Steady at 06:00 of the design day (about 20 degC) at the training load of 0.9, and at
    // 15:00 (30 degC, the day's peak) at full load.
    SiteModel m(load_site(kSites + "gb200-hall.yaml",
                          {"workload={activity: [{at: 0 s, value: 0.9}, {at: 14 h, value: 1}]}"}));
    const Steady mild = solve(m, 6 * 3600.0);
    const Steady peak = solve(m, 15 * 3600.0);
    const double t_mild = m.outdoor(6 * 3600.0).first - kC, t_peak = m.outdoor(15 * 3600.0).first - kC;
    const std::string site = "gb200-hall";
    const double gpus = double(count_gpus(m));
    REQUIRE(gpus == 152 * 72);
    const auto rack = peak.stage.at("hall1/rowA/rack01/power_shelf");
    std::vector<Case> c;
    c.push_back(relative(site, "GB200 NVL72 rack power, about 120 kW",
                         "[S] Introl, GB200 NVL72 deployment (2025); one source 132 kW",
                         fmt::format("steady, activity 1, 15:00 of the design day ({:.1f} degC); input of one "
                                     "rack's PSU shelves", t_peak),
                         120e3,
                         rack.first, 0.10, "kW", 1e3, 0));
    // Meta's 150 MW datacenter of 83k GB200 (arXiv:2605.24461, abstract) is provisioned at 960 W
    // per GB200, 80 % of its 1200 W TDP (Supercomputing News, 2026-05-30, on the same paper): the
    // site at that cap, at full load on the design day's peak.
    SiteModel capped(load_site(kSites + "gb200-hall.yaml", {"workload={activity: [{at: 0 s, value: 1}]}",
                                                           "device_types.gb200.power_cap=960 W"}));
    const Steady cap960 = solve(capped, 15 * 3600.0, &peak.y);
    c.push_back(relative(site, "All-in site power per GB200 GPU, about 1.8 kW",
                         "[P] Ardestani et al. (Meta Platforms), Provisioning to Runtime Optimization of a 100 MW-Scale "
                         "AI Cluster, arXiv:2605.24461 (2026), abstract: a 150 MW datacenter of 83K GB200 [D: 150 MW / "
                         "83 000]; 960 W per GB200 [S] Supercomputing News (2026-05-30)",
                         fmt::format("steady, activity 1, every GB200 capped at 960 W, 15:00 of the design day "
                                     "({:.1f} degC); grid power / GPUs (uncapped, at 1200 W: {:.2f} kW); 150 MW is "
                                     "the facility's provisioned power, not a metered draw",
                                     t_peak, peak.site.grid_power / gpus / 1e3),
                         150e6 / 83e3,
                         cap960.site.grid_power / gpus, 0.15, "kW", 1e3, 2));
    // PUE as The Green Grid defines it: facility power over IT power at the racks' inputs.
    c.push_back(range(site, "PUE of a warm-water liquid-cooled site, 1.036-1.10",
                      "[P] NREL, HPC Data Center PUE (nrel.gov): ESIF 1.036 annualised; [S] CNBC 2022-04-13: Google fleet "
                      "1.10 (Q2 2021)",
                      fmt::format("steady, activity 0.9, 06:00 of the design day ({:.1f} degC); grid / rack inputs",
                                  t_mild),
                      1.036, 1.10,
                      mild.site.grid_power / mild.racks_in, "", 1, 3));
    // The rack's coolant rise at full load: the rack flow is the site's input (1.35 L/min/kW
    // x ~120 kW [S] Vertiv), the heat the twin's; OCP's range is an independent figure.
    Network& net = m.network();
    const double rise = peak.y[state(net, "hall1/rowA/rack01/coolant/T")] - peak.y[state(net, "cooling/cdus/cdu-h1-a/T_supply")];
    c.push_back(check(range(site, "Secondary (rack) coolant rise dT 8-12 K",
                            "[S] secondary, collected in the project's reference figures: CDU secondary dT 8-12 K",
                            "steady, activity 1, 15:00 of the design day; rack return over CDU supply, rack flow "
                            "160 L/min (site input, 1.35 L/min/kW [S] Vertiv)",
                            8, 12, rise, "K", 1, 0),
                      "restates an input: the rack flow is sized per kW of rack heat (1.35 L/min/kW), which "
                      "fixes the rise at about 10.6 K; the 8-12 K has no named primary source"));
    const auto ups = mild.stage.at("power/ups");
    c.push_back(check(range(site, "UPS efficiency in eco mode 98-99 %",
                            "[S] secondary, collected in the project's reference figures: UPS eco mode 98-99 %",
                            fmt::format("steady, activity 0.9; UPS at {:.0f} % of its rating", 100 * ups.second / 20e6),
                            0.98, 0.99, ups.second / ups.first, "%", 0.01, 1),
                      "restates an input: the eco-mode efficiency curve the site declares is this figure"));
    record("gb200-hall", std::move(c));
}

TEST_CASE("h100-pod, hotspot-pod and example-pod against DOE-2, 80 PLUS and power-cap figures") {
    std::vector<Case> c;
    {
        // DOE-2 centrifugal chiller at its reference point: 6.67 degC leaving chilled water,
        // 29.4 degC entering condenser (here the air condenser's dry-bulb), full load.
        // Economiser idle (the air is warmer than the water); the capacity is sized to the
        // heat of the pod so that the chiller runs at part load 1.
        const std::vector<std::string> base = {"ambient={kind: constant, temperature: 29.4 degC, wet_bulb: 20 degC}",
                                               "coolant.supply_temperature=6.67 degC"};
        auto with = [&](double capacity) {
            auto o = base;
            o.push_back(fmt::format("facility.plant.chiller.capacity={:.6f} W", capacity));
            return o;
        };
        SiteModel probe(load_site(kSites + "h100-pod.yaml", with(3e6)));
        const Steady first = solve(probe, 0.0);
        const double cap_ft = first.plant.chiller_capacity / 3e6;
        SiteModel m(load_site(kSites + "h100-pod.yaml", with(first.plant.chiller_heat / cap_ft)));
        const Steady s = solve(m, 0.0);
        c.push_back(check(relative("h100-pod", "Chiller COP at its rating point, 5.50",
                                   "DOE-2 centrifugal chiller 5.50 COP, Modelica Buildings ElectricEIR data [P]",
                                   fmt::format("steady, 6.67 degC leaving water, 29.4 degC condenser, part load {:.3f}",
                                               s.plant.chiller_heat / s.plant.chiller_capacity),
                                   5.50, s.plant.chiller_heat / s.plant.chiller_power, 0.02, "", 1, 2),
                          "restates an input: the site declares cop 5.5, and the DOE-2 curves are 1 at their "
                          "rating point by construction; checks the curves' normalisation"));
    }
    {
        // Capping every H100 from 700 W to 600 W under a compute-bound load.
        auto step_time = [&](const std::string& cap) {
            SiteModel m(load_site(kSites + "h100-pod.yaml",
                                  {"workload={activity: [{at: 0 s, value: 1}]}", "device_types.h100.power_cap=" + cap}));
            return 1.0 / solve(m, 0.0).site.throughput;
        };
        c.push_back(check(range("h100-pod", "H100 capped 700 -> 600 W: step time +10-15 %",
                                "[S] Factryze, Scale Atlas: Power capping (web page): 10-15 % of step throughput lost "
                                "in transformer pretraining",
                                "steady, activity 1, every GPU capped at 600 W against 700 W", 0.10, 0.15,
                                step_time("600 W") / step_time("700 W") - 1, "%", 0.01, 0),
                          "tuned: the catalogue H100's min_clock_voltage_ratio (0.65, [E]) was chosen with this figure "
                          "in view (input/tables_site.cpp); the source is a rule of thumb, not a measurement"));
    }
    {
        // h100-pod at full load, 15:00 of its design day (22 degC): the rack flow per kW of the
        // heat its coolant carries.
        SiteModel m(load_site(kSites + "h100-pod.yaml", {"workload={activity: [{at: 0 s, value: 1}]}"}));
        const Steady s = solve(m, 15 * 3600.0);
        // Heat into one rack's coolant from its temperature rise; water cp 4.18 kJ/kg K, rho
        // 998.2 kg/m3 [P]. The 40 L/min is the site's input, sized from this figure: the check
        // is that the twin's rack heat keeps the sizing inside OCP's range.
        Network& net = m.network();
        const double rise = s.y[state(net, "hall1/rowA/rack01/coolant/T")] - s.y[state(net, "cooling/cdus/cdu1/T_supply")];
        const double q = 40.0 / 60e3, heat = 998.2 * 4180 * q * rise;
        c.push_back(check(range("h100-pod", "Secondary flow sizing 1.5 L/min/kW (1.25-2.0)",
                                "[S] OCP, collected in the project's reference figures",
                                fmt::format("steady, activity 1; 40 L/min (site input, sized at 1.5 L/min/kW) over "
                                            "the {:.1f} kW its coolant carries", heat / 1e3),
                                1.25, 2.0, 40.0 / (heat / 1e3), "L/min/kW", 1, 2),
                          "restates an input: the rack flow is a site input sized from this figure"));
    }
    {
        // A PSU shelf at half load: PSUs sized so that the rack's load is 50 % of their rating.
        const std::string rack = "hall1/rowA/rack01/power_shelf";
        const std::vector<std::string> load = {"workload={activity: [{at: 0 s, value: 1}]}"};
        SiteModel probe(load_site(kSites + "hotspot-pod.yaml", load));
        const double out = solve(probe, 0.0).stage.at(rack).second;
        auto o = load;
        for (const char* r : {"hgx-h100", "hgx-h100-weak"})
            o.push_back(fmt::format("rack_types.{}.power_shelf.psu_rating={:.6f} W", r, out / (0.5 * 6)));
        SiteModel m(load_site(kSites + "hotspot-pod.yaml", o));
        const auto io = solve(m, 0.0).stage.at(rack);
        c.push_back(check(relative("hotspot-pod", "PSU efficiency at 50 % load, 96 % (80 PLUS Titanium)",
                                   "80 PLUS Titanium, 230 V internal redundant: 90/94/96/91 % at 10/20/50/100 % [S]",
                                   "steady, activity 1; six PSUs sharing the rack's load at 50 % of their rating",
                                   0.96, io.second / io.first, 0.002, "%", 0.01, 1),
                          "restates an input: 96 % at 50 % load is a point of the PSU curve the site declares; "
                          "checks the load sharing and the curve lookup"));
    }
    {
        // A 1000 kVA dry-type transformer at the DOE rating point, 35 % load: example-pod with
        // 12 racks, at the activity that loads the transformer to 35 % (interpolated from two
        // probes, then checked).
        const std::vector<std::string> base = {"halls.hall1.rows.rowA.count=6", "halls.hall1.rows.rowB.count=6",
                                               "power.grid.capacity=1 MW", "power.ups.rating=600 kW",
                                               "power.distribution.rating=600 kW"};
        auto at = [&](double a) {
            auto o = base;
            o.push_back(fmt::format("workload={{activity: [{{at: 0 s, value: {:.6f}}}]}}", a));
            SiteModel m(load_site(kSites + "example-pod.yaml", o));
            return solve(m, 0.0).stage.at("power/transformer");
        };
        const double lo = at(0.5).second, hi = at(1.0).second;
        const auto x = at(0.5 + 0.5 * (0.35 * 1e6 - lo) / (hi - lo));
        REQUIRE(x.second / 1e6 == doctest::Approx(0.35).epsilon(0.02));
        c.push_back(check(relative("example-pod", "1000 kVA LV dry-type transformer at 35 % load, 99.28 %",
                                   "DOE 2016 efficiency standard, 10 CFR 431.196 [P]",
                                   fmt::format("steady, 12 racks loading the transformer to {:.1f} %",
                                               100 * x.second / 1e6),
                                   0.9928, x.second / x.first, 0.0005, "%", 0.01, 2),
                          "restates an input: the site declares the transformer's efficiency as this figure at "
                          "this load; checks the loss model at its rating point"));
    }
    record("pods", std::move(c));
}

TEST_CASE("transients: a load step on a GPU and on Frontier, a utility outage") {
    std::vector<Case> c;
    {
        // example-pod, activity 0.1 -> 1 at 60 s. The die + cold plate part of the response is
        // the junction's rise over its rack's coolant (the coolant itself moves in minutes).
        SiteModel m(load_site(kSites + "example-pod.yaml",
                              {"workload={activity: [{at: 0 s, value: 0.1}, {at: 60 s, value: 1}]}"}));
        auto times = grid(0, 60, 10), fine = grid(60, 90, 0.1), slow = grid(90, 300, 10);
        times.insert(times.end(), fine.begin(), fine.end());
        times.insert(times.end(), slow.begin(), slow.end());
        const auto r = transient(m, times, {"hall1/rowA/rack01/gpu0/T_junction", "hall1/rowA/rack01/coolant/T"});
        std::vector<double> x;
        for (const auto& v : r.v) x.push_back(v[0] - v[1]);
        const std::size_t before = std::size_t(std::find(r.t.begin(), r.t.end(), 60.0) - r.t.begin());
        REQUIRE(before < r.t.size());
        const double tau = rise_time(r.t, x, 60, x[before], x.back(), 1 - std::exp(-1.0));
        c.push_back(check(range("example-pod", "Die + cold plate time constant 1-10 s (H100)",
                                "[E] engineering estimate in the project's reference figures, no primary source",
                                fmt::format("transient, activity 0.1 -> 1 at 60 s; 63 % of gpu0's junction rise over "
                                            "its rack coolant ({:.1f} -> {:.1f} K); catalogue heat capacities are [E]",
                                            x[before], x.back()),
                                1, 10, tau, "s", 1, 0),
                          "no published source for an H100 on a cold plate, and the catalogue's heat capacities "
                          "(input/catalogue.cpp, [E]) were chosen for 1-10 s"));
    }
    {
        // Frontier, job mix 0.3 -> HPL-like 0.654 at 60 s (about +6 MW): the facility return
        // through CDUs, 200 m3 of pipe and the towers. "Minutes" read as 1-10 min.
        // The same step on an MI250X (RAPS's powers, catalogue thermal masses [E]) is sampled
        // finely for its die + cold plate response.
        SiteModel m(load_site(kSites + "frontier.yaml",
                              {"workload={activity: [{at: 0 s, value: 0.3}, {at: 60 s, value: 0.654}]}"}));
        std::string gpu;
        for (const auto& st : m.network().states())
            if (st.path.find("/gpu") != std::string::npos && st.path.ends_with("/T_junction")) {
                gpu = st.path.substr(0, st.path.rfind('/'));
                break;
            }
        REQUIRE(!gpu.empty());
        const std::string rack_coolant = gpu.substr(0, gpu.rfind('/')) + "/coolant/T";
        auto times = grid(0, 60, 10), fine = grid(60, 90, 0.1), slow = grid(90, 3600, 10);
        times.insert(times.end(), fine.begin(), fine.end());
        times.insert(times.end(), slow.begin(), slow.end());
        const auto r = transient(m, times, {gpu + "/T_junction", rack_coolant}, true);
        const std::size_t step = std::size_t(std::find(r.t.begin(), r.t.end(), 60.0) - r.t.begin());
        REQUIRE(step < r.t.size());
        std::vector<double> x;
        for (const auto& v : r.v) x.push_back(v[0] - v[1]);
        // At 3600 s the junction has followed the loop for an hour: its rise over the coolant
        // settled long before.
        const double tau = rise_time(r.t, x, 60, x[step], x.back(), 1 - std::exp(-1.0));
        // Grant et al. on Frontier's cooling: "the primary cooling loops ... have response times
        // measured in minutes while the underlying HPC component thermal stress is measured in
        // seconds". "Seconds" read as 1-10 s, "minutes" as 1-10 min.
        c.push_back(check(range("frontier", "Die + cold plate time constant 1-10 s (MI250X)",
                          "[P] Grant et al., Providing Thermal Stability for an Exascale Supercomputer: A Case Study "
                          "of Frontier's Cooling System, SCA/HPCAsia 2026 Workshops (ACM), abstract: component "
                          "thermal stress \"measured in seconds\"",
                          fmt::format("transient, activity 0.3 -> 0.654 at 60 s; 63 % of {}'s junction rise over its "
                                      "cabinet coolant ({:.1f} -> {:.1f} K); catalogue heat capacities are [E]; "
                                      "seconds read as 1-10 s",
                                      gpu, x[step], x.back()),
                          1, 10, tau, "s", 1, 0),
                          "restates an input: the catalogue's liquid-GPU heat capacities and resistances "
                          "(input/catalogue.cpp, [E]) were chosen for die and plate time constants of 1-10 s; "
                          "Grant et al.'s \"seconds\" agrees but is not independent"));
        const double x0 = r.inlet[step], x1 = r.inlet.back();
        const double settle = settling_time(r.t, r.inlet, 60, x0, x1, 0.05);
        c.push_back(range("frontier", "Cooling loops respond in minutes",
                          "[P] Grant et al., SCA/HPCAsia 2026 Workshops (ACM), abstract: Frontier's primary "
                          "cooling loops \"have response times measured in minutes\"",
                          fmt::format("transient, activity 0.3 -> 0.654 at 60 s (+{:.1f} MW IT); facility return "
                                      "{:.1f} -> {:.1f} degC, 95 % settled; minutes read as 1-10 min",
                                      (r.site.back().it_power - r.site[step - 1].it_power) / 1e6, x0 - kC, x1 - kC),
                          60, 600, settle, "min", 60, 0));
    }
    {
        // outage-pod: the grid fails at 20 min. Its generator's 10 s start delay is this same
        // figure (an input), so the check is the chain: the UPS battery bridges exactly the start
        // (energy drawn / the site's draw before the outage), and no IT load is lost.
        SiteModel m(load_site(kSites + "outage-pod.yaml"));
        auto times = grid(0, 1190, 10), fine = grid(1190, 1300, 0.5);
        times.insert(times.end(), fine.begin(), fine.end());
        const auto r = transient(m, times, {"power/ups/battery/energy"});
        std::size_t before = 0;
        while (r.t[before + 1] < 1200) ++before;
        double e_min = r.v[before][0], it_min = HUGE_VAL;
        for (std::size_t i = before; i < r.t.size(); ++i)
            e_min = std::min(e_min, r.v[i][0]), it_min = std::min(it_min, r.site[i].it_power);
        double t_gen = HUGE_VAL;
        for (const auto& e : r.events) {
            CHECK_MESSAGE(e.kind != "load_shed", "load shed at ", e.time, " s");
            if (e.kind == "generator_load_step") t_gen = std::min(t_gen, e.time);
        }
        CHECK(t_gen - 1200 <= 10.0);
        CHECK(it_min >= r.site[before].it_power * (1 - 1e-9));
        const double bridged = (r.v[before][0] - e_min) / r.site[before].grid_power;
        c.push_back(check(relative("outage-pod", "Generator starts and accepts load within 10 s (NFPA 110 Type 10)",
                                   "[P] NFPA 110, Type 10 (power restored within 10 s)",
                                   fmt::format("transient, utility outage at full load; start delay is the site's 10 s "
                                               "input: battery energy drawn / draw before ({:.1f} kW); no IT load lost",
                                               r.site[before].grid_power / 1e3),
                                   10, bridged, 0.05, "s", 1, 1),
                          "restates an input: the start delay is the site's 10 s; checks that the battery bridges "
                          "it and no load is lost"));
    }
    {
        // h100-pod at full load; its one CDU's secondary pump trips at 60 s and stays off. The
        // time from the trip to the first GPU's thermal shutdown (92 degC [P] nvidia-smi), against
        // Alkharabsheh et al.'s finding that a DLC (secondary loop) failure can shut a data
        // center down in less than a minute. Their servers were CPUs on cold plates, not H100s:
        // the figure is read as a bound, 0-60 s.
        SiteModel m(load_site(kSites + "h100-pod.yaml",
                              {"workload={activity: [{at: 0 s, value: 1}]}",
                               "scenario=[{at: 60 s, kind: cdu_pump_trip, target: cdu1}]"}));
        auto times = grid(0, 60, 10), fine = grid(60, 300, 0.5);
        times.insert(times.end(), fine.begin(), fine.end());
        const auto r = transient(m, times, {"hall1/rowA/rack01/coolant/T"});
        double t_throttle = HUGE_VAL, t_shutdown = HUGE_VAL;
        for (const auto& e : r.events) {
            if (e.kind == "thermal_throttle_onset" && e.time >= 60) t_throttle = std::min(t_throttle, e.time - 60);
            if (e.kind == "shutdown" && e.time >= 60) t_shutdown = std::min(t_shutdown, e.time - 60);
        }
        // A miss: the twin's rack coolant is one mixed volume (the whole rack's water), so without
        // flow a GPU heats with the rack's water, not with the few millilitres in its own plate.
        CHECK_MESSAGE(t_shutdown > 60, "the DLC failure now shuts down within a minute: move it into the table");
        misses().push_back(fmt::format(
            "- **Secondary (DLC) loop failure: shutdown in less than a minute** [P] Alkharabsheh et al.,\n"
            "  Failure Analysis of Direct Liquid Cooling System in Data Centers, ASME J. Electron. Packag.\n"
            "  140(2) 020902 (2018) (CPU servers on cold plates). h100-pod at full load with its CDU's\n"
            "  secondary pump tripped: the first GPU throttles {:.0f} s after the trip and {} within\n"
            "  {:.0f} s. The twin's rack coolant is one mixed volume, so a stagnant plate heats with the whole\n"
            "  rack's water; a plate-level coolant node is missing (see the cold plate lag below).\n",
            t_throttle,
            std::isfinite(t_shutdown) ? fmt::format("shuts down after {:.0f} s", t_shutdown)
                                      : std::string("none shuts down"),
            times.back() - 60));
    }
    {
        // A UPS on battery alone (no generator) at full and at half its rating, to the moment it
        // drops its load. A vendor's runtime table, Emerson Network Power, Liebert GXT3 (230 V)
        // user manual, section 12, Table 11, "Typical battery run times, minutes at 25 degC, 100 %
        // resistive load", internal battery: 9 min at 100 %, 21 min at 50 %. The battery's
        // capacity in kWh is not published, so the test is the energy the battery delivers at half
        // load over that at full load: 0.5 x 21 / 9 = 1.17 (a lead-acid battery gives more energy
        // at a lower rate). It does not depend on the capacity: outage-pod's 5 kWh [E], its UPS
        // rated at its own full-load output, double conversion as the GXT3.
        auto run = [&](double activity, double rating) {
            std::vector<std::string> o = {
                fmt::format("workload={{activity: [{{at: 0 s, value: {:.6f}}}]}}", activity),
                "scenario=[{at: 60 s, kind: utility_outage, duration: 30 min}]", "power.generator.start_delay=1 h"};
            if (rating > 0) o.push_back(fmt::format("power.ups.rating={:.3f} W", rating));
            return o;
        };
        auto ups_out = [&](double activity, double rating) {
            SiteModel m(load_site(kSites + "outage-pod.yaml", run(activity, rating)));
            return solve(m, 0.0).stage.at("power/ups").second;
        };
        const double p_full = ups_out(1.0, 0);
        const double rating = p_full;
        // The activity at which the UPS carries half its rating (secant on two steady solves).
        double a0 = 0.3, a1 = 0.6, f0 = ups_out(a0, rating) - 0.5 * rating, f1 = ups_out(a1, rating) - 0.5 * rating;
        for (int k = 0; k < 6 && std::abs(f1) > 1e-4 * rating; ++k) {
            const double a2 = a1 - f1 * (a1 - a0) / (f1 - f0);
            a0 = a1, f0 = f1, a1 = std::clamp(a2, 0.0, 1.0), f1 = ups_out(a1, rating) - 0.5 * rating;
        }
        REQUIRE(std::abs(f1) <= 1e-3 * rating);
        auto runtime = [&](double activity) {
            SiteModel m(load_site(kSites + "outage-pod.yaml", run(activity, rating)));
            const auto r = transient(m, grid(0, 900, 5), {"power/ups/battery/energy"});
            double t_shed = HUGE_VAL;
            for (const auto& e : r.events)
                if (e.kind == "load_shed" && e.time >= 60) t_shed = std::min(t_shed, e.time - 60);
            return t_shed;
        };
        const double t_full = runtime(1.0), t_half = runtime(a1);
        REQUIRE(std::isfinite(t_full));
        REQUIRE(std::isfinite(t_half));
        const double p_half = 0.5 * rating + f1;
        const double twin = (p_half * t_half) / (p_full * t_full), published = 0.5 * 21 / 9;
        // A miss: the twin's battery is an ideal energy store behind a constant discharge
        // efficiency, with no rate-dependent capacity (Peukert).
        CHECK_MESSAGE(std::abs(twin - published) > 0.10 * published,
                      "the UPS runtime ratio is now reproduced: move it into the table");
        misses().push_back(fmt::format(
            "- **UPS runtime at half against full load** [P] Emerson Network Power, Liebert GXT3 (230 V) user\n"
            "  manual, section 12, Table 11, typical battery run times at 25 degC: internal battery 9 min at\n"
            "  100 % load, 21 min at 50 %, so the battery delivers 0.5 x 21 / 9 = 1.17 times the energy at\n"
            "  half load. outage-pod on battery alone, its UPS rated at its own full-load output: {:.1f} min\n"
            "  at 100 %, {:.1f} min at 50 %, {:.2f} times the energy ({:+.0f} %). The twin's battery is an ideal\n"
            "  store behind a constant discharge efficiency, with no rate-dependent capacity; the same\n"
            "  table's larger banks (lower discharge rates: 53 min at 100 %, 106 min at 50 % with four\n"
            "  external cabinets) come close to 1.0, as the twin.\n",
            t_full / 60, t_half / 60, twin, 100 * (twin - published) / published));
    }
    record("transients", std::move(c));
}

// Last in the file, so that with DCTWIN_UPDATE_DOCS=1 every group above has run before it.
TEST_CASE("docs/validation.md holds every case") {
    const std::string doc = read_all(kDoc);
    if (!updating()) {
        CHECK_MESSAGE(doc.find("# Validation") != std::string::npos, "docs/validation.md is missing");
        return;
    }
    REQUIRE_MESSAGE(rows().size() == 4, "run every validation case to rewrite docs/validation.md");
    std::ostringstream o;
    o << "# Validation\n\n"
         "The example sites against published figures. Each row is a test in `tests/validation/`: it runs a\n"
         "shipped site at a steady design point, or over time through a load step or an outage (conditions\n"
         "`transient`), under the stated conditions and checks the twin's value against the figure within\n"
         "the tolerance. Tags: [P] primary source, [S] secondary, [D] derived, [E] engineering assumption\n"
         "(see the sites' header comments).\n\n"
         "Only the first table counts: a figure published by a named source that the twin computes as a\n"
         "result, from a site whose inputs were not taken from that figure or tuned to it. The second\n"
         "table holds consistency checks: tested the same way, but each restates one of the site's inputs,\n"
         "was tuned to its figure, or has no published source; they are not counted.\n\n"
         "Regenerate this file (after the model or a site changes):\n\n"
         "    DCTWIN_UPDATE_DOCS=1 build/tests/test_validation\n\n"
         "## Published results\n\n"
         "| site | figure | source | conditions | published | twin | error | tolerance |\n"
         "|---|---|---|---|---|---|---|---|\n";
    int n = 0, n_transient = 0, n_checks = 0;
    for (const auto& [group, cases] : rows())
        for (const auto& c : cases) {
            if (!c.check.empty()) continue;
            o << "| " << c.site << " | " << c.figure << " | " << c.source << " | " << c.conditions << " | "
              << c.published << " | " << c.twin << " | " << c.error << " | " << c.tolerance << " |\n";
            ++n;
            if (c.transient()) ++n_transient;
        }
    o << "\n" << n << " published results, " << n_transient << " of them transient.\n\n"
         "## Consistency checks, not counted\n\n"
         "| site | figure | source | conditions | published | twin | error | tolerance | why not counted |\n"
         "|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [group, cases] : rows())
        for (const auto& c : cases) {
            if (c.check.empty()) continue;
            o << "| " << c.site << " | " << c.figure << " | " << c.source << " | " << c.conditions << " | "
              << c.published << " | " << c.twin << " | " << c.error << " | " << c.tolerance << " | " << c.check
              << " |\n";
            ++n_checks;
        }
    o << "\n" << n_checks << " consistency checks.\n\n"
         "## Not yet validated\n\n"
         "Figures the twin cannot yet reproduce honestly, and why:\n\n"
         << [] {
                std::string m;
                for (const auto& x : misses()) m += x;
                return m;
            }()
         << "- **Site battery (BESS) smoothing**: xAI Colossus, 150 MW grid + 150 MW battery [S]. `campus-100k`\n"
         "  declares a site battery of that power, which holds its grid import under the ramp limit, but\n"
         "  the published figure is a sizing, not a measured response: there is nothing to hold the\n"
         "  twin's smoothing against.\n"
         "- **Grid ramp and oscillation limits** (MW/s, 0.1-20 Hz bands) [P] arXiv 2508.14318: the twin\n"
         "  reports ramp rates and the energy in each band (and a site battery or in-rack storage holds\n"
         "  the ramp), but the paper states utilities' limits, not a site's measured response.\n"
         "- **Frontier cooling twin accuracy** (CV-RMSE < 2.7 %, NMBE +-2.5 % over a year of 10-min data) [P]\n"
         "  arXiv 2603.01198: needs Frontier's telemetry, which is not public in full.\n"
         "- **Liquid against air-cooled H100** (41-50 degC against 54-72 degC, 17 % more throughput) [P]\n"
         "  arXiv 2507.16781: the air-cooled GPU servers' fan and inlet conditions of that study are not\n"
         "  in the site format (device heat sinks share the rack's fan flow at the hall air temperature).\n"
         "- **Diurnal throughput swing of 1-2 %** (Llama 3) [P]: needs the site's weather and a training\n"
         "  job at the scale of that paper; the DVFS path exists, the calibration does not.\n"
         "- **Annual WUE** (NREL ESIF towers ~1.1 L/kWh [D]; industry 1.8-1.9 L/kWh [S]): an annual\n"
         "  run takes minutes (tower-pod: about 2 min), too slow for the suite. At a single point the\n"
         "  twin is above both (Frontier's HPL-like point: about 2.2 L per kWh of IT, every watt through\n"
         "  the towers at 4 cycles of concentration), which an annual average need not be.\n"
         "- **xAI Colossus, 100k H100 drew about 70 MW** [S]: h100-pod at activity 1 draws about 1.05 kW\n"
         "  per GPU all-in (grid power / GPUs), +49 %. 0.70 kW per GPU is the H100's own 700 W limit, so\n"
         "  the figure cannot be an all-in draw at full load; its load and scope are not stated. The\n"
         "  site is not tuned to it.\n"
         "- **Frontier facility flow, about 6000 gpm** [P] ORNL: the twin's Frontier carries about\n"
         "  9700 gpm at the HPL-like point, the sum of its 25 CDUs' primary flows (25 L/s each, [E]).\n"
         "  Not tuned after the fact; the CDU flows need a primary source.\n"
         "- **UPS ride-through 3-5 min** [S]; [P] DOE: gb200-hall's and campus-100k's batteries are sized\n"
         "  from this same figure (about 5 min of the IT load), so an outage without generator would\n"
         "  check the sizing, not the model; outage-pod's 5 kWh (about 2.5 min) is [E].\n"
         "- **Cold plate outlet lag tau = 2 s** [P] Modelica Buildings: the twin has no plate outlet node\n"
         "  (a rack's coolant is one mixed volume, about 25 s in example-pod); its plate node lags the\n"
         "  coolant by about 10 s in the H100 step above, coupled to the junction. Not the same quantity.\n"
         "- **YorkCalc tower design point** (25.55 degC wet-bulb, 3.89 K approach, 5.56 K range) [P]: the\n"
         "  twin's tower is sized from its design wet-bulb and approach at capacity, so at that point the\n"
         "  approach is its input; YorkCalc's off-design correlation is not modelled.\n"
         "- **UPS double conversion 94-97 %** [S]: the default curve (94 / 96 / 97 / 97 % at 25-100 %\n"
         "  load) is this figure, so any operating point reproduces it (the eco-mode check above restates\n"
         "  its curve the same way).\n"
         "- **H100 slowdown at 89 degC** [P] and **generator start within 10 s** [P]: both are inputs of\n"
         "  the sites (slowdown_temperature, start_delay); the outage check above checks the chain behind\n"
         "  the start delay, not the delay.\n"
         "- **campus-100k as a whole**: a steady solve of its 407 077 states takes about 10 s in\n"
         "  Release (about ten times that under the sanitizers), too slow for the suite; its racks,\n"
         "  CDUs and plant are those of `gb200-hall`, validated above.\n"
         "- **Frontier under HPL from telemetry**: the HPL-like load above is an assumption (activity =\n"
         "  Rmax / Rpeak); the measured per-GPU power during the run is not public.\n"
         "- **Found but not usable yet**: Frontier after its 2024 expansion (TOP500 Nov 2024: 1.353\n"
         "  EFlop/s on 9 066 176 cores, 9604 nodes [D], more than the site's 9472) needs its power, not\n"
         "  confirmed here; Setonix's GPU partition (Pawsey: 192 nodes of one Trento and four MI250X,\n"
         "  Frontier's node) needs its TOP500 entry (Rmax, power), not found here; Henri (Green500 Nov\n"
         "  2022, H100 PCIe) has no site; a room's 2 degC/min rise after all chillers stopped\n"
         "  (Hosting365, 2008) and Alkharabsheh et al.'s facility-side failure (InterPACK 2018: \"not\n"
         "  hazardous\") give no site or no number to test against.\n";
    std::ofstream(kDoc, std::ios::binary) << o.str();
    MESSAGE("rewrote docs/validation.md with ", n, " published results (", n_transient, " transient) and ", n_checks,
            " consistency checks");
}
