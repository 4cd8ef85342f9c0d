# Two commands matter on a fresh clone: `make demo` (the whole system, locally) and `make test`.
# Everything runs through uv with the locked dependencies; SAM CLI lives in its own uv tool env.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS ?= never
export UV_COMPILE_BYTECODE ?= 1
export AWS_DEFAULT_REGION ?= eu-north-1
export SAM_CLI_TELEMETRY ?= 0
# pyenv machines: let uv find a Python 3.13 next to the default one.
ifneq ($(shell command -v pyenv 2>/dev/null),)
export PYENV_VERSION ?= $(shell pyenv version-name 2>/dev/null | cut -d: -f1):$(shell pyenv versions --bare | grep -E '^3\.13' | head -n1)
endif

UV  ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen --no-sync
SAM ?= $(shell command -v sam 2>/dev/null || echo $(HOME)/.local/bin/sam)
# checkov (the policy scanner of `make security`) also lives in its own uv tool env: it pins many packages.
# Pinned: a new version brings new checks, to be reviewed (docs/security.md) when it is bumped.
CHECKOV ?= $(shell command -v checkov 2>/dev/null || echo $(HOME)/.local/bin/checkov)
CHECKOV_VERSION ?= 3.3.30
# SAM CLI's own Python, whose samtranslator turns template.yaml into plain CloudFormation for the scan: the
# uv tool env's (offline), else one uv builds for it (SAM CLI installed some other way).
SAM_PYTHON = $(or $(wildcard $(shell $(UV) tool dir 2>/dev/null)/aws-sam-cli/bin/python),$(UV) tool run --from aws-sam-cli python)

.PHONY: help install test lint typecheck template-lint security unit integration e2e local demo import ops soak bench build artifact-check events layer-requirements clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

install: $(UV) ## create .venv with the locked dependencies
	$(UV) sync --frozen

$(SAM): $(UV)
	$(UV) tool install --quiet aws-sam-cli

test: install lint typecheck template-lint artifact-check ## every check and every test (what CI runs)
	$(RUN) pytest

lint: install ## ruff lint + format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install ## mypy on the shared package and the handlers
	$(RUN) mypy
	for f in functions/*/app.py; do $(RUN) mypy "$$f" || exit 1; done

template-lint: install $(SAM) ## cfn-lint, sam validate --lint and the security scan on template.yaml
	$(RUN) cfn-lint template.yaml
	$(SAM) validate --lint --region $(AWS_DEFAULT_REGION)
	$(MAKE) --no-print-directory security

$(CHECKOV): $(UV)
	$(UV) tool install --quiet checkov==$(CHECKOV_VERSION)

# Offline: the SAM transform runs locally with the parameters' defaults, and checkov downloads nothing.
security: $(SAM) $(CHECKOV) ## checkov on the SAM-transformed template, with the reviewed skips (docs/security.md)
	$(SAM_PYTHON) .checkov/sam_to_cfn.py template.yaml .aws-sam/security/template.json
	$(CHECKOV) --config-file .checkov/config.yaml --file .aws-sam/security/template.json

unit: install ## unit tests only
	$(RUN) pytest tests/unit

integration: install ## integration tests (moto) only
	$(RUN) pytest tests/integration

e2e: install ## end-to-end tests over HTTP against the local stack
	$(RUN) pytest tests/e2e

ERP ?= rest
local: install ## run the local stack in the foreground (API on 127.0.0.1:3000, moto on :5000): make local [ERP=business-central]
	$(RUN) python -m local.stack --erp $(ERP)

demo: install ## start the local stack, send Norce's example orders through it, print what happened [ERP=business-central]
	$(RUN) python -m local.demo --erp $(ERP)

ENTITY ?= customers
MODE ?= delta
FORCE ?= false
import: install ## run one import now on the running local stack: make import ENTITY=customers MODE=full [FORCE=true]
	$(RUN) python -m local.run_import $(ENTITY) $(MODE) $(if $(filter true,$(FORCE)),--force,)

ops: install ## the on-call CLI: make ops ARGS="trail REF12345 --local" (or --stack NAME; ARGS="--help")
	$(RUN) python -m ops.cli $(ARGS)

soak: install ## Black Friday on the local stack with faults and killed workers, then an audit: make soak ARGS="--quick" (docs/reliability.md)
	$(RUN) python -m local.soak $(ARGS)

bench: install ## benchmarks: cold start, warm handler time, requests/s, pipeline orders/min (see docs/performance.md)
	$(RUN) python -m bench.run

# Lambda's /var/task and /opt are read-only and zip entries carry no usable mtimes, so Python would compile
# every module on every cold start: ship unchecked-hash .pyc files compiled by the project's Python 3.13.
# Before compiling, scripts/prune_layer.py removes from the layer its explicit list of what the integration
# never imports (lxml.objectify/html/..., C and Cython sources, pydantic.v1, unused Powertools utilities).
build: install $(SAM) ## sam build (for sam deploy), prune the layer, then compile the artifact's bytecode
	$(SAM) build
	$(RUN) python scripts/prune_layer.py .aws-sam/build
	$(RUN) python -m compileall -q -f --invalidation-mode unchecked-hash -j 0 .aws-sam/build

# The issue's target for the layer: 23.5 MB unzipped with bytecode (half of the 47 MB it was); pruned, it
# ships 21.5 MB. The check also imports every handler from the pruned artifact (docs/performance.md).
artifact-check: build ## check the built artifact: bytecode, boto3/botocore, no dev deps, layer size, imports
	$(RUN) python scripts/check_artifact.py .aws-sam/build --budget-mb 23.5

events: install ## regenerate events/order_receiver/*.json from events/payloads/
	$(RUN) python scripts/make_events.py

layer-requirements: install ## re-export layers/shared/requirements.txt from uv.lock
	bash scripts/export-layer-requirements.sh

clean: ## remove build output and caches
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis .local-state
