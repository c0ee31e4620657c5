# The two set-up commands (see README): `make demo` and `make test`.
# Each creates .venv from pyproject.toml on first use; nothing else needs installing.
# demo installs syndup alone; test adds the dev extra; bench adds the bench extra.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --progress-bar on --disable-pip-version-check

.PHONY: demo test system-deps lint bench bench-quick clean

$(BIN)/.venv-made:
	@echo "make: creating $(VENV) (first run only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	touch $@

$(BIN)/.installed: pyproject.toml $(BIN)/.venv-made
	@echo "make: installing syndup into $(VENV) (first run only; a few minutes)"
	$(PIP) -e .
	$(BIN)/python -m syndup.warmup
	touch $@

$(BIN)/.installed-dev: pyproject.toml $(BIN)/.installed
	@echo "make: installing syndup[dev] (test tools) into $(VENV)"
	$(PIP) -e ".[dev]"
	touch $@

$(BIN)/.installed-bench: pyproject.toml $(BIN)/.installed-dev
	@echo "make: installing syndup[dev,bench] into $(VENV)"
	$(PIP) -e ".[dev,bench]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/syndup cluster data/seed_headlines.csv --top 6
	$(BIN)/syndup cluster data/wire_1916.jsonl --top 6
	@echo "make: run it yourself with $(BIN)/syndup, or 'source $(BIN)/activate' then 'syndup'"

system-deps:
	@bash .ci/system-deps

test: $(BIN)/.installed-dev system-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/pytest -q

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(BIN)/.installed-bench
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

bench-quick: $(BIN)/.installed-bench
	$(BIN)/python benchmarks/run_all.py --quick

clean:
	rm -rf $(VENV) .venv-peers .pytest_cache .ruff_cache benchmarks/work
