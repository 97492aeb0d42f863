# The two commands of the README: `make demo` and `make test`.
# Both create (or reuse) .venv/ in the repo root and install the project into it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# torch is pinned to the CPU build that lies on the development machines' disk;
# an unpinned torch would pull a multi-GB CUDA build.
TORCH_PIN := torch==2.13.0
STAMP := $(VENV)/.installed
NB_TIMEOUT ?= 600
# OpenMP threads that spin while waiting burn a shared 2-core machine: with other
# jobs running, a tiny matmul took 90x longer. Sleeping waits cost nothing alone.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: demo test install system-deps test-fast test-unit test-notebooks bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet $(TORCH_PIN)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the sandbox and browser tests use; skipped (tests then skip) when not root.
system-deps:
	@bash scripts/system_deps.sh

demo: install
	$(PY) -m workbench.cli demo

test: install system-deps
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -q tests/
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -q --nbval-lax --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout=$(NB_TIMEOUT) -p no:cacheprovider notebooks/

# The contributor's loop: no servers, browsers, sandbox, second processes or TRL (README: test tiers).
test-fast: install
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -q -m "not slow" tests/

test-unit: install
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q tests/

test-notebooks: install
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q --nbval-lax --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout=$(NB_TIMEOUT) notebooks/

bench: install
	for f in benchmarks/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
