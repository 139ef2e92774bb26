#!/usr/bin/env bash
# `npm ci` in the given folder, skipped when node_modules already matches the lock file.
set -euo pipefail
dir=${1:?usage: npm-install.sh DIR}
cd "$(dirname "$0")/../$dir"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
