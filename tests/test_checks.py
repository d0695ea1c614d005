from __future__ import annotations

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from chathistory.checks import (
    check_body_size,
    check_installed_apps,
    check_settings,
    check_sqlite_options,
    check_static_files,
    sqlite_warning,
)


def _ids() -> list[str]:
    return [error.id for error in check_settings()]


def test_defaults_and_valid_overrides_pass():
    assert _ids() == []
    with override_settings(CHATHISTORY={"MAX_BATCH_SIZE": 5}):
        assert _ids() == []
    with override_settings():
        del settings.CHATHISTORY
        assert _ids() == []


@pytest.mark.parametrize("config", [[], "MAX_BATCH_SIZE=5", None])
def test_chathistory_must_be_a_dict(config):
    with override_settings(CHATHISTORY=config):
        assert _ids() == ["chathistory.E001"]


def test_unknown_keys_are_errors_with_a_hint():
    with override_settings(CHATHISTORY={"MAX_CONTENT_LENGHT": 10, "MAX_BATCH_SIZE": 5}):
        errors = check_settings()
    assert [error.id for error in errors] == ["chathistory.E002"]
    assert "MAX_CONTENT_LENGHT" in errors[0].msg and "MAX_CONTENT_LENGTH" in errors[0].hint


@pytest.mark.parametrize("value", [0, -1, "10", 1.5, True, None])
def test_limits_must_be_positive_integers(value):
    with override_settings(CHATHISTORY={"MAX_METADATA_BYTES": value}):
        errors = check_settings()
    assert [error.id for error in errors] == ["chathistory.E003"]
    assert "MAX_METADATA_BYTES" in errors[0].msg


def test_checks_are_registered_with_django():
    with override_settings(CHATHISTORY={"MAX_BATCH_SIZE": 0}):
        assert "chathistory.E003" in [error.id for error in run_checks()]


def _all_ids(check) -> list[str]:
    return [message.id for message in check()]


@pytest.mark.parametrize(
    "value", [[], "rest_framework.authentication.TokenAuthentication", ["no.such.Authentication"], [3]]
)
def test_authentication_classes_must_be_importable_dotted_paths(value):
    with override_settings(CHATHISTORY={"AUTHENTICATION_CLASSES": value}):
        assert _ids() == ["chathistory.E004"]


@pytest.mark.parametrize(
    "rates", [{"anon": "lots"}, {"anon": 60}, {"user": "60/fortnight"}, {"admin": "1/second"}, ["60/minute"]]
)
def test_throttle_rates_must_be_known_scopes_with_readable_rates(rates):
    with override_settings(CHATHISTORY={"THROTTLE_RATES": rates}):
        errors = check_settings()
    assert [error.id for error in errors] == ["chathistory.E005"]


def test_valid_authentication_and_throttle_settings_pass():
    config = {
        "AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
        "THROTTLE_RATES": {"anon": None, "user": "10/second"},
    }
    with override_settings(CHATHISTORY=config):
        assert _ids() == []


@pytest.mark.parametrize(
    "app",
    ["rest_framework", "django_filters", "drf_spectacular", "drf_spectacular_sidecar", "rest_framework.authtoken"],
)
def test_a_required_app_missing_from_installed_apps_is_an_error_naming_it(app):
    with override_settings(INSTALLED_APPS=[name for name in settings.INSTALLED_APPS if name != app]):
        errors = check_installed_apps()
    assert [error.id for error in errors] == ["chathistory.E006"]
    assert repr(app) in errors[0].msg and "INSTALLED_APPS" in errors[0].hint


def test_authtoken_is_required_only_while_token_authentication_is_configured():
    without = [name for name in settings.INSTALLED_APPS if name != "rest_framework.authtoken"]
    only_session = {"AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"]}
    with override_settings(INSTALLED_APPS=without, CHATHISTORY=only_session):
        assert _all_ids(check_installed_apps) == []


def _sqlite(**options):
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/x.sqlite3", "OPTIONS": options}


def test_sqlite_with_every_concurrency_option_passes():
    config = _sqlite(transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL;")
    assert sqlite_warning("default", config) is None


def test_sqlite_without_its_concurrency_options_is_a_warning_naming_the_missing_ones():
    warning = sqlite_warning("chat", _sqlite(timeout=20))
    assert warning.id == "chathistory.W001"
    assert "'chat'" in warning.msg
    assert "transaction_mode" in warning.hint and "journal_mode=WAL" in warning.hint
    assert '"timeout"' not in warning.hint


def test_postgresql_and_in_memory_sqlite_need_no_options():
    assert sqlite_warning("default", {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}) is None
    assert sqlite_warning("memory", {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}) is None


def test_the_suites_own_databases_pass_the_sqlite_check():
    assert check_sqlite_options() == []


def test_a_body_limit_below_the_content_limit_is_a_warning():
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_621_440):  # Django's default, 2.5 MiB
        warnings = check_body_size()
    assert [warning.id for warning in warnings] == ["chathistory.W002"]
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in warnings[0].hint
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_621_440, CHATHISTORY={"MAX_CONTENT_LENGTH": 100_000}):
        assert check_body_size() == []
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None):
        assert check_body_size() == []


def test_missing_staticfiles_is_a_warning():
    with override_settings(
        INSTALLED_APPS=[name for name in settings.INSTALLED_APPS if name != "django.contrib.staticfiles"]
    ):
        assert _all_ids(check_static_files) == ["chathistory.W003"]
    assert check_static_files() == []
