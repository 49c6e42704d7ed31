// Site KPIs (models/kpis.hpp): each against a hand calculation from its definition, made from
// the run's own rows (the cumulative grid and IT energy, the water used) rather than from the
// summary, and the grid series' readers (input/series.hpp) on good and bad input.

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "input/series.hpp"
#include "input/site_loader.hpp"
#include "input/units.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "sweep/summary.hpp"
#include "tests/models/model_test_util.hpp"
#include "io/results.hpp"

using namespace dctwin;

namespace {
const std::string kSites = std::string(DCTWIN_SOURCE_DIR) + "/sites/";

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The example pod with `grid_keys` under power.grid, written next to `files` (name, text).
std::string pod_with_grid(const std::string& name, const std::string& grid_keys,
                          const std::vector<std::pair<std::string, std::string>>& files = {}) {
    std::string text = slurp(kSites + "example-pod.yaml");
    const std::string anchor = "    ramp_limit: 50 kW/s\n";
    const auto at = text.find(anchor);
    REQUIRE(at != std::string::npos);
    text.insert(at + anchor.size(), grid_keys);
    const std::string path = test::scratch("kpis", name + ".yaml");
    std::ofstream(path) << text;
    for (const auto& [f, t] : files) std::ofstream(test::scratch("kpis", f)) << t;
    return path;
}

double attr(const ResultsReader& r, const std::string& obj, const std::string& name) {
    return std::get<double>(r.attribute(obj, name));
}

constexpr double kJPerKWh = 3.6e6;
}  // namespace

TEST_CASE("kpis: PUE, CUE, REF, ERF and grid cost of a small site against hand calculations from its rows") {
    // Carbon steps from 0.5 to 0.2 kg/kWh at 30 min (a file), the price rises linearly from
    // 0.10 to 0.20 USD/kWh over the hour (inline points), 40 % renewable, 15 USD/kW of demand.
    const std::string site = pod_with_grid(
        "cost",
        "    carbon_intensity: {file: ci.csv}\n"
        "    energy_price: {points: [[0 h, 0.10 USD/kWh], [1 h, 0.20 USD/kWh]], interpolation: linear}\n"
        "    renewable_share: 40 %\n"
        "    demand_charge: 15 USD/kW\n",
        {{"ci.csv", "# test series\ntime [min], carbon_intensity [g/kWh]\n0, 500\n30, 200\n"}});
    SiteModel m(load_site(site));
    RunOptions o;
    o.duration = 3600;
    o.output = test::scratch("kpis", "cost.h5");
    o.force = true;
    const RunSummary s = run_site(m, o);
    REQUIRE(s.status == "complete");

    ResultsReader r(o.output);
    const auto t = r.read("/time"), eg = r.read("/site/energy_grid"), eit = r.read("/site/energy_it");
    REQUIRE(t.size() == 361);
    const double e_grid = eg.back() - eg.front(), e_it = eit.back() - eit.front();
    REQUIRE(e_it > 0);

    // PUE: the pod's stores (UPS battery) end where they start, so facility energy = grid.
    const auto& k = s.kpis;
    CHECK(k["pue"]["value"].get<double>() == doctest::Approx(e_grid / e_it).epsilon(1e-6));
    CHECK(k["pue"]["reason"].is_null());

    // CUE: 0.5 kg/kWh on the grid energy of the first half hour, 0.2 on the second.
    std::size_t half = 0;
    while (t[half] < 1800) ++half;
    REQUIRE(t[half] == 1800);
    const double carbon = (0.5 * (eg[half] - eg[0]) + 0.2 * (eg.back() - eg[half])) / kJPerKWh;
    CHECK(k["cue"]["carbon_kg"].get<double>() == doctest::Approx(carbon).epsilon(1e-9));
    CHECK(k["cue"]["value"].get<double>() == doctest::Approx(carbon / (e_it / kJPerKWh)).epsilon(1e-9));
    CHECK(k["cue"]["unit"] == "kg/kWh");

    // Energy cost: each row's grid energy at the price in the middle of the row (linear).
    double energy_cost = 0;
    for (std::size_t i = 1; i < t.size(); ++i)
        energy_cost += (eg[i] - eg[i - 1]) / kJPerKWh * (0.10 + 0.10 * 0.5 * (t[i] + t[i - 1]) / 3600);
    // Demand: the highest of the four 15-minute means, at 15 USD/kW.
    double peak = 0;
    for (std::size_t i = 90; i < t.size(); i += 90) {
        REQUIRE(t[i] == doctest::Approx(t[i - 90] + 900));
        peak = std::max(peak, (eg[i] - eg[i - 90]) / 900);
    }
    const auto& c = k["grid_cost"];
    CHECK(c["energy_cost"].get<double>() == doctest::Approx(energy_cost).epsilon(1e-9));
    CHECK(c["peak_demand_W"].get<double>() == doctest::Approx(peak).epsilon(1e-9));
    // One hour of the default 30-day billing period, charged its share (partial_billing_period: prorated).
    const double share = 3600.0 / (30 * 86400.0);
    CHECK(c["billed_periods"].get<double>() == doctest::Approx(share).epsilon(1e-12));
    CHECK(c["demand_cost"].get<double>() == doctest::Approx(15e-3 * peak * share).epsilon(1e-9));
    CHECK(c["value"].get<double>() == doctest::Approx(energy_cost + 15e-3 * peak * share).epsilon(1e-9));
    CHECK(c["unit"] == "USD");
    CHECK(c["billing_periods"] == 1);
    // The training job idles for 10 minutes: the peak is over a later interval, above the mean.
    CHECK(peak > e_grid / 3600);

    // REF: 40 % of the grid energy over the facility's; ERF: nothing is recovered.
    // (The facility energy is the grid's here, as for the PUE above.)
    CHECK(k["ref"]["value"].get<double>() == doctest::Approx(0.4).epsilon(1e-6));
    CHECK(k["erf"]["value"].get<double>() == 0.0);
    CHECK(k["erf"]["reason"].get<std::string>().find("no heat recovery") != std::string::npos);
    // No plant: water use is not modelled, and the WUE says so rather than 0.
    CHECK(k["wue"]["value"].is_null());
    CHECK(k["wue"]["reason"].get<std::string>().find("not modelled") != std::string::npos);

    // The results file holds the same, with units, and the series as rows.
    CHECK(attr(r, "/kpi/cue", "value") == doctest::Approx(k["cue"]["value"].get<double>()).epsilon(1e-12));
    CHECK(std::get<std::string>(r.attribute("/kpi/cue", "units")) == "kg/kWh");
    CHECK(std::get<std::string>(r.attribute("/kpi/grid_cost", "units")) == "USD");
    CHECK(std::isnan(attr(r, "/kpi/wue", "value")));
    const auto ci = r.read("/site/grid_carbon_intensity"), price = r.read("/site/grid_energy_price");
    CHECK(ci[half - 1] == doctest::Approx(0.5));
    CHECK(ci[half] == doctest::Approx(0.2));
    CHECK(price.back() == doctest::Approx(0.20));
    // A sweep's summary row carries them too.
    const auto row = sweep::result_values(s.to_json());
    CHECK(row["cue_kg_per_kWh"].get<double>() == k["cue"]["value"].get<double>());
    CHECK(row["grid_cost"].get<double>() == c["value"].get<double>());
    CHECK(row["grid_currency"] == "USD");
    CHECK(row["wue_L_per_kWh"].is_null());
    // The text summary names them.
    const std::string text = s.to_text();
    CHECK(text.find("CUE ") != std::string::npos);
    CHECK(text.find("grid cost ") != std::string::npos);
}

TEST_CASE("kpis: every key on a site without series is there, null with a reason, and WUE of towers and of dry coolers") {
    SiteModel m(load_site(kSites + "example-pod.yaml"));
    RunOptions o;
    o.duration = 600;
    const RunSummary s = run_site(m, o);
    const auto j = s.to_json();
    for (const char* key : {"pue", "wue", "erf", "ref", "cue", "grid_cost"}) {
        INFO(key);
        REQUIRE(j["kpis"].contains(key));
        CHECK(j["kpis"][key].contains("unit"));
        CHECK(j["kpis"][key].contains("definition"));
    }
    CHECK(j["kpis"]["cue"]["value"].is_null());
    CHECK(j["kpis"]["cue"]["reason"] == "no grid carbon intensity given: power.grid.carbon_intensity");
    CHECK(j["kpis"]["grid_cost"]["value"].is_null());
    CHECK(j["kpis"]["ref"]["value"].is_null());

    // Cooling towers: water used over IT energy, from the rows.
    {
        SiteModel t(load_site(kSites + "tower-pod.yaml"));
        RunOptions ot;
        ot.duration = 6 * 3600;
        ot.output = test::scratch("kpis", "tower.h5");
        ot.force = true;
        const RunSummary st = run_site(t, ot);
        ResultsReader r(ot.output);
        const auto w = r.read("/cooling/plant/water_used"), eit = r.read("/site/energy_it");
        const double wue = (w.back() - w.front()) * 1e3 / ((eit.back() - eit.front()) / kJPerKWh);
        REQUIRE(wue > 0);
        CHECK(st.kpis["wue"]["value"].get<double>() == doctest::Approx(wue).epsilon(1e-9));
        CHECK(st.kpis["wue"]["reason"].is_null());
    }
    // Dry coolers (and an air-cooled trim chiller): no water, 0 and why.
    {
        SiteModel d(load_site(kSites + "h100-pod.yaml"));
        RunOptions od;
        od.duration = 600;
        const RunSummary sd = run_site(d, od);
        CHECK(sd.kpis["wue"]["value"].get<double>() == 0.0);
        CHECK(sd.kpis["wue"]["reason"].get<std::string>().find("no cooling tower") != std::string::npos);
    }
}

TEST_CASE("kpis: a steady solve gives CUE and REF as ratios of the design point's powers") {
    const std::string site = pod_with_grid("steady", "    carbon_intensity: 0.4 kg/kWh\n    renewable_share: 0.25\n");
    SiteModel m(load_site(site));
    RunOptions o;
    o.steady = true;
    o.steady_at = 1800;
    const RunSummary s = run_site(m, o);
    // The summary's PUE at the point is grid over IT power: CUE = 0.4 x grid / IT = 0.4 x PUE.
    CHECK(s.kpis["cue"]["value"].get<double>() == doctest::Approx(0.4 * s.pue).epsilon(1e-9));
    CHECK(s.kpis["ref"]["value"].get<double>() == doctest::Approx(0.25).epsilon(1e-6));
    CHECK(s.kpis["grid_cost"]["value"].is_null());
}

TEST_CASE("kpis: series tables: step and linear means, periods, and the last value held") {
    TimeSeriesSpec s;
    s.time = {0, 10, 20};
    s.value = {1, 3, 2};
    const SeriesTable step(s);
    CHECK(step.at(5) == 1);
    CHECK(step.at(10) == 3);
    CHECK(step.at(100) == 2);  // held after the last point
    CHECK(step.mean(0, 20) == doctest::Approx(2.0));
    CHECK(step.mean(15, 30) == doctest::Approx((3 * 5 + 2 * 10) / 15.0));
    s.linear = true;
    const SeriesTable lin(s);
    CHECK(lin.at(5) == doctest::Approx(2));
    CHECK(lin.mean(0, 10) == doctest::Approx(2));
    CHECK(lin.mean(10, 20) == doctest::Approx(2.5));
    s.period = 40;  // linear back to the first value at 40 s, then again
    const SeriesTable per(s);
    CHECK(per.at(30) == doctest::Approx(1.5));
    CHECK(per.at(45) == doctest::Approx(2));
    CHECK(per.mean(0, 80) == doctest::Approx(per.mean(0, 40)));
    CHECK(per.mean(0, 40) == doctest::Approx((20 + 25 + 15 + 15) / 40.0));
}

TEST_CASE("kpis: series values and files: units, currency and located errors") {
    CHECK(parse_series_value("400 g/kWh", SeriesQuantity::carbon_intensity, "USD") == doctest::Approx(0.4 / kJPerKWh));
    CHECK(parse_series_value("120 EUR/MWh", SeriesQuantity::energy_price, "EUR") == doctest::Approx(0.12 / kJPerKWh));
    CHECK(parse_series_value("35 %", SeriesQuantity::fraction, "USD") == doctest::Approx(0.35));
    CHECK(parse_demand_charge("15 USD/kW", "USD") == doctest::Approx(0.015));
    CHECK_THROWS_WITH_AS(parse_series_value("0.12 EUR/kWh", SeriesQuantity::energy_price, "USD"),
                         doctest::Contains("expected a price in USD per energy"), UnitError);
    CHECK_THROWS_WITH_AS(parse_series_value("0.4", SeriesQuantity::carbon_intensity, "USD"),
                         doctest::Contains("with its unit"), UnitError);
    CHECK_THROWS_WITH_AS(parse_series_value("9 kg/kWh", SeriesQuantity::carbon_intensity, "USD"),
                         doctest::Contains("out of range"), UnitError);
    CHECK_THROWS_WITH_AS(parse_series_value("1.2", SeriesQuantity::fraction, "USD"), doctest::Contains("out of range"),
                         UnitError);

    auto error_of = [](const std::string& text, SeriesQuantity q = SeriesQuantity::carbon_intensity) {
        TimeSeriesSpec s;
        try {
            parse_series_csv(text, "ci.csv", "power.grid.carbon_intensity.file", q, "USD", s);
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string h = "time [h], carbon_intensity [kg/kWh]\n";
    CHECK(error_of("") .find("ci.csv:1:1: error: power.grid.carbon_intensity.file: empty series file") != std::string::npos);
    CHECK(error_of(h).find("ci.csv:1:1: error:") != std::string::npos);
    CHECK(error_of(h + "0, 0.4\n1, lots\n").find("ci.csv:3:4: error: power.grid.carbon_intensity.file: expected the value") !=
          std::string::npos);
    CHECK(error_of(h + "1, 0.4\n").find("ci.csv:2:1: error:") != std::string::npos);         // not from 0
    CHECK(error_of(h + "0, 0.4\n0, 0.3\n").find("ci.csv:3:1: error:") != std::string::npos);  // not increasing
    CHECK(error_of(h + "0, 0.4\n2, 7\n").find("ci.csv:3:4: error:") != std::string::npos);   // out of range
    CHECK(error_of(h + "0, 0.4, 1\n").find("ci.csv:2:9: error:") != std::string::npos);      // a third field
    CHECK(error_of("time [h], carbon_intensity [kg/m3]\n0, 1\n").find("ci.csv:1:29: error:") != std::string::npos);
    CHECK(error_of("time, carbon_intensity [kg/kWh]\n0, 1\n").find("ci.csv:1:1: error:") != std::string::npos);
    CHECK(error_of("time [h], energy_price [EUR/kWh]\n0, 1\n", SeriesQuantity::energy_price).find("ci.csv:1:25: error:") !=
          std::string::npos);
    CHECK(error_of(h + "# a comment\n\n0, 0.4\n1, 0.3\n") == "no error");
}

TEST_CASE("kpis: billed demand: fixed intervals from the start, each billing period's peak, a partial end alone") {
    GridSpec g;
    g.demand_interval = 900;
    g.billing_period = 1800;
    g.demand_charge = 0.01;  // [USD/W]
    TimeSeriesSpec price;
    price.time = {0};
    price.value = {0.1 / kJPerKWh};
    GridSeries s;
    s.energy_price = SeriesTable(price);
    // Rows every 300 s to 4000 s, the grid power constant over each row: 100 kW, with 400 kW
    // over [600, 1200) (straddling the first interval boundary) and 250 kW over [3900, 4000].
    auto power = [](double a) { return a >= 600 && a < 1200 ? 400e3 : a >= 3900 ? 250e3 : 100e3; };
    std::vector<double> rows;
    for (double t = 0; t <= 3900; t += 300) rows.push_back(t);
    rows.push_back(4000);
    double e = 0;
    auto feed = [&](KpiAccumulator& a) {
        e = 0;
        a.add(0, 0);
        for (std::size_t i = 1; i < rows.size(); ++i) {
            e += power(rows[i - 1]) * (rows[i] - rows[i - 1]);
            a.add(rows[i], e);
        }
        a.finish();
    };
    KpiAccumulator acc(g, s, 0.0);
    feed(acc);
    // [0, 900): 600 s at 100 kW and 300 s at 400 kW; [900, 1800): 300 s at 400 kW, 600 s at 100 kW.
    const double first = (600 * 100e3 + 300 * 400e3) / 900;
    REQUIRE(acc.period_peak_W.size() == 3);
    CHECK(acc.period_peak_W[0] == doctest::Approx(first));
    CHECK(acc.period_peak_W[1] == doctest::Approx(100e3));  // [1800, 2700) and [2700, 3600)
    // [3600, 4000) is partial and the third period has no whole interval: it counts.
    CHECK(acc.period_peak_W[2] == doctest::Approx((300 * 100e3 + 100 * 250e3) / 400));
    CHECK(acc.peak_demand() == doctest::Approx(first));
    // The third period [3600, 5400) is covered for 400 s of its 1800 s: its share by default...
    const double third = (300 * 100e3 + 100 * 250e3) / 400;
    CHECK(acc.billed_fraction(0) == 1.0);
    CHECK(acc.billed_fraction(2) == doctest::Approx(400.0 / 1800));
    CHECK(acc.demand_cost() == doctest::Approx(0.01 * (first + 100e3 + third * 400 / 1800)));
    // ...and its whole charge when partial periods are billed whole.
    g.partial_billing_period = "whole";
    KpiAccumulator whole(g, s, 0.0);
    feed(whole);
    CHECK(whole.billed_fraction(2) == 1.0);
    CHECK(whole.demand_cost() == doctest::Approx(0.01 * (first + 100e3 + third)));
    CHECK(acc.energy_cost == doctest::Approx(0.1 * e / kJPerKWh));
    CHECK(std::isnan(acc.carbon_kg));  // no carbon series: nothing to sum
}
