"""Content parts, refusals and custom tool calls stored through the services and the API, and read
back in the three history shapes, checked with the SDKs' own types."""

from __future__ import annotations

import json

import pytest
from anthropic.types import MessageParam, TextBlockParam
from openai.types.chat import ChatCompletionMessageParam

from chathistory import services
from chathistory.fields import ESCAPE
from chathistory.models import Message
from chathistory.shapes import to_anthropic_messages, to_openai_messages, to_responses_input
from tests.contract import MESSAGE_JSON_KEYS
from tests.factories import make_message, tool_call
from tests.shapes_corpus import (
    CORPUS_MESSAGES,
    PDF_DATA_URL,
    PNG_DATA_URL,
    THINKING,
    corpus,
    custom_call,
    function_call,
    strict_adapter,
    validate_strictly,
)

OPENAI_MESSAGES = strict_adapter(list[ChatCompletionMessageParam])
ANTHROPIC_MESSAGES = strict_adapter(list[MessageParam])
ANTHROPIC_SYSTEM = strict_adapter(list[TextBlockParam])

EVERY_USER_PART = [
    {"type": "text", "text": "What is on these?", "cache_control": {"type": "ephemeral"}},
    {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "high"}},
    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
    {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "mp3"}},
    {"type": "file", "file": {"file_data": PDF_DATA_URL, "filename": "report.pdf"}},
    {"type": "file", "file": {"file_id": "file-abc123"}},
    {"type": "future_block", "payload": {"z": 1, "a": [1.5, 10**30, -0.0, "é🙂"]}},
]


def history(api, conversation, **params):
    response = api.get(f"/api/conversations/{conversation.pk}/history/", params)
    assert response.status_code == 200, response.json()
    return response.json()


def stored_corpus(conversation):
    return services.add_messages(conversation, CORPUS_MESSAGES)


# Storing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "parts"),
    [
        ("system", [{"type": "text", "text": "Be brief."}]),
        ("developer", [{"type": "text", "text": "Metric.", "prompt_cache_breakpoint": {"mode": "explicit"}}]),
        ("user", EVERY_USER_PART),
        ("assistant", [THINKING, {"type": "text", "text": "Hi"}, {"type": "refusal", "refusal": "No."}]),
    ],
)
def test_every_role_stores_the_parts_it_takes_exactly(conversation, role, parts):
    message = services.add_message(conversation, role=role, content=parts)

    (stored,) = services.get_chat_history(conversation)
    assert stored.pk == message.pk
    assert stored.content == parts
    # Key order and number types too: the JSON text is what was given.
    assert json.dumps(stored.content) == json.dumps(parts)


def test_a_tool_message_takes_text_parts(conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])
    parts = [{"type": "text", "text": "18"}, {"type": "text", "text": "C"}]

    services.add_message(conversation, role="tool", tool_call_id="call_1", content=parts)

    assert services.get_chat_history(conversation)[-1].content == parts


@pytest.mark.parametrize(
    "text", ["[not parts]", '[{"type": "text", "text": "a string"}]', "[]", ESCAPE, ESCAPE + "[x", "\x1b[31mred"]
)
def test_a_string_that_looks_like_parts_comes_back_a_string(conversation, text):
    services.add_message(conversation, role="user", content=text)

    assert Message.objects.get(conversation=conversation).content == text
    assert services.get_openai_messages(conversation) == [{"role": "user", "content": text}]


def test_the_api_stores_and_returns_parts_and_a_refusal(api, conversation):
    url = f"/api/conversations/{conversation.pk}/messages/"
    batch = [
        {"role": "user", "content": EVERY_USER_PART},
        {"role": "assistant", "content": None, "refusal": "I can't help with that."},
    ]

    created = api.post(url, batch, format="json")

    assert created.status_code == 201, created.json()
    listed = api.get(url).json()["results"]
    assert [(m["content"], m["refusal"]) for m in listed] == [
        (EVERY_USER_PART, None),
        (None, "I can't help with that."),
    ]
    assert list(listed[0]) == list(MESSAGE_JSON_KEYS)


def test_parallel_and_custom_tool_calls_are_answered_and_kept(api, conversation):
    calls = [function_call("call_1"), {**custom_call("call_2"), "x-trace": [1, 2]}]
    services.add_messages(
        conversation,
        [
            {"role": "user", "content": "Weather, then run this."},
            {"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": "call_2", "content": "42"},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ],
    )

    assert services.get_chat_history(conversation)[1].tool_calls == calls
    items = history(api, conversation, shape="responses")["messages"]
    assert [item["type"] for item in items[1:]] == [
        "function_call",
        "custom_tool_call",
        "custom_tool_call_output",
        "function_call_output",
    ]


# Rejections ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "field", "path"),
    [
        (
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": ""}}]},
            "content",
            "content[0].image_url.url",
        ),
        (
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "input_audio", "input_audio": {"data": "not base64!", "format": "wav"}},
                ],
            },
            "content",
            "content[1].input_audio.data",
        ),
        (
            {"role": "system", "content": [{"type": "image_url", "image_url": {"url": PNG_DATA_URL}}]},
            "content",
            "content[0].type",
        ),
        (
            {"role": "assistant", "content": [{"type": "file", "file": {"filename": "a.pdf"}}]},
            "content",
            "content[0].type",
        ),
        ({"role": "user", "content": [{"type": "text", "text": "a\x00b"}]}, "content", "content[0].text"),
        (
            {"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "custom": {"name": "run"}}]},
            "tool_calls",
            "tool_calls[0].custom.input",
        ),
    ],
)
def test_a_malformed_part_or_call_is_a_400_naming_its_path_and_nothing_is_stored(
    api, conversation, message, field, path
):
    response = api.post(f"/api/conversations/{conversation.pk}/messages/", message, format="json")

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert body[field][0].startswith(f"{path}: ")
    assert not Message.objects.filter(conversation=conversation).exists()


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"role": "user", "content": "Hi", "refusal": "No."}, "refusal"),
        ({"role": "assistant", "content": None, "refusal": 7}, "refusal"),
        ({"role": "user", "content": []}, "content"),
        ({"role": "assistant", "content": None}, "content"),
    ],
)
def test_refusal_and_empty_parts_rules_name_the_field(conversation, nothing_stored, message, field):
    with nothing_stored() as rejection:
        services.add_message(conversation, **message)

    assert set(rejection.value.errors) == {field}


def test_a_bad_message_in_a_batch_of_parts_stores_none_of_it(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_messages(
            conversation,
            [
                {"role": "user", "content": EVERY_USER_PART},
                {"role": "user", "content": [{"type": "refusal", "refusal": "not mine"}]},
            ],
        )

    assert rejection.value.errors[0] == {}
    assert rejection.value.errors[1]["content"][0].startswith("content[0].type: ")


def test_the_length_limit_counts_the_compact_json_of_parts(conversation, nothing_stored, settings):
    settings.CHATHISTORY = {"MAX_CONTENT_LENGTH": 50}
    parts = [{"type": "text", "text": "x" * 20}]  # 47 characters as compact JSON

    services.add_message(conversation, role="user", content=parts)
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content=[{"type": "text", "text": "x" * 30}])

    assert set(rejection.value.errors) == {"content"}


# The three shapes over a stored corpus -----------------------------------------------------------


def test_every_shape_of_a_stored_corpus_is_what_the_shapes_give_and_the_sdks_accept(api, conversation):
    stored_corpus(conversation)

    openai = history(api, conversation)
    responses = history(api, conversation, shape="responses")
    anthropic = history(api, conversation, shape="anthropic")

    # What came back from the database is shaped exactly as the messages that went in.
    assert openai["messages"] == to_openai_messages(corpus())
    assert responses["messages"] == to_responses_input(corpus())
    assert {"system": anthropic["system"], "messages": anthropic["messages"]} == to_anthropic_messages(corpus())
    assert set(anthropic) == {"conversation_id", "system", "messages"}
    validate_strictly(OPENAI_MESSAGES, openai["messages"])
    validate_strictly(ANTHROPIC_SYSTEM, anthropic["system"])
    validate_strictly(ANTHROPIC_MESSAGES, anthropic["messages"])
    assert services.get_responses_input(conversation) == responses["messages"]
    assert services.get_anthropic_messages(conversation) == to_anthropic_messages(corpus())


def test_an_unknown_shape_is_a_400_naming_shape(api, conversation):
    response = api.get(f"/api/conversations/{conversation.pk}/history/", {"shape": "gemini"})

    assert response.status_code == 400
    assert list(response.json()) == ["shape"]


@pytest.fixture
def long_conversation(conversation):
    """Instructions before and inside the window, and a window that starts with orphan tool results."""
    services.add_messages(
        conversation,
        [
            {"role": "system", "content": "Be brief."},  # 1
            {"role": "user", "content": "Weather in Paris and Rome?"},  # 2
            {"role": "assistant", "content": None, "tool_calls": [function_call("call_1"), custom_call("call_2")]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},  # 4
            {"role": "tool", "tool_call_id": "call_2", "content": "25C"},  # 5
            {"role": "developer", "content": "Answer in French."},  # 6
            {"role": "assistant", "content": "Paris 18C, Rome 25C."},  # 7
        ],
    )
    return conversation


@pytest.mark.parametrize("shape", ["openai", "responses", "anthropic"])
def test_last_n_cuts_orphan_tool_results_and_keeps_earlier_instructions_in_every_shape(api, long_conversation, shape):
    window = services.history_window(long_conversation, last=4)

    assert [message["seq"] for message in window] == [1, 6, 7]
    shaped = history(api, long_conversation, shape=shape, last=4)
    expected = {
        "openai": to_openai_messages(window),
        "responses": to_responses_input(window),
        "anthropic": to_anthropic_messages(window)["messages"],
    }[shape]
    assert shaped["messages"] == expected
    if shape == "anthropic":
        assert shaped["system"] == [
            {"type": "text", "text": "Be brief."},
            {"type": "text", "text": "Answer in French."},
        ]
        validate_strictly(ANTHROPIC_MESSAGES, shaped["messages"])


def test_a_system_message_inside_the_window_stays_in_place_for_openai(long_conversation):
    roles = [message["role"] for message in services.get_openai_messages(long_conversation, last=3)]

    assert roles == ["system", "developer", "assistant"]


def test_the_window_costs_the_same_queries_in_every_shape(long_conversation, django_assert_num_queries):
    for read in (services.get_openai_messages, services.get_responses_input, services.get_anthropic_messages):
        with django_assert_num_queries(2):
            read(long_conversation, last=3)


# Anthropic in ----------------------------------------------------------------------------------


def test_anthropic_messages_are_stored_and_read_back_as_given(conversation):
    system = [{"type": "text", "text": "Be brief."}]
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                THINKING,
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"}]},
        {"role": "assistant", "content": "18C."},
    ]

    stored = services.add_anthropic_messages(conversation, messages, system=system)

    assert [m.role for m in stored] == ["system", "user", "assistant", "tool", "assistant"]
    back = services.get_anthropic_messages(conversation)
    assert back["system"] == system
    assert back["messages"][:3] == messages[:3]
    assert back["messages"][3] == {"role": "assistant", "content": [{"type": "text", "text": "18C."}]}


def test_a_rejected_anthropic_message_is_named_by_its_path_and_nothing_stored(conversation, nothing_stored):
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_unknown", "content": "x"}]},
    ]

    with nothing_stored() as rejection:
        services.add_anthropic_messages(conversation, messages)

    assert list(rejection.value.errors) == ["messages[1]"]
    assert rejection.value.errors["messages[1]"][0].startswith("tool_call_id: ")


def test_a_malformed_anthropic_block_is_named_by_its_path(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_anthropic_messages(
            conversation, [{"role": "assistant", "content": [{"type": "tool_use", "id": "", "name": "x", "input": {}}]}]
        )

    assert list(rejection.value.errors) == ["messages[0].content[0].id"]


def test_the_conversation_list_reads_no_message_content(api, conversation, django_assert_num_queries):
    make_message(conversation, content=[{"type": "image_url", "image_url": {"url": PNG_DATA_URL}}])
    with django_assert_num_queries(2) as queries:  # the token, then the page of conversations
        assert api.get("/api/conversations/").status_code == 200
    assert not any("chathistory_message" in query["sql"] for query in queries.captured_queries)
