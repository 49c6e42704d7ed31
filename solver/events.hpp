#pragma once
// What can happen during a run: every kind of event a component or the integrator records,
// named once. The names are the results file's and the JSON summary's `kind` (a user
// interface): a new kind goes at the end of the list and gets its own name.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dctwin {

enum class EventKind : std::uint8_t {
    solver_retry,
    // scheduled power events
    utility_outage,
    utility_restored,
    generator_failure,
    generator_load_step,
    generator_start_failed,
    // scheduled cooling faults and their ends
    facility_supply_step,
    cdu_pump_trip,
    cdu_pump_restart,
    chiller_trip,
    chiller_restart,
    economiser_fan_loss,
    economiser_fans_restored,
    // electrical faults and what they cause
    psu_failure,
    psu_repaired,
    pdu_failure,
    load_shed,
    battery_full,
    // devices and jobs
    thermal_throttle_onset,
    thermal_throttle_end,
    shutdown,
    job_stalled,
    memory_over_temperature,
    memory_temperature_normal,
};

inline constexpr std::array<std::string_view, 24> kEventNames{
    "solver_retry",
    "utility_outage",
    "utility_restored",
    "generator_failure",
    "generator_load_step",
    "generator_start_failed",
    "facility_supply_step",
    "cdu_pump_trip",
    "cdu_pump_restart",
    "chiller_trip",
    "chiller_restart",
    "economiser_fan_loss",
    "economiser_fans_restored",
    "psu_failure",
    "psu_repaired",
    "pdu_failure",
    "load_shed",
    "battery_full",
    "thermal_throttle_onset",
    "thermal_throttle_end",
    "shutdown",
    "job_stalled",
    "memory_over_temperature",
    "memory_temperature_normal",
};
static_assert(kEventNames.size() == std::size_t(EventKind::memory_temperature_normal) + 1,
              "every event kind has its name");

/// The name of a kind, as written in results files and summaries.
constexpr std::string_view event_name(EventKind k) { return kEventNames[std::size_t(k)]; }

/// A recorded kind against a name (results read back, tests): the names are the interface.
inline bool operator==(EventKind k, std::string_view name) { return event_name(k) == name; }

inline void to_json(nlohmann::json& j, EventKind k) { j = std::string(event_name(k)); }

}  // namespace dctwin
