#!/usr/bin/env bash
# dctwin against its SciPy peer on the same model and the same workload, side by side.
#
# The peer (/work/shared/peers/peer-scipy.py, or $DCTWIN_PEER) is a per-GPU thermal network
# (junction, cold plate, rack coolant volume, CDU; 72 GPUs per rack, 16 racks per CDU; loads
# stepping every 15 s) solved by solve_ivp BDF with a sparse finite-difference Jacobian. For
# N = 1152 and 9216 GPUs and one simulated hour this script
#   1. runs the peer at its own tolerances (rtol 1e-4, atol 1e-3 K) with --csv and --u-out
#      (its utilisation trace), and takes the utilisation its initial steady state is
#      computed from by running the peer's own Workload class (numpy; see make_peer.py);
#   2. writes the equivalent dctwin site with sites/make_peer.py (the mapping and what
#      differs are in that file's docstring), replaying every GPU's own u series;
#   3. runs dctwin on it twice: at the peer's tolerances (--set simulation.solver.rtol=1e-4
#      --set "simulation.solver.atol_temperature=1e-3 K") and at the build's defaults (read
#      from `dctwin schema` and printed); on one thread (simulation.threads=1, where the build
#      has that setting; DCTWIN_PEER_THREADS=N for more), as the peer runs on one core. The
#      runs use a private copy of the binary, so that a rebuild meanwhile does not mix builds;
#   4. prints a markdown table: states, whole-process wall time of each (the minimum of 3
#      interleaved runs when round one says the three will take under about 5 minutes, else
#      1 run, said below the table), peer / dctwin, and the largest difference between the
#      peer and each dctwin run of the 15 s series of the hottest junction and of the total
#      GPU power; then the solver work of each.
# Comparison: the peer samples at the end of each 15 s interval with that interval's u (the
# left limit); dctwin's row at a step time is evaluated with the inputs from its right (the
# next interval's activity), so its power is taken back to the left limit by subtracting
# 850 W x (sum of u over the GPUs, next interval - this interval), exact at full clock. The
# junction temperatures are continuous and compared as they are. dctwin's series are read
# from the results file with h5dump (hdf5-tools).
#
# Needs a Release build ($DCTWIN_BIN, default build/bin/dctwin), h5dump and python3 (standard
# library) for the table; the peer needs Debian's python3-scipy and python3-numpy under
# /usr/bin/python3: when they are missing this installs them (scripts/install.sh, as root or
# with password-less sudo), and if that cannot be done prints one line saying the peer is
# skipped and runs dctwin alone on a workload made by the peer's rules from Python's random
# (make_peer.py --synthetic).
#   bench/peer.sh                    about 4 minutes on 2 cores (3 rounds)
#   DCTWIN_PEER_RUNS=1 bench/peer.sh one round
#   DCTWIN_PEER_SIZES="1152" bench/peer.sh
#   DCTWIN_PEER_REFERENCE=1 bench/peer.sh   also one dctwin run per size at rtol 1e-8, atol
#                                    1e-6 K (untimed), and a third table: how far each of the
#                                    timed runs, the peer's included, is from it (about 40 s more)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DCTWIN_BIN:-build/bin/dctwin}
peer=${DCTWIN_PEER:-/work/shared/peers/peer-scipy.py}
py=/usr/bin/python3
sizes=${DCTWIN_PEER_SIZES:-"1152 9216"}
duration=3600
budget=330   # [s] three rounds if round one times three stays under this
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
tight=(--set simulation.solver.rtol=1e-4 --set "simulation.solver.atol_temperature=1e-3 K")

have_peer=1
if [ ! -f "$peer" ]; then
  echo "peer skipped: $peer not found; running dctwin alone" >&2
  have_peer=0
elif ! "$py" -c 'import numpy, scipy' 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
    ./scripts/install.sh python3-scipy python3-numpy >&2 || true
  fi
  if ! "$py" -c 'import numpy, scipy' 2>/dev/null; then
    echo "peer skipped: python3-scipy is not installed and could not be (apt-get install python3-scipy); running dctwin alone" >&2
    have_peer=0
  fi
fi

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.9g\", $1 }"; }
wait_bin() {  # the binary may be missing for a moment while it is rebuilt
  local _
  for _ in $(seq 24); do [ -x "$bin" ] && return 0; echo "waiting for $bin" >&2; sleep 5; done
  echo "no dctwin binary at $bin" >&2; exit 1
}
# run LABEL COMMAND...: whole-process wall time, appended to $out/times as "LABEL seconds".
run() {
  local label=$1 t0 t1; shift
  t0=$(now)
  "$@"
  t1=$(now)
  echo "$label $(calc "$t1 - $t0")" >>"$out/times"
}

wait_bin
# A private copy: the build may be rebuilt during the runs, which would mix two builds.
echo "dctwin: $bin, built $(stat -L -c %y "$bin")"
cp -L "$bin" "$out/dctwin"
bin=$out/dctwin
# The build's own defaults (they change between versions), and its threads: the peer runs on
# one core, so dctwin does too unless DCTWIN_PEER_THREADS says otherwise (builds without the
# setting are single-threaded).
schema=$("$bin" schema)
default_of() { printf '%s\n' "$schema" | awk -F'|' -v k="\`$1\`" '$2 ~ k { gsub(/`/, "", $4); gsub(/^ +| +$/, "", $4); print $4; exit }'; }
defaults="rtol $(default_of rtol), atol_temperature $(default_of atol_temperature)"
[ -n "$(default_of linear_solver)" ] && defaults="$defaults, linear_solver $(default_of linear_solver)"
threads=()
if [ -n "$(default_of threads)" ]; then
  threads=(--set "simulation.threads=${DCTWIN_PEER_THREADS:-1}")
  echo "dctwin defaults: $defaults; every dctwin run with simulation.threads=${DCTWIN_PEER_THREADS:-1}"
else
  echo "dctwin defaults: $defaults; single-threaded build"
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$out/times"
rounds=${DCTWIN_PEER_RUNS:-3}
round=1
start=$(now)
while [ "$round" -le "$rounds" ]; do
  for n in $sizes; do
    d="$out/$n"
    mkdir -p "$d"
    if [ "$have_peer" = 1 ]; then
      echo "round $round: peer N=$n" >&2
      run "peer-$n" "$py" "$peer" "$n" "$duration" --csv "$d/peer.csv" --u-out "$d/u.f32" >"$d/peer.out"
      if [ "$round" = 1 ]; then
        cp "$d/peer.csv" "$d/peer1.csv"
        # The utilisation of the peer's initial steady state: its Workload's first interval at
        # the jobs' mean levels (checked against the first row of the trace it wrote).
        initial=()
        if "$py" - "$peer" "$n" "$d/u.f32" "$d/u0.f32" <<'PY' 2>"$d/u0.err"; then
import importlib.util, sys
import numpy as np
spec = importlib.util.spec_from_file_location("peer", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
n = int(sys.argv[2])
w = m.Workload(n, 42)
u = w.next_u()
if not np.array_equal(u.astype(np.float32), np.fromfile(sys.argv[3], dtype=np.float32, count=n)):
    sys.exit("the peer's Workload does not reproduce the first row of its trace")
w.u_mean.astype(np.float32).tofile(sys.argv[4])
PY
          initial=(--initial "$d/u0.f32")
        else
          echo "note: no initial utilisation from the peer ($(tail -1 "$d/u0.err")); dctwin starts from the first interval's steady state" >&2
        fi
        python3 sites/make_peer.py "$d/u.f32" "$n" -o "$d/site.yaml" "${initial[@]}"
      elif ! cmp -s "$d/peer.csv" "$d/peer1.csv"; then
        echo "warning: the peer's series differ between runs (N=$n)" >&2
      fi
    elif [ "$round" = 1 ]; then
      python3 sites/make_peer.py "$n" --synthetic "$duration" -o "$d/site.yaml"
    fi
    echo "round $round: dctwin N=$n, rtol 1e-4" >&2
    run "tight-$n" "$bin" run "$d/site.yaml" -o "$d/tight.h5" --force --json "${tight[@]}" "${threads[@]}" >"$d/tight.json"
    echo "round $round: dctwin N=$n, defaults" >&2
    run "default-$n" "$bin" run "$d/site.yaml" -o "$d/default.h5" --force --json "${threads[@]}" >"$d/default.json"
  done
  if [ "$round" = 1 ] && [ -z "${DCTWIN_PEER_RUNS:-}" ]; then
    r1=$(calc "$(now) - $start")
    if awk "BEGIN { exit !($r1 * 3 > $budget) }"; then rounds=1; fi
  fi
  round=$((round + 1))
done

echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${DCTWIN_PEER_REFERENCE:-0}" = 1 ]; then
  for n in $sizes; do
    echo "reference: dctwin N=$n, rtol 1e-8, atol 1e-6 K" >&2
    "$bin" run "$out/$n/site.yaml" -o "$out/$n/reference.h5" --force --json \
      --set simulation.solver.rtol=1e-8 --set "simulation.solver.atol_temperature=1e-6 K" "${threads[@]}" >/dev/null
  done
fi
python3 - "$out" "$have_peer" "$rounds" "$sizes" "${DCTWIN_PEER_RUNS:-}" "${DCTWIN_PEER_REFERENCE:-0}" "$defaults" <<'PY'
import json, struct, subprocess, sys
out, have_peer, rounds, sizes = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4].split()
forced = sys.argv[5] != ""
reference = sys.argv[6] == "1"
defaults = sys.argv[7]
DYN = 850.0  # [W] the peer's P_MAX - P_IDLE

times = {}
for line in open(f"{out}/times"):
    label, s = line.split()
    times[label] = min(times.get(label, float("inf")), float(s))

def series(h5, name):
    text = subprocess.run(["h5dump", "-m", "%.17g", "-d", name, "-y", "-w", "0", h5],
                          capture_output=True, text=True, check=True).stdout
    return [float(x) for x in text.split("DATA {", 1)[1].split("}", 1)[0].replace(",", " ").split()]

def peer_line(n):
    return dict(kv.split("=", 1) for kv in open(f"{out}/{n}/peer.out").read().split() if "=" in kv)

def dctwin_rows(n, run):
    """dctwin's rows at 15, 30, ... s: (times, hottest junction [degC], total GPU power [W])."""
    h5 = f"{out}/{n}/{run}.h5"
    return (series(h5, "/time")[1:], series(h5, "/site/max_junction_temperature")[1:],
            series(h5, "/site/it_power")[1:])

def left_limit(n, power):
    """dctwin's power rows taken back to the left limit of each step (the peer's samples)."""
    raw = open(f"{out}/{n}/u.f32", "rb").read()
    k = len(raw) // (4 * n)
    flat = struct.unpack(f"<{k * n}f", raw)
    usum = [sum(flat[i * n:(i + 1) * n]) for i in range(k)]
    return [p - (DYN * (usum[i + 1] - usum[i]) if i + 1 < k else 0.0) for i, p in enumerate(power)]

def peer_rows(n):
    rows = [l.split(",") for l in open(f"{out}/{n}/peer.csv").read().splitlines()[1:] if l]
    return [float(r[0]) for r in rows], [float(r[2]) for r in rows], [float(r[1]) for r in rows]

def maxdiff(a, b):
    """Largest |a - b| of the hottest junction [K] and of the power [W] (and relative to b's)."""
    ta, tja, pa = a
    tb, tjb, pb = b
    if len(ta) != len(tb) or any(abs(x - y) > 1e-6 for x, y in zip(ta, tb)):
        sys.exit("peer: the two series are not sampled at the same times")
    dt = max(abs(x - y) for x, y in zip(tja, tjb))
    dp, rel = max((abs(x - y), abs(x - y) / y) for x, y in zip(pa, pb))
    return dt, dp, rel

def compare(n, run):
    """dctwin run `run` against the peer: max abs difference of the hottest junction and of
    the total power over the 15 s samples."""
    t, tj, p = dctwin_rows(n, run)
    return maxdiff((t, tj, left_limit(n, p)), peer_rows(n))

print()
print("| N GPUs | states (peer / dctwin) | peer wall s | dctwin wall s, rtol 1e-4 | dctwin wall s, defaults "
      "| peer / dctwin, rtol 1e-4 | peer / dctwin, defaults | max abs(dTj_max) K, rtol 1e-4 / defaults "
      "| max abs(dP) W, rtol 1e-4 / defaults |")
print("|---|---|---|---|---|---|---|---|---|")
work = []
for n in map(int, sizes):
    jt = json.load(open(f"{out}/{n}/tight.json"))
    jd = json.load(open(f"{out}/{n}/default.json"))
    wt, wd = times[f"tight-{n}"], times[f"default-{n}"]
    if have_peer:
        pl = peer_line(n)
        wp = times[f"peer-{n}"]
        tt, pt, rt = compare(n, "tight")
        td, pd, rd = compare(n, "default")
        print(f"| {n} | {pl['states']} / {jt['states']} | {wp:.2f} | {wt:.2f} | {wd:.2f} | {wp / wt:.1f} | {wp / wd:.1f} "
              f"| {tt:.3f} / {td:.3f} | {pt:.0f} ({rt:.1e}) / {pd:.0f} ({rd:.1e}) |")
        work.append((n, pl, jt, jd))
    else:
        print(f"| {n} | skipped / {jt['states']} | skipped | {wt:.2f} | {wd:.2f} | - | - | - | - |")
        work.append((n, None, jt, jd))
print()
if rounds > 1:
    how = f"minimum of {rounds} interleaved runs"
elif forced:
    how = "1 run (DCTWIN_PEER_RUNS=1)"
else:
    how = "1 run (three would have taken more than about 5 minutes)"
print(f"Whole-process wall time, {how}; dP relative to the peer's power in brackets.")
print()
print("| N GPUs | steps: peer / dctwin 1e-4 / dctwin default | peer RHS calls (with FD Jacobian columns) / LU | "
      "dctwin RHS / Jacobians / LU set-ups, rtol 1e-4 | the same, defaults |")
print("|---|---|---|---|---|")
for n, pl, jt, jd in work:
    st, sd = jt["solver"], jd["solver"]
    peer_steps = pl["steps"] if pl else "-"
    peer_work = f"{pl['rhs_cols']} / {pl['nlu']}" if pl else "-"
    print(f"| {n} | {peer_steps} / {st['steps']} / {sd['steps']} | {peer_work} "
          f"| {st['rhs_evals']} / {st['jac_evals']} / {st['linear_solver_setups']} "
          f"| {sd['rhs_evals']} / {sd['jac_evals']} / {sd['linear_solver_setups']} |")
if reference:
    print()
    print("Against a reference (dctwin at rtol 1e-8, atol 1e-6 K): max abs difference of the hottest junction [K] "
          "and of the total power [W] over the 15 s samples.")
    print()
    print(f"| N GPUs | peer (rtol 1e-4, atol 1e-3) | dctwin rtol 1e-4, atol 1e-3 K | dctwin defaults ({defaults}) |")
    print("|---|---|---|---|")
    for n in map(int, sizes):
        t, tj, p = dctwin_rows(n, "reference")
        cells = []
        if have_peer:
            cells.append("%.4f K, %.0f W" % maxdiff(peer_rows(n), (t, tj, left_limit(n, p)))[:2])
        else:
            cells.append("skipped")
        for run in ("tight", "default"):
            cells.append("%.4f K, %.0f W" % maxdiff(dctwin_rows(n, run), (t, tj, p))[:2])
        print(f"| {n} | " + " | ".join(cells) + " |")
PY
