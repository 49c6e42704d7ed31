#pragma once
// Piecewise-constant inputs made from (time, value) changes: the scenario's events and the
// site's schedules (models/site_scenario.cpp, models/site_model.cpp).

#include <memory>
#include <utility>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

using Change = std::pair<double, double>;  ///< (time [s], value from then on)

/// A piecewise-constant input from changes in the order they were written: sorted by time
/// (stably), and at equal times the last change wins.
std::unique_ptr<StepSchedule> step_schedule(std::vector<Change> c);

}  // namespace dctwin
