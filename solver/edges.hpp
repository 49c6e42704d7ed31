#pragma once
// Stateless thermal edges, held as arrays of like components. Each edge computes one heat
// flow from its two ends and adds it with opposite signs to both.

#include <array>
#include <string>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

/// Conduction or convection through a fixed conductance: q = G (T_a - T_b) from a to b.
class ConductanceBlock final : public Block {
public:
    explicit ConductanceBlock(std::string name) : name_(std::move(name)) {}
    /// G [W/K] > 0.
    void add(NodeRef a, NodeRef b, double conductance);
    std::size_t size() const { return g_.size(); }
    /// [W] from a to b for edge k, at the temperatures in ctx.
    double heat_flow(const EvalContext& ctx, std::size_t k) const;

    std::string name() const override { return name_; }
    void declare(Network& net) override;
    void eval(EvalContext& ctx) const override;
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;
    bool thermal_only() const override { return true; }

private:
    std::string name_;
    std::vector<NodeRef> a_, b_;
    std::vector<double> g_;              ///< [W/K]
    std::vector<std::array<int, 4>> e_;  ///< Jacobian entries per edge
    // For eval on threads: the flow rows the edges touch, each with its edges (k for the b
    // end, -1 - k for the a end) from inc_ptr_, in edge order; q_ holds the edges' flows.
    std::vector<int> rows_;
    std::vector<std::int64_t> inc_ptr_, inc_;
    mutable std::vector<double> q_;
};

/// Coolant carrying enthalpy from one volume to the next: H = m_dot cp T_from [W] leaves
/// `from` and enters `to`. A loop of such edges conserves energy exactly; a boundary at both
/// ends of a loop (supply and return of a plant) receives the net heat m_dot cp (T_ret - T_sup).
class AdvectionBlock final : public Block {
public:
    explicit AdvectionBlock(std::string name) : name_(std::move(name)) {}
    /// capacity_rate = m_dot cp [W/K] >= 0.
    void add(NodeRef from, NodeRef to, double capacity_rate);
    std::size_t size() const { return mcp_.size(); }

    std::string name() const override { return name_; }
    void declare(Network& net) override;
    void eval(EvalContext& ctx) const override;
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;
    bool thermal_only() const override { return true; }

private:
    std::string name_;
    std::vector<NodeRef> from_, to_;
    std::vector<double> mcp_;                 ///< [W/K]
    std::vector<std::array<int, 2>> e_;       ///< entries (from, from), (to, from)
};

}  // namespace dctwin
