#pragma once
// `dctwin headroom SITE`: how far the load can grow before each family of constraints
// (silicon, cooling, power) binds, and how warm it can get outside before cooling binds at
// today's load. Each point is a steady (design-point) solve of the scaled site at the design
// time; the limits are found by bracketing and bisection.
//
// Load axes (factor k, 1 = the site as written):
//   load   every device's powers (idle, dynamic, leakage, memory) and power cap, and the
//          racks' other loads, times k: denser silicon in the same racks, cold plates and
//          power chain;
//   racks  every row's rack count times k (rounded, at least 1): more racks on the same
//          CDUs, plant and power chain. The factor reported is racks(k) / racks(1).
// Temperature axis: the outdoor dry and wet bulb shifted together (ambient.shift).
//
// Power caps are operating settings rather than capacities (a capped device runs at its
// cap at any k on the load axis), so the silicon family here means temperatures: junctions
// and memory. Whether devices run at their cap today is reported on its own.

#include <string>

#include <nlohmann/json.hpp>

#include "input/site_spec.hpp"
#include "models/constraints.hpp"

namespace dctwin {

struct HeadroomOptions {
    std::string axis = "load";   ///< "load" or "racks"
    /// [s] design time; NaN: the time of the highest IT load over the run's span, and of
    /// those the hottest outdoor dry bulb.
    double at = std::nan("");
    double max_factor = 8.0;     ///< [1] search no further up
    double min_factor = 1.0 / 64;  ///< [1] nor further down
    double tolerance = 0.002;    ///< [1] relative width of the final bracket
    double max_shift = 40.0;     ///< [K] the outdoor-temperature search spans +-max_shift
    double temperature_tolerance = 0.02;  ///< [K]
};

struct FamilyHeadroom {
    double today = std::nan("");     ///< [1] highest utilisation at k = 1 (NaN: no constraint)
    std::string today_constraint;    ///< which
    /// [1] load factor at which the family reaches utilisation 1; NaN when it does not within
    /// [min_factor, max_factor] (see below/above).
    double factor = std::nan("");
    std::string constraint;          ///< the constraint that reaches 1 there
    bool below = false;              ///< already over its limit at min_factor
    bool above = false;              ///< still under its limit at max_factor
};

struct HeadroomResult {
    std::string site, axis;
    double at = 0;                   ///< [s] design time
    double dry_bulb = 0;             ///< [K] outdoor dry bulb at the design time
    FamilyHeadroom family[kFamilies];
    int first = -1;                  ///< family that binds at the lowest factor, -1: none within the span
    double cooling_dry_bulb = std::nan("");  ///< [K] outdoor dry bulb at which cooling binds at k = 1
    std::string cooling_constraint;  ///< the constraint that binds there
    int cooling_search = 2;          ///< 0 found, -1 binds below the span, +1 not within it, 2 not searched
    double max_shift = 0, max_factor = 0;  ///< [K], [1] the search spans
    double power_cap_today = std::nan("");  ///< [1] highest power-cap utilisation at k = 1
    int evaluations = 0, failures = 0;  ///< steady solves, and those that found no steady state
    double wall_s = 0;

    nlohmann::json to_json() const;
    std::string to_text() const;
};

/// Throws InputError for an unknown axis or a site the design point cannot be built for.
HeadroomResult headroom(const SiteSpec& site, const HeadroomOptions& opt);

/// The site scaled by k on an axis (see above).
SiteSpec scale_site(const SiteSpec& site, const std::string& axis, double k);

}  // namespace dctwin
