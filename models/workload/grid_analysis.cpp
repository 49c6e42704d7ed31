#include "models/workload/grid_analysis.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <mutex>
#include <numbers>
#include <stdexcept>

namespace dctwin {

namespace {

void check_series(const UniformSeries& p, const char* what) {
    if (!(p.dt > 0.0) || !std::isfinite(p.dt) || p.v.empty())
        throw std::invalid_argument(std::string(what) + ": needs a positive step and at least one sample");
}

std::size_t samples_in(double window, double dt) {
    return std::size_t(std::max(1.0, std::round(window / dt)));
}

// FFTW's planner is not thread-safe; executing a plan on its own arrays is.
std::mutex& fftw_mutex() {
    static std::mutex m;
    return m;
}

struct FftwFree {
    void operator()(void* p) const { fftw_free(p); }
};

class R2C {
public:
    explicit R2C(std::size_t n) {
        in_.reset(static_cast<double*>(fftw_malloc(sizeof(double) * n)));
        out_.reset(static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1))));
        if (!in_ || !out_) throw std::bad_alloc();
        std::lock_guard lock(fftw_mutex());
        plan_ = fftw_plan_dft_r2c_1d(int(n), in_.get(), out_.get(), FFTW_ESTIMATE);
        if (!plan_) throw std::runtime_error("FFTW: could not make a plan");
    }
    ~R2C() {
        std::lock_guard lock(fftw_mutex());
        fftw_destroy_plan(plan_);
    }
    R2C(const R2C&) = delete;
    R2C& operator=(const R2C&) = delete;
    double* in() { return in_.get(); }
    const fftw_complex* out() const { return out_.get(); }
    void run() { fftw_execute(plan_); }

private:
    std::unique_ptr<double, FftwFree> in_;
    std::unique_ptr<fftw_complex, FftwFree> out_;
    fftw_plan plan_ = nullptr;
};

}  // namespace

UniformSeries resample_uniform(std::span<const double> t, std::span<const double> v, double dt) {
    if (t.empty() || t.size() != v.size() || !(dt > 0.0) || !std::isfinite(dt))
        throw std::invalid_argument("resample_uniform: one value per time, a positive step");
    for (std::size_t i = 1; i < t.size(); ++i)
        if (!(t[i] > t[i - 1])) throw std::invalid_argument("resample_uniform: times must increase strictly");
    UniformSeries out{t.front(), dt, {}};
    const double span = t.back() - t.front();
    const std::size_t n = std::size_t(std::floor(span / dt * (1 + 1e-12))) + 1;
    out.v.resize(n);
    std::size_t j = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const double x = out.time(k);
        while (j + 1 < t.size() && t[j + 1] <= x) ++j;
        if (j + 1 >= t.size()) out.v[k] = v.back();
        else out.v[k] = v[j] + (x - t[j]) / (t[j + 1] - t[j]) * (v[j + 1] - v[j]);
    }
    return out;
}

UniformSeries sample_signal(const InputSignal& s, double t0, double t1, double dt, double gain, double offset) {
    if (!(dt > 0.0) || !(t1 >= t0)) throw std::invalid_argument("sample_signal: t1 >= t0, dt > 0");
    UniformSeries out{t0, dt, {}};
    const std::size_t n = std::size_t(std::floor((t1 - t0) / dt * (1 + 1e-12))) + 1;
    out.v.resize(n);
    for (std::size_t k = 0; k < n; ++k) out.v[k] = gain * s.value(out.time(k)) + offset;
    return out;
}

RampStats max_ramp_rate(const UniformSeries& p, double window) {
    check_series(p, "max_ramp_rate");
    RampStats r;
    const std::size_t m = samples_in(window, p.dt);
    r.window = double(m) * p.dt;
    for (std::size_t n = 0; n + m < p.v.size(); ++n) {
        const double rate = (p.v[n + m] - p.v[n]) / r.window;
        r.max_up = std::max(r.max_up, rate);
        r.max_down = std::max(r.max_down, -rate);
        if (std::abs(rate) > r.max_abs) {
            r.max_abs = std::abs(rate);
            r.time_of_max = p.time(n);
        }
    }
    return r;
}

std::vector<RangeStats> dynamic_range(const UniformSeries& p, std::span<const double> windows) {
    check_series(p, "dynamic_range");
    std::vector<RangeStats> out;
    const std::size_t N = p.v.size();
    for (double w : windows) {
        const std::size_t m = std::min(samples_in(w, p.dt), N - 1);
        RangeStats r{double(m) * p.dt, 0.0, p.t0};
        // Monotone deques of indices: the window's max and min in O(1) amortised.
        std::deque<std::size_t> hi, lo;
        for (std::size_t n = 0; n < N; ++n) {
            while (!hi.empty() && p.v[hi.back()] <= p.v[n]) hi.pop_back();
            while (!lo.empty() && p.v[lo.back()] >= p.v[n]) lo.pop_back();
            hi.push_back(n);
            lo.push_back(n);
            if (n < m) continue;
            const std::size_t first = n - m;  // the window is [first, n]
            while (hi.front() < first) hi.pop_front();
            while (lo.front() < first) lo.pop_front();
            const double range = p.v[hi.front()] - p.v[lo.front()];
            if (range > r.max_range) {
                r.max_range = range;
                r.time = p.time(first);
            }
        }
        out.push_back(r);
    }
    return out;
}

Spectrum power_spectrum(const UniformSeries& p, const SpectrumOptions& o) {
    check_series(p, "power_spectrum");
    const std::size_t N = p.v.size();
    std::size_t M = N;
    if (o.segment > 0.0) M = std::min(N, std::size_t(std::max(2.0, std::round(o.segment / p.dt))));
    if (M < 2) throw std::invalid_argument("power_spectrum: needs at least two samples");

    Spectrum s;
    s.df = 1.0 / (double(M) * p.dt);
    s.power.assign(M / 2 + 1, 0.0);

    double mean = 0.0;
    for (double x : p.v) mean += x;
    mean /= double(N);
    for (double x : p.v) s.variance += (x - mean) * (x - mean);
    s.variance /= double(N);

    std::vector<double> w(M, 1.0);
    if (o.window == SpectrumWindow::hann)
        for (std::size_t n = 0; n < M; ++n) w[n] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * double(n) / double(M));
    double w2 = 0.0;
    for (double x : w) w2 += x * x;
    w2 /= double(M);

    R2C fft(M);
    const std::size_t hop = M / 2;  // half-overlapping segments (M >= 2); M == N: one segment
    for (std::size_t first = 0; first + M <= N; first += hop) {
        double m = 0.0;
        for (std::size_t n = 0; n < M; ++n) m += p.v[first + n];
        m /= double(M);
        for (std::size_t n = 0; n < M; ++n) fft.in()[n] = (p.v[first + n] - m) * w[n];
        fft.run();
        const double norm = 1.0 / (double(M) * double(M) * w2);
        for (std::size_t k = 0; k <= M / 2; ++k) {
            const double re = fft.out()[k][0], im = fft.out()[k][1];
            const double c = (k == 0 || (M % 2 == 0 && k == M / 2)) ? 1.0 : 2.0;
            s.power[k] += c * (re * re + im * im) * norm;
        }
        ++s.segments;
    }
    for (double& x : s.power) x /= double(s.segments);
    return s;
}

std::vector<Band> default_bands() { return {{0.1, 2.0}, {2.0, 20.0}}; }

std::vector<BandEnergy> band_energy(const Spectrum& s, std::span<const Band> bands) {
    std::vector<BandEnergy> out;
    for (const auto& b : bands) {
        BandEnergy e{b, 0.0, 0.0, 0.0};
        for (std::size_t k = 0; k < s.power.size(); ++k) {
            const double f = double(k) * s.df;
            if (f >= b.f_lo && f < b.f_hi) e.energy += s.power[k];
        }
        e.fraction = s.variance > 0.0 ? e.energy / s.variance : 0.0;
        e.rms = std::sqrt(e.energy);
        out.push_back(e);
    }
    return out;
}

double peak_frequency(const Spectrum& s, double f_min) {
    double best = -1.0, f_best = 0.0;
    for (std::size_t k = 0; k < s.power.size(); ++k) {
        const double f = double(k) * s.df;
        if (f >= f_min && s.power[k] > best) {
            best = s.power[k];
            f_best = f;
        }
    }
    return f_best;
}

RampViolations ramp_violations(const UniformSeries& p, double limit, double window) {
    check_series(p, "ramp_violations");
    if (!(limit > 0.0)) throw std::invalid_argument("ramp_violations: the limit must be positive");
    RampViolations r;
    r.limit = limit;
    const std::size_t m = samples_in(window, p.dt);
    r.window = double(m) * p.dt;
    bool in_run = false;
    for (std::size_t n = 0; n + m < p.v.size(); ++n) {
        const double rate = std::abs(p.v[n + m] - p.v[n]) / r.window;
        r.worst = std::max(r.worst, rate);
        const bool bad = rate > limit;
        if (bad) {
            if (!in_run) ++r.count;
            if (r.first_time < 0.0) r.first_time = p.time(n);
            r.total_time += p.dt;
        }
        in_run = bad;
    }
    return r;
}

GridReport analyse_grid(const UniformSeries& p, const GridAnalysisOptions& o) {
    GridReport g;
    g.ramp = max_ramp_rate(p, o.ramp_window);
    g.ranges = dynamic_range(p, o.range_windows);
    if (p.v.size() >= 2) g.bands = band_energy(power_spectrum(p, o.spectrum), o.bands);
    if (o.ramp_limit > 0.0) g.violations = ramp_violations(p, o.ramp_limit, o.ramp_window);
    return g;
}

}  // namespace dctwin
