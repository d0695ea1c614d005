"""Delete what CHATHISTORY keeps no longer: idle conversations and expired idempotency records; run it from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chathistory.conf import app_settings
from chathistory.management.commands._batches import add_batch_options, describe
from chathistory.services.retention import BATCH_SIZE, purge_expired_conversations


class Command(BaseCommand):
    help = (
        "Delete the conversations not updated for CHATHISTORY['RETENTION_DAYS'] days (none when it is "
        "unset) and the Idempotency-Key records past CHATHISTORY['IDEMPOTENCY_KEY_RETENTION_HOURS'], in "
        "batches of short transactions, so the API keeps serving while it runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="Delete conversations idle this many days instead of the setting.")
        add_batch_options(parser)

    def handle(
        self, *args: Any, days: int | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE, **options: Any
    ) -> None:
        if days is None:
            days = app_settings.RETENTION_DAYS
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        try:
            counts = purge_expired_conversations(days=days, dry_run=dry_run, batch_size=batch_size)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if days is None:
            self.stdout.write("CHATHISTORY['RETENTION_DAYS'] is not set: every conversation is kept.")
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {describe(counts)}" + (f" (idle for {days} day(s) or more)." if days else "."))
