"""With a router that sends chathistory to a database of its own, nothing of it reaches ``default``.

Run with ``--ds=tests.settings_routed`` (``make test`` does); skipped under the plain settings.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from chathistory import services
from chathistory.models import Conversation, Message
from tests.conftest import api_client_for
from tests.factories import make_user, tool_call

pytestmark = pytest.mark.routed


@pytest.fixture
def default_queries():
    """Every statement sent to ``default`` while the block runs."""
    with CaptureQueriesContext(connections["default"]) as captured:
        yield captured.captured_queries


def test_the_services_use_the_routed_database_only(db, default_queries):
    user = make_user()
    conversation, created = services.get_or_create_conversation(user, title="routed")
    again, created_again = services.get_or_create_conversation(user, conversation.pk)
    assert created and not created_again and again.pk == conversation.pk
    services.add_messages(
        conversation,
        [
            {"role": "system", "content": "Be brief."},
            {"role": "assistant", "content": None, "tool_calls": [tool_call("a")]},
            {"role": "tool", "tool_call_id": "a", "content": "18C"},
        ],
    )
    services.add_message(conversation, role="user", content="Thanks")
    services.add_messages_once(conversation, [{"role": "user", "content": "once"}], key="k")
    _, replayed = services.add_messages_once(conversation, [{"role": "user", "content": "once"}], key="k")
    services.update_conversation(conversation, title="renamed")
    services.set_archived(Conversation.objects.filter(pk=conversation.pk), True)
    history = services.get_openai_messages(conversation, last=2)
    listed = list(services.list_conversations(user))
    services.purge_idempotency_keys(older_than=timedelta(0))
    services.delete_conversation(conversation)

    assert not replayed
    assert [m["role"] for m in history] == ["system", "user", "user"]
    assert [c.pk for c in listed] == [again.pk]
    assert not Message.objects.using("chat").exists()
    assert default_queries == []


def test_the_api_uses_the_routed_database_only(db, default_queries):
    user = make_user()
    api = api_client_for(user)
    default_queries.clear()

    created = api.post("/api/conversations/", {"title": "routed"}, format="json")
    assert created.status_code == 201, created.content
    url = f"/api/conversations/{created.json()['id']}/"
    appended = api.post(
        f"{url}messages/",
        [
            {"role": "assistant", "content": None, "tool_calls": [tool_call("a")]},
            {"role": "tool", "tool_call_id": "a", "content": "18C"},
        ],
        format="json",
    )
    assert appended.status_code == 201, appended.content
    keyed = {"role": "user", "content": "once"}
    assert api.post(f"{url}messages/", keyed, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    replay = api.post(f"{url}messages/", keyed, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert api.patch(url, {"archived": True}, format="json").status_code == 200
    assert api.get("/api/conversations/").json()["results"][0]["message_count"] == 3
    assert len(api.get(f"{url}messages/").json()["results"]) == 3
    assert api.get(f"{url}messages/2/").json()["tool_call_id"] == "a"
    assert len(api.get(f"{url}history/?last=1").json()["messages"]) == 1
    assert api.delete(url).status_code == 204

    assert default_queries == []


def test_chathistory_tables_exist_only_in_the_routed_database(db):
    for alias, expected in (("chat", True), ("default", False)):
        tables = connections[alias].introspection.table_names()
        assert (Message._meta.db_table in tables) is expected, alias
