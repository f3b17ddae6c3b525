# Two commands on a fresh machine (Python 3.11): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint bench overload fuzz clean

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
	$(BIN)/lint-imports

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

# API v2 at 1, 2 and 10 times saturation, with and without load shedding (bench/overload.py).
overload: $(STAMP)
	$(BIN)/python bench/overload.py $(BENCH_ARGS)

# The long fuzz, outside CI's time: 100,000 API v2 requests, then 10,000 web form posts,
# with the CI fuzz's oracles; each part stops at its count or after FUZZ_SECONDS.
FUZZ_SECONDS ?= 5400
fuzz: $(STAMP)
	FUZZ_API_REQUESTS=100000 FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/pytest -q -s -p no:cacheprovider \
		tests/api/test_fuzz.py -k test_fuzzing_api_v2_through_the_test_client
	FUZZ_WEB_POSTS=10000 FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/pytest -q -s -p no:cacheprovider \
		tests/web/test_form_fuzz.py

clean:
	rm -rf $(VENV) data
