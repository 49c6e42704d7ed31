#pragma once
// Helpers shared by the models tests: scratch files, events by kind, and the comparison of a
// network's analytic Jacobian with central differences.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "models/simulation.hpp"
#include "solver/integrator.hpp"
#include "solver/jacobian_check.hpp"
#include "solver/network.hpp"

namespace dctwin::test {

/// A file in this process's scratch folder for the area `tag` (created on first use).
inline std::string scratch(const std::string& tag, const std::string& name) {
    const auto d = std::filesystem::temp_directory_path() / ("dctwin-" + tag + "-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return (d / name).string();
}

/// The run's events of one kind, in time order.
inline std::vector<Event> of_kind(const RunSummary& s, const std::string& kind) {
    std::vector<Event> out;
    for (const auto& e : s.events)
        if (e.kind == kind) out.push_back(e);
    return out;
}

/// Entries where the analytic Jacobian at (t, y) and central differences disagree by more than
/// 1e-5 relative (absolute below 1); the first few are reported.
inline std::size_t jacobian_mismatches(Network& net, double t, const std::vector<double>& y) {
    const std::size_t n = net.size();
    const auto Ja = dense_jacobian(net, t, y);
    const auto Jf = finite_difference_jacobian(net, t, y, 1e-7);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n * n; ++i)
        if (std::abs(Ja[i] - Jf[i]) > 1e-5 * std::max(1.0, std::abs(Jf[i])) && bad++ < 5)
            MESSAGE("d(" << net.states()[i % n].path << ")/d(" << net.states()[i / n].path << "): analytic " << Ja[i]
                         << ", finite difference " << Jf[i]);
    return bad;
}

}  // namespace dctwin::test
