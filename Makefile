# Two commands matter: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
VENV_RASA := .venv-rasa
STAMPS    := .stamps
PY        := $(VENV)/bin/python
RASA      := $(VENV_RASA)/bin/rasa
AKAR      := $(VENV)/bin/akar

# Rasa 3.6 needs Python 3.8-3.10. pyenv's shim may refuse `python3.10` when 3.10 is not the
# global version, so also look at pyenv's install folder directly.
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10; do \
                 $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo $$p; break; }; done)
PYTHON311 ?= $(shell for p in python3.11 $$HOME/.pyenv/versions/3.11*/bin/python3.11 /usr/bin/python3.11; do \
                 $$p -c 'import sys; assert sys.version_info[:2] == (3, 11)' >/dev/null 2>&1 && { echo $$p; break; }; done)

# endpoints.yml reads the action server URL from the environment (the supervisor sets it at run time).
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook

TRAINING_INPUTS := config.yml domain.yml $(wildcard nlu/*.yml) $(wildcard stories/*.yml)

.PHONY: help setup run chat test test-unit test-e2e test-rasa validate train lint typecheck bench migrate clean

help:
	@echo "make run   - set everything up on first use, then run the assistant"
	@echo "make test  - set everything up, then run every test"
	@echo "make train | make bench | make lint | make migrate | make clean"

# --- environments -----------------------------------------------------------------------------
$(STAMPS)/venv: requirements/app.txt requirements/app.lock pyproject.toml
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found"; exit 1; }
	test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/app.txt -c requirements/app.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/venv-rasa: requirements/rasa.txt requirements/rasa.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (Rasa 3.6 needs it)"; exit 1; }
	test -x $(VENV_RASA)/bin/python || $(PYTHON310) -m venv $(VENV_RASA)
	$(VENV_RASA)/bin/python -m pip install -q "pip==24.0" "wheel==0.43.0"
	$(VENV_RASA)/bin/python -m pip install -q -r requirements/rasa.txt -c requirements/rasa.lock
	@mkdir -p $(STAMPS) && touch $@

setup: $(STAMPS)/venv $(STAMPS)/venv-rasa

# --- model -------------------------------------------------------------------------------------
# Retrain only when the training data or the config changed since the last model.
$(STAMPS)/model: $(STAMPS)/venv-rasa $(TRAINING_INPUTS)
	$(RASA) train --data nlu stories --config config.yml --domain domain.yml --out models --fixed-model-name akar --quiet
	@touch $@

train: $(STAMPS)/model

# --- database ----------------------------------------------------------------------------------
migrate: $(STAMPS)/venv
	$(AKAR) db upgrade

# --- run ---------------------------------------------------------------------------------------
run: setup train migrate
	$(AKAR) run

# --- checks --------------------------------------------------------------------------------------
lint: $(STAMPS)/venv
	$(VENV)/bin/ruff check bot actions tests
	$(VENV)/bin/ruff format --check bot actions tests

typecheck: $(STAMPS)/venv
	$(VENV)/bin/mypy

validate: $(STAMPS)/venv-rasa
	$(RASA) data validate --data nlu stories --config config.yml --domain domain.yml --fail-on-warnings

test-rasa: train
	$(RASA) test core --stories tests/rasa/test_stories.yml --model models/akar.tar.gz --out results/core --fail-on-prediction-errors

test-unit: $(STAMPS)/venv
	$(PY) -m pytest -m "not e2e" -q

test-e2e: setup train
	$(PY) -m pytest -m e2e -q

test: setup lint typecheck validate train test-rasa
	$(PY) -m pytest -q

bench: setup train
	$(PY) -m tests.bench

clean:
	rm -rf $(STAMPS) models results .pytest_cache .mypy_cache .ruff_cache
