"""The app's settings: ``settings.CHATHISTORY``, read on every access so ``override_settings`` works."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 1_000_000,
    "MAX_METADATA_BYTES": 16_384,
    "MAX_BATCH_SIZE": 1000,
    "IDEMPOTENCY_KEY_RETENTION_HOURS": 24,
    "SEARCH_CONFIG": "simple",
    "READ_REPLICAS": (),
    "REPLICA_PIN_SECONDS": 5,
    "REPLICA_MAX_LAG_SECONDS": 5,
}
#: Keys that are off (None) until a project sets them, then a positive integer like the others.
OPTIONAL_DEFAULTS: dict[str, int | None] = {
    "RETENTION_DAYS": None,  # keep every conversation
}


class AppSettings:
    def _get(self, name: str) -> Any:
        # The system checks (chathistory.E00x) hold a project's values to each key's type.
        configured: dict[str, Any] = getattr(settings, "CHATHISTORY", {})
        return configured.get(name, DEFAULTS[name])

    def _int(self, name: str) -> int:
        return int(self._get(name))

    @property
    def MAX_CONTENT_LENGTH(self) -> int:
        """Longest ``content`` accepted, in characters."""
        return self._int("MAX_CONTENT_LENGTH")

    @property
    def MAX_METADATA_BYTES(self) -> int:
        """Largest ``metadata`` accepted: UTF-8 bytes of its compact JSON."""
        return self._int("MAX_METADATA_BYTES")

    @property
    def MAX_BATCH_SIZE(self) -> int:
        """Most messages one ``add_messages`` call (or one API batch) may append."""
        return self._int("MAX_BATCH_SIZE")

    @property
    def IDEMPOTENCY_KEY_RETENTION_HOURS(self) -> int:
        """How long an ``Idempotency-Key`` can be replayed before it may be purged."""
        return self._int("IDEMPOTENCY_KEY_RETENTION_HOURS")

    # Search.

    @property
    def SEARCH_CONFIG(self) -> str:
        """PostgreSQL's text search configuration for message search (``simple``: whole words, any language).

        Read when the search index is built (the migration, ``services.rebuild_search_index``)
        and by every query, which must name the index's configuration to use it.
        """
        return str(self._get("SEARCH_CONFIG"))

    @property
    def READ_REPLICAS(self) -> tuple[str, ...]:
        """Database aliases of streaming replicas that ``chathistory.routers.ReplicaRouter`` reads from."""
        return tuple(self._get("READ_REPLICAS"))

    @property
    def REPLICA_PIN_SECONDS(self) -> int:
        """How long a client's reads stay on the primary after it wrote."""
        return self._int("REPLICA_PIN_SECONDS")

    @property
    def REPLICA_MAX_LAG_SECONDS(self) -> int:
        """A replica further behind than this is skipped, and reads go to the primary."""
        return self._int("REPLICA_MAX_LAG_SECONDS")

    @property
    def RETENTION_DAYS(self) -> int | None:
        """Days without activity after which ``chathistory_purge`` deletes a conversation; None keeps all."""
        configured: dict[str, int | None] = getattr(settings, "CHATHISTORY", {})
        return configured.get("RETENTION_DAYS", OPTIONAL_DEFAULTS["RETENTION_DAYS"])


app_settings = AppSettings()
