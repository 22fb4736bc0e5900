# The few commands a person types. `make run` starts the local stack; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
INSTALLED := $(VENV)/.installed
INFRA_INSTALLED := $(VENV)/.installed-infra
FRONTEND_INSTALLED := frontend/node_modules/.installed
# ESLint and its plugins: a package of their own (frontend/lint/package.json says why).
WEB_LINT_INSTALLED := frontend/lint/node_modules/.installed
export AWS_DEFAULT_REGION ?= us-east-1
# jsii (under aws-cdk-lib) warns about Node 20 on every start; the synth itself works.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: install install-infra run test test-unit test-integration test-e2e test-browser test-infra \
        test-fault lint web chromium synth bench deploy company clean

install: $(INSTALLED) $(FRONTEND_INSTALLED)
# The CDK toolchain (~430 MB, most of a first install): only synth, deploy and the template tests
# need it, so `make run` does not wait for it (docs/performance.md, "A newcomer's first make run").
install-infra: $(INFRA_INSTALLED)

# Python packages, pinned in pyproject.toml: runtime and dev.
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'pip<26.3'
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	rm -rf build *.egg-info
	touch $@

# The CDK toolchain, on top of the above.
$(INFRA_INSTALLED): $(INSTALLED)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '.[dev,infra]'
	rm -rf build *.egg-info
	touch $@

$(FRONTEND_INSTALLED): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

$(WEB_LINT_INSTALLED): frontend/lint/package.json frontend/lint/package-lock.json
	cd frontend/lint && npm ci --no-audit --no-fund
	touch $@

# The web app, built into frontend/dist (served at / by the local stack); rebuilt only when a
# source, the lock file or the build settings changed, so a later `make run` starts at once.
WEB_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html \
               frontend/vite.config.ts frontend/tsconfig.json frontend/package-lock.json
WEB_BUILT := frontend/dist/index.html
web: $(WEB_BUILT)
$(WEB_BUILT): $(FRONTEND_INSTALLED) $(WEB_SOURCES)
	cd frontend && npm run build
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The local stack with demo data: web app + API, embedded AWS (moto), sandbox ERP, worker, schedule.
run: install web
	$(PY) -m devstack.stack

# The whole suite: lint, web unit tests, then every pytest tier (unit, integration, e2e, browser,
# infrastructure, fault: the abuse suite of docs/reliability.md).
test: install install-infra web chromium lint
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
test-infra: install install-infra
	$(PYTEST) -m infrastructure
# The abuse suite: faults, kill-and-redeliver, hostile input, forged tokens, the OpenAPI fuzzer.
test-fault: install
	$(PYTEST) -m fault

lint: install $(WEB_LINT_INSTALLED)
	$(VENV)/bin/ruff check functions devstack infra tests bench
	$(VENV)/bin/mypy
	cd frontend && lint/node_modules/.bin/eslint --max-warnings 0

# CloudFormation templates under infra/cdk.out, offline (no AWS credentials needed).
synth: $(INFRA_INSTALLED)
	cd infra && CDK_OUTDIR=cdk.out ../$(PY) app.py

# Benchmarks of the re-import (see docs/performance.md).
bench: $(INSTALLED)
	$(PY) -m bench.run

# Needs AWS credentials (a profile) and the CDK CLI: see "Deploy to AWS" in the README.
deploy: install install-infra web
	cd infra && npx --yes aws-cdk@2 deploy --all --app "../$(PY) app.py" $(if $(PROFILE),--profile $(PROFILE))

# The operator's first step: a company and its first admin (README, "Start your own company").
# Without STACK, on the running local stack (`make run`); with STACK=<name>, on that deployed stack.
company: $(INSTALLED)
	@test -n "$(COMPANY_ID)" -a -n "$(COMPANY_NAME)" -a -n "$(ADMIN_EMAIL)" || { \
	  echo 'usage: make company COMPANY_ID=acme COMPANY_NAME="Acme Construction" ADMIN_EMAIL=admin@acme.com [STACK=budget-bridge-prod PROFILE=<profile>]'; exit 2; }
	PYTHONPATH=functions $(PY) -m devstack.company "$(COMPANY_ID)" "$(COMPANY_NAME)" "$(ADMIN_EMAIL)" \
	  $(if $(STACK),--stack "$(STACK)") $(if $(PROFILE),--profile "$(PROFILE)") \
	  --aws-port $${AWS_PORT:-5000}

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist infra/cdk.out .pytest_cache
