#!/usr/bin/env bash
# What the solver's tolerances cost in accuracy, against a reference run at rtol 1e-8 and
# atol_temperature 1e-6 K: Frontier for 10 minutes (its 15 s job mix, 5 s rows) and the
# hot-spot pod for 30 minutes (thermal throttling and power caps). For each setting: steps,
# solver time, the largest error of every device's junction and plate over every row, of
# every rack's coolant return, of the site's energies (relative), and of the times of the
# throttle onsets and ends (events).
# Needs a Release build (./scripts/setup.sh) and Debian's python3-h5py.
#   bench/accuracy.sh            about two and a half minutes on 2 cores
#   ROWS="15 s" bench/accuracy.sh   rows every 15 s instead of 5 s
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DCTWIN_BIN:-build/bin/dctwin}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
./scripts/install.sh python3-h5py >/dev/null

settings=(
  "ref|simulation.solver.rtol=1e-8|simulation.solver.atol_temperature=1e-6 K"
  "default (rtol 1e-6, atol 0.01 K)"
  "atol 0.02 K|simulation.solver.atol_temperature=0.02 K"
  "atol 0.05 K|simulation.solver.atol_temperature=0.05 K"
  "rtol 1e-4, atol 1e-4 K|simulation.solver.rtol=1e-4|simulation.solver.atol_temperature=1e-4 K"
  "rtol 1e-6, atol 1e-4 K (before)|simulation.solver.atol_temperature=1e-4 K"
  "method esdirk (atol 0.01 K)|simulation.solver.method=esdirk"
)
rows_every=${ROWS:-5 s}
for site in "frontier|10min|$rows_every" "hotspot-pod|30min|$rows_every"; do
  IFS='|' read -r name span rows <<<"$site"
  for i in "${!settings[@]}"; do
    IFS='|' read -r -a parts <<<"${settings[$i]}"
    sets=(--set "simulation.output_interval=$rows" --set simulation.write_states=true)
    for s in "${parts[@]:1}"; do sets+=(--set "$s"); done
    echo "running: $name, ${parts[0]}" >&2
    "$bin" run "sites/$name.yaml" -o "$out/$name.$i.h5" --force --json --duration "$span" "${sets[@]}" >"$out/$name.$i.json"
  done
done

/usr/bin/python3 - "$out" "$rows_every" "${#settings[@]}" "${settings[@]}" <<'PY'
import json, sys
import h5py, numpy as np
out, rows, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
labels = [s.split("|")[0] for s in sys.argv[4:4 + n]]
for name, span in (("frontier", "10 min"), ("hotspot-pod", "30 min")):
    ref = h5py.File(f"{out}/{name}.0.h5", "r")
    rj = json.load(open(f"{out}/{name}.0.json"))
    print(f"\n{name}, {span}, {rows} rows: largest difference from rtol 1e-8, atol_temperature 1e-6 K "
          f"({rj['solver']['steps']} steps)\n")
    print("| setting | steps | solver s | every junction [mK] | every plate [mK] | rack coolant return [mK] "
          "| energies [relative] | throttle events: count, largest time error [s] |")
    print("|---|---|---|---|---|---|---|---|")
    ref_ev = [(e["time_s"], e["path"], e["kind"]) for e in rj["events"] if "throttle" in e["kind"]]
    for i in range(1, n):
        f = h5py.File(f"{out}/{name}.{i}.h5", "r")
        j = json.load(open(f"{out}/{name}.{i}.json"))
        def err(d):
            return 1e3 * float(np.nanmax(np.abs(f[d][()] - ref[d][()])))
        e_rel = max(abs(j["energy_J"][k] - rj["energy_J"][k]) for k in ("grid", "it", "cooling", "losses")) \
            / rj["energy_J"]["grid"]
        ev = [(e["time_s"], e["path"], e["kind"]) for e in j["events"] if "throttle" in e["kind"]]
        if len(ev) == len(ref_ev) and all(a[1:] == b[1:] for a, b in zip(ev, ref_ev)):
            dt = max((abs(a[0] - b[0]) for a, b in zip(ev, ref_ev)), default=0.0)
            events = f"{len(ev)}, {dt:.2g}"
        else:
            events = f"{len(ev)} against {len(ref_ev)}"
        print(f"| {labels[i]} | {j['solver']['steps']} | {j['solver']['wall_s']:.2f} | "
              f"{err('devices/junction_temperature'):.3g} | {err('devices/plate_temperature'):.3g} | "
              f"{err('racks/coolant_return_temperature'):.3g} | {e_rel:.2g} | {events} |")
PY
