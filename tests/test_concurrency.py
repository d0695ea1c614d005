"""Concurrent writers with real threads, each on its own database connection."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import closing

import pytest
from django.db import connection

from chathistory import services
from chathistory.exceptions import ValidationError
from chathistory.models import Conversation, Message
from tests.factories import make_conversation, make_message, make_user, tool_call
from tests.test_settings import run_python

THREADS = 8
APPENDS = 50


def _in_threads(count: int, work) -> list:
    """Run ``work(index)`` in ``count`` threads released together; each result, or the exception raised."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = work(index)
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def append_race(conversation_id: uuid.UUID) -> list:
    """THREADS threads each appending APPENDS messages to one conversation; each thread's seqs."""

    def work(index: int) -> list[int]:
        conversation = Conversation.objects.get(pk=conversation_id)
        return [
            services.add_message(conversation, role="user", content=f"thread {index}, message {n}").seq
            for n in range(APPENDS)
        ]

    return _in_threads(THREADS, work)


def _assert_gapless_after_race(conversation_id: uuid.UUID, per_thread: list) -> None:
    total = THREADS * APPENDS
    assert all(isinstance(seqs, list) for seqs in per_thread), per_thread
    assert all(seqs == sorted(seqs) for seqs in per_thread)
    assert sorted(seq for seqs in per_thread for seq in seqs) == list(range(1, total + 1))
    stored = Message.objects.filter(conversation_id=conversation_id).order_by("seq")
    assert list(stored.values_list("seq", flat=True)) == list(range(1, total + 1))
    assert Conversation.objects.get(pk=conversation_id).message_count == total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_one_conversation_get_seqs_one_to_four_hundred():
    conversation = make_conversation()
    _assert_gapless_after_race(conversation.pk, append_race(conversation.pk))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_get_or_create_on_one_new_id_creates_one_conversation():
    user = make_user()
    chosen = uuid.uuid4()

    outcomes = _in_threads(THREADS, lambda index: services.get_or_create_conversation(user, chosen))

    assert [type(outcome) for outcome in outcomes] == [tuple] * THREADS, outcomes
    assert {conversation.pk for conversation, _ in outcomes} == {chosen}
    assert sorted(created for _, created in outcomes) == [False] * (THREADS - 1) + [True]
    assert Conversation.objects.filter(pk=chosen, user=user).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_answers_to_one_tool_call_store_exactly_one():
    conversation = make_conversation()
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])

    def answer(index: int):
        return services.add_message(
            Conversation.objects.get(pk=conversation.pk), role="tool", tool_call_id="call_1", content=str(index)
        )

    outcomes = _in_threads(2, answer)

    rejected = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    stored = [outcome for outcome in outcomes if isinstance(outcome, Message)]
    assert len(stored) == 1 and len(rejected) == 1, outcomes
    assert set(rejected[0].errors) == {"tool_call_id"}
    assert list(
        Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", "tool_call_id")
    ) == [
        (1, None),
        (2, "call_1"),
    ]
    assert Conversation.objects.get(pk=conversation.pk).message_count == 2


_SQLITE_RACE = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.factories import make_conversation
from tests.test_concurrency import append_race
conversation = make_conversation()
print(json.dumps({"conversation_id": str(conversation.pk), "per_thread": append_race(conversation.pk)}))
"""


def test_concurrent_appends_on_an_sqlite_file_get_seqs_one_to_four_hundred(tmp_path):
    """The in-memory test database cannot be shared by threads, so this runs chatsite on a file."""
    database = tmp_path / "race.sqlite3"
    result = run_python(
        ["-c", _SQLITE_RACE],
        DJANGO_SETTINGS_MODULE="chatsite.settings",
        DJANGO_SECRET_KEY="x",
        CHATHISTORY_LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{database}",
    )
    assert result.returncode == 0, result.stderr
    per_thread = json.loads(result.stdout)["per_thread"]
    total = THREADS * APPENDS
    assert sorted(seq for seqs in per_thread for seq in seqs) == list(range(1, total + 1))
    with closing(sqlite3.connect(database)) as db:
        seqs = [row[0] for row in db.execute("SELECT seq FROM chathistory_message ORDER BY seq")]
        (message_count,) = db.execute("SELECT message_count FROM chathistory_conversation").fetchone()
    assert seqs == list(range(1, total + 1))
    assert message_count == total


def keyed_race(conversation_id: uuid.UUID) -> list:
    """THREADS threads appending the same message under one Idempotency-Key at once: each ``created`` flag."""

    def work(index: int) -> bool:
        conversation = Conversation.objects.get(pk=conversation_id)
        _, created = services.add_messages_once(conversation, [{"role": "user", "content": "once"}], key="raced")
        return created

    return _in_threads(THREADS, work)


_SQLITE_KEYED_RACE = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.factories import make_conversation
from tests.test_concurrency import keyed_race
conversation = make_conversation()
print(json.dumps({"created": keyed_race(conversation.pk)}))
"""


def test_racing_appends_under_one_key_on_an_sqlite_file_store_one_message(tmp_path):
    database = tmp_path / "keyed.sqlite3"
    result = run_python(
        ["-c", _SQLITE_KEYED_RACE],
        DJANGO_SETTINGS_MODULE="chatsite.settings",
        DJANGO_SECRET_KEY="x",
        CHATHISTORY_LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{database}",
    )
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)["created"]) == [False] * (THREADS - 1) + [True]
    with closing(sqlite3.connect(database)) as db:
        (stored,) = db.execute("SELECT count(*) FROM chathistory_message").fetchone()
        (message_count,) = db.execute("SELECT message_count FROM chathistory_conversation").fetchone()
    assert (stored, message_count) == (1, 1)
