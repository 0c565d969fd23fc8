# CityOS — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
DEMO_DATA ?= data
DEMO_LISTEN ?= 127.0.0.1:8080

.PHONY: demo test deps web web-test rust-test rust-test-sqlite rust-test-postgres lint e2e bench clean

## Build everything and start CityOS with the demo city on the embedded database.
demo: deps web
	$(CARGO) build -p cityos
	./target/debug/cityos demo --data-dir $(DEMO_DATA) --listen $(DEMO_LISTEN)

## Every test: lints, Rust unit and contract tests on SQLite and PostgreSQL, web unit tests, browser tests.
test: deps web lint rust-test web-test e2e
	@echo "make test: all suites passed"

deps:
	@scripts/ensure-system-deps.sh

web:
	cd web && (npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error) && npm run build

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	@command -v cargo-deny >/dev/null || $(CARGO) install cargo-deny --locked --version 0.20.2
	@# cargo-deny reads every platform's dependencies (windows-sys, …): fetch them first, it runs offline.
	$(CARGO) fetch --locked --quiet
	$(CARGO) deny --log-level error --offline check licenses bans sources

rust-test: rust-test-sqlite rust-test-postgres

rust-test-sqlite:
	@echo "=== contract suite: sqlite ==="
	CITYOS_TEST_BACKEND=sqlite $(CARGO) test --workspace

rust-test-postgres:
	@echo "=== contract suite: postgres ==="
	@url=$$(scripts/test-postgres.sh) && scripts/drop-test-databases.sh "$$url" && \
	  CITYOS_TEST_BACKEND=postgres CITYOS_TEST_PG_URL="$$url" $(CARGO) test --workspace

web-test:
	cd web && npm run test:unit

## Browser tests: Playwright drives Debian's Chromium against a real `cityos demo`.
e2e:
	$(CARGO) build -p cityos
	scripts/e2e.sh

bench:
	scripts/bench.sh

clean:
	$(CARGO) clean
	rm -rf web/dist web/node_modules
