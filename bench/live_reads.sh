#!/usr/bin/env bash
# Readers against a results file a run is writing, for SECONDS per phase: `dctwin report` and
# `dctwin export` (C++, with the chunk-index check) and the Python reader, in turn, while a
# run of the example pod (100 years, killed at the end) writes a row every 10 simulated minutes
# and flushes every FLUSH.
# Counts clean reads, "being written; try again" refusals and wrong reads (NaN in the rows
# read, fewer rows than a read before, an export whose row count is not its file's `rows`,
# crashes, other errors). Two phases: copies in memory (files up to 256 MB), then every copy
# in a temporary file (DCTWIN_SNAPSHOT_MAX_BYTES=0: how files over 256 MB are read).
#
#   bench/live_reads.sh BUILD/bin/dctwin [SECONDS=60] [FLUSH=0.5s]
#
# Prints one line per reader and phase; exit 1 if any read was wrong. bench/README.md has
# figures.
set -euo pipefail
bin=$(realpath "$1")
seconds=${2:-60}
flush=${3:-0.5s}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
writer=
# SIGKILL: an interrupted run would still write its ParaView sidecar.
trap 'rc=$?; [ -n "$writer" ] && { kill -9 "$writer" 2>/dev/null; wait "$writer" 2>/dev/null; }; rm -rf "$work"; exit $rc' EXIT
"$bin" run "$src/sites/example-pod.yaml" -o "$work/live.h5" --duration 36500d \
    --set simulation.output_interval=600s --set "simulation.flush_interval=$flush" --set simulation.threads=1 \
    >/dev/null 2>"$work/run.err" &
writer=$!
until [ -s "$work/live.h5" ] && "$bin" report "$work/live.h5" >/dev/null 2>&1; do
    kill -0 "$writer" || { cat "$work/run.err"; exit 1; }
    sleep 0.2
done

wrong_total=0
phase() {  # label; the environment of the readers is set by the caller
    local label=$1
    local ok=0 written=0 wrong=0 crashed=0 other=0 last=0 n=0 rc rows lines
    local end=$((SECONDS + seconds))
    # report
    while [ $SECONDS -lt $end ]; do
        n=$((n + 1))
        set +e
        "$bin" report --json "$work/live.h5" >"$work/r.json" 2>"$work/r.err"
        rc=$?
        set -e
        if [ "$rc" = 0 ] && grep -q '"status": "running"' "$work/r.json"; then
            rows=$(sed -nE 's/^  "rows": ([0-9]+),?$/\1/p' "$work/r.json")
            if [ "$rows" -lt "$last" ] || grep -qi '\bnan\b' "$work/r.json"; then wrong=$((wrong + 1)); else ok=$((ok + 1)); fi
            last=$rows
        elif [ "$rc" = 2 ] && grep -q "is being written" "$work/r.err"; then written=$((written + 1))
        elif [ "$rc" -ge 128 ]; then crashed=$((crashed + 1)); head -3 "$work/r.err"
        else other=$((other + 1)); head -3 "$work/r.err"
        fi
        [ $((n % 2)) = 0 ] || continue
        # export: every row of /racks/power; its row count must be the copy's `rows` (a line
        # per row under the header), with no NaN.
        set +e
        "$bin" export "$work/live.h5" --csv "$work/e.csv" --series /racks/power >"$work/e.out" 2>"$work/e.err"
        rc=$?
        set -e
        if [ "$rc" = 0 ]; then
            lines=$(($(grep -vc '^#' "$work/e.csv") - 1))
            if grep -qi 'nan' "$work/e.csv" || [ "$lines" -lt "$last" ]; then
                wrong=$((wrong + 1)); echo "export: $lines rows (a report before: $last), $(grep -ci nan "$work/e.csv") NaN"
            else ok=$((ok + 1)); fi
        elif [ "$rc" = 2 ] && grep -q "is being written" "$work/e.err"; then written=$((written + 1))
        elif [ "$rc" -ge 128 ]; then crashed=$((crashed + 1)); head -3 "$work/e.err"
        else other=$((other + 1)); head -3 "$work/e.err"
        fi
    done
    echo "$label: C++ (report, export): $((ok + written + wrong + crashed + other)) reads in $seconds s: $ok clean, $written 'being written; try again', $wrong wrong, $crashed crashed, $other other errors (last: $last rows)"
    wrong_total=$((wrong_total + wrong + crashed + other))
    set +e
    PYTHONPATH="$src/python" /usr/bin/python3 - "$work/live.h5" "$seconds" "$label" <<'PY'
import sys, time
import dctwin_results as dr
path, seconds, label = sys.argv[1], float(sys.argv[2]), sys.argv[3]
ok = written = wrong = crashed = 0
last = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        with dr.open(path) as r:
            df = r.frame("/racks/power")
            if len(df) != r.rows or r.rows < last or df.isna().any().any():
                wrong += 1
                print("python: %d rows read, `rows` %d, a read before %d, %d NaN" % (len(df), r.rows, last, int(df.isna().sum().sum())))
            else:
                ok += 1
            last = max(last, r.rows)
    except dr.BeingWritten:
        written += 1
    except Exception as e:  # noqa: BLE001 (counted: a wrong read)
        crashed += 1
        print("python: %s: %s" % (type(e).__name__, e))
print("%s: Python (frame /racks/power, patience 8 s): %d reads in %.0f s: %d clean, %d 'being written; try again', "
      "%d wrong, %d errors (last: %d rows)" % (label, ok + written + wrong + crashed, seconds, ok, written, wrong, crashed, last))
sys.exit(1 if wrong or crashed else 0)
PY
    [ $? = 0 ] || wrong_total=$((wrong_total + 1))
    set -e
}

phase "copies in memory"
DCTWIN_SNAPSHOT_MAX_BYTES=0 TMPDIR="$work" phase "copies in a temporary file"
echo "file at the end: $(du -h "$work/live.h5" | cut -f1)"
kill -0 "$writer" || { echo "the run ended early"; exit 1; }
[ "$wrong_total" = 0 ]
