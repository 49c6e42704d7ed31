#pragma once
// The site KPIs of every summary and results file (README "Site KPIs"): PUE (ISO/IEC 30134-2),
// WUE (30134-9), ERF (30134-6), REF (30134-3), CUE (30134-8) and the grid energy cost.
// Carbon, cost and renewable energy are integrated over the output rows: each row interval's
// grid energy times the series' exact mean over that interval (exact where the grid power or
// the series is constant over the interval).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "input/series.hpp"
#include "input/site_spec.hpp"

namespace dctwin {

/// The grid's series of a site, ready to evaluate (empty tables where the site gives none).
struct GridSeries {
    SeriesTable carbon_intensity;  ///< [kg/J]
    SeriesTable energy_price;      ///< [currency/J]
    SeriesTable renewable_share;   ///< [1]
};

/// Integrates what the grid's energy emits, costs and brings of renewables over the rows of a
/// run, and the billed peak demand: the mean grid power over fixed `demand_interval`s from the
/// start, each billing period's highest; a partial interval at the end counts only in a period
/// that has no whole one.
class KpiAccumulator {
public:
    KpiAccumulator(const GridSpec& g, const GridSeries& s, double t0);
    /// A row at time t [s] with the grid energy drawn since the start e_grid [J] (cumulative).
    void add(double t, double e_grid);
    /// Closes the last partial demand interval; call once after the last row.
    void finish();

    double carbon_kg = 0.0;         ///< [kg] CO2 of the grid energy (NaN without a series)
    double energy_cost = 0.0;       ///< [currency] price x grid energy (NaN without a price)
    double renewable_J = 0.0;       ///< [J] renewable share x grid energy (NaN without a share)
    std::vector<double> period_peak_W;  ///< [W] billed peak demand of each billing period

    double peak_demand() const;     ///< [W] highest of period_peak_W (0 without a whole interval)
    /// [currency] demand_charge x each period's peak x its billed_fraction
    double demand_cost() const;
    /// [1] share of billing period p's demand charge the run pays: the share of the period the
    /// rows so far cover, or 1 when partial periods are charged whole.
    double billed_fraction(std::size_t p) const;

private:
    void window(double start, double len, double energy);
    GridSpec g_;
    const GridSeries* s_;
    double t0_;
    bool started_ = false;
    double t_prev_ = 0, e_prev_ = 0;  // the last row
    double ws_ = 0, e_ws_ = 0;        // the current demand interval's start and energy there
    std::vector<bool> whole_;         // per billing period: a whole interval was seen
};

/// The energies and tallies of a run the KPIs are made of.
struct KpiInputs {
    bool steady = false;            ///< a steady solve: ratios of powers at the design point
    double e_facility = 0.0;        ///< [J] grid + generator + what the stores gave up (as PUE)
    double e_it = 0.0;              ///< [J]
    double e_grid = 0.0;            ///< [J]
    double e_generator = 0.0;       ///< [J]
    double pue = 0.0;               ///< [1] NaN: undefined
    bool has_plant = false;         ///< water use is modelled (a facility plant)
    bool water_using_plant = false; ///< the plant has cooling towers (economiser or chiller condenser)
    double water_m3 = 0.0;          ///< [m3]
    bool grid_present = false;
    bool has_carbon = false, has_price = false, has_renewable = false;
    double carbon_kg = 0.0;         ///< [kg]
    double energy_cost = 0.0;       ///< [currency]
    double demand_cost = 0.0;       ///< [currency]
    double peak_demand_W = 0.0;     ///< [W]
    double demand_charge = 0.0;     ///< [currency/W]
    double demand_interval = 0.0;   ///< [s]
    double billing_period = 0.0;    ///< [s]
    int billing_periods = 0;
    double billed_periods = 0.0;    ///< [1] sum of the periods' billed fractions
    double renewable_J = 0.0;       ///< [J]
    std::string currency = "USD";
};

/// The `kpis` object of the JSON summary: every key on every site, each {value, unit,
/// standard, definition, reason} with value null (and a reason) where the site lacks the part.
nlohmann::json kpis_json(const KpiInputs& k);

}  // namespace dctwin
