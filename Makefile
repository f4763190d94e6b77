# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/workbench
STAMP := $(VENV)/.installed

.PHONY: install demo demo-pipeline serve test test-demo lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@if [ -f deploy/package.json ]; then npm install --silent --no-audit --no-fund --prefix deploy; fi
	touch $(STAMP)

install: $(STAMP)

# Generate the fictional demo sources, load them, build the published base, serve dashboards.
demo: demo-pipeline
	$(WB) serve

# The full MEL demo takes about 4 minutes to build (see README, "Mesures"): `make demo` runs on
# a reduced demo by default (about 30 s); `make demo DEMO_SCALE=1` builds the full one.
DEMO_SCALE ?= 0.05

demo-pipeline: install
	$(WB) demo-data --echelle $(DEMO_SCALE)
	$(WB) load --all
	$(WB) build --all

serve: install
	$(WB) serve

lint: install
	$(VENV)/bin/ruff check .

# Everything, including the tests that run the demo pipeline once (reduced demo, see
# tests/conftest.py) and execute the notebooks, dashboards and reports on its published base.
test: install lint
	$(VENV)/bin/pytest -q -p no:cacheprovider

# Only the tests on the demo pipeline's published base.
test-demo: install
	$(VENV)/bin/pytest -q -p no:cacheprovider -m demo

bench: install
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@echo "Voir bench/README.md pour chaque mesure."

clean:
	rm -rf var .pytest_cache
