#!/usr/bin/env bash
# Measures reading a results file while `dctwin run` writes it (not part of CTest: minutes).
# A long run of the example pod (a row every 10 min simulated: the file stays small, so
# readers take their copy in memory) flushes every FLUSH; meanwhile `dctwin report` runs N
# times, then the Python reader N times with no retries (patience 0: how often one read meets a
# flush) and N times with its default patience. Prints the counts; exit 1 if any reader
# crashed, gave a wrong row count, or saw fewer rows than a read before it.
#
#   tests/robustness/live_read_stress.sh BUILD/bin/dctwin [N=200] [FLUSH=0.5s]
set -euo pipefail
bin=$1
n=${2:-200}
flush=${3:-0.5s}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
# SIGKILL: an interrupted run would still write its ParaView sidecar.
trap 'kill -9 "$writer" 2>/dev/null || true; wait "$writer" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" run "$src/sites/example-pod.yaml" -o "$work/live.h5" --duration 7300d \
    --set simulation.output_interval=600s --set "simulation.flush_interval=$flush" --set simulation.threads=1 >/dev/null 2>"$work/run.err" &
writer=$!
until [ -s "$work/live.h5" ] && "$bin" report "$work/live.h5" >/dev/null 2>&1; do
    kill -0 "$writer" || { cat "$work/run.err"; exit 1; }
    sleep 0.2
done

ok=0 written=0 other=0 crashed=0 backwards=0 last=0
start=$(date +%s.%N)
for _ in $(seq "$n"); do
    set +e
    "$bin" report --json "$work/live.h5" >"$work/r.json" 2>"$work/r.err"
    rc=$?
    set -e
    if [ "$rc" = 0 ] && grep -q '"status": "running"' "$work/r.json"; then
        ok=$((ok + 1))
        rows=$(sed -nE 's/^  "rows": ([0-9]+),?$/\1/p' "$work/r.json")
        [ "$rows" -ge "$last" ] || { backwards=$((backwards + 1)); echo "rows went back: $last, then $rows"; }
        last=$rows
    elif [ "$rc" = 2 ] && grep -q "is being written" "$work/r.err"; then written=$((written + 1))
    elif [ "$rc" -ge 128 ]; then crashed=$((crashed + 1)); cat "$work/r.err"
    else other=$((other + 1)); cat "$work/r.err"; grep -m1 status "$work/r.json" || true
    fi
done
secs=$(echo "$(date +%s.%N) - $start" | bc)
echo "report: $n reads in ${secs% *} s while flushing every $flush: $ok read, $written 'being written; try again', $other other errors, $crashed crashed, $backwards went back (last: $last rows)"

PYTHONPATH="$src/python" /usr/bin/python3 - "$work/live.h5" "$n" <<'PY'
import sys, time
import dctwin_results as dr
path, n = sys.argv[1], int(sys.argv[2])
any_wrong = False
for patience in (0.0, 8.0):
    ok = written = wrong = 0
    start = time.monotonic()
    for _ in range(n):
        try:
            with dr.open(path, patience=patience) as r:
                df = r.frame("/racks/power")
                if len(df) != r.rows or df.isna().any().any():
                    wrong += 1
                else:
                    ok += 1
        except dr.BeingWritten:
            written += 1
    print("python (patience %g s): %d reads in %.0f s: %d read, %d 'being written; try again', %d wrong"
          % (patience, n, time.monotonic() - start, ok, written, wrong))
    any_wrong = any_wrong or wrong > 0
sys.exit(1 if any_wrong else 0)
PY
kill -0 "$writer" || { echo "the run ended early"; exit 1; }
[ "$crashed" = 0 ] && [ "$other" = 0 ] && [ "$backwards" = 0 ]
