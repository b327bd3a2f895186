# sepsistwin: set-up, demo, tests, benchmarks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo serve test test-slow test-browser screenshots lint typecheck bench validate clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==25.3
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sepsistwin demo

# Local dashboard and JSON API on http://127.0.0.1:8000/ (API docs at /docs).
serve: $(STAMP)
	$(BIN)/sepsistwin serve

# Fast suite (what CI runs): everything not marked slow, plus lint and types.
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not slow" -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -q

# Browser tests only (Playwright driving Debian's /usr/bin/chromium; part of `make test`,
# except the what-if test on the full model, which is also marked slow).
test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser -q

# Rewrite the dashboard screenshots shown in the README (docs/screenshots/*.png).
screenshots: $(STAMP)
	SEPSISTWIN_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -m browser -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

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
