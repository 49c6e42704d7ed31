#!/usr/bin/env bash
# Calibration time: 4 parameters of the example pod (sites/calibration/pod.yaml) against a week
# of 1-minute synthetic telemetry (sites/calibration/make_telemetry.py, without its drifting
# sensor), on 1 and 2 threads. Prints wall time, runs, iterations and the fitted values against
# the truth (sites/calibration/truth.yaml). Issue 23 asks for under 2 minutes on 2 cores.
# Needs a Release build (./scripts/setup.sh) and python3. Usage: bench/calibrate.sh
# (DCTWIN_BIN: another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${DCTWIN_BIN:-build/bin/dctwin}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 sites/calibration/make_telemetry.py --dctwin "$bin" -o "$out/telemetry.csv" >/dev/null
cut -d, -f1-4,6- "$out/telemetry.csv" >"$out/measured.csv"  # without the drifting sensor
fits=(--fit 'rack_types.hgx-h100.coolant_flow=30 L/min..90 L/min'
      --fit 'device_types.h100.junction_to_plate_resistance=0.01 K/W..0.04 K/W'
      --fit 'rack_types.hgx-h100.power_shelf.efficiency=0.9..0.99'
      --fit 'rack_types.hgx-h100.other_power=2 kW..8 kW')
for j in 1 2; do
  /usr/bin/time -f "%e" -o "$out/time$j" "$bin" calibrate sites/calibration/pod.yaml "$out/measured.csv" "${fits[@]}" \
    -j "$j" --json >"$out/fit$j.json"
  python3 - "$out/fit$j.json" "$(cat "$out/time$j")" "$j" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"-j {sys.argv[3]}: {float(sys.argv[2]):.1f} s wall, {j['runs']} runs of {j['duration_s'] / 86400:.0f} d, "
      f"{j['iterations']} iterations, {j['residuals']} residuals")
for p in j["parameters"]:
    print(f"  {p['key']}: {p['value']}  (95 %: {p['ci95_si'][0]:.6g} .. {p['ci95_si'][1]:.6g} SI)")
PY
done
echo "truth: $(grep -v '^#' sites/calibration/truth.yaml | tr '\n' ';')"
