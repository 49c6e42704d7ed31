#pragma once
// Facility cooling of the first slice: a loop pump of fixed power and heat-rejection fans
// whose power is proportional to the heat the liquid loop rejects. Both are cooling loads
// drawn from the grid; their heat goes to the outdoor air.

#include <string>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

class FacilityPlant final : public Block {
public:
    /// pump_power [W]; specific_power [W/W] of rejection per watt rejected; outdoor: where
    /// the electrical power ends as heat; supply: the plant's supply temperature input.
    /// stage: the power stage feeding pump and fans (-1: the grid).
    /// powered: input (1/0) telling whether the plant has power (-1: always).
    FacilityPlant(double pump_power, double specific_power, NodeRef outdoor, int supply_input, int stage = -1,
                  int powered = -1)
        : pump_power_(pump_power), specific_(specific_power), outdoor_(outdoor), supply_(supply_input), stage_(stage),
          powered_(powered) {}
    /// A rack loop returning to the plant: coolant state and its m_dot cp [W/K].
    void add_return(int coolant_state, double capacity_rate);
    /// [W] heat carried back by the liquid loop (>= 0).
    double liquid_heat(const EvalContext& ctx) const;

    std::string name() const override { return "facility"; }
    void declare(Network& net) override;
    void eval(EvalContext& ctx) const override;
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;

private:
    double pump_power_, specific_;
    NodeRef outdoor_;
    int supply_;
    int stage_, powered_;
    bool on(const EvalContext& ctx) const { return powered_ < 0 || ctx.inputs[std::size_t(powered_)] > 0.5; }
    std::vector<int> coolant_;
    std::vector<double> mcp_;
    int pump_load_ = -1, fan_load_ = -1;
};

}  // namespace dctwin
