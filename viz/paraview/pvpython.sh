#!/usr/bin/env bash
# pvpython for the ParaView that scripts/paraview.sh installs: Debian's python3 with the
# unpacked python3-paraview first on the path. Debian's own `pvpython` cannot be used: it puts
# /usr/lib/python3/dist-packages (python3-vtk9's vtkmodules, which libvtk9-dev needs) before
# PYTHONPATH, and `from paraview import simple` then crashes in the wrong vtkmodules.
#
#   viz/paraview/pvpython.sh                                   # interactive
#   viz/paraview/pvpython.sh -i viz/paraview/open_results.py out/pod.h5
#   viz/paraview/pvpython.sh -c "from paraview import simple; print(simple.GetParaViewVersion())"
#
# Renders on the X display there is (DISPLAY); for pictures without one use pvbatch.sh.
set -euo pipefail
dir=${DCTWIN_PARAVIEW_DIR:-/opt/dctwin/paraview}
site="$dir/usr/lib/python3/dist-packages"
if [ ! -d "$site/paraview" ]; then
    echo "pvpython.sh: ParaView's Python modules are not installed: run scripts/paraview.sh" >&2
    exit 3
fi
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
# Debian's interpreter, whatever python3 comes first on PATH: the modules are built for it.
exec /usr/bin/python3 "$@"
