import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from openai.types.chat import ChatCompletionMessageParam
from pydantic import TypeAdapter

from chathistory import services
from tests.conftest import CHAT_DATABASE, ON_POSTGRES
from tests.factories import make_message, tool_call

OPENAI_MESSAGES = TypeAdapter(list[ChatCompletionMessageParam])


def history_url(conversation_id):
    return f"/api/conversations/{conversation_id}/history/"


@pytest.fixture
def long_turns(conversation):
    """system, developer, then two tool-calling turns: seq 1 to 10."""
    services.add_messages(
        conversation,
        [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Use metric units.", "name": "policy"},
            {"role": "user", "content": "Weather in Paris?", "name": "alice"},
            {"role": "assistant", "content": None, "tool_calls": [tool_call("call_1")]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "assistant", "content": "18C."},
            {"role": "user", "content": "And Rome and Oslo?"},
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    {**tool_call("call_2", arguments='{"city": "Rome"}'), "x-trace": {"id": 7}},
                    tool_call("call_3", arguments='{"city": "Oslo"}'),
                ],
            },
            {"role": "tool", "tool_call_id": "call_2", "content": "25C"},
            {"role": "tool", "tool_call_id": "call_3", "content": "9C"},
        ],
    )
    return conversation


def test_history_is_the_whole_conversation_in_openai_shape(api, long_turns):
    response = api.get(history_url(long_turns.id))

    assert response.status_code == 200
    body = response.json()
    assert body["conversation_id"] == str(long_turns.id)
    assert body["messages"] == services.get_openai_messages(long_turns)
    assert body["messages"][:4] == [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Use metric units.", "name": "policy"},
        {"role": "user", "content": "Weather in Paris?", "name": "alice"},
        {"role": "assistant", "content": None, "tool_calls": [tool_call("call_1")]},
    ]
    assert body["messages"][4] == {"role": "tool", "tool_call_id": "call_1", "content": "18C"}
    assert body["messages"][7]["tool_calls"][0]["x-trace"] == {"id": 7}


def test_history_validates_as_openai_chat_completion_messages(api, long_turns):
    messages = api.get(history_url(long_turns.id)).json()["messages"]

    validated = OPENAI_MESSAGES.validate_python(messages)

    assert len(validated) == 10
    # tool_calls is an Iterable in the TypedDict: pydantic validates it as it is consumed.
    calls = [call for message in validated for call in message.get("tool_calls", ())]
    assert [call["function"]["name"] for call in calls] == ["get_weather"] * 3


def test_last_drops_orphan_tool_results_and_keeps_earlier_instructions_first(api, long_turns):
    messages = api.get(history_url(long_turns.id), {"last": 2}).json()["messages"]

    # The window is the last two tool results; their assistant message fell outside it.
    assert [m["role"] for m in messages] == ["system", "developer"]


def test_last_keeps_the_window_after_the_instructions(api, long_turns):
    messages = api.get(history_url(long_turns.id), {"last": 4}).json()["messages"]

    assert [m["role"] for m in messages] == ["system", "developer", "user", "assistant", "tool", "tool"]
    assert len(OPENAI_MESSAGES.validate_python(messages)) == 6


@pytest.mark.parametrize("last", ["-1", "abc", "1.5", "99999999999999999999"])
def test_an_invalid_last_is_a_400_naming_it(api, conversation, last):
    response = api.get(history_url(conversation.id), {"last": last})

    assert response.status_code == 400
    assert list(response.json()) == ["last"]


def test_history_of_an_empty_conversation_is_an_empty_list(api, conversation):
    assert api.get(history_url(conversation.id), {"last": 5}).json()["messages"] == []


def test_history_ignores_undocumented_parameters(api, conversation):
    make_message(conversation)

    assert len(api.get(history_url(conversation.id), {"archived": "maybe"}).json()["messages"]) == 1


@pytest.mark.skipif(ON_POSTGRES, reason="checks SQLite's query planner")
def test_earlier_instructions_are_found_through_their_index_not_a_walk_of_the_conversation(long_turns):
    connection = connections[CHAT_DATABASE]
    with CaptureQueriesContext(connection) as captured:
        services.get_openai_messages(long_turns, last=3)
    lookup = next(query["sql"] for query in captured.captured_queries if "IN ('system', 'developer')" in query["sql"])

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {lookup}")
        plan = " ".join(row[-1] for row in cursor.fetchall())

    assert "chathistory_msg_conv_role_seq" in plan, plan
