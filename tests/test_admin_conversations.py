import json
import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chathistory import services
from chathistory.models import Conversation
from tests.conftest import CHAT_DATABASE
from tests.factories import make_conversation, make_message, make_user, tool_call

CHANGELIST = reverse("admin:chathistory_conversation_changelist")


def change_url(conversation):
    return reverse("admin:chathistory_conversation_change", args=[conversation.pk])


def make_conversations(count, **overrides):
    users = [make_user() for _ in range(3)]
    return [
        make_conversation(user=users[index % 3], title=f"Conversation {index}", **overrides) for index in range(count)
    ]


def run_action(client, action, conversations, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(c.pk) for c in conversations], **extra},
    )


def test_changelist_shows_each_column(admin_client):
    conversation = make_conversation(title="Refund for order 1234")
    make_message(conversation)
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    row = response.content.decode()
    assert "Refund for order 1234" in row
    assert conversation.user.username in row
    for column in ("messages", "updated at", "archived"):
        assert f">{column.capitalize()}<" in row or column.capitalize() in row
    # Times to the minute in the operator's zone, the exact instant in the markup.
    updated = timezone.localtime(Conversation.objects.get(pk=conversation.pk).updated_at)
    assert f'<time datetime="{updated.isoformat()}"' in row
    assert f">{updated:%Y-%m-%d %H:%M}</time>" in row


def test_changelist_query_count_is_the_same_for_10_and_100_rows(admin_client, django_assert_num_queries):
    make_conversations(10)
    admin_client.get(CHANGELIST)  # the session and user are cached after the first request
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as ten:
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 10

    make_conversations(90)
    with django_assert_num_queries(len(ten.captured_queries)):
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 100


def test_changelist_never_counts_the_whole_table(admin_client):
    assert admin_client.get(CHANGELIST, {"q": "anything"}).context["cl"].full_result_count is None


@pytest.mark.parametrize("query", ["weather", "WEATHER in par"])
def test_search_finds_a_conversation_by_title(admin_client, query):
    wanted = make_conversation(title="Weather in Paris")
    make_conversation(title="Refund")
    results = admin_client.get(CHANGELIST, {"q": query}).context["cl"].result_list
    assert list(results) == [wanted]


def test_search_finds_conversations_by_username(admin_client):
    grace = make_user(username="grace.hopper")
    wanted = make_conversation(user=grace, title="Compilers")
    make_conversation(title="Unrelated")
    results = admin_client.get(CHANGELIST, {"q": "hopper"}).context["cl"].result_list
    assert list(results) == [wanted]


def test_filter_by_archived(admin_client):
    archived = make_conversation(title="old")
    services.update_conversation(archived, archived=True)
    make_conversation(title="current")
    results = admin_client.get(CHANGELIST, {"archived__exact": "1"}).context["cl"].result_list
    assert list(results) == [archived]


def test_archive_and_unarchive_actions(admin_client):
    first, second, _untouched = make_conversations(3)
    run_action(admin_client, "archive", [first, second])
    assert set(Conversation.objects.filter(archived=True)) == {first, second}

    run_action(admin_client, "unarchive", [first])
    assert set(Conversation.objects.filter(archived=True)) == {second}


def test_archive_action_moves_updated_at(admin_client):
    conversation = make_conversation()
    run_action(admin_client, "archive", [conversation])
    conversation_before = conversation.updated_at
    conversation.refresh_from_db()
    assert conversation.updated_at > conversation_before


def test_download_action_returns_the_openai_shape(admin_client):
    conversation = make_conversation(title="Weather")
    make_message(conversation, role="user", content="Weather in Paris?")
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call()])
    make_message(conversation, role="tool", tool_call_id="call_1", content="18°C ☀️")
    empty = make_conversation(title="Empty")

    response = run_action(admin_client, "download_openai_json", [conversation, empty])

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    exported = {item["conversation_id"]: item for item in json.loads(b"".join(response.streaming_content))}
    assert exported[str(conversation.pk)] == {
        "conversation_id": str(conversation.pk),
        "title": "Weather",
        "messages": services.get_openai_messages(conversation),
    }
    assert exported[str(empty.pk)]["messages"] == []


def test_download_action_queries_do_not_grow_with_the_selection(admin_client, django_assert_num_queries):
    conversations = make_conversations(8)
    for conversation in conversations:
        make_message(conversation)

    def download(selection):
        response = run_action(admin_client, "download_openai_json", selection)
        return json.loads(b"".join(response.streaming_content))

    with CaptureQueriesContext(connections[CHAT_DATABASE]) as two:
        assert len(download(conversations[:2])) == 2
    with django_assert_num_queries(len(two.captured_queries)):
        assert len(download(conversations)) == 8


def test_editing_the_title_saves_through_the_service_layer(admin_client):
    conversation = make_conversation(title="Before")
    response = admin_client.post(
        change_url(conversation), {"title": "After", "metadata": '{"ticket": 7}', "archived": "on"}
    )
    assert response.status_code == 302
    conversation_before = conversation.updated_at
    conversation.refresh_from_db()
    assert (conversation.title, conversation.metadata, conversation.archived) == ("After", {"ticket": 7}, True)
    assert conversation.updated_at > conversation_before


def test_editing_rejects_what_the_service_layer_rejects(admin_client):
    conversation = make_conversation(title="Before")
    response = admin_client.post(change_url(conversation), {"title": "bad\x00title", "metadata": "[1, 2]"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"title", "metadata"}
    conversation.refresh_from_db()
    assert conversation.title == "Before"


def test_adding_a_conversation_for_a_chosen_user(admin_client):
    owner = make_user()
    response = admin_client.post(
        reverse("admin:chathistory_conversation_add"),
        {"user": owner.pk, "title": "Opened by support", "metadata": "{}"},
    )
    assert response.status_code == 302
    assert Conversation.objects.get(user=owner).title == "Opened by support"


def test_saving_an_unchanged_conversation_leaves_updated_at_alone(admin_client):
    conversation = make_conversation(title="Same", metadata={"ticket": 7})
    # The form sends metadata's initial value too, as a hidden input (its default is callable).
    unchanged = {"title": "Same", "metadata": '{"ticket": 7}', "initial-metadata": '{"ticket": 7}'}
    response = admin_client.post(change_url(conversation), unchanged)
    assert response.status_code == 302
    updated_at = conversation.updated_at
    conversation.refresh_from_db()
    assert conversation.updated_at == updated_at


def test_adding_an_archived_conversation_keeps_it_archived(admin_client):
    owner = make_user()
    response = admin_client.post(
        reverse("admin:chathistory_conversation_add"),
        {"user": owner.pk, "title": "Closed already", "metadata": "{}", "archived": "on"},
    )
    assert response.status_code == 302
    assert Conversation.objects.get(user=owner).archived is True


def test_the_user_is_chosen_with_autocomplete(admin_client):
    response = admin_client.get(reverse("admin:chathistory_conversation_add"))
    assert "admin-autocomplete" in response.content.decode()


def test_deleting_summarises_the_messages_instead_of_listing_them(admin_client):
    conversation = make_conversation(title="Long one")
    services.add_messages(conversation, [{"role": "user", "content": f"m{n}"} for n in range(30)])
    confirmation = admin_client.get(reverse("admin:chathistory_conversation_delete", args=[conversation.pk]))
    page = confirmation.content.decode()
    assert "Messages: 30" in page
    assert "#1 user" not in page

    admin_client.post(reverse("admin:chathistory_conversation_delete", args=[conversation.pk]), {"post": "yes"})
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def test_bulk_delete_removes_the_conversations_and_their_messages(admin_client):
    conversations = make_conversations(3)
    for conversation in conversations:
        make_message(conversation)
    run_action(admin_client, "delete_selected", conversations[:2], post="yes")
    assert list(Conversation.objects.all()) == [conversations[2]]
    assert conversations[2].messages.count() == 1


def test_search_finds_conversations_by_the_users_email(admin_client):
    ada = make_user(username="ada", email="ada@analytical.example")
    wanted = make_conversation(user=ada, title="Engines")
    make_conversation(title="Unrelated")
    results = admin_client.get(CHANGELIST, {"q": "analytical"}).context["cl"].result_list
    assert list(results) == [wanted]


def test_the_user_is_a_raw_id_where_the_user_models_admin_cannot_serve_autocomplete(admin_client, monkeypatch):
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    monkeypatch.delitem(admin.site._registry, get_user_model())
    page = admin_client.get(reverse("admin:chathistory_conversation_add")).content.decode()
    assert "admin-autocomplete" not in page
    # The user's id in a text input: no <select> listing every user.
    assert re.search(r'<input type="text" name="user"', page)
