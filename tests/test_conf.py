from __future__ import annotations

from django.test import override_settings

from chathistory.conf import DEFAULTS, app_settings


def test_defaults_match_the_contract():
    assert DEFAULTS["MAX_CONTENT_LENGTH"] == 1_000_000
    assert DEFAULTS["MAX_METADATA_BYTES"] == 16_384
    assert DEFAULTS["MAX_BATCH_SIZE"] == 1000


def test_settings_are_read_on_every_access_and_fall_back_to_defaults():
    with override_settings(CHATHISTORY={"MAX_BATCH_SIZE": 7}):
        assert app_settings.MAX_BATCH_SIZE == 7
        assert app_settings.MAX_CONTENT_LENGTH == 1_000_000
        assert app_settings.IDEMPOTENCY_KEY_RETENTION_HOURS == 24
    with override_settings(CHATHISTORY={}):
        assert app_settings.MAX_METADATA_BYTES == 16_384
    assert app_settings.MAX_BATCH_SIZE == 1000


def test_authentication_and_throttles_have_defaults_and_are_read_at_call_time():
    assert app_settings.AUTHENTICATION_CLASSES == [
        "chathistory.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
    with override_settings(CHATHISTORY={"THROTTLE_RATES": {"user": "5/second"}}):
        # A scope left out keeps its default.
        assert app_settings.THROTTLE_RATES == {"anon": "60/minute", "user": "5/second"}
