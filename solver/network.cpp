#include "solver/network.hpp"

#include "solver/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

namespace dctwin {

StepSchedule::StepSchedule(std::vector<double> times, std::vector<double> values)
    : t_(std::move(times)), v_(std::move(values)) {
    if (t_.empty() || t_.size() != v_.size() || !std::is_sorted(t_.begin(), t_.end()))
        throw std::invalid_argument("StepSchedule: times must be sorted, one value each");
}

double StepSchedule::value(double t) const {
    // The step at t itself applies from t on: upper_bound - 1.
    auto it = std::upper_bound(t_.begin(), t_.end(), t);
    return it == t_.begin() ? v_.front() : v_[std::size_t(it - t_.begin()) - 1];
}

double StepSchedule::next_discontinuity(double t) const {
    auto it = std::upper_bound(t_.begin(), t_.end(), t);
    return it == t_.end() ? std::numeric_limits<double>::infinity() : *it;
}

Network::Network() = default;
Network::~Network() = default;

int Network::add_input(std::unique_ptr<InputSignal> s) {
    inputs_.push_back(std::move(s));
    return int(inputs_.size()) - 1;
}

int Network::add_state(StateInfo info) {
    if (finalized_) throw std::logic_error("Network: add_state after finalize");
    if (!(info.capacity > 0.0) || !std::isfinite(info.capacity))
        throw std::invalid_argument(fmt::format("state {}: capacity must be positive", info.path));
    // The tables grow in large steps (address space is cheap, pages are touched only when
    // used): at every doubling a large site's states (two strings each) were copied into
    // freshly faulted pages, a tenth of its build. Here eightfold: the copies are at most a
    // seventh of the table.
    if (states_.size() == states_.capacity()) states_.reserve(std::max<std::size_t>(1024, 8 * states_.capacity()));
    states_.push_back(std::move(info));
    return int(states_.size()) - 1;
}

int Network::add_boundary(const std::string& path, int input) {
    StateInfo acc{path + "/heat_received", "J", 1.0, 0.0, 1.0};
    acc.accumulator = true;
    int a = add_state(std::move(acc));
    boundaries_.push_back({path, input, a});
    return int(boundaries_.size()) - 1;
}

int Network::add_stage(StageInfo s) {
    stages_.push_back(std::move(s));
    return int(stages_.size()) - 1;
}

int Network::add_loss_group(const std::string& name, bool tally) {
    StateInfo s{"site/energy/losses/" + name, "J", 1.0, 0.0, 1.0};
    s.accumulator = true;
    s.tally = tally;
    loss_groups_.push_back(add_state(std::move(s)));
    return int(loss_groups_.size()) - 1;
}

int Network::add_load(LoadInfo l) {
    if (loads_.size() == loads_.capacity()) loads_.reserve(std::max<std::size_t>(1024, 4 * loads_.capacity()));
    loads_.push_back(std::move(l));
    return int(loads_.size()) - 1;
}

void Network::add_block(std::unique_ptr<Block> b) { blocks_.push_back(std::move(b)); }

int Network::jac_entry(int row, int col) {
    if (row < 0 || col < 0) return -1;
    if (entries_.size() == entries_.capacity()) entries_.reserve(std::max<std::size_t>(4096, 4 * entries_.capacity()));
    entries_.emplace_back(row, col);
    return int(entries_.size()) - 1;
}

int Network::flow_row(NodeRef n) const {
    return n.is_state() ? n.id : boundaries_.at(std::size_t(n.boundary_index())).accumulator;
}

std::array<int, 4> Network::jac_pair(NodeRef a, NodeRef b) {
    const int ra = flow_row(a), rb = flow_row(b);
    const int ca = a.is_state() ? a.id : -1, cb = b.is_state() ? b.id : -1;
    return {jac_entry(ra, ca), jac_entry(ra, cb), jac_entry(rb, ca), jac_entry(rb, cb)};
}

void Network::finalize() {
    if (finalized_) throw std::logic_error("Network: finalize called twice");
    // Whole-site accumulators.
    auto acc = [&](const char* path) {
        StateInfo s{path, "J", 1.0, 0.0, 1.0};
        s.accumulator = true;
        return add_state(std::move(s));
    };
    acct_.grid = acc("site/energy/grid");
    acct_.generator = acc("site/energy/generator");
    acct_.it = acc("site/energy/it");
    acct_.cooling = acc("site/energy/cooling");
    acct_.losses = acc("site/energy/losses");

    // The blocks declare about ten Jacobian entries per state and a load for every other
    // state: room for them at once (address space only until used) instead of copies at every
    // growth.
    entries_.reserve(entries_.size() + 16 * states_.size());
    loads_.reserve(loads_.size() + states_.size());
    for (auto& b : blocks_) b->declare(*this);

    // Electrical tree: order stages children-first and reject cycles.
    const int ns = int(stages_.size());
    std::vector<int> depth(std::size_t(ns), -1);
    for (int s = 0; s < ns; ++s) {
        int d = 0;
        for (int p = stages_[std::size_t(s)].parent; p >= 0; p = stages_[std::size_t(p)].parent) {
            if (p >= ns) throw std::invalid_argument(fmt::format("stage {}: parent out of range", stages_[std::size_t(s)].path));
            if (++d > ns) throw std::invalid_argument(fmt::format("stage {}: the power tree has a cycle", stages_[std::size_t(s)].path));
        }
        depth[std::size_t(s)] = d;
    }
    stage_order_.resize(std::size_t(ns));
    std::iota(stage_order_.begin(), stage_order_.end(), 0);
    std::stable_sort(stage_order_.begin(), stage_order_.end(),
                     [&](int a, int b) { return depth[std::size_t(a)] > depth[std::size_t(b)]; });

    // Each load dependency feeds: its own heat node; for every stage up the chain, its heat
    // node, its loss group and the rows of its supply; then grid, generator, its category and
    // the losses accumulator. A supply's column feeds the same from its parent stage up, and the
    // losses accumulator.
    supply_rows_offset_.assign(std::size_t(ns) + 1, 0);
    supply_cols_offset_.assign(std::size_t(ns) + 1, 0);
    supply_rows_.assign(std::size_t(ns), {});
    supply_cols_.clear();
    for (int s = 0; s < ns; ++s) {
        const auto si = std::size_t(s);
        std::vector<int> cols;
        if (stages_[si].supply) supply_rows_[si] = stages_[si].supply->rows(), cols = stages_[si].supply->columns();
        supply_rows_offset_[si + 1] = supply_rows_offset_[si] + int(supply_rows_[si].size());
        supply_cols_offset_[si + 1] = supply_cols_offset_[si] + int(cols.size());
        supply_cols_.insert(supply_cols_.end(), cols.begin(), cols.end());
    }
    load_dep_offset_.assign(loads_.size() + 1, 0);
    for (std::size_t l = 0; l < loads_.size(); ++l)
        load_dep_offset_[l + 1] = load_dep_offset_[l] + int(loads_[l].depends_on.size());
    load_dep_entry_offset_.assign(std::size_t(load_dep_offset_.back()) + 1, 0);
    // The rows chain_entries(stage, col) feeds, per stage (the last for the root), made on
    // first use: walking the chain for every dependency of a hundred thousand devices was a
    // good part of the build. The entries are the same, in the same order.
    std::vector<std::vector<int>> chain_rows(std::size_t(ns) + 1);
    std::vector<char> chain_made(std::size_t(ns) + 1, 0);
    auto chain_of = [&](int stage) -> const std::vector<int>& {
        const std::size_t i = stage >= 0 ? std::size_t(stage) : std::size_t(ns);
        if (!chain_made[i]) {
            auto& rows = chain_rows[i];
            for (int st = stage; st >= 0; st = stages_[std::size_t(st)].parent) {
                const auto& S = stages_[std::size_t(st)];
                rows.push_back(flow_row(S.heat_to));
                if (S.group >= 0) rows.push_back(loss_groups_.at(std::size_t(S.group)));
                for (int r : supply_rows_[std::size_t(st)]) rows.push_back(r);
            }
            rows.push_back(acct_.grid);
            rows.push_back(acct_.generator);
            chain_made[i] = 1;
        }
        return chain_rows[i];
    };
    {
        std::size_t more = 0;  // entries the loads and the supply columns add: reserved at once
        for (const auto& L : loads_) {
            (void)flow_row(L.heat_to);  // in the order the loop below asks, should either throw
            more += L.depends_on.size() * (chain_of(L.stage).size() + 3);
        }
        for (int s = 0; s < ns; ++s)
            if (const int nc = supply_cols_offset_[std::size_t(s) + 1] - supply_cols_offset_[std::size_t(s)]; nc > 0)
                more += std::size_t(nc) * (chain_of(stages_[std::size_t(s)].parent).size() + 1);
        entries_.reserve(entries_.size() + more);
        load_dep_entries_.reserve(load_dep_entries_.size() + more);
    }
    for (std::size_t l = 0; l < loads_.size(); ++l) {
        const auto& L = loads_[l];
        const std::vector<int>& chain = chain_of(L.stage);
        const int heat = flow_row(L.heat_to), category = L.category == LoadCategory::it ? acct_.it : acct_.cooling;
        for (std::size_t k = 0; k < L.depends_on.size(); ++k) {
            const int col = L.depends_on[k];
            load_dep_entries_.push_back(jac_entry(heat, col));
            for (int r : chain) load_dep_entries_.push_back(jac_entry(r, col));
            load_dep_entries_.push_back(jac_entry(category, col));
            load_dep_entries_.push_back(jac_entry(acct_.losses, col));
            const std::size_t dep = std::size_t(load_dep_offset_[l]) + k;
            load_dep_entry_offset_[dep + 1] = int(load_dep_entries_.size());
        }
    }
    // Supply columns: their entries follow the loads' in load_dep_entries_.
    supply_stages_.clear();
    supply_col_entry_offset_.assign(supply_cols_.size() + 1, int(load_dep_entries_.size()));
    for (int s = 0; s < ns; ++s) {
        const auto si = std::size_t(s);
        if (supply_cols_offset_[si + 1] > supply_cols_offset_[si]) supply_stages_.push_back(s);
        for (int j = supply_cols_offset_[si]; j < supply_cols_offset_[si + 1]; ++j) {
            chain_entries(stages_[si].parent, supply_cols_[std::size_t(j)]);
            load_dep_entries_.push_back(jac_entry(acct_.losses, supply_cols_[std::size_t(j)]));
            supply_col_entry_offset_[std::size_t(j) + 1] = int(load_dep_entries_.size());
        }
    }

    // CSC pattern: every diagonal plus the declared entries, duplicates merged; rows ascending
    // within each column. Each entry's (row, entry id) goes into its column's bucket of
    // row_idx_ (a counting sort by column); each column's few keys are sorted, and packed in
    // place to its distinct rows, the entries' slots set on the way. (A sort of all the
    // (column, row) keys and a binary search of all of them per entry were most of the build
    // on large sites.)
    const int n = int(states_.size());
    const std::size_t ne = entries_.size();
    if (ne >= 0xFFFFFFFFu) throw std::length_error("Network: too many Jacobian entries");
    constexpr std::uint64_t kDiagonal = 0xFFFFFFFFu;  // the entry id of a column's own diagonal
    std::vector<std::int64_t> next(std::size_t(n) + 1, 1);  // one for the diagonal
    next[0] = 0;
    for (auto [r, c] : entries_) {
        if (r >= n || c >= n) throw std::logic_error("Network: Jacobian entry out of range");
        ++next[std::size_t(c) + 1];
    }
    for (int c = 0; c < n; ++c) next[std::size_t(c) + 1] += next[std::size_t(c)];
    auto key = [](int row, std::uint64_t id) { return std::int64_t((std::uint64_t(row) << 32) | id); };
    row_idx_.resize(ne + std::size_t(n));
    for (int c = 0; c < n; ++c) row_idx_[std::size_t(next[std::size_t(c)]++)] = key(c, kDiagonal);
    for (std::size_t e = 0; e < ne; ++e) {
        const auto [r, c] = entries_[e];
        row_idx_[std::size_t(next[std::size_t(c)]++)] = key(r, e);
    }
    // next[c] is now the end of column c's bucket, the start of column c + 1's.
    col_ptr_.assign(std::size_t(n) + 1, 0);
    slot_.resize(ne);
    std::size_t packed = 0;
    for (int c = 0; c < n; ++c) {
        std::int64_t* const first = row_idx_.data() + (c == 0 ? 0 : next[std::size_t(c) - 1]);
        std::int64_t* const last = row_idx_.data() + next[std::size_t(c)];
        if (last - first <= 16) {  // insertion sort: columns hold a handful of entries
            for (std::int64_t* i = first + 1; i < last; ++i) {
                const std::int64_t v = *i;
                std::int64_t* j = i;
                for (; j > first && j[-1] > v; --j) *j = j[-1];
                *j = v;
            }
        } else {
            std::sort(first, last);
        }
        std::int64_t last_row = -1;
        for (const std::int64_t* i = first; i < last; ++i) {  // row_idx_[packed] is never ahead of *i
            const auto k = std::uint64_t(*i);
            const auto r = std::int64_t(k >> 32);
            if (r != last_row) row_idx_[packed++] = r, last_row = r;
            if ((k & kDiagonal) != kDiagonal) slot_[std::size_t(k & kDiagonal)] = int(packed) - 1;
        }
        col_ptr_[std::size_t(c) + 1] = std::int64_t(packed);
    }
    row_idx_.resize(packed);
    const std::size_t nnz_total = packed;
    // The entries are not needed again: their memory serves the arrays below.
    std::vector<std::pair<int, int>>().swap(entries_);
    std::vector<std::int64_t>().swap(next);
    tally_.assign(std::size_t(n), 0);
    frozen_.assign(std::size_t(n), 0);
    for (int i = 0; i < n; ++i) {
        const auto& st = states_[std::size_t(i)];
        tally_[std::size_t(i)] = st.tally;
        frozen_[std::size_t(i)] = !st.accumulator && !st.storage && !st.electrical;
    }
    // A tally's column must hold only its diagonal: nothing may depend on a running total.
    for (int c = 0; c < n; ++c)
        if (tally_[std::size_t(c)])
            for (auto k = col_ptr_[std::size_t(c)]; k < col_ptr_[std::size_t(c) + 1]; ++k)
                if (row_idx_[std::size_t(k)] != c)
                    throw std::logic_error(fmt::format("Network: {} depends on the running total {}",
                                                       states_[std::size_t(row_idx_[std::size_t(k)])].path,
                                                       states_[std::size_t(c)].path));
    build_newton_pattern();
    inv_capacity_.resize(std::size_t(n));
    for (int i = 0; i < n; ++i) inv_capacity_[std::size_t(i)] = 1.0 / states_[std::size_t(i)].capacity;
    inv_cap_per_nz_.resize(nnz_total);
    for (std::size_t k = 0; k < nnz_total; ++k) inv_cap_per_nz_[k] = inv_capacity_[std::size_t(row_idx_[k])];

    select_blocks();

    collect_stored_states();
    load_heat_row_.resize(loads_.size());
    load_stage_.resize(loads_.size());
    load_is_it_.resize(loads_.size());
    for (std::size_t l = 0; l < loads_.size(); ++l) {
        load_heat_row_[l] = flow_row(loads_[l].heat_to);
        load_stage_[l] = loads_[l].stage;
        load_is_it_[l] = loads_[l].category == LoadCategory::it;
    }
    build_load_gather();
    flow_.assign(std::size_t(n), 0.0);
    input_values_.assign(inputs_.size(), 0.0);
    boundary_T_.assign(boundaries_.size(), 0.0);
    boundary_acc_.resize(boundaries_.size());
    for (std::size_t b = 0; b < boundaries_.size(); ++b) boundary_acc_[b] = boundaries_[b].accumulator;
    load_.assign(loads_.size(), 0.0);
    dload_.assign(std::size_t(load_dep_offset_.back()), 0.0);
    stage_in_.assign(std::size_t(ns), 0.0);
    stage_out_.assign(std::size_t(ns), 0.0);
    stage_dloss_.assign(std::size_t(ns), 0.0);
    stage_dsplit_.assign(std::size_t(ns), 1.0);
    supply_drows_.assign(std::size_t(supply_rows_offset_.back()), 0.0);
    supply_dcols_.assign(2 * supply_cols_.size(), 0.0);
    load_powered_.assign(loads_.size(), 1);
    stage_powered_.assign(std::size_t(ns), 1);
    stage_live_.assign(std::size_t(ns), 1);
    finalized_ = true;
}

// The Newton pattern: the Jacobian's, with the rows of tallies (and of frozen states in
// power-only mode) reduced to their diagonal.
void Network::build_newton_pattern() {
    const int n = int(states_.size());
    newton_col_ptr_.assign(std::size_t(n) + 1, 0);
    newton_row_idx_.clear();
    newton_source_.clear();
    newton_row_idx_.reserve(row_idx_.size());
    newton_source_.reserve(row_idx_.size());
    for (int c = 0; c < n; ++c) {
        for (auto k = col_ptr_[std::size_t(c)]; k < col_ptr_[std::size_t(c) + 1]; ++k) {
            const auto r = std::size_t(row_idx_[std::size_t(k)]);
            if ((tally_[r] || is_frozen(r)) && std::int64_t(r) != c) continue;
            newton_row_idx_.push_back(std::int64_t(r));
            newton_source_.push_back(k);
        }
        newton_col_ptr_[std::size_t(c) + 1] = std::int64_t(newton_row_idx_.size());
    }
}

void Network::select_blocks() {
    active_.clear();
    for (auto& b : blocks_)
        if (!(power_only_ && b->thermal_only())) active_.push_back(b.get());
    block_root_offset_.clear();
    block_nroots_.clear();
    nroots_ = 0;
    for (auto& b : blocks_) {
        block_root_offset_.push_back(nroots_);
        block_nroots_.push_back(power_only_ && b->roots_watch_thermal() ? 0 : b->num_roots());
        nroots_ += block_nroots_.back();
    }
}

void Network::set_power_only(bool on) {
    if (!finalized_) throw std::logic_error("Network: set_power_only before finalize");
    power_only_ = on;
    cache_valid_ = false;
    live_idx_.clear();
    for (std::size_t i = 0; i < states_.size(); ++i)
        if (!states_[i].accumulator && !is_frozen(i)) live_idx_.push_back(int(i));
    // A frozen state's derivative is zero: its inverse capacity is, and with it its rows of
    // the right-hand side and of the Jacobian.
    for (std::size_t i = 0; i < states_.size(); ++i) inv_capacity_[i] = is_frozen(i) ? 0.0 : 1.0 / states_[i].capacity;
    for (std::size_t k = 0; k < row_idx_.size(); ++k) inv_cap_per_nz_[k] = inv_capacity_[std::size_t(row_idx_[k])];
    build_newton_pattern();
    collect_stored_states();
    select_blocks();
}

std::vector<double> Network::initial_state() const {
    std::vector<double> y(states_.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = states_[i].initial;
    return y;
}

void Network::load_inputs(double t) {
    if (!finalized_) throw std::logic_error("Network: evaluate before finalize");
    // Inside a solver step that ends on a discontinuity, inputs hold their value from the
    // left: the step integrates the stretch before the switch, not the value after it.
    const double ti = std::min(t, input_horizon_);
    for (std::size_t k = 0; k < inputs_.size(); ++k) input_values_[k] = inputs_[k]->value(ti);
}

void Network::prepare(double t, const double* y, EvalContext& ctx, std::span<double> flow, bool inputs_loaded,
                      bool clear_flow) {
    if (!inputs_loaded) load_inputs(t);
    for (std::size_t b = 0; b < boundaries_.size(); ++b)
        boundary_T_[b] = input_values_[std::size_t(boundaries_[b].input)];
    if (clear_flow) std::fill(flow.begin(), flow.end(), 0.0);
    ctx.t = t;
    ctx.y = {y, states_.size()};
    ctx.flow = flow;
    ctx.inputs = input_values_;
    ctx.boundary_temperature = boundary_T_;
    ctx.load = load_;
    ctx.powered = load_powered_;
    ctx.boundary_accumulator = boundary_acc_;
    ctx.pool = pool_;
}

void Network::scale_flows(double* ydot) const {
    const double* f = flow_.data();
    const double* ic = inv_capacity_.data();
    parallel_for(pool_, std::int64_t(states_.size()), 32768, [=](std::int64_t i) { ydot[i] = f[i] * ic[i]; });
}

double Network::last_storage_release() const {
    double r = 0.0;
    for (int i : storage_idx_) r -= flow_[std::size_t(i)] * inv_capacity_[std::size_t(i)];
    return r;
}

EvalContext Network::view(double t, const double* y) {
    EvalContext ctx;
    view_flow_.resize(states_.size());
    prepare(t, y, ctx, view_flow_, false, false);  // a scratch array nobody reads: not cleared
    return ctx;
}

void Network::build_load_gather() {
    // Targets: every heat row, every stage, the root, IT and cooling; each with its loads in
    // load order, so that a target adds them in the order a single loop over the loads would.
    const std::size_t ns = stages_.size(), nl = loads_.size();
    std::vector<std::vector<int>> by_row(states_.size()), by_stage(ns + 3);  // + root, it, cooling
    for (std::size_t l = 0; l < nl; ++l) {
        by_row[std::size_t(load_heat_row_[l])].push_back(int(l));
        by_stage[load_stage_[l] >= 0 ? std::size_t(load_stage_[l]) : ns].push_back(int(l));
        by_stage[ns + (load_is_it_[l] ? 1 : 2)].push_back(int(l));
    }
    gather_target_.clear(), gather_ptr_.assign(1, 0), gather_loads_.clear();
    auto add = [&](int target, const std::vector<int>& loads) {
        if (loads.empty()) return;
        gather_target_.push_back(target);
        gather_loads_.insert(gather_loads_.end(), loads.begin(), loads.end());
        gather_ptr_.push_back(std::int64_t(gather_loads_.size()));
    };
    for (std::size_t r = 0; r < by_row.size(); ++r) add(int(r), by_row[r]);
    for (std::size_t t = 0; t < by_stage.size(); ++t) add(-1 - int(t), by_stage[t]);
    stage_sum_.assign(ns + 3, 0.0);
}

void Network::eval_tree(EvalContext& ctx) {
    // Sum loads into stages, then stages into parents (children first), adding every watt
    // as heat where it is dissipated. A supply at a stage (a UPS battery) may provide part of
    // what the stage draws; what reaches the root comes from the grid or the generator.
    // The loads' sums first, target by target on the threads (each target adds its loads in
    // load order: the same bits as one loop over the loads).
    const std::size_t ns = stages_.size();
    double* flow = ctx.flow.data();
    std::fill(stage_sum_.begin(), stage_sum_.end(), 0.0);
    parallel_for(pool_, std::int64_t(gather_target_.size()), 4096, [&](std::int64_t g) {
        const int target = gather_target_[std::size_t(g)];
        double& dest = target >= 0 ? flow[target] : stage_sum_[std::size_t(-1 - target)];
        double v = dest;
        for (auto k = gather_ptr_[std::size_t(g)]; k < gather_ptr_[std::size_t(g) + 1]; ++k) {
            const auto l = std::size_t(gather_loads_[std::size_t(k)]);
            if (load_powered_[l]) v += load_[l];
        }
        dest = v;
    });
    std::copy(stage_sum_.begin(), stage_sum_.begin() + long(ns), stage_out_.begin());
    double root = stage_sum_[ns], it = stage_sum_[ns + 1], cooling = stage_sum_[ns + 2], losses = 0.0;
    grid_share_ = grid_input_ >= 0 ? ctx.inputs[std::size_t(grid_input_)] : 1.0;
    // With neither grid nor a running generator, only what a supply feeds is live: a stage above
    // it (the transformer in an outage) carries nothing and has no no-load loss.
    const bool source = grid_share_ > 0.5 || (generator_input_ >= 0 && ctx.inputs[std::size_t(generator_input_)] > 0.0);
    if (!source)
        for (auto k = stage_order_.rbegin(); k != stage_order_.rend(); ++k) {  // parents first
            const auto& S = stages_[std::size_t(*k)];
            stage_live_[std::size_t(*k)] = (S.parent >= 0 && stage_live_[std::size_t(S.parent)]) ||
                                           (S.supply && S.supply->feeds_without_source(ctx));
        }
    for (int s : stage_order_) {
        const auto si = std::size_t(s);
        const auto& S = stages_[si];
        if (!stage_powered_[si]) {
            stage_in_[si] = stage_out_[si] = stage_dloss_[si] = 0.0;
            if (S.supply && S.supply->draws_when_shed() && (S.parent < 0 || stage_powered_[std::size_t(S.parent)])) {
                const double up = S.supply->split(0.0, ctx, &stage_dsplit_[si], supply_drows_.data() + supply_rows_offset_[si],
                                                  supply_dcols_.data() + 2 * supply_cols_offset_[si]);
                losses += S.supply->last_loss();
                (S.parent >= 0 ? stage_out_[std::size_t(S.parent)] : root) += up;
            }
            continue;
        }
        const double out = stage_out_[si];
        const double in = source || stage_live_[si] ? out + S.loss.loss(out, &stage_dloss_[si]) : (stage_dloss_[si] = 0.0, out);
        stage_in_[si] = in;
        ctx.add_heat(S.heat_to, in - out);
        if (S.group >= 0) flow_[std::size_t(loss_groups_[std::size_t(S.group)])] += in - out;
        losses += in - out;
        double up = in;
        stage_dsplit_[si] = 1.0;
        if (S.supply) {
            up = S.supply->split(in, ctx, &stage_dsplit_[si], supply_drows_.data() + supply_rows_offset_[si],
                                 supply_dcols_.data() + 2 * supply_cols_offset_[si]);
            losses += S.supply->last_loss();
        }
        if (S.parent >= 0)
            stage_out_[std::size_t(S.parent)] += up;
        else
            root += up;
    }
    source_power_ = root;
    grid_power_ = grid_share_ * root;
    flow_[std::size_t(acct_.grid)] += grid_share_ * root;
    flow_[std::size_t(acct_.generator)] += (1.0 - grid_share_) * root;
    flow_[std::size_t(acct_.it)] += it;
    flow_[std::size_t(acct_.cooling)] += cooling;
    flow_[std::size_t(acct_.losses)] += losses;
}

void Network::shed(int stage) {
    cache_valid_ = false;
    // A stage is below `stage` if `stage` is on its chain to the root.
    auto below = [&](int s) {
        for (; s >= 0; s = stages_[std::size_t(s)].parent)
            if (s == stage) return true;
        return false;
    };
    for (std::size_t s = 0; s < stages_.size(); ++s)
        if (below(int(s))) stage_powered_[s] = 0;
    for (std::size_t l = 0; l < loads_.size(); ++l)
        if (below(loads_[l].stage)) load_powered_[l] = 0;
}

void Network::set_stage_loss(int stage, LossModel loss, double rating) {
    auto& S = stages_.at(std::size_t(stage));
    S.loss = std::move(loss);
    S.rating = rating;
}

void Network::chain_entries(int stage, int col) {
    for (int s = stage; s >= 0; s = stages_[std::size_t(s)].parent) {
        const auto& S = stages_[std::size_t(s)];
        load_dep_entries_.push_back(jac_entry(flow_row(S.heat_to), col));
        if (S.group >= 0) load_dep_entries_.push_back(jac_entry(loss_groups_.at(std::size_t(S.group)), col));
        for (int r : supply_rows_[std::size_t(s)]) load_dep_entries_.push_back(jac_entry(r, col));
    }
    load_dep_entries_.push_back(jac_entry(acct_.grid, col));
    load_dep_entries_.push_back(jac_entry(acct_.generator, col));
}

void Network::chain_values(int stage, double v, double& dlosses, JacobianFill& jac, const int*& e) const {
    double factor = 1.0;  // d(what the current stage outputs)/d(the change)
    for (int s = stage; s >= 0; s = stages_[std::size_t(s)].parent) {
        const auto si = std::size_t(s);
        const auto& S = stages_[si];
        const double dl_s = stage_dloss_[si] * factor * v;
        jac.add(*e++, dl_s);
        if (S.group >= 0) jac.add(*e++, dl_s);
        dlosses += dl_s;
        factor *= 1.0 + stage_dloss_[si];  // now d(stage input)/d(the change)
        if (S.supply) {
            const double* dr = &supply_drows_[std::size_t(supply_rows_offset_[si])];
            const int nr = supply_rows_offset_[si + 1] - supply_rows_offset_[si];
            for (int r = 0; r < nr; ++r) jac.add(*e++, dr[r] * factor * v);
            dlosses += S.supply->last_dloss() * factor * v;
            factor *= stage_dsplit_[si];
        }
    }
    jac.add(*e++, grid_share_ * factor * v);          // grid
    jac.add(*e++, (1.0 - grid_share_) * factor * v);  // generator
}

bool Network::reuse_evaluation(double t, const double* y) {
    load_inputs(t);  // the evaluation that may follow uses them as they are
    bool same = cache_valid_ && input_values_ == cached_inputs_;
    for (std::size_t k = 0; same && k < live_idx_.size(); ++k) same = y[live_idx_[k]] == cached_live_[k];
    if (same) return true;
    cached_inputs_ = input_values_;
    cached_live_.resize(live_idx_.size());
    for (std::size_t k = 0; k < live_idx_.size(); ++k) cached_live_[k] = y[live_idx_[k]];
    return false;
}

void Network::evaluate(double t, const double* y) {
    if (power_only_ && reuse_evaluation(t, y)) return;
    EvalContext ctx;
    prepare(t, y, ctx, flow_, power_only_);  // reuse_evaluation loaded the inputs
    for (Block* b : active_) b->eval(ctx);
    eval_tree(ctx);
    cache_valid_ = power_only_;
    ++evaluation_id_;
}

void Network::rhs(double t, const double* y, double* ydot) {
    evaluate(t, y);
    scale_flows(ydot);
}

void Network::jacobian(double t, const double* y, std::span<double> values) {
    if (values.size() != nnz()) throw std::logic_error("Network::jacobian: wrong value count");
    cache_valid_ = false;  // the flows below are this point's
    EvalContext ctx;
    prepare(t, y, ctx, flow_);
    // Loads and stage slopes at this point: a full evaluation keeps them consistent.
    for (Block* b : active_) b->eval(ctx);
    eval_tree(ctx);
    std::fill(values.begin(), values.end(), 0.0);
    std::fill(dload_.begin(), dload_.end(), 0.0);
    JacobianFill jac{values, slot_};
    LoadDerivatives dl{dload_, load_dep_offset_};
    for (Block* b : active_) b->jacobian(ctx, jac, dl);
    for (std::size_t l = 0; l < loads_.size(); ++l) {
        const auto& L = loads_[l];
        const bool on = load_powered_[l] != 0;
        for (std::size_t k = 0; k < L.depends_on.size(); ++k) {
            const std::size_t dep = std::size_t(load_dep_offset_[l]) + k;
            const double v = on ? dload_[dep] : 0.0;
            const int* e = &load_dep_entries_[std::size_t(load_dep_entry_offset_[dep])];
            jac.add(*e++, v);       // the load's own heat
            double dlosses = 0.0;   // d(all losses)/d(load)
            chain_values(L.stage, v, dlosses, jac, e);
            jac.add(*e++, v);       // its category
            jac.add(*e++, dlosses); // losses
        }
    }
    // A supply's own states change what it takes from its parent: the same chain from there.
    for (int s : supply_stages_) {
        const auto si = std::size_t(s);
        const bool on = stage_powered_[si] != 0;
        const int c0 = supply_cols_offset_[si], nc = supply_cols_offset_[si + 1] - c0;
        const double* dc = &supply_dcols_[2 * std::size_t(c0)];
        for (int j = 0; j < nc; ++j) {
            const int* e = &load_dep_entries_[std::size_t(supply_col_entry_offset_[std::size_t(c0 + j)])];
            double dlosses = on ? dc[nc + j] : 0.0;  // its own loss
            chain_values(stages_[si].parent, on ? dc[j] : 0.0, dlosses, jac, e);
            jac.add(*e++, dlosses);
        }
    }
    for (std::size_t k = 0; k < values.size(); ++k) values[k] *= inv_cap_per_nz_[k];
}

void Network::roots(double t, const double* y, double* g) {
    cache_valid_ = false;  // the flows are rewritten below
    EvalContext ctx;
    prepare(t, y, ctx, flow_);
    bool tree = false;
    for (std::size_t b = 0; b < blocks_.size(); ++b) tree = tree || (block_nroots_[b] > 0 && blocks_[b]->roots_read_tree(ctx));
    if (tree) {
        for (Block* b : active_) b->eval(ctx);
        eval_tree(ctx);
    }
    for (std::size_t b = 0; b < blocks_.size(); ++b)
        if (block_nroots_[b] > 0) blocks_[b]->roots(ctx, g + block_root_offset_[b]);
}

bool Network::on_roots(double t, const double* y, const int* found, std::vector<Event>& events) {
    cache_valid_ = false;  // blocks may change their discrete state
    EvalContext ctx;
    prepare(t, y, ctx, flow_);
    for (Block* b : active_) b->eval(ctx);  // rare: what a discrete change decides on is up to date
    eval_tree(ctx);
    bool changed = false;
    for (std::size_t b = 0; b < blocks_.size(); ++b)
        for (int i = 0; i < block_nroots_[b]; ++i) {
            const int dir = found[block_root_offset_[b] + i];
            if (dir != 0) changed |= blocks_[b]->on_root(i, dir, ctx, events);
        }
    return changed;
}

bool Network::on_start(double t, const double* y, std::vector<Event>& events) {
    cache_valid_ = false;
    EvalContext ctx;
    prepare(t, y, ctx, flow_);
    for (Block* b : active_) b->eval(ctx);
    eval_tree(ctx);
    bool changed = false;
    for (auto& b : blocks_) changed |= b->on_start(ctx, events);
    if (changed) cache_valid_ = false;
    return changed;
}

double Network::next_discontinuity(double t) const {
    double d = std::numeric_limits<double>::infinity();
    for (const auto& s : inputs_) d = std::min(d, s->next_discontinuity(t));
    return d;
}

void Network::collect_stored_states() {
    // A held state's heat does not change: power-only rows leave it out of the sums (their
    // differences from the start are what is reported), which saves a pass over every state.
    thermal_idx_.clear(), storage_idx_.clear(), thermal_cap_.clear();
    for (std::size_t i = 0; i < states_.size(); ++i) {
        if (is_frozen(i)) continue;
        if (states_[i].unit == "K") thermal_idx_.push_back(int(i)), thermal_cap_.push_back(states_[i].capacity);
        if (states_[i].storage) storage_idx_.push_back(int(i));
    }
}

double Network::stored_energy(const double* y) const {
    // Chunks of fixed size, each summed in four interleaved partial sums, then the chunks in
    // order: the same bits for any thread count, and no chain of 100 000 dependent additions.
    constexpr std::int64_t kChunk = 4096;
    const auto n = std::int64_t(thermal_idx_.size());
    const std::int64_t nch = (n + kChunk - 1) / kChunk;
    std::vector<double> partial(static_cast<std::size_t>(nch));
    parallel_for(n >= 8 * kChunk ? pool_ : nullptr, nch, 2, [&](std::int64_t c) {
        partial[std::size_t(c)] = sum4(c * kChunk, std::min(n, (c + 1) * kChunk), [&](std::int64_t k) {
            return thermal_cap_[std::size_t(k)] * y[thermal_idx_[std::size_t(k)]];
        });
    });
    double e = 0.0;
    for (double p : partial) e += p;
    for (int i : storage_idx_) e += y[i];
    return e;
}

double Network::rejected_energy(const double* y) const {
    double e = 0.0;
    for (const auto& b : boundaries_) e += y[b.accumulator];
    return e;
}

}  // namespace dctwin
