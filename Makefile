# The two commands of the quick start: `make up` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Debian packages: a font for the PDFs (vl-convert draws text with it), Chromium for the viewer's test,
# strace for the durability test (it counts nats-server's fsyncs), poppler-utils for the PDF's test
# (pdfinfo, pdftotext, pdftoppm).
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
CHROMIUM := /usr/bin/chromium
STRACE := /usr/bin/strace
POPPLER := /usr/bin/pdftoppm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends

.PHONY: install up test lint bench clean

$(INSTALLED): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock \
		-e '.[dev]' --config-settings editable_mode=compat
	touch $@

$(FONT):
	$(SUDO) apt-get update -qq && $(APT_INSTALL) fonts-dejavu-core

$(CHROMIUM):
	$(SUDO) apt-get update -qq && $(APT_INSTALL) chromium

$(STRACE):
	$(SUDO) apt-get update -qq && $(APT_INSTALL) strace

$(POPPLER):
	$(SUDO) apt-get update -qq && $(APT_INSTALL) poppler-utils

install: $(INSTALLED) $(FONT)

## Start the whole platform on this machine (Ctrl-C stops it).
up: install
	$(BIN)/dashloom up

## The checks, then the whole test suite (real nats-server, SQLite, and PostgreSQL when it answers),
## on TEST_WORKERS pytest-xdist workers: most of a test's time is spent waiting on servers it started,
## so more workers than cores still shorten the run (worksteal evens out the long tests).
TEST_WORKERS ?= 4
test: install $(CHROMIUM) $(STRACE) $(POPPLER) lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=10

## Boundaries between services (import-linter), ruff, and the type checker, all from pyproject.toml.
lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy

## Benchmarks (not tests): each prints its figures and its ratio to a baseline.
bench: install
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/generation.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/tenant_jwt.py
	$(BIN)/python bench/pdf.py

clean:
	rm -rf $(VENV) .dashloom
