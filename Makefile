# The two commands: `make run` (the platform on the embedded default) and `make test` (everything, on
# real PostgreSQL and Kafka started by scripts/infra.sh). Both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON ?= 3.11
export UV_PYTHON_DOWNLOADS ?= never
export UV_LINK_MODE ?= copy

TOOLS := $(CURDIR)/.var/tools
# A pinned uv of our own, so that every machine resolves and installs the same way.
UV_VERSION := 0.13.9
UV := $(TOOLS)/bin/uv
SRC := libs/common/src libs/standards/src libs/contracts/src libs/web/src gateway/src $(wildcard svc-*/src) portal/src workbench/src

.PHONY: help run test lint types unit bench image-check infra-up infra-down browser sync clean

help:
	@echo "make run    start the platform on the embedded default (SQLite + embedded event log)"
	@echo "make test   lint, types and every test on real PostgreSQL and Kafka"
	@echo "make bench  figures: events, gateway vs direct vs nginx, journeys at 50 concurrent users"
	@echo "make image-check   build the image and run each process in it as deploy/k8s does (Docker, BuildKit)"
	@echo "make infra-up / infra-down   the PostgreSQL and Kafka test servers"

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

KUSTOMIZE_VERSION := v5.7.1
$(TOOLS)/bin/kustomize:
	GOBIN=$(TOOLS)/bin GOFLAGS=-mod=mod go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

# promtool runs the alert rules' unit tests (tests/ops/test_monitoring.py); built from Prometheus' module.
PROMTOOL_VERSION := v0.316.0
$(TOOLS)/bin/promtool:
	GOBIN=$(TOOLS)/bin GOFLAGS=-mod=mod go install github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION)

sync: $(TOOLS)/bin/uv
	$(UV) sync --frozen --quiet

run: sync
	$(UV) run --frozen python scripts/run.py

infra-up:
	scripts/infra.sh up

infra-down:
	scripts/infra.sh down

# Debian's headless Chromium and CJK fonts for the portal's browser tests (installed when missing).
browser:
	scripts/browser.sh >/dev/null

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

types: sync
	$(UV) run --frozen mypy $(SRC)

test: sync lint types infra-up browser $(TOOLS)/bin/kustomize $(TOOLS)/bin/promtool
	set -a && eval "$$(scripts/infra.sh env)" && set +a && KUSTOMIZE=$(TOOLS)/bin/kustomize PROMTOOL=$(TOOLS)/bin/promtool $(UV) run --frozen pytest $(PYTEST_ARGS)

bench: sync infra-up
	set -a && eval "$$(scripts/infra.sh env)" && set +a && $(UV) run --frozen python scripts/bench/run.py $(BENCH_ARGS)

image-check:
	scripts/image-check.sh $(IMAGE_CHECK_ARGS)

clean:
	rm -rf .var/run .var/bench .mypy_cache .ruff_cache .pytest_cache
