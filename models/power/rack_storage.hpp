#pragma once
// In-rack energy storage (a battery or capacitor shelf) at the input of each rack's power
// shelf, smoothing what the rack draws from its feed: the rate-limited store of store_law.hpp
// with the shelf's input as the demand p, so that the rack's draw from its busway (p - d, the
// tracker g while the store is within its power and energy) changes at most at the ramp limit.
// One unit per rack; losses are heat in the node that takes the shelf's loss (the hall air)
// and are integrated in the loss group `rack_storage`. Each unit's energy E [J] is a storage
// state, its tracker g a state in W. A unit whose rack was shed stands still.
//
// Each unit is the supply at its shelf stage, so the tree calls its split() once per rack
// per evaluation; the law's arithmetic is a few dozen flops.

#include <array>
#include <string>
#include <vector>

#include "models/power/store_law.hpp"
#include "solver/network.hpp"

namespace dctwin {

class RackStorage final : public Block {
public:
    /// A store at shelf `stage`; heat_to: where its losses go. Returns its unit index.
    int add(std::string path, const StoreParams& p, int stage, NodeRef heat_to);
    std::size_t size() const { return units_.size(); }
    const std::string& path(std::size_t k) const { return units_[k].path; }
    const StoreParams& params(std::size_t k) const { return units_[k].p; }
    int energy_state(std::size_t k) const { return units_[k].e; }
    int target_state(std::size_t k) const { return units_[k].g; }
    /// [W] what unit k delivered in the last evaluation (negative: charging; 0 once shed).
    double last_power(std::size_t k) const;
    /// [W] what rack k's shelf took from its feed in the last evaluation (0 once shed).
    double last_draw(std::size_t k) const;
    /// The accumulator of the loss group `rack_storage` [J].
    int loss_state() const { return acc_; }

    std::string name() const override { return "rack_storage"; }
    void declare(Network& net) override;
    void eval(EvalContext&) const override {}
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;

private:
    // The supply at one shelf: forwards to the block with its index.
    class Unit final : public StageSupply {
    public:
        RackStorage* owner = nullptr;
        std::size_t k = 0;
        std::string path;
        StoreParams p;
        int stage = -1;
        NodeRef heat_to;
        int g = -1, e = -1;
        std::array<int, 8> entries{};  // rows g, E, heat, loss group against columns g, E
        StorePoint last;               // the last split
        double p_in = 0.0, dloss = 0.0;

        std::vector<int> rows() const override;
        std::vector<int> columns() const override { return {g, e}; }
        double split(double p_in, EvalContext& ctx, double* dup, double* drows, double* dcols) override;
        double last_loss() const override { return last.loss; }
        double last_dloss() const override { return dloss; }
    };
    std::vector<Unit> units_;  // sized before declare(): the network keeps pointers to them
    Network* net_ = nullptr;
    int acc_ = -1;
};

}  // namespace dctwin
