#pragma once
// The ParaView state of a results file: OUT.pvsm next to the sidecar OUT.xmf, so that
// `paraview OUT.pvsm` (ParaView 5.11 loads a .pvsm given on its command line as a state) or
// File > Load State shows the default view with no script and no reader choice: the site
// from the front left and above (a plain File > Open of OUT.xmf gets ParaView's own camera,
// straight down on the roofs: XDMF carries no camera), the devices coloured by their junction
// temperature inside rack outlines (else the racks by theirs), a viridis scale over the last
// output time with a least span (viz/scene.hpp: least_span) titled with the unit, the halls
// as a grey floor, the site's name and the time in min, h or d.
//
// Written by hand, not by ParaView: the proxies and properties this view needs, every other
// property left to ParaView's defaults (tests/viz/paraview_sidecar.py loads it in pvbatch).
// The sidecar is named by its absolute path (Xdmf3 finds the results file from the sidecar's
// folder only then); a moved pair loads with File > Load State, "Search files under specified
// directory" (the state's own folder by default).

#include <string>

namespace dctwin::viz {

struct Scene;

/// OUT.xmf -> OUT.pvsm (any other name gets ".pvsm" appended).
std::string state_path(const std::string& sidecar);

/// The state's text for the scene `s` whose sidecar is `sidecar` (made absolute here). Reads
/// the shown field's last row from the results file. Throws ResultsError.
std::string paraview_state(const Scene& s, const std::string& sidecar);

}  // namespace dctwin::viz
