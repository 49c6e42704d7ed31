#!/usr/bin/env bash
# What a looser solver tolerance costs in accuracy: Frontier for 10 minutes with 1 s rows at
# rtol 1e-6 (the default), 1e-5 and 1e-4, each against a reference run at 1e-7; prints the
# largest and the 99th-percentile difference over every row and rack of the hottest junction
# and of the coolant return, with the steps and wall time of each run.
# Needs a Release build (./scripts/setup.sh), h5dump (hdf5-tools, installed by setup) and python3.
#   bench/accuracy.sh                   about a minute on 2 cores
#   bench/accuracy.sh 30min             another span
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DCTWIN_BIN:-build/bin/dctwin}
span=${1:-10min}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for r in 1e-7 1e-6 1e-5 1e-4; do
  echo "running: rtol $r" >&2
  "$bin" run sites/frontier.yaml -o "$out/$r.h5" --force --json --duration "$span" \
    --set "simulation.output_interval=1 s" --set "simulation.solver.rtol=$r" >"$out/$r.json"
  for d in max_junction_temperature coolant_return_temperature; do
    # Every value at full precision, one per line.
    h5dump -m "%.17g" -d "/racks/$d" -y -w 0 "$out/$r.h5" | tail -n +2 | tr ', ' '\n\n' |
      grep -E '^-?[0-9]' >"$out/$r.$d" || true
  done
done

python3 - "$out" "$span" <<'PY'
import json, sys
out, span = sys.argv[1], sys.argv[2]
def values(r, d):
    return [float(x) for x in open(f"{out}/{r}.{d}")]
ref = {d: values("1e-7", d) for d in ("max_junction_temperature", "coolant_return_temperature")}
print(f"Frontier, {span} with 1 s rows; differences against rtol 1e-7 over every row and rack [mK]")
print()
print("| rtol | steps | solver s | rack max junction: max | p99 | rack coolant return: max | p99 |")
print("|---|---|---|---|---|---|---|")
for r in ("1e-6", "1e-5", "1e-4"):
    j = json.load(open(f"{out}/{r}.json"))
    cells = []
    for d in ("max_junction_temperature", "coolant_return_temperature"):
        v = values(r, d)
        if len(v) != len(ref[d]):
            sys.exit(f"accuracy: {d} has {len(v)} values at rtol {r}, {len(ref[d])} at 1e-7")
        diff = sorted(abs(a - b) for a, b in zip(v, ref[d]))
        cells += ["%.2g" % (1e3 * diff[-1]), "%.2g" % (1e3 * diff[int(0.99 * (len(diff) - 1))])]
    s = j["solver"]
    print("| %s | %d | %.2f | %s |" % (r, s["steps"], s["wall_s"], " | ".join(cells)))
PY
