"""Export and import throughput, and the LangChain history's window on a long conversation.

Runs against the database that ``DATABASE_URL`` selects (SQLite by default), on a dedicated
database that it creates and drops, as ``appends.py`` does. Prints:

- ``iter_export`` and ``import_conversation`` throughput, in messages per second, over 200
  conversations of 500 messages (every fifth an assistant tool call with its answer);
- ``DjangoChatMessageHistory(window=50).messages`` on a 100,000-message conversation (median of
  50 reads) and, on PostgreSQL with ``langchain-postgres`` installed, the same read of
  ``PostgresChatMessageHistory.messages`` over the same 100,000 messages, as a ratio.

A benchmark, not a test: it asserts nothing. Usage: ``python bench/transfer.py``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import harness
from django.contrib.auth import get_user_model
from django.db import connection

from chathistory import services
from chathistory.models import Conversation

CONVERSATIONS = 200
PER_CONVERSATION = 500
LONG = 100_000
WINDOW = 50
REPEAT = 50


def _turns(count: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while len(messages) < count:
        n = len(messages)
        if n % 5 == 3 and count - n >= 2:
            call = f"call_{n}"
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call,
                            "type": "function",
                            "function": {"name": "lookup", "arguments": '{"q": "Zürich"}'},
                        },
                    ],
                }
            )
            messages.append({"role": "tool", "tool_call_id": call, "content": '{"answer": 42}'})
        else:
            role = ("user", "assistant")[n % 2]
            messages.append(
                {
                    "role": role,
                    "content": f"message {n}: " + "lorem ipsum ☕ " * 10,
                    "metadata": {"model": "gpt-4o"} if role == "assistant" else {},
                }
            )
    return messages


def bench_transfer(user: Any) -> dict[str, float]:
    for _ in range(CONVERSATIONS):
        conversation, _ = services.get_or_create_conversation(user)
        services.add_messages(conversation, _turns(PER_CONVERSATION))
    total = CONVERSATIONS * PER_CONVERSATION

    start = time.perf_counter()
    documents = list(services.iter_export(user=user))
    exported = time.perf_counter() - start

    Conversation.objects.filter(user=user).delete()
    start = time.perf_counter()
    for document in documents:
        services.import_conversation(user, document)
    imported = time.perf_counter() - start

    start = time.perf_counter()
    for document in documents:  # the same again: compared, nothing stored
        services.import_conversation(user, document)
    replayed = time.perf_counter() - start
    return {
        "export (iter_export)": total / exported,
        "import (import_conversation)": total / imported,
        "re-import of identical documents": total / replayed,
    }


def bench_langchain(user: Any) -> dict[str, float]:
    from langchain_core.messages import AIMessage, HumanMessage

    from chathistory.integrations.langchain import DjangoChatMessageHistory

    conversation, _ = services.get_or_create_conversation(user, title="long")
    history = DjangoChatMessageHistory(conversation)
    batch = [
        HumanMessage(content="question " + "lorem " * 10) if n % 2 == 0 else AIMessage(content="answer " * 10)
        for n in range(1000)
    ]
    for _ in range(LONG // len(batch)):
        history.add_messages(batch)
    windowed = DjangoChatMessageHistory(conversation, window=WINDOW)
    results = {
        f"DjangoChatMessageHistory(window={WINDOW}).messages @ {LONG:,}": harness.median_ms(
            lambda _: windowed.messages, REPEAT, warmup=3
        )
    }

    peer = _langchain_postgres(batch)
    if peer is not None:
        results[f"PostgresChatMessageHistory.messages @ {LONG:,}"] = harness.median_ms(
            lambda _: peer.messages, 5, warmup=3
        )
    return results


def _langchain_postgres(batch: list[Any]) -> Any:
    """langchain-postgres's history over the same messages, when it is installed and the database is PostgreSQL."""
    if connection.vendor != "postgresql":
        print("langchain-postgres: skipped (needs PostgreSQL)")
        return None
    try:
        import psycopg
        from langchain_postgres import PostgresChatMessageHistory
    except ImportError:
        print("langchain-postgres: skipped (pip install langchain-postgres to compare)")
        return None
    settings = connection.settings_dict
    peer_connection = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )
    PostgresChatMessageHistory.create_tables(peer_connection, "langchain_history")
    peer = PostgresChatMessageHistory("langchain_history", str(uuid.uuid4()), sync_connection=peer_connection)
    for _ in range(LONG // len(batch)):
        peer.add_messages(batch)
    return peer


def main() -> None:
    with harness.throwaway_database("transfer"):
        print(
            f"backend: {connection.vendor} ({harness.durability()}), bench database {connection.settings_dict['NAME']}"
        )
        user = get_user_model().objects.create_user("bench")
        print(f"{CONVERSATIONS} conversations of {PER_CONVERSATION} messages:")
        for label, value in bench_transfer(user).items():
            print(f"  {label:<45} {value:10,.0f} messages/s")
        langchain = bench_langchain(user)
        for label, value in langchain.items():
            print(f"  {label:<60} {value:9.3f} ms")
        if len(langchain) == 2:
            ours, theirs = langchain.values()
            print(f"  {'langchain-postgres / chathistory window':<60} {theirs / ours:9.1f}x")


if __name__ == "__main__":
    main()
