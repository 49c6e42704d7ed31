#!/usr/bin/env bash
# Fleet time: the example fleet (sites/fleets/three-climates.yaml: the 100k-GPU campus in
# three climates, one 16k-GPU, 30-day training run placed on each, lumped) on 2 threads.
# Prints the machine, the wall and CPU time of the whole command, each placement's own wall
# time and states, and the ranking. Target (issue 24): under 5 minutes on 2 cores. Needs a
# Release build (./scripts/setup.sh). Usage: bench/fleet.sh [FLEET.yaml]   (DCTWIN_BIN: another
# binary; FLEET_KEEP=DIR: keep the fleet's output folder there)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${DCTWIN_BIN:-build/bin/dctwin}")
fleet=${1:-sites/fleets/three-climates.yaml}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fleet: $fleet"
/usr/bin/time -f "%e %U %S" -o "$out/time" "$bin" fleet "$fleet" -o "$out/run" -j 2 >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
read -r wall user sys <"$out/time"
python3 - "$out/run/cases.jsonl" <<'PY'
import json, sys
print("| placement | status | fits | wall s |")
print("|---|---|---|---|")
for line in open(sys.argv[1]):
    r = json.loads(line)
    v = r.get("values", {})
    res = r.get("results", {})
    print("| %s on %s | %s | %s | %.1f |" % (v.get("workload"), v.get("site"), r.get("status"), res.get("fits"), r.get("wall_s", 0)))
PY
cat "$out/log" | sed -n '/^ranking by/,$p'
awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { printf "fleet: wall %.1f s, CPU %.1f s (%.2f cores busy); target: under 300 s on 2 cores\n", w, u + s, (u + s) / w }'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${FLEET_KEEP:-}" ]; then rm -rf "$FLEET_KEEP" && cp -r "$out/run" "$FLEET_KEEP" && echo "output kept in $FLEET_KEEP"; fi
