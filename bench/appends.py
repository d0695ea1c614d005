"""Append and read costs at 0 and 100,000 messages, through chathistory and as raw SQL.

Runs against the database that ``DATABASE_URL`` selects (SQLite by default), but never on that
database itself: it creates a dedicated one through Django's test-database machinery (a temporary
file for SQLite, ``<name>_bench`` for PostgreSQL), and drops it at the end. A benchmark, not a test:
it asserts nothing. Usage: ``make bench`` or ``python bench/appends.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ["DJANGO_DEBUG"] = "0"  # no query log in the timings
os.environ.setdefault("CHATHISTORY_LOG_LEVEL", "WARNING")  # no log line per append in the timings

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from chathistory import services  # noqa: E402
from chathistory.models import Conversation, Message  # noqa: E402

LENGTH = 100_000
BATCH = 1000
REPEAT = 200


def median_ms(call: Callable[[int], object], repeat: int = REPEAT) -> float:
    for index in range(5):  # warm caches and connections
        call(index)
    samples = []
    for index in range(repeat):
        start = time.perf_counter()
        call(index)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def fill(conversation: Conversation, length: int) -> None:
    """Through services.add_messages in batches of BATCH, so seq and message_count are the real ones."""
    while conversation.message_count < length:
        size = min(BATCH, length - conversation.message_count)
        services.add_messages(
            conversation,
            [
                {"role": ("user", "assistant")[n % 2], "content": f"message {n} " + "lorem ipsum " * 8}
                for n in range(size)
            ],
        )


class RawSQL:
    """The same append and read, written by hand against the same connection."""

    def __init__(self) -> None:
        quote = connection.ops.quote_name
        self.conversations = quote(Conversation._meta.db_table)
        self.messages = quote(Message._meta.db_table)
        self.pk_field = Conversation._meta.pk
        self.created_field = Message._meta.get_field("created_at")

    def append(self, conversation: Conversation, content: str) -> None:
        pk = self.pk_field.get_db_prep_value(conversation.pk, connection)
        now = self.created_field.get_db_prep_value(timezone.now(), connection)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.conversations} SET message_count = message_count + 1, updated_at = %s "
                "WHERE id = %s RETURNING message_count",
                [now, pk],
            )
            (seq,) = cursor.fetchone()
            cursor.execute(
                f"INSERT INTO {self.messages} (conversation_id, seq, role, content, name, tool_calls, "
                "tool_call_id, metadata, created_at) VALUES (%s, %s, 'user', %s, NULL, NULL, NULL, '{}', %s)",
                [pk, seq, content, now],
            )

    def last(self, conversation: Conversation, n: int) -> list[tuple]:
        pk = self.pk_field.get_db_prep_value(conversation.pk, connection)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, conversation_id, seq, role, content, name, tool_calls, tool_call_id, metadata, "
                f"created_at FROM {self.messages} WHERE conversation_id = %s ORDER BY seq DESC LIMIT %s",
                [pk, n],
            )
            return cursor.fetchall()


def run() -> None:
    raw = RawSQL()
    user = get_user_model().objects.create_user("bench")
    long, _ = services.get_or_create_conversation(user, title="long")
    short, _ = services.get_or_create_conversation(user, title="short")
    started = time.perf_counter()
    fill(long, LENGTH)
    filled_in = time.perf_counter() - started
    fill(short, 100)
    fresh = [services.get_or_create_conversation(user)[0] for _ in range(2 * (REPEAT + 5))]
    fresh_orm, fresh_raw = fresh[: REPEAT + 5], fresh[REPEAT + 5 :]

    text = "What is the weather in Paris tomorrow?"
    results = {
        "add_message @ 0": median_ms(lambda i: services.add_message(fresh_orm[i], role="user", content=text)),
        f"add_message @ {LENGTH:,}": median_ms(lambda i: services.add_message(long, role="user", content=text)),
        "raw append @ 0": median_ms(lambda i: raw.append(fresh_raw[i], text)),
        f"raw append @ {LENGTH:,}": median_ms(lambda i: raw.append(long, text)),
        "get_chat_history(last=50) @ 100": median_ms(lambda i: services.get_chat_history(short, last=50)),
        f"get_chat_history(last=50) @ {LENGTH:,}": median_ms(lambda i: services.get_chat_history(long, last=50)),
        "raw select last 50 @ 100": median_ms(lambda i: raw.last(short, 50)),
        f"raw select last 50 @ {LENGTH:,}": median_ms(lambda i: raw.last(long, 50)),
    }
    big = f"@ {LENGTH:,}"
    ratios = {
        "append@100k / append@0": results[f"add_message {big}"] / results["add_message @ 0"],
        "read@100k / read@100": results[f"get_chat_history(last=50) {big}"]
        / results["get_chat_history(last=50) @ 100"],
        "ORM append / raw append (@0)": results["add_message @ 0"] / results["raw append @ 0"],
        "ORM append / raw append (@100k)": results[f"add_message {big}"] / results[f"raw append {big}"],
        "ORM read / raw read (@100k)": results[f"get_chat_history(last=50) {big}"]
        / results[f"raw select last 50 {big}"],
    }

    print(f"backend: {connection.vendor}, bench database {connection.settings_dict['NAME']}")
    print(
        f"filled one conversation to {LENGTH:,} messages in {filled_in:.1f} s "
        f"(services.add_messages, batches of {BATCH:,}); medians of {REPEAT} runs"
    )
    for label, value in results.items():
        print(f"  {label:<40} {value:8.3f} ms")
    for label, value in ratios.items():
        print(f"  {label:<40} {value:8.2f}x")


def main() -> None:
    settings_dict = connection.settings_dict
    with tempfile.TemporaryDirectory() as directory:
        if connection.vendor == "sqlite":
            settings_dict["TEST"]["NAME"] = str(Path(directory) / "bench.sqlite3")
        else:
            settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_bench"
        original_name = settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            run()
        finally:
            connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    main()
