#pragma once
// The XDMF sidecar of a results file: OUT.xmf next to OUT.h5, so that File > Open in ParaView
// 5.11 shows the site's boxes animated over the output times with the reader it picks
// (Xdmf3ReaderS; Xdmf3ReaderT too).
//
// Layout: one temporal collection; each step a spatial collection with one grid per box group
// (viz/scene.hpp: racks, devices, halls, any group with `/<g>/geometry`) and its <Time Value>
// in s. Each group's points and connectivity are written once and included by every step
// (XInclude). Racks are box outlines (one 16-point polyline each) when devices are drawn
// inside them, hexahedra otherwise. Every cell field is one row of its series in the results
// file itself, nothing is copied, and is named "field [unit]". Rows sharing a time make one
// step (the later row); a `running` file (killed) gets the steps of its valid rows. Units,
// the site's name and the run's status are also <Information> at the domain level
// (viz/paraview/open_results.py uses them). The sidecar is no larger than its results file:
// a run with more output times than that allows shows every stride-th and the last
// (write_xdmf). Next to it, OUT.pvsm holds the default view (viz/paraview_state.hpp).
//
// The row selection differs between ParaView's readers: the Xdmf3 readers take it in the
// HDF reference (FILE:/DATASET|start:stride:count:dims), which the legacy "XDMF Reader"
// cannot read; the legacy reader takes a HyperSlab item, which the Xdmf3 readers skip. The
// default flavour is for the Xdmf3 readers; XdmfFlavour::legacy writes the other.

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
    std::string state;        ///< the ParaView state written next to it (viz/paraview_state.hpp; "" for legacy)
    std::size_t steps = 0;    ///< time steps in the sidecar
    std::size_t output_times = 0;  ///< time steps of the file (rows sharing a time count once)
    std::size_t stride = 1;   ///< the sidecar shows every stride-th of them and the last
    double t_first = 0, t_last = 0;  ///< [s]
    struct Grid {
        std::string name;
        std::size_t cells = 0, fields = 0;
    };
    std::vector<Grid> grids;  ///< one per box group
};

/// Which of ParaView's XDMF readers the sidecar is written for (see above).
enum class XdmfFlavour {
    xdmf3,   ///< Xdmf3ReaderS / Xdmf3ReaderT, ParaView's choice for .xmf
    legacy,  ///< "XDMF Reader" (XDMF 2)
};

/// Writes the sidecar of `results` to `output` (default: sidecar_path(results)) and, for the
/// xdmf3 flavour, the ParaView state next to it (state_path), replacing existing ones
/// atomically (written aside, then renamed). Throws ResultsError (not a results file),
/// ViewError (nothing to show) or std::runtime_error (cannot write).
/// The sidecar is no larger than the results file: when every output time would make it
/// larger, it shows every stride-th and the last (XdmfSummary::stride; `<Information
/// Name="stride">`); `all_steps` shows every one whatever the size.
XdmfSummary write_xdmf(const std::string& results, const std::string& output = {},
                       XdmfFlavour flavour = XdmfFlavour::xdmf3, bool all_steps = false);

/// `dctwin xdmf RESULTS [-o OUT.xmf] [--legacy] [--all-steps]`: writes the sidecar and says what it holds.
/// Returns the exit status: 0, 1 (cannot write), 2 (bad input: missing file, not a results file).
int xdmf_command(const std::string& results, const std::string& output,
                 XdmfFlavour flavour = XdmfFlavour::xdmf3, bool all_steps = false);

/// After `dctwin run` (also an interrupted or failed run): writes the sidecar; with
/// `announce`, prints a line saying where on stdout. A failure is a warning on stderr, never
/// the run's failure.
void write_sidecar_after_run(const std::string& results, bool announce);

}  // namespace dctwin::viz
