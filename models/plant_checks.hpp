#pragma once
// Set points a site's plant cannot reach: found before a run, said as warnings (the run is
// still possible; its supply temperatures will sit above the set points).

#include <string>
#include <vector>

namespace dctwin {

class SiteModel;

/// "file:line:col: warning: key.path: what cannot be reached and why", for: a CDU set point
/// below the facility supply (an exchanger cannot cool below its primary water); a facility
/// set point that the economiser cannot reach at
/// the run's hottest outdoor conditions without a chiller. duration_s: the run's span [s].
std::vector<std::string> plant_warnings(const SiteModel& model, double duration_s);

}  // namespace dctwin
