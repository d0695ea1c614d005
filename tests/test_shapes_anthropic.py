"""The Anthropic Messages shape both ways, checked with the anthropic SDK's own types."""

from __future__ import annotations

import json

import pytest
from anthropic.types import (
    MessageParam,
    TextBlock,
    TextBlockParam,
    ThinkingBlock,
    ToolUseBlock,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from chathistory.content import body_errors
from chathistory.exceptions import ValidationError
from chathistory.shapes import from_anthropic_messages, to_anthropic_messages
from tests.shapes_corpus import (
    PNG_DATA_URL,
    THINKING,
    corpus,
    custom_call,
    function_call,
    stored,
    strict_adapter,
    validate_strictly,
)

MESSAGES = strict_adapter(list[MessageParam])
SYSTEM = strict_adapter(list[TextBlockParam])
CACHE = {"type": "ephemeral"}


def shaped(*messages):
    return to_anthropic_messages(stored(*messages))


def round_trip(messages, system=None):
    return to_anthropic_messages(stored(*from_anthropic_messages(messages, system=system)))


def assert_storable(messages):
    for message in messages:
        errors = body_errors(
            role=message["role"],
            content=message["content"],
            refusal=message["refusal"],
            tool_calls=message["tool_calls"],
            max_length=1_000_000,
        )
        assert errors == {}, (message, errors)


# Out -----------------------------------------------------------------------------------------


def test_the_corpus_is_accepted_by_the_sdk_with_no_extra_key():
    result = to_anthropic_messages(corpus())

    assert set(result) == {"system", "messages"}
    assert validate_strictly(SYSTEM, result["system"]) == result["system"]
    assert validate_strictly(MESSAGES, result["messages"]) == result["messages"]


def test_system_and_developer_messages_become_the_system_blocks_in_order():
    result = to_anthropic_messages(corpus())

    assert result["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Use metric units."},
        {"type": "text", "text": "Answer in French."},
    ]
    assert all(message["role"] in ("user", "assistant") for message in result["messages"])


def test_no_instructions_is_an_empty_system_list():
    assert shaped({"role": "user", "content": "Hi"}) == {
        "system": [],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }


def test_user_parts_become_blocks_and_audio_and_uploaded_files_are_left_out():
    (user,) = shaped(
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look"},
                {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "high"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {
                    "type": "file",
                    "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"},
                },
                {"type": "file", "file": {"file_data": "data:text/plain;base64,aGk="}},
                {"type": "file", "file": {"file_id": "file-1"}},
                {"type": "search_result", "source": "s", "title": "t", "content": []},
            ],
        }
    )["messages"]

    assert user["content"] == [
        {"type": "text", "text": "Look"},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        },
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"},
        },
        {"type": "search_result", "source": "s", "title": "t", "content": []},
    ]


def test_data_urls_with_parameters_become_base64_sources():
    (user,) = shaped(
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/PNG;name=a.png;base64,iVBORw0KGgo="}},
                {"type": "file", "file": {"file_data": "data:application/pdf;name=a.pdf;base64,JVBE"}},
            ],
        }
    )["messages"]

    assert user["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
    ]
    validate_strictly(MESSAGES, [user])


def test_assistant_blocks_keep_provider_blocks_in_place_then_tool_use():
    messages = to_anthropic_messages(corpus())["messages"]

    assert messages[2] == {
        "role": "assistant",
        "content": [
            THINKING,
            {"type": "text", "text": "Checking both."},
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Rome"}},
        ],
    }


def test_a_run_of_tool_messages_is_one_user_message_of_results():
    messages = to_anthropic_messages(corpus())["messages"]

    assert messages[3] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
            {
                "type": "tool_result",
                "tool_use_id": "call_2",
                "content": [{"type": "text", "text": "25"}, {"type": "text", "text": "C"}],
            },
        ],
    }


def test_a_user_message_right_after_tool_results_joins_them():
    result = shaped(
        {"role": "assistant", "content": None, "tool_calls": [function_call("call_1")]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "user", "content": "And tomorrow?"},
        {"role": "user", "content": "In Celsius."},
    )

    assert result["messages"][1:] == [
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                {"type": "text", "text": "And tomorrow?"},
            ],
        },
        {"role": "user", "content": [{"type": "text", "text": "In Celsius."}]},
    ]


def test_a_system_message_does_not_break_a_run_of_tool_results():
    result = shaped(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [function_call("c1"), function_call("c2")],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "a"},
        {"role": "system", "content": "Be brief."},
        {"role": "tool", "tool_call_id": "c2", "content": "b"},
    )

    assert [len(message["content"]) for message in result["messages"]] == [2, 2]


def test_tool_use_input_is_the_parsed_arguments_or_empty():
    calls = [
        function_call("c1", arguments='{"city": "Paris", "days": [1, 2]}'),
        function_call("c2", arguments="not JSON"),
        function_call("c3", arguments='["a", "list"]'),
        function_call("c4", arguments='{"x": NaN}'),
        function_call("c5", arguments=""),
        custom_call("c6", tool_input="print(1)"),
    ]
    (assistant,) = shaped({"role": "assistant", "content": None, "tool_calls": calls})["messages"]

    assert [block["input"] for block in assistant["content"]] == [
        {"city": "Paris", "days": [1, 2]},
        {},
        {},
        {},
        {},
        {"input": "print(1)"},
    ]
    validate_strictly(MESSAGES, [assistant])


def test_refusals_become_text_blocks():
    result = shaped(
        {"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
        {"role": "user", "content": "Please?"},
        {"role": "assistant", "content": "Sorry,", "refusal": "still no."},
    )

    assert [message["content"] for message in result["messages"]][::2] == [
        [{"type": "text", "text": "No."}],
        [{"type": "text", "text": "Sorry,"}, {"type": "text", "text": "still no."}],
    ]


def test_empty_text_is_left_out_and_so_is_a_message_left_with_nothing():
    result = shaped(
        {"role": "system", "content": ""},
        {"role": "user", "content": [{"type": "text", "text": ""}, {"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": ""},
        {
            "role": "user",
            "content": [{"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}],
        },
        {"role": "assistant", "content": "", "tool_calls": [function_call("c1")]},
        {"role": "tool", "tool_call_id": "c1", "content": ""},
    )

    assert result == {
        "system": [],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "c1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    }
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1"}]},
        ],
    }


def test_only_the_keys_anthropic_takes_are_carried_onto_blocks():
    result = shaped(
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "Hi",
                    "cache_control": CACHE,
                    "prompt_cache_breakpoint": {"mode": "explicit"},
                },
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/a.png"},
                    "cache_control": CACHE,
                },
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{**function_call("c1"), "cache_control": CACHE, "x-trace": 1}],
        },
    )

    user, assistant = result["messages"]
    assert user["content"][0] == {"type": "text", "text": "Hi", "cache_control": CACHE}
    assert user["content"][1]["cache_control"] == CACHE
    assert assistant["content"][0]["cache_control"] == CACHE
    assert "x-trace" not in assistant["content"][0]
    validate_strictly(MESSAGES, result["messages"])


# In ------------------------------------------------------------------------------------------


def test_one_plain_text_block_is_string_content_and_anything_more_is_parts():
    stored_messages = from_anthropic_messages(
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
            {
                "role": "user",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            },
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "c", "cache_control": CACHE}],
            },
        ]
    )

    assert [message["content"] for message in stored_messages] == [
        "Hi",
        "Hello",
        [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        [{"type": "text", "text": "c", "cache_control": CACHE}],
    ]
    assert all(
        message.keys() == {"role", "content", "tool_calls", "tool_call_id", "name", "refusal"}
        for message in stored_messages
    )


def test_images_become_image_url_parts_and_other_sources_are_kept():
    file_image = {"type": "image", "source": {"type": "file", "file_id": "file_1"}}
    (user,) = from_anthropic_messages(
        [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": "iVBORw0KGgo=",
                        },
                    },
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "https://example.com/a.png"},
                        "cache_control": CACHE,
                    },
                    file_image,
                ],
            }
        ]
    )

    assert user["content"] == [
        {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
        {
            "type": "image_url",
            "image_url": {"url": "https://example.com/a.png"},
            "cache_control": CACHE,
        },
        file_image,
    ]


def test_tool_use_becomes_a_function_call_with_compact_json_arguments():
    (assistant,) = from_anthropic_messages(
        [
            {
                "role": "assistant",
                "content": [
                    THINKING,
                    {"type": "text", "text": "Checking."},
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "get_weather",
                        "input": {"city": "Zürich", "days": 2},
                    },
                    {
                        "type": "tool_use",
                        "id": "toolu_2",
                        "name": "now",
                        "input": {},
                        "cache_control": CACHE,
                    },
                ],
            }
        ]
    )

    assert assistant == {
        "role": "assistant",
        "content": [THINKING, {"type": "text", "text": "Checking."}],
        "tool_calls": [
            {
                "id": "toolu_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Zürich","days":2}'},
            },
            {
                "id": "toolu_2",
                "type": "function",
                "function": {"name": "now", "arguments": "{}"},
                "cache_control": CACHE,
            },
        ],
        "tool_call_id": None,
        "name": None,
        "refusal": None,
    }
    assert_storable([assistant])


def test_each_tool_result_becomes_a_tool_message_and_text_after_them_a_user_message():
    stored_messages = from_anthropic_messages(
        [
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
                    {"type": "tool_use", "id": "t2", "name": "f", "input": {}},
                    {"type": "tool_use", "id": "t3", "name": "f", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "18C"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "t2",
                        "content": [{"type": "text", "text": "25C"}],
                        "is_error": True,
                    },
                    {"type": "tool_result", "tool_use_id": "t3"},
                    {"type": "text", "text": "Thanks"},
                ],
            },
        ]
    )

    assert [(m["role"], m["tool_call_id"], m["content"]) for m in stored_messages[1:]] == [
        ("tool", "t1", "18C"),
        ("tool", "t2", [{"type": "text", "text": "25C"}]),
        ("tool", "t3", ""),
        ("user", None, "Thanks"),
    ]
    assert_storable(stored_messages)


def test_system_becomes_a_system_message_ahead_of_the_others():
    stored_messages = from_anthropic_messages(
        [{"role": "user", "content": "Hi"}, {"role": "system", "content": "Mid-way."}],
        system=[{"type": "text", "text": "Be brief.", "cache_control": CACHE}],
    )

    assert [(m["role"], m["content"]) for m in stored_messages] == [
        ("system", [{"type": "text", "text": "Be brief.", "cache_control": CACHE}]),
        ("user", "Hi"),
        ("system", "Mid-way."),
    ]
    assert from_anthropic_messages([], system="Be brief.") == [
        {
            "role": "system",
            "content": "Be brief.",
            "tool_calls": None,
            "tool_call_id": None,
            "name": None,
            "refusal": None,
        }
    ]
    assert from_anthropic_messages([], system="") == from_anthropic_messages([], system=[]) == []


def test_sdk_block_objects_are_taken_without_the_nulls_the_sdk_fills_in():
    (assistant,) = from_anthropic_messages(
        [
            {
                "role": "assistant",
                "content": [
                    ThinkingBlock(type="thinking", thinking="Hmm.", signature="c2ln"),
                    TextBlock(type="text", text="Hello"),
                    ToolUseBlock(type="tool_use", id="toolu_1", name="f", input={"a": None}),
                ],
            }
        ]
    )

    assert assistant["content"] == [
        {"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"},
        {"type": "text", "text": "Hello"},
    ]
    assert assistant["tool_calls"] == [
        {"id": "toolu_1", "type": "function", "function": {"name": "f", "arguments": '{"a":null}'}}
    ]


@pytest.mark.parametrize(
    ("messages", "system", "path"),
    [
        ("Hi", None, "messages"),
        ({"role": "user", "content": "Hi"}, None, "messages"),
        (["Hi"], None, "messages[0]"),
        ([{"role": "tool", "content": "x"}], None, "messages[0].role"),
        ([{"role": "user", "content": "x", "contnet": "y"}], None, "messages[0]"),
        ([{"role": "user", "content": 3}], None, "messages[0].content"),
        ([{"role": "user", "content": ["x"]}], None, "messages[0].content[0]"),
        ([{"role": "user", "content": [{"text": "x"}]}], None, "messages[0].content[0].type"),
        (
            [{"role": "user", "content": [{"type": "text", "text": None}]}],
            None,
            "messages[0].content[0].text",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}],
                }
            ],
            None,
            "messages[0].content[0].type",
        ),
        (
            [{"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "t"}]}],
            None,
            "messages[0].content[0].type",
        ),
        (
            [
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "", "name": "f", "input": {}}],
                }
            ],
            None,
            "messages[0].content[0].id",
        ),
        (
            [
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "t", "name": "f", "input": "{}"}],
                }
            ],
            None,
            "messages[0].content[0].input",
        ),
        (
            [
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {"x": float("nan")}}],
                }
            ],
            None,
            "messages[0].content[0].input",
        ),
        (
            [{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}],
            None,
            "messages[0].content[0].tool_use_id",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "t",
                            "content": [{"type": "image", "source": {"type": "url", "url": "u"}}],
                        }
                    ],
                }
            ],
            None,
            "messages[0].content[0].content[0].type",
        ),
        ([], 3, "system"),
        ([], [{"type": "image", "source": {}}], "system[0].type"),
    ],
)
def test_malformed_anthropic_messages_are_named_by_their_path(messages, system, path):
    with pytest.raises(ValidationError) as rejection:
        from_anthropic_messages(messages, system=system)

    assert list(rejection.value.errors) == [path]


def test_an_unknown_key_is_quoted_safely():
    with pytest.raises(ValidationError) as rejection:
        from_anthropic_messages([{"role": "user", "content": "x", "bad\ud800": 1}])

    (message,) = rejection.value.errors["messages[0]"]
    assert "\ud800" not in message
    json.dumps(rejection.value.errors, ensure_ascii=False).encode("utf-8")


# Round trip ----------------------------------------------------------------------------------

CONVERSATION = [
    {
        "role": "user",
        "content": [{"type": "text", "text": "Weather in Paris and Rome?", "cache_control": CACHE}],
    },
    {
        "role": "assistant",
        "content": [
            THINKING,
            {"type": "text", "text": "Checking both."},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
            {
                "type": "tool_use",
                "id": "toolu_2",
                "name": "get_weather",
                "input": {"city": "Rome", "units": None},
            },
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
            {
                "type": "tool_result",
                "tool_use_id": "toolu_2",
                "content": [{"type": "text", "text": "25C"}],
            },
            {"type": "text", "text": "And this one?"},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"},
            },
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
        ],
    },
    {
        "role": "assistant",
        "content": [
            {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
            {"type": "text", "text": "A cat.", "citations": None},
            {"type": "text", "text": "Sunny."},
        ],
    },
]


def test_a_conversation_of_these_blocks_comes_back_as_it_was_given():
    system = [{"type": "text", "text": "Be brief."}]

    result = round_trip(CONVERSATION, system=system)

    assert result == {"system": system, "messages": CONVERSATION}
    validate_strictly(MESSAGES, result["messages"])
    assert_storable(from_anthropic_messages(CONVERSATION, system=system))


# Storable text: no NUL, no lone surrogate (the store rejects both).
_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=20)
_json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
_json = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_text_block = st.builds(
    lambda text, cached: {
        "type": "text",
        "text": text,
        **({"cache_control": CACHE} if cached else {}),
    },
    _text,
    st.booleans(),
)
_image_block = st.one_of(
    st.builds(
        lambda media_type, data: {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        },
        st.sampled_from(["image/jpeg", "image/png", "image/gif", "image/webp"]),
        st.from_regex(r"[A-Za-z0-9+/]{4,12}", fullmatch=True),
    ),
    st.builds(
        lambda path: {
            "type": "image",
            "source": {"type": "url", "url": f"https://example.com/{path}.png"},
        },
        st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True),
    ),
)
_document_block = st.just({"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}})
_thinking_block = st.builds(
    lambda thinking, signature: {"type": "thinking", "thinking": thinking, "signature": signature},
    _text,
    _text,
)
_tool_result_content = st.one_of(st.none(), _text, st.lists(_text_block, min_size=1, max_size=2))


@st.composite
def _conversations(draw):
    turns = []
    call_numbers = iter(range(1, 1000))
    open_calls: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        results = []
        for call_id in open_calls:
            content = draw(_tool_result_content)
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": call_id,
                    **({} if content is None else {"content": content}),
                }
            )
        others = draw(st.lists(st.one_of(_text_block, _image_block, _document_block), max_size=3))
        if not results and not others:
            others = [draw(_text_block)]
        turns.append({"role": "user", "content": results + others})

        head = draw(st.lists(_thinking_block, max_size=1)) + draw(st.lists(_text_block, max_size=2))
        open_calls = [f"toolu_{next(call_numbers)}" for _ in range(draw(st.integers(min_value=0, max_value=2)))]
        uses = [
            {
                "type": "tool_use",
                "id": call_id,
                "name": draw(st.from_regex(r"[a-z_]{1,10}", fullmatch=True)),
                "input": draw(st.dictionaries(_text, _json, max_size=3)),
            }
            for call_id in open_calls
        ]
        if not head and not uses:
            head = [draw(_text_block)]
        turns.append({"role": "assistant", "content": head + uses})
    system = draw(st.lists(_text_block, max_size=2))
    return turns, system


@settings(max_examples=100, deadline=None)
@given(_conversations())
def test_any_conversation_of_these_blocks_round_trips(conversation):
    messages, system = conversation

    stored_messages = from_anthropic_messages(messages, system=system)
    result = to_anthropic_messages(stored(*stored_messages))

    assert json.loads(json.dumps(result)) == {"system": system, "messages": messages}
    assert_storable(stored_messages)
    validate_strictly(MESSAGES, result["messages"])
    validate_strictly(SYSTEM, result["system"])
