# snnexp: `make demo` (main job on the embedded digits data) and `make test` set everything up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_FLAGS ?= -q
ARGS ?=
SWEEP ?= skip_ablation

.PHONY: help install demo train test test-slow test-all sweep report bench wandb-sync clean clean-logs

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY) -m pip install $(PIP_FLAGS) -e '.[dev]'
	touch $@

install: $(VENV)/.installed  ## create .venv and install snnexp with its dev extras

demo: install  ## the main job: MLP-SPE-T on the embedded digits data set (a few minutes on CPU)
	$(PY) -m snnexp model=mlp_spe_t neuron.tau=2 $(ARGS)

train: install  ## python -m snnexp $(ARGS)
	$(PY) -m snnexp $(ARGS)

test: install  ## fast test suite (CPU, under ~15 minutes)
	$(PY) -m pytest -m "not slow" $(ARGS)

test-slow: install  ## the slow tests only (whole sweeps, DDP)
	$(PY) -m pytest -m slow $(ARGS)

test-all: install  ## every test
	$(PY) -m pytest $(ARGS)

sweep: install  ## a study from sweeps/: make sweep SWEEP=skip_ablation ARGS=+quick=digits
	$(PY) -m snnexp -m +sweep=$(SWEEP) $(ARGS)

report: install  ## table + curves of a study: make report DIR=logs/<task>/multiruns/<date_time>
	$(PY) -m snnexp.report $(DIR)

bench: install  ## speed and memory vs the ReLU bound (bench_results/)
	$(PY) -m snnexp.bench $(ARGS)

wandb-sync:  ## upload offline W&B runs (needs `wandb login`)
	find logs -type d -name 'offline-run-*' -exec $(VENV)/bin/wandb sync {} +

clean-logs:  ## delete logs/
	rm -rf logs

clean:  ## delete the venv and caches
	rm -rf $(VENV) .pytest_cache *.egg-info
