# supportflow: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# make test fails when line coverage of functions/ticketing and local_runtime falls below this (per cent).
# Set a little below what tests/unit + tests/infra measured (55%); the full suite measures more: raise it to match.
COVERAGE_FLOOR := 53
COVERAGE := --cov=ticketing --cov=local_runtime --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: install demo serve test test-fast lint bench accuracy synth clean

$(STAMP): pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)  ## create .venv and node_modules (Python packages, the CDK CLI)

demo: install  ## run an approved and a rejected ticket end to end on this machine
	$(BIN)/supportflow demo

serve: install  ## keep the local stack up on http://127.0.0.1:8000
	$(BIN)/supportflow serve

test: install lint  ## lint, type-check, then every test (slow ones included) with line coverage and its floor
	$(BIN)/pytest $(COVERAGE)

test-fast: install  ## only the tests not marked slow
	$(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install  ## measure the local workflow against baselines from the same run
	$(BIN)/python -m benchmarks.bench

accuracy: install  ## accuracy of the rules analyzer per category and severity on the labelled tickets
	$(BIN)/python -m benchmarks.analyzer_accuracy

synth: install  ## synthesize the CloudFormation template with the project's CDK CLI (bundles code)
	npx cdk synth --quiet

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .ruff_cache .mypy_cache .coverage
