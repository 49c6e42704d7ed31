#include "solver/loss.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dctwin {

Pchip::Pchip(std::vector<double> x, std::vector<double> y) : x_(std::move(x)), y_(std::move(y)) {
    const std::size_t n = x_.size();
    if (n < 2 || y_.size() != n) throw std::invalid_argument("Pchip: need at least two points, one y per x");
    for (std::size_t i = 1; i < n; ++i)
        if (!(x_[i] > x_[i - 1])) throw std::invalid_argument("Pchip: x must be strictly increasing");
    std::vector<double> h(n - 1), d(n - 1);
    for (std::size_t i = 0; i + 1 < n; ++i) h[i] = x_[i + 1] - x_[i], d[i] = (y_[i + 1] - y_[i]) / h[i];
    m_.assign(n, 0.0);
    m_[0] = d[0];
    m_[n - 1] = d[n - 2];
    for (std::size_t i = 1; i + 1 < n; ++i) {
        if (d[i - 1] * d[i] <= 0) continue;  // a local extremum: flat, so no overshoot
        const double w1 = 2 * h[i] + h[i - 1], w2 = h[i] + 2 * h[i - 1];
        m_[i] = (w1 + w2) / (w1 / d[i - 1] + w2 / d[i]);
    }
    if (n == 2) return;
    // End slopes by the shape-preserving three-point formula.
    auto end = [](double h0, double h1, double d0, double d1) {
        double m = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
        if (m * d0 <= 0) m = 0;
        else if (d0 * d1 <= 0 && std::abs(m) > std::abs(3 * d0)) m = 3 * d0;
        return m;
    };
    m_[0] = end(h[0], h[1], d[0], d[1]);
    m_[n - 1] = end(h[n - 2], h[n - 3], d[n - 2], d[n - 3]);
}

double Pchip::operator()(double x, double* dydx) const {
    if (std::isnan(x)) {  // a diverging state: NaN on, never a read past the table
        if (dydx) *dydx = std::nan("");
        return std::nan("");
    }
    if (x <= x_.front()) {
        if (dydx) *dydx = 0.0;
        return y_.front();
    }
    if (x >= x_.back()) {
        if (dydx) *dydx = 0.0;
        return y_.back();
    }
    const std::size_t i = std::size_t(std::upper_bound(x_.begin(), x_.end(), x) - x_.begin()) - 1;
    const double h = x_[i + 1] - x_[i], t = (x - x_[i]) / h;
    const double t2 = t * t, t3 = t2 * t;
    const double h00 = 2 * t3 - 3 * t2 + 1, h10 = t3 - 2 * t2 + t, h01 = -2 * t3 + 3 * t2, h11 = t3 - t2;
    if (dydx) {
        const double d00 = 6 * t2 - 6 * t, d10 = 3 * t2 - 4 * t + 1, d01 = -6 * t2 + 6 * t, d11 = 3 * t2 - 2 * t;
        *dydx = (d00 * y_[i] + d01 * y_[i + 1]) / h + d10 * m_[i] + d11 * m_[i + 1];
    }
    return h00 * y_[i] + h10 * h * m_[i] + h01 * y_[i + 1] + h11 * h * m_[i + 1];
}

LossModel LossModel::linear(double efficiency, double constant) {
    if (!(efficiency > 0.0 && efficiency <= 1.0)) throw std::invalid_argument("efficiency must be in (0, 1]");
    LossModel m;
    m.kind = Kind::linear;
    m.efficiency = efficiency;
    m.constant = constant;
    return m;
}

LossModel LossModel::quad(double no_load, double proportional, double quadratic) {
    LossModel m;
    m.kind = Kind::quadratic;
    m.constant = no_load;
    m.proportional = proportional;
    m.quadratic = quadratic;
    return m;
}

LossModel LossModel::efficiency_curve(std::vector<double> load_fraction, std::vector<double> efficiency,
                                      double unit_rating, int units) {
    for (double e : efficiency)
        if (!(e > 0.0 && e <= 1.0)) throw std::invalid_argument("efficiency must be in (0, 1]");
    if (!(unit_rating > 0.0) || units < 1) throw std::invalid_argument("a curve needs a positive unit rating and units");
    // One point: that efficiency at every load above it (a flat curve), its loss below.
    if (load_fraction.size() == 1 && efficiency.size() == 1)
        load_fraction.push_back(load_fraction[0] + 1.0), efficiency.push_back(efficiency[0]);
    LossModel m;
    m.kind = Kind::curve;
    m.curve = Pchip(std::move(load_fraction), std::move(efficiency));
    m.unit_rating = unit_rating;
    m.units = units;
    return m;
}

double LossModel::loss(double p, double* dloss) const {
    switch (kind) {
        case Kind::linear:
            if (dloss) *dloss = 1.0 / efficiency - 1.0;
            return (p + constant) / efficiency - p;
        case Kind::quadratic:
            if (dloss) *dloss = proportional + 2.0 * quadratic * p;
            return constant + proportional * p + quadratic * p * p;
        case Kind::curve: {
            // Per unit: P_u = p / n, loss_u = P_u (1/eta(x) - 1) with x = P_u / rating.
            const double n = units;
            const double x0 = curve.x().front();
            const double pu = p / n, x = pu / unit_rating;
            if (x <= x0) {
                const double p0 = x0 * unit_rating;
                if (dloss) *dloss = 0.0;
                return n * p0 * (1.0 / curve.y().front() - 1.0);
            }
            double de = 0.0;
            const double e = curve(x, &de);
            // d(n loss_u)/dp = d(loss_u)/dP_u = (1/e - 1) - P_u e' / (e^2 rating)
            if (dloss) *dloss = (1.0 / e - 1.0) - pu * de / (e * e * unit_rating);
            return n * pu * (1.0 / e - 1.0);
        }
    }
    return 0.0;
}

}  // namespace dctwin
