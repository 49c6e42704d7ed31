#pragma once
// What the grid sees: ramp rates, dynamic range and the spectrum of a site power series P(t).
//
// Everything works on a uniformly sampled series (resample_uniform() makes one from any
// sorted samples by linear interpolation).
//
// Ramp rate over a window w: r_n = (P[n+m] - P[n]) / (m dt) with m = max(1, round(w / dt)),
// i.e. the mean slope over m dt; w = dt gives the sample-to-sample slope. A ramp belongs to the
// time of its window's start, t_n.
//
// Dynamic range over a window L: the largest max - min of P over any m + 1 consecutive samples
// (m = max(1, round(L / dt)), a span of m dt); the whole series when it is shorter.
//
// Spectrum: the mean is removed (per segment), the segment is multiplied by a window w_n
// (rectangular or Hann) and transformed with FFTW (r2c). The one-sided power spectrum is
//
//     S_k = c_k |X_k|^2 / (M^2 mean(w^2)),   c_0 = c_{M/2} = 1, c_k = 2 otherwise,   f_k = k / (M dt)
//
// in [W^2] per bin (not per Hz), so that for the rectangular window over the whole series
// sum_k S_k = mean((P - mean P)^2), the variance (Parseval). With segments (Welch: length
// `segment`, half overlapping) the segments' spectra are averaged. Band energy is the sum of S_k
// over f_lo <= f_k < f_hi [W^2] (the variance carried by that band; its square root is the band's
// RMS [W]) and as a fraction of the variance of the whole series.

#include <span>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

struct UniformSeries {
    double t0 = 0.0;         ///< [s] time of v[0]
    double dt = 1.0;         ///< [s] sample step
    std::vector<double> v;   ///< [W]
    double time(std::size_t n) const { return t0 + double(n) * dt; }  ///< [s]
};

/// Linear interpolation of sorted samples (t strictly increasing) onto t[0] + k dt, k = 0..
/// floor((t.back() - t[0]) / dt). Throws std::invalid_argument on bad input.
UniformSeries resample_uniform(std::span<const double> t, std::span<const double> v, double dt);
/// value(t0 + k dt) * gain + offset for t0 + k dt <= t1 (e.g. activity -> W).
UniformSeries sample_signal(const InputSignal& s, double t0, double t1, double dt, double gain = 1.0,
                            double offset = 0.0);

struct RampStats {
    double window = 0.0;       ///< [s] effective window m dt
    double max_up = 0.0;       ///< [W/s] largest rise (>= 0)
    double max_down = 0.0;     ///< [W/s] largest fall, as a positive number
    double max_abs = 0.0;      ///< [W/s] max(max_up, max_down)
    double time_of_max = 0.0;  ///< [s] start of the window with max_abs
};
RampStats max_ramp_rate(const UniformSeries& p, double window);

struct RangeStats {
    double window = 0.0;     ///< [s] effective window m dt
    double max_range = 0.0;  ///< [W] largest max - min within one window
    double time = 0.0;       ///< [s] start of that window
};
std::vector<RangeStats> dynamic_range(const UniformSeries& p, std::span<const double> windows);

enum class SpectrumWindow { rectangular, hann };
struct SpectrumOptions {
    SpectrumWindow window = SpectrumWindow::rectangular;
    double segment = 0.0;  ///< [s] Welch segment length; 0: the whole series
};
struct Spectrum {
    double df = 0.0;              ///< [Hz] bin spacing; bin k is at k df
    std::vector<double> power;    ///< [W^2] one-sided power per bin, k = 0 .. M/2
    double variance = 0.0;        ///< [W^2] of the whole series (for band fractions)
    int segments = 0;             ///< averaged
};
/// Thread-safe: FFTW plans are made and destroyed under one process-wide mutex.
Spectrum power_spectrum(const UniformSeries& p, const SpectrumOptions& o = {});

struct Band {
    double f_lo = 0.0;  ///< [Hz]
    double f_hi = 0.0;  ///< [Hz] exclusive
};
/// The bands of the issue: 0.1-2 Hz and 2-20 Hz.
std::vector<Band> default_bands();
struct BandEnergy {
    Band band;
    double energy = 0.0;    ///< [W^2] variance in the band
    double fraction = 0.0;  ///< [1] of the series' variance
    double rms = 0.0;       ///< [W] sqrt(energy)
};
std::vector<BandEnergy> band_energy(const Spectrum& s, std::span<const Band> bands);
/// Frequency of the largest bin at or above f_min [Hz] (0 if none).
double peak_frequency(const Spectrum& s, double f_min = 0.0);

struct RampViolations {
    double limit = 0.0;       ///< [W/s]
    double window = 0.0;      ///< [s] effective window
    int count = 0;            ///< runs of consecutive windows whose |ramp| exceeds the limit
    double total_time = 0.0;  ///< [s] dt per violating window
    double first_time = -1.0; ///< [s] start of the first violating window; -1: none
    double worst = 0.0;       ///< [W/s] largest |ramp| seen
};
RampViolations ramp_violations(const UniformSeries& p, double limit, double window);

struct GridAnalysisOptions {
    double ramp_window = 1.0;                               ///< [s]
    std::vector<double> range_windows{1.0, 10.0, 60.0, 900.0};  ///< [s]
    std::vector<Band> bands = default_bands();
    SpectrumOptions spectrum{};
    double ramp_limit = 0.0;                                ///< [W/s]; 0: no check
};
struct GridReport {
    RampStats ramp;
    std::vector<RangeStats> ranges;
    std::vector<BandEnergy> bands;
    RampViolations violations;  ///< empty (count 0, limit 0) without a limit
};
GridReport analyse_grid(const UniformSeries& p, const GridAnalysisOptions& o = {});

}  // namespace dctwin
