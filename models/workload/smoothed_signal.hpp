#pragma once
// A job's activity after GPU power smoothing (smoothing.hpp): the request a(t) of the job's
// own profile, as the power r = fixed + a dynamic of one member, goes through the floor and
// ramp-rate filter, and comes back as the activity that draws the filtered power.
//
// The filter runs forward from t = 0 on a fixed step (sample_interval), the request sampled
// at each step's end (piecewise-constant requests switch within one step of their time); the
// result is interpolated linearly, so the signal is continuous. Samples are made on demand, in
// order, under a mutex: value(t) depends on t alone, whoever asks first.

#include <memory>
#include <mutex>
#include <vector>

#include "models/workload/smoothing.hpp"
#include "solver/network.hpp"

namespace dctwin {

struct SmoothedActivityParams {
    PowerSmoothing smoothing;    ///< tdp [W] and the limits, per device
    double fixed_power = 0.0;    ///< [W] a member's power at activity 0
    double dynamic_power = 0.0;  ///< [W] a member's power at activity 1 minus fixed_power
    double sample_interval = 0.01;  ///< [s]
    double max_samples = 2e7;    ///< beyond this value() throws std::out_of_range
};

class SmoothedActivity final : public InputSignal {
public:
    SmoothedActivity(std::unique_ptr<InputSignal> request, SmoothedActivityParams p);
    double value(double t) const override;
    double next_discontinuity(double) const override;
    /// [J per device] energies of the filter over [0, t]: burnt above the request (floor and
    /// hold), and held back below it (ramp-up limit).
    std::pair<double, double> costs(double t) const;

private:
    void extend(std::size_t n) const;  // under mutex_: samples 0..n
    std::unique_ptr<InputSignal> request_;
    SmoothedActivityParams p_;
    mutable std::mutex mutex_;
    mutable std::vector<double> a_, extra_, deficit_;  // activity, cumulative costs [J] at sample k
    mutable PowerSmoother filter_;
    mutable double last_request_ = 0.0;
};

}  // namespace dctwin
