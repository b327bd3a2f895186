# sepsistwin: set-up, demo, tests, benchmarks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo serve test test-slow test-all test-browser screenshots lint typecheck bench validate clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==25.3
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[test]"
	# Compile the model kernels once (cached on disk; ~270 s for the full model on 2 cores).
	$(BIN)/sepsistwin compile
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sepsistwin demo

# Local dashboard and JSON API on http://127.0.0.1:8000/ (API docs at /docs).
serve: $(STAMP)
	$(BIN)/sepsistwin serve

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

# Browser tests only (Playwright driving Debian's /usr/bin/chromium; part of `make test`,
# except the what-if test on the full model, which is also marked slow).
test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser -q

# Rewrite the dashboard screenshots shown in the README (docs/screenshots/*.png).
screenshots: $(STAMP)
	SEPSISTWIN_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -m browser -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

# The full validation scorecard (docs/validation.md); `sepsistwin validate --quick` in CI.
validate: $(STAMP)
	$(BIN)/sepsistwin validate

# Every benchmarks/bench_*.py; each rewrites its own section of docs/benchmarks.md.
bench: $(STAMP)
	@set -e; for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
