#!/usr/bin/env bash
# Runs the benchmark scenarios and prints one row each: size, simulated and wall time, ratio
# to real time, solver work, state-steps per second and peak memory. Needs a Release build
# (./scripts/setup.sh) and python3 for the table. Usage: bench/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/dctwin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
quick=${1:-}

# name | site | extra arguments
scenarios=(
  "example-pod 1h|sites/example-pod.yaml|--duration 1h"
  "hotspot-pod 30min|sites/hotspot-pod.yaml|--duration 30min"
  "scale 1k GPUs 1h|sites/example-pod.yaml|--duration 1h --set halls.hall1.rows.rowA.count=30 --set halls.hall1.rows.rowB.count=2 --set simulation.write_states=false"
  "scale 10k GPUs 1h|sites/example-pod.yaml|--duration 1h --set halls.hall1.rows.rowA.count=300 --set halls.hall1.rows.rowB.count=13 --set simulation.write_states=false"
)
[ "$quick" = "--quick" ] || scenarios+=(
  "scale 100k GPUs 1h|sites/example-pod.yaml|--duration 1h --set halls.hall1.rows.rowA.count=3000 --set halls.hall1.rows.rowB.count=125 --set simulation.write_states=false"
)

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
rows=()
for s in "${scenarios[@]}"; do
  IFS='|' read -r name site args <<<"$s"
  # shellcheck disable=SC2086
  /usr/bin/time -f "%M" -o "$out/mem" "$bin" run "$site" -o "$out/r.h5" --force --json $args >"$out/j.json"
  rows+=("$name|$(cat "$out/mem")|$(tr -d '\n' <"$out/j.json")")
done
printf '%s\n' "${rows[@]}" | python3 -c '
import json, sys
print("| scenario | devices | states | simulated s | wall s | x real time | steps | rhs | jac | state-steps/s | peak MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for line in sys.stdin:
    name, mem, js = line.rstrip("\n").split("|", 2)
    j = json.loads(js)
    s = j["solver"]
    w = s["wall_s"]
    print("| %s | %d | %d | %.0f | %.3f | %.0f | %d | %d | %d | %.3g | %.0f |" % (
        name, j["devices"], j["states"], j["duration_s"], w, j["duration_s"] / w, s["steps"], s["rhs_evals"],
        s["jac_evals"], j["states"] * s["steps"] / w, int(mem) / 1024))
'
echo "wall s: time inside the solver (excludes set-up, the initial steady state and output); peak MB: whole process."
