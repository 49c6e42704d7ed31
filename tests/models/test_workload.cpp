// Workload profiles: training iterations, checkpoints, ramps, averaged mode and inference,
// against duty-weighted averages, the configured times and analytic integrals.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>
#include <vector>

#include "models/workload/training.hpp"

using namespace dctwin;

namespace {

// A device: 100 W idle, 600 W of dynamic power at activity 1.
constexpr double kIdle = 100.0, kDyn = 600.0;
double watts(double a) { return kIdle + kDyn * a; }

TrainingProfile steady() {
    TrainingProfile p;
    p.iteration_period = 2.0;
    p.compute_fraction = 0.7;
    p.compute_activity = 1.0;
    p.comm_activity = 0.3;
    return p;
}

// Mean of the signal over [t0, t1) sampled every dt: independent of next_discontinuity.
double sampled_mean(const InputSignal& s, double t0, double t1, double dt) {
    double sum = 0;
    long n = 0;
    for (double t = t0 + 0.5 * dt; t < t1; t += dt, ++n) sum += s.value(t);
    return sum / double(n);
}

// Steps through the signal's discontinuities from `from` until `to` or past it; where it lands.
double step_until(const InputSignal& s, double from, double to) {
    double t = from;
    while (t < to) t = s.next_discontinuity(t);
    return t;
}

}  // namespace

TEST_CASE("workload: a periodic training job's average power equals the duty-weighted phase powers") {
    const TrainingSignal s(steady());
    const double expected = 0.7 * watts(1.0) + 0.3 * watts(0.3);  // 574 W
    // Whole iterations: the integral over 1800 iterations.
    const double T = 1800 * 2.0;
    CHECK(kIdle + kDyn * integrate_signal(s, 0, T) / T == doctest::Approx(expected).epsilon(1e-12));
    // The same from plain sampling (1 ms), which does not use the discontinuities.
    CHECK(watts(sampled_mean(s, 0, 200, 1e-3)) == doctest::Approx(expected).epsilon(1e-4));
    CHECK(average_activity(steady()) == doctest::Approx(0.79));

    // With jitter: a block of kTrainingBlock iterations lasts exactly kTrainingBlock periods,
    // so its average is exact; over an hour it is within a fraction of one iteration.
    auto p = steady();
    p.jitter = 0.05;
    p.seed = 7;
    const TrainingSignal j(p);
    const double B = kTrainingBlock * 2.0;
    CHECK(watts(integrate_signal(j, 0, B) / B) == doctest::Approx(expected).epsilon(1e-9));
    CHECK(watts(integrate_signal(j, B, 3 * B) / (2 * B)) == doctest::Approx(expected).epsilon(1e-9));
    CHECK(watts(integrate_signal(j, 0, 3600) / 3600) == doctest::Approx(expected).epsilon(1e-3));
}

TEST_CASE("workload: phase switches are the signal's discontinuities, constant in between") {
    auto p = steady();
    p.start = 12.5;
    p.stop = 1500;
    p.jitter = 0.1;
    p.seed = 42;
    p.checkpoint_interval = 300;
    p.checkpoint_duration = 20;
    p.checkpoint_activity = 0.1;
    p.ramp_duration = 30;
    p.ramp_steps = 3;
    const TrainingSignal s(p);
    double t = 0;
    int segments = 0, compute = 0;
    while (t < 1600) {
        const double n = s.next_discontinuity(t);
        REQUIRE(n > t);
        if (!std::isfinite(n)) break;
        const double v = s.value(t);
        CHECK(s.value(t + 0.5 * (n - t)) == v);
        CHECK(s.value(t + 0.999 * (n - t)) == v);
        if (s.phase(t) == TrainingPhase::compute) ++compute;
        t = n;
        ++segments;
    }
    CHECK(t == p.stop);  // the last discontinuity is the stop
    CHECK(s.value(p.stop) == p.idle_activity);
    CHECK(std::isinf(s.next_discontinuity(p.stop)));
    // About (1500 - 12.5 - 4 checkpoints of 20 s) / 2 s iterations, two phases each.
    CHECK(compute == doctest::Approx((1500 - 12.5 - 80) / 2.0).epsilon(0.01));
    CHECK(segments >= 2 * compute);
}

TEST_CASE("workload: value and next_discontinuity do not depend on the order of calls") {
    auto p = steady();
    p.jitter = 0.08;
    p.seed = 99;
    p.checkpoint_interval = 3600;
    p.checkpoint_duration = 120;
    p.ramp_duration = 60;
    std::mt19937_64 g(5);
    std::vector<double> times;
    for (int i = 0; i < 4000; ++i) times.push_back(double(g() >> 11) * 0x1.0p-53 * 3.2e7);  // up to a year
    for (int i = 0; i < 1000; ++i) times.push_back(double(g() >> 11) * 0x1.0p-53 * 100.0);
    const TrainingSignal a(p), b(p), c(p);
    std::vector<double> va, na;
    for (double t : times) va.push_back(a.value(t)), na.push_back(a.next_discontinuity(t));
    auto sorted = times;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        const std::size_t k = std::size_t(std::find(times.begin(), times.end(), sorted[i]) - times.begin());
        CHECK(b.value(sorted[i]) == va[k]);
        CHECK(b.next_discontinuity(sorted[i]) == na[k]);
    }
    for (std::size_t i = times.size(); i-- > 0;) {
        CHECK(c.value(times[i]) == va[i]);
        CHECK(c.next_discontinuity(times[i]) == na[i]);
    }
}

TEST_CASE("workload: jitter has the configured spread, the mean period and its seed") {
    auto p = steady();
    p.jitter = 0.05;
    p.seed = 3;
    const TrainingSignal s(p);
    // Iteration starts are the switches to the compute phase.
    std::vector<double> starts{0.0};
    double t = 0;
    const double end = 8 * kTrainingBlock * 2.0;
    while (t < end) {
        t = s.next_discontinuity(t);
        if (t < end && s.phase(t) == TrainingPhase::compute) starts.push_back(t);
    }
    REQUIRE(starts.size() == std::size_t(8 * kTrainingBlock));
    double sum = 0, sq = 0, worst = 0;
    const std::size_t n = starts.size() - 1;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = starts[i + 1] - starts[i];
        sum += d;
        sq += (d - 2.0) * (d - 2.0);
        worst = std::max(worst, std::abs(d / 2.0 - 1.0));
    }
    CHECK(sum / double(n) == doctest::Approx(2.0).epsilon(1e-3));
    CHECK(std::sqrt(sq / double(n)) / 2.0 == doctest::Approx(0.05).epsilon(0.05));  // within 5 % of 5 %
    // Truncated at 3 sigma; each block's scaling moves that by about j / sqrt(block) (5 sigma here).
    CHECK(worst <= 3 * 0.05 + 5 * 0.05 / std::sqrt(double(kTrainingBlock)));
    // The compute phase is its fraction of each (jittered) iteration.
    const double sw = s.next_discontinuity(starts[100]);
    CHECK((sw - starts[100]) / (starts[101] - starts[100]) == doctest::Approx(0.7).epsilon(1e-9));

    // The same seed gives the same iterations; another seed others.
    const TrainingSignal same(p);
    auto q = p;
    q.seed = 4;
    const TrainingSignal other(q);
    CHECK(same.next_discontinuity(1000.3) == s.next_discontinuity(1000.3));
    CHECK(other.next_discontinuity(1000.3) != s.next_discontinuity(1000.3));
}

TEST_CASE("workload: a year-long profile answers at any time without generating the year") {
    auto p = steady();
    p.jitter = 0.05;
    p.checkpoint_interval = 1800;
    p.checkpoint_duration = 60;
    const TrainingSignal s(p);
    const double year = 365 * 86400.0;
    for (double t : {year, year - 1234.5, 0.5 * year, 10.0}) {
        const double n = s.next_discontinuity(t);
        CHECK(n > t);
        CHECK(n - t <= std::max(2.0 * 1.16, 60.0));  // a phase or a checkpoint at most
        // Constant until then.
        CHECK(s.value(t + 0.5 * (n - t)) == s.value(t));
    }
    // Absurd times neither hang nor overflow: far beyond the horizon the signal is the average.
    CHECK(s.value(1e300) == doctest::Approx(0.79));
    CHECK(std::isinf(s.next_discontinuity(1e300)));
    CHECK(std::isinf(s.next_discontinuity(std::nan(""))));
    CHECK(s.value(std::nan("")) == 0.0);
    // The averaged share of checkpoints over a day: (1800 - 60) / 1800 of training.
    TrainingSignal avg(p, TrainingResolution::averaged);
    const double day = integrate_signal(avg, year, year + 86400);
    CHECK(day / 86400 == doctest::Approx(0.79 * (1740.0 / 1800) + 0.0 * (60.0 / 1800)).epsilon(1e-9));
}

TEST_CASE("workload: a checkpoint dips the power by the configured amount at the configured times") {
    auto p = steady();
    p.start = 100;
    p.checkpoint_interval = 600;
    p.checkpoint_duration = 30;
    p.checkpoint_activity = 0.1;
    p.jitter = 0.02;
    const TrainingSignal s(p);
    const TrainingSignal avg(p, TrainingResolution::averaged);
    for (int k = 1; k <= 5; ++k) {
        const double c = 100 + 600.0 * k, e = c + 30;
        // Stepping through the discontinuities from before lands on c and on e exactly.
        CHECK(step_until(s, c - 5, c) == c);
        CHECK(s.next_discontinuity(c) == e);
        CHECK(s.phase(c) == TrainingPhase::checkpoint);
        CHECK(s.phase(e) != TrainingPhase::checkpoint);
        CHECK(s.phase(std::nextafter(c, 0.0)) != TrainingPhase::checkpoint);
        CHECK(watts(s.value(c + 15)) == doctest::Approx(watts(0.1)));
        // Averaged: the dip is the average power minus the checkpoint's.
        CHECK(watts(avg.value(c - 1)) - watts(avg.value(c)) == doctest::Approx(kDyn * (0.79 - 0.1)));
        CHECK(watts(avg.value(e)) == doctest::Approx(watts(0.79)));
        CHECK(avg.next_discontinuity(c - 1) == c);
        CHECK(avg.next_discontinuity(c) == e);
    }
    // The iterations pause: the phase interrupted by the first checkpoint finishes after it with
    // the time it had left.
    auto q = p;
    q.checkpoint_interval = 0;
    const TrainingSignal free(q);
    const double c1 = 700, e1 = 730;
    CHECK(s.next_discontinuity(e1) - e1 == doctest::Approx(free.next_discontinuity(c1) - c1).epsilon(1e-12));
    CHECK(s.phase(e1) == free.phase(c1));
}

TEST_CASE("workload: averaged mode matches the resolved mode's energy over an hour within 1 %") {
    for (int steps : {0, 5}) {
        auto p = steady();
        p.start = 30;
        p.stop = 3500;
        p.jitter = 0.05;
        p.seed = 11;
        p.checkpoint_interval = 900;
        p.checkpoint_duration = 60;
        p.checkpoint_activity = 0.05;
        p.ramp_duration = 120;
        p.ramp_steps = steps;
        p.idle_activity = 0.02;
        const TrainingSignal res(p), avg(p, TrainingResolution::averaged);
        const double e_res = 3600 * kIdle + kDyn * integrate_signal(res, 0, 3600);
        const double e_avg = 3600 * kIdle + kDyn * integrate_signal(avg, 0, 3600);
        INFO("ramp steps " << steps);
        CHECK(std::abs(e_avg / e_res - 1) < 0.01);
        CHECK(std::abs(e_avg / e_res - 1) < 0.002);  // it is much closer than the acceptance asks
        // The integrator of the test itself: plain sampling agrees with the piecewise integral.
        CHECK(sampled_mean(res, 0, 3600, 2e-3) == doctest::Approx(integrate_signal(res, 0, 3600) / 3600).epsilon(2e-4));
        // The swing kept as a figure is what the resolved signal swings between its phases.
        CHECK(swing_amplitude(p) == doctest::Approx(0.7));
        CHECK(res.value(1000.0) == doctest::Approx(res.phase(1000.0) == TrainingPhase::compute ? 1.0 : 0.3));
    }
}

TEST_CASE("workload: start ramp, linear or in steps, and idle outside start to stop") {
    auto p = steady();
    p.compute_fraction = 1.0;  // compute only: the envelope is what moves
    p.start = 10;
    p.stop = 100;
    p.idle_activity = 0.1;
    p.ramp_duration = 40;
    SUBCASE("linear") {
        const TrainingSignal s(p);
        CHECK(s.value(9.99) == 0.1);
        CHECK(s.value(10) == doctest::Approx(0.1));
        CHECK(s.value(20) == doctest::Approx(0.1 + 0.25 * 0.9));
        CHECK(s.value(30) == doctest::Approx(0.1 + 0.5 * 0.9));
        CHECK(s.value(50) == doctest::Approx(1.0));
        CHECK(s.next_discontinuity(0) == 10);
        // The ramp's end is reported (a kink), so that the integral is exact piecewise.
        CHECK(step_until(s, 10, 50) == 50);
        CHECK(integrate_signal(s, 10, 50) == doctest::Approx(40 * (0.1 + 0.5 * 0.9)).epsilon(1e-12));
    }
    SUBCASE("steps") {
        p.ramp_steps = 4;
        const TrainingSignal s(p);
        CHECK(s.value(10) == doctest::Approx(0.1 + 0.25 * 0.9));
        CHECK(s.value(19.99) == doctest::Approx(0.1 + 0.25 * 0.9));
        CHECK(s.value(20) == doctest::Approx(0.1 + 0.5 * 0.9));
        CHECK(s.value(39.99) == doctest::Approx(0.1 + 0.75 * 0.9));
        CHECK(s.value(40) == doctest::Approx(1.0));  // the last step, at start + (n-1)/n of the ramp
        for (double c : {20.0, 30.0, 40.0}) CHECK(step_until(s, c - 1, c) == c);
        CHECK(integrate_signal(s, 10, 50) == doctest::Approx(10 * 0.9 * (0.25 + 0.5 + 0.75 + 1) + 40 * 0.1));
    }
    const TrainingSignal s(p);
    CHECK(s.value(100) == 0.1);
    CHECK(s.value(1e9) == 0.1);
    CHECK(s.phase(100) == TrainingPhase::idle);
}

TEST_CASE("workload: profiles out of range are refused, naming the field") {
    auto check = [](auto edit, const char* field) {
        auto p = steady();
        edit(p);
        try {
            TrainingSignal s(p);
            FAIL("accepted " << field);
        } catch (const std::invalid_argument& e) {
            CHECK(std::string(e.what()).find(field) != std::string::npos);
        }
    };
    check([](TrainingProfile& p) { p.jitter = 0.5; }, "jitter");
    check([](TrainingProfile& p) { p.compute_fraction = 1.5; }, "compute_fraction");
    check([](TrainingProfile& p) { p.iteration_period = 0; }, "iteration_period");
    check([](TrainingProfile& p) { p.stop = -1; }, "stop");
    check([](TrainingProfile& p) { p.checkpoint_interval = 10, p.checkpoint_duration = 10; }, "checkpoint_duration");
    check([](TrainingProfile& p) { p.comm_activity = std::nan(""); }, "comm_activity");
    InferenceProfile i;
    i.amplitude = 0.5;
    i.mean_demand = 0.6;
    CHECK_THROWS_AS(InferenceSignal{i}, std::invalid_argument);
}

TEST_CASE("workload: inference demand peaks at its hour, averages mean x batch, and is continuous") {
    InferenceProfile p;
    p.mean_demand = 0.55;
    p.amplitude = 0.35;
    p.peak_time_of_day = 15 * 3600.0;
    p.time_of_day_at_zero = 6 * 3600.0;  // the run starts at 06:00
    p.batch_utilisation = 0.8;
    const InferenceSignal s(p);
    double best = -1, t_best = 0, worst = 2, t_worst = 0;
    for (double t = 0; t < 86400; t += 60) {
        const double v = s.value(t);
        if (v > best) best = v, t_best = t;
        if (v < worst) worst = v, t_worst = t;
    }
    CHECK(t_best == doctest::Approx(9 * 3600.0));   // 15:00 is 9 h after the start
    CHECK(t_worst == doctest::Approx(21 * 3600.0)); // 03:00
    CHECK(best == doctest::Approx(0.8 * 0.9));
    CHECK(worst == doctest::Approx(0.8 * 0.2));
    // Over whole days the cosine averages out.
    CHECK(integrate_signal(s, 0, 86400, 600) / 86400 == doctest::Approx(0.8 * 0.55).epsilon(1e-9));
    CHECK(integrate_signal(s, 5 * 86400.0, 7 * 86400.0, 600) / (2 * 86400) ==
          doctest::Approx(0.8 * 0.55).epsilon(1e-9));
    // No discontinuity inside: the solver steps through; continuity with a bounded slope.
    CHECK(std::isinf(s.next_discontinuity(0)));
    const double slope = 0.8 * 0.35 * 2 * std::numbers::pi / 86400;
    for (double t : {1.0, 1000.0, 40000.0, 3e7})
        CHECK(std::abs(s.value(t + 1) - s.value(t)) <= slope * 1.000001);

    p.start = 3600;
    p.stop = 7200;
    p.idle_activity = 0.01;
    const InferenceSignal w(p);
    CHECK(w.next_discontinuity(0) == 3600);
    CHECK(w.next_discontinuity(3600) == 7200);
    CHECK(std::isinf(w.next_discontinuity(7200)));
    CHECK(w.value(7200) == 0.01);
    CHECK(w.value(3600) == s.value(3600));
}
