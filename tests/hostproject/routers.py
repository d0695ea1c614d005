"""The host keeps its users and everything chat-related in a database of its own, ``chat``."""

from __future__ import annotations

from typing import Any

CHAT_APPS = frozenset({"chathistory", "users", "auth", "contenttypes", "authtoken", "admin"})


class ChatRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return "chat" if model._meta.app_label in CHAT_APPS else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return (db == "chat") == (app_label in CHAT_APPS)
