"""Write conversations as JSON lines: the export document, or OpenAI's fine-tuning format."""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chathistory.management.commands._progress import Progress, raw_stream
from chathistory.management.commands._users import user_named
from chathistory.models import Conversation
from chathistory.services.transfer import EXPORT_FORMATS, FORMAT, iter_export


class Command(BaseCommand):
    help = (
        "Write conversations as JSON lines, one conversation per line: the export document that "
        'chathistory_import reads (--format chathistory, the default), or {"messages": [...]} in '
        "the OpenAI Chat Completions shape (--format openai-jsonl, the fine-tuning file format)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", metavar="USERNAME", help="Only this user's conversations.")
        parser.add_argument("--format", choices=EXPORT_FORMATS, default=FORMAT, dest="export_format")
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(
        self,
        *args: Any,
        user: str | None = None,
        export_format: str = FORMAT,
        output: str | None = None,
        **options: Any,
    ) -> None:
        owner = user_named(user) if user is not None else None
        conversations = Conversation.objects.all()
        if owner is not None:
            conversations = conversations.for_user(owner)
        total = conversations.count()
        # Counts go where the lines do not: with the lines on standard output, to standard error.
        report = self.stdout if output else self.stderr
        progress = Progress(raw_stream(self.stderr), total, "conversations")
        written = messages = 0
        with ExitStack() as stack:
            target: TextIO
            if output:
                try:
                    target = stack.enter_context(open(output, "w", encoding="utf-8", newline="\n"))
                except OSError as error:
                    raise CommandError(f"Cannot write {output}: {error.strerror}.") from None
            else:
                target = raw_stream(self.stdout)
            # \u escapes keep every character when standard output cannot encode them all.
            ascii_only = (getattr(target, "encoding", None) or "utf-8").lower().replace("-", "") != "utf8"
            for document in iter_export(conversations, format=export_format):
                # One line each: json.dumps escapes every newline inside a string.
                target.write(json.dumps(document, ensure_ascii=ascii_only, separators=(",", ":")) + "\n")
                written += 1
                messages += len(document["messages"])
                progress.advance(written)
        progress.close()
        summary = f"Exported {written:,} conversation(s) with {messages:,} message(s)"
        if export_format != FORMAT and written < total:
            summary += f"; skipped {total - written:,} without messages, which {export_format} cannot hold"
        report.write(summary + ".")
