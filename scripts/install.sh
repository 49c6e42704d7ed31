#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet
# (dpkg -s first, so a second run installs nothing). Uses sudo when not run as root.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install: every package is installed"
  exit 0
fi
echo "install: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
