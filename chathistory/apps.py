from __future__ import annotations

from django.apps import AppConfig


class ChatHistoryConfig(AppConfig):
    name = "chathistory"
    verbose_name = "Chat history"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chathistory import checks  # noqa: F401  (registers the system checks)
