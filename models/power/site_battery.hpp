#pragma once
// A site battery (BESS) at the top of the power chain (the MV transformer), controlled to
// hold the grid-facing ramp rate under a limit: the rate-limited store of store_law.hpp, with
// the site's demand as p and the grid-facing power as the tracker g [W]. Its losses are heat at
// the transformer's room and are integrated (site/energy/site_battery_losses). It stands idle
// while the utility is out. E [J] is a storage state; g is a state in W.

#include <string>
#include <vector>

#include "models/power/store_law.hpp"
#include "solver/network.hpp"

namespace dctwin {

using SiteBatteryParams = StoreParams;

class SiteBattery final : public Block, public StageSupply {
public:
    /// stage: the top stage it sits at; utility: input 1/0; heat_to: where its losses go.
    SiteBattery(std::string path, SiteBatteryParams p, int stage, int utility, NodeRef heat_to)
        : path_(std::move(path)), p_(p), stage_(stage), utility_(utility), heat_to_(heat_to) {}
    int energy_state() const { return e_; }
    int target_state() const { return g_; }
    int loss_state() const { return acc_; }
    /// [W] what it delivered in the last evaluation (negative: charging).
    double last_power() const { return last_.d; }

    std::string name() const override { return "site_battery"; }
    void declare(Network& net) override;
    void eval(EvalContext&) const override {}
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;

    std::vector<int> rows() const override;
    std::vector<int> columns() const override { return {g_, e_}; }
    double split(double p_in, EvalContext& ctx, double* dup, double* drows, double* dcols) override;
    double last_loss() const override { return last_.loss; }
    double last_dloss() const override { return dloss_; }
    bool feeds_without_source(const EvalContext&) const override { return false; }  // idle in an outage

private:
    std::string path_;
    SiteBatteryParams p_;
    int stage_, utility_;
    NodeRef heat_to_;
    Network* net_ = nullptr;
    int g_ = -1, e_ = -1, acc_ = -1;
    // Jacobian entries of its own rows g, E, heat, loss accumulator against columns g, E (the
    // network carries what it takes from upstream to the grid and the losses).
    int e_gg_ = -1, e_ge_ = -1, e_eg_ = -1, e_ee_ = -1, e_hg_ = -1, e_he_ = -1, e_ag_ = -1, e_ae_ = -1;
    StorePoint last_;        // the last split
    double dloss_ = 0.0;     // d(loss)/d(p_in)
};

}  // namespace dctwin
