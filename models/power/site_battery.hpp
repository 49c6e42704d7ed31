#pragma once
// A site battery (BESS) at the top of the power chain (the MV transformer), controlled to
// hold the grid-facing ramp rate under a limit.
//
// The grid-facing power follows the site's demand p through a rate-limited tracker g [W]:
//
//     dg/dt = R tanh(u),   u = (p + P_r - g) / (R tau),   P_r = (E_target - E) / T_r
//
// so |dg/dt| <= R (the ramp limit), g follows p with time constant tau while p moves slowly,
// and a recharge term P_r brings the stored energy back to its target over T_r. The battery
// delivers the difference, d = clamp(p - g, -P_max, P_max), tapered to zero over the last
// 2 % of its energy at either end; the grid sees p - d. Charge and discharge losses (their
// efficiencies blended over 0.1 % of the rating around d = 0, so that idling is smooth) are heat
// at the transformer's room and are integrated (site/energy/site_battery_losses). It stands
// idle while the utility is out. E [J] is a storage state; g is a state in W.

#include <string>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

struct SiteBatteryParams {
    double capacity = 0.0;               ///< [J] usable energy
    double power = 0.0;                  ///< [W] largest charge or discharge
    double charge_efficiency = 0.95;     ///< [1]
    double discharge_efficiency = 0.95;  ///< [1]
    double target_soc = 0.5;             ///< [1] the energy it returns to
    double ramp_limit = 0.0;             ///< [W/s] R
    double response_time = 1.0;          ///< [s] tau
    double recharge_time = 900.0;        ///< [s] T_r
};

class SiteBattery final : public Block, public StageSupply {
public:
    /// stage: the top stage it sits at; utility: input 1/0; heat_to: where its losses go.
    SiteBattery(std::string path, SiteBatteryParams p, int stage, int utility, NodeRef heat_to)
        : path_(std::move(path)), p_(p), stage_(stage), utility_(utility), heat_to_(heat_to) {}
    int energy_state() const { return e_; }
    int target_state() const { return g_; }
    int loss_state() const { return acc_; }
    /// [W] what it delivered in the last evaluation (negative: charging).
    double last_power() const { return d_; }

    std::string name() const override { return "site_battery"; }
    void declare(Network& net) override;
    void eval(EvalContext&) const override {}
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;

    std::vector<int> rows() const override;
    double split(double p_in, EvalContext& ctx, double* dup, double* drows) override;
    double last_loss() const override { return loss_; }
    double last_dloss() const override { return dloss_; }

private:
    std::string path_;
    SiteBatteryParams p_;
    int stage_, utility_;
    NodeRef heat_to_;
    Network* net_ = nullptr;
    int g_ = -1, e_ = -1, acc_ = -1;
    // Jacobian entries: rows g, E, heat, loss accumulator, grid, losses against columns g, E.
    int e_gg_ = -1, e_ge_ = -1, e_eg_ = -1, e_ee_ = -1, e_hg_ = -1, e_he_ = -1, e_ag_ = -1, e_ae_ = -1, e_rg_ = -1,
        e_re_ = -1, e_lg_ = -1, e_le_ = -1;
    // The last split: power, loss and their partials against g and E.
    double d_ = 0.0, loss_ = 0.0, dloss_ = 0.0;
    double dgdot_dg_ = 0.0, dgdot_de_ = 0.0, dd_dg_ = 0.0, dd_de_ = 0.0, dflowe_dd_ = 0.0, dloss_dd_ = 0.0;
};

}  // namespace dctwin
