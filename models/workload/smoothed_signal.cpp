#include "models/workload/smoothed_signal.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace dctwin {

SmoothedActivity::SmoothedActivity(std::unique_ptr<InputSignal> request, SmoothedActivityParams p)
    : request_(std::move(request)), p_(p), filter_(p.smoothing) {
    if (!(p_.dynamic_power > 0) || !(p_.sample_interval > 0))
        throw std::invalid_argument("smoothing: the device needs dynamic power and a positive sample interval");
    const double r0 = p_.fixed_power + p_.dynamic_power * request_->value(0.0);
    const double drawn = filter_.start(r0);
    last_request_ = r0;
    a_.push_back((drawn - p_.fixed_power) / p_.dynamic_power);
    extra_.push_back(0.0);
    deficit_.push_back(0.0);
}

void SmoothedActivity::extend(std::size_t n) const {
    if (double(n) > p_.max_samples)
        throw std::out_of_range(fmt::format("power smoothing: {:.3g} samples of {} s needed, at most {:.3g} (a shorter "
                                            "run or a longer smoothing sample interval)",
                                            double(n), p_.sample_interval, p_.max_samples));
    const double dt = p_.sample_interval;
    while (a_.size() <= n) {
        const double t = double(a_.size()) * dt;
        const double r = p_.fixed_power + p_.dynamic_power * request_->value(t);
        const double prev = p_.fixed_power + p_.dynamic_power * a_.back();
        const double drawn = filter_.step(dt, r);
        // Trapezoids of max(p - r, 0) and max(r - p, 0), as smooth_power() counts them.
        const double e0 = prev - last_request_, e1 = drawn - r;
        extra_.push_back(extra_.back() + 0.5 * dt * (std::max(e0, 0.0) + std::max(e1, 0.0)));
        deficit_.push_back(deficit_.back() + 0.5 * dt * (std::max(-e0, 0.0) + std::max(-e1, 0.0)));
        a_.push_back((drawn - p_.fixed_power) / p_.dynamic_power);
        last_request_ = r;
    }
}

double SmoothedActivity::value(double t) const {
    const double x = std::max(0.0, t) / p_.sample_interval;
    const auto k = std::size_t(x);
    std::lock_guard<std::mutex> lock(mutex_);
    extend(k + 1);
    const double f = x - double(k);
    return a_[k] + f * (a_[k + 1] - a_[k]);
}

double SmoothedActivity::next_discontinuity(double) const { return HUGE_VAL; }

std::pair<double, double> SmoothedActivity::costs(double t) const {
    const auto k = std::size_t(std::max(0.0, t) / p_.sample_interval);
    std::lock_guard<std::mutex> lock(mutex_);
    extend(k);
    return {extra_[k], deficit_[k]};
}

}  // namespace dctwin
