import pytest
from django.test import override_settings
from django.utils.dateparse import parse_datetime

from chathistory import services
from chathistory.models import Message
from tests.contract import MESSAGE_JSON_KEYS
from tests.factories import make_message, tool_call


def messages_url(conversation_id):
    return f"/api/conversations/{conversation_id}/messages/"


def seqs(response):
    return [item["seq"] for item in response.json()["results"]]


@pytest.fixture
def tool_turn(conversation):
    """system, user, assistant with a tool call, its tool result, assistant answer: seq 1 to 5."""
    services.add_messages(
        conversation,
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"},
            {"role": "assistant", "content": "18C and sunny."},
        ],
    )
    return conversation


def test_list_returns_messages_in_seq_order_with_the_documented_fields(api, tool_turn):
    response = api.get(messages_url(tool_turn.id))

    assert response.status_code == 200
    assert seqs(response) == [1, 2, 3, 4, 5]
    first = response.json()["results"][0]
    assert set(first) == set(MESSAGE_JSON_KEYS)
    assert response.json()["results"][2]["tool_calls"] == [tool_call()]
    assert parse_datetime(first["created_at"]).utcoffset() is not None


def test_role_filter_is_repeatable(api, tool_turn):
    response = api.get(f"{messages_url(tool_turn.id)}?role=tool&role=system")

    assert seqs(response) == [1, 4]


def test_after_seq_and_before_seq_are_exclusive(api, tool_turn):
    assert seqs(api.get(messages_url(tool_turn.id), {"after_seq": 2, "before_seq": 5})) == [3, 4]


@pytest.mark.parametrize(
    "param, value", [("role", "wizard"), ("after_seq", "two"), ("before_seq", "1.5"), ("after_seq", "-1")]
)
def test_an_invalid_filter_value_is_a_400_naming_the_parameter(api, conversation, param, value):
    response = api.get(messages_url(conversation.id), {param: value})

    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_list_pages_by_50_by_default_and_caps_page_size_at_1000(api, conversation):
    batch = [{"role": "user", "content": str(n)} for n in range(1000)]
    services.add_messages(conversation, batch)
    services.add_messages(conversation, batch[:1])

    assert seqs(api.get(messages_url(conversation.id))) == list(range(1, 51))
    capped = api.get(messages_url(conversation.id), {"page_size": 5000})
    assert len(seqs(capped)) == 1000
    assert seqs(api.get(capped.json()["next"])) == [1001]


def test_pages_follow_next_in_seq_order(api, conversation):
    for n in range(5):
        make_message(conversation, content=str(n))

    first = api.get(messages_url(conversation.id), {"page_size": 2})
    second = api.get(first.json()["next"])

    assert seqs(first) == [1, 2] and seqs(second) == [3, 4]


def test_append_one_message_answers_the_message_with_201(api, conversation):
    body = {"role": "user", "content": "Héllo 👩‍👩‍👧\r\n  ", "name": "alice", "metadata": {"client": "web"}}

    response = api.post(messages_url(conversation.id), body, format="json")

    assert response.status_code == 201
    message = response.json()
    assert message["seq"] == 1
    assert {key: message[key] for key in body} == body
    assert message["tool_calls"] is None and message["tool_call_id"] is None
    assert Message.objects.get(conversation=conversation).content == body["content"]


def test_append_a_batch_with_a_tool_calling_turn_answers_the_array_with_201(api, conversation):
    call = {**tool_call(arguments='{"city": "Paris",}'), "extra": {"kept": True}}
    batch = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [call], "metadata": {"model": "m"}},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]

    response = api.post(messages_url(conversation.id), batch, format="json")

    assert response.status_code == 201
    assert [m["seq"] for m in response.json()] == [1, 2, 3]
    assert response.json()[1]["tool_calls"] == [call]
    assert api.get(messages_url(conversation.id)).json()["results"][1]["tool_calls"] == [call]


def test_append_updates_the_conversation(api, conversation):
    api.post(messages_url(conversation.id), [{"role": "user", "content": "a"}] * 2, format="json")

    body = api.get(f"/api/conversations/{conversation.id}/").json()

    assert body["message_count"] == 2
    assert body["updated_at"] > conversation.updated_at.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"role": "user", "contnet": "typo"}, "contnet"),
        ({"role": "user", "content": "x", "seq": 4}, "seq"),
        ({"role": "wizard", "content": "x"}, "role"),
        ({"role": "user", "content": "a\x00"}, "content"),
        ({"role": "assistant"}, "content"),
        ({"role": "user", "content": "x", "tool_calls": [tool_call()]}, "tool_calls"),
        ({"role": "tool", "content": "x", "tool_call_id": "nope"}, "tool_call_id"),
        ({"role": "user", "content": "x", "metadata": None}, "metadata"),
    ],
)
def test_append_one_invalid_message_is_a_400_naming_the_field(api, conversation, body, field):
    response = api.post(messages_url(conversation.id), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Message.objects.exists()


def test_an_invalid_batch_stores_nothing_and_answers_one_error_object_per_item(api, conversation):
    batch = [{"role": "user", "content": "fine"}, {"role": "user", "contnet": "typo"}]

    response = api.post(messages_url(conversation.id), batch, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert errors[0] == {} and "contnet" in errors[1]
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", ["[]", '"hello"', "42", "null", "[1]"])
def test_append_of_a_body_that_is_no_message_is_400(api, conversation, body):
    response = api.post(messages_url(conversation.id), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()
    assert not Message.objects.exists()


@override_settings(CHATHISTORY={"MAX_BATCH_SIZE": 2})
def test_a_batch_over_max_batch_size_is_400(api, conversation):
    response = api.post(messages_url(conversation.id), [{"role": "user", "content": "x"}] * 3, format="json")

    assert response.status_code == 400
    assert "at most 2" in str(response.json())
    assert not Message.objects.exists()


def test_retrieve_by_seq(api, tool_turn):
    response = api.get(f"{messages_url(tool_turn.id)}4/")

    assert response.status_code == 200
    assert response.json()["tool_call_id"] == "call_1"


@pytest.mark.parametrize("seq", ["6", "0", "abc", "99999999999999999999999"])
def test_retrieve_of_a_missing_or_malformed_seq_is_404(api, tool_turn, seq):
    response = api.get(f"{messages_url(tool_turn.id)}{seq}/")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_messages_of_an_unknown_conversation_are_404(api):
    assert api.get(messages_url("not-a-uuid")).status_code == 404
    assert api.post(messages_url("not-a-uuid"), {"role": "user", "content": "x"}, format="json").status_code == 404


@pytest.mark.parametrize("rows", [3, 30])
def test_message_list_runs_a_fixed_number_of_queries(api, conversation, rows, django_assert_num_queries):
    services.add_messages(conversation, [{"role": "user", "content": str(n)} for n in range(rows)])

    # The token with its user, the conversation, then the page.
    with django_assert_num_queries(3):
        response = api.get(messages_url(conversation.id), {"page_size": 1000, "role": "user"})

    assert len(seqs(response)) == rows


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("put", "1/"), ("patch", "1/"), ("delete", "1/"), ("delete", ""), ("put", "")],
)
def test_messages_are_append_only_no_route_edits_or_deletes_one(api, conversation, method, suffix):
    stored = make_message(conversation, content="as written")

    response = getattr(api, method)(f"{messages_url(conversation.id)}{suffix}", {"content": "rewritten"}, format="json")

    assert response.status_code == 405
    assert Message.objects.get(pk=stored.pk).content == "as written"
    assert Message.objects.filter(conversation=conversation).count() == 1
