# Two commands on a fresh machine:  make demo   (the demo company end to end)
#                                   make test   (the whole test suite)
# Each creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DIR ?= demo

.PHONY: demo test system-deps bench clean

$(BIN)/.installed: pyproject.toml
	@echo "Installing cxlens and its dependencies into $(VENV) (first run only: about 1-2 minutes; pip's progress follows)."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar on -e '.[spark,postgres,delta,bench,test]'
	touch $@
	@echo "Installed. Run cxlens as $(BIN)/cxlens (or activate the environment: . $(BIN)/activate)."

demo: $(BIN)/.installed
	$(BIN)/cxlens demo --dir $(DEMO_DIR)

system-deps:
	bash scripts/system-deps.sh

test: $(BIN)/.installed system-deps
	bash scripts/run-tests.sh

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) bench/out .pytest_cache
