#include "models/cooling/facility_plant.hpp"

namespace dctwin {

void FacilityPlant::add_return(int coolant_state, double capacity_rate) {
    coolant_.push_back(coolant_state);
    mcp_.push_back(capacity_rate);
}

double FacilityPlant::liquid_heat(const EvalContext& ctx) const {
    const double Ts = ctx.inputs[std::size_t(supply_)];
    double q = 0.0;
    for (std::size_t k = 0; k < coolant_.size(); ++k) q += mcp_[k] * (ctx.y[std::size_t(coolant_[k])] - Ts);
    return q;
}

void FacilityPlant::declare(Network& net) {
    pump_load_ = net.add_load({"facility/pump/power", stage_, LoadCategory::cooling, outdoor_, {}});
    fan_load_ = net.add_load({"facility/heat_rejection/power", stage_, LoadCategory::cooling, outdoor_, coolant_});
}

void FacilityPlant::eval(EvalContext& ctx) const {
    // Without power (an outage before the generator) pump and fans stop drawing.
    const bool running = on(ctx);
    ctx.load[std::size_t(pump_load_)] = running ? pump_power_ : 0.0;
    const double q = liquid_heat(ctx);
    // Fans idle when the loop returns colder than it is supplied.
    ctx.load[std::size_t(fan_load_)] = running && q > 0.0 ? specific_ * q : 0.0;
}

void FacilityPlant::jacobian(const EvalContext& ctx, JacobianFill&, LoadDerivatives& dl) const {
    const bool on = this->on(ctx) && liquid_heat(ctx) > 0.0;
    const auto off = std::size_t(dl.offset[std::size_t(fan_load_)]);
    for (std::size_t k = 0; k < coolant_.size(); ++k) dl.dvalues[off + k] = on ? specific_ * mcp_[k] : 0.0;
}

}  // namespace dctwin
