#pragma once
// Fleets: several sites, each with its weather, grid series and overrides, and workloads to
// place on them (a training job of N GPUs of a type for a duration, an inference service).
// Every (workload, site) pair is a case of the sweep machinery (runner, journal, MPI,
// summary): the case places the workload on the site's free racks, checks that it fits
// (enough GPUs of the type; power and cooling utilisation at most 1 at the design point of
// the period: its highest IT load, and of those times the hottest outdoors), runs the site
// for the workload's duration and adds the placement's figures to the summary. The format
// is described in sites/fleets/README.md.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sweep/summary.hpp"
#include "sweep/sweep_file.hpp"

namespace dctwin::sweep {

/// The format version of fleet files (the `dctwin_fleet:` key).
inline constexpr int kFleetFormatVersion = 1;

/// The objectives a fleet's placements are ranked by.
inline const std::vector<std::string>& fleet_objectives() {
    static const std::vector<std::string> o = {"cost", "carbon", "energy", "water", "throughput"};
    return o;
}

/// Reads and validates a fleet file, its sites (each loaded with its overrides) and its
/// workloads (each checked against the first site), and makes its cases: for every workload
/// in file order, every site in file order. Throws dctwin::InputError (file:line:col, key
/// path, what was expected) on bad input. `objective` receives the file's `objective:`
/// (default "cost"); it is not part of the fleet's hash (ranking again runs nothing).
Sweep load_fleet(const std::string& path, std::string* objective = nullptr);
/// As load_fleet, from text in memory; `label` names it in messages and relative paths
/// resolve against its folder.
Sweep load_fleet_text(std::string_view text, const std::string& label, std::string* objective = nullptr);

/// One placement in the ranking.
struct RankedPlacement {
    std::string workload, site;
    std::size_t rank = 0;       ///< 1 = best, per workload
    bool fits = false;
    double value = 0;           ///< the objective's figure (NaN: none)
    std::string reason;         ///< why it does not fit, or why it has no value
};

/// The column and unit of an objective ("cost" -> grid_cost, the grid's currency).
/// Throws std::invalid_argument for an unknown objective.
std::string objective_column(const std::string& objective);

/// Ranks the placements of a fleet's summary per workload: fitting ones first, by the
/// objective (lower is better; throughput: higher), those without a value after them, then
/// non-fitting ones by their GPU shortfall and headroom; ties by site order in the file.
/// Throws std::invalid_argument for an unknown objective or a table that is not a fleet's.
std::vector<RankedPlacement> rank_fleet(const SummaryTable& table, const std::string& objective);

/// Writes DIR/ranking.csv (workload, rank, site, fits, objective, value, unit, reason) and
/// returns the ranking as printable text. Throws SweepDirError.
std::string write_ranking(const SummaryTable& table, const std::vector<RankedPlacement>& ranking,
                          const std::string& objective, const std::string& dir);

}  // namespace dctwin::sweep
