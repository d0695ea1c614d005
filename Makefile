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

# The service and API tests again with chathistory routed to a database of its own (tests/settings_routed.py).
ROUTED := --ds=tests.settings_routed tests/test_routing.py tests/test_services.py tests/test_appends.py \
	tests/test_transfer.py tests/test_retention.py tests/test_langchain.py tests/test_admin_*.py \
	tests/test_search.py tests/test_commands_transfer.py tests/test_migrations_content.py tests/test_selects.py \
	tests/test_api_*.py --deselect tests/test_api_fuzz.py --deselect tests/test_api_hostile.py \
	--deselect tests/test_api_e2e.py
# The host project of tests/hostproject: the README's "Add it" settings, a custom user model and odd DRF defaults.
HOST := --ds=tests.hostproject.settings tests/hostproject
COV := --cov --cov-append --cov-report= --cov-fail-under=0

## test: the suite on SQLite, then again on PostgreSQL when DATABASE_URL names one, each also with a router
## sending chathistory to a second database and in a host project; then branch coverage of chathistory/ over every run, which must
## reach fail_under (pyproject.toml) unless PYTEST_ARGS picks a subset
test: install check
	$(BIN)/python -m coverage erase
	env -u DATABASE_URL $(BIN)/python -m pytest $(COV) $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,env -u DATABASE_URL $(BIN)/python -m pytest $(COV) $(ROUTED))
	$(if $(PYTEST_ARGS),,env -u DATABASE_URL $(BIN)/python -m pytest $(COV) $(HOST))
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== again on $${DATABASE_URL%%:*}"; \
		$(BIN)/python -m pytest $(COV) $(PYTEST_ARGS) \
		$(if $(PYTEST_ARGS),,&& $(BIN)/python -m pytest $(COV) $(ROUTED) && $(BIN)/python -m pytest $(COV) $(HOST)) \
		|| exit 1; \
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

## bench: service-layer and HTTP costs as ratios to raw SQL and a bare view, and the admin's costs, against
## DATABASE_URL (SQLite by default)
bench: install
	$(BIN)/python bench/appends.py
	$(BIN)/python bench/http_load.py
	$(BIN)/python bench/transfer.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/admin_transcript.py

clean:
	rm -rf $(VENV) db.sqlite3* .pytest_cache .mypy_cache .ruff_cache .coverage test-artifacts
	find staticfiles -mindepth 1 ! -name .gitkeep -delete
