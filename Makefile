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

# SQLite always; PostgreSQL too when TEST_POSTGRES_URL names a server (CI sets it).
test: $(STAMP) lint test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

test-sqlite: $(STAMP)
	$(BIN)/pytest -q

test-postgres: $(STAMP)
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/pytest -q; \
	else echo "TEST_POSTGRES_URL not set: PostgreSQL run skipped"; fi

clean:
	rm -rf $(VENV) data
