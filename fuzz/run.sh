#!/usr/bin/env bash
# Builds the fuzz targets (clang-14, libFuzzer + ASan + UBSan) in build-fuzz/ and runs each for
# SECONDS (default 60) on its seed corpus, with a dictionary where there is one. Exits non-zero
# on any finding (crash, sanitizer report, leak, an exception other than the reader's own
# error escaping, a hang over -timeout, memory over -rss_limit_mb), leaving the input that
# caused it in build-fuzz/findings/TARGET/.
#
#   fuzz/run.sh 600                 # the documented 10-minute run, of every target
#   DCTWIN_FUZZ_TARGETS="fuzz_epw fuzz_trace" fuzz/run.sh 30   # some targets only
#   DCTWIN_JOBS=1 fuzz/run.sh 60    # build with one job (default 2)
#   fuzz/run.sh 60 -seed=1234       # extra arguments go to libFuzzer
#
# Targets and seeds:
#   fuzz_site_loader     site text            sites/*.yaml, sites/broken/*.yaml (site.dict)
#   fuzz_set_values      --set lines          fuzz/seeds/set_values/ (site.dict)
#   fuzz_epw             EPW weather          tests/robustness/data/weather/*.epw, hot-week
#   fuzz_trace           trace CSV            tests/robustness/data/traces/*.csv, sites/traces/
#   fuzz_sweep_file      sweep file           sites/sweeps/*.yaml
#   fuzz_sweep_journal   cases.jsonl          fuzz/seeds/sweep_journal/
#   fuzz_sweep_json      sweep.json           fuzz/seeds/sweep_json/
#   fuzz_measured        measured data        tests/calib/data/* (compare: CSV, nvidia-smi, Prometheus, dcgmi)
#   fuzz_grid_series     power.grid series    fuzz/seeds/grid_series/ (carbon intensity, price, share CSV)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
case "$seconds" in ''|*[!0-9]*) echo "usage: fuzz/run.sh SECONDS [libFuzzer flags...]" >&2; exit 2 ;; esac
all="fuzz_site_loader fuzz_set_values fuzz_epw fuzz_trace fuzz_sweep_file fuzz_sweep_journal fuzz_sweep_json fuzz_measured fuzz_grid_series"
targets=${DCTWIN_FUZZ_TARGETS:-$all}

build=${DCTWIN_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build" -DDCTWIN_FUZZ=ON -DDCTWIN_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" --target $targets -j"${DCTWIN_JOBS:-2}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in $targets; do
    # Seeds are read-only inputs; what the fuzzer finds new goes to corpus/TARGET (kept
    # between local runs, so a long run continues where the last one stopped).
    seeds="$build/seeds/$t" corpus="$build/corpus/$t" findings="$build/findings/$t"
    rm -rf "$seeds" "$findings"
    mkdir -p "$seeds" "$corpus" "$findings"
    flags=(-max_len=16384)
    case "$t" in
        fuzz_site_loader) cp sites/*.yaml sites/broken/*.yaml "$seeds/"; flags+=(-dict=fuzz/site.dict) ;;
        fuzz_set_values) cp fuzz/seeds/set_values/* "$seeds/"; flags=(-max_len=4096 -dict=fuzz/site.dict) ;;
        fuzz_epw) cp tests/robustness/data/weather/*.epw sites/weather/hot-week-synthetic.epw "$seeds/"
                  flags=(-max_len=32768) ;;
        fuzz_trace) cp tests/robustness/data/traces/*.csv "$seeds/"
                    head -c 16000 sites/traces/h100-training-8gpu.csv > "$seeds/h100-head.csv" ;;
        fuzz_sweep_file) cp sites/sweeps/*.yaml "$seeds/" ;;
        fuzz_sweep_journal) cp fuzz/seeds/sweep_journal/* "$seeds/" ;;
        fuzz_sweep_json) cp fuzz/seeds/sweep_json/* "$seeds/"; flags=(-max_len=4096) ;;
        fuzz_measured) cp tests/calib/data/* "$seeds/"; flags=(-max_len=8192) ;;
        fuzz_grid_series) cp fuzz/seeds/grid_series/* "$seeds/"; flags=(-max_len=8192) ;;
        *) echo "fuzz: unknown target $t" >&2; exit 2 ;;
    esac
    echo "fuzz: running $t for ${seconds} s"
    status=0
    "$build/bin/$t" "$corpus" "$seeds" "${flags[@]}" -timeout=10 -rss_limit_mb=2048 \
        -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$findings/" "$@" \
        || status=$?
    found=$(find "$findings" -type f | wc -l)
    if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
        echo "fuzz: $t FAILED (exit status $status, $found finding(s) in $findings/)" >&2
        find "$findings" -type f -exec ls -l {} + >&2 || true
        echo "fuzz: reproduce with $build/bin/$t FILE" >&2
        failed=1
    else
        echo "fuzz: $t: no findings in ${seconds} s ($(find "$corpus" -type f | wc -l) inputs in the corpus)"
    fi
done
exit "$failed"
