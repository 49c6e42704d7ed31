#pragma once
// The liquid and air cooling of a site as one block: rack loops, CDUs, air handlers, and the
// facility water, either held at a fixed supply temperature or a dynamic loop (pipes with
// transport, a variable-flow primary pump, an economiser and a trim chiller under weather).
//
// Flows are algebraic: pumps run at speeds set by inputs (trips) and valves set by
// controller states, so a pump trip or a valve change alters every capacity rate at once.
// Heat moves as enthalpy carried between volumes (m_dot cp (T_up - T)) and through
// counterflow exchangers; the plant's heat and its electrical power end at the outdoor air.
// Sign convention: every heat flow [W] is positive into the node that receives it.

#include <array>
#include <utility>
#include <string>
#include <vector>

#include "input/site_spec.hpp"
#include "solver/network.hpp"

namespace dctwin {

/// A rack's coolant volume and the flow through it.
struct RackLoop {
    int coolant = -1;      ///< state [K]
    double flow = 0.0;     ///< [m3/s] at full pump speed
    int cdu = -1;          ///< index of its CDU, -1: on the facility water directly
};

struct CduParams {
    std::string path;               ///< e.g. "cooling/cdus/cdu1"
    double rho_cp = 0.0;            ///< [J/(m3 K)] secondary fluid
    double capacity = 0.0;          ///< [W] rated duty (reported)
    double ua = 0.0;                ///< [W/K] exchanger conductance
    double primary_max = 0.0;       ///< [m3/s] facility water with the valve open
    double pump_power = 0.0;        ///< [W] secondary pump at full speed
    double header_capacity = 0.0;   ///< [J/K] secondary supply volume
    double setpoint = 0.0;          ///< [K] secondary supply set point
    double gain = 0.0;              ///< [1/K]
    double integral_time = 0.0;     ///< [s]
    double min_valve = 0.05;        ///< [1]
    int speed_input = -1;           ///< pump speed ratio (1 running, 0 tripped)
    int stage = -1;                 ///< feeding power stage
};

struct CrahParams {
    std::string path;               ///< e.g. "hall1/crah"
    int air = -1;                   ///< hall air state [K]
    double c_air = 0.0;             ///< [W/K] air capacity rate at full fans
    double water_flow = 0.0;        ///< [m3/s]
    double ua = 0.0;                ///< [W/K]
    double fan_power = 0.0;         ///< [W]
    int stage = -1;
};

struct EconomiserParams {
    bool present = false;
    EconomiserKind kind = EconomiserKind::dry_cooler;  ///< sink: dry-bulb, or wet-bulb (towers)
    double ua = 0.0;                ///< [W/K] at full speed
    double c_air = 0.0;             ///< [W/K] at full speed
    double fan_power = 0.0;         ///< [W] at full speed
    double min_speed = 0.1;         ///< [1]
    double integral_time = 300.0;   ///< [s]
    double cycles = 4.0;            ///< [1] tower cycles of concentration
    int available_input = -1;       ///< [1] share of fan capacity in service (fan loss)
};

struct ChillerParams {
    bool present = false;
    double capacity = 0.0;          ///< [W] at the reference point
    double cop = 0.0;               ///< [1] at the reference point
    bool tower = false;             ///< condenser on a tower (wet-bulb + approach) or air (dry-bulb)
    double tower_approach = 0.0;    ///< [K]
    double condenser_fan = 0.0;     ///< [W/W] per watt rejected
    double cycles = 4.0;            ///< [1] condenser tower cycles of concentration
    std::array<double, 6> cap_ft{}, eir_ft{};  ///< temperatures in degC
    std::array<double, 3> eir_fplr{};
    double leaving_lo = 0, leaving_hi = 0;      ///< [K] curve inputs are clamped to these ranges
    double condenser_lo = 0, condenser_hi = 0;  ///< [K]
    double min_plr = 0.1;           ///< [1] below it the chiller cycles
    int available_input = -1;       ///< 1 in service, 0 tripped
};

struct FacilityParams {
    bool loop = false;              ///< false: supply held at the boundary's temperature
    NodeRef supply;                 ///< !loop: the fixed supply boundary
    NodeRef outdoor;                ///< where rejected heat goes
    double rho_cp = 0.0;            ///< [J/(m3 K)] facility water
    double pump_power = 0.0;        ///< [W] primary pump at rated flow
    double rated_flow = 0.0;        ///< [m3/s] every consumer at its largest flow
    double specific_rejection = 0.0;  ///< [W/W] !loop: fan power per watt returned
    double segment_capacity = 0.0;  ///< [J/K] loop: one pipe segment
    int segments = 0;               ///< loop: per pipe
    double initial = 0.0;           ///< [K] loop: initial water temperature
    int setpoint_input = -1;        ///< [K] loop: facility supply set point
    int dry_bulb_input = -1, wet_bulb_input = -1;  ///< [K]
    int powered_input = -1;         ///< 1/0: the plant has power (-1: always)
    int stage = -1;                 ///< feeding power stage of pumps, fans, chiller
    EconomiserParams economiser;
    ChillerParams chiller;
};

/// Plant figures at one evaluation (for outputs and tests).
struct PlantState {
    double flow = 0.0;              ///< [m3/s] facility water
    double inlet = 0.0, economiser_outlet = 0.0, outlet = 0.0;  ///< [K]
    double fan_speed = 0.0;         ///< [1]
    double economiser_heat = 0.0;   ///< [W]
    double chiller_heat = 0.0;      ///< [W] taken from the water
    double chiller_power = 0.0;     ///< [W] compressor
    double chiller_capacity = 0.0;  ///< [W] at the current temperatures
    double condenser_fan_power = 0.0;  ///< [W]
    double water_rate = 0.0;        ///< [m3/s] tower make-up
};

class CoolingSystem final : public Block {
public:
    explicit CoolingSystem(FacilityParams f) : f_(std::move(f)) {}
    int add_cdu(CduParams p);
    void add_rack(RackLoop r);
    void add_crah(CrahParams p);

    std::string name() const override { return "cooling"; }
    void declare(Network& net) override;
    void eval(EvalContext& ctx) const override;
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;

    // After declare(): states and what the last evaluation saw.
    std::size_t cdu_count() const { return cdu_.size(); }
    const CduParams& cdu(std::size_t i) const { return cdu_[i]; }
    int cdu_supply_state(std::size_t i) const { return cdu_[i].supply; }
    int cdu_valve_state(std::size_t i) const { return cdu_[i].integrator; }
    std::size_t crah_count() const { return crah_.size(); }
    const CrahParams& crah(std::size_t i) const { return crah_[i]; }
    /// [K] facility water reaching the consumers.
    double facility_supply(const EvalContext& ctx) const { return ctx.temperature(supply_node()); }
    int supply_segment(int k) const { return seg_s_.at(std::size_t(k)); }
    int return_segment(int k) const { return seg_r_.at(std::size_t(k)); }
    int fan_state() const { return fan_i_; }
    int water_state() const { return water_; }
    /// Energy accumulators by component ("cdu_pumps", ...), states [J].
    const std::vector<std::pair<std::string, int>>& energy_states() const { return energy_; }

    /// Per-CDU figures at (ctx): duty [W], valve [1], primary flow [m3/s], secondary flow
    /// [m3/s], mixed return [K].
    struct CduPoint {
        double duty = 0, valve = 0, primary_flow = 0, secondary_flow = 0, return_T = 0;
    };
    CduPoint cdu_point(const EvalContext& ctx, std::size_t i) const;
    /// [W] heat the air handlers of hall air state `i` take.
    double crah_duty(const EvalContext& ctx, std::size_t i) const;
    PlantState plant(const EvalContext& ctx) const;
    /// The plant's load and capacity [W]: the heat it must take from the water to bring its
    /// inlet down to the set point, and what it could take now (economiser fans at their
    /// highest available speed at the current sink temperature, plus the chiller's capacity
    /// at the current temperatures). {0, 0} without a plant.
    std::pair<double, double> rejection_need_capacity(const EvalContext& ctx) const;
    /// [m3/s] facility water drawn by all consumers.
    double facility_flow(const EvalContext& ctx) const;
    /// [K] supply air leaving the coils of air handler i.
    double crah_supply_air(const EvalContext& ctx, std::size_t i) const;

private:
    struct Cdu : CduParams {
        int supply = -1, integrator = -1, pump_load = -1;
        std::vector<std::size_t> racks;  // into racks_
        double rated_flow = 0.0;         // [m3/s] secondary
    };
    struct Crah : CrahParams {
        int fan_load = -1;
    };
    // Evaluation-time values of one CDU.
    struct CduEval {
        double speed = 0, cs = 0, tmix = 0, u = 0, v = 0, dvdu = 0, cp = 0, e = 0, q = 0;
    };
    // d(plant heat, economiser outlet, chiller power, condenser fans) against one input.
    struct PlantSlope {
        double q = 0, te = 0, chiller = 0, cond = 0;
    };
    NodeRef supply_node() const { return f_.loop ? NodeRef::state(seg_s_.back()) : f_.supply; }
    NodeRef return_node() const { return f_.loop ? NodeRef::state(seg_r_.front()) : f_.supply; }
    double flow_factor(const EvalContext& ctx) const;  // facility flow multiplier (plant power)
    CduEval eval_cdu(const EvalContext& ctx, std::size_t i) const;
    double crah_exchange(const EvalContext& ctx, std::size_t i) const;
    double crah_fan_factor(const EvalContext& ctx, std::size_t i) const;
    // Plant heat taken from the water at inlet T, fan state I, capacity rate C.
    PlantState plant_at(const EvalContext& ctx, double t_in, double fan_i, double cf) const;

    FacilityParams f_;
    std::vector<Cdu> cdu_;
    std::vector<RackLoop> racks_;
    std::vector<Crah> crah_;

    // States.
    std::vector<int> seg_s_, seg_r_;  // supply (plant -> consumers) and return segments
    int fan_i_ = -1, water_ = -1;
    std::vector<std::pair<std::string, int>> energy_;
    int pump_load_ = -1, fan_load_ = -1, chiller_load_ = -1, cond_fan_load_ = -1, reject_load_ = -1;
    std::vector<int> flow_deps_;      // states C_f depends on: (T_cs, I) per CDU
    std::vector<int> return_deps_;    // states the returned heat depends on
    int e_acc_pumps_ = -1, e_acc_fans_ = -1, e_acc_chiller_ = -1, e_acc_cdu_ = -1, e_acc_crah_ = -1;

    // What eval() saw, for jacobian() at the same point (the network evaluates first), and
    // scratch sized once.
    mutable std::vector<CduEval> cdu_eval_;
    mutable std::vector<double> crah_eval_;   // [W/K] air handlers' exchange conductances
    mutable double cf_ = 0.0, q_ret_ = 0.0;   // [W/K] facility capacity rate, [W] heat returned
    mutable std::vector<double> dcf_, dret_;
    mutable std::vector<PlantSlope> slope_;

    // Jacobian entries.
    struct RackEntries {
        int own = -1, from = -1, hdr_own = -1, ret = -1;  // rack row (own, source), header/return row (rack col)
    };
    std::vector<RackEntries> rack_e_;
    struct CduEntries {
        int hdr_hdr = -1, hdr_i = -1, hdr_pin = -1, i_hdr = -1, i_i = -1, ret_hdr = -1, ret_i = -1, ret_pin = -1;
        int sink_hdr = -1, sink_i = -1, sink_pin = -1;  // fixed supply: the boundary accumulator takes the duty
    };
    std::vector<CduEntries> cdu_e_;
    struct CrahEntries {
        int air_air = -1, air_pin = -1, ret_air = -1, ret_pin = -1;
    };
    std::vector<CrahEntries> crah_e_;
    // Transport links a -> b at C_f: (b, a), (b, b) and (b, flow dep k).
    struct Link {
        int a = -1, b = -1, ba = -1, bb = -1;
        std::vector<int> bdep;
    };
    std::vector<Link> links_;
    int ret_pin_ = -1;                          // return row, supply column
    // Energy accumulators' rows against their loads' dependencies.
    std::vector<int> acc_pump_e_, acc_fans_e_, acc_chiller_e_;
    std::vector<int> plant_s1_, plant_out_, plant_fan_;  // rows S1, outdoor, I_f against (T_in, I_f, deps)
};

}  // namespace dctwin
