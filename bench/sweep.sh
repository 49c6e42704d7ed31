#!/usr/bin/env bash
# Sweep throughput: the 1000-case design-point sweep of the 1 MW pod (sites/h100-pod.yaml,
# sites/sweeps/h100-lhs-1000.yaml) on 1 thread, 2 threads and 2 MPI ranks (one thread each).
# Prints wall time and cases per second of each and the speed-ups over 1 thread, and checks
# that the three summaries are identical. Needs a Release build (./scripts/setup.sh) and
# OpenMPI's mpirun. Usage: bench/sweep.sh [SWEEP.yaml]   (DCTWIN_BIN: another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${DCTWIN_BIN:-build/bin/dctwin}")
sweep=${1:-sites/sweeps/h100-lhs-1000.yaml}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sweep: $sweep"
declare -A wall cpu
run() {  # name, command...
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$out/$name.time" "$@" >"$out/$name.log" 2>&1 || { cat "$out/$name.log"; exit 1; }
  wall[$name]=$(awk '{ print $1 }' "$out/$name.time")
  cpu[$name]=$(awk '{ print $2 + $3 }' "$out/$name.time")  # [s] of the command and its children
}
run j1 "$bin" sweep "$sweep" -o "$out/j1" -j 1
run j2 "$bin" sweep "$sweep" -o "$out/j2" -j 2
run mpi2 mpirun --allow-run-as-root --oversubscribe -n 2 "$bin" sweep "$sweep" -o "$out/mpi2" -j 1
cases=$(($(wc -l <"$out/j1/summary.csv") - 1))
same=yes
cmp -s "$out/j1/summary.csv" "$out/j2/summary.csv" || same=no
cmp -s "$out/j1/summary.csv" "$out/mpi2/summary.csv" || same=no
echo "| run | cases | wall s | cases/s | speed-up over 1 thread | cores busy |"
echo "|---|---|---|---|---|---|"
for n in j1 j2 mpi2; do
  case $n in j1) label="-j 1" ;; j2) label="-j 2" ;; mpi2) label="mpirun -n 2 (-j 1)" ;; esac
  awk -v l="$label" -v c="$cases" -v w="${wall[$n]}" -v w1="${wall[j1]}" -v u="${cpu[$n]}" \
    'BEGIN { printf "| %s | %d | %.1f | %.2f | %.2f | %.2f |\n", l, c, w, c / w, w1 / w, u / w }'
done
echo "wall s: the whole command (start-up, every case, journal and summary); cores busy: its CPU time over"
echo "its wall time (below 2 with 2 workers: the machine's other load took a core); summaries identical: $same"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$same" = yes ]
