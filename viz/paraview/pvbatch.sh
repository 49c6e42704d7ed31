#!/usr/bin/env bash
# Runs ParaView's pvbatch with the python3-paraview that scripts/paraview.sh unpacked, on the
# display there is or, without one, on a private Xvfb (Debian's ParaView renders through X).
#
#   viz/paraview/pvbatch.sh viz/paraview/open_results.py out/pod.h5 -o pod.png
set -euo pipefail
dir=${DCTWIN_PARAVIEW_DIR:-/opt/dctwin/paraview}
site="$dir/usr/lib/python3/dist-packages"
if ! command -v pvbatch >/dev/null || [ ! -d "$site/paraview" ]; then
    echo "pvbatch.sh: ParaView is not installed: run scripts/paraview.sh" >&2
    exit 3
fi
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
if [ -n "${DISPLAY:-}" ]; then
    exec pvbatch "$@"
fi
if ! command -v Xvfb >/dev/null; then
    echo "pvbatch.sh: no X display and no Xvfb: install it (sudo apt-get install xvfb)" >&2
    exit 3
fi
# -displayfd: Xvfb picks a free display itself and says which once it accepts clients, so
# that parallel runs do not race for a number.
tmp=$(mktemp -d)
Xvfb -displayfd 3 -screen 0 1920x1200x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; wait $xvfb 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 200); do
    [ -s "$tmp/display" ] && break
    kill -0 $xvfb 2>/dev/null || break
    sleep 0.1
done
if [ ! -s "$tmp/display" ]; then
    echo "pvbatch.sh: Xvfb did not start: $(cat "$tmp/xvfb.log")" >&2
    exit 3
fi
DISPLAY=":$(head -n1 "$tmp/display")" pvbatch "$@"
