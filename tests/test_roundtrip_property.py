"""Property: any storable text and any JSON metadata come back equal; any unstorable text stores nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from chathistory import services
from chathistory.conf import app_settings
from chathistory.exceptions import ValidationError
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
