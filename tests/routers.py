"""A router that keeps chat data in a database of its own.

chathistory goes there with what points at its users: auth, tokens and the admin log.
"""

from __future__ import annotations

from typing import Any

CHAT_DATABASE = "chat"
CHAT_APPS = frozenset({"chathistory", "auth", "contenttypes", "authtoken", "admin"})


class ChatDatabaseRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return CHAT_DATABASE if model._meta.app_label in CHAT_APPS else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return (db == CHAT_DATABASE) == (app_label in CHAT_APPS)
