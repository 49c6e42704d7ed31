#!/usr/bin/env bash
# Runs every example site with two builds and compares the results files series by series
# (bench/compare.py: data, not bytes): what a refactor or a speed-up changed.
#   bench/compare_examples.sh OLD_BIN NEW_BIN [DURATION] [--set k=v ...]
# DURATION defaults to 10min; campus-100k runs 2 min. Prints, per site, the steps and solver time
# of both, the summary's energies against the energy drawn, the hottest junction, and the series
# with the largest relative difference; needs Debian's python3-h5py.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?old binary}; new=${2:?new binary}; span=${3:-10min}
shift 3 || shift $#
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for site in sites/*.yaml; do
  name=$(basename "$site" .yaml)
  d=$span
  [ "$name" = campus-100k ] && d=2min
  for which in old new; do
    bin=$old; [ $which = new ] && bin=$new
    "$bin" run "$site" -o "$out/$name.$which.h5" --force --json --duration "$d" "$@" >"$out/$name.$which.json" 2>"$out/$name.$which.err" ||
      { echo "$name: $which run failed: $(tail -1 "$out/$name.$which.err")"; continue 2; }
  done
  worst=$(/usr/bin/python3 bench/compare.py "$out/$name.old.h5" "$out/$name.new.h5" --top 1 2>/dev/null | head -1 || true)
  /usr/bin/python3 - "$out/$name.old.json" "$out/$name.new.json" "$name" "$worst" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
# Every energy of the summary against the energy drawn (stored_change is a small difference).
scale = max(abs(a["energy_J"]["grid"]) + abs(a["energy_J"].get("generator", 0.0)), 1.0)
rel = max(abs(a["energy_J"][k] - b["energy_J"][k]) for k in a["energy_J"]) / scale
dT = abs(a["max_junction_temperature_C"] - b["max_junction_temperature_C"])
print(f"{sys.argv[3]}: steps {a['solver']['steps']} -> {b['solver']['steps']}, solver {a['solver']['wall_s']:.2f} s -> "
      f"{b['solver']['wall_s']:.2f} s; energies within {rel:.2g} of the energy drawn; hottest junction {dT * 1e3:.2g} mK; "
      f"largest series difference: {sys.argv[4]}")
PY
done
