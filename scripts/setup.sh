#!/usr/bin/env bash
# Installs what dctwin needs from Debian's packages (skipping what is there) and builds it in
# Release into build/. Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make pkg-config libeigen3-dev libsundials-dev libhdf5-dev libvtk9-dev doctest-dev
          libcli11-dev libyaml-cpp-dev libfmt-dev nlohmann-json3-dev libfftw3-dev libudunits2-dev help2man dpkg-dev hdf5-tools xvfb xauth
          libopenmpi-dev openmpi-bin)
./scripts/install.sh "${packages[@]}"

build_dir=${DCTWIN_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)"
