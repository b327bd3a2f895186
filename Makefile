# sepsistwin: set-up, demo, tests, benchmarks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-slow test-all lint typecheck bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==25.3
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sepsistwin demo

# Fast suite (what CI runs): formatting and lint, then types (mypy) beside the tests: every test
# not marked `slow` or `integration` plus the docstring examples, on two pytest-xdist workers
# (the root conftest.py keeps the tests of one compiled kernel variant on one worker, so one
# worker waits for the longest compilation while the other has room for mypy). Measured
# figures: CONTRIBUTING.md.
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py
	@$(BIN)/mypy > $(VENV)/mypy-report.txt 2>&1 & types_pid=$$!; \
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not slow and not integration" \
		--durations=15 -q; tests=$$?; \
	wait $$types_pid; types=$$?; \
	echo "mypy:"; cat $(VENV)/mypy-report.txt; \
	test $$tests -eq 0 -a $$types -eq 0

# Long-running tests and population/trial integration tests (not in `make test`).
test-slow: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "slow or integration" --durations=15 -q

# Everything: the fast suite's checks and every test.
test-all: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

# Every benchmarks/bench_*.py; each rewrites its own section of docs/benchmarks.md.
bench: $(STAMP)
	@set -e; for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
