#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite (Release, build/); then the same suite built
# with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/), a 60-second run of the
# site-loader fuzzer and 30 s of each other reader's fuzzer (build-fuzz/). Fails on any test
# failure or sanitizer/fuzzer finding.
#
#   DCTWIN_QUICK=1 ./scripts/test.sh   # a developer's quick run: Release suite only
#                                      # (ignored when CI=true: CI always runs everything)
#   DCTWIN_FUZZ_SECONDS=600 ./scripts/test.sh   # a longer fuzz run of the site loader
#   DCTWIN_FUZZ_OTHER_SECONDS=600 ./scripts/test.sh   # ... of the other readers
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/paraview.sh || echo "test: ParaView could not be installed: its test reports itself skipped"
# The Python reader's tests (python/dctwin_results.py) and the site JSON Schema's (tests/input/site_schema.py).
./scripts/install.sh python3-h5py python3-pandas python3-xarray python3-yaml python3-jsonschema
# The HTML report's screenshot test (tests/viz/test_render.cpp): a browser, headless.
./scripts/install.sh chromium
jobs=$(nproc)
ctest --test-dir "${DCTWIN_BUILD_DIR:-build}" --output-on-failure -j"$jobs"

quick=${DCTWIN_QUICK:-0}
case "${CI:-}" in true|1|yes) quick=0 ;; esac
if [ "$quick" = "1" ]; then
    echo "test: DCTWIN_QUICK=1: skipped the sanitizer suite and the fuzz run"
    exit 0
fi

# clang's libFuzzer and sanitizer runtimes (the sanitizer build itself uses g++).
./scripts/install.sh clang-14 libclang-rt-14-dev

echo "test: the suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan)"
asan=${DCTWIN_ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$asan" -DDCTWIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$asan" -j"$jobs"
# Any report ends the process with an error (-fno-sanitize-recover=all); leaks are reported at exit.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$asan" --output-on-failure -j"$jobs"

echo "test: fuzzing the site loader for ${DCTWIN_FUZZ_SECONDS:-60} s, each other reader for ${DCTWIN_FUZZ_OTHER_SECONDS:-30} s (build-fuzz)"
DCTWIN_JOBS=$jobs DCTWIN_FUZZ_TARGETS=fuzz_site_loader fuzz/run.sh "${DCTWIN_FUZZ_SECONDS:-60}"
DCTWIN_JOBS=$jobs \
DCTWIN_FUZZ_TARGETS="fuzz_set_values fuzz_epw fuzz_trace fuzz_sweep_file fuzz_sweep_journal fuzz_sweep_json fuzz_measured fuzz_grid_series" \
    fuzz/run.sh "${DCTWIN_FUZZ_OTHER_SECONDS:-30}"
