from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chathistory import services
from chathistory.models import Message
from tests.conftest import CHAT_DATABASE
from tests.factories import make_conversation, make_message, tool_call

CHANGELIST = reverse("admin:chathistory_message_changelist")


def make_messages(count):
    conversations = [make_conversation(title=f"Conversation {n}") for n in range(3)]
    for index in range(count):
        make_message(conversations[index % 3], content=f"Message number {index}")


def test_changelist_shows_conversation_seq_role_excerpt_and_created(admin_client, conversation):
    make_message(conversation, role="user", content="Where is my parcel?\nIt was due on Monday.")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Weather in Paris" in page
    assert "Where is my parcel? It was due on Monday." in page
    assert f'href="/admin/chathistory/conversation/{conversation.pk}/change/?page=1#m1"' in page
    assert "column-created_at" in page


def test_excerpt_is_cut_and_a_tool_call_without_content_shows_its_name(admin_client, conversation):
    make_message(conversation, role="user", content="a" * 500)
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call(name="get_weather")])
    page = admin_client.get(CHANGELIST).content.decode()
    assert "a" * 120 + "…" in page and "a" * 121 not in page
    assert "→ get_weather" in page


def test_changelist_query_count_is_the_same_for_10_and_100_rows(admin_client):
    make_messages(10)
    admin_client.get(CHANGELIST)
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as ten:
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 10

    make_messages(90)
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as hundred:
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 100
    assert len(hundred.captured_queries) == len(ten.captured_queries)


def test_search_finds_messages_by_content_case_insensitively(admin_client, conversation):
    wanted = make_message(conversation, content="My invoice INV-2041 is wrong")
    make_message(conversation, content="Thanks!")
    results = admin_client.get(CHANGELIST, {"q": "inv-2041"}).context["cl"].result_list
    assert list(results) == [wanted]


def test_filter_by_role_and_by_conversation(admin_client, conversation):
    make_message(conversation, role="user", content="hi")
    reply = make_message(conversation, role="assistant", content="hello")
    make_message(make_conversation(), role="assistant", content="elsewhere")
    results = (
        admin_client.get(CHANGELIST, {"role__exact": "assistant", "conversation__id__exact": str(conversation.pk)})
        .context["cl"]
        .result_list
    )
    assert list(results) == [reply]


def test_messages_cannot_be_added_changed_or_deleted(admin_client, conversation):
    message = make_message(conversation, content="as sent")
    change = reverse("admin:chathistory_message_change", args=[message.pk])

    assert admin_client.get(reverse("admin:chathistory_message_add")).status_code == 403
    page = admin_client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.post(change, {"content": "edited", "role": "user"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:chathistory_message_delete", args=[message.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert "delete_selected" not in admin_client.get(CHANGELIST).content.decode()
    message.refresh_from_db()
    assert message.content == "as sent"


def test_message_page_shows_all_of_a_long_message(admin_client, conversation):
    message = make_message(conversation, content="y" * 30_000, metadata={"model": "gpt-4o"})
    page = admin_client.get(reverse("admin:chathistory_message_change", args=[message.pk])).content.decode()
    assert "y" * 30_000 in page
    assert "&quot;model&quot;: &quot;gpt-4o&quot;" in page


def test_deleting_a_conversation_deletes_its_messages(admin_client, conversation):
    services.add_messages(conversation, [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}])
    admin_client.post(reverse("admin:chathistory_conversation_delete", args=[conversation.pk]), {"post": "yes"})
    assert not Message.objects.exists()


def test_message_page_shows_tool_calls_indented(admin_client, conversation):
    message = make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_9", "lookup")])
    page = admin_client.get(reverse("admin:chathistory_message_change", args=[message.pk])).content.decode()
    assert "<pre>[\n  {\n    &quot;id&quot;: &quot;call_9&quot;," in page
    assert "&quot;name&quot;: &quot;lookup&quot;" in page
