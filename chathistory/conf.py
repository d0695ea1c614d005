"""The app's settings: ``settings.CHATHISTORY``, read on every access so ``override_settings`` works."""

from __future__ import annotations

from typing import Any

from django.conf import settings

#: The integer limits; each must be a positive integer (chathistory.E003).
LIMITS: dict[str, int] = {
    "MAX_CONTENT_LENGTH": 1_000_000,
    "MAX_METADATA_BYTES": 16_384,
    "MAX_BATCH_SIZE": 1000,
    "IDEMPOTENCY_KEY_RETENTION_HOURS": 24,
}
#: Token first: its ``WWW-Authenticate`` header is what makes a request without credentials a 401.
DEFAULT_AUTHENTICATION_CLASSES = [
    "chathistory.api.authentication.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
#: Requests per client address without credentials (the token route included), and per user.
DEFAULT_THROTTLE_RATES: dict[str, str | None] = {"anon": "60/minute", "user": "1200/minute"}

DEFAULTS: dict[str, Any] = {
    **LIMITS,
    "AUTHENTICATION_CLASSES": DEFAULT_AUTHENTICATION_CLASSES,
    "THROTTLE_RATES": DEFAULT_THROTTLE_RATES,
}


class AppSettings:
    def _configured(self) -> dict[str, Any]:
        configured: dict[str, Any] = getattr(settings, "CHATHISTORY", {})
        return configured

    def _get(self, name: str) -> int:
        # Every limit is a positive integer; the system checks (chathistory.E003) hold a project to it.
        value: int = self._configured().get(name, LIMITS[name])
        return value

    @property
    def MAX_CONTENT_LENGTH(self) -> int:
        """Longest ``content`` accepted, in characters."""
        return self._get("MAX_CONTENT_LENGTH")

    @property
    def MAX_METADATA_BYTES(self) -> int:
        """Largest ``metadata`` accepted: UTF-8 bytes of its compact JSON."""
        return self._get("MAX_METADATA_BYTES")

    @property
    def MAX_BATCH_SIZE(self) -> int:
        """Most messages one ``add_messages`` call (or one API batch) may append."""
        return self._get("MAX_BATCH_SIZE")

    @property
    def IDEMPOTENCY_KEY_RETENTION_HOURS(self) -> int:
        """How long an ``Idempotency-Key`` can be replayed before it may be purged."""
        return self._get("IDEMPOTENCY_KEY_RETENTION_HOURS")

    @property
    def AUTHENTICATION_CLASSES(self) -> list[str]:
        """Dotted paths of the DRF authentication classes of the app's API, in order (not ``REST_FRAMEWORK``'s)."""
        paths: list[str] = list(self._configured().get("AUTHENTICATION_CLASSES", DEFAULT_AUTHENTICATION_CLASSES))
        return paths

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:
        """The API's rates by scope (``anon``, ``user``), such as ``"60/minute"``; ``None`` turns a scope off.

        A project sets only the scopes it changes; the others keep their defaults.
        """
        configured: dict[str, str | None] = self._configured().get("THROTTLE_RATES", {})
        return {**DEFAULT_THROTTLE_RATES, **configured}


app_settings = AppSettings()
