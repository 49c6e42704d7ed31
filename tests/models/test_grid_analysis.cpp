// Grid-facing analysis and power smoothing, against analytic values: Parseval, sines in their
// bands, the Fourier series of a training job's pulse train, slopes and ranges of known shapes,
// and the energy a smoothing filter burns on a step.

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <thread>
#include <vector>

#include "models/workload/grid_analysis.hpp"
#include "models/workload/smoothing.hpp"
#include "models/workload/training.hpp"

using namespace dctwin;

namespace {

constexpr double kPi = std::numbers::pi;

UniformSeries sine(double amp, double f, double dt, double T, double mean = 1e6, double phase = 0.3) {
    UniformSeries s{0.0, dt, {}};
    for (double t = 0; t < T - 0.5 * dt; t += dt) s.v.push_back(mean + amp * std::sin(2 * kPi * f * t + phase));
    return s;
}

double variance(const std::vector<double>& v) {
    double m = 0, q = 0;
    for (double x : v) m += x;
    m /= double(v.size());
    for (double x : v) q += (x - m) * (x - m);
    return q / double(v.size());
}

// A piecewise-linear shape through (t, v) corners, sampled every dt on [0, T].
UniformSeries corners(const std::vector<std::pair<double, double>>& c, double dt, double T) {
    std::vector<double> t, v;
    for (auto [a, b] : c) t.push_back(a), v.push_back(b);
    auto r = resample_uniform(t, v, dt);
    REQUIRE(r.time(r.v.size() - 1) == doctest::Approx(T));
    return r;
}

}  // namespace

TEST_CASE("grid analysis: Parseval: the one-sided spectrum sums to the variance") {
    for (std::size_t N : {1000u, 999u}) {
        UniformSeries s{0.0, 0.01, {}};
        std::uint64_t x = 12345;
        for (std::size_t i = 0; i < N; ++i) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            s.v.push_back(5e5 + 1e4 * double(x >> 11) * 0x1.0p-53 + 3e3 * std::sin(0.37 * double(i)));
        }
        const auto sp = power_spectrum(s);
        double sum = 0;
        for (double p : sp.power) sum += p;
        INFO("N = " << N);
        CHECK(sum == doctest::Approx(variance(s.v)).epsilon(1e-10));
        CHECK(sp.variance == doctest::Approx(variance(s.v)).epsilon(1e-12));
        CHECK(sp.df == doctest::Approx(1.0 / (double(N) * 0.01)));
        CHECK(sp.power.size() == N / 2 + 1);
    }
}

TEST_CASE("grid analysis: a pure sine's energy lands in its band") {
    const double A = 1000;
    SUBCASE("on a bin, rectangular window: exactly A^2 / 2 in 2-20 Hz") {
        const auto s = sine(A, 5.0, 0.01, 60.0);
        const auto b = band_energy(power_spectrum(s), default_bands());
        CHECK(b[1].energy == doctest::Approx(A * A / 2).epsilon(1e-9));
        CHECK(b[1].fraction == doctest::Approx(1.0).epsilon(1e-9));
        CHECK(b[1].rms == doctest::Approx(A / std::sqrt(2.0)).epsilon(1e-9));
        CHECK(b[0].energy < 1e-12 * A * A);
        CHECK(peak_frequency(power_spectrum(s)) == doctest::Approx(5.0));
    }
    SUBCASE("between bins, Hann window") {
        const auto s = sine(A, 0.773, 0.01, 60.0);
        const auto sp = power_spectrum(s, {SpectrumWindow::hann, 0.0});
        const auto b = band_energy(sp, default_bands());
        CHECK(b[0].fraction > 0.99);
        CHECK(b[0].energy == doctest::Approx(A * A / 2).epsilon(0.01));
        CHECK(b[1].fraction < 1e-3);
        CHECK(peak_frequency(sp) == doctest::Approx(0.773).epsilon(0.02));
    }
    SUBCASE("Welch segments of 20 s over 2 min") {
        const auto s = sine(A, 12.3, 0.005, 120.0);
        const auto sp = power_spectrum(s, {SpectrumWindow::hann, 20.0});
        CHECK(sp.segments == 11);  // half-overlapping
        CHECK(sp.df == doctest::Approx(0.05));
        const auto b = band_energy(sp, default_bands());
        CHECK(b[1].energy == doctest::Approx(A * A / 2).epsilon(0.01));
        CHECK(b[0].fraction < 1e-3);
    }
}

TEST_CASE("grid analysis: the spectrum of a steady training job peaks at 1 / iteration period") {
    // Phase switches on samples (binary-exact times: 2.5 s, 1.875 s, dt = 1/64 s), so the sampled
    // wave has exactly the duty of the profile.
    TrainingProfile p;
    p.iteration_period = 2.5;
    p.compute_fraction = 0.75;
    p.compute_activity = 1.0;
    p.comm_activity = 0.3;
    const TrainingSignal job(p);
    const double dyn = 600, swing = dyn * 0.7, dt = 1.0 / 64;  // [W], [W], [s]
    const auto s = sample_signal(job, 0, 600 - dt, dt, dyn, 100);  // 240 whole iterations
    REQUIRE(s.v.size() == 38400);
    const auto sp = power_spectrum(s);
    CHECK(peak_frequency(sp, 0.01) == doctest::Approx(1 / 2.5));
    // A pulse train of height D and duty c: variance D^2 c (1-c); the fundamental carries
    // 2 (D sin(pi c) / pi)^2 of it (sampling changes that by (pi / (N sin(pi/N)))^2, 1.3e-4 at
    // N = 160 samples per period).
    const double c = 0.75;
    CHECK(sp.variance == doctest::Approx(swing * swing * c * (1 - c)).epsilon(1e-9));
    const std::size_t k0 = std::size_t(std::lround(0.4 / sp.df));
    CHECK(sp.power[k0] == doctest::Approx(2 * std::pow(swing * std::sin(kPi * c) / kPi, 2)).epsilon(5e-4));
    // Jittered: the peak stays at the mean frequency (within a couple of bins).
    p.jitter = 0.02;
    p.seed = 8;
    const TrainingSignal jit(p);
    const auto sj = power_spectrum(sample_signal(jit, 0, 600, dt, dyn, 100));
    CHECK(std::abs(peak_frequency(sj, 0.01) - 0.4) <= 2 * sj.df);
}

TEST_CASE("grid analysis: the spectrum is thread-safe (plans made under a lock)") {
    const auto s = sine(10, 3.0, 0.01, 20.0);
    const double ref = band_energy(power_spectrum(s), default_bands())[1].energy;
    std::vector<double> got(4);
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i)
        ts.emplace_back([&, i] {
            for (int k = 0; k < 20; ++k) got[std::size_t(i)] = band_energy(power_spectrum(s), default_bands())[1].energy;
        });
    for (auto& t : ts) t.join();
    for (double g : got) CHECK(g == ref);
}

TEST_CASE("grid analysis: ramp rates over a window and the ramp-limit violations") {
    // Flat 1000 W, up at 200 W/s from 10 to 12 s, flat, down at 50 W/s from 20 to 28 s, flat to 40 s.
    const double dt = 0.125;  // exact in binary: window edges fall on samples
    const auto s = corners({{0, 1000}, {10, 1000}, {12, 1400}, {20, 1400}, {28, 1000}, {40, 1000}}, dt, 40);
    const auto r1 = max_ramp_rate(s, 1.0);
    CHECK(r1.window == 1.0);
    CHECK(r1.max_up == doctest::Approx(200));
    CHECK(r1.max_down == doctest::Approx(50));
    CHECK(r1.time_of_max == doctest::Approx(10.0));
    CHECK(max_ramp_rate(s, dt).max_abs == doctest::Approx(200));
    // Over 4 s the up-ramp is averaged: 400 W in 4 s.
    CHECK(max_ramp_rate(s, 4.0).max_up == doctest::Approx(100));

    // Limit 100 W/s over 1 s: a window [s, s+1] overlaps the up-ramp by more than 0.5 s for
    // s in (9.5, 11.5): the samples 9.625 .. 11.375, 15 windows.
    const auto v = ramp_violations(s, 100, 1.0);
    CHECK(v.count == 1);
    CHECK(v.first_time == doctest::Approx(9.625));
    CHECK(v.total_time == doctest::Approx(15 * dt));
    CHECK(v.worst == doctest::Approx(200));
    // Limit 40 W/s: the up-ramp for s in (9.2, 11.8) (21 samples from 9.25) and the down-ramp
    // for s in (19.8, 27.2) (59 samples from 19.875).
    const auto w = ramp_violations(s, 40, 1.0);
    CHECK(w.count == 2);
    CHECK(w.first_time == doctest::Approx(9.25));
    CHECK(w.total_time == doctest::Approx((21 + 59) * dt));
    CHECK(ramp_violations(s, 250, 1.0).count == 0);
    CHECK(ramp_violations(s, 250, 1.0).first_time < 0);

    GridAnalysisOptions o;
    o.ramp_limit = 100;
    const auto g = analyse_grid(s, o);
    CHECK(g.ramp.max_abs == doctest::Approx(200));
    CHECK(g.violations.count == 1);
    CHECK(g.bands.size() == 2);
    CHECK(g.ranges.size() == 4);
}

TEST_CASE("grid analysis: dynamic range over sliding windows") {
    const double A = 100, T = 10;
    const auto s = sine(A, 1 / T, 1e-3, 100, 5000, 0.0);  // peaks fall on samples (2.5 s + k T)
    const double ws[] = {1.0, 10.0, 60.0, 900.0};
    const auto r = dynamic_range(s, ws);
    // The steepest 1 s of a sine spans 2 A sin(pi L / T) around a zero crossing.
    CHECK(r[0].max_range == doctest::Approx(2 * A * std::sin(kPi * 1.0 / T)).epsilon(1e-5));
    CHECK(r[0].window == doctest::Approx(1.0));
    CHECK(r[1].max_range == doctest::Approx(2 * A).epsilon(1e-9));
    CHECK(r[2].max_range == doctest::Approx(2 * A).epsilon(1e-9));
    // Longer than the series: the whole series.
    CHECK(r[3].window == doctest::Approx(s.time(s.v.size() - 1)));
    CHECK(r[3].max_range == doctest::Approx(2 * A).epsilon(1e-9));
}

TEST_CASE("grid analysis: resampling interpolates linearly") {
    const std::vector<double> t{0, 0.3, 0.35, 1.7, 2.0}, v{1, 1.6, 1.7, 4.4, 5.0};  // v = 1 + 2 t
    const auto r = resample_uniform(t, v, 0.1);
    REQUIRE(r.v.size() == 21);
    for (std::size_t i = 0; i < r.v.size(); ++i) CHECK(r.v[i] == doctest::Approx(1 + 2 * r.time(i)));
    CHECK_THROWS_AS(resample_uniform(std::vector<double>{0, 0}, std::vector<double>{1, 1}, 0.1), std::invalid_argument);
}

TEST_CASE("smoothing: a step down is held for the hysteresis, then ramps down to the floor") {
    PowerSmoothing ps;
    ps.tdp = 1000;
    ps.floor_fraction = 0.5;
    ps.ramp_down_rate = 100;
    ps.ramp_down_hysteresis = 1.0;
    const double dt = 1e-3;
    std::vector<double> t, r;
    for (int i = 0; i <= 30000; ++i) t.push_back(i * dt), r.push_back(t.back() < 10 ? 700 : 100);
    const auto out = smooth_power(t, r, ps);
    // A sample's request stands for the step before it, so times are right to one step dt.
    auto at = [&](double x) { return out.power[std::size_t(std::lround(x / dt))]; };
    CHECK(at(9) == 700);
    CHECK(at(10.99) == 700);  // held
    CHECK(std::abs(at(12) - 600) <= 100 * dt * 1.001);  // 1 s into the 100 W/s ramp
    CHECK(at(20) == 500);     // the floor, 50 % of TDP
    // Extra energy: 600 W held 1 s, the ramp 700 -> 500 over 2 s above 100 W, then 400 W for 17 s.
    const double extra = 600 * 1 + 0.5 * (600 + 400) * 2 + 400 * 17;
    CHECK(out.extra_energy == doctest::Approx(extra).epsilon(1e-4));
    CHECK(out.deficit_energy == 0);
    CHECK(out.drawn_energy - out.request_energy == doctest::Approx(extra).epsilon(1e-4));
}

TEST_CASE("smoothing: a step up is limited by the ramp-up rate, the deficit is reported") {
    PowerSmoothing ps;
    ps.tdp = 1000;
    ps.ramp_up_rate = 300;
    const double dt = 1e-3;
    std::vector<double> t, r;
    for (int i = 0; i <= 10000; ++i) t.push_back(i * dt), r.push_back(t.back() < 5 ? 200 : 800);
    const auto out = smooth_power(t, r, ps);
    CHECK(std::abs(out.power[std::size_t(std::lround(6.0 / dt))] - 500) <= 300 * dt * 1.001);
    CHECK(out.power.back() == 800);
    CHECK(out.deficit_energy == doctest::Approx(0.5 * 600 * 2).epsilon(1e-3));
    CHECK(out.extra_energy == 0);
    CHECK_THROWS_AS(PowerSmoother(PowerSmoothing{.tdp = 0}), std::invalid_argument);
}

TEST_CASE("smoothing: the max ramp rate of a training job stays under the limit, the energy cost is reported") {
    TrainingProfile p;
    p.iteration_period = 2.0;
    p.compute_fraction = 0.7;
    p.comm_activity = 0.3;
    p.start = 5;
    const TrainingSignal job(p);
    const double dt = 0.01;
    const auto req = sample_signal(job, 0, 120, dt, 600, 100);  // [W] per GPU
    std::vector<double> t(req.v.size());
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = req.time(i);

    PowerSmoothing ps;
    ps.tdp = 700;
    ps.floor_fraction = 0.6;
    ps.ramp_up_rate = 500;
    ps.ramp_down_rate = 500;
    ps.ramp_down_hysteresis = 0.5;
    const auto out = smooth_power(t, req.v, ps);
    const UniformSeries smoothed{req.t0, dt, out.power};

    const double limit = 600;  // [W/s]
    // Unsmoothed, the largest step is the start from idle (600 W) within one sample.
    CHECK(max_ramp_rate(req, dt).max_abs == doctest::Approx(600 / dt));
    CHECK(ramp_violations(req, limit, dt).count > 0);
    CHECK(max_ramp_rate(smoothed, dt).max_abs <= 500 * (1 + 1e-9));
    CHECK(ramp_violations(smoothed, limit, dt).count == 0);
    // The cost: extra energy burnt (floor and hold) against what the job asked for.
    CHECK(out.extra_energy > 0);
    // (An identity of the bookkeeping: max(x, 0) - max(-x, 0) = x, sample by sample.)
    CHECK(out.extra_energy - out.deficit_energy == doctest::Approx(out.drawn_energy - out.request_energy));
    // The request's energy against the job's own integral (not via the filter's bookkeeping):
    // the trapezoids at 10 ms misplace each phase switch by at most half a step.
    CHECK(out.request_energy == doctest::Approx(100 * 120 + 600 * integrate_signal(job, 0, 120)).epsilon(1e-3));
    // The comm phase lasts 0.6 s: after the 0.5 s hold the power falls 0.1 s at 500 W/s, so a
    // 700 W compute level dips to 650 W instead of 280 W.
    double lo = 1e9;
    for (std::size_t i = std::size_t(30 / dt); i < out.power.size(); ++i) lo = std::min(lo, out.power[i]);
    CHECK(lo == doctest::Approx(650).epsilon(0.01));
}
