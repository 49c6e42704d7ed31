#pragma once
// Constant electrical loads (network cards, fans, lighting): drawn from a stage, their heat
// goes to a named node.

#include <string>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

class FixedLoads final : public Block {
public:
    /// power [W] >= 0.
    void add(std::string path, double power, int stage, LoadCategory category, NodeRef heat_to);

    std::string name() const override { return "fixed_loads"; }
    void declare(Network& net) override;
    void eval(EvalContext& ctx) const override;
    void jacobian(const EvalContext&, JacobianFill&, LoadDerivatives&) const override {}

private:
    std::vector<LoadInfo> info_;
    std::vector<double> power_;
    std::vector<int> load_;
};

}  // namespace dctwin
