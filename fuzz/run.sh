#!/usr/bin/env bash
# Builds the site-loader fuzzer (clang-14, libFuzzer + ASan + UBSan) in build-fuzz/ and runs
# it for SECONDS (default 60) on the seed corpus of the shipped and broken sites, with the
# format's dictionary. Exits non-zero on any finding (crash, sanitizer report, leak, an
# exception other than InputError escaping, a hang over -timeout, memory over -rss_limit_mb),
# leaving the input that caused it in build-fuzz/findings/.
#
#   fuzz/run.sh 600                 # the documented 10-minute run
#   DCTWIN_JOBS=1 fuzz/run.sh 60    # build with one job (default 2)
#   fuzz/run.sh 60 -seed=1234       # extra arguments go to libFuzzer
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
case "$seconds" in ''|*[!0-9]*) echo "usage: fuzz/run.sh SECONDS [libFuzzer flags...]" >&2; exit 2 ;; esac

build=${DCTWIN_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build" -DDCTWIN_FUZZ=ON -DDCTWIN_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build "$build" --target fuzz_site_loader -j"${DCTWIN_JOBS:-2}"

# Seeds are read-only inputs; what the fuzzer finds new goes to corpus/ (kept between local
# runs, so a long run continues where the last one stopped).
rm -rf "$build/seeds" "$build/findings"
mkdir -p "$build/seeds" "$build/corpus" "$build/findings"
cp sites/*.yaml sites/broken/*.yaml "$build/seeds/"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "fuzz: running fuzz_site_loader for ${seconds} s"
status=0
"$build/bin/fuzz_site_loader" "$build/corpus" "$build/seeds" \
    -dict=fuzz/site.dict -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/findings/" "$@" \
    || status=$?
found=$(find "$build/findings" -type f | wc -l)
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    echo "fuzz: FAILED (exit status $status, $found finding(s) in $build/findings/)" >&2
    find "$build/findings" -type f -exec ls -l {} + >&2 || true
    echo "fuzz: reproduce with $build/bin/fuzz_site_loader FILE" >&2
    exit 1
fi
echo "fuzz: no findings in ${seconds} s ($(find "$build/corpus" -type f | wc -l) inputs in the corpus)"
