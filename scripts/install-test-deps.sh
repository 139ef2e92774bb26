#!/usr/bin/env bash
# Installs what `make test` needs, only where it is missing. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cargo >/dev/null || { echo "cargo is required: install Rust from rustup.rs" >&2; exit 1; }
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt-get: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${need_apt[@]}"
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi
for component in rustfmt clippy; do
  cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$component"
done

if [ -f tests/js/package-lock.json ]; then
  # npm ci is skipped when node_modules already matches the lock file.
  if [ ! -d tests/js/node_modules ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
    (cd tests/js && npm ci --no-audit --no-fund)
  fi
fi
