#pragma once
// Loss of an electrical conversion or distribution stage as a function of its output power.
//
//   linear:    P_in = (P_out + c) / eta                  (rack conversion form, ExaDigiT RAPS)
//   quadratic: loss = a + b P_out + k P_out^2            (transformers: no-load + load losses;
//                                                         busways and cables: I^2 R)
//   curve:     n units share the load; each converts at the efficiency eta(x) of its load
//              fraction x = P_out / (n unit_rating), interpolated monotonically (PCHIP) from
//              points (80 PLUS curves, UPS curves). Below the first point a unit's loss stays
//              at its value there (fixed losses dominate); above the last, eta stays constant.

#include <cstdint>
#include <vector>

namespace dctwin {

/// Monotone piecewise-cubic (Fritsch-Carlson) interpolation of y(x) through points.
class Pchip {
public:
    Pchip() = default;
    /// x strictly increasing, at least two points.
    Pchip(std::vector<double> x, std::vector<double> y);
    /// Value and slope at x, clamped to the end values outside [x0, xn].
    double operator()(double x, double* dydx = nullptr) const;
    const std::vector<double>& x() const { return x_; }
    const std::vector<double>& y() const { return y_; }

private:
    std::vector<double> x_, y_, m_;
};

struct LossModel {
    enum class Kind : std::uint8_t { linear, quadratic, curve } kind = Kind::linear;
    double efficiency = 1.0;    ///< linear: [1]
    double constant = 0.0;      ///< linear: c [W]; quadratic: a, the no-load loss [W]
    double proportional = 0.0;  ///< quadratic: b [1]
    double quadratic = 0.0;     ///< quadratic: k [1/W]
    Pchip curve;                ///< curve: efficiency [1] over load fraction [1]
    double unit_rating = 0.0;   ///< curve: output rating of one unit [W]
    int units = 1;              ///< curve: units sharing the load

    static LossModel linear(double efficiency, double constant);
    static LossModel quad(double no_load, double proportional, double quadratic);
    static LossModel efficiency_curve(std::vector<double> load_fraction, std::vector<double> efficiency,
                                      double unit_rating, int units);

    /// Loss [W] at output P_out [W] >= 0, and its derivative d(loss)/d(P_out) [1].
    double loss(double p_out, double* dloss) const;
};

}  // namespace dctwin
