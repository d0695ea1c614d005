# Two commands for a fresh clone: `make run` (demo site on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := DJANGO_DEBUG=1 $(BIN)/python manage.py

.PHONY: install run test check bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e ".[test]"
	touch $@

## run: the demo site on SQLite at http://127.0.0.1:8000, with demo data and a printed login
run: install
	$(DEMO) migrate --noinput
	$(DEMO) chathistory_demo
	$(DEMO) runserver 127.0.0.1:8000

## test: the suite on SQLite, then again on PostgreSQL when DATABASE_URL names one; then branch coverage of
## chathistory/ over both runs, which must reach fail_under (pyproject.toml) unless PYTEST_ARGS picks a subset
test: install check
	env -u DATABASE_URL $(BIN)/python -m pytest --cov --cov-report= --cov-fail-under=0 $(PYTEST_ARGS)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== again on $${DATABASE_URL%%:*}"; \
		$(BIN)/python -m pytest --cov --cov-append --cov-report= --cov-fail-under=0 $(PYTEST_ARGS); \
	fi
	$(BIN)/python -m coverage report $(if $(PYTEST_ARGS),--fail-under=0)

## check: system checks, no missing migrations, an OpenAPI schema that validates without warnings, lint, format, types
check: install
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m django check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m django makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m django spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bench: append/read costs at 0 and 100,000 messages, and the admin's costs, against DATABASE_URL (SQLite by default)
bench: install
	$(BIN)/python bench/appends.py
	$(BIN)/python bench/admin_transcript.py

clean:
	rm -rf $(VENV) db.sqlite3* .pytest_cache .mypy_cache .ruff_cache .coverage test-artifacts
	find staticfiles -mindepth 1 ! -name .gitkeep -delete
