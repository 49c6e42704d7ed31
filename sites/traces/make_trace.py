#!/usr/bin/env python3
"""Writes h100-training-8gpu.csv: a synthetic nvidia-smi log of 8 GPUs of one training job.

    python3 sites/traces/make_trace.py [OUT]

Deterministic (Python standard library only, random.Random with a fixed seed, using only
random(), whose sequence is stable across Python versions). The pattern, in the format of
`nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv -lms 100`:

- 120 s at 100 ms, 8 GPUs (rows of one sample share its timestamp but for a fraction of a ms);
- 0-3 s idle near 88 W; from 3 s synchronous iterations of about 2 s (+-3 %), 72 % compute
  near 650 W and 28 % communication about 30 % lower (near 455 W);
- one checkpoint from 64 s to 70 s near 160 W, during which the iterations pause;
- a few watts of noise per sample and a fixed offset per GPU (manufacturing spread).
"""

import datetime
import os
import random
import sys

GPUS = 8
STEP_MS = 100
DURATION_MS = 120_000
START = datetime.datetime(2024, 5, 1, 12, 0, 0)

IDLE_UNTIL = 3.0          # s
PERIOD = 2.0              # s, mean iteration period
COMPUTE_FRACTION = 0.72
CHECKPOINT = (64.0, 70.0)  # s
P_IDLE, P_COMPUTE, P_COMM, P_CKPT = 88.0, 650.0, 455.0, 160.0  # W


def main(out_path):
    rng = random.Random(20240501)
    offsets = [(rng.random() - 0.5) * 16.0 for _ in range(GPUS)]  # W per GPU

    # Iteration boundaries on the iteration clock (which stops during the checkpoint).
    starts, t = [], 0.0
    while t < DURATION_MS / 1000.0:
        starts.append(t)
        t += PERIOD * (1.0 + (rng.random() - 0.5) * 0.06)
    starts.append(t)

    def phase(ts):
        """'idle', 'ckpt', 'compute' or 'comm' at wall time ts [s]."""
        if ts < IDLE_UNTIL:
            return "idle"
        if CHECKPOINT[0] <= ts < CHECKPOINT[1]:
            return "ckpt"
        clock = ts - IDLE_UNTIL - (CHECKPOINT[1] - CHECKPOINT[0] if ts >= CHECKPOINT[1] else 0.0)
        lo, hi = 0, len(starts) - 1
        while hi - lo > 1:  # the iteration holding clock
            mid = (lo + hi) // 2
            if starts[mid] <= clock:
                lo = mid
            else:
                hi = mid
        frac = (clock - starts[lo]) / (starts[lo + 1] - starts[lo])
        return "compute" if frac < COMPUTE_FRACTION else "comm"

    level = {"idle": (P_IDLE, 0, 0), "ckpt": (P_CKPT, 3, 8), "compute": (P_COMPUTE, 97, 100), "comm": (P_COMM, 35, 45)}
    lines = ["timestamp, index, power.draw [W], utilization.gpu [%]"]
    for ms in range(0, DURATION_MS, STEP_MS):
        sample_ms = ms + int(rng.random() * 3)  # the query itself takes a moment
        for gpu in range(GPUS):
            ts_us = sample_ms * 1000 + gpu * 300
            stamp = START + datetime.timedelta(microseconds=ts_us)
            p, u_lo, u_hi = level[phase(ts_us / 1e6)]
            noise = (rng.random() + rng.random() + rng.random() - 1.5) * 6.0  # W, roughly normal
            power = max(0.0, p + noise + (offsets[gpu] if p > P_IDLE else 0.3 * offsets[gpu]))
            util = u_lo + int(rng.random() * (u_hi - u_lo + 1)) if u_hi > 0 else 0
            lines.append(f"{stamp.strftime('%Y/%m/%d %H:%M:%S')}.{stamp.microsecond // 1000:03d}, {gpu}, "
                         f"{power:.2f} W, {util} %")
    with open(out_path, "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "h100-training-8gpu.csv"))
