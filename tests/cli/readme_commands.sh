#!/usr/bin/env bash
# Runs every `build/bin/dctwin` command of the README's code blocks, verbatim and in order, in
# a scratch folder laid out like a fresh clone after the build (build/bin/dctwin, sites/),
# and fails on the first that fails. Usage: readme_commands.sh SOURCE_DIR DCTWIN_BINARY
set -euo pipefail
src=$1 bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/build/bin"
ln -s "$bin" "$work/build/bin/dctwin"
ln -s "$src/sites" "$work/sites"
# Indented lines of the README starting with build/bin/dctwin, joined over trailing backslashes.
awk '/^    build\/bin\/dctwin/ { cmd = substr($0, 5); while (cmd ~ /\\$/ && (getline line) > 0) cmd = substr(cmd, 1, length(cmd) - 1) substr(line, 5); print cmd }' \
    "$src/README.md" >"$work/commands.sh"
n=$(wc -l <"$work/commands.sh")
[ "$n" -ge 10 ] || { echo "found only $n commands in the README" >&2; exit 1; }
cd "$work"
i=0
while IFS= read -r cmd; do
  i=$((i + 1))
  echo "[$i/$n] $cmd"
  # Under the sanitizers a 3D render leaves Mesa's driver blocks at exit (tests/viz/test_render.cpp
  # says why): those commands run without leak detection, every memory access still checked.
  leaks=${ASAN_OPTIONS:-}
  case "$cmd" in *" render "*|*" report "*--html*) leaks="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" ;; esac
  if ! ASAN_OPTIONS="$leaks" bash -c "$cmd" >"$work/out.txt" 2>&1; then
    echo "README command failed: $cmd" >&2
    tail -20 "$work/out.txt" >&2
    exit 1
  fi
done <"$work/commands.sh"
echo "all $n README commands ran"
