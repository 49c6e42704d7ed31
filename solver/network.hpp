#pragma once
// The model is a network. Nodes own state; blocks (arrays of like components) add flows to
// states with opposite signs at both ends, so energy is conserved by construction.
//
// Every state is written in "capacity form": capacity * dy/dt = net flow into the state.
// A thermal node has capacity [J/K] and flow [W]; an energy accumulator has capacity 1 and
// flow [W] (its state is [J]). The solver sees dy/dt = flow / capacity.
//
// Heat leaves the network only through boundaries (fixed-temperature sinks such as the
// facility supply or the outdoor air). Each boundary owns an accumulator state holding the
// heat it received [J], and the grid owns one holding the energy drawn [J], so that
//     sum(C_i T_i) + sum(E_boundary) - E_grid
// is invariant: the energy balance of a run is read straight off the state vector.

#include "solver/events.hpp"
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "solver/loss.hpp"

namespace dctwin {

/// One entry of the state table.
struct StateInfo {
    std::string path;        ///< e.g. "hall1/rowA/rack01/gpu3/T_junction"
    std::string unit;        ///< unit of the state value: "K" or "J"
    double capacity = 1.0;   ///< [J/K] for thermal nodes, 1 for accumulators
    double initial = 0.0;    ///< initial value (SI)
    double abstol = 1e-4;    ///< absolute tolerance (same unit as the value)
    double lower = -std::numeric_limits<double>::infinity();  ///< physical bounds, reported
    double upper = std::numeric_limits<double>::infinity();   ///< when violated
    bool accumulator = false;  ///< an energy integral: pinned in steady-state solves
    bool storage = false;      ///< stored energy [J] (a battery): counted with the heat stored
    /// An accumulator outside every energy balance (work done, time throttled, work lost):
    /// its row is left out of the Newton matrix (see Network::newton_col_ptr).
    bool tally = false;
    /// An electrical control state (a store's rate-limited target [W]): it keeps its
    /// dynamics in power-only mode with the accumulators and the stored energies.
    bool electrical = false;
};

/// An end of a thermal edge: either a state (index >= 0) or a boundary (-1 - boundary index).
struct NodeRef {
    int id = 0;
    static NodeRef state(int i) { return {i}; }
    static NodeRef boundary(int b) { return {-1 - b}; }
    bool is_state() const { return id >= 0; }
    int boundary_index() const { return -1 - id; }
};

/// An exogenous input: a function of time with known discontinuities.
class InputSignal {
public:
    virtual ~InputSignal() = default;
    virtual double value(double t) const = 0;
    /// The first discontinuity strictly after t, or +inf.
    virtual double next_discontinuity(double t) const = 0;
};

/// Piecewise-constant schedule: value v[k] from time t[k] on (t sorted, t[0] <= any query).
class StepSchedule final : public InputSignal {
public:
    StepSchedule(std::vector<double> times, std::vector<double> values);
    double value(double t) const override;
    double next_discontinuity(double t) const override;

private:
    std::vector<double> t_, v_;
};

class ConstantSignal final : public InputSignal {
public:
    explicit ConstantSignal(double v) : v_(v) {}
    double value(double) const override { return v_; }
    double next_discontinuity(double) const override {
        return std::numeric_limits<double>::infinity();
    }

private:
    double v_;
};

/// A time just after t [s], where a block checks a condition that an input discontinuity at t
/// may have changed. The integrator restarts at t itself, so a root function that jumps there
/// shows no sign change to CVODE; a root on time just after t, inside the first step, does.
inline double just_after(double t) { return t + 1e-9 * std::max(1.0, std::abs(t)); }

/// A record of something that happened during a run (threshold crossing, trip, ...).
struct Event {
    double time = 0.0;   ///< [s]
    std::string path;    ///< the component it happened to
    EventKind kind{};    ///< what happened (its name: event_name)
    std::string message; ///< one line for people
};

class Network;

/// What a block sees while evaluating. Spans index the network's arrays.
struct EvalContext {
    double t = 0.0;                   ///< [s]
    std::span<const double> y;        ///< state values
    std::span<double> flow;           ///< net flow into each state [W]
    std::span<const double> inputs;   ///< input signal values at t
    std::span<const double> boundary_temperature;  ///< [K]
    std::span<double> load;           ///< electrical loads [W], written by their owners
    std::span<const char> powered;    ///< per load: 0 once its feed was shed (its owner should idle)
    /// Adds heat q [W] flowing from a to b (negative: b to a). Boundaries route it to their
    /// accumulator.
    inline void transfer(NodeRef a, NodeRef b, double q);
    inline void add_heat(NodeRef n, double q);  ///< q [W] into n from outside the network
    inline double temperature(NodeRef n) const;
    std::span<const int> boundary_accumulator;
    /// Threads a block may use for its loops over components (Network::set_pool; null: one);
    /// a block's results must not depend on them.
    class WorkerPool* pool = nullptr;
};

/// Where a block adds its Jacobian values: d(flow_row)/d(y_col) for entries it declared.
struct JacobianFill {
    std::span<double> values;     ///< in the global value layout
    std::span<const int> slot;    ///< entry id -> position in values
    void add(int entry, double v) { values[slot[entry]] += v; }
};

/// The electrical loads a block owns: value written in eval(), derivatives in jacobian().
struct LoadDerivatives {
    std::span<double> dvalues;          ///< d(load)/d(y_dep) for every declared dependency
    std::span<const int> offset;        ///< load id -> first dependency position
};

/// A block: an array of like components. Declares its states, Jacobian entries, loads and
/// root functions once (in declare, in a fixed order), then evaluates them many times.
/// One virtual call per block per evaluation, never per component.
class Block {
public:
    virtual ~Block() = default;
    virtual std::string name() const = 0;
    virtual void declare(Network& net) = 0;
    /// Adds the flows of every component; writes the loads it owns.
    virtual void eval(EvalContext& ctx) const = 0;
    /// Adds d(flow)/d(y) at the entries it declared, and d(load)/d(y) for its loads.
    virtual void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const = 0;
    virtual int num_roots() const { return 0; }
    virtual void roots(const EvalContext& /*ctx*/, double* /*g*/) const {}
    /// Root i (0-based, local) crossed in direction dir (+1 rising, -1 falling) at ctx.t.
    /// Returns true if the block changed its discrete state (the right-hand side jumps
    /// there, so the integrator restarts).
    virtual bool on_root(int /*i*/, int /*dir*/, const EvalContext& /*ctx*/,
                         std::vector<Event>& /*events*/) { return false; }
    /// At the start of a run: a threshold the state already lies beyond has been crossed
    /// (rising) at ctx.t, as if found by root-finding. Returns true if the block changed its
    /// discrete state.
    virtual bool on_start(const EvalContext& /*ctx*/, std::vector<Event>& /*events*/) { return false; }
    /// True when roots() at ctx reads the electrical tree (loads, stage powers, a supply's
    /// last split): the network then evaluates the blocks and the tree first. on_root() always
    /// sees an evaluated tree.
    virtual bool roots_read_tree(const EvalContext& /*ctx*/) const { return false; }
    /// True when its roots watch temperatures only: in power-only mode, where temperatures
    /// are held, they are not asked (Network::set_power_only).
    virtual bool roots_watch_thermal() const { return false; }
    /// True when it only moves heat between thermal nodes and boundaries: in power-only mode
    /// it is not evaluated.
    virtual bool thermal_only() const { return false; }
};

/// A category of electrical load, for the energy accounting.
enum class LoadCategory : std::uint8_t { it = 0, cooling = 1 };

/// Something at a stage that supplies part of what the stage draws (a UPS battery, a store).
/// The tree asks it, at every evaluation, how much of the stage's input comes from the parent.
class StageSupply {
public:
    virtual ~StageSupply() = default;
    /// The states whose flows split() changes as p_in changes (declared once).
    virtual std::vector<int> rows() const = 0;
    /// The states what split() returns depends on besides p_in (a store's own states; declared
    /// once). The network carries d(return)/d(column) up the chain from the parent stage, as it
    /// does a load's dependency; the supply adds the derivatives of its own rows itself.
    virtual std::vector<int> columns() const { return {}; }
    /// p_in [W]: what the stage draws. Returns what it takes from its parent [W]; adds its own
    /// flows to ctx (storage, loss heat), sets *dup = d(return)/d(p_in), drows[i] =
    /// d(flow of rows()[i])/d(p_in) and, with n = columns().size(), dcols[j] =
    /// d(return)/d(y of columns()[j]) and dcols[n + j] = d(last_loss())/d(y of columns()[j]).
    virtual double split(double p_in, EvalContext& ctx, double* dup, double* drows, double* dcols) = 0;
    /// Its own conversion loss [W] in the last split (for the losses accumulator).
    virtual double last_loss() const = 0;
    virtual double last_dloss() const = 0;  ///< d(last_loss)/d(p_in)
    /// Whether it can feed its stage with neither grid nor generator (a battery that carries an
    /// outage); what lies above a stage no supply feeds then carries no current at all.
    virtual bool feeds_without_source(const EvalContext&) const { return true; }
    /// Whether it still draws from its parent once its stage is shed (a UPS's charger: the
    /// rectifier stays on its input when the inverter has dropped the load). split() is then
    /// called with p_in = 0.
    virtual bool draws_when_shed() const { return false; }
};

/// One stage of the electrical tree: P_in = P_out + loss(P_out), the loss being heat at heat_to.
struct StageInfo {
    std::string path;
    int parent = -1;            ///< -1: fed from the grid
    double rating = 0.0;        ///< [W] output rating (reported as a limit)
    NodeRef heat_to;            ///< where its loss goes as heat
    LossModel loss;             ///< see solver/loss.hpp
    int group = -1;             ///< loss group (add_loss_group) whose energy it adds to, or -1
    StageSupply* supply = nullptr;  ///< owned by a block; null: all from the parent
};

/// An electrical load: drawn from a stage, turned entirely into heat at heat_to.
struct LoadInfo {
    std::string path;
    int stage = -1;               ///< feeding stage; -1: straight from the grid
    LoadCategory category = LoadCategory::it;
    NodeRef heat_to;
    std::vector<int> depends_on;  ///< states its value depends on
};

struct BoundaryInfo {
    std::string path;
    int input = -1;               ///< input signal giving its temperature [K]
    int accumulator = -1;         ///< state holding the heat it received [J]
};

/// Whole-site accounting states (energies [J]).
struct Accounting {
    int grid = -1, generator = -1, it = -1, cooling = -1, losses = -1;
};

class Network {
public:
    Network();
    ~Network();
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    // --- building -----------------------------------------------------------------------------
    int add_input(std::unique_ptr<InputSignal> s);
    int add_state(StateInfo info);
    int add_boundary(const std::string& path, int input);
    int add_stage(StageInfo s);
    /// A group of stages whose losses are integrated together (state "site/energy/losses/<name>" [J]).
    /// tally: nothing but the report reads it (a store's own losses, already in the losses
    /// accumulator): its row stays out of the Newton matrix, as StateInfo::tally.
    int add_loss_group(const std::string& name, bool tally = false);
    const std::vector<int>& loss_group_states() const { return loss_groups_; }
    /// Declares a load; returns its id. Blocks own and write their loads.
    int add_load(LoadInfo l);
    void add_block(std::unique_ptr<Block> b);
    /// The input (1 or 0) telling whether the grid is there; while 0 the tree's root draws from
    /// the generator (accumulated as site/energy/generator). -1: always the grid.
    void set_grid_available_input(int input) { grid_input_ = input; }
    /// The input [W] the generator can deliver (0 while it is not running). With neither the
    /// grid nor a running generator nothing can be drawn at the root: the stages no supply
    /// feeds are dead (no no-load loss) and nothing is booked to either source. -1: no
    /// generator.
    void set_generator_input(int input) { generator_input_ = input; }
    /// Attaches a supply to a stage (before finalize; the supply outlives the network's use).
    void set_stage_supply(int stage, StageSupply* s) { stages_.at(std::size_t(stage)).supply = s; }
    /// Cuts the feed of a stage and everything below it: its loads and losses become zero
    /// (their owners see powered == 0). A discrete change: call from on_root.
    void shed(int stage);
    bool stage_powered(int stage) const { return stage_powered_.at(std::size_t(stage)) != 0; }
    /// Replaces a stage's loss model and rating (PSUs lost from a shelf). A discrete change:
    /// call from on_root.
    void set_stage_loss(int stage, LossModel loss, double rating);
    /// Declares the Jacobian entry d(flow_row)/d(y_col); returns its entry id. Repeated pairs
    /// share one slot. Entries with a boundary row or column are ignored (returns -1).
    int jac_entry(int row, int col);
    /// Entries for a flow between a and b that depends on the temperatures of both ends:
    /// returns ids for (a,a), (a,b), (b,a), (b,b) in that order (row: the node, or for a
    /// boundary its accumulator; column: the node's temperature), -1 where not a state.
    std::array<int, 4> jac_pair(NodeRef a, NodeRef b);
    /// The state whose flow receives heat sent to n (n itself, or a boundary's accumulator).
    int flow_row(NodeRef n) const;
    /// Finishes the build: calls declare() on every block, builds the electrical tree's
    /// Jacobian entries and the sparse pattern. Must be called once, before evaluation.
    void finalize();

    // --- evaluation (thread-compatible: one evaluation at a time per network) -----------------
    std::size_t size() const { return states_.size(); }
    const std::vector<StateInfo>& states() const { return states_; }
    const std::vector<StageInfo>& stages() const { return stages_; }
    const std::vector<LoadInfo>& loads() const { return loads_; }
    const std::vector<BoundaryInfo>& boundaries() const { return boundaries_; }
    const Accounting& accounting() const { return acct_; }
    std::vector<double> initial_state() const;

    /// dy/dt at (t, y). Also leaves the flows, loads and stage powers of this evaluation
    /// readable through last_*() until the next call.
    void rhs(double t, const double* y, double* ydot);
    /// The evaluation of rhs() without dy/dt: the flows, loads and stage powers at (t, y),
    /// readable through last_*() (an output row's figures).
    void evaluate(double t, const double* y);
    class WorkerPool* pool() const { return pool_; }
    /// Jacobian values d(ydot)/d(y) in the CSC layout of pattern(); values.size() == nnz.
    void jacobian(double t, const double* y, std::span<double> values);
    /// CSC pattern (n x n, includes every diagonal entry).
    const std::vector<std::int64_t>& col_ptr() const { return col_ptr_; }
    const std::vector<std::int64_t>& row_idx() const { return row_idx_; }
    std::size_t nnz() const { return row_idx_.size(); }

    /// The pattern of the Newton matrices (I - gamma J, and the steady solver's): the
    /// Jacobian's without the off-diagonal entries of tally rows (StateInfo::tally). Nothing
    /// depends on a tally, so Newton's method still converges for it, one iteration behind the
    /// states it sums (to the iteration's tolerance); invariants among tallies alone (the
    /// causes of lost work adding up to the work lost) stay exact, since all their rows are
    /// left out alike. Their rows are dense across the devices of a site: on the Frontier
    /// example they were a fifth of the matrix. Energy accumulators keep their rows, so the
    /// energy balance and the sums of energy by category and stage stay exact.
    const std::vector<std::int64_t>& newton_col_ptr() const { return newton_col_ptr_; }
    const std::vector<std::int64_t>& newton_row_idx() const { return newton_row_idx_; }
    /// For every entry of the Newton pattern, its position in the Jacobian's values.
    const std::vector<std::int64_t>& newton_source() const { return newton_source_; }
    /// True for a tally (see newton_col_ptr).
    bool is_tally(std::size_t i) const { return tally_[i] != 0; }

    /// Power-only mode: every state that is not an accumulator, a stored energy or an
    /// electrical control state (temperatures, cooling controllers) is held where it is:
    /// its derivative is zero and its row leaves the Newton matrix. The electrical side runs
    /// on with the thermal side frozen. Call after finalize, between runs only.
    void set_power_only(bool on);
    /// Threads for the evaluations' loops (see EvalContext::pool); the caller owns them.
    void set_pool(class WorkerPool* pool) { pool_ = pool; }
    bool power_only() const { return power_only_; }
    bool is_frozen(std::size_t i) const { return power_only_ && frozen_[i] != 0; }
    /// Power-only mode: true when ydot moves none of the states an evaluation depends on (the
    /// stored energies and electrical controls): the flows then stay as they are until the
    /// inputs change, and the accumulators grow linearly.
    bool power_only_steady(const double* ydot) const {
        if (!power_only_) return false;
        for (int i : live_idx_)
            if (ydot[i] != 0.0) return false;
        return true;
    }

    int num_roots() const { return nroots_; }
    void roots(double t, const double* y, double* g);
    /// Tells the blocks which roots were found; true if any changed its discrete state.
    bool on_roots(double t, const double* y, const int* found, std::vector<Event>& events);
    /// Block::on_start of every block at (t, y); true if a discrete state changed.
    bool on_start(double t, const double* y, std::vector<Event>& events);
    /// The first input discontinuity strictly after t, or +inf.
    double next_discontinuity(double t) const;
    /// Inputs are evaluated at min(t, horizon): the integrator sets it just before the next
    /// discontinuity while it steps towards it, so that a step ending there sees the inputs
    /// of the stretch it integrates; +inf (the default) elsewhere.
    void set_input_horizon(double t) { input_horizon_ = t; }

    // What the last rhs() saw.
    std::span<const double> last_loads() const { return load_; }
    std::span<const double> last_stage_input() const { return stage_in_; }   ///< [W]
    std::span<const double> last_stage_output() const { return stage_out_; } ///< [W]
    double last_grid_power() const { return grid_power_; }  ///< [W] grid import (0 on the generator)
    double last_source_power() const { return source_power_; }  ///< [W] grid or generator
    bool load_powered(std::size_t l) const { return load_powered_[l] != 0; }
    std::span<const double> last_flow() const { return flow_; }
    /// [W] what the electrical stores gave up at the last evaluation, net: minus the sum of
    /// d(energy)/dt over the storage states (discharging positive, charging negative).
    double last_storage_release() const;

    /// A read-only view of (t, y) for inspecting blocks after an evaluation: inputs and
    /// boundary temperatures at t, and the loads and powered flags of the last rhs().
    /// Its flow span is a scratch array; what blocks add there is discarded.
    EvalContext view(double t, const double* y);

    /// Energy stored [J]: heat in thermal states (unit "K", relative to 0 K: sum C_i T_i) plus
    /// storage states (batteries). In power-only mode the held states are left out: only
    /// differences between two calls in the same mode mean anything.
    double stored_energy(const double* y) const;
    /// Counts the evaluations evaluate() computed (not those it reused): in power-only mode,
    /// the same count means the same flows, loads and device figures as then.
    std::uint64_t evaluation_id() const { return evaluation_id_; }
    /// Heat received by all boundaries [J] (sum of their accumulators).
    double rejected_energy(const double* y) const;

private:
    /// Inputs at t (unless inputs_loaded: load_inputs(t) came just before) and the context's
    /// spans; `flow` (zeroed unless clear_flow is false) receives the blocks' flows.
    void prepare(double t, const double* y, EvalContext& ctx, std::span<double> flow, bool inputs_loaded = false,
                 bool clear_flow = true);
    void load_inputs(double t);  ///< input_values_ at t, within the input horizon
    void eval_tree(EvalContext& ctx);
    /// Jacobian entries of a power change entering at `stage` (-1: the root) that depends on
    /// column col: every stage up the chain (heat, loss group, supply rows), grid, generator.
    void chain_entries(int stage, int col);
    /// Adds their values for a change v [W/unit of col]; adds the stages' and supplies' loss
    /// slopes to dlosses; advances e past the entries.
    void chain_values(int stage, double v, double& dlosses, JacobianFill& jac, const int*& e) const;

    std::vector<std::unique_ptr<InputSignal>> inputs_;
    std::vector<StateInfo> states_;
    std::vector<BoundaryInfo> boundaries_;
    std::vector<StageInfo> stages_;
    std::vector<int> loss_groups_;   // accumulator state per loss group
    std::vector<LoadInfo> loads_;
    std::vector<std::unique_ptr<Block>> blocks_;
    Accounting acct_;
    bool finalized_ = false;

    // Jacobian pattern: declared entries, their slots in the CSC values.
    std::vector<std::pair<int, int>> entries_;  // (row, col)
    std::vector<int> slot_;
    std::vector<std::int64_t> col_ptr_, row_idx_;
    std::vector<std::int64_t> newton_col_ptr_, newton_row_idx_, newton_source_;
    std::vector<char> tally_, frozen_;
    bool power_only_ = false;
    class WorkerPool* pool_ = nullptr;
    void build_newton_pattern();
    void scale_flows(double* ydot) const;  // ydot = flow / capacity
    std::vector<double> inv_cap_per_nz_;
    // Electrical tree: per load dependency, the entries it feeds.
    std::vector<int> load_dep_offset_;   // load id -> first dependency index
    std::vector<int> load_dep_entries_;  // per dependency: entry ids (heat_to, stages' heat_to, grid, category, losses)
    std::vector<int> load_dep_entry_offset_;
    std::vector<int> stage_order_;       // children before parents
    std::vector<int> block_root_offset_, block_nroots_;  // roots asked of each block
    std::vector<Block*> active_;  // the blocks evaluated: all, or in power-only mode the non-thermal
    // Power-only mode: with temperatures held, an evaluation depends only on the inputs and on
    // the few live states (stored energies, electrical controls), so inside a stretch of
    // constant inputs the last one is reused (solver steps and output rows alike).
    std::vector<int> live_idx_;
    std::vector<double> cached_inputs_, cached_live_;
    bool cache_valid_ = false;
    bool reuse_evaluation(double t, const double* y);
    std::uint64_t evaluation_id_ = 0;
    void collect_stored_states();  // thermal_idx_, storage_idx_ for the mode
    int nroots_ = 0;
    void select_blocks();  // active_ and the roots asked of each block, for the mode

    // Flat copies of what the evaluation reads per state and per load (the info structs hold
    // strings: walking them strides through memory).
    std::vector<double> inv_capacity_;   // [1/capacity]
    std::vector<int> thermal_idx_, storage_idx_;  // states in stored_energy()
    std::vector<double> thermal_cap_;             // [J/K] of thermal_idx_
    std::vector<int> load_heat_row_;     // flow row receiving the load's heat
    // The loads' sums of eval_tree by target: a flow row (>= 0) or -1 - k for stage k, the root
    // (k = stages), IT and cooling; each target's loads from gather_ptr_, in load order.
    std::vector<int> gather_target_, gather_loads_;
    std::vector<std::int64_t> gather_ptr_;
    std::vector<double> stage_sum_;
    void build_load_gather();
    std::vector<int> load_stage_;
    std::vector<char> load_is_it_;

    // Work arrays (sized once).
    std::vector<double> view_flow_;
    std::vector<double> flow_, input_values_, boundary_T_, load_, dload_, stage_in_, stage_out_,
        stage_dloss_;
    std::vector<int> boundary_acc_;
    double grid_power_ = 0.0, source_power_ = 0.0, grid_share_ = 1.0;
    int grid_input_ = -1, generator_input_ = -1;
    std::vector<char> stage_live_;  // with no source: fed by a supply at or above it
    double input_horizon_ = std::numeric_limits<double>::infinity();
    std::vector<char> load_powered_, stage_powered_;
    std::vector<double> stage_dsplit_, supply_drows_;
    std::vector<int> supply_rows_offset_;  // per stage: first index into supply_drows_
    // Supply columns: per stage, first index into supply_dcols_ (2 values per column) and into
    // supply_col_entry_offset_ (one entry range per column).
    std::vector<int> supply_cols_offset_, supply_cols_, supply_col_entries_, supply_col_entry_offset_;
    std::vector<double> supply_dcols_;
    std::vector<int> supply_stages_;       // stages with a supply that has columns
    std::vector<std::vector<int>> supply_rows_;  // per stage, its supply's rows()
};

inline double EvalContext::temperature(NodeRef n) const {
    return n.is_state() ? y[n.id] : boundary_temperature[n.boundary_index()];
}
inline void EvalContext::add_heat(NodeRef n, double q) {
    flow[n.is_state() ? n.id : boundary_accumulator[n.boundary_index()]] += q;
}
inline void EvalContext::transfer(NodeRef a, NodeRef b, double q) {
    add_heat(a, -q);
    add_heat(b, q);
}

}  // namespace dctwin
