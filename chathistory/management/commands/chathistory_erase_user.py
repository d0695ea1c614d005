"""Delete all of one user's chat data: conversations, messages, tool calls, idempotency records."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chathistory.management.commands._batches import add_batch_options, describe
from chathistory.management.commands._users import user_named
from chathistory.services.retention import BATCH_SIZE, count_user_data, erase_user_data


class Command(BaseCommand):
    help = (
        "Delete every conversation of USERNAME with its messages, tool calls and idempotency records, "
        "in batches of short transactions, and print the counts. The user account itself is kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", metavar="USERNAME")
        add_batch_options(parser)

    def handle(
        self, *args: Any, username: str, dry_run: bool = False, batch_size: int = BATCH_SIZE, **options: Any
    ) -> None:
        user = user_named(username)
        if dry_run:
            self.stdout.write(f"Would delete {describe(count_user_data(user))} of {username}.")
            return
        counts = erase_user_data(user, batch_size=batch_size)
        self.stdout.write(f"Deleted {describe(counts)} of {username}.")
