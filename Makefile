# Two commands for a newcomer: `make demo` and `make test`. Both create the virtual
# environment on first use. Another Python: make test PYTHON=python3.12 VENV=.venv312
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench docs clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

demo: $(BIN)/.installed          ## set up, compare the shipped Jieyang policy mixes across 1,000 worlds, write the report
	$(BIN)/catfish compare compare-jieyang-2023 --replicates 1000 --workers 2

test: $(BIN)/.installed lint     ## set up, lint, then run the whole test suite
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .

bench: $(BIN)/.installed         ## speed and memory figures (see benchmarks/)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_model.py

docs: $(BIN)/.installed          ## regenerate the generated docs (codebook, parameters, scenarios, policies)
	$(BIN)/catfish codebook --markdown > docs/codebook.md
	$(BIN)/catfish params --markdown > docs/parameters.md
	$(BIN)/catfish scenarios reference > docs/scenarios.md
	$(BIN)/catfish policies > docs/policies.md

clean:
	rm -rf .venv .venv312 catfish-output .pytest_cache .ruff_cache *.egg-info
