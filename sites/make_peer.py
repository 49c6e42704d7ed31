#!/usr/bin/env python3
"""Writes a dctwin site equivalent to the SciPy peer (/work/shared/peers/peer-scipy.py), replaying
the peer's own utilisation trace, so that the two can be run side by side (bench/peer.sh).

    python3 sites/make_peer.py U_FILE N -o SITE.yaml [--initial U0_FILE]
    python3 sites/make_peer.py --synthetic SECONDS N -o SITE.yaml [--seed S]

U_FILE is what `peer-scipy.py N DURATION --u-out U_FILE` wrote: raw float32 u[interval][GPU],
one row of N values per 15 s interval. Python standard library only. The duration is the
trace's: 15 s times its intervals. U0_FILE (optional, raw float32 [GPU]) is the utilisation
whose steady state the peer starts from (its first interval's jobs at their noise-free mean
levels, `Workload.u_mean` after the first `next_u()`; bench/peer.sh gets it by running the
peer's own Workload class with numpy).

--synthetic is for machines where the peer cannot run (no SciPy): the peer's scheduler rules
(see `synthesize`) drawn from Python's `random` instead of NumPy's generator, so the same
kind of workload but not the peer's numbers.

The peer, in short: N GPUs, 72 per rack, 16 racks per CDU (the last rack and CDU may be
partial); per GPU a junction (60 J/K) and a cold plate (300 J/K), R_jp 0.02 K/W, R_pc 0.015 K/W
to its rack's coolant; a well-mixed 40 L rack volume fed from its CDU's 500 L well-mixed
supply volume at 1.4 L/min per kW of rack max power; the CDU mixes its racks' returns and
cools them by an exchanger of fixed effectiveness 0.7 (secondary side C_min) against facility
water held at 30 degC. P = 150 + 850 u + 100 exp((Tj - 60 degC) / 25 K) W per GPU (the peer's
P_MAX = 1000 W is idle + dynamic; leakage comes on top). u steps every 15 s. No throttling,
no power chain, no facility plant.

The mapping, key by key:

  GPU (device type `gpu`):
    junction_heat_capacity 60 J/K, plate_heat_capacity 300 J/K,
    junction_to_plate_resistance 0.02 K/W, plate_to_coolant_resistance 0.015 K/W,
    nominal_coolant_flow 0 (no flow dependence, as in the peer);
    idle_power 150 W; leakage_power 100 W (0.1 P_MAX) at leakage_reference_temperature 60 degC,
    leakage_temperature_coefficient 0.04 1/K (= 1 / 25 K): dctwin's leakage is
    leakage_power exp(k (Tj - T_ref)), the peer's term exactly.
    Dynamic power: dctwin's is max_power - idle_power - leakage_power, and power_cap (a cap on
    the total, leakage included) may not exceed max_power. The peer's 850 W of dynamic power
    would need max_power 1100 W, and a cap of 1100 W binds whenever 850 u + leakage > 950 W
    (u near 1 with a warm junction). So max_power and power_cap are 2000 W (dynamic 1750 W)
    and every activity is u x 850 / 1750: the same 150 + 850 u + leakage at full clock, and
    the cap binds only above 2000 W, i.e. leakage over 1000 W, a junction over 117.6 degC,
    past the point where the peer itself runs away (about 100 degC). Thermal slowdown at
    149 degC and shutdown at 150 degC (the format's highest) never bind below that either.
    Clocks (max 2 GHz, min 1 GHz) only matter under a limit, so never here.
  Rack (rack type `r72`, or `rNN` for a partial last rack):
    coolant_volume 40 L and coolant_flow 1.4 L/min/kW x NN kW, both times 1000 / 998.2: the
    peer takes water as 1000 kg/m3, dctwin as 998.2 kg/m3 (both 4180 J/(kg K)), and what
    the equations see is mass (heat capacity and capacity rate), so the volumes are scaled to
    give the peer's kilograms. other_power 0 W; power shelf lumped at efficiency 1, no
    no-load loss.
  CDU (one per row of up to 16 racks, `cdu01`...): volume 500 L x 1000 / 998.2 (the peer's
    well-mixed CDU supply volume is dctwin's CDU header volume: C dTs/dt = C_s (T_mix - Ts) - q,
    q = eps C_s (T_mix - T_fac), the same equation). The effectiveness comes from dctwin's
    rating: UA is set so that the rated duty `capacity` passes at `approach` with the rated
    flows, eps = capacity / (capacity + C_s approach); with capacity = the rows' P_MAX sum the
    approach is written to give eps = 0.7 exactly with the secondary (C_s) as C_min (the
    primary flow is twice the secondary). dctwin's CDU also has a PI valve on the primary
    side holding a secondary set point; the set point is 5 degC, far below anything reached,
    so the valve stays fully open (the controller's integrator is one extra state per CDU).
    dctwin's secondary pump puts its work into the CDU's supply volume as heat (flow x head /
    efficiency: 3.8 kW per 1152 GPUs at 100 kPa, enough to warm every junction by 0.08 K);
    the peer has no pump, so the head is 1 Pa (0.04 W per CDU).
  Facility water: no `facility.plant`, so the supply is held at coolant.supply_temperature
    30 degC, as the peer's T_FAC. The primary pump (head 1 Pa) and heat-rejection fans
    (rejection_specific_power 0) are cooling power only; they do not touch the GPUs.
  Power chain: only what the format requires: `power.distribution` at efficiency 1 with no
    no-load loss and an `electrical_room` that receives no loss; no grid, transformer, UPS.
    So the site's IT power (/site/it_power) is the sum of the GPU powers, the peer's
    total_power_W.
  Hall: one hall, air held near 25 degC, which no GPU touches (cold plates only, no
    other_power, no shelf loss): one extra state.
  Workload: dctwin's per-GPU trace replay (`workload.jobs.<name>.trace`) interpolates
    linearly between samples and does not tell the solver about steps, and a trace file is
    at most 16 MB (9216 GPUs x 240 steps x 2 samples would be about 90 MB). Per-GPU
    piecewise-constant activity is written instead as jobs of activity steps: GPUs whose u
    series are identical over the whole run (the peer's scheduler gives whole 4-GPU nodes to
    a job and one level to all of a job's nodes, so at least each node's four GPUs) form one
    job `gNNNN` (kind independent) whose `activity` steps are that series, times 850 / 1750,
    written where it changes. Every GPU thus replays its own u exactly (as float32, the
    file's precision: 6e-8 relative), with the steps as solver discontinuities, as the
    peer's restarts at every interval. GPUs idle the whole run are in no job (activity 0).
    Members are listed device by device (`hall/c01/rack03/gpu17`), or as a rack when a whole
    rack shares one series.
  Initial state: the peer starts from the steady state of its first interval's jobs at their
    noise-free mean levels, which the trace does not record; dctwin starts from the steady
    state of its inputs at t = 0 and has no other way to set an initial state (--cold-start
    starts from fixed declared temperatures, not a chosen state). With --initial, every job's activity is
    the mean level at t = 0 and the first interval's level from t = 1 us: dctwin then starts
    from the peer's steady state and the first interval is 1 us short (at most 14 K/s x 1 us
    = 14 uK on a junction). Without it, dctwin starts from the steady state of the first
    interval's noisy levels, and the two runs differ by up to about 1.5 K at first and agree
    after a few minutes (the loop's slowest time constant is about a minute).
  Output: a row every 15 s (the peer samples at the end of each interval), no per-device
    series (simulation.write_states false, as the peer writes none). A row at a step time is
    evaluated with the inputs from its right, the next interval's activity, where the peer's
    sample has the interval's own (its left limit): temperatures are continuous and agree,
    the power differs by 850 W x the change of u summed over the GPUs (bench/peer.sh takes
    it back to the left limit).

What the peer has that dctwin does not model: nothing. What dctwin adds (states and figures
that do not change the GPUs): hall air, electrical room, one valve integrator per CDU, energy
tallies and one work tally per job (2N + R + C states in the peer; dctwin has 92 more at
N = 1152 with its 66 jobs, 140 more at 9216 with 107), the cooling, power and constraint
figures. Solver tolerances are left at dctwin's defaults here; bench/peer.sh sets them with
--set. The same nominal tolerance is not the same accuracy: the peer's states are in degC
(40-90), dctwin's in kelvin (310-365), so rtol 1e-4 allows the peer 4-9 mK and dctwin 31-37 mK
per step on a junction.
"""
import argparse
import math
import os
import random
import struct
import sys

GPUS_PER_RACK = 72
RACKS_PER_CDU = 16
DT_U = 15.0                # [s] peer's workload interval
P_IDLE, P_MAX = 150.0, 1000.0
P_LEAK0 = 0.1 * P_MAX
DYN_PEER = P_MAX - P_IDLE  # [W] 850
MAX_POWER = 2000.0         # [W] dctwin max_power and power_cap (see above)
DYN_DCTWIN = MAX_POWER - P_IDLE - P_LEAK0  # [W] 1750
SCALE = DYN_PEER / DYN_DCTWIN
RHO_PEER, RHO_DCTWIN, CP = 1000.0, 998.2, 4180.0  # kg/m3 (dctwin's water), J/(kg K)
MASS = RHO_PEER / RHO_DCTWIN  # volume factor giving the peer's kilograms
FLOW_PER_KW = 1.4          # [L/min per kW of rack max power]
EPS = 0.7
T_FAC = 30.0               # [degC]


def g(x):
    """A number for the site file: shortest text that reads back as the same double."""
    return repr(float(x))


def read_trace(path, n):
    size = os.path.getsize(path)
    if size == 0 or size % (4 * n):
        sys.exit(f"make_peer: {path} holds {size} bytes, not a whole number of rows of {n} float32")
    k = size // (4 * n)
    with open(path, "rb") as f:
        data = f.read()
    flat = struct.unpack(f"<{k * n}f", data)
    return k, flat


def f32(x):
    """x rounded to float32, as the peer's --u-out file holds it."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def synthesize(n, intervals, seed):
    """The peer's Workload rules with Python's random: FIFO first-fit of jobs of 1 .. nodes/4
    whole 4-GPU nodes (log-uniform), 2 min .. 2 h (log-uniform; the initial fill's cut short
    at random), mean level 0.2 .. 0.8, redrawn every 15 s as mean + N(0, 0.1) clipped to 0..1
    with a 5 % chance of a 0 .. 0.2 dip. Returns (intervals, flat u[interval][GPU], initial
    u: the first interval's jobs at their mean levels)."""
    rng = random.Random(seed)
    nodes = math.ceil(n / 4)
    max_size = max(1, nodes // 4)
    owner = [-1] * nodes
    jobs = {}  # id -> [end interval, mean]

    def new_job():
        size = int(math.exp(rng.uniform(0.0, math.log(max_size + 1))))
        steps = int(math.exp(rng.uniform(math.log(8), math.log(480))))
        return [min(size, max_size), steps, rng.uniform(0.2, 0.8)]

    def per_gpu(value):
        node = [value[o] if o >= 0 else 0.0 for o in owner]
        return [f32(node[i // 4]) for i in range(n)]

    head, next_id, flat, u0 = new_job(), 0, [], None
    for k in range(intervals):
        for j in [j for j, (end, _) in jobs.items() if end <= k]:
            owner = [-1 if o == j else o for o in owner]
            del jobs[j]
        free = [i for i, o in enumerate(owner) if o < 0]
        while head[0] <= len(free):
            size, steps, mean = head
            if k == 0:
                steps = max(1, int(steps * rng.random()))
            for i in free[:size]:
                owner[i] = next_id
            jobs[next_id] = [k + steps, mean]
            next_id += 1
            free = free[size:]
            head = new_job()
        level = {}
        for j, (_, mean) in jobs.items():
            level[j] = min(1.0, max(0.0, mean + rng.gauss(0.0, 0.1)))
            if rng.random() < 0.05:
                level[j] = rng.uniform(0.0, 0.2)
        if k == 0:
            u0 = per_gpu({j: m for j, (_, m) in jobs.items()})
        flat.extend(per_gpu(level))
    return intervals, tuple(flat), tuple(u0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("u_file", nargs="?", help="the peer's --u-out file")
    ap.add_argument("n", type=int, help="GPUs")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--initial", help="raw float32 [GPU]: the utilisation of the peer's initial steady state")
    ap.add_argument("--synthetic", type=float, metavar="SECONDS",
                    help="no trace: a workload of this length by the peer's rules from Python's random")
    ap.add_argument("--seed", type=int, default=42, help="seed of --synthetic")
    a = ap.parse_args()
    n = a.n
    if (a.u_file is None) == (a.synthetic is None):
        ap.error("give either U_FILE or --synthetic SECONDS")
    u0 = None
    if a.synthetic is not None:
        k, flat, u0 = synthesize(n, int(round(a.synthetic / DT_U)), a.seed)
    else:
        k, flat = read_trace(a.u_file, n)
    racks = math.ceil(n / GPUS_PER_RACK)
    cdus = math.ceil(racks / RACKS_PER_CDU)

    # GPU g's path, and the rack layout: row cNN holds CDU NN's racks.
    def rack_path(r):
        return f"hall/c{r // RACKS_PER_CDU + 1:02d}/rack{r % RACKS_PER_CDU + 1:02d}"

    def gpu_path(i):
        return f"{rack_path(i // GPUS_PER_RACK)}/gpu{i % GPUS_PER_RACK}"

    if a.initial:
        k0, u0 = read_trace(a.initial, n)
        if k0 != 1:
            sys.exit(f"make_peer: {a.initial} holds {k0} rows of {n} values, not one")

    # Group the GPUs by their whole u series, with the initial level first when given (in
    # order of first appearance).
    groups = {}
    for i in range(n):
        series = (u0[i],) + flat[i::n] if u0 else (None,) + flat[i::n]
        groups.setdefault(series, []).append(i)
    jobs = [(s, m) for s, m in groups.items() if any(v for v in s)]

    rack_sizes = [min(GPUS_PER_RACK, n - r * GPUS_PER_RACK) for r in range(racks)]
    kinds = sorted(set(rack_sizes), reverse=True)
    out = []
    w = out.append
    w("# dctwin site equivalent to the SciPy peer (peer-scipy.py), generated by sites/make_peer.py")
    w(f"# from {os.path.basename(a.u_file or 'a synthetic trace (seed %d)' % a.seed)}: {n} GPUs, {racks} racks, {cdus} CDUs, {k} intervals of 15 s,")
    w(f"# {len(jobs)} distinct non-idle u series. The mapping is in sites/make_peer.py's docstring.")
    w("dctwin: 1")
    w(f"site: {{ name: peer-{n}, description: \"SciPy peer model, {n} GPUs, replaying its u trace\" }}")
    w("simulation:")
    w(f"  duration: {g(k * DT_U)} s")
    w("  output_interval: 15 s")
    w("  write_states: false")
    w("ambient: { temperature: 25 degC }")
    w(f"coolant: {{ fluid: water, supply_temperature: {g(T_FAC)} degC }}")
    w("facility: { pump_head: 1 Pa, pump_efficiency: 0.7 }   # no pump in the peer")
    w("power:")
    w(f"  distribution: {{ efficiency: 1, no_load_loss: 0 W, rating: {g(2 * n * MAX_POWER / 1e6)} MW }}")
    w("  electrical_room: { heat_capacity: 10 MJ/K, conductance: 10 kW/K }")
    w("device_types:")
    w("  gpu:")
    w("    kind: gpu")
    w("    cooling: liquid")
    w(f"    idle_power: {g(P_IDLE)} W")
    w(f"    max_power: {g(MAX_POWER)} W      # dynamic 1750 W: activity = u x 850 / 1750")
    w(f"    power_cap: {g(MAX_POWER)} W")
    w(f"    leakage_power: {g(P_LEAK0)} W")
    w("    leakage_temperature_coefficient: 0.04 1/K   # 1 / 25 K")
    w("    leakage_reference_temperature: 60 degC")
    w("    max_clock: 2 GHz")
    w("    min_clock: 1 GHz")
    w("    junction_heat_capacity: 60 J/K")
    w("    plate_heat_capacity: 300 J/K")
    w("    junction_to_plate_resistance: 0.02 K/W")
    w("    plate_to_coolant_resistance: 0.015 K/W")
    w("    slowdown_temperature: 149 degC")
    w("    slowdown_band: 1 K")
    w("    shutdown_temperature: 150 degC")
    w("rack_types:")
    for size in kinds:
        w(f"  r{size}:")
        w(f"    devices: {{ gpu: {{ type: gpu, count: {size} }} }}")
        w(f"    coolant_flow: {g(FLOW_PER_KW * size * P_MAX / 1e3 * MASS)} L/min")
        w(f"    coolant_volume: {g(40.0 * MASS)} L")
        w("    other_power: 0 W")
        w(f"    power_shelf: {{ efficiency: 1, no_load_loss: 0 W, rating: {g(size * MAX_POWER / 1e3)} kW }}")
    w("halls:")
    w("  hall:")
    w("    air: { heat_capacity: 10 MJ/K, cooling_conductance: 100 kW/K, supply_temperature: 25 degC }")
    w("    rows:")
    for c in range(cdus):
        first, last = c * RACKS_PER_CDU, min(racks, (c + 1) * RACKS_PER_CDU)
        sizes = rack_sizes[first:last]
        # A row is of one rack type: a partial last rack gets a row of its own (cNNp, its
        # one rack rack01) in the same CDU.
        full = [s for s in sizes if s == GPUS_PER_RACK]
        if full:
            w(f"      c{c + 1:02d}: {{ rack: r{GPUS_PER_RACK}, count: {len(full)}, origin: [0 m, {2.4 * c:g} m] }}")
        if len(full) < len(sizes):
            w(f"      c{c + 1:02d}p: {{ rack: r{sizes[-1]}, count: 1, origin: [{0.6 * len(full):g} m, {2.4 * c:g} m] }}")
    w("cdus:")
    for c in range(cdus):
        first, last = c * RACKS_PER_CDU, min(racks, (c + 1) * RACKS_PER_CDU)
        sizes = rack_sizes[first:last]
        kw = sum(sizes) * P_MAX / 1e3                   # the rows' P_MAX [kW]
        flow = FLOW_PER_KW * kw * MASS                   # secondary [L/min], as dctwin sums it
        cs = RHO_DCTWIN * CP * flow / 60e3               # [W/K]
        capacity = kw * 1e3                              # [W]
        approach = (1 - EPS) * capacity / (EPS * cs)     # eps = Q / (Q + C_s approach) = 0.7
        rows = [f"hall/c{c + 1:02d}"] if sizes[0] == GPUS_PER_RACK else []
        if sizes[-1] != GPUS_PER_RACK:
            rows.append(f"hall/c{c + 1:02d}p")
        w(f"  cdu{c + 1:02d}:")
        w(f"    racks: [{', '.join(rows)}]")
        w(f"    capacity: {g(capacity / 1e3)} kW")
        w(f"    approach: {g(approach)} K     # effectiveness 0.7 with the secondary as C_min")
        w("    supply_temperature: 5 degC   # never reached: the valve stays open")
        w("    gain: 1 1/K")
        w(f"    primary_flow: {g(2 * flow)} L/min")
        w("    pump_head: 1 Pa             # its work heats the loop: none in the peer")
        w(f"    volume: {g(500.0 * MASS)} L")

    # Device paths of the partial rack differ (row cNNp, rack01): recompute gpu_path for it.
    def path_of(i):
        r = i // GPUS_PER_RACK
        if rack_sizes[r] != GPUS_PER_RACK:
            return f"hall/c{r // RACKS_PER_CDU + 1:02d}p/rack01/gpu{i % GPUS_PER_RACK}"
        return gpu_path(i)

    w("workload:")
    if not jobs:  # every GPU idle throughout: one job at activity 0 keeps the format happy
        w("  activity: [{ at: 0 s, value: 0 }]")
    else:
        w("  jobs:")
    for j, (series, members) in enumerate(jobs):
        paths, i = [], 0
        ms = set(members)
        while i < len(members):
            m = members[i]
            r = m // GPUS_PER_RACK
            lo = r * GPUS_PER_RACK
            if m == lo and all(x in ms for x in range(lo, lo + rack_sizes[r])):
                paths.append(path_of(m).rsplit("/", 1)[0])
                i += rack_sizes[r]
            else:
                paths.append(path_of(m))
                i += 1
        steps, last = [], None
        if series[0] is not None:   # the peer's initial level, then the first interval's
            steps.append(f"{{at: 0, value: {series[0] * SCALE:.9g}}}")
            last = series[0]
        for t, u in enumerate(series[1:]):
            if u != last:
                # The first interval's level comes 1 us after an initial level (see above).
                at = "1.0e-6" if t == 0 and steps else str(int(t * DT_U))
                steps.append(f"{{at: {at}, value: {u * SCALE:.9g}}}")
                last = u
        w(f"    g{j + 1:04d}:")
        w("      kind: independent")
        w(f"      members: [{', '.join(paths)}]")
        w(f"      activity: [{', '.join(steps)}]")
    text = "\n".join(out) + "\n"
    if len(text) > 16 << 20:
        sys.exit(f"make_peer: the site would be {len(text) >> 20} MB, over dctwin's 16 MB limit")
    with open(a.output, "w") as f:
        f.write(text)
    print(f"make_peer: {a.output}: {n} GPUs, {racks} racks, {cdus} CDUs, {k} intervals, "
          f"{len(jobs)} jobs, {len(text) / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
