# Jaring: the README's commands. `make` alone lists them.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
# Test processes (pytest-xdist), each with its own broker; a test file runs whole in one of them.
TEST_JOBS ?= 2

.DEFAULT_GOAL := help
.PHONY: help venv kafka lint test test-unit chaos demo broker bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

venv: $(BIN)/.installed ## create .venv and install Jaring with its dev tools

kafka: venv ## fetch the Kafka broker jars from Maven Central (cached in ~/.cache/jaring)
	$(BIN)/python -c "from deploy.kafka.runner import ensure_kafka_jars; print('kafka jars:', ensure_kafka_jars())"

lint: venv ## ruff, mypy (strict) and the import contracts
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: venv kafka lint ## lint, then every test against a real Kafka broker
	sh deploy/system-packages.sh
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

test-unit: venv ## in-process tests of the core and each layer: no broker, no service (about 75 s)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

chaos: venv kafka ## long fault run: 20 worker kills, 3 broker kills, 20,000 applications
	CHAOS_WORKER_KILLS=20 CHAOS_BROKER_KILLS=3 CHAOS_APPLICATIONS=20000 \
		$(BIN)/python -m pytest tests/chaos -s -p no:cacheprovider --timeout=3600 $(PYTEST_ARGS)

demo: venv kafka ## start a broker and a worker, feed the scenario, print the totals
	$(BIN)/jaring demo

broker: venv kafka ## run a local Kafka broker on 127.0.0.1:9092 until Ctrl-C (data kept in .jaring-kafka)
	$(BIN)/jaring broker

bench: venv ## the pure core's benchmark
	$(BIN)/python -m benchmarks.core

clean: ## remove the venv and local state (not the cached broker jars)
	rm -rf $(VENV) .jaring-data .jaring-kafka .pytest_cache .mypy_cache .ruff_cache
