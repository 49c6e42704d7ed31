#pragma once
// The UPS battery, as the supply at the UPS stage. While the utility is there, the UPS
// draws what it needs from upstream and recharges the battery at its charge limit until
// full. In an outage it draws what the generator can give it (nothing until the generator
// has started, then its accepted load steps) and the battery covers the rest. When the
// battery is empty with load still on it, the UPS drops its load: everything below it is
// shed (a discrete change, reported by path and time); the devices stay off, but the UPS's
// charger stays on its input and recharges the battery once the utility (or the generator)
// is back. So it does, at once, when the battery
// would have to deliver more than its discharge limit (max_discharge): the inverter cannot
// carry the load and there is no bypass without the utility. That is checked continuously
// while the utility is out (a root on the margin) and just after every input discontinuity
// during an outage (the outage start, load steps), where the load jumps past the limit
// between two steps.
//
// Battery energy E [J] is a storage state: counted in the energy balance with the heat
// stored. Charge and discharge losses are heat at the UPS's loss node, integrated in the loss
// group `ups_battery`.

#include <string>
#include <utility>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

struct BatteryParams {
    double capacity = 0.0;         ///< [J] usable energy
    double max_charge = 0.0;       ///< [W] drawn for charging
    double charge_efficiency = 0.95;     ///< [1] stored / drawn
    double discharge_efficiency = 0.95;  ///< [1] delivered / taken from storage
    double initial_soc = 1.0;      ///< [1]
    double max_discharge = 0.0;    ///< [W] largest power delivered; 0: no limit
};

class UpsBattery final : public Block, public StageSupply {
public:
    /// ups_stage: the stage it sits at; utility: input 1/0; generator_limit: input [W] the
    /// generator can give the UPS (0 while not running); heat_to: where its losses go.
    /// outages: the utility outages [start, end) [s], in time order (where the discharge limit
    /// is checked).
    UpsBattery(std::string path, BatteryParams p, int ups_stage, int utility, int generator_limit, NodeRef heat_to,
               std::vector<std::pair<double, double>> outages = {})
        : path_(std::move(path)), p_(p), stage_(ups_stage), utility_(utility), gen_(generator_limit), heat_to_(heat_to),
          outages_(std::move(outages)) {}
    int energy_state() const { return e_; }
    bool shed() const { return shed_; }
    /// [W] what the battery delivered in the last evaluation.
    double last_discharge() const { return shed_ ? 0.0 : discharge_; }

    // Block
    std::string name() const override { return "ups_battery"; }
    void declare(Network& net) override;
    void eval(EvalContext&) const override {}
    void jacobian(const EvalContext&, JacobianFill&, LoadDerivatives&) const override {}
    /// empty, full, below the resume level; with a discharge limit also its margin and the
    /// next check after a discontinuity.
    int num_roots() const override { return p_.max_discharge > 0 ? 5 : 3; }
    void roots(const EvalContext& ctx, double* g) const override;
    bool on_root(int i, int dir, const EvalContext& ctx, std::vector<Event>& events) override;
    bool roots_read_tree(const EvalContext& ctx) const override;

    // StageSupply
    std::vector<int> rows() const override;
    double split(double p_in, EvalContext& ctx, double* dup, double* drows, double* dcols) override;
    double last_loss() const override { return loss_; }
    double last_dloss() const override { return dloss_; }
    bool feeds_without_source(const EvalContext&) const override { return !shed_; }
    bool draws_when_shed() const override { return true; }

private:
    std::string path_;
    BatteryParams p_;
    int stage_, utility_, gen_;
    NodeRef heat_to_;
    Network* net_ = nullptr;
    int e_ = -1, acc_ = -1;  // energy; loss group accumulator
    std::vector<std::pair<double, double>> outages_;
    bool full_ = false;       // charging stopped (hysteresis: resumes below 99.99 %)
    bool shed_ = false;
    double loss_ = 0.0, dloss_ = 0.0, discharge_ = 0.0;
    double check_at_ = 0.0;   // [s] the next discharge-limit check (a root on time)
    double next_check(double t) const;
    void drop_load(const EvalContext& ctx, std::vector<Event>& events, const std::string& why);
};

}  // namespace dctwin
