#!/usr/bin/env python3
"""Synthetic telemetry for the calibration example (sites/calibration/README.md).

Runs pod.yaml with the parameters of truth.yaml, exports a few series and writes
telemetry.csv as a site's monitoring would: ISO 8601 timestamps every minute, sensor noise
(seeded), a 6-hour gap in every series (a collector outage) and one rack's return
temperature sensor drifting by +0.3 K a day. Standard library only.

    python3 make_telemetry.py [--dctwin build/bin/dctwin] [--seed 23]
"""
import argparse
import csv
import datetime
import os
import random
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SERIES = "/site/grid_power,/racks/coolant_return_temperature,/devices/junction_temperature"
KEEP = {  # export heading -> (telemetry heading, noise sd in the column's unit)
    "/site/grid_power [W]": ("site/grid_power [kW]", 0.3),  # written in kW
    "/racks/coolant_return_temperature:hall1/rowA/rack01 [degC]": ("racks/coolant_return_temperature/hall1/rowA/rack01 [degC]", 0.05),
    "/racks/coolant_return_temperature:hall1/rowA/rack02 [degC]": ("racks/coolant_return_temperature/hall1/rowA/rack02 [degC]", 0.05),
    "/racks/coolant_return_temperature:hall1/rowB/rack01 [degC]": ("racks/coolant_return_temperature/hall1/rowB/rack01 [degC]", 0.05),
    "/devices/junction_temperature:hall1/rowA/rack01/gpu0 [degC]": ("devices/junction_temperature/hall1/rowA/rack01/gpu0 [degC]", 0.2),
    "/devices/junction_temperature:hall1/rowB/rack02/gpu17 [degC]": ("devices/junction_temperature/hall1/rowB/rack02/gpu17 [degC]", 0.2),
}
DRIFTING = "racks/coolant_return_temperature/hall1/rowB/rack01 [degC]"
DRIFT_K_PER_DAY = 0.3
GAP = (3 * 86400 + 2 * 3600, 3 * 86400 + 8 * 3600)  # [s] day 4, 02:00 to 08:00
START = datetime.datetime(2026, 3, 2, tzinfo=datetime.timezone.utc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dctwin", default=os.path.join(HERE, "..", "..", "build", "bin", "dctwin"))
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("-o", "--output", default=os.path.join(HERE, "telemetry.csv"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        h5, table = os.path.join(tmp, "truth.h5"), os.path.join(tmp, "truth.csv")
        subprocess.run([a.dctwin, "run", os.path.join(HERE, "pod.yaml"), "--set-file", os.path.join(HERE, "truth.yaml"),
                        "-o", h5, "--json"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([a.dctwin, "export", h5, "--csv", table, "--series", SERIES], check=True, stdout=subprocess.DEVNULL)
        with open(table, newline="") as f:
            rows = list(csv.reader(f))
    header = rows[0]
    cols = [(header.index(k), name, sd) for k, (name, sd) in KEEP.items()]
    tcol = header.index("time [s]")
    with open(a.output, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["timestamp"] + [name for _, name, _ in cols])
        for r in rows[1:]:
            t = float(r[tcol])
            stamp = (START + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out = [stamp]
            for i, name, sd in cols:
                v = float(r[i]) / (1000 if name.endswith("[kW]") else 1)
                v += rng.gauss(0.0, sd)
                if name == DRIFTING:
                    v += DRIFT_K_PER_DAY * t / 86400
                out.append("" if GAP[0] <= t < GAP[1] else f"{v:.3f}")
            w.writerow(out)
    print(f"wrote {a.output}: {len(rows) - 1} rows, {len(cols)} series")


if __name__ == "__main__":
    main()
