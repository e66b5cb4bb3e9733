# thetabif: two commands on a fresh Debian/Ubuntu machine.
#   make demo   install what is missing, then run the main job (outputs in out/)
#   make test   install what is missing, then run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
OUT    ?= out
APT_PACKAGES = auto-07p gfortran gcc python3-numpy
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := $(VENV)/bin

.PHONY: demo test setup system lint clean auto-files generated
demo: setup
	$(BIN)/thetabif demo --out $(OUT) --force

test: setup
	$(BIN)/python -m pytest -q

# Regenerate the exported AUTO-07p files of the standard models (a test keeps them in sync).
auto-files: setup
	$(BIN)/thetabif export-standard --out auto_files --force

# Regenerate the generated code of the standard models shipped in thetabif/_generated
# (numeric modules, polishing systems, Fortran and C sources; a test keeps it in sync).
# Needed after any change to models.py, codegen/, polish.py or the C template.
generated: setup
	$(BIN)/python -m thetabif.generate

lint: setup
	$(BIN)/ruff check thetabif tests benchmarks

setup: system $(VENV)/.installed

# System packages: AUTO-07p, gfortran, gcc (thetabif's compiled integrator) and Debian's
# numpy for AUTO's own command line.
system:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
