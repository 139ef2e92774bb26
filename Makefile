# The two commands a newcomer runs: `make run` and `make test`. See README.md.
.PHONY: run build test test-rust test-js lint bench deps-test

CARGO ?= cargo

## Build everything and start the realtime server with the development app.
run: build
	./target/release/paybell realtime

build:
	$(CARGO) build --release -p paybell

## Install what the tests need where missing, then run every test.
test: deps-test lint test-rust test-js

deps-test:
	./scripts/install-test-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) nextest run --workspace --no-fail-fast
	$(CARGO) test --workspace --doc

test-js:
	$(CARGO) build -p paybell
	cd tests/js && PAYBELL_BIN=$(CURDIR)/target/debug/paybell npm test

bench:
	@echo "No benchmarks yet: the load generator is tracked in its own issue." && exit 1
