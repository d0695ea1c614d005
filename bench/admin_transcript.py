"""The admin's costs: queries of the conversation list, and a 20,000-message transcript against a 20-message one.

Runs against a throwaway test database on DATABASE_URL's server (SQLite in memory by default):
    .venv/bin/python bench/admin_transcript.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from chathistory import services  # noqa: E402

RUNS = 7


def conversation_of(user, size: int):
    conversation, _ = services.get_or_create_conversation(user, title=f"{size} messages")
    for start in range(0, size, 1000):
        services.add_messages(
            conversation,
            [
                {"role": "user", "content": f"message {n} with some ordinary text"}
                for n in range(start, min(start + 1000, size))
            ],
        )
    return conversation


def render_seconds(client: Client, url: str) -> float:
    client.get(url)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(timings)


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        admin = get_user_model().objects.create_superuser("bench-admin", password="bench-admin-password")
        short, full, long = (conversation_of(admin, size) for size in (20, 100, 20_000))
        for n in range(97):
            services.get_or_create_conversation(admin, title=f"filler {n}")
        client = Client()
        client.force_login(admin)

        changelist = reverse("admin:chathistory_conversation_changelist")
        client.get(changelist)
        with CaptureQueriesContext(connection) as queries:
            client.get(changelist)
        print(f"{connection.vendor}: conversation changelist, 100 rows: {len(queries.captured_queries)} queries")
        for query in queries.captured_queries:
            print("   ", query["sql"][:150])

        def change(conversation, page=1):
            return reverse("admin:chathistory_conversation_change", args=[conversation.pk]) + f"?page={page}"

        short_time = render_seconds(client, change(short))
        full_time = render_seconds(client, change(full))
        long_first = render_seconds(client, change(long))
        long_last = render_seconds(client, change(long, page=200))
        print(f"transcript of 20 messages:                 {short_time * 1000:7.1f} ms (median of {RUNS})")
        print(f"transcript of 100 messages (a full page):  {full_time * 1000:7.1f} ms")
        for label, seconds in (("first", long_first), ("last", long_last)):
            print(
                f"transcript of 20,000 messages, {label} page: {seconds * 1000:6.1f} ms: "
                f"{seconds / short_time:.2f}x the 20-message one, {seconds / full_time:.2f}x the 100-message one"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
