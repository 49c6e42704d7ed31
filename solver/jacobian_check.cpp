#include "solver/jacobian_check.hpp"

#include <algorithm>
#include <cmath>

namespace dctwin {

std::vector<double> finite_difference_jacobian(Network& net, double t, std::span<const double> y0,
                                               double rel_step) {
    const std::size_t n = net.size();
    std::vector<double> J(n * n), y(y0.begin(), y0.end()), fp(n), fm(n);
    for (std::size_t c = 0; c < n; ++c) {
        const double h = rel_step * std::max(std::abs(y0[c]), 1.0);
        y[c] = y0[c] + h;
        net.rhs(t, y.data(), fp.data());
        y[c] = y0[c] - h;
        net.rhs(t, y.data(), fm.data());
        y[c] = y0[c];
        for (std::size_t r = 0; r < n; ++r) J[c * n + r] = (fp[r] - fm[r]) / (2 * h);
    }
    return J;
}

std::vector<double> dense_jacobian(Network& net, double t, std::span<const double> y) {
    const std::size_t n = net.size();
    std::vector<double> vals(net.nnz()), J(n * n, 0.0);
    net.jacobian(t, y.data(), vals);
    for (std::size_t c = 0; c < n; ++c)
        for (auto k = net.col_ptr()[c]; k < net.col_ptr()[c + 1]; ++k)
            J[c * n + std::size_t(net.row_idx()[std::size_t(k)])] = vals[std::size_t(k)];
    return J;
}

}  // namespace dctwin
