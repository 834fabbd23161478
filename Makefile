# Territorial: every install step lives here and in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-output

.PHONY: browser-deps load-deps demo test test-slow lint typecheck unit bench balance-bench balance-floor api-load clean

$(STAMP): pyproject.toml
	$(MAKE) browser-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: pip then takes the CPU build and never a multi-GB CUDA one.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `report --pdf` prints with Debian's Chromium, and its tests open the report in it (through
# Playwright, never `playwright install`) and read the PDF with pdftoppm. Idempotent.
browser-deps:
	command -v chromium >/dev/null && command -v pdftoppm >/dev/null || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium poppler-utils)

demo: $(STAMP)
	$(BIN)/territorial demo --out-dir $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

# Two workers: this machine's two cores. Property tests draw their `ci` counts (tests/conftest.py).
PYTEST_WORKERS ?= 2

unit: $(STAMP) browser-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint typecheck unit

# What is too slow for the inner loop: tests marked slow, and every property test at its full count.
# The spark engine's tests need PySpark, an optional extra (about 500 MB): installed here only.
test-slow: $(STAMP) browser-deps
	$(BIN)/pip install --quiet -e '.[spark]'
	HYPOTHESIS_PROFILE=full $(BIN)/pytest -n $(PYTEST_WORKERS) -m "slow or property"

bench: $(STAMP)
	$(BIN)/python benchmarks/assign_bench.py

balance-bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/balance_bench.py

balance-floor: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/balance_floor.py

# The service's load benchmark drives it with Debian's wrk too (benchmarks/api_load.py). Idempotent.
load-deps:
	command -v wrk >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)

api-load: $(STAMP) load-deps
	$(BIN)/python benchmarks/api_load.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
