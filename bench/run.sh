#!/usr/bin/env bash
# Runs the benchmark scenarios and prints two tables: size, simulated and wall time, ratio to
# real time, solver work, state-steps per second and peak memory; then where the time went.
# Needs a Release build (./scripts/setup.sh) and python3 for the tables.
#   bench/run.sh            every scenario (about 15 minutes on 2 cores)
#   bench/run.sh --quick    without the 100k-GPU cases and the long resolved runs (a minute)
#   bench/run.sh NAME...    only the scenarios whose name contains one of the words
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DCTWIN_BIN:-build/bin/dctwin}
./scripts/install.sh python3-h5py >/dev/null  # bench/compare.py
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
quick=0
filters=()
for a in "$@"; do
  if [ "$a" = "--quick" ]; then quick=1; else filters+=("$a"); fi
done

# A training job over the whole site: 2 s iterations (70 % compute at full activity, 30 %
# communication at 0.4), a 60 s checkpoint at 0.1 every 30 min.
train() {
  printf 'workload={jobs: {train: {training: {iteration_period: 2 s, compute_fraction: 0.7, compute_activity: 1, communication_activity: 0.4, checkpoint_interval: 30 min, checkpoint_duration: 60 s, checkpoint_activity: 0.1, resolution: %s}}}}' "$1"
}

# Manufacturing spread on every resolved scenario, so that every device differs (nothing could
# be lumped): 5 % on thermal resistances, 10 % on leakage.
spread='variability={thermal_resistance: 0.05, leakage: 0.1}'

# name | long (skipped by --quick) | site | arguments, one per line
scenarios=(
  "h100-pod 24 h, averaged training, design day|0|sites/h100-pod.yaml|--duration
24h
--set
$spread
--set
$(train averaged)"
  "gb200-hall 1 h, every iteration resolved|1|sites/gb200-hall.yaml|--duration
1h
--set
$spread
--set
$(train iterations)"
  "frontier 1 h, job mix, 1 s rows|1|sites/frontier.yaml|--duration
1h
--set
$spread
--set
simulation.output_interval=1 s"
  "frontier 1 h, job mix, 1 s rows, 1 thread|1|sites/frontier.yaml|--duration
1h
--set
$spread
--set
simulation.output_interval=1 s
--set
simulation.threads=1"
  "frontier 1 h, job mix, 15 s rows|1|sites/frontier.yaml|--duration
1h
--set
$spread
--set
simulation.output_interval=15 s"
  "frontier 1 h, job mix, 1 s rows, lumped|0|sites/frontier.yaml|--duration
1h
--set
simulation.output_interval=1 s
--set
simulation.lumping=identical"
  "frontier 1 h, power-only, 1 s rows|0|sites/frontier.yaml|--duration
1h
--set
$spread
--set
simulation.output_interval=1 s
--set
simulation.mode=power-only"
  "frontier 1 h, power-only, 15 s rows|0|sites/frontier.yaml|--duration
1h
--set
$spread
--set
simulation.output_interval=15 s
--set
simulation.mode=power-only"
  "campus-100k 24 h, averaged training|1|sites/campus-100k.yaml|--duration
24h
--set
$spread
--set
$(train averaged)"
  "campus-100k 10 min, every iteration resolved|1|sites/campus-100k.yaml|--duration
10min
--set
$spread
--set
$(train iterations)"
  "campus-100k 24 h, averaged training, lumped|0|sites/campus-100k.yaml|--duration
24h
--set
$(train averaged)
--set
simulation.lumping=identical"
)
# The scaling series: sites/example-pod.yaml (4 racks of 32 H100 + 8 Grace) with k times its
# racks and its power chain, electrical room and hall air scaled with them (ratings, no-load
# losses, heat capacities and conductances times k, busway resistance over k: k busways in
# parallel, whose ampacity the one busway's constraint does not sum); the same 1 h workload,
# every device resolved, no per-device series written.
calc() { awk "BEGIN { printf \"%.9g\", $1 }"; }
scaled() {  # racks in rowA, racks in rowB
  local k
  k=$(awk "BEGIN { print ($1 + $2) / 4 }")
  printf '%s\n' --set "halls.hall1.rows.rowA.count=$1" --set "halls.hall1.rows.rowB.count=$2" \
    --set "power.grid.capacity=$(calc "250 * $k") kW" \
    --set "power.transformer.rating=$(calc "1000 * $k") kVA" \
    --set "power.transformer.no_load_loss=$(calc "1.2 * $k") kW" \
    --set "power.ups.rating=$(calc "300 * $k") kW" \
    --set "power.distribution.rating=$(calc "300 * $k") kW" \
    --set "power.distribution.no_load_loss=$(calc "200 * $k") W" \
    --set "power.electrical_room.heat_capacity=$(calc "2 * $k") MJ/K" \
    --set "power.electrical_room.conductance=$(calc "3 * $k") kW/K" \
    --set "halls.hall1.air.heat_capacity=$(calc "5 * $k") MJ/K" \
    --set "halls.hall1.air.cooling_conductance=$(calc "20 * $k") kW/K" \
    --set "halls.hall1.busway.resistance=$(calc "5 / $k") mohm" \
    --set simulation.write_states=false
}
for s in "1k|30 2" "10k|300 13" "100k|3000 125"; do
  IFS='|' read -r label counts <<<"$s"
  read -r a b <<<"$counts"
  long=0; [ "$label" = "100k" ] && long=1
  scenarios+=("scale ${label} GPUs 1 h|$long|sites/example-pod.yaml|--duration
1h
$(scaled "$a" "$b")")
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
: >"$out/rows"
for s in "${scenarios[@]}"; do
  IFS='|' read -r name long site args <<<"$(printf '%s' "$s" | head -1)"
  mapfile -t argv < <(printf '%s\n' "$s" | sed '1s/^[^|]*|[^|]*|[^|]*|//')
  if [ ${#filters[@]} -gt 0 ]; then
    hit=0; for f in "${filters[@]}"; do [[ "$name" == *"$f"* ]] && hit=1; done
    [ $hit = 1 ] || continue
  elif [ "$quick" = 1 ] && [ "$long" = 1 ]; then
    continue
  fi
  echo "running: $name" >&2
  start=$(date +%s.%N)
  if ! /usr/bin/time -f "%M" -o "$out/mem" "$bin" run "$site" -o "$out/r.h5" --force --json "${argv[@]}" >"$out/j.json" 2>"$out/err"; then
    echo "failed: $name: $(head -3 "$out/err")" >&2  # the others still run
    continue
  fi
  end=$(date +%s.%N)
  printf '%s|%s|%s|%s\n' "$name" "$(cat "$out/mem")" "$(calc "$end - $start")" "$(tr -d '\n' <"$out/j.json")" >>"$out/rows"
  # The resolved Frontier hour on every core and on one thread: the same results to the bit.
  case "$name" in
    "frontier 1 h, job mix, 1 s rows") mv "$out/r.h5" "$out/threads-all.h5" ;;
    "frontier 1 h, job mix, 1 s rows, 1 thread") mv "$out/r.h5" "$out/threads-1.h5" ;;
  esac
  cp "$out/rows" "${DCTWIN_BENCH_ROWS:-/dev/null}" 2>/dev/null || true
done
if [ -f "$out/threads-all.h5" ] && [ -f "$out/threads-1.h5" ]; then
  echo "frontier 1 h on $(nproc) threads against 1 thread: $(/usr/bin/python3 bench/compare.py "$out/threads-all.h5" "$out/threads-1.h5" | tail -1)"
fi
python3 - "$out/rows" <<'PY'
import json, sys
rows = []
for line in open(sys.argv[1]):
    name, mem, wall, js = line.rstrip("\n").split("|", 3)
    rows.append((name, int(mem) / 1024, float(wall), json.loads(js)))
print("| scenario | devices (modelled) | states | simulated s | wall s | x real time | solver s | steps | rhs | jac | LU set-ups | solves | state-steps/s | peak MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name, mem, wall, j in rows:
    s = j["solver"]
    dev = "%d" % j["devices"] if j["modelled_devices"] == j["devices"] else "%d (%d)" % (j["devices"], j["modelled_devices"])
    sw = max(s["wall_s"], 1e-9)
    print("| %s | %s | %d | %.0f | %.2f | %.0f | %.2f | %d | %d | %d | %d | %d | %.3g | %.0f |" % (
        name, dev, j["states"], j["duration_s"], wall, j["duration_s"] / wall, s["wall_s"], s["steps"], s["rhs_evals"],
        s["jac_evals"], s["linear_solver_setups"], s["linear_solves"], j["states"] * s["steps"] / sw, mem))
print()
print("Where the wall time went [s]: set-up (reading and building the site), the initial steady state, and inside")
print("the solver the right-hand sides, Jacobians, LU set-ups and solves, root functions and CVODE's own work;")
print("then the output rows (with the constraints) and the rest (summary, results file).")
print()
print("| scenario | set-up | steady | rhs | jacobian | LU set-up | solve | roots | CVODE | output | rest |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name, mem, wall, j in rows:
    t = j["solver"]["time_s"]
    w = j["wall_s"]
    known = w["initial_state"] + w["solver"] + w["output"]
    print("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
        name, w["setup"], w["initial_state"], t["rhs"], t["jacobian"], t["linear_setup"],
        t["linear_solve"], t["roots"], t["integrator"], w["output"], max(0.0, wall - known - w["setup"])))
PY
