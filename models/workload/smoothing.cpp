#include "models/workload/smoothing.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dctwin {

void validate(const PowerSmoothing& s) {
    auto bad = [](const char* f, const char* rule) {
        throw std::invalid_argument(std::string("power smoothing: ") + f + " " + rule);
    };
    if (!(s.tdp > 0.0 && std::isfinite(s.tdp))) bad("tdp", "must be positive and finite");
    if (!(s.floor_fraction >= 0.0 && s.floor_fraction <= 1.0)) bad("floor_fraction", "must be within [0, 1]");
    if (!(s.ramp_up_rate > 0.0)) bad("ramp_up_rate", "must be positive");
    if (!(s.ramp_down_rate > 0.0)) bad("ramp_down_rate", "must be positive");
    if (!(s.ramp_down_hysteresis >= 0.0 && std::isfinite(s.ramp_down_hysteresis)))
        bad("ramp_down_hysteresis", "must be >= 0 and finite");
}

PowerSmoother::PowerSmoother(PowerSmoothing s) : s_(s) { validate(s_); }

double PowerSmoother::start(double request) {
    p_ = std::max(request, s_.floor_fraction * s_.tdp);
    h_ = 0.0;
    return p_;
}

double PowerSmoother::step(double dt, double request) {
    h_ = request < p_ ? h_ + dt : 0.0;
    const double up = p_ + s_.ramp_up_rate * dt;
    const double down = p_ - s_.ramp_down_rate * std::max(0.0, std::min(dt, h_ - s_.ramp_down_hysteresis));
    p_ = std::clamp(request, std::max(down, s_.floor_fraction * s_.tdp), std::max(up, s_.floor_fraction * s_.tdp));
    return p_;
}

SmoothingResult smooth_power(std::span<const double> t, std::span<const double> r, const PowerSmoothing& s) {
    if (t.size() != r.size() || t.empty()) throw std::invalid_argument("smooth_power: one request per time");
    PowerSmoother f(s);
    SmoothingResult out;
    out.power.resize(t.size());
    out.power[0] = f.start(r[0]);
    for (std::size_t n = 1; n < t.size(); ++n) {
        const double dt = t[n] - t[n - 1];
        if (!(dt > 0.0)) throw std::invalid_argument("smooth_power: times must increase strictly");
        out.power[n] = f.step(dt, r[n]);
        const double ea = out.power[n - 1] - r[n - 1], eb = out.power[n] - r[n];
        out.extra_energy += 0.5 * dt * (std::max(ea, 0.0) + std::max(eb, 0.0));
        out.deficit_energy += 0.5 * dt * (std::max(-ea, 0.0) + std::max(-eb, 0.0));
        out.request_energy += 0.5 * dt * (r[n - 1] + r[n]);
        out.drawn_energy += 0.5 * dt * (out.power[n - 1] + out.power[n]);
    }
    return out;
}

}  // namespace dctwin
