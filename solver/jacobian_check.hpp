#pragma once
// Dense Jacobians of a Network for tests and checks: the analytic one laid out densely, and
// central differences of its right-hand side to hold it against.

#include <span>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

/// Central finite-difference Jacobian of net.rhs, dense column-major n x n (O(n) right-hand
/// sides, O(n^2) memory).
std::vector<double> finite_difference_jacobian(Network& net, double t, std::span<const double> y,
                                               double rel_step = 1e-6);
/// The analytic Jacobian of net, dense column-major n x n.
std::vector<double> dense_jacobian(Network& net, double t, std::span<const double> y);

}  // namespace dctwin
