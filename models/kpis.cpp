#include "models/kpis.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace dctwin {

namespace {
constexpr double kJPerKWh = 3.6e6;
}

KpiAccumulator::KpiAccumulator(const GridSpec& g, const GridSeries& s, double t0) : g_(g), s_(&s), t0_(t0) {
    if (s.carbon_intensity.empty()) carbon_kg = std::nan("");
    if (s.energy_price.empty()) energy_cost = std::nan("");
    if (s.renewable_share.empty()) renewable_J = std::nan("");
}

void KpiAccumulator::window(double start, double len, double energy) {
    const std::size_t p = std::size_t(std::max(0.0, std::floor((start - t0_) / g_.billing_period + 1e-9)));
    if (period_peak_W.size() <= p) period_peak_W.resize(p + 1, 0.0), whole_.resize(p + 1, false);
    const bool whole = len >= g_.demand_interval * (1 - 1e-9);
    // A partial interval (the end of the run) counts only where no whole one was seen.
    if (!whole && whole_[p]) return;
    if (whole && !whole_[p]) period_peak_W[p] = 0.0, whole_[p] = true;
    period_peak_W[p] = std::max(period_peak_W[p], energy / len);
}

void KpiAccumulator::add(double t, double e_grid) {
    if (!started_) {
        started_ = true;
        t_prev_ = ws_ = t, e_prev_ = e_ws_ = e_grid;
        return;
    }
    if (!(t > t_prev_)) return;
    const double de = e_grid - e_prev_;
    if (!std::isnan(carbon_kg)) carbon_kg += de * s_->carbon_intensity.mean(t_prev_, t);
    if (!std::isnan(energy_cost)) energy_cost += de * s_->energy_price.mean(t_prev_, t);
    if (!std::isnan(renewable_J)) renewable_J += de * s_->renewable_share.mean(t_prev_, t);
    // Demand intervals that end inside this row interval: the energy at their end by linear
    // interpolation of the cumulative energy (exact when the rows fall on their boundaries).
    const double W = g_.demand_interval;
    for (double b = ws_ + W; b <= t * (1 + 1e-15); b = ws_ + W) {
        const double eb = e_prev_ + de * (b - t_prev_) / (t - t_prev_);
        window(ws_, W, eb - e_ws_);
        ws_ = b, e_ws_ = eb;
    }
    t_prev_ = t, e_prev_ = e_grid;
}

void KpiAccumulator::finish() {
    if (started_ && t_prev_ > ws_) window(ws_, t_prev_ - ws_, e_prev_ - e_ws_);
}

double KpiAccumulator::peak_demand() const {
    return period_peak_W.empty() ? 0.0 : *std::max_element(period_peak_W.begin(), period_peak_W.end());
}

double KpiAccumulator::billed_fraction(std::size_t p) const {
    if (g_.partial_billing_period == "whole" || !started_) return 1.0;
    const double P = g_.billing_period;
    const double covered = std::min(t_prev_ - t0_ - double(p) * P, P);
    return std::clamp(covered / P, 0.0, 1.0);
}

double KpiAccumulator::demand_cost() const {
    double c = 0;
    for (std::size_t p = 0; p < period_peak_W.size(); ++p) c += g_.demand_charge * period_peak_W[p] * billed_fraction(p);
    return c;
}

nlohmann::json kpis_json(const KpiInputs& k) {
    using J = nlohmann::json;
    auto num = [](double v) { return std::isfinite(v) ? J(v) : J(); };
    auto item = [&](double v, const char* unit, const char* standard, const char* definition, std::string reason) {
        return J{{"value", num(v)},
                 {"unit", unit},
                 {"standard", standard},
                 {"definition", definition},
                 {"reason", reason.empty() ? J() : J(reason)}};
    };
    const double it_kwh = k.e_it / kJPerKWh;
    const bool it = k.e_it > 0;
    const std::string no_it = k.steady ? "no IT load at the design point" : "no IT energy over the run";
    J j = J::object();

    j["pue"] = item(k.pue, "1", "ISO/IEC 30134-2",
                    "total facility energy (grid + generator + what the UPS battery, site battery and rack stores gave "
                    "up, net of what they took in) / IT energy",
                    std::isfinite(k.pue) ? "" : no_it);

    {
        double v = std::nan("");
        std::string why;
        if (k.steady) why = "steady solve: no water used over a period";
        else if (!k.has_plant) why = "water use not modelled: the site has no facility.plant";
        else if (!it) why = no_it;
        else v = k.water_m3 * 1e3 / it_kwh;
        J w = item(v, "L/kWh", "ISO/IEC 30134-9", "site water use (cooling tower make-up: evaporation and blow-down) / IT energy", why);
        // Dry coolers and air-cooled chillers use no water: 0, and why.
        if (std::isfinite(v) && !k.water_using_plant) w["reason"] = "no cooling tower: the heat rejection uses no water";
        j["wue"] = w;
    }

    j["erf"] = item(0.0, "1", "ISO/IEC 30134-6", "energy reused outside the data centre (heat recovery) / total facility energy",
                    "no heat recovery: dctwin models none, so no energy is reused");

    {
        double v = std::nan("");
        std::string why;
        if (!k.has_renewable) why = k.grid_present ? "no grid renewable share given: power.grid.renewable_share"
                                                   : "no grid renewable share given: the site has no power.grid";
        else if (!(k.e_facility > 0)) why = "no facility energy";
        else v = k.renewable_J / k.e_facility;
        j["ref"] = item(v, "1", "ISO/IEC 30134-3",
                        "renewable energy (grid energy x the grid's renewable share; generator and stores count as not "
                        "renewable) / total facility energy",
                        why);
    }

    {
        double v = std::nan("");
        std::string why;
        if (!k.has_carbon) why = k.grid_present ? "no grid carbon intensity given: power.grid.carbon_intensity"
                                                : "no grid carbon intensity given: the site has no power.grid";
        else if (!it) why = no_it;
        else v = k.carbon_kg / it_kwh;
        J c = item(v, "kg/kWh", "ISO/IEC 30134-8",
                   "CO2 of the grid energy (each interval's grid energy x the carbon intensity's mean over it) / IT "
                   "energy",
                   why);
        c["carbon_kg"] = k.has_carbon && !k.steady ? num(k.carbon_kg) : J();
        if (k.has_carbon && k.e_generator > 0) c["note"] = "the generator's fuel is not counted";
        j["cue"] = c;
    }

    {
        double v = std::nan("");
        std::string why;
        if (k.steady) why = "steady solve: no period to bill";
        else if (!k.has_price) why = k.grid_present ? "no grid energy price given: power.grid.energy_price"
                                                    : "no grid energy price given: the site has no power.grid";
        else v = k.energy_cost + k.demand_cost;
        J c = item(v, k.currency.c_str(), "",
                   "grid energy x the energy price (each interval's mean) + demand charge x each billing period's peak "
                   "demand (highest mean grid power over a demand interval), a period the run covers in part "
                   "charged its covered share unless power.grid.partial_billing_period is whole",
                   why);
        c["unit"] = k.currency;
        c["standard"] = nullptr;
        c["energy_cost"] = k.has_price && !k.steady ? num(k.energy_cost) : J();
        c["demand_cost"] = k.steady ? J() : J(k.demand_cost);
        c["peak_demand_W"] = k.steady ? J() : J(k.peak_demand_W);
        c["demand_interval_s"] = k.demand_interval;
        c["billing_periods"] = k.billing_periods;
        c["billing_period_s"] = k.billing_period;
        // The share of the billing periods' demand charges the run pays (1: every period whole).
        c["billed_periods"] = k.steady ? J() : J(k.billed_periods);
        j["grid_cost"] = c;
    }
    return j;
}

}  // namespace dctwin
