"""The rules of content, content parts, refusals and tool calls, each error at the path to fix."""

from __future__ import annotations

import json

import pytest

from chathistory.content import (
    body_errors,
    content_errors,
    parse_data_url,
    presence_errors,
    quote,
    refusal_errors,
    tool_calls_errors,
)
from tests.shapes_corpus import CORPUS_MESSAGES, custom_call, function_call

LIMIT = 1_000_000
NUL = "before\x00after"
LONE_SURROGATE = "before\ud800after"
UNSTORABLE = pytest.mark.parametrize("bad", [NUL, LONE_SURROGATE], ids=["nul", "lone-surrogate"])

TEXT = {"type": "text", "text": "Hello"}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}}
AUDIO = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "mp3"}}
FILE = {"type": "file", "file": {"file_id": "file-1", "filename": "a.pdf"}}
REFUSAL = {"type": "refusal", "refusal": "No."}
THINKING = {"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"}


def errors_of(role, content):
    return content_errors(role, content, max_length=LIMIT)


def test_every_message_of_the_corpus_is_valid():
    for message in CORPUS_MESSAGES:
        assert (
            body_errors(
                role=message["role"],
                content=message.get("content"),
                refusal=message.get("refusal"),
                tool_calls=message.get("tool_calls"),
                max_length=LIMIT,
            )
            == {}
        ), message


@pytest.mark.parametrize("content", ["", "Hello", "e\u0301 \u05e9\u05dc\u05d5\u05dd \U0001f600\r\n"])
def test_any_string_is_content(content):
    assert errors_of("user", content) == {}


@pytest.mark.parametrize("content", [42, True, {"type": "text", "text": "Hi"}])
def test_content_that_is_neither_string_nor_list_is_rejected(content):
    assert list(errors_of("user", content)) == ["content"]


def test_an_empty_list_of_parts_is_rejected():
    assert list(errors_of("user", [])) == ["content"]


@pytest.mark.parametrize(
    ("role", "parts"),
    [
        ("user", [TEXT, IMAGE, AUDIO, FILE]),
        ("assistant", [TEXT, REFUSAL]),
        ("system", [TEXT]),
        ("developer", [TEXT, TEXT]),
        ("tool", [TEXT]),
    ],
)
def test_known_parts_are_accepted_on_the_roles_that_take_them(role, parts):
    assert errors_of(role, parts) == {}


@pytest.mark.parametrize(
    ("role", "part"),
    [
        ("system", IMAGE),
        ("developer", AUDIO),
        ("tool", FILE),
        ("assistant", IMAGE),
        ("assistant", FILE),
        ("user", REFUSAL),
        ("system", REFUSAL),
        ("system", THINKING),
        ("developer", THINKING),
        ("tool", THINKING),
    ],
)
def test_a_part_on_a_role_that_does_not_take_it_is_named_by_its_type(role, part):
    errors = errors_of(role, [TEXT, part])
    assert list(errors) == ["content[1].type"]


@pytest.mark.parametrize("role", ["user", "assistant"])
def test_provider_blocks_are_accepted_on_user_and_assistant(role):
    future = {"type": "hologram", "hologram": {"frames": [1, 2]}, "x": None}
    assert errors_of(role, [THINKING, future]) == {}


def test_other_keys_of_a_known_part_are_accepted():
    part = {
        **TEXT,
        "cache_control": {"type": "ephemeral"},
        "prompt_cache_breakpoint": {"mode": "explicit"},
    }
    assert errors_of("system", [part]) == {}


@pytest.mark.parametrize(
    ("part", "path"),
    [
        ("just text", "content[0]"),
        ({"text": "no type"}, "content[0].type"),
        ({"type": ""}, "content[0].type"),
        ({"type": 3}, "content[0].type"),
        ({"type": "text"}, "content[0].text"),
        ({"type": "text", "text": ["a"]}, "content[0].text"),
        ({"type": "image_url", "image_url": "https://example.com/a.png"}, "content[0].image_url"),
        ({"type": "image_url", "image_url": {"url": ""}}, "content[0].image_url.url"),
        ({"type": "image_url", "image_url": {}}, "content[0].image_url.url"),
        (
            {"type": "image_url", "image_url": {"url": "u", "detail": "ultra"}},
            "content[0].image_url.detail",
        ),
        (
            {"type": "image_url", "image_url": {"url": "u", "detail": None}},
            "content[0].image_url.detail",
        ),
        (
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "ogg"}},
            "content[0].input_audio.format",
        ),
        (
            {"type": "input_audio", "input_audio": {"data": "not base64!", "format": "wav"}},
            "content[0].input_audio.data",
        ),
        (
            {
                "type": "input_audio",
                "input_audio": {"data": "data:audio/wav;base64,UklG", "format": "wav"},
            },
            "content[0].input_audio.data",
        ),
        (
            {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}},
            "content[0].input_audio.data",
        ),
        ({"type": "input_audio", "input_audio": None}, "content[0].input_audio"),
        ({"type": "file", "file": {"filename": "a.pdf"}}, "content[0].file"),
        ({"type": "file", "file": {"file_id": 7}}, "content[0].file.file_id"),
        ({"type": "file", "file": {"file_data": ""}}, "content[0].file.file_data"),
        (
            {
                "type": "file",
                "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": None},
            },
            "content[0].file.filename",
        ),
        ({"type": "file"}, "content[0].file"),
    ],
)
def test_a_malformed_part_is_named_by_the_value_to_fix(part, path):
    errors = errors_of("user", [part])
    assert path in errors, errors
    assert all(key.startswith(path) for key in errors), errors


def test_a_malformed_refusal_part_is_named():
    assert list(errors_of("assistant", [{"type": "refusal", "refusal": 1}])) == ["content[0].refusal"]


def test_each_bad_part_of_a_list_is_named_by_its_index():
    errors = errors_of("user", [TEXT, {"type": "image_url", "image_url": {"url": ""}}, TEXT, 5])
    assert list(errors) == ["content[1].image_url.url", "content[3]"]


def test_the_length_of_a_string_counts_characters():
    assert content_errors("user", "é" * 10, max_length=10) == {}
    assert list(content_errors("user", "é" * 11, max_length=10)) == ["content"]


def test_the_length_of_parts_counts_the_characters_of_their_compact_json():
    parts = [{"type": "text", "text": "é€😀"}]
    size = len(json.dumps(parts, separators=(",", ":"), ensure_ascii=False))
    assert size < len(json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode())

    assert content_errors("user", parts, max_length=size) == {}
    errors = content_errors("user", parts, max_length=size - 1)
    assert list(errors) == ["content"]
    assert f"{size:,}" in errors["content"][0]


@UNSTORABLE
@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda bad: bad, "content"),
        (lambda bad: [{"type": "text", "text": bad}], "content[0].text"),
        (lambda bad: [{"type": bad}], "content[0].type"),
        (
            lambda bad: [{"type": "image_url", "image_url": {"url": bad}}],
            "content[0].image_url.url",
        ),
        (
            lambda bad: [{"type": "file", "file": {"file_id": "f", "filename": bad}}],
            "content[0].file.filename",
        ),
        (lambda bad: [{**TEXT, "cache_control": {"note": bad}}], "content[0].cache_control"),
        (lambda bad: [{**IMAGE, "image_url": {"url": "u", "x": [bad]}}], "content[0].image_url.x"),
        (lambda bad: [{"type": "thinking", "thinking": bad}], "content[0].thinking"),
        (lambda bad: [{"type": "thinking", "deep": {bad: 1}}], "content[0].deep"),
        (lambda bad: [{"type": "thinking", bad: 1}], "content[0]"),
    ],
)
def test_nul_and_lone_surrogates_are_rejected_anywhere_in_content(bad, make, path):
    errors = errors_of("user", make(bad))
    assert list(errors) == [path]
    # Whatever was quoted can be rendered: the message encodes as UTF-8.
    json.dumps(errors, ensure_ascii=False).encode("utf-8")


def test_an_unstorable_key_is_quoted_escaped_not_raw():
    errors = errors_of("user", [{"type": "thinking", "bad\ud800key": 1}])
    (message,) = errors["content[0]"]
    assert "\ud800" not in message
    assert '"bad\\ud800key"' in message


def test_a_wrong_choice_is_quoted_safely():
    part = {"type": "image_url", "image_url": {"url": "u", "detail": "x\ud83d"}}
    (message,) = errors_of("user", [part])["content[0].image_url.detail"]
    assert "\ud83d" not in message
    assert '"x\\ud83d"' in message


def test_quote_escapes_lone_surrogates_keeps_other_text_and_cuts_long_values():
    assert quote("é😀") == '"é😀"'
    assert quote('a"b\x00') == '"a\\"b\\u0000"'
    assert quote("\udfff") == '"\\udfff"'
    assert quote("x" * 500) == '"' + "x" * 60 + '…"'


# refusal -----------------------------------------------------------------------------------


def test_a_refusal_is_null_or_a_string_on_assistant():
    assert refusal_errors("assistant", None, max_length=LIMIT) == {}
    assert refusal_errors("assistant", "I can't help with that.", max_length=LIMIT) == {}
    assert refusal_errors("user", None, max_length=LIMIT) == {}


@pytest.mark.parametrize("role", ["system", "developer", "user", "tool"])
def test_a_refusal_on_another_role_is_rejected(role):
    assert list(refusal_errors(role, "No.", max_length=LIMIT)) == ["refusal"]


@pytest.mark.parametrize("refusal", [1, ["No."], {"refusal": "No."}, NUL, LONE_SURROGATE, "x" * 11])
def test_a_malformed_refusal_is_rejected(refusal):
    assert list(refusal_errors("assistant", refusal, max_length=10)) == ["refusal"]


# which fields a message needs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "refusal", "tool_calls"),
    [
        ("", None, None),
        (None, "No.", None),
        (None, None, [function_call("c")]),
        ([THINKING], None, None),
    ],
)
def test_an_assistant_message_needs_content_tool_calls_or_a_refusal(content, refusal, tool_calls):
    assert presence_errors("assistant", content=content, refusal=refusal, tool_calls=tool_calls) == {}


def test_an_assistant_message_with_none_of_them_names_content():
    errors = presence_errors("assistant", content=None, refusal=None, tool_calls=None)
    assert list(errors) == ["content"]


@pytest.mark.parametrize("role", ["system", "developer", "user", "tool"])
def test_other_roles_need_content(role):
    assert list(presence_errors(role, content=None, refusal=None, tool_calls=None)) == ["content"]
    assert presence_errors(role, content="", refusal=None, tool_calls=None) == {}


def test_an_unknown_role_leaves_the_role_rules_to_the_role_check():
    assert body_errors(role="wizard", content=None, refusal=None, tool_calls=None, max_length=LIMIT) == {}


def test_body_errors_gathers_every_field():
    errors = body_errors(
        role="user",
        content=[{"type": "image_url", "image_url": {"url": ""}}],
        refusal="No.",
        tool_calls=[function_call("c")],
        max_length=LIMIT,
    )
    assert set(errors) == {"content[0].image_url.url", "refusal", "tool_calls"}


# tool calls --------------------------------------------------------------------------------


def test_function_and_custom_tool_calls_are_accepted_with_their_other_keys():
    calls = [
        {**function_call("call_1"), "x-trace": {"id": 7}},
        {**custom_call("call_2"), "custom": {**custom_call("call_2")["custom"], "format": "text"}},
        function_call("call_3", arguments="not JSON at all"),
    ]
    assert tool_calls_errors("assistant", calls) == {}


@pytest.mark.parametrize("role", ["system", "developer", "user", "tool"])
def test_tool_calls_on_another_role_are_rejected(role):
    assert list(tool_calls_errors(role, [function_call("c")])) == ["tool_calls"]


@pytest.mark.parametrize("tool_calls", [[], {}, "call", [[]]])
def test_tool_calls_must_be_a_non_empty_list_of_objects(tool_calls):
    errors = tool_calls_errors("assistant", tool_calls)
    assert list(errors) in (["tool_calls"], ["tool_calls[0]"])


@pytest.mark.parametrize(
    ("call", "path"),
    [
        ({**function_call("c"), "id": ""}, "tool_calls[0].id"),
        ({**function_call("c"), "id": 3}, "tool_calls[0].id"),
        ({**function_call("c"), "id": "x" * 256}, "tool_calls[0].id"),
        ({**function_call("c"), "type": "code"}, "tool_calls[0].type"),
        ({"id": "c", "function": {"name": "f", "arguments": "{}"}}, "tool_calls[0].type"),
        ({"id": "c", "type": "function"}, "tool_calls[0].function"),
        (
            {"id": "c", "type": "function", "function": {"name": "", "arguments": "{}"}},
            "tool_calls[0].function.name",
        ),
        (
            {
                "id": "c",
                "type": "function",
                "function": {"name": "f", "arguments": {"city": "Paris"}},
            },
            "tool_calls[0].function.arguments",
        ),
        (
            {"id": "c", "type": "custom", "function": {"name": "f", "arguments": "{}"}},
            "tool_calls[0].custom",
        ),
        ({"id": "c", "type": "custom", "custom": {"name": "f"}}, "tool_calls[0].custom.input"),
        (
            {"id": "c", "type": "custom", "custom": {"name": "f", "input": 42}},
            "tool_calls[0].custom.input",
        ),
        ({"id": "c", "type": "custom", "custom": {"input": "x"}}, "tool_calls[0].custom.name"),
    ],
)
def test_a_malformed_tool_call_is_named_by_the_value_to_fix(call, path):
    assert list(tool_calls_errors("assistant", [call])) == [path]


def test_an_id_of_255_characters_is_accepted():
    assert tool_calls_errors("assistant", [function_call("x" * 255)]) == {}


def test_a_repeated_id_names_the_second_call_and_not_the_id():
    calls = [function_call("call_1"), custom_call("call_1")]
    errors = tool_calls_errors("assistant", calls)
    assert list(errors) == ["tool_calls[1].id"]
    assert "tool_calls[0]" in errors["tool_calls[1].id"][0]


@UNSTORABLE
@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda bad: {**function_call("c"), "id": bad}, "tool_calls[0].id"),
        (lambda bad: function_call("c", name=bad), "tool_calls[0].function.name"),
        (lambda bad: function_call("c", arguments=bad), "tool_calls[0].function.arguments"),
        (lambda bad: custom_call("c", tool_input=bad), "tool_calls[0].custom.input"),
        (lambda bad: {**function_call("c"), "x-trace": [bad]}, "tool_calls[0].x-trace"),
        (
            lambda bad: {**custom_call("c"), "custom": {"name": "f", "input": "", "x": bad}},
            "tool_calls[0].custom.x",
        ),
        (lambda bad: {**function_call("c"), bad: 1}, "tool_calls[0]"),
    ],
)
def test_nul_and_lone_surrogates_are_rejected_anywhere_in_tool_calls(bad, make, path):
    errors = tool_calls_errors("assistant", [make(bad)])
    assert list(errors) == [path]
    json.dumps(errors, ensure_ascii=False).encode("utf-8")


def test_a_wrong_tool_call_type_is_quoted_safely():
    (message,) = tool_calls_errors("assistant", [{**function_call("c"), "type": "\udc00"}])["tool_calls[0].type"]
    assert "\udc00" not in message
    assert "\\udc00" in message


@pytest.mark.parametrize(
    "value, parsed",
    [
        ("data:image/png;base64,iVBORw0KGgo=", ("image/png", "iVBORw0KGgo=")),
        ("data:Image/PNG;name=a%20b.png;base64,AAAA", ("image/png", "AAAA")),
        ("data:application/pdf;base64,", ("application/pdf", "")),
        ("iVBORw0KGgo=", None),
        ("https://example.com/a.png", None),
        ("data:image/png,rawbytes", None),
        ("data:image/png;name;base64,AAAA", None),
        ("data:imag\u00e9/png;base64,AAAA", None),
        (None, None),
        (["data:image/png;base64,AAAA"], None),
    ],
)
def test_a_base64_data_url_gives_its_media_type_and_payload(value, parsed):
    assert parse_data_url(value) == parsed
