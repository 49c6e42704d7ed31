#pragma once
// GPUs and CPUs of the first physical slice, as one array. Each device draws
//     P = P_idle + a(t) P_dyn + P_leak,ref exp(k (T_j - T_ref))      [W]
// from its rack's power stage; all of it becomes heat in its junction node. Crossings of the
// slowdown and shutdown temperatures are found by root-finding and reported as events.

#include <string>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

struct DeviceParams {
    double idle_power = 0.0;       ///< [W]
    double dynamic_power = 0.0;    ///< [W] at activity 1
    double leakage_power = 0.0;    ///< [W] at the reference temperature
    double leakage_coeff = 0.0;    ///< [1/K]
    double leakage_ref_T = 0.0;    ///< [K]
    double slowdown_T = 0.0;       ///< [K]
    double shutdown_T = 0.0;       ///< [K]
};

class DeviceArray final : public Block {
public:
    /// junction: the device's junction state; activity: input signal in [0, 1]; stage: the
    /// power stage feeding it.
    void add(std::string path, int junction, const DeviceParams& p, int activity, int stage);
    std::size_t size() const { return junction_.size(); }
    const std::string& path(std::size_t k) const { return path_[k]; }
    int load_id(std::size_t k) const { return load_[k]; }
    /// [W] electrical power of device k at junction temperature T [K] and activity a [1].
    double power(std::size_t k, double T, double a) const;

    std::string name() const override { return "devices"; }
    void declare(Network& net) override;
    void eval(EvalContext& ctx) const override;
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;
    int num_roots() const override { return int(2 * junction_.size()); }
    void roots(const EvalContext& ctx, double* g) const override;
    void on_root(int i, int dir, const EvalContext& ctx, std::vector<Event>& events) override;

private:
    std::vector<std::string> path_;
    std::vector<int> junction_, activity_, stage_, load_;
    std::vector<DeviceParams> p_;
};

}  // namespace dctwin
