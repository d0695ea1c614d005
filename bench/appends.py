"""chathistory's service layer against raw SQL doing the same work, as ratios in one run.

Appends at message 0 and at message 100,000, the last 50 of a 100,000-message conversation, a
whole 10,000-message history and the 20 most recent of 1,000 conversations, on a throwaway
database of ``DATABASE_URL``'s server (SQLite by default), every commit durable (checked and
printed first). Raw SQL runs on the same connection and builds the same Python values (decoded
JSON, aware datetimes): the reads check that both give equal rows. Medians; asserts nothing.
Usage: ``make bench`` or ``python bench/appends.py``.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC
from typing import Any

import harness
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from chathistory import services
from chathistory.models import Conversation, Message
from chathistory.services.rows import MESSAGE_ROW_FIELDS

LONG = 100_000
WHOLE = 10_000
CONVERSATIONS = 1_000
BATCH = 1000
REPEAT = 200
TEXT = "What is the weather in Paris tomorrow?"


def fill(conversation: Conversation, length: int) -> None:
    """Through services.add_messages in batches of BATCH, so seq and message_count are the real ones."""
    while conversation.message_count < length:
        size = min(BATCH, length - conversation.message_count)
        services.add_messages(
            conversation,
            [
                {
                    "role": ("user", "assistant")[n % 2],
                    "content": f"message {n} " + "lorem ipsum " * 8,
                    "metadata": {"n": n},
                }
                for n in range(size)
            ],
        )


class RawSQL:
    """The same appends and reads, written by hand on the same connection, giving the same values."""

    def __init__(self) -> None:
        quote = connection.ops.quote_name
        self.conversations = quote(Conversation._meta.db_table)
        self.messages = quote(Message._meta.db_table)
        self.sqlite = connection.vendor == "sqlite"
        columns = {field.attname: field.column for field in Message._meta.concrete_fields}
        self.message_columns = ", ".join(quote(columns[field]) for field in MESSAGE_ROW_FIELDS)

    def _uuid(self, value: uuid.UUID) -> Any:
        return value.hex if self.sqlite else value

    def _now(self) -> Any:
        now = timezone.now()
        return now.replace(tzinfo=None).isoformat(" ") if self.sqlite else now

    def append(self, conversation: Conversation, content: str) -> int:
        if self.sqlite:
            # In-process: statements cost no round trip, so the plain transaction is the fastest form.
            with transaction.atomic(), connection.cursor() as cursor:
                now = self._now()
                cursor.execute(
                    f"UPDATE {self.conversations} SET message_count = message_count + 1, updated_at = %s "
                    "WHERE id = %s RETURNING message_count",
                    [now, self._uuid(conversation.pk)],
                )
                (seq,) = cursor.fetchone()
                cursor.execute(
                    f"INSERT INTO {self.messages} (conversation_id, seq, role, content, name, tool_calls, "
                    "tool_call_id, metadata, created_at) VALUES (%s, %s, 'user', %s, NULL, NULL, NULL, '{}', %s)",
                    [self._uuid(conversation.pk), seq, content, now],
                )
                return seq
        # One statement in autocommit: one round trip, the row lock still orders the writers.
        with connection.cursor() as cursor:
            now = self._now()
            cursor.execute(
                f"WITH bumped AS (UPDATE {self.conversations} SET message_count = message_count + 1, "
                "updated_at = %s WHERE id = %s RETURNING id, message_count) "
                f"INSERT INTO {self.messages} (conversation_id, seq, role, content, name, tool_calls, "
                "tool_call_id, metadata, created_at) "
                "SELECT id, message_count, 'user', %s, NULL, NULL, NULL, '{}', %s FROM bumped RETURNING seq",
                [now, conversation.pk, content, now],
            )
            return cursor.fetchone()[0]

    # SQLite: the sqlite3 module already parses datetimes and booleans (the converters Django
    # registers for their declared types), naive in UTC.
    def _message(self, row: tuple) -> dict[str, Any]:
        message = dict(zip(MESSAGE_ROW_FIELDS, row, strict=True))
        for field in ("tool_calls", "metadata"):
            if message[field] is not None:
                message[field] = json.loads(message[field])
        if self.sqlite:
            message["conversation_id"] = uuid.UUID(message["conversation_id"])
            message["created_at"] = message["created_at"].replace(tzinfo=UTC)
        return message

    def last(self, conversation: Conversation, n: int) -> list[dict[str, Any]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.message_columns} FROM {self.messages} WHERE conversation_id = %s "
                "ORDER BY seq DESC LIMIT %s",
                [self._uuid(conversation.pk), n],
            )
            rows = cursor.fetchall()
        rows.reverse()
        return [self._message(row) for row in rows]

    def whole(self, conversation: Conversation) -> list[dict[str, Any]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.message_columns} FROM {self.messages} WHERE conversation_id = %s ORDER BY seq",
                [self._uuid(conversation.pk)],
            )
            return [self._message(row) for row in cursor.fetchall()]

    def recent_conversations(self, user_id: int, n: int) -> list[dict[str, Any]]:
        fields = ("id", "title", "metadata", "archived", "message_count", "created_at", "updated_at")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(fields)} FROM {self.conversations} WHERE user_id = %s "
                "ORDER BY updated_at DESC, id DESC LIMIT %s",
                [user_id, n],
            )
            rows = [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            row["metadata"] = json.loads(row["metadata"])
            if self.sqlite:
                row["id"] = uuid.UUID(row["id"])
                for field in ("created_at", "updated_at"):
                    row[field] = row[field].replace(tzinfo=UTC)
        return rows


def conversation_dicts(conversations: list[Conversation]) -> list[dict[str, Any]]:
    fields = ("id", "title", "metadata", "archived", "message_count", "created_at", "updated_at")
    return [{field: getattr(c, field) for field in fields} for c in conversations]


def row(label: str, raw_ms: float, ours_ms: float, goal: float | None) -> None:
    ratio = ours_ms / raw_ms
    verdict = "" if goal is None else ("  ok" if ratio <= goal else f"  over the {goal:g}x goal")
    goal_text = "" if goal is None else f"{goal:g}x"
    print(f"  {label:<58} {raw_ms:9.3f} {ours_ms:11.3f} {ratio:7.2f}x {goal_text:>5}{verdict}")


def run() -> None:
    print(f"durability: {harness.durability()}")
    raw = RawSQL()
    users = get_user_model().objects
    writer = users.create_user("bench-writer")
    lister = users.create_user("bench-lister")

    started = time.perf_counter()
    long, _ = services.get_or_create_conversation(writer, title="long")
    fill(long, LONG)
    whole, _ = services.get_or_create_conversation(writer, title="whole")
    fill(whole, WHOLE)
    for n in range(CONVERSATIONS):
        conversation, _ = services.get_or_create_conversation(lister, title=f"conversation {n}", metadata={"n": n})
        services.add_message(conversation, role="user", content=TEXT)
    fresh = [services.get_or_create_conversation(writer)[0] for _ in range(2 * (REPEAT + 5))]
    fresh_ours, fresh_raw = fresh[: REPEAT + 5], fresh[REPEAT + 5 :]
    print(
        f"filled {LONG:,} + {WHOLE:,} messages and {CONVERSATIONS:,} conversations in "
        f"{time.perf_counter() - started:.1f} s; medians of {REPEAT} runs "
        f"({REPEAT // 10} for whole histories)"
    )

    # Reads first give equal values both ways, or the comparison means nothing.
    same = (
        raw.last(long, 50) == services.history_rows(long, last=50)
        and raw.whole(whole) == services.history_rows(whole)
        and raw.recent_conversations(lister.pk, 20)
        == conversation_dicts(list(services.list_conversations(lister)[:20]))
    )
    print(f"raw SQL and chathistory read equal values: {'yes' if same else 'NO'}")

    print(f"  {'operation':<58} {'raw ms':>9} {'chathistory':>11} {'ratio':>8} {'goal':>5}")
    row(
        "append one message, own commit, at message 0 (add_message)",
        harness.median_ms(lambda i: raw.append(fresh_raw[i], TEXT), REPEAT),
        harness.median_ms(lambda i: services.add_message(fresh_ours[i], role="user", content=TEXT), REPEAT),
        2,
    )
    row(
        f"append one message, own commit, at message {LONG:,}",
        harness.median_ms(lambda i: raw.append(long, TEXT), REPEAT),
        harness.median_ms(lambda i: services.add_message(long, role="user", content=TEXT), REPEAT),
        2,
    )
    raw_last = harness.median_ms(lambda i: raw.last(long, 50), REPEAT)
    row(
        f"last 50 of {LONG:,}: history_rows(last=50), dicts",
        raw_last,
        harness.median_ms(lambda i: services.history_rows(long, last=50), REPEAT),
        2,
    )
    row(
        f"last 50 of {LONG:,}: get_chat_history(last=50), Messages",
        raw_last,
        harness.median_ms(lambda i: services.get_chat_history(long, last=50), REPEAT),
        None,
    )
    row(
        f"last 50 of {LONG:,}: get_openai_messages(last=50), 2 queries",
        raw_last,
        harness.median_ms(lambda i: services.get_openai_messages(long, last=50), REPEAT),
        None,
    )
    raw_whole = harness.median_ms(lambda i: raw.whole(whole), REPEAT // 10, warmup=2)
    row(
        f"whole {WHOLE:,}-message history: history_rows(), dicts",
        raw_whole,
        harness.median_ms(lambda i: services.history_rows(whole), REPEAT // 10, warmup=2),
        1.5,
    )
    row(
        f"whole {WHOLE:,}-message history: get_chat_history(), Messages",
        raw_whole,
        harness.median_ms(lambda i: services.get_chat_history(whole), REPEAT // 10, warmup=2),
        None,
    )
    row(
        f"whole {WHOLE:,}-message history: get_openai_messages()",
        raw_whole,
        harness.median_ms(lambda i: services.get_openai_messages(whole), REPEAT // 10, warmup=2),
        None,
    )
    row(
        f"20 most recent of {CONVERSATIONS:,} conversations, with counts",
        harness.median_ms(lambda i: raw.recent_conversations(lister.pk, 20), REPEAT),
        harness.median_ms(lambda i: list(services.list_conversations(lister)[:20]), REPEAT),
        3,
    )


def main() -> None:
    with harness.throwaway_database() as settings_dict:
        print(f"backend: {connection.vendor}, bench database {settings_dict['NAME']}")
        run()


if __name__ == "__main__":
    main()
