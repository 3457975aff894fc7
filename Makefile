# The two commands of the quick start: `make up` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install up test bench clean

$(INSTALLED): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock \
		-e '.[dev]' --config-settings editable_mode=compat
	touch $@

install: $(INSTALLED)

## Start the whole platform on this machine (Ctrl-C stops it).
up: install
	$(BIN)/dashloom up

## Run the whole test suite (real nats-server, SQLite, and PostgreSQL when it answers).
test: install
	$(BIN)/python -m pytest

## Benchmarks (not tests): each prints its figures and its ratio to a baseline.
bench: install
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/gateway.py

clean:
	rm -rf $(VENV) .dashloom
