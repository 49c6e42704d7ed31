// The site format's tables for the electrical chain: grid and its series, transformer, UPS and
// batteries, generator, scenario events, distribution, busways, power shelves, storage.

#include "input/site_tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace dctwin::schema {

Table<ConversionSpec> conversion_table(std::string title, std::string intro, double max_rating, std::string eff_source,
                                       std::string rating_source) {
    return {std::move(title), std::move(intro),
            {
                quantity<ConversionSpec>("efficiency", dims::dimensionless, &ConversionSpec::efficiency, above(0, 1),
                                         kRequired, "eta in P_in = (P_out + no_load_loss) / eta. " + eff_source),
                quantity<ConversionSpec>("no_load_loss", dims::power, &ConversionSpec::no_load_loss, in(0, max_rating / 10),
                                         kRequired, "Constant loss c in P_in = (P_out + c) / eta, drawn even at no load."),
                quantity<ConversionSpec>("rating", dims::power, &ConversionSpec::rating, above(0, max_rating), kRequired,
                                         fmt::format("Output rating; the load over the rating is reported as a "
                                                     "constraint.{}", rating_source.empty() ? "" : " " + rating_source)),
            }};
}

const Table<ConversionSpec>& distribution_table() {
    static const Table<ConversionSpec> t = conversion_table(
        "power.distribution",
        "Switchgear and PDUs between the UPS (or, without one, the grid) and the halls, as one stage; without "
        "`transformer` and `ups` it stands for the whole chain. Its loss heats the electrical room.",
        10e9,
        "Double-conversion UPS 0.94-0.97 [S]; LV transformer 0.986-0.993 at 35 % load [P] DOE 10 CFR 431.196.",
        "");
    return t;
}

const Table<CurvePoint>& curve_point_table() {
    static const Table<CurvePoint> t{
        "efficiency_curve[]", "A point of an efficiency curve: efficiency at a fraction of the unit's rating.",
        {
            quantity<CurvePoint>("load", dims::dimensionless, &CurvePoint::load, above(0, 2), kRequired,
                                 "Load as a fraction of the unit's rating, e.g. `50 %`."),
            quantity<CurvePoint>("efficiency", dims::dimensionless, &CurvePoint::efficiency, above(0, 1), kRequired,
                                 "Output over input at that load."),
        }};
    return t;
}

// Curve points strictly increasing in load; one point is a flat curve.
void check_curve(const std::vector<CurvePoint>& c, const Node& owner, const std::string& path, Reader& r) {
    const Entry* e = owner.find("efficiency_curve");
    if (!e) return;
    for (size_t i = 1; i < c.size(); ++i)
        if (!(c[i].load > c[i - 1].load))
            r.fail(value_loc(e->value.items[i], "load"), join(join(path, std::to_string(i)), "load"),
                   "curve points must be in increasing order of load");
}

const Table<StorageSpec>& rack_storage_table() {
    using B = StorageSpec;
    static const Table<B> t{
        "rack_types.<name>.power_shelf.storage",
        "In-rack energy storage at the input of the rack's power shelf, one per rack, for power smoothing: "
        "what the rack draws from its feed follows its demand at most at `ramp_limit` (the same rate-limited "
        "tracker as `power.site_battery`, with `response_time`), the store delivering or absorbing the "
        "difference within `power` and its energy, and returning to `target_soc` over `recharge_time`. Its "
        "losses heat the hall air (where the shelf's loss goes) and are reported as the loss group "
        "`rack_storage`.",
        {
            boolean<B>("enabled", &B::enabled, true,
                       "false: described but not built (`--set rack_types.<name>.power_shelf.storage.enabled=false` "
                       "compares the racks without it)."),
            quantity<B>("capacity", dims::energy, &B::capacity, above(0, 1e10), kRequired,
                        "Usable energy, e.g. `2 kWh` (an OCP ORv3 battery backup shelf holds a few hundred Wh to a few "
                        "kWh [E])."),
            quantity<B>("power", dims::power, &B::power, above(0, 10e6), kRequired, "Largest charge or discharge power."),
            quantity<B>("charge_efficiency", dims::dimensionless, &B::charge_efficiency, above(0, 1), 0.95,
                        "Stored over drawn [E]."),
            quantity<B>("discharge_efficiency", dims::dimensionless, &B::discharge_efficiency, above(0, 1), 0.95,
                        "Delivered over taken from storage [E]."),
            quantity<B>("target_soc", dims::dimensionless, &B::target_soc, in(0.05, 0.95), 0.5,
                        "State of charge it holds between swings (and starts at)."),
            quantity<B>("ramp_limit", dims::power_ramp, &B::ramp_limit, above(0, 1e9), kRequired,
                        "Largest rate of change of the power the rack draws from its feed, e.g. `2 kW/s`."),
            quantity<B>("response_time", dims::time, &B::response_time, in(0.01, 3600), 10.0,
                        "Time constant of the rack's draw following its demand; several iteration periods, so that "
                        "the draw settles at the iterations' mean rather than chasing each phase."),
            quantity<B>("recharge_time", dims::time, &B::recharge_time, in(1, 30 * kDay), 900.0,
                        "Time constant of the return to the target state of charge."),
        }};
    return t;
}

const Table<PowerShelfSpec>& power_shelf_table() {
    using S = PowerShelfSpec;
    auto tag = [](Field<S> f, const char* def) {
        f.param.default_text = def;
        f.param.required = false;
        return f;
    };
    static const Table<S> t{
        "rack_types.<name>.power_shelf",
        "The rack's power shelf, in one of two forms. Lumped: `efficiency`, `no_load_loss` and `rating`, with "
        "P_in = (P_out + no_load_loss) / efficiency. PSUs: `psu_count` PSUs of `psu_rating` share the load and "
        "convert on `efficiency_curve`; `redundancy` of them are spares, so the rating is (psu_count - redundancy) "
        "x psu_rating. Its loss heats the hall air.",
        {
            tag(quantity<S>("efficiency", dims::dimensionless, &S::efficiency, above(0, 1), 0.0,
                            "Lumped form: eta. 80 PLUS Titanium 0.96 at 50 % load [S]; Frontier rectifier 0.96 with 17 W "
                            "constant [P] ExaDigiT RAPS."),
                "(PSU form)"),
            tag(quantity<S>("no_load_loss", dims::power, &S::no_load_loss, in(0, 1e6), 0.0,
                            "Lumped form: constant loss c, drawn even at no load."),
                "0 W"),
            tag(quantity<S>("rating", dims::power, &S::rating, above(0, 10e6), 0.0,
                            "Lumped form: output rating. NVL72: 33 kW per shelf [P] NVIDIA Base Command Manager docs."),
                "(PSU form: derived)"),
            tag(integer<S>("psu_count", &S::psu_count, 1, 1000, "PSU form: PSUs in the shelf (NVL72: 6 per shelf [P])."),
                "0 (lumped form)"),
            tag(quantity<S>("psu_rating", dims::power, &S::psu_rating, above(0, 1e6), 0.0,
                            "PSU form: output rating of one PSU (NVL72: 5.5 kW [P])."),
                "(required with psu_count)"),
            tag(integer<S>("redundancy", &S::redundancy, 0, 999, "PSU form: spare PSUs (N+1: 1, N+N: half)."), "0"),
            list<S, CurvePoint>("efficiency_curve", curve_point_table(), &S::curve,
                                "PSU form: efficiency over a PSU's load. Default 80 PLUS Titanium (230 V internal "
                                "redundant): 90 / 94 / 96 / 91 % at 10 / 20 / 50 / 100 % [S].",
                                false),
            optional_section<S, StorageSpec>("storage", rack_storage_table(), +[](S& s) -> StorageSpec& { return s.storage; },
                                             "In-rack energy storage smoothing the rack's draw (either form)."),
        },
        [](const S& sh, const Node& n, Reader& r, const std::string& path) {
            if (sh.psu_count > 0) {
                for (const char* k : {"efficiency", "no_load_loss", "rating"})
                    if (const Entry* e = n.find(k))
                        r.fail(e->key_loc, join(path, k),
                               fmt::format("`{}` belongs to the lumped form; with psu_count, give psu_rating and "
                                           "efficiency_curve", k));
                if (!n.find("psu_rating")) r.fail(n.loc, path, "missing required key \"psu_rating\" (with psu_count)");
                if (!(sh.redundancy < sh.psu_count))
                    r.fail(value_loc(n, "redundancy"), join(path, "redundancy"),
                           fmt::format("redundancy ({}) must leave at least one working PSU of {}", sh.redundancy,
                                       sh.psu_count));
                check_curve(sh.curve, n, join(path, "efficiency_curve"), r);
            } else {
                for (const char* k : {"psu_rating", "redundancy", "efficiency_curve"})
                    if (const Entry* e = n.find(k))
                        r.fail(e->key_loc, join(path, k), fmt::format("`{}` needs psu_count (the PSU form)", k));
                for (const char* k : {"efficiency", "rating"})
                    if (!n.find(k))
                        r.fail(n.loc, path, fmt::format("missing required key \"{}\" (lumped form; or give psu_count "
                                                        "and psu_rating)", k));
            }
        }};
    return t;
}

// A time series of power.grid (input/series.hpp): a value ("0.4 kg/kWh", a constant), or a map
// of `points` ([[time, value], ...]) or `file` (CSV), with `interpolation` and `period`.
// Values are read with the grid's currency (read before: `currency` comes first in the table).
Field<GridSpec> series(std::string key, TimeSeriesSpec GridSpec::*m, SeriesQuantity q, const Dimension& shown, std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::series;
    p.dim = shown;  // for the reference's example only
    p.required = false;
    p.default_text = "(none)";
    p.description = desc;
    return {p, [m, q](GridSpec& g, const Param&, const Slot& s, Reader& r) {
                if (!s.entry) return;
                TimeSeriesSpec& out = g.*m;
                out.present = true;
                out.loc = r.where(s.entry->key_loc);
                const Node& n = s.entry->value;
                auto value = [&](const Node& v, const std::string& path) {
                    Param one;
                    one.kind = Kind::text;
                    const Node& sc = r.scalar(v, one, path);
                    try {
                        return parse_series_value(sc.text, q, g.currency);
                    } catch (const UnitError& e) {
                        r.fail(sc.loc, path, e.what());
                    }
                };
                if (n.kind == Node::Kind::scalar) {
                    out.time = {0.0};
                    out.value = {value(n, s.path)};
                    return;
                }
                const std::vector<std::string> keys{"points", "file", "interpolation", "period"};
                if (n.kind != Node::Kind::map)
                    r.wrong_type(n, s.path, fmt::format("a value (e.g. \"{}\") or a map with the keys {}",
                                                        series_example(q, g.currency), list_names(keys)));
                for (const Entry& e : n.entries)
                    if (std::find(keys.begin(), keys.end(), e.key) == keys.end())
                        r.fail(e.key_loc, s.path, fmt::format("unknown key \"{}\"{}; expected one of: {}", e.key,
                                                              did_you_mean(e.key, keys), list_names(keys)));
                const Entry* points = n.find("points");
                const Entry* file = n.find("file");
                if (!points && !file)
                    r.fail(s.entry->key_loc, s.path, "give the series as `points` ([[time, value], ...]) or as `file` (a CSV file)");
                if (points && file)
                    r.fail(file->key_loc, join(s.path, "file"), "give either `points` or `file`, not both");
                if (const Entry* e = n.find("interpolation")) {
                    Param c;
                    c.kind = Kind::choice;
                    c.choices = {"step", "linear"};
                    out.linear = r.choice(e->value, c, join(s.path, "interpolation")) == "linear";
                }
                if (const Entry* e = n.find("period")) {
                    Param t;
                    t.dim = dims::time;
                    t.range = above(0, 100 * kYear);
                    out.period = r.quantity(e->value, t, join(s.path, "period"));
                }
                if (file) {
                    Param f;
                    f.kind = Kind::text;
                    out.file = r.scalar(file->value, f, join(s.path, "file")).text;
                    if (out.file.empty()) r.fail(file->value.loc, join(s.path, "file"), "expected the path of a CSV file");
                    return;  // read when the model is built (input/series.hpp)
                }
                const std::string ppath = join(s.path, "points");
                const Node& list = points->value;
                if (list.kind != Node::Kind::seq || list.items.empty())
                    r.wrong_type(list, ppath, fmt::format("a non-empty list of [time, value] pairs, e.g. [[0 h, \"{}\"]]",
                                                          series_example(q, g.currency)));
                Param t;
                t.dim = dims::time;
                t.range = in(0, 100 * kYear);
                for (std::size_t i = 0; i < list.items.size(); ++i) {
                    const Node& it = list.items[i];
                    const std::string ipath = join(ppath, std::to_string(i));
                    if (it.kind != Node::Kind::seq || it.items.size() != 2)
                        r.wrong_type(it, ipath, fmt::format("a pair [time, value], e.g. [6 h, \"{}\"]", series_example(q, g.currency)));
                    const double ti = r.quantity(it.items[0], t, join(ipath, "0"));
                    if (i == 0 && ti != 0) r.fail(it.items[0].loc, join(ipath, "0"), "the first point must be at 0 s (the start of the run)");
                    if (i > 0 && !(ti > out.time.back()))
                        r.fail(it.items[0].loc, join(ipath, "0"), "the times of the points must increase");
                    out.time.push_back(ti);
                    out.value.push_back(value(it.items[1], join(ipath, "1")));
                }
                if (out.period > 0 && !(out.period > out.time.back()))
                    r.fail(value_loc(n, "period"), join(s.path, "period"), "the period must be after the last point");
            }};
}

// How the reference shows each series (their Dimension's example; price and share have no
// unit the units library knows).
constexpr Dimension kPriceShown{{-1, -2, 2, 0, 0}, false, "energy price", "0.12 USD/kWh"};
constexpr Dimension kShareShown{{0, 0, 0, 0, 0}, false, "fraction", "0.35"};

const Table<GridSpec>& grid_table() {
    using G = GridSpec;
    static const Table<G> t{
        "power.grid",
        "The grid interconnect: what the utility sees of the site, and what its energy costs in money and carbon "
        "(the `kpis` of the summary). A series (`carbon_intensity`, `energy_price`, `renewable_share`) is a constant "
        "(`0.4 kg/kWh`), or a map of `points` (`[[0 h, 0.45 kg/kWh], [7 h, 0.30 kg/kWh]]`, the first at 0 s) or "
        "`file` (a CSV file relative to the site file: a header `time [h], carbon_intensity [kg/kWh]` with the "
        "columns' units, then `time, value` lines of plain numbers from 0), with `interpolation` (`step`, the "
        "default: each value holds until the next point; or `linear`) and `period` (the series repeats with it, e.g. "
        "`1 d`; without it the last value holds to the end of the run). Times are from the start of the run.",
        {
            quantity<G>("capacity", dims::power, &G::capacity, above(0, 100e9), kRequired,
                        "Contracted import; the grid power over it is reported as a constraint."),
            quantity<G>("ramp_limit", dims::power_ramp, &G::ramp_limit, in(0, 100e9), 0.0,
                        "Allowed rate of change of the import, e.g. `2 MW/s` (0: none). Utilities state ramp "
                        "rates [P] arXiv 2508.14318."),
            text<G>("currency", &G::currency, std::string("USD"),
                    "ISO 4217 code (three capital letters) of every price: `energy_price` and `demand_charge` are "
                    "written in it, e.g. `0.12 EUR/kWh` with `currency: EUR`."),
            series("carbon_intensity", &G::carbon_intensity, SeriesQuantity::carbon_intensity, dims::carbon_intensity,
                   "CO2 emitted per energy drawn from the grid (0 to 5 kg/kWh), e.g. a national average or an "
                   "hourly marginal series; gives the summary's CUE (ISO/IEC 30134-8)."),
            series("energy_price", &G::energy_price, SeriesQuantity::energy_price, kPriceShown,
                   "Price of energy drawn from the grid, in `currency` per energy (-10 to 100 per kWh: negative "
                   "spot prices are allowed); gives the summary's energy cost."),
            series("renewable_share", &G::renewable_share, SeriesQuantity::fraction, kShareShown,
                   "Share of the grid's energy from renewable sources (0 to 1, or a percentage); gives the "
                   "summary's REF (ISO/IEC 30134-3)."),
            Field<G>{[] {
                         Param p;
                         p.key = "demand_charge";
                         p.kind = Kind::text;
                         p.required = false;
                         p.default_text = "\"0 USD/kW\"";
                         p.description = "Charge per power of each billing period's peak demand (the highest mean grid "
                                         "power over a `demand_interval`), in `currency` per power, e.g. `15 USD/kW`.";
                         return p;
                     }(),
                     [](G& g, const Param& p, const Slot& s, Reader& r) {
                         if (!s.entry) return;
                         const Node& n = r.scalar(s.entry->value, p, s.path);
                         try {
                             g.demand_charge = parse_demand_charge(n.text, g.currency);
                         } catch (const UnitError& e) {
                             r.fail(n.loc, s.path, e.what());
                         }
                         if (!(g.demand_charge >= 0 && g.demand_charge <= 1.0))
                             r.fail(n.loc, s.path, fmt::format("out of range: expected 0 <= x <= 1000 {}/kW", g.currency));
                     }},
            quantity<G>("demand_interval", dims::time, &G::demand_interval, in(1, kDay), 900.0,
                        "Averaging interval of the billed demand (15 min is the usual meter interval), in fixed "
                        "intervals from the start of the run."),
            quantity<G>("billing_period", dims::time, &G::billing_period, above(0, 100 * kYear), 30 * kDay,
                        "Each period from the start of the run is charged `demand_charge` on its own peak demand."),
            choice<G>("partial_billing_period", &G::partial_billing_period, {"prorated", "whole"}, "prorated",
                      "A billing period the run covers only in part (a run shorter than a period, or its last "
                      "period): `prorated` charges the covered share of its demand charge, so the cost stays "
                      "comparable with the run's energy cost; `whole` charges it in full, as that period's bill "
                      "would."),
        },
        [](const G& g, const Node& n, Reader& r, const std::string& path) {
            const bool code = g.currency.size() == 3 && std::all_of(g.currency.begin(), g.currency.end(), [](char c) {
                                  return c >= 'A' && c <= 'Z';
                              });
            if (!code)
                r.fail(value_loc(n, "currency"), join(path, "currency"),
                       fmt::format("expected an ISO 4217 currency code of three capital letters (e.g. USD, EUR), found "
                                   "\"{}\"", g.currency));
            if (g.demand_interval > g.billing_period)
                r.fail(value_loc(n, "demand_interval"), join(path, "demand_interval"),
                       "the demand interval must not be longer than the billing period");
        }};
    return t;
}

const Table<TransformerSpec>& transformer_table() {
    using X = TransformerSpec;
    static const Table<X> t{
        "power.transformer",
        "The MV/LV transformer between the grid and everything else: loss = no_load_loss + load loss x (P / "
        "rating)^2, the load loss set by `efficiency` at `reference_load`. Its loss heats the electrical room.",
        {
            quantity<X>("rating", dims::power, &X::rating, above(0, 10e9), kRequired, "Rating (kVA at unity power factor)."),
            quantity<X>("no_load_loss", dims::power, &X::no_load_loss, in(0, 1e9), kRequired,
                        "Core loss, drawn at any load."),
            quantity<X>("efficiency", dims::dimensionless, &X::efficiency, above(0, 1), kRequired,
                        "Efficiency at reference_load. LV dry-type at 35 %: 75 kVA 98.60 %, 300 kVA 99.02 %, 1000 kVA "
                        "99.28 % [P] DOE 10 CFR 431.196; MV liquid-immersed 99.4-99.6 % [E]."),
            quantity<X>("reference_load", dims::dimensionless, &X::reference_load, above(0, 1), 0.35,
                        "Load fraction at which `efficiency` holds (DOE rates at 35 %)."),
        },
        [](const X& x, const Node& n, Reader& r, const std::string& path) {
            const double p = x.reference_load * x.rating;
            if (!(p * (1 / x.efficiency - 1) > x.no_load_loss))
                r.fail(value_loc(n, "no_load_loss"), join(path, "no_load_loss"),
                       fmt::format("no_load_loss ({}) must be below the total loss at the reference load ({})",
                                   format_quantity(x.no_load_loss, dims::power),
                                   format_quantity(p * (1 / x.efficiency - 1), dims::power)));
        }};
    return t;
}

const Table<BatterySpec>& battery_table() {
    using B = BatterySpec;
    static const Table<B> t{
        "power.ups.battery",
        "The UPS battery: carries the UPS's load through a utility outage until the generator has taken it, and "
        "recharges afterwards. When it is empty with load on it, or the load needs more than `max_discharge`, the "
        "UPS drops its load.",
        {
            quantity<B>("capacity", dims::energy, &B::capacity, above(0, 1e13), kRequired,
                        "Usable energy, e.g. `50 kWh`. New designs carry 3-5 min of load [S]."),
            quantity<B>("max_charge", dims::power, &B::max_charge, above(0, 1e10), kRequired,
                        "Power drawn for recharging."),
            quantity<B>("max_discharge", dims::power, &B::max_discharge, in(0, 1e10), 0.0,
                        "Largest power the battery delivers (its inverter or BMS current limit). During an outage a "
                        "load that would need more cannot be carried: the UPS drops its load at that moment (an "
                        "event), as when the battery is empty. 0 W: no limit."),
            quantity<B>("charge_efficiency", dims::dimensionless, &B::charge_efficiency, above(0, 1), 0.95,
                        "Stored over drawn while charging [E]."),
            quantity<B>("discharge_efficiency", dims::dimensionless, &B::discharge_efficiency, above(0, 1), 0.95,
                        "Delivered over taken from storage while discharging [E]."),
            quantity<B>("initial_soc", dims::dimensionless, &B::initial_soc, in(0, 1), 1.0,
                        "State of charge at the start."),
        }};
    return t;
}

const Table<GeneratorSpec>& generator_table() {
    using G = GeneratorSpec;
    Field<G> steps = [] {
        Param p;
        p.key = "load_steps";
        p.kind = Kind::texts;
        p.required = false;
        p.default_text = "[50 %, 80 %, 100 %]";
        p.description = "Cumulative fractions of the rating accepted, one per step: ISO 8528-5 G2 0-50-80-100 % [S].";
        return Field<G>{p, [](G& g, const Param& p, const Slot& s, Reader& r) {
                            if (!s.entry) return;
                            const Node& n = s.entry->value;
                            if (n.kind != Node::Kind::seq || n.items.empty())
                                r.wrong_type(n, s.path, "a non-empty list of fractions, e.g. [50 %, 100 %]");
                            Param one = p;
                            one.kind = Kind::quantity;
                            one.dim = dims::dimensionless;
                            one.range = above(0, 1);
                            g.load_steps.clear();
                            for (size_t i = 0; i < n.items.size(); ++i) {
                                const std::string path = join(s.path, std::to_string(i));
                                g.load_steps.push_back(r.quantity(n.items[i], one, path));
                                if (i > 0 && !(g.load_steps[i] > g.load_steps[i - 1]))
                                    r.fail(n.items[i].loc, path, "load steps must increase");
                            }
                        }};
    }();
    static const Table<G> t{
        "power.generator",
        "The standby generator: on a utility outage it starts, then accepts the UPS's load in steps; the battery "
        "bridges the gap. Cooling loads come back with its first step.",
        {
            quantity<G>("rating", dims::power, &G::rating, above(0, 1e10), kRequired, "Rated output."),
            quantity<G>("start_delay", dims::time, &G::start_delay, in(0, 3600), 10.0,
                        "Outage to the first accepted step: 10 s for NFPA 110 Type 10 [P]."),
            steps,
            quantity<G>("step_interval", dims::time, &G::step_interval, above(0, 600), 5.0,
                        "Time between load steps (ISO 8528-5 G2 recovery within 5 s [S])."),
        }};
    return t;
}

const Table<ScenarioEvent>& scenario_event_table() {
    using E = ScenarioEvent;
    static const Table<E> t{
        "scenario[]", "Something that happens to the site.",
        {
            quantity<E>("at", dims::time, &E::at, in(0, 100 * kYear), kRequired, "When it happens."),
            kind<E, ScenarioKind>("kind", &E::kind, kRequired,
                      "utility_outage: the grid is lost for `duration`; generator_failure: the generator will not "
                      "start from `at` on; cdu_pump_trip: the secondary pump of CDU `target` stops; chiller_trip: "
                      "the chiller stops; economiser_fan_loss: `fraction` of the economiser's fans fail; "
                      "facility_supply_step: the facility supply set point becomes `temperature`; psu_failure: "
                      "`count` PSUs leave the shelf of rack `target` (until `duration` has passed), the rest carry "
                      "its load if they can, otherwise the rack is shed; pdu_failure: the PDU `target` fails and "
                      "everything it feeds is shed."),
            quantity<E>("duration", dims::time, &E::duration, in(0, 100 * kYear), 0.0,
                        "How long it lasts; 0 s: to the end of the run (a utility_outage needs one; a pdu_failure "
                        "lasts to the end)."),
            text<E>("target", &E::target, std::string{},
                    "cdu_pump_trip: the name of the CDU; psu_failure: the rack's path (`hall1/rowA/rack01`); "
                    "pdu_failure: a hall's busway (`hall1/busway`) or `power/distribution`."),
            integer<E>("count", &E::count, 1, 1000, "psu_failure: PSUs that fail at once.", 1),
            quantity<E>("fraction", dims::dimensionless, &E::fraction, above(0, 1), 0.0,
                        "economiser_fan_loss: share of the fan capacity lost."),
            quantity<E>("temperature", dims::temperature, &E::temperature, kTemperatureRange, 0.0,
                        "facility_supply_step: the new facility supply set point."),
        },
        [](const E& e, const Node& n, Reader& r, const std::string& path) {
            using K = ScenarioKind;
            if (e.kind == K::utility_outage && !(e.duration > 0))
                r.fail(n.loc, join(path, "duration"), "a utility_outage needs a positive duration");
            // A key of some kinds only; needed by them unless optional.
            auto only = [&](const char* key, std::vector<K> kinds, bool optional = false) {
                const Entry* x = n.find(key);
                const bool applies = std::find(kinds.begin(), kinds.end(), e.kind) != kinds.end();
                std::vector<std::string> names;
                for (K k : kinds) names.push_back(kind_name(k));
                if (x && !applies)
                    r.fail(x->key_loc, join(path, key), fmt::format("\"{}\" applies to {} only", key, list_names(names)));
                if (!x && applies && !optional)
                    r.fail(n.loc, join(path, key), fmt::format("a {} needs \"{}\"", kind_name(e.kind), key));
            };
            only("target", {K::cdu_pump_trip, K::psu_failure, K::pdu_failure});
            only("count", {K::psu_failure}, true);
            only("fraction", {K::economiser_fan_loss});
            only("temperature", {K::facility_supply_step});
            if (e.kind == K::facility_supply_step && n.find("duration"))
                r.fail(n.find("duration")->key_loc, join(path, "duration"), "a set-point step holds to the end of the run");
            if (e.kind == K::pdu_failure && n.find("duration"))
                r.fail(n.find("duration")->key_loc, join(path, "duration"),
                       "what a failed PDU fed stays shed to the end of the run: a pdu_failure has no duration");
        }};
    return t;
}

const Table<UpsSpec>& ups_table() {
    using U = UpsSpec;
    static const Table<U> t{
        "power.ups",
        "The UPS, between the transformer (or grid) and the distribution, converting on an efficiency curve over "
        "its load. Its loss heats the electrical room.",
        {
            quantity<U>("rating", dims::power, &U::rating, above(0, 10e9), kRequired, "Output rating."),
            choice<U>("mode", &U::mode, {"double_conversion", "eco"}, std::string("double_conversion"),
                      "Sets the default curve: double conversion 94 / 96 / 97 / 97 % at 25 / 50 / 75 / 100 % load "
                      "(94-97 %, lower at part load [S][E]); eco 98 / 99 / 99 / 99 % [S]."),
            list<U, CurvePoint>("efficiency_curve", curve_point_table(), &U::curve,
                                "Efficiency over the UPS's load; replaces the mode's default.", false),
            optional_section<U, BatterySpec>("battery", battery_table(), +[](U& u) -> BatterySpec& { return u.battery; },
                                             "Its battery (without one, an outage drops the load at once)."),
        },
        [](const U& u, const Node& n, Reader& r, const std::string& path) {
            check_curve(u.curve, n, join(path, "efficiency_curve"), r);
        }};
    return t;
}

const Table<BuswaySpec>& busway_table() {
    using B = BuswaySpec;
    static const Table<B> t{
        "halls.<name>.busway",
        "The hall's busway (or PDU run) between the distribution and its racks: three-phase, loss = 3 I^2 R = "
        "P^2 R / V^2 at unity power factor. Its loss heats the hall air; its current is checked against ampacity.",
        {
            quantity<B>("voltage", dims::voltage, &B::voltage, above(0, 100e3), kRequired, "Line-to-line voltage, e.g. `415 V`."),
            quantity<B>("ampacity", dims::current, &B::ampacity, above(0, 100e3), kRequired, "Rated current per phase."),
            quantity<B>("resistance", dims::resistance, &B::resistance, above(0, 10), kRequired,
                        "Resistance per phase of the whole run, e.g. `2 mohm`."),
        }};
    return t;
}

const Table<PowerSpec>& electrical_room_table() {
    static const Table<PowerSpec> t{
        "power.electrical_room", "The room that holds the distribution equipment and receives its losses.",
        {
            quantity<PowerSpec>("heat_capacity", dims::heat_capacity, &PowerSpec::electrical_room_heat_capacity,
                                above(0, 1e12), kRequired, "Air and equipment mass of the room."),
            quantity<PowerSpec>("conductance", dims::conductance, &PowerSpec::electrical_room_conductance,
                                above(0, 1e10), kRequired, "Heat transfer from the room to the outdoor air (its cooling)."),
        }};
    return t;
}

ConversionSpec& distribution_of(PowerSpec& p) { return p.distribution; }
PowerSpec& self(PowerSpec& p) { return p; }

const Table<SiteBatterySpec>& site_battery_table() {
    using B = SiteBatterySpec;
    static const Table<B> t{
        "power.site_battery",
        "A site battery (BESS) at the MV transformer: the grid-facing power follows the site's demand at most at "
        "`ramp_limit` (a rate-limited tracker with `response_time`), the battery delivering or absorbing the "
        "difference and returning to `target_soc` over `recharge_time`. Idle during utility outages.",
        {
            boolean<B>("enabled", &B::enabled, true,
                       "false: the battery is described but not built (`--set power.site_battery.enabled=false` "
                       "compares the site without it)."),
            quantity<B>("capacity", dims::energy, &B::capacity, above(0, 1e14), kRequired, "Usable energy."),
            quantity<B>("power", dims::power, &B::power, above(0, 1e10), kRequired, "Largest charge or discharge power."),
            quantity<B>("charge_efficiency", dims::dimensionless, &B::charge_efficiency, above(0, 1), 0.95,
                        "Stored over drawn."),
            quantity<B>("discharge_efficiency", dims::dimensionless, &B::discharge_efficiency, above(0, 1), 0.95,
                        "Delivered over taken from storage."),
            quantity<B>("target_soc", dims::dimensionless, &B::target_soc, in(0.05, 0.95), 0.5,
                        "State of charge it holds between swings (and starts at)."),
            quantity<B>("ramp_limit", dims::power_ramp, &B::ramp_limit, in(0, 100e9), 0.0,
                        "Largest rate of change of the grid-facing power; 0: the grid's `ramp_limit`."),
            quantity<B>("response_time", dims::time, &B::response_time, in(0.01, 3600), 1.0,
                        "Time constant of the grid-facing power following slow changes of demand."),
            quantity<B>("recharge_time", dims::time, &B::recharge_time, in(1, 30 * kDay), 900.0,
                        "Time constant of the return to the target state of charge."),
        }};
    return t;
}

const Table<PowerSpec>& power_table() {
    static const Table<PowerSpec> t{
        "power", "The electrical path from the grid to the racks.",
        {
            optional_section<PowerSpec, GridSpec>("grid", grid_table(), +[](PowerSpec& p) -> GridSpec& { return p.grid; },
                                                  "The grid interconnect."),
            optional_section<PowerSpec, TransformerSpec>("transformer", transformer_table(),
                                                         +[](PowerSpec& p) -> TransformerSpec& { return p.transformer; },
                                                         "The MV/LV transformer."),
            optional_section<PowerSpec, UpsSpec>("ups", ups_table(), +[](PowerSpec& p) -> UpsSpec& { return p.ups; },
                                                 "The UPS."),
            optional_section<PowerSpec, GeneratorSpec>("generator", generator_table(),
                                                       +[](PowerSpec& p) -> GeneratorSpec& { return p.generator; },
                                                       "The standby generator."),
            optional_section<PowerSpec, SiteBatterySpec>("site_battery", site_battery_table(),
                                                         +[](PowerSpec& p) -> SiteBatterySpec& { return p.site_battery; },
                                                         "A site battery holding the grid-facing ramp rate."),
            section<PowerSpec, ConversionSpec>("distribution", distribution_table(), distribution_of, true,
                                               "Switchgear and PDUs between the UPS (or grid) and the halls."),
            section<PowerSpec, PowerSpec>("electrical_room", electrical_room_table(), self, true,
                                          "Where the distribution losses go."),
        },
        [](const PowerSpec& p, const Node& n, Reader& r, const std::string& path) {
            if (!p.site_battery.present || !p.site_battery.enabled) return;
            const Entry* e = n.find("site_battery");
            if (!p.transformer.present)
                r.fail(e->key_loc, join(path, "site_battery"),
                       "the site battery sits at the MV transformer: give `power.transformer`");
            if (!(p.site_battery.ramp_limit > 0) && !(p.grid.present && p.grid.ramp_limit > 0))
                r.fail(e->key_loc, join(join(path, "site_battery"), "ramp_limit"),
                       "the battery holds a ramp limit: give it `ramp_limit`, or the grid one (`power.grid.ramp_limit`)");
        }};
    return t;
}


}  // namespace dctwin::schema
