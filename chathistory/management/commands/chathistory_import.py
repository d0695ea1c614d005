"""Read conversations from JSON lines written by chathistory_export, for one user."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chathistory.exceptions import ConversationIdTaken, ValidationError
from chathistory.management.commands._progress import Progress, raw_stream
from chathistory.management.commands._users import user_named
from chathistory.services.transfer import import_conversation, iter_documents


class Command(BaseCommand):
    help = (
        "Import the conversations of FILE (JSON lines, one export document each, as chathistory_export "
        "writes them; - for standard input) for USERNAME. Each conversation is stored whole or not at "
        "all, with its ids, order, timestamps and content; one already imported is left as it is. A "
        "rejected line is reported by its number and reason, and the run goes on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--user", metavar="USERNAME", required=True, help="The owner of the conversations.")

    def handle(self, *args: Any, file: str, user: str, **options: Any) -> None:
        owner = user_named(user)
        stream = _open(file)
        try:
            size = _size(stream)
            progress = Progress(raw_stream(self.stderr), size, "bytes")
            imported = unchanged = rejected = messages = 0
            for number, document, problem in iter_documents(_tracked(stream, progress)):
                if problem is None:
                    try:
                        conversation, created = import_conversation(owner, document)
                    except ValidationError as error:
                        problem = _reason(error)
                    except ConversationIdTaken as error:
                        problem = str(error)
                    else:
                        if created:
                            imported += 1
                            messages += conversation.message_count
                        else:
                            unchanged += 1
                if problem is not None:
                    rejected += 1
                    if progress.enabled:
                        raw_stream(self.stderr).write("\n")
                    self.stderr.write(f"Line {number}: rejected: {problem}")
            progress.close()
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        self.stdout.write(
            f"Imported {imported:,} conversation(s) with {messages:,} message(s); "
            f"{unchanged:,} already there and unchanged; {rejected:,} line(s) rejected."
        )


def _open(file: str) -> BinaryIO:
    if file == "-":
        return sys.stdin.buffer
    try:
        return open(file, "rb")  # closed by handle
    except OSError as error:
        raise CommandError(f"Cannot read {file}: {error.strerror}.") from None


def _size(stream: BinaryIO) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size or None
    except (OSError, ValueError, AttributeError):
        return None


def _tracked(stream: BinaryIO, progress: Progress) -> Iterator[bytes]:
    """The file's lines (split at ``\\n`` only, as JSON lines are), moving the bar by bytes read."""
    done = 0
    for line in stream:
        done += len(line)
        progress.advance(done)
        yield line


def _reason(error: ValidationError, shown: int = 5) -> str:
    """The first few problems of a rejected document, each with the field it names."""
    items = error.errors if isinstance(error.errors, list) else [error.errors]
    problems = [
        " ".join(messages) if name == "non_field_errors" else f"{name}: {' '.join(messages)}"
        for item in items
        for name, messages in item.items()
    ]
    more = f" (and {len(problems) - shown:,} more)" if len(problems) > shown else ""
    return "; ".join(problems[:shown]) + more
