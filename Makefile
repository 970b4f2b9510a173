# Quick start: `make demo` (install + default episode) and `make test` (install + tests).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MUJOCO_GL ?= egl

.PHONY: install demo test bench lint clean

install: $(STAMP)

# The pinned CPU torch goes in first: a plain `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml Makefile scripts/install_system_packages.sh
	bash scripts/install_system_packages.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[all]"
	touch $(STAMP)

demo: install
	$(PY) -m embodied.episode

test: install
	$(PY) -m pytest

bench: install
	$(PY) benchmarks/mppi_latency.py

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache
