# Entry points; the logic lives in the scripts (they re-run themselves under sudo when needed).
#   make setup | run | test [ARGS="-k foo"] | images | services-stop | bench | translations | expected
SHELL := /bin/bash
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
VENV := $(ROOT)/.venv
ARGS ?=

.PHONY: setup run test images services-stop bench translations expected

setup:
	bash $(ROOT)/scripts/bootstrap.sh
	bash $(ROOT)/scripts/services.sh start
	bash $(ROOT)/sandboxes/images/build.sh

run:
	bash $(ROOT)/scripts/run.sh

test:
	bash $(ROOT)/scripts/test.sh $(ARGS)

images:
	bash $(ROOT)/scripts/services.sh start
	bash $(ROOT)/sandboxes/images/build.sh

services-stop:
	bash $(ROOT)/scripts/services.sh stop

# Benchmarks need the services and images: setup first (fast when all is there).
bench: setup
	cd $(ROOT) && $(VENV)/bin/python benchmarks/run_all.py

translations:
	cd $(ROOT) && $(VENV)/bin/pybabel extract -F babel.cfg -o lms/translations/messages.pot . \
	  && $(VENV)/bin/pybabel update -i lms/translations/messages.pot -d lms/translations \
	  && $(VENV)/bin/pybabel compile -d lms/translations

# The reference solutions' observations of data-analysis exercises (expected.json, committed with each exercise),
# made in the real sandbox: after changing such an exercise's solution, datasets or checks.
expected: setup
	cd $(ROOT) && $(VENV)/bin/flask --app wsgi lms expect-content
