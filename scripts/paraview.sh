#!/usr/bin/env bash
# Installs ParaView 5.11 from Debian's packages for the ParaView test and viz/paraview/*.py,
# without removing libvtk9-dev: python3-paraview conflicts with python3-vtk9 (which
# libvtk9-dev needs), so it is unpacked with `dpkg -x` into a private folder instead of
# installed (../shared/notes/stack.md). Idempotent: skips what is present.
#
#   scripts/paraview.sh                 # installs; prints the PYTHONPATH to use
#   DCTWIN_PARAVIEW_DIR=/some/dir scripts/paraview.sh
#
# Then: viz/paraview/pvbatch.sh viz/paraview/open_results.py out/pod.h5 -o pod.png
#       viz/paraview/pvpython.sh      (not Debian's pvpython: it loads python3-vtk9's modules
#                                      first and crashes on `from paraview import simple`)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${DCTWIN_PARAVIEW_DIR:-/opt/dctwin/paraview}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# A failure is recorded in $dir.install-failed: the ParaView test then reports itself skipped
# with the reason, instead of failing for want of ParaView (or passing silently).
failed="$dir.install-failed"
record_failure() {
    local status=$?
    echo "paraview: installation failed (exit status $status); recorded in $failed" >&2
    $sudo mkdir -p "$(dirname "$failed")" 2>/dev/null &&
        echo "scripts/paraview.sh failed with exit status $status on $(date -u +%FT%TZ)" | $sudo tee "$failed" >/dev/null
    exit $status
}
trap record_failure ERR

# pvbatch, pvpython and the ParaView libraries; python3-paraview is only recommended.
./scripts/install.sh paraview xvfb xauth

version=$(dpkg-query -W -f='${Version}' paraview)
stamp="$dir/.python3-paraview-$version"
site="$dir/usr/lib/python3/dist-packages"
if [ -f "$stamp" ] && [ -d "$site/paraview" ]; then
    echo "paraview: python3-paraview $version is unpacked in $dir"
else
    echo "paraview: unpacking python3-paraview $version into $dir"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # `apt-get download` fetches the exact version matching the installed paraview.
    (cd "$tmp" && apt-get download -q "python3-paraview=$version" >/dev/null) || {
        $sudo apt-get update -q
        (cd "$tmp" && apt-get download -q "python3-paraview=$version")
    }
    $sudo rm -rf "$dir"
    $sudo mkdir -p "$dir"
    $sudo dpkg -x "$tmp"/python3-paraview_*.deb "$dir"
    $sudo touch "$stamp"
fi
$sudo rm -f "$failed"
echo "paraview: PYTHONPATH=$site"
echo "paraview: pvpython: viz/paraview/pvpython.sh; pvbatch: viz/paraview/pvbatch.sh"
