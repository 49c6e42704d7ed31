#pragma once
// The rate-limited store shared by the site battery (at the MV transformer) and the in-rack
// stores (at the rack power shelves): the power drawn from upstream follows the demand p
// through a rate-limited tracker g [W],
//
//     dg/dt = R tanh(u),   u = (p + P_r - g) / (R tau),   P_r = (E_target - E) / T_r
//
// so |dg/dt| <= R (the ramp limit), g follows p with time constant tau while p moves slowly,
// and a recharge term P_r brings the stored energy E [J] back to its target over T_r. The
// store delivers the difference, d = clamp(p - g, -P_max, P_max), tapered to zero over the
// last 2 % of its energy at either end; upstream sees p - d. Charge and discharge losses
// (their efficiencies blended over 0.1 % of the rating around d = 0, so that idling is smooth)
// are heat. One evaluation gives the flows and every partial derivative the owners need.

namespace dctwin {

struct StoreParams {
    double capacity = 0.0;               ///< [J] usable energy
    double power = 0.0;                  ///< [W] largest charge or discharge
    double charge_efficiency = 0.95;     ///< [1] stored over drawn
    double discharge_efficiency = 0.95;  ///< [1] delivered over taken from storage
    double target_soc = 0.5;             ///< [1] the energy it returns to (and starts at)
    double ramp_limit = 0.0;             ///< [W/s] R
    double response_time = 1.0;          ///< [s] tau
    double recharge_time = 900.0;        ///< [s] T_r
};

/// The law at one point (p, g, E): flows and their partial derivatives.
struct StorePoint {
    double gdot = 0.0;                                     ///< [W/s] dg/dt
    double dgdot_dp = 0.0, dgdot_dg = 0.0, dgdot_de = 0.0; ///< [1/s], [1/s], [1/s^2]
    double d = 0.0;                                        ///< [W] delivered (negative: charging)
    double dd_dp = 0.0, dd_dg = 0.0, dd_de = 0.0;          ///< [1], [1], [1/s]
    double e_flow = 0.0;                                   ///< [W] into storage
    double de_flow_dd = 0.0;                               ///< [1]
    double loss = 0.0;                                     ///< [W] heat
    double dloss_dd = 0.0;                                 ///< [1]
};

/// p [W] the demand, g [W] the tracker, E [J] the stored energy; `active` false: the store
/// idles (d = 0) while the tracker goes on following p.
StorePoint store_law(const StoreParams& s, double p, double g, double E, bool active);

}  // namespace dctwin
