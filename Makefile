# Two commands for a newcomer: `make demo` and `make test`. Both create the virtual
# environment on first use. Another Python: make test PYTHON=python3.12 VENV=.venv312
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the versions CI tested on this Python (constraints/): a new release of a dependency cannot
# change what `make test` checks; `make constraints` records the current ones
PYVER := $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
CONSTRAINTS := $(wildcard constraints/py$(PYVER).txt)

.PHONY: demo test lint site bench docs schemas notebooks constraints clean

$(BIN)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		$(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[dev]"
	touch $@

demo: $(BIN)/.installed          ## set up, compare the shipped Jieyang policy mixes across 1,000 worlds, write the report
	$(BIN)/catfish compare compare-jieyang-2023 --replicates 1000 --workers 2

# DOCS= skips the docs build (.ci/run builds it before the two Pythons' suites run side by side:
# site/ and .docs-src/ are one folder each, so two builds at once would overwrite each other)
DOCS ?= site
test: $(BIN)/.installed lint $(DOCS)  ## set up, lint, build the docs site, then run the whole test suite (notebooks included)
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .

# built from docs/: griffe takes a folder named like a package in the current folder for that
# package, and the API reference must read the installed layout (tools/docs_hooks.py)
site: $(BIN)/.installed          ## the documentation site from docs/ (offline; a warning is an error)
	cd docs && $(abspath $(BIN))/python -m mkdocs build -f ../mkdocs.yml --strict --quiet

bench: $(BIN)/.installed         ## speed and memory figures (see benchmarks/)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_model.py

docs: $(BIN)/.installed schemas  ## regenerate the generated docs (codebook, parameters, scenarios, policies)
	$(BIN)/catfish codebook --markdown > docs/codebook.md
	$(BIN)/catfish params --markdown > docs/parameters.md
	$(BIN)/catfish scenarios reference > docs/scenarios.md
	$(BIN)/catfish policies > docs/policies.md

schemas: $(BIN)/.installed       ## the editor schemas of the input files (scenarios/schemas/)
	for kind in scenario comparison sweep sensitivity; do \
		$(BIN)/catfish schema $$kind > scenarios/schemas/$$kind.schema.json; done

notebooks: $(BIN)/.installed     ## rewrite notebooks/ from tools/make_notebooks.py
	$(BIN)/python tools/make_notebooks.py

constraints: $(BIN)/.installed   ## record the installed versions as this Python's constraints
	mkdir -p constraints
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check \
		> constraints/py$(PYVER).txt

clean:
	rm -rf .venv .venv312 catfish-output .pytest_cache .ruff_cache *.egg-info site .docs-src
