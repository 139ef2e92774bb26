# The two commands a newcomer runs: `make run` and `make test`. See README.md.
.PHONY: run build web deb test deps-test lint test-rust test-js test-web test-browser bench bench-cluster

CARGO ?= cargo
BIN_DEBUG := $(CURDIR)/target/debug/paybell

## Build everything (web app, then the binary that embeds it) and start `paybell serve --demo`.
run: build
	./target/release/paybell serve --demo

build: web
	$(CARGO) build --release -p paybell

## The Debian package (target/deb/paybell_VERSION_ARCH.deb) from the release binary; see
## scripts/deb.sh and README.md#debian-package.
deb: build
	./scripts/deb.sh

## The web app's production build in web/dist (embedded into the binary at compile time).
web:
	./scripts/npm-install.sh web
	cd web && npm run build

## Install what the tests need where missing, then run every test.
test: deps-test lint test-rust test-js test-web test-browser

deps-test:
	./scripts/install-test-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust: web
	$(CARGO) nextest run --workspace --no-fail-fast
	$(CARGO) test --workspace --doc

test-js:
	$(CARGO) build -p paybell
	cd tests/js && PAYBELL_BIN=$(BIN_DEBUG) npm test

test-web:
	cd web && npm test

test-browser: web
	$(CARGO) build -p paybell
	cd web && PAYBELL_BIN=$(BIN_DEBUG) npm run test:browser

bench:
	./scripts/bench.sh

## 100,000 connections over several nodes on Redis (needs Redis at 127.0.0.1:6379); see
## BENCHMARKS.md#several-nodes-100000-connections.
bench-cluster:
	./scripts/bench-cluster.sh
