#!/usr/bin/env bash
# Sets up, builds, and runs the main job on the shipped example site, printing its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
mkdir -p out
./build/bin/dctwin run sites/example-pod.yaml -o out/example-pod.h5 --force
