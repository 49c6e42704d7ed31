#!/usr/bin/env bash
# Real ParaView (pvbatch) opens the XDMF sidecar of the example site with the reader it picks,
# and the legacy flavour with the legacy reader: the right cells in each group, the right time
# steps and values, fields from the right rows, units in the array names, and a screenshot.
# Then it loads the ParaView state written next to them (what `paraview pod.pvsm` shows): the
# camera, the colours, the scale's title and the time, also after the three files moved.
# The expectations come from `dctwin check` and h5dump, not from the sidecar writer. Then
# viz/paraview/pvpython.sh imports paraview.simple.
#
#   tests/viz/paraview_sidecar.sh BUILD/bin/dctwin WORK_DIR
# Exit 0 passed, 77 skipped (scripts/paraview.sh recorded that it could not install ParaView),
# anything else failed.
set -euo pipefail
bin=$1
work=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=${DCTWIN_PARAVIEW_DIR:-/opt/dctwin/paraview}
if ! command -v pvbatch >/dev/null || [ ! -d "$dir/usr/lib/python3/dist-packages/paraview" ]; then
    if [ -f "$dir.install-failed" ]; then
        echo "SKIPPED: scripts/paraview.sh could not install ParaView: $(cat "$dir.install-failed")"
        exit 77
    fi
    echo "FAILED: ParaView is not installed (pvbatch, $dir): run scripts/paraview.sh" >&2
    exit 1
fi

rm -rf "$work"
mkdir -p "$work"
site="$src/sites/example-pod.yaml"
"$bin" run "$site" -o "$work/pod.h5" --duration 10min >/dev/null
[ -f "$work/pod.xmf" ] || { echo "FAILED: dctwin run wrote no sidecar $work/pod.xmf" >&2; exit 1; }
"$bin" xdmf "$work/pod.h5" --legacy -o "$work/pod-legacy.xmf" >/dev/null

# "...: ok: site example-pod, 4 racks, 160 devices, 1234 states"
check=$("$bin" check "$site")
racks=$(sed -E 's/.* ([0-9]+) racks.*/\1/' <<<"$check")
devices=$(sed -E 's/.* ([0-9]+) devices.*/\1/' <<<"$check")
# The dataset's own dataspace comes first (its attributes, such as the dimension scale's
# REFERENCE_LIST, follow).
halls=$(h5dump -H -d /halls/paths "$work/pod.h5" | sed -nE 's/.*SIMPLE \{ \( ([0-9]+) \).*/\1/p' | head -n1)
dump() {  # dataset, file, [start count]: the values, one per line
    h5dump -y -w 0 -m "%.17g" -d "$1" ${3:+-s "$3" -c "$4"} -o "$work/$2" "$work/pod.h5" >/dev/null
}
dump /time time.txt
rows=$(tr -d ' ,' <"$work/time.txt" | grep -c .)
dump /racks/power power_first.txt "0,0" "1,$racks"
dump /racks/power power_last.txt "$((rows - 1)),0" "1,$racks"
dump /devices/power devices_last.txt "$((rows - 1)),0" "1,$devices"
dump /halls/air_temperature halls_last.txt "$((rows - 1)),0" "1,$halls"
dump /devices/junction_temperature junction_last.txt "$((rows - 1)),0" "1,$devices"
[ -f "$work/pod.pvsm" ] || { echo "FAILED: dctwin run wrote no ParaView state $work/pod.pvsm" >&2; exit 1; }
# The pair moved together: loaded with "Search files under specified directory".
mkdir -p "$work/moved"
cp "$work/pod.h5" "$work/pod.xmf" "$work/pod.pvsm" "$work/moved/"

check_in_paraview() {
  "$src/viz/paraview/pvbatch.sh" "$src/tests/viz/paraview_sidecar.py" "$work/pod.xmf" --legacy "$work/pod-legacy.xmf" \
      --cells "racks=$racks" "devices=$devices" "halls=$halls" --times "$work/time.txt" \
      --first "$work/power_first.txt" --last "$work/power_last.txt" \
      --devices-last "$work/devices_last.txt" --halls-last "$work/halls_last.txt" --screenshot "$work/paraview.png" \
      --state "$work/pod.pvsm" --moved "$work/moved/pod.pvsm" --junction-last "$work/junction_last.txt" \
      2>&1 | tee "$work/pvbatch.log"
  return "${PIPESTATUS[0]}"
}
# Now and then (about one run in five, also alone, twice in a row in one CI run, each time on
# display :0) pvbatch's render window found no X server on the private Xvfb it was given ("bad
# X server connection") and aborted; not understood (a server elsewhere holding the abstract
# socket of :0 would explain it: pvbatch.sh now takes a high random display). That case, and
# only that one, is tried again on a fresh server, at most twice, and said.
for attempt in 1 2 3; do
  if check_in_paraview; then break; fi
  grep -q "bad X server connection" "$work/pvbatch.log" || exit 1
  [ "$attempt" = 3 ] && exit 1
  echo "note: pvbatch lost its X server (bad X server connection): trying again on a fresh Xvfb"
done

# pvpython as documented: paraview.simple imports and makes a source.
out=$("$src/viz/paraview/pvpython.sh" -c \
    "from paraview import simple; s = simple.Sphere(); s.UpdatePipeline(); print('points', s.GetDataInformation().GetNumberOfPoints())")
[ "$out" = "points 50" ] || { echo "FAILED: viz/paraview/pvpython.sh: '$out' (expected 'points 50')" >&2; exit 1; }
echo "ok:   viz/paraview/pvpython.sh imports paraview.simple"
