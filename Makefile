PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install test lint demo bench readme rules-doc clean

install:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'

test:
	$(BIN)/pytest -q

lint:
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

demo:
	rm -f demo.db demo.db-wal demo.db-shm
	REVIEWCLI_DB=demo.db $(BIN)/reviewcli demo --children 300 --seed 1
	REVIEWCLI_DB=demo.db $(BIN)/reviewcli due

bench:
	$(BIN)/python scripts/bench.py

readme:  # docs/commands.md, the command reference
	$(BIN)/python scripts/readme_reference.py --write

rules-doc:  # docs/rules.md, the sentences of the rules (from reviewcli.wording)
	$(BIN)/python scripts/rules_sentences.py --write

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info demo.db*

# Regenerate the golden files under tests/golden/ after an intended change to a template
# or a rule: the letters, the reports, and the schedule (every deadline the rules derive
# for tests/schedule/scenarios.toml, also checked against the dates worked by hand there).
# Review the diff before committing.
.PHONY: golden
golden:
	REVIEWCLI_UPDATE_GOLDEN=1 $(BIN)/pytest tests/test_letters.py tests/test_report.py tests/test_annual.py -q -k golden
	REVIEWCLI_UPDATE_GOLDEN=1 $(BIN)/pytest tests/test_schedule_golden.py -q -k golden
	$(BIN)/pytest tests/test_letters.py tests/test_report.py tests/test_annual.py -q -k golden
	$(BIN)/pytest tests/test_schedule_golden.py -q
