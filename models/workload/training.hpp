#pragma once
// Workload profiles as solver inputs: the activity of a job (fraction of the devices' dynamic
// power, in [0, 1]) as a function of time. All members of a synchronous job switch together,
// so one signal drives the whole job.
//
// Training (resolved): every iteration is a compute phase followed by a communication phase.
//
//     iteration i lasts d_i = P (1 + j z_i): compute for c d_i, then communication for (1-c) d_i
//
// with P the mean period, c the compute fraction, j the jitter and z_i a standard normal
// variate clipped to +-3. The variates come from std::mt19937_64's raw output through our
// own Box-Muller transform (std:: distributions differ between library versions), in blocks of
// kTrainingBlock iterations, each block seeded from (seed, block index) alone. The periods of
// a block are scaled so that the block lasts exactly kTrainingBlock * P: so any block can be
// made without the ones before it (a query at t = 1 year costs one block, memory stays bounded)
// and the phase drift of the jitter stays within one block.
//
// Checkpoints happen at wall-clock times start + k * interval (k = 1, 2, ...) and last
// `duration`; the job's iterations pause during a checkpoint and resume where they stopped
// (the iteration clock excludes checkpoint time), so a checkpoint dips the power at exactly its
// configured times.
//
// Start ramp: over [start, start + ramp_duration) the dynamic activity above idle is scaled
// by an envelope e(t): linear, e = (t - start) / ramp_duration (continuous; its end is
// reported as a discontinuity so that the integrator stops at the kink), or, with
// ramp_steps = n > 0, n equal steps e = (k + 1) / n on [start + k r/n, start + (k+1) r/n)
// (the first step at start, full activity at the last step). Activity is then
//
//     a(t) = idle + e(t) (a_phase(t) - idle)   for start <= t < stop,   idle otherwise,
//
// a_phase being the compute, communication or checkpoint activity.
//
// Averaged mode: the same profile with a_phase replaced by the iteration average
// c a_compute + (1 - c) a_comm outside checkpoints; discontinuities only at start, stop, ramp
// steps (or the end of a linear ramp) and checkpoints. Over whole iterations its integral is
// exactly that of the resolved profile (the phases scale with each jittered period).
//
// value() and next_discontinuity() depend only on t (never on the order of calls): the
// discontinuity times are computed one way only, and value(t) is the activity after the last
// discontinuity <= t (the step at t applies from t on, as in StepSchedule). Cost: O(1) without
// jitter; with jitter O(log kTrainingBlock) plus, for a block not in the small cache, the
// generation of one block (kTrainingBlock normal variates). Beyond start + kTrainingHorizon
// (thousands of years; the site format stops at 100) the signal is the iteration average without
// checkpoints, so that iteration and checkpoint counts stay exact integers in a double.

#include <array>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

/// Iterations per generated block of jittered periods.
inline constexpr int kTrainingBlock = 1024;
inline constexpr double kTrainingHorizon = 1e11;  ///< [s] after start: iterations resolved up to here

struct TrainingProfile {
    double start = 0.0;                                      ///< [s] the job starts (first iteration)
    double stop = std::numeric_limits<double>::infinity();   ///< [s] idle from then on
    double iteration_period = 2.0;   ///< [s] mean period of one iteration
    double compute_fraction = 0.7;   ///< [1] share of each iteration in the compute phase
    double compute_activity = 1.0;   ///< [1] activity in the compute phase
    double comm_activity = 0.3;      ///< [1] activity in the communication phase
    double idle_activity = 0.0;      ///< [1] activity outside [start, stop)
    double jitter = 0.0;             ///< [1] relative standard deviation of the period, <= 0.3
    std::uint64_t seed = 0;          ///< seeds the jitter
    double checkpoint_interval = 0.0;  ///< [s] between checkpoint starts; 0: no checkpoints
    double checkpoint_duration = 0.0;  ///< [s] each checkpoint, < checkpoint_interval
    double checkpoint_activity = 0.0;  ///< [1] activity during a checkpoint
    double ramp_duration = 0.0;        ///< [s] start ramp; 0: full activity at start
    int ramp_steps = 0;                ///< 0: linear ramp; n > 0: n equal steps
};

/// Throws std::invalid_argument naming the first field out of range.
void validate(const TrainingProfile& p);

/// Iteration-averaged activity while training (outside checkpoints, after the ramp) [1].
double average_activity(const TrainingProfile& p);
/// The swing kept as a figure in averaged mode: compute minus communication activity [1]
/// (times the job's dynamic power: the power swing [W]).
double swing_amplitude(const TrainingProfile& p);

enum class TrainingResolution { iterations, averaged };
enum class TrainingPhase { idle, compute, communication, checkpoint };

class TrainingSignal final : public InputSignal {
public:
    explicit TrainingSignal(TrainingProfile p, TrainingResolution r = TrainingResolution::iterations);
    double value(double t) const override;                ///< activity [1]
    double next_discontinuity(double t) const override;   ///< [s]
    TrainingPhase phase(double t) const;                  ///< averaged mode: compute stands for training
    const TrainingProfile& profile() const { return p_; }
    TrainingResolution resolution() const { return res_; }

private:
    struct Block {
        std::int64_t index = -1;
        std::vector<double> tau;  // 2 * kTrainingBlock + 1 phase starts [s of iteration clock]
    };
    // Iteration clock <-> wall time. Phase start g (even: compute, odd: communication; 2i and
    // 2i+1 belong to iteration i) begins at iteration-clock time tau_of(g) and wall time wall_of(g).
    double tau_of(std::int64_t g) const;   // with jitter: under mutex_
    double wall_of(std::int64_t g) const;  // with jitter: under mutex_
    double train_clock(double t) const;   // iteration clock at wall time t >= start
    double wall_time(double tau) const;   // earliest wall time after the pauses with that clock
    // The last phase start g with wall_of(g) <= t; *next = wall_of(g + 1) if asked.
    std::int64_t locate(double t, double* next = nullptr) const;
    double checkpoint_start(double k) const;  // wall time of checkpoint k (k >= 1)
    double last_checkpoint(double t) const;   // the last k with checkpoint_start(k) <= t, 0 if none; interval > 0
    int checkpoint_at(double t) const;        // 1 inside a checkpoint, else 0
    double ramp_step_start(double j) const;   // wall time of ramp step j (ramp_steps > 0)
    double last_ramp_step(double t) const;    // the last j in [0, ramp_steps] with ramp_step_start(j) <= t, else 0
    double envelope(double t) const;
    bool beyond(double t) const { return t - p_.start > kTrainingHorizon; }
    const std::vector<double>& block(std::int64_t b) const;  // under mutex_

    TrainingProfile p_;
    TrainingResolution res_;
    double avg_ = 0.0;
    mutable std::mutex mutex_;             // guards the block cache (jitter only)
    mutable std::array<Block, 4> cache_;
    mutable std::size_t next_slot_ = 0;
};

/// Inference demand: a daily cosine times the batch utilisation,
///     a(t) = batch_utilisation * (mean_demand + amplitude cos(2 pi (c(t) - peak_time_of_day) / 1 d))
/// with c(t) = time_of_day_at_zero + t the clock time; idle outside [start, stop). Smooth inside:
/// the only discontinuities are start and stop.
struct InferenceProfile {
    double start = 0.0;                                     ///< [s]
    double stop = std::numeric_limits<double>::infinity();  ///< [s]
    double mean_demand = 0.6;         ///< [1] daily mean of the demand (fraction of capacity)
    double amplitude = 0.3;           ///< [1] half the peak-to-trough swing; mean +- amplitude in [0, 1]
    double peak_time_of_day = 14 * 3600.0;  ///< [s] after midnight, demand peaks
    double time_of_day_at_zero = 0.0;       ///< [s] clock time (after midnight) at t = 0
    double batch_utilisation = 0.8;   ///< [1] activity at full demand
    double idle_activity = 0.0;       ///< [1] outside [start, stop)
};

void validate(const InferenceProfile& p);

class InferenceSignal final : public InputSignal {
public:
    explicit InferenceSignal(InferenceProfile p);
    double value(double t) const override;               ///< activity [1]
    double next_discontinuity(double t) const override;  ///< [s]
    const InferenceProfile& profile() const { return p_; }

private:
    InferenceProfile p_;
};

/// Integral of a signal over [t0, t1] [unit of the signal * s]: split at its discontinuities,
/// 3-point Gauss-Legendre on pieces of at most max_piece (exact for piecewise-linear signals
/// whose kinks are reported as discontinuities). For tests and energy figures.
double integrate_signal(const InputSignal& s, double t0, double t1,
                        double max_piece = std::numeric_limits<double>::infinity());

}  // namespace dctwin
