#pragma once
// The XDMF 2 sidecar of a results file: OUT.xmf next to OUT.h5, so that File > Open in
// ParaView 5.11 (its "Xdmf Reader") shows the site's boxes animated over the output times.
//
// Layout: one temporal collection per box group (viz/scene.hpp: racks, devices, halls, any
// group with `/<g>/geometry`), one uniform grid per time step with its <Time Value>. The
// points of each group are written once, inline, and referenced by every step (the Xdmf 2
// reader resolves the reference lazily, so a long run of a large site stays small); the
// hexahedra use the default connectivity (box i = points 8i..8i+7). Every cell field is a
// hyperslab of one row of its series in the results file itself: nothing is copied. Rows
// sharing a time make one step (the later row). A `running` file (killed) gets the steps of
// its valid rows. Units are <Information Name="units:<group>/<field>" Value="degC"/> at the
// domain level, with the site's name and the run's status (readers ignore them;
// viz/paraview/open_results.py uses them).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace dctwin::viz {

/// The sidecar's path: OUT.h5 -> OUT.xmf in the same folder (OUT.hdf5 too; any other name
/// gets ".xmf" appended).
std::string sidecar_path(const std::string& results);

struct XdmfSummary {
    std::string path;         ///< the sidecar written
    std::size_t steps = 0;    ///< time steps
    double t_first = 0, t_last = 0;  ///< [s]
    struct Grid {
        std::string name;
        std::size_t cells = 0, fields = 0;
    };
    std::vector<Grid> grids;  ///< one per box group
};

/// Writes the sidecar of `results` to `output` (default: sidecar_path(results)), replacing
/// an existing one atomically (written aside, then renamed). Throws ResultsError (not a
/// results file), ViewError (nothing to show) or std::runtime_error (cannot write).
XdmfSummary write_xdmf(const std::string& results, const std::string& output = {});

/// `dctwin xdmf RESULTS [-o OUT.xmf]`: writes the sidecar and says what it holds. Returns the
/// exit status: 0, 1 (cannot write), 2 (bad input: missing file, not a results file).
int xdmf_command(const std::string& results, const std::string& output);

/// After `dctwin run` (also an interrupted or failed run): writes the sidecar; with
/// `announce`, prints a line saying where on stdout. A failure is a warning on stderr, never
/// the run's failure.
void write_sidecar_after_run(const std::string& results, bool announce);

}  // namespace dctwin::viz
