"""What the deleting commands share: --dry-run, --batch-size, and how they print what they counted."""

from __future__ import annotations

import argparse

from django.core.management.base import CommandParser

from chathistory.services.retention import BATCH_SIZE


def add_batch_options(parser: CommandParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")
    parser.add_argument(
        "--batch-size",
        type=_at_least_one,
        default=BATCH_SIZE,
        help=f"Most rows deleted per transaction (default {BATCH_SIZE:,}).",
    )


def _at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def describe(counts: dict[str, int]) -> str:
    """``3 conversation(s), 120 message(s), 4 tool call(s) and 2 idempotency key(s)``."""
    return (
        f"{counts['conversations']:,} conversation(s), {counts['messages']:,} message(s), "
        f"{counts['tool_calls']:,} tool call(s) and {counts['idempotency_keys']:,} idempotency key(s)"
    )
