# The two set-up commands (see README): `make demo` and `make test`.
# Each creates .venv from pyproject.toml on first use; nothing else needs installing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench bench-quick clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/syndup cluster data/seed_headlines.csv --top 6
	$(BIN)/syndup cluster data/wire_1916.jsonl --top 6

test: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run_all.py

bench-quick: $(BIN)/.installed
	$(BIN)/python benchmarks/run_all.py --quick

clean:
	rm -rf $(VENV) .venv-peers .pytest_cache .ruff_cache benchmarks/work
