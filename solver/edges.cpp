#include "solver/edges.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace dctwin {

void ConductanceBlock::add(NodeRef a, NodeRef b, double conductance) {
    if (!(conductance > 0.0) || !std::isfinite(conductance))
        throw std::invalid_argument(fmt::format("{}: conductance must be positive and finite", name_));
    a_.push_back(a);
    b_.push_back(b);
    g_.push_back(conductance);
}

double ConductanceBlock::heat_flow(const EvalContext& ctx, std::size_t k) const {
    return g_[k] * (ctx.temperature(a_[k]) - ctx.temperature(b_[k]));
}

void ConductanceBlock::declare(Network& net) {
    e_.resize(g_.size());
    for (std::size_t k = 0; k < g_.size(); ++k) e_[k] = net.jac_pair(a_[k], b_[k]);
}

void ConductanceBlock::eval(EvalContext& ctx) const {
    for (std::size_t k = 0; k < g_.size(); ++k) ctx.transfer(a_[k], b_[k], heat_flow(ctx, k));
}

void ConductanceBlock::jacobian(const EvalContext&, JacobianFill& jac, LoadDerivatives&) const {
    for (std::size_t k = 0; k < g_.size(); ++k) {
        const auto& e = e_[k];
        const double g = g_[k];
        // flow into a: -G (Ta - Tb); into b: +G (Ta - Tb)
        if (e[0] >= 0) jac.add(e[0], -g);
        if (e[1] >= 0) jac.add(e[1], g);
        if (e[2] >= 0) jac.add(e[2], g);
        if (e[3] >= 0) jac.add(e[3], -g);
    }
}

void AdvectionBlock::add(NodeRef from, NodeRef to, double capacity_rate) {
    if (!(capacity_rate >= 0.0) || !std::isfinite(capacity_rate))
        throw std::invalid_argument(fmt::format("{}: capacity rate must be non-negative and finite", name_));
    from_.push_back(from);
    to_.push_back(to);
    mcp_.push_back(capacity_rate);
}

void AdvectionBlock::declare(Network& net) {
    e_.resize(mcp_.size());
    for (std::size_t k = 0; k < mcp_.size(); ++k) {
        const int col = from_[k].is_state() ? from_[k].id : -1;
        e_[k] = {net.jac_entry(net.flow_row(from_[k]), col), net.jac_entry(net.flow_row(to_[k]), col)};
    }
}

void AdvectionBlock::eval(EvalContext& ctx) const {
    for (std::size_t k = 0; k < mcp_.size(); ++k)
        ctx.transfer(from_[k], to_[k], mcp_[k] * ctx.temperature(from_[k]));
}

void AdvectionBlock::jacobian(const EvalContext&, JacobianFill& jac, LoadDerivatives&) const {
    for (std::size_t k = 0; k < mcp_.size(); ++k) {
        if (e_[k][0] >= 0) jac.add(e_[k][0], -mcp_[k]);
        if (e_[k][1] >= 0) jac.add(e_[k][1], mcp_[k]);
    }
}

}  // namespace dctwin
