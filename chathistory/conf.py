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

#: Keys that are off (None) until a project sets them, then a positive integer like the limits.
OPTIONAL_LIMITS: dict[str, int | None] = {
    "RETENTION_DAYS": None,  # keep every conversation
}

DEFAULTS: dict[str, Any] = {
    **LIMITS,
    **OPTIONAL_LIMITS,
    "AUTHENTICATION_CLASSES": DEFAULT_AUTHENTICATION_CLASSES,
    "THROTTLE_RATES": DEFAULT_THROTTLE_RATES,
    "SEARCH_CONFIG": "simple",
    "READ_REPLICAS": (),
    "REPLICA_PIN_SECONDS": 5,
    "REPLICA_MAX_LAG_SECONDS": 5,
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

    # Retention.

    @property
    def RETENTION_DAYS(self) -> int | None:
        """Days without activity after which ``chathistory_purge`` deletes a conversation; None keeps all."""
        days: int | None = self._configured().get("RETENTION_DAYS", OPTIONAL_LIMITS["RETENTION_DAYS"])
        return days

    # Search.

    @property
    def SEARCH_CONFIG(self) -> str:
        """PostgreSQL's text search configuration for message search (``simple``: whole words, any language).

        Read when the search index is built (the migration, ``services.rebuild_search_index``)
        and by every query, which must name the index's configuration to use it.
        """
        return str(self._configured().get("SEARCH_CONFIG", DEFAULTS["SEARCH_CONFIG"]))

    # Read replicas (chathistory.routers.ReplicaRouter).

    @property
    def READ_REPLICAS(self) -> tuple[str, ...]:
        """Database aliases of streaming replicas that ``chathistory.routers.ReplicaRouter`` reads from."""
        return tuple(self._configured().get("READ_REPLICAS", ()))

    @property
    def REPLICA_PIN_SECONDS(self) -> int:
        """How long a client's reads stay on the primary after it wrote."""
        return int(self._configured().get("REPLICA_PIN_SECONDS", DEFAULTS["REPLICA_PIN_SECONDS"]))

    @property
    def REPLICA_MAX_LAG_SECONDS(self) -> int:
        """A replica further behind than this is skipped, and reads go to the primary."""
        return int(self._configured().get("REPLICA_MAX_LAG_SECONDS", DEFAULTS["REPLICA_MAX_LAG_SECONDS"]))


app_settings = AppSettings()
