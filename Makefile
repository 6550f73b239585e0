# The two commands of the README: `make demo` (the main job on the bundled
# example) and `make test` (the whole suite, as CI runs it).
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= offline
# Each phase prints its time (CI logs show where the time goes).
TIMED := sh scripts/timed.sh

.PHONY: setup images demo test lint typecheck docs unit integration test-amazonlinux clean

setup:
	@$(TIMED) setup sh scripts/setup.sh

images: setup
	@$(TIMED) images $(BIN)/rpmkit images build --profile $(PROFILE)

demo: images
	$(BIN)/rpmkit doctor --profile $(PROFILE)
	$(BIN)/rpmkit run examples/hello-world --profile $(PROFILE)

lint: setup
	@$(TIMED) lint sh -c '$(BIN)/ruff check rpmkit tests bench scripts && \
		$(BIN)/ruff format --check rpmkit tests bench scripts'

typecheck: setup
	@$(TIMED) typecheck $(BIN)/mypy

# The manual (docs/, mkdocs.yml) into site/; every warning is an error.
docs: setup
	@NO_MKDOCS_2_WARNING=1 $(TIMED) docs $(BIN)/mkdocs build --strict

unit: setup
	$(BIN)/pytest tests/unit -q

integration: images
	$(BIN)/pytest tests/integration -q -m "not amazonlinux"

# On a machine holding the real amazonlinux:2023 (and :2) images.
test-amazonlinux: images
	$(BIN)/pytest tests/integration -q -m amazonlinux

test: lint typecheck docs images
	@$(TIMED) unit-tests $(BIN)/pytest tests/unit -q
	@$(TIMED) integration-tests $(BIN)/pytest tests/integration -q -m "not amazonlinux" --durations=15

clean: setup
	$(BIN)/rpmkit images prune
