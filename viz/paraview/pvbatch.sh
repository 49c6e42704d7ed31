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
# A display number of its own, high and random (one that another server, in this system or in
# one sharing its abstract sockets, may hold is skipped; an Xvfb that finds its number taken
# exits, and the next number is tried); -displayfd says when the server accepts clients.
tmp=$(mktemp -d)
xvfb=
trap '[ -n "$xvfb" ] && kill $xvfb 2>/dev/null; [ -n "$xvfb" ] && wait $xvfb 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 10); do
    n=$((200 + RANDOM % 700))
    [ -e "/tmp/.X$n-lock" ] && continue
    grep -qa "X11-unix/X$n\b" /proc/net/unix 2>/dev/null && continue
    : >"$tmp/display"
    Xvfb ":$n" -displayfd 3 -screen 0 1920x1200x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
    xvfb=$!
    for _ in $(seq 200); do
        [ -s "$tmp/display" ] && break
        kill -0 $xvfb 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$tmp/display" ] && break
    kill $xvfb 2>/dev/null || true; wait $xvfb 2>/dev/null || true; xvfb=
done
if [ ! -s "$tmp/display" ]; then
    echo "pvbatch.sh: Xvfb did not start: $(cat "$tmp/xvfb.log")" >&2
    exit 3
fi
DISPLAY=":$(head -n1 "$tmp/display")" pvbatch "$@"
