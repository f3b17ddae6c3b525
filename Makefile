# Two commands on a fresh machine (Python 3.11): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/smmpanel demo

# axe-core (accessibility checks in the browser tests) from npm, when npm is there.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --prefix tests/browser --no-save --no-package-lock axe-core@4.14.1; \
	else echo "npm not found: browser accessibility checks will be skipped"; fi

# SQLite always; PostgreSQL too when TEST_POSTGRES_URL names a server (CI sets it).
test: $(STAMP) $(AXE) lint test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

# SMMPANEL_EXPECT_DB_VENDOR makes a run on the wrong engine fail instead of quietly
# skipping the engine's own tests (tests/orders/test_concurrency.py checks it).
test-sqlite: $(STAMP)
	env -u DATABASE_URL SMMPANEL_EXPECT_DB_VENDOR=sqlite $(BIN)/pytest -q

test-postgres: $(STAMP)
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		DATABASE_URL="$$TEST_POSTGRES_URL" SMMPANEL_EXPECT_DB_VENDOR=postgresql $(BIN)/pytest -q; \
	else echo "TEST_POSTGRES_URL not set: PostgreSQL run skipped"; fi

# API throughput through gunicorn against PostgreSQL (BENCH_DATABASE_URL, or a throwaway
# cluster from Debian's postgresql package); e.g. `make bench BENCH_ARGS="--seconds 10"`.
bench: $(STAMP)
	$(BIN)/python bench/api_throughput.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data
