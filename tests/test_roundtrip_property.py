"""Property: any storable text, content parts and JSON metadata come back equal; any unstorable text stores nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chathistory import services
from chathistory.conf import app_settings
from chathistory.exceptions import ValidationError
from chathistory.fields import ESCAPE
from chathistory.models import Conversation, Message
from chathistory.validation import compact_json_size
from tests.factories import make_conversation

STORABLE_CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
TEXT = st.text(STORABLE_CHARACTERS, max_size=200)
NAME = st.text(STORABLE_CHARACTERS, min_size=1, max_size=64)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)
METADATA = st.dictionaries(TEXT, JSON_VALUES, max_size=5)
ROLES = st.sampled_from(["system", "developer", "user", "assistant"])
# Strings that begin the way stored parts or the escape do must still come back as strings.
CONTENT = TEXT | TEXT.map(lambda text: "[" + text) | TEXT.map(lambda text: ESCAPE + text)
TEXT_PART = st.builds(lambda text: {"type": "text", "text": text}, TEXT)
# A provider's own block: any keys, in any order, any JSON values (numbers of every kind).
PROVIDER_BLOCK = st.builds(
    lambda kind, extra: {"type": kind, **extra},
    st.text(STORABLE_CHARACTERS, min_size=1, max_size=20).filter(
        lambda kind: kind not in ("text", "image_url", "input_audio", "file", "refusal")
    ),
    st.dictionaries(TEXT.filter(lambda key: key != "type"), JSON_VALUES, max_size=4),
)
USER_PARTS = st.lists(TEXT_PART | PROVIDER_BLOCK, min_size=1, max_size=5)

# A string with U+0000 or a lone surrogate somewhere in it.
UNSTORABLE = st.tuples(TEXT, st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]), TEXT).map("".join)

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@EXAMPLES
@given(role=ROLES, content=TEXT, name=st.none() | NAME, metadata=METADATA)
def test_any_storable_message_round_trips_equal(user, role, content, name, metadata):
    assume(compact_json_size(metadata) <= app_settings.MAX_METADATA_BYTES)
    conversation = make_conversation(user=user)

    services.add_message(conversation, role=role, content=content, name=name, metadata=metadata)

    (stored,) = services.get_chat_history(Conversation.objects.get(pk=conversation.pk))
    assert (stored.role, stored.content, stored.name, stored.metadata) == (role, content, name, metadata)


@EXAMPLES
@given(role=ROLES, content=CONTENT)
def test_any_storable_string_content_round_trips_as_a_string(user, role, content):
    conversation = make_conversation(user=user)

    services.add_message(conversation, role=role, content=content)

    assert Message.objects.get(conversation=conversation).content == content


@EXAMPLES
@given(role=st.sampled_from(["user", "assistant"]), parts=USER_PARTS)
def test_any_storable_content_parts_round_trip_equal_in_key_order_and_number_type(user, role, parts):
    conversation = make_conversation(user=user)

    services.add_message(conversation, role=role, content=parts)

    stored = Message.objects.get(conversation=conversation).content
    assert stored == parts
    # json.dumps keeps key order and tells 1 from 1.0: equal text means nothing was reordered or retyped.
    assert json.dumps(stored) == json.dumps(parts)


@EXAMPLES
@given(title=st.text(STORABLE_CHARACTERS, max_size=200), metadata=METADATA)
def test_any_storable_conversation_round_trips_equal(user, title, metadata):
    assume(compact_json_size(metadata) <= app_settings.MAX_METADATA_BYTES)
    conversation, _ = services.get_or_create_conversation(user, title=title, metadata=metadata)
    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.title, stored.metadata) == (title, metadata)


@EXAMPLES
@given(bad=UNSTORABLE, field=st.sampled_from(["content", "name", "metadata-key", "metadata-value"]))
def test_any_text_with_nul_or_a_lone_surrogate_is_rejected_and_nothing_stored(user, bad, field):
    conversation = make_conversation(user=user)
    message = {"role": "user", "content": "Hi"}
    if field in ("content", "name"):
        message[field] = bad
    else:
        message["metadata"] = {bad: 1} if field == "metadata-key" else {"k": [bad]}

    with pytest.raises(ValidationError) as rejection:
        services.add_message(conversation, **message)

    assert set(rejection.value.errors) == {field.split("-")[0]}
    assert not Message.objects.filter(conversation=conversation).exists()
    assert Conversation.objects.get(pk=conversation.pk).message_count == 0
