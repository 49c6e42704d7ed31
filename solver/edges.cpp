#include "solver/edges.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "solver/parallel.hpp"

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
    // Each flow row's edges in edge order, a before b: the additions a loop over the edges
    // makes to that row, in its order.
    std::vector<std::vector<std::int64_t>> by_row;
    std::vector<int> rows_seen;
    auto add = [&](int row, std::int64_t code) {
        if (std::size_t(row) >= by_row.size()) by_row.resize(std::size_t(row) + 1);
        if (by_row[std::size_t(row)].empty()) rows_seen.push_back(row);
        by_row[std::size_t(row)].push_back(code);
    };
    for (std::size_t k = 0; k < g_.size(); ++k) {
        add(net.flow_row(a_[k]), -1 - std::int64_t(k));  // negative: the edge's a end (-q)
        add(net.flow_row(b_[k]), std::int64_t(k));
    }
    std::sort(rows_seen.begin(), rows_seen.end());
    rows_.clear(), inc_ptr_.assign(1, 0), inc_.clear();
    for (int r : rows_seen) {
        rows_.push_back(r);
        inc_.insert(inc_.end(), by_row[std::size_t(r)].begin(), by_row[std::size_t(r)].end());
        inc_ptr_.push_back(std::int64_t(inc_.size()));
    }
}

void ConductanceBlock::eval(EvalContext& ctx) const {
    const auto n = std::int64_t(g_.size());
    if (!ctx.pool || n < 8192) {
        for (std::size_t k = 0; k < g_.size(); ++k) ctx.transfer(a_[k], b_[k], heat_flow(ctx, k));
        return;
    }
    // On the threads: every edge's flow, then every row adds its edges' in edge order (the
    // same additions, in the same order, as the loop above).
    q_.resize(g_.size());
    parallel_for(ctx.pool, n, 1, [&](std::int64_t k) { q_[std::size_t(k)] = heat_flow(ctx, std::size_t(k)); });
    double* flow = ctx.flow.data();
    parallel_for(ctx.pool, std::int64_t(rows_.size()), 1, [&](std::int64_t r) {
        double v = flow[rows_[std::size_t(r)]];
        for (auto i = inc_ptr_[std::size_t(r)]; i < inc_ptr_[std::size_t(r) + 1]; ++i) {
            const std::int64_t c = inc_[std::size_t(i)];
            v += c < 0 ? -q_[std::size_t(-1 - c)] : q_[std::size_t(c)];
        }
        flow[rows_[std::size_t(r)]] = v;
    });
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
