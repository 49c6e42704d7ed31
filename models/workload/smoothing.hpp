#pragma once
// GPU power smoothing: a power floor and ramp-rate limits, with the semantics of NVIDIA's
// power-smoothing profile settings (floor as a percentage of TDP, ramp-up and ramp-down rates
// in W/s, ramp-down hysteresis), as a filter from the power a device's workload requests, r(t),
// to the power it draws, p(t). Design proposal; implemented here over sampled series.
//
// Parameters: TDP P_tdp [W], floor fraction phi [1] (the product range is 20-90 % of TDP),
// ramp-up rate R_up [W/s], ramp-down rate R_dn [W/s], hysteresis tau_h [s].
//
// Continuous form (the proposal for ODE state: p and the timer h):
//
//     floor       F = phi P_tdp
//     p(t) >= F always (the device burns power it does not need when r < F)
//     rising      r > p:              dp/dt = min(R_up, (r - p) / tau_f)     (the workload waits)
//     falling     r < p, h < tau_h:   dp/dt = 0                              (hold: hysteresis)
//                 r < p, h >= tau_h:  dp/dt = -min(R_dn, (p - max(r, F)) / tau_f)
//     timer       dh/dt = 1 while r < p;  h := 0 when r >= p  (a root, a discrete reset)
//
// with tau_f -> 0 the tracking time constant (a few ms in an ODE; here one sample). So p
// follows r exactly while r moves slower than the limits, rises at most at R_up, starts falling
// only after r has stayed below p for tau_h, then falls at most at R_dn down to max(r, F).
// Hence |dp/dt| <= max(R_up, R_dn) everywhere: the grid-facing ramp of n identical devices is
// at most n max(R_up, R_dn), whatever the workload does.
//
// Costs, both reported:
//     extra energy    E_extra   = integral of max(p - r, 0) dt   [J]  (burnt by floor and hold)
//     deferred energy E_deficit = integral of max(r - p, 0) dt   [J]  (asked for but capped by R_up:
//                                  the workload is slowed; the job's stretch is not modelled here)
//
// Discrete form used below, on samples r_n at t_n (dt = t_n - t_{n-1}):
//     h_n  = h_{n-1} + dt if r_n < p_{n-1}, else 0
//     up   = p_{n-1} + R_up dt
//     down = p_{n-1} - R_dn max(0, min(dt, h_n - tau_h))      (only the part of dt past tau_h)
//     p_n  = clamp(r_n, max(down, F), up),   p_0 = max(r_0, F)
// and the costs are trapezoids of max(p - r, 0) and max(r - p, 0). A sample's request r_n stands
// for the step (t_{n-1}, t_n], so the filter's times are right to one sample step.

#include <span>
#include <vector>

namespace dctwin {

struct PowerSmoothing {
    double tdp = 700.0;              ///< [W] the device's TDP (the floor's reference)
    double floor_fraction = 0.0;     ///< [1] minimum power as a fraction of TDP (0: no floor)
    double ramp_up_rate = 1e300;     ///< [W/s] largest rise of the drawn power
    double ramp_down_rate = 1e300;   ///< [W/s] largest fall
    double ramp_down_hysteresis = 0.0;  ///< [s] the request must stay below for this long before p falls
};

/// Throws std::invalid_argument naming the first field out of range.
void validate(const PowerSmoothing& s);

/// The filter as a stepper (one device).
class PowerSmoother {
public:
    explicit PowerSmoother(PowerSmoothing s);
    /// First sample: p = max(request, floor) [W].
    double start(double request);
    /// Advances by dt [s] to a new request [W]; returns the drawn power [W].
    double step(double dt, double request);
    double power() const { return p_; }  ///< [W]

private:
    PowerSmoothing s_;
    double p_ = 0.0, h_ = 0.0;
};

struct SmoothingResult {
    std::vector<double> power;     ///< [W] drawn, at the request's times
    double extra_energy = 0.0;     ///< [J] integral of max(p - r, 0): burnt by the floor and the hold
    double deficit_energy = 0.0;   ///< [J] integral of max(r - p, 0): held back by the ramp-up limit
    double request_energy = 0.0;   ///< [J] integral of r
    double drawn_energy = 0.0;     ///< [J] integral of p
};

/// Filters a sampled request r at times t (strictly increasing) [s], [W].
SmoothingResult smooth_power(std::span<const double> t, std::span<const double> request, const PowerSmoothing& s);

}  // namespace dctwin
