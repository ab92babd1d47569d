# multiphoton: the two quick-start commands are `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= demo-output

.PHONY: demo test test-slow calibrate bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(OUT)/campaign
	$(BIN)/multiphoton simulate paper-2023 $(OUT)/campaign
	$(BIN)/multiphoton analyze $(OUT)/campaign/experiment.toml --out $(OUT)/results --force

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" src tests

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow tests

# >= 200 randomised simulated experiments over 2 processes (~10 s CPU each), resumable from
# docs/calibration.jsonl: writes docs/calibration.md
calibrate: $(STAMP)
	nice -n 10 $(BIN)/python -m multiphoton.simulate.calibration --n 200 --jobs 2 --out docs/calibration.md

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build src/*.egg-info
