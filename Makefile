# Two commands do all the set-up on a fresh machine (Python 3.10+ and make):
#   make app    - create .venv, install requirements.txt, start the app on http://127.0.0.1:7860
#   make test   - create .venv, install requirements-dev.txt (+ Debian's Chromium when root), run all tests
#   make test-fast - the tests not marked slow (no servers, browsers or training runs): for the edit-run loop
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: app test test-fast lint format train bench browser clean

app: $(VENV)/.app-installed
	$(PY) app.py

# Two pytest workers by default, each a whole test file at a time (module fixtures such as a
# file's own app stay one per file); TEST_JOBS=1 runs in one process, TEST_JOBS=4 on more cores.
TEST_JOBS ?= 2
JOBS := $(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadfile)
test: $(VENV)/.dev-installed browser
	$(PY) -m pytest $(JOBS)

test-fast: $(VENV)/.dev-installed
	$(PY) -m pytest $(JOBS) -m "not slow and not browser"

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

train: $(VENV)/.dev-installed
	$(PY) train.py $(ARGS)

# every benchmark; DATA points at MNIST (downloaded there if absent)
DATA ?= ./data
bench: $(VENV)/.dev-installed
	$(PY) -m bench.accuracy --data-dir $(DATA)
	$(PY) -m bench.latency
	$(PY) -m bench.training_speed --data-dir $(DATA)
	$(PY) -m bench.pad_latency
	$(PY) -m bench.crowd
	$(PY) -m bench.feedback
	$(PY) -m bench.reliability
	$(PY) -m bench.multidigit --data-dir $(DATA)
	$(PY) -m bench.learn_load --data-dir $(DATA)

$(VENV)/.app-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.app-installed

# The browser tests drive Debian's Chromium; install it when we can (root with apt), else they skip.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: no chromium; browser tests will be skipped (install Debian's chromium to run them)"; fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/out
