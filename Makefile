# One word per task. `make demo` and `make test` set up everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NOBAT := $(VENV)/bin/nobat
INSTALLED := $(VENV)/.installed
ASSETS := node_modules/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard server/translations/*/LC_MESSAGES/messages.po))
HOST ?= 127.0.0.1
PORT ?= 5000
# make test runs test files on this many workers (pytest-xdist), each file on one of them,
# so a module's served app and its browser stay together.
TEST_WORKERS ?= 2

.PHONY: demo test lint format serve bench install assets system-deps voice translations clean

demo: install assets translations voice
	$(NOBAT) demo --host $(HOST) --port $(PORT)

test: install assets translations system-deps voice
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

serve: install assets translations voice
	$(NOBAT) db upgrade
	$(NOBAT) serve --host $(HOST) --port $(PORT)

bench: install assets translations voice
	$(PY) bench/run.py

install: $(INSTALLED)
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

assets: $(ASSETS)
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Chromium for the browser tests, the shaping libraries behind Pillow's raqm layout, and
# espeak-ng and sox for the voice.
system-deps:
	scripts/system-deps.sh

# The spoken calls' clips (display/voice/generated/), made offline with espeak-ng and sox;
# only the missing or changed ones are made again.
voice: install
	scripts/system-deps.sh voice
	$(NOBAT) voice build

translations: install $(CATALOGS)
%.mo: %.po
	$(VENV)/bin/pybabel compile --use-fuzzy -i $< -o $@

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .hypothesis display/voice/generated
