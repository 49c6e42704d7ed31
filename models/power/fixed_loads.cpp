#include "models/power/fixed_loads.hpp"

namespace dctwin {

void FixedLoads::add(std::string path, double power, int stage, LoadCategory category, NodeRef heat_to) {
    info_.push_back({std::move(path), stage, category, heat_to, {}});
    power_.push_back(power);
}

void FixedLoads::declare(Network& net) {
    load_.clear();
    for (const auto& l : info_) load_.push_back(net.add_load(l));
}

void FixedLoads::eval(EvalContext& ctx) const {
    for (std::size_t k = 0; k < power_.size(); ++k) ctx.load[std::size_t(load_[k])] = power_[k];
}

}  // namespace dctwin
