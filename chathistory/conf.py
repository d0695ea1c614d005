"""The app's settings: ``settings.CHATHISTORY``, read on every access so ``override_settings`` works."""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, int] = {
    "MAX_CONTENT_LENGTH": 1_000_000,
    "MAX_METADATA_BYTES": 16_384,
    "MAX_BATCH_SIZE": 1000,
    "IDEMPOTENCY_KEY_RETENTION_HOURS": 24,
}


class AppSettings:
    def _get(self, name: str) -> int:
        # Every key is a positive integer; the system checks (chathistory.E003) hold a project to it.
        configured: dict[str, int] = getattr(settings, "CHATHISTORY", {})
        return configured.get(name, DEFAULTS[name])

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


app_settings = AppSettings()
