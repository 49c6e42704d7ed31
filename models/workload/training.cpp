#include "models/workload/training.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>

namespace dctwin {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

[[noreturn]] void bad(const char* what, const std::string& field, const std::string& rule) {
    throw std::invalid_argument(std::string(what) + ": " + field + " " + rule);
}

void in_unit(const char* what, const char* field, double v) {
    if (!(v >= 0.0 && v <= 1.0)) bad(what, field, "must be within [0, 1], got " + std::to_string(v));
}

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// [0, 1) from the top 53 bits of the generator's raw output.
double uniform01(std::mt19937_64& g) { return double(g() >> 11) * 0x1.0p-53; }

}  // namespace

void validate(const TrainingProfile& p) {
    const char* w = "training profile";
    if (!std::isfinite(p.start)) bad(w, "start", "must be finite");
    if (std::isnan(p.stop) || p.stop < p.start) bad(w, "stop", "must not be before start");
    if (!(p.iteration_period >= 1e-3 && p.iteration_period <= 1e6))
        bad(w, "iteration_period", "must be within [1 ms, 1e6 s]");
    in_unit(w, "compute_fraction", p.compute_fraction);
    in_unit(w, "compute_activity", p.compute_activity);
    in_unit(w, "comm_activity", p.comm_activity);
    in_unit(w, "idle_activity", p.idle_activity);
    in_unit(w, "checkpoint_activity", p.checkpoint_activity);
    // Truncated at 3 sigma, 0.3 keeps every period above a tenth of the mean.
    if (!(p.jitter >= 0.0 && p.jitter <= 0.3)) bad(w, "jitter", "must be within [0, 0.3]");
    if (!(p.checkpoint_interval == 0.0 ||
          (p.checkpoint_interval >= 1e-3 && p.checkpoint_interval <= kTrainingHorizon)))
        bad(w, "checkpoint_interval", "must be 0 (none) or within [1 ms, 1e11 s]");
    if (p.checkpoint_interval > 0.0 &&
        !(p.checkpoint_duration >= 0.0 && p.checkpoint_duration < p.checkpoint_interval))
        bad(w, "checkpoint_duration", "must be >= 0 and shorter than checkpoint_interval");
    if (!(p.ramp_duration >= 0.0 && p.ramp_duration <= kTrainingHorizon))
        bad(w, "ramp_duration", "must be within [0, 1e11 s]");
    if (p.ramp_steps < 0 || p.ramp_steps > 1000000) bad(w, "ramp_steps", "must be within [0, 1e6]");
}

double average_activity(const TrainingProfile& p) {
    return p.compute_fraction * p.compute_activity + (1.0 - p.compute_fraction) * p.comm_activity;
}

double swing_amplitude(const TrainingProfile& p) { return p.compute_activity - p.comm_activity; }

TrainingSignal::TrainingSignal(TrainingProfile p, TrainingResolution r) : p_(p), res_(r) {
    validate(p_);
    avg_ = average_activity(p_);
}

// ---- the iteration clock -----------------------------------------------------------------------

const std::vector<double>& TrainingSignal::block(std::int64_t b) const {
    for (const auto& c : cache_)
        if (c.index == b) return c.tau;
    Block& slot = cache_[next_slot_];
    next_slot_ = (next_slot_ + 1) % cache_.size();
    slot.index = b;
    auto& tau = slot.tau;
    tau.assign(2 * kTrainingBlock + 1, 0.0);

    const double P = p_.iteration_period, c = p_.compute_fraction;
    std::mt19937_64 gen(splitmix64(p_.seed ^ splitmix64(std::uint64_t(b))));
    std::vector<double> d(kTrainingBlock);
    for (int i = 0; i < kTrainingBlock; i += 2) {
        // Box-Muller: two independent normals per pair of uniforms.
        const double u1 = 1.0 - uniform01(gen), u2 = uniform01(gen);
        const double r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * std::numbers::pi * u2;
        const double z[2] = {r * std::cos(a), r * std::sin(a)};
        for (int k = 0; k < 2 && i + k < kTrainingBlock; ++k)
            d[std::size_t(i + k)] = P * (1.0 + p_.jitter * std::clamp(z[k], -3.0, 3.0));
    }
    double sum = 0.0;
    for (double x : d) sum += x;
    const double span = kTrainingBlock * P, scale = span / sum;
    const double t0 = double(b) * span, t1 = double(b + 1) * span;
    double t = t0;
    for (int i = 0; i < kTrainingBlock; ++i) {
        const double di = d[std::size_t(i)] * scale;
        tau[std::size_t(2 * i)] = std::min(t, t1);
        tau[std::size_t(2 * i + 1)] = std::min(t + c * di, t1);
        t += di;
    }
    tau[2 * kTrainingBlock] = t1;
    return tau;
}

double TrainingSignal::tau_of(std::int64_t g) const {
    const double P = p_.iteration_period;
    if (p_.jitter == 0.0) return double(g >> 1) * P + ((g & 1) ? p_.compute_fraction * P : 0.0);
    const std::int64_t per = 2 * kTrainingBlock, b = g / per;
    return block(b)[std::size_t(g - b * per)];
}

double TrainingSignal::train_clock(double t) const {
    const double u = t - p_.start, I = p_.checkpoint_interval, d = p_.checkpoint_duration;
    if (I <= 0.0 || u < I) return u;
    const double k = std::floor(u / I);
    return u - (k - 1.0) * d - std::min(u - k * I, d);
}

double TrainingSignal::wall_time(double tau) const {
    const double I = p_.checkpoint_interval, d = p_.checkpoint_duration;
    if (I <= 0.0 || tau < I) return tau;
    // Segment 0 holds I of iteration time, every later segment (after a checkpoint) I - d.
    const double k = std::floor((tau - I) / (I - d)) + 1.0;
    return k * I + d + (tau - I - (k - 1.0) * (I - d));
}

double TrainingSignal::wall_of(std::int64_t g) const { return p_.start + wall_time(tau_of(g)); }

std::int64_t TrainingSignal::locate(double t, double* next) const {
    // An estimate from the clock, then corrected against the wall times themselves, so that
    // value() and next_discontinuity() agree to the last bit. One lock for the whole search.
    std::unique_lock lock(mutex_, std::defer_lock);
    if (p_.jitter != 0.0) lock.lock();
    const double tau = std::max(train_clock(t), 0.0), P = p_.iteration_period;
    std::int64_t g = 0;
    if (p_.jitter == 0.0) {
        const double i = std::floor(tau / P);
        g = 2 * std::int64_t(i) + (tau - i * P >= p_.compute_fraction * P ? 1 : 0);
    } else {
        const std::int64_t b = std::max<std::int64_t>(0, std::int64_t(std::floor(tau / (kTrainingBlock * P))));
        const auto& v = block(b);
        const auto it = std::upper_bound(v.begin(), v.begin() + 2 * kTrainingBlock, tau);
        g = b * 2 * kTrainingBlock + std::max<std::int64_t>(0, (it - v.begin()) - 1);
    }
    g = std::max<std::int64_t>(g, 0);
    double w = wall_of(g + 1);
    while (w <= t) w = wall_of(++g + 1);
    while (g > 0 && wall_of(g) > t) w = wall_of(g--);
    if (next) *next = w;
    return g;
}

// ---- checkpoints and the ramp ------------------------------------------------------------------

double TrainingSignal::checkpoint_start(double k) const { return p_.start + k * p_.checkpoint_interval; }

double TrainingSignal::last_checkpoint(double t) const {
    double k = std::max(0.0, std::floor((t - p_.start) / p_.checkpoint_interval));
    while (checkpoint_start(k + 1) <= t) k += 1;
    while (k > 0 && checkpoint_start(k) > t) k -= 1;
    return k;
}

int TrainingSignal::checkpoint_at(double t) const {
    if (p_.checkpoint_interval <= 0.0) return 0;
    const double k = last_checkpoint(t);
    return k >= 1 && t < checkpoint_start(k) + p_.checkpoint_duration ? 1 : 0;
}

double TrainingSignal::ramp_step_start(double j) const { return p_.start + p_.ramp_duration * j / p_.ramp_steps; }

double TrainingSignal::last_ramp_step(double t) const {
    const int n = p_.ramp_steps;
    double j = std::clamp(std::floor((t - p_.start) / p_.ramp_duration * n), 0.0, double(n));
    while (j < n && ramp_step_start(j + 1) <= t) j += 1;
    while (j > 0 && ramp_step_start(j) > t) j -= 1;
    return j;
}

double TrainingSignal::envelope(double t) const {
    const double r = p_.ramp_duration;
    if (r <= 0.0) return 1.0;
    const int n = p_.ramp_steps;
    if (n == 0) return t >= p_.start + r ? 1.0 : (t - p_.start) / r;
    return std::min(1.0, (last_ramp_step(t) + 1) / n);
}

// ---- the signal --------------------------------------------------------------------------------

double TrainingSignal::value(double t) const {
    if (!(t >= p_.start && t < p_.stop)) return p_.idle_activity;
    if (beyond(t)) return avg_;
    double a = avg_;
    if (checkpoint_at(t)) a = p_.checkpoint_activity;
    else if (res_ == TrainingResolution::iterations) a = (locate(t) & 1) ? p_.comm_activity : p_.compute_activity;
    return p_.idle_activity + envelope(t) * (a - p_.idle_activity);
}

TrainingPhase TrainingSignal::phase(double t) const {
    if (!(t >= p_.start && t < p_.stop)) return TrainingPhase::idle;
    if (beyond(t)) return TrainingPhase::compute;
    if (checkpoint_at(t)) return TrainingPhase::checkpoint;
    if (res_ == TrainingResolution::averaged) return TrainingPhase::compute;
    return (locate(t) & 1) ? TrainingPhase::communication : TrainingPhase::compute;
}

double TrainingSignal::next_discontinuity(double t) const {
    if (!(p_.start < p_.stop) || !(t < p_.stop)) return kInf;  // also NaN
    if (t < p_.start) return p_.start;
    if (beyond(t)) return p_.stop;
    double best = p_.stop;

    // The same searches as envelope() and checkpoint_at(), so that value() changes exactly here.
    const double r = p_.ramp_duration;
    if (r > 0.0) {
        const int n = p_.ramp_steps;
        if (n == 0) {
            if (t < p_.start + r) best = std::min(best, p_.start + r);
        } else if (const double j = last_ramp_step(t) + 1; j < n) {
            best = std::min(best, ramp_step_start(j));
        }
    }

    if (p_.checkpoint_interval > 0.0) {
        const double k = last_checkpoint(t), end = checkpoint_start(k) + p_.checkpoint_duration;
        best = std::min(best, k >= 1 && t < end ? end : checkpoint_start(k + 1));
    }

    if (res_ == TrainingResolution::iterations) {
        double w = kInf;
        locate(t, &w);
        best = std::min(best, w);
    }
    return best;
}

// ---- inference ---------------------------------------------------------------------------------

void validate(const InferenceProfile& p) {
    const char* w = "inference profile";
    if (!std::isfinite(p.start)) bad(w, "start", "must be finite");
    if (std::isnan(p.stop) || p.stop < p.start) bad(w, "stop", "must not be before start");
    in_unit(w, "mean_demand", p.mean_demand);
    if (!(p.amplitude >= 0.0 && p.mean_demand - p.amplitude >= 0.0 && p.mean_demand + p.amplitude <= 1.0))
        bad(w, "amplitude", "must be >= 0 with mean_demand +- amplitude within [0, 1]");
    if (!(p.peak_time_of_day >= 0.0 && p.peak_time_of_day < 86400.0))
        bad(w, "peak_time_of_day", "must be within [0, 24 h)");
    if (!(p.time_of_day_at_zero >= 0.0 && p.time_of_day_at_zero < 86400.0))
        bad(w, "time_of_day_at_zero", "must be within [0, 24 h)");
    in_unit(w, "batch_utilisation", p.batch_utilisation);
    in_unit(w, "idle_activity", p.idle_activity);
}

InferenceSignal::InferenceSignal(InferenceProfile p) : p_(p) { validate(p_); }

double InferenceSignal::value(double t) const {
    if (!(t >= p_.start && t < p_.stop)) return p_.idle_activity;
    const double day = 86400.0;
    // fmod first: the phase stays accurate for runs of years.
    const double x = std::fmod(p_.time_of_day_at_zero + std::fmod(t, day) - p_.peak_time_of_day, day);
    return p_.batch_utilisation * (p_.mean_demand + p_.amplitude * std::cos(2.0 * std::numbers::pi * x / day));
}

double InferenceSignal::next_discontinuity(double t) const {
    if (!(p_.start < p_.stop)) return kInf;
    if (t < p_.start) return p_.start;
    if (t < p_.stop) return p_.stop;
    return kInf;
}

// ---- integration -------------------------------------------------------------------------------

double integrate_signal(const InputSignal& s, double t0, double t1, double max_piece) {
    if (!(t1 > t0)) return 0.0;
    // 3-point Gauss-Legendre on [-1, 1]: interior nodes only, so the value at a discontinuity
    // itself is never sampled.
    static const double x[3] = {-std::sqrt(0.6), 0.0, std::sqrt(0.6)}, w[3] = {5.0 / 9, 8.0 / 9, 5.0 / 9};
    double sum = 0.0, t = t0;
    while (t < t1) {
        const double n = std::min(s.next_discontinuity(t), t1);
        if (!(n > t)) throw std::logic_error("integrate_signal: next_discontinuity did not advance");
        const double len = n - t;
        const double pieces = std::isfinite(max_piece) && max_piece > 0 ? std::ceil(len / max_piece) : 1.0;
        const double h = len / pieces;
        for (double i = 0; i < pieces; i += 1) {
            const double a = t + i * h, m = a + 0.5 * h;
            for (int q = 0; q < 3; ++q) sum += 0.5 * h * w[q] * s.value(m + 0.5 * h * x[q]);
        }
        t = n;
    }
    return sum;
}

}  // namespace dctwin
