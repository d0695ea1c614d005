"""The admin's costs: queries of the conversation list, a 20,000-message transcript against a 20-message one,
and the message list and transcript of 20 messages of 1 MB of inline image each against 20 plain ones.

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


def large_conversation_of(user, size: int):
    """``size`` user messages, each a text part and an inline PNG of about 1 MB (a data URL)."""
    conversation, _ = services.get_or_create_conversation(user, title=f"{size} messages of 1 MB")
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 999_800}}
    for _ in range(size):
        services.add_message(conversation, role="user", content=[{"type": "text", "text": "What is this?"}, image])
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

        plain, large = conversation_of(admin, 20), large_conversation_of(admin, 20)
        messages = reverse("admin:chathistory_message_changelist")
        rows = {
            "message list": lambda c: f"{messages}?conversation__id__exact={c.pk}",
            "transcript": lambda c: change(c),
        }
        for label, url in rows.items():
            plain_time, large_time = render_seconds(client, url(plain)), render_seconds(client, url(large))
            size = len(client.get(url(large)).content)
            print(
                f"{label} of 20 messages of 1 MB: {large_time * 1000:6.1f} ms against {plain_time * 1000:6.1f} ms "
                f"for 20 plain ones ({large_time / plain_time:.2f}x; page {size / 1024:.0f} KiB)"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
