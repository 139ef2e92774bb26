#!/usr/bin/env bash
# Installs what `make test` needs, only where it is missing, and starts the services the
# tests use (PostgreSQL, Redis) when they are not running. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
need_apt=()
command -v cargo >/dev/null || { echo "cargo is required: install Rust from https://rustup.rs" >&2; exit 1; }
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v cc >/dev/null || need_apt+=(build-essential)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v pg_ctlcluster >/dev/null || need_apt+=(postgresql)
command -v redis-server >/dev/null || need_apt+=(redis-server)
# The Debian package test: dpkg-deb builds it, objdump reads the glibc the binary needs.
command -v dpkg-deb >/dev/null || need_apt+=(dpkg)
command -v objdump >/dev/null || need_apt+=(binutils)
# The PDF tests read invoices back with pdftotext and pdfimages.
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt-get: ${need_apt[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

./scripts/npm-install.sh tests/js
./scripts/npm-install.sh web

# A real SMTP server for the e-mail tests: aiosmtpd from PyPI in .venv-test (run by
# tests/smtp/server.py); and an independent Web Push implementation for the push tests:
# http_ece with cryptography (tests/push/browser.py). The Rust tests find them there, or
# through PAYBELL_TEST_PYTHON.
if ! .venv-test/bin/python -c 'import aiosmtpd, http_ece, cryptography' >/dev/null 2>&1; then
  echo "installing aiosmtpd, http_ece and cryptography into .venv-test"
  [ -x .venv-test/bin/python ] || python3 -m venv .venv-test || { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-venv && python3 -m venv .venv-test; }
  .venv-test/bin/pip install -q 'aiosmtpd>=1.4,<2' 'http_ece>=1.2,<2' 'cryptography>=42'
fi
# A Stripe API stand-in for the Stripe tests: localstripe from PyPI in the same virtualenv.
if ! .venv-test/bin/python -c 'import localstripe' >/dev/null 2>&1; then
  echo "installing localstripe into .venv-test"
  .venv-test/bin/pip install -q 'localstripe>=1.15,<1.16'
fi

# PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test`.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "starting PostgreSQL"
  cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
  # A fresh cluster: allow local trust logins and create the test database.
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -n 1)
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    as_postgres psql -q -c 'select pg_reload_conf()' >/dev/null
  fi
  as_postgres createdb test 2>/dev/null || true
fi

# Redis on 127.0.0.1:6379.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
