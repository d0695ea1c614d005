"""Message search over 1,000,000 messages of 1,000 users: first-page latency and index size.

Runs against the database that ``DATABASE_URL`` selects (SQLite by default), on a dedicated
database of its own (a temporary file for SQLite, ``<name>_bench`` for PostgreSQL) that it
creates and drops. The messages are bulk-loaded with the search index taken away (migrating
back past 0006), then the index is built by migrating forward again, as a deployment that
adds search to an existing database would. A benchmark, not a test: it asserts nothing.

Usage: ``python bench/search.py [--messages N]``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import harness  # sets Django up
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from chathistory import services
from chathistory.models import Conversation, Message

USERS = 1000
CONVERSATIONS_PER_USER = 10
REPEAT = 100
RARE, COMMON = "quokka", "weather"
RARE_EVERY = 1000  # one message in a thousand has the rare word: about one per user
COMMON_SHARE = 0.3  # and three in ten the common one
WORDS_PER_MESSAGE = 20
BEFORE_SEARCH = ("chathistory", "0005_message_unordered_key_without_batch")


def vocabulary(size: int, rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fi", "go", "hu", "ja", "pe", "zo"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    words.discard(RARE)
    words.discard(COMMON)
    return sorted(words)


def message_text(rng: random.Random, words: list[str], cumulative: list[float], index: int) -> str:
    chosen = rng.choices(words, cum_weights=cumulative, k=WORDS_PER_MESSAGE)
    if rng.random() < COMMON_SHARE:
        chosen[rng.randrange(WORDS_PER_MESSAGE)] = COMMON.capitalize()
    if index % RARE_EVERY == 0:
        chosen[rng.randrange(WORDS_PER_MESSAGE)] = RARE
    return " ".join(chosen) + "."


def load(total: int) -> list[int]:
    """Users, conversations and ``total`` messages by the database's bulk path; returns user ids."""
    rng = random.Random(7)
    words = vocabulary(20_000, rng)
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))  # Zipf, as in natural text
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"user{n}", password="!") for n in range(USERS)
    )
    start = datetime(2025, 1, 1, tzinfo=UTC)
    conversations = Conversation.objects.bulk_create(
        Conversation(id=uuid.uuid4(), user=user, title=f"conversation {n}", created_at=start, updated_at=start)
        for user in users
        for n in range(CONVERSATIONS_PER_USER)
    )
    per_conversation = total // len(conversations)
    Conversation.objects.update(message_count=per_conversation)
    rows = (
        (
            conversation.pk,
            seq,
            ("user", "assistant")[seq % 2],
            message_text(rng, words, cumulative, number * per_conversation + seq),
            start + timedelta(seconds=number * per_conversation + seq),
        )
        for number, conversation in enumerate(conversations)
        for seq in range(1, per_conversation + 1)
    )
    table = connection.ops.quote_name(Message._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(
                f"COPY {table} (conversation_id, seq, role, content, metadata, created_at) FROM STDIN"
            ) as copy:
                for pk, seq, role, content, created_at in rows:
                    copy.write_row((pk, seq, role, content, "{}", created_at))
        else:
            cursor.executemany(
                f"INSERT INTO {table} (conversation_id, seq, role, content, metadata, created_at) "
                "VALUES (%s, %s, %s, %s, '{}', %s)",
                (
                    (pk.hex, seq, role, content, created_at.replace(tzinfo=None).isoformat(" "))
                    for pk, seq, role, content, created_at in rows
                ),
            )
    return [user.pk for user in users]


def migrate_to(target: tuple[str, str]) -> None:
    MigrationExecutor(connection).migrate([target])


def database_bytes() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0]


def index_bytes() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_relation_size('chathistory_msg_search')")
            return cursor.fetchone()[0]
    return -1  # SQLite: measured as the growth of the file


def run(total: int) -> None:
    migrate_to(BEFORE_SEARCH)
    begun = time.perf_counter()
    user_ids = load(total)
    loaded_in = time.perf_counter() - begun
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    before = database_bytes()
    begun = time.perf_counter()
    migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes("chathistory")[0])
    indexed_in = time.perf_counter() - begun
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    grown = database_bytes() - before
    size = index_bytes() if connection.vendor == "postgresql" else grown

    User = get_user_model()
    users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
    rng = random.Random(11)
    sample = rng.sample(users, 50)

    def first_page(word: str) -> Callable[[int], object]:
        return lambda index: services.search_messages(sample[index % len(sample)], word).page()

    counts = {
        word: statistics.median(len(services.search_messages(user, word)) for user in sample[:10])
        for word in (RARE, COMMON)
    }
    results = {
        f"rare word ({RARE!r}, median {counts[RARE]:.0f} matches a user)": harness.median_ms(first_page(RARE), REPEAT),
        f"common word ({COMMON!r}, median {counts[COMMON]:.0f} matches a user)": harness.median_ms(
            first_page(COMMON), REPEAT
        ),
        f"both words ('{RARE} {COMMON}')": harness.median_ms(first_page(f"{RARE} {COMMON}"), REPEAT),
        f'phrase ("{COMMON} {RARE}")': harness.median_ms(first_page(f'"{COMMON} {RARE}"'), REPEAT),
    }
    print(f"backend: {connection.vendor}, bench database {connection.settings_dict['NAME']}")
    print(
        f"{Message.objects.count():,} messages of {USERS:,} users loaded in {loaded_in:.0f} s, "
        f"index built in {indexed_in:.0f} s"
    )
    print(f"index size {size / 2**20:.0f} MiB (database {database_bytes() / 2**20:.0f} MiB)")
    print(f"first page (20 results) of one user's search, median of {REPEAT} searches over 50 users:")
    for label, value in results.items():
        print(f"  {label:<58} {value:8.2f} ms")
    print("plan of the rare-word search:")
    print("  " + services.search_messages(sample[0], RARE).explain().replace("\n", "\n  "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    total = parser.parse_args().messages
    with harness.throwaway_database("search"):
        run(total)


if __name__ == "__main__":
    main()
