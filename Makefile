# supportflow: the two commands a newcomer needs are `make demo` and `make test`.
# Tests run on the Lambda runtime's Python, read from infra/bundling.py (pyenv finds it through .python-version).
LAMBDA_PYTHON := $(shell sed -n 's/^LAMBDA_PYTHON_VERSION = "\(.*\)"$$/\1/p' infra/bundling.py)
PYTHON ?= python$(LAMBDA_PYTHON)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# make test fails when line coverage of functions/ticketing and local_runtime falls below this (per cent).
# A little below what the full suite measured on a fresh clone (97.0 %, `bash .ci/run`, 2026-11-30).
COVERAGE_FLOOR := 95
COVERAGE := --cov=ticketing --cov=local_runtime --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1
# Coverage through sys.monitoring (Python 3.12+): the same lines counted, less slowdown than a trace function.
export COVERAGE_CORE := sysmon

.PHONY: install demo serve test test-fast lint bench accuracy synth clean

$(STAMP): pyproject.toml package.json package-lock.json infra/bundling.py
	@$(PYTHON) -c 'import sys; sys.exit(f"{sys.version_info[0]}.{sys.version_info[1]}" != "$(LAMBDA_PYTHON)")' 2>/dev/null \
	  || { echo "error: the tests run on the Lambda runtime's Python $(LAMBDA_PYTHON), and '$(PYTHON)' is missing or is not it." \
	       "Install Python $(LAMBDA_PYTHON) (e.g. pyenv install $(LAMBDA_PYTHON)) or run make PYTHON=/path/to/python$(LAMBDA_PYTHON)." >&2; exit 1; }
	@# A .venv made by another Python is rebuilt, not mixed with this one's packages.
	@$(BIN)/python -c 'import sys; sys.exit(f"{sys.version_info[0]}.{sys.version_info[1]}" != "$(LAMBDA_PYTHON)")' 2>/dev/null \
	  || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)  ## create .venv and node_modules (Python packages, the CDK CLI)

demo: install  ## run three tickets end to end on this machine under policies/example.yaml
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
