# hookgate: `make run` starts the local stack, `make test` runs every check. Both set up .venv first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help run test lint unit events invoke sam-local fuzz load template docs bench build send deploy clean ip-ranges \
	deploy-local deploy-local-down deploy-local-tail

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt layers/hookgate/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "hookgate needs Python 3.11 or newer as $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e layers/hookgate
	touch $@

CHECKOV_STAMP := .venv-checkov/.installed
$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

run: $(STAMP) ## Start the local stack: AWS emulator, Lambda runtime emulator, http://127.0.0.1:3000
	$(BIN)/python -m dev.local.stack $(ARGS)

send: $(STAMP) ## Send a signed test delivery to the local stack (P=stripe|github|... [A=acme])
	$(BIN)/hookgate send $(or $(P),stripe) $(if $(A),--account $(A))

test: lint ## Lint, type-check, validate the template, then run every test
	$(BIN)/pytest

lint: $(STAMP) $(CHECKOV_STAMP) ## ruff, mypy, import-linter, generated files, cfn-lint, sam validate, checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m dev.rendering.template --check
	$(BIN)/python -m dev.rendering.docs --check
	$(BIN)/python -m dev.ipranges --check-age
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --template-file template.yaml
	.venv-checkov/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml

unit: $(STAMP) ## Only the pure unit tests
	$(BIN)/pytest tests/unit

events: $(STAMP) ## Regenerate events/<provider>/valid.json, freshly signed with the dev secrets
	$(BIN)/python -m dev.samlocal.events

invoke: $(STAMP) ## Invoke one function via the runtime emulator (P=<provider> [E=valid|tampered])
	$(BIN)/python -m dev.runtime.invoke $(or $(P),stripe) $(or $(E),valid) \
		$(if $(EVENTS_DIR),--events-dir $(EVENTS_DIR))

sam-local: $(STAMP) ## Set up real `sam local invoke`/`start-api` here (Docker, base image, build)
	$(BIN)/python -m dev.samlocal.setup

fuzz: $(STAMP) ## Coverage-guided fuzzing of every parser (atheris), FUZZ_SECONDS=60 by default
	$(BIN)/python -m dev.fuzz -max_total_time=$(or $(FUZZ_SECONDS),60) -print_final_stats=1

load: $(STAMP) ## Load test of the local stack (5000 deliveries) -> bench/load.json, bench/load.md
	$(BIN)/python -m bench.load $(ARGS)

template: $(STAMP) ## Rewrite what the provider definitions decide: template.yaml, docs tables, new events
	$(BIN)/python -m dev.rendering.template
	$(BIN)/python -m dev.rendering.docs
	$(BIN)/python -m dev.samlocal.events --missing

ip-ranges: $(STAMP) ## Read the source ranges providers publish anew (needs a network; deploy after)
	$(BIN)/python -m dev.ipranges

docs: $(STAMP) ## Rewrite the provider tables in README.md and docs/ from the provider definitions
	$(BIN)/python -m dev.rendering.docs

bench: $(STAMP) ## Benchmarks against same-run floors -> bench/results.json, bench/results.md
	$(BIN)/python -m bench.run

# The runtime's Python, to compile the layer's bytecode (empty: ship sources only).
LAMBDA_PYTHON ?= env PYTHONPATH=$(CURDIR) $(CURDIR)/$(BIN)/python -m dev.runtime.python

build: $(STAMP) ## sam build (no Docker needed), the layer with bytecode for the runtime's Python
	PATH="$(CURDIR)/$(BIN):$$PATH" LAMBDA_PYTHON="$(LAMBDA_PYTHON)" $(BIN)/sam build

deploy: build ## sam build && sam deploy --guided, then print each webhook URL and secret command
	$(BIN)/sam deploy --guided
	$(BIN)/python -m dev.deployed

deploy-local: $(STAMP) ## Deploy template.yaml into LocalStack, offline (P=stripe,github,... [PORT=4566]; Docker)
	$(BIN)/python -m dev.localdeploy.stack up $(if $(P),--providers $(P)) $(if $(PORT),--port $(PORT))

deploy-local-down: $(STAMP) ## Stop what deploy-local started: LocalStack, its containers, its network
	$(BIN)/python -m dev.localdeploy.stack down

deploy-local-tail: $(STAMP) ## Print the events reaching the deploy-local stack's bus (Ctrl-C stops)
	$(BIN)/python -m dev.localdeploy.stack tail

clean: ## Remove the virtualenvs and build output (LocalStack's too)
	rm -rf $(VENV) .venv-checkov .aws-sam .pytest_cache .mypy_cache .ruff_cache .local/localstack
