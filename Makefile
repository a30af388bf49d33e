# Ketenlink: `make demo` and `make test` are all a newcomer needs; each sets itself up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB    := explorer/web
BUNDLE := explorer/static/app.js

.PHONY: demo test test-faults scenarios setup browser stack down status lint unit constraints clean

demo: setup  ## set up, start the stack, run the platform's main job on a sample
	$(BIN)/ketenlink demo

test: setup lint browser  ## set up, lint, start the stack if needed, run every test but the long fault scenarios
	$(BIN)/pytest -m "not faults"

test-faults: setup  ## the long fault scenarios (kill -9, outages, a broker lost); writes RELIABILITY.md
	$(BIN)/pytest -m faults tests/integration/faults

SCENARIOS_DIR ?= ../shared/scenarios
SCENARIO_FILES = $(sort $(wildcard $(SCENARIOS_DIR)/*.yaml))
scenarios: setup  ## every file in SCENARIOS_DIR through the platform; writes SCENARIOS.md (fails only when the harness breaks)
ifeq ($(strip $(SCENARIO_FILES)),)
	@echo "no scenario files in $(SCENARIOS_DIR) (set SCENARIOS_DIR): nothing to run, SCENARIOS.md kept"
else
	$(BIN)/ketenlink scenario run --lenient --markdown SCENARIOS.md $(SCENARIO_FILES)
endif

setup: $(STAMP) $(BUNDLE)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,dev]'
	$(BIN)/python -m producers.deidentify  # builds deduce's lookup cache once (~1-2 min)
	@touch $(STAMP)

$(BUNDLE): $(WEB)/package.json $(WEB)/package-lock.json $(wildcard $(WEB)/src/*.js)
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

browser: $(STAMP)  ## Debian's Chromium for the browser tests (installed with apt-get once)
	$(BIN)/python -m infra.browser

stack: setup  ## start Kafka and Neo4j (downloads them once)
	$(BIN)/ketenlink stack up

down: setup  ## stop what `stack` started
	$(BIN)/ketenlink stack down

status: setup
	$(BIN)/ketenlink stack status

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy core schemas policy producers streams graph consumers alerts explorer infra generator bench ketenlink

unit: setup  ## the tests that need no servers
	$(BIN)/pytest tests/unit

constraints: setup
	(echo "# Tested versions of every Python dependency; make installs with -c constraints.txt."; \
	 echo "# Refresh: make constraints"; $(BIN)/pip freeze --exclude-editable | sort -f) > constraints.txt

clean: down
	rm -rf var $(VENV) $(WEB)/node_modules $(BUNDLE)
