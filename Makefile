# The two commands of the README: `make run` and `make test`. Both set up
# everything they need on a fresh machine (virtualenv, packages, Kafka jars).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-quick venv system-deps kafka-jars lint bench asyncapi clean lock

# constraints.txt pins every package to the versions the tests last passed with
# (regenerate with `make lock` after changing dependencies).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# The extractor's rule modules compiled with mypyc (services/extractor/native.py), rebuilt
# when one of them changes; used only while they match their source. Without a C compiler
# this says so and the extractor runs as pure Python.
NATIVE := $(VENV)/.native
NATIVE_SOURCES := $(addprefix services/extractor/,quotes.py stages.py figures.py places.py matching.py native.py native_build.py)
$(NATIVE): $(STAMP) $(NATIVE_SOURCES)
	$(BIN)/python -m services.extractor.native_build || true
	touch $(NATIVE)

lock: venv
	$(BIN)/pip freeze --exclude-editable > constraints.txt

venv: $(STAMP) $(NATIVE)

system-deps:
	bash deploy/install-system-deps

kafka-jars:
	bash deploy/kafka/local-kafka fetch

## The main job: the whole product in one process (no Kafka, SQLite), on http://127.0.0.1:8080
run: venv
	$(BIN)/luqiao-monitor run $(ARGS)

## All tests, on a real Kafka broker and a real PostgreSQL the test session starts and stops.
test: venv system-deps kafka-jars
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

## Without the broker and database tests.
test-quick: venv
	$(BIN)/pytest -m "not kafka and not postgres" $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check services tests bench
	$(BIN)/ruff format --check services tests bench

bench: venv kafka-jars
	$(BIN)/python -m bench

asyncapi: venv
	$(BIN)/luqiao-monitor asyncapi --out docs/asyncapi
	$(BIN)/luqiao-monitor openapi --out docs/openapi.json

clean:
	rm -rf $(VENV) .pytest_cache
