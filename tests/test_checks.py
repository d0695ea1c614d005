from __future__ import annotations

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from chathistory.checks import check_settings


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
