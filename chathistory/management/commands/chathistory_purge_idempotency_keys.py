"""Delete Idempotency-Key records past CHATHISTORY["IDEMPOTENCY_KEY_RETENTION_HOURS"].

Kept for existing cron lines: chathistory_purge does this too, with idle conversations.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chathistory import services
from chathistory.conf import app_settings


class Command(BaseCommand):
    help = (
        "Delete the Idempotency-Key records older than CHATHISTORY['IDEMPOTENCY_KEY_RETENTION_HOURS'] "
        "(default 24); a retry after that stores its message again. An alias kept for existing "
        "setups: chathistory_purge deletes these records too, along with idle conversations."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=int,
            help="Keep keys younger than this many hours instead of the setting.",
        )

    def handle(self, *args: Any, hours: int | None = None, **options: Any) -> None:
        if hours is None:
            hours = app_settings.IDEMPOTENCY_KEY_RETENTION_HOURS
        if hours < 0:
            raise CommandError("--hours must be 0 or more.")
        self.stderr.write("chathistory_purge_idempotency_keys is an alias: chathistory_purge does this and more.")
        deleted = services.purge_idempotency_keys(older_than=timedelta(hours=hours))
        self.stdout.write(f"Deleted {deleted} idempotency key(s) older than {hours} hour(s).")
