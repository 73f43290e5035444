# Two commands do everything on a fresh machine with only Python 3.11+: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Every dependency at the version pinned in the lock (pip-compile, for Python 3.11 on Linux: the
# Dockerfile's and CI's); a dependency the lock does not name yet is installed unpinned until
# `make lock` is run.
LOCK   := requirements.lock

.PHONY: run test test-fast fuzz bench docs install lock clean-data

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Write requirements.lock again from pyproject.toml: after changing a dependency there (the pins
## of the others are kept), or with UPGRADE=1 to take the newest releases pyproject.toml allows.
## Commit the lock with the change; `make install` and the image install from it.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --extra bench --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade) \
		--output-file $(LOCK) pyproject.toml

## Start embedded NATS + PostgreSQL and every service; Ctrl-C stops everything.
run: $(STAMP)
	$(BIN)/ketnap up

## Every test against real NATS and PostgreSQL (embedded unless NATS_URL/DATABASE_URL are set).
test: $(STAMP)
	$(BIN)/python -m pytest

## Unit tests only (no servers).
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit

## schemathesis against the served API for longer than `make test` does (FUZZ_SECONDS per user).
FUZZ_SECONDS ?= 900
fuzz: $(STAMP)
	KETNAP_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest -p no:cacheprovider -o timeout=$$(( 2 * $(FUZZ_SECONDS) + 300 )) tests/integration/gateway/test_fuzz.py

## Figures beside baselines measured in the same run; not part of `make test`.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,bench]'
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

## AsyncAPI documents of every service's subjects and events, from the code, into docs/asyncapi/ (committed; a test
## fails when they differ from the code).
docs: $(STAMP)
	$(BIN)/python -c "from pathlib import Path; from ketnap.services import all_services; from ketnap.platform.asyncapi import write_documents; [print(p) for p in write_documents(all_services(), Path('docs/asyncapi'))]"

## Remove the embedded servers' data (asks nothing: the folder is .ketnap/).
clean-data:
	rm -rf .ketnap
