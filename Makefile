# The few commands a person types. `make run` starts the local stack; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
INSTALLED := $(VENV)/.installed
FRONTEND_INSTALLED := frontend/node_modules/.installed
export AWS_DEFAULT_REGION ?= us-east-1
# jsii (under aws-cdk-lib) warns about Node 20 on every start; the synth itself works.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: install run test test-unit test-integration test-e2e test-browser test-infra lint \
        web chromium synth bench deploy clean

install: $(INSTALLED) $(FRONTEND_INSTALLED)

# Python packages, pinned in pyproject.toml (runtime, dev and the CDK toolchain).
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'pip<26.3'
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '.[dev,infra]'
	rm -rf build *.egg-info
	touch $@

$(FRONTEND_INSTALLED): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

# The web app, built into frontend/dist (served at / by the local stack).
web: $(FRONTEND_INSTALLED)
	cd frontend && npm run build

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The local stack with demo data: web app + API, embedded AWS (moto), sandbox ERP, worker, schedule.
run: install web
	$(PY) -m devstack.stack

# The whole suite: lint, web unit tests, then every pytest tier (unit, integration, e2e, browser,
# infrastructure).
test: install web chromium lint
	cd frontend && npm test --silent
	$(PYTEST)

test-unit: install
	$(PYTEST) -m unit
test-integration: install
	$(PYTEST) -m integration
test-e2e: install web
	$(PYTEST) -m e2e
test-browser: install web chromium
	$(PYTEST) -m browser
test-infra: install
	$(PYTEST) -m infrastructure

lint: install
	$(VENV)/bin/ruff check functions devstack infra tests bench
	$(VENV)/bin/mypy

# CloudFormation templates under infra/cdk.out, offline (no AWS credentials needed).
synth: $(INSTALLED)
	cd infra && CDK_OUTDIR=cdk.out ../$(PY) app.py

# Benchmarks of the re-import (see docs/performance.md).
bench: $(INSTALLED)
	$(PY) -m bench.run

# Needs AWS credentials (a profile) and the CDK CLI: see "Deploy to AWS" in the README.
deploy: install web
	cd infra && npx --yes aws-cdk@2 deploy --all --app "../$(PY) app.py" $(if $(PROFILE),--profile $(PROFILE))

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist infra/cdk.out .pytest_cache
