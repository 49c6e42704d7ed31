#include "models/silicon/device_array.hpp"

#include <cmath>

#include <fmt/format.h>

namespace dctwin {

void DeviceArray::add(std::string path, int junction, const DeviceParams& p, int activity, int stage) {
    path_.push_back(std::move(path));
    junction_.push_back(junction);
    p_.push_back(p);
    activity_.push_back(activity);
    stage_.push_back(stage);
}

double DeviceArray::power(std::size_t k, double T, double a) const {
    const auto& p = p_[k];
    return p.idle_power + a * p.dynamic_power + p.leakage_power * std::exp(p.leakage_coeff * (T - p.leakage_ref_T));
}

void DeviceArray::declare(Network& net) {
    load_.resize(size());
    for (std::size_t k = 0; k < size(); ++k)
        load_[k] = net.add_load({path_[k] + "/power", stage_[k], LoadCategory::it,
                                 NodeRef::state(junction_[k]), {junction_[k]}});
}

void DeviceArray::eval(EvalContext& ctx) const {
    for (std::size_t k = 0; k < size(); ++k)
        ctx.load[std::size_t(load_[k])] =
            power(k, ctx.y[std::size_t(junction_[k])], ctx.inputs[std::size_t(activity_[k])]);
}

void DeviceArray::jacobian(const EvalContext& ctx, JacobianFill&, LoadDerivatives& dl) const {
    for (std::size_t k = 0; k < size(); ++k) {
        const auto& p = p_[k];
        const double T = ctx.y[std::size_t(junction_[k])];
        dl.dvalues[std::size_t(dl.offset[std::size_t(load_[k])])] =
            p.leakage_power * p.leakage_coeff * std::exp(p.leakage_coeff * (T - p.leakage_ref_T));
    }
}

void DeviceArray::roots(const EvalContext& ctx, double* g) const {
    for (std::size_t k = 0; k < size(); ++k) {
        const double T = ctx.y[std::size_t(junction_[k])];
        g[2 * k] = T - p_[k].slowdown_T;
        g[2 * k + 1] = T - p_[k].shutdown_T;
    }
}

void DeviceArray::on_root(int i, int dir, const EvalContext& ctx, std::vector<Event>& events) {
    const std::size_t k = std::size_t(i / 2);
    const bool shutdown = i % 2 == 1;
    const double limit = shutdown ? p_[k].shutdown_T : p_[k].slowdown_T;
    const char* what = shutdown ? "shutdown" : "slowdown";
    events.push_back({ctx.t, path_[k], fmt::format("{}_{}", what, dir > 0 ? "onset" : "end"),
                      fmt::format("junction temperature {} the {} temperature {:.1f} degC",
                                  dir > 0 ? "rose through" : "fell below", what, limit - 273.15)});
}

}  // namespace dctwin
