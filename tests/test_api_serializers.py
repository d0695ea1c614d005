"""The output serializers' hand-built dicts are exactly what DRF's own field walk gives."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from rest_framework import serializers

from chathistory.api.serializers import ConversationSerializer, MessageSerializer
from chathistory.models import Conversation, Message
from tests.factories import make_conversation, make_message, tool_call


class GenericConversationSerializer(ConversationSerializer):
    to_representation = serializers.ModelSerializer.to_representation


class GenericMessageSerializer(MessageSerializer):
    to_representation = serializers.ModelSerializer.to_representation


def as_json(data) -> str:
    return json.dumps(data, sort_keys=False)


def stored_messages(conversation):
    make_message(conversation, role="system", content="", name="setup")
    make_message(
        conversation,
        role="assistant",
        content=None,
        tool_calls=[tool_call("c1")],
        metadata={"model": "gpt-4o", "n": [1, 1.0, None, True]},
    )
    make_message(conversation, role="tool", tool_call_id="c1", content='{"temp_c": 18}')
    return list(Message.objects.in_conversation(conversation))


def test_message_serializer_matches_drf_field_for_field(conversation):
    messages = stored_messages(conversation)
    assert as_json(MessageSerializer(messages, many=True).data) == as_json(
        GenericMessageSerializer(messages, many=True).data
    )


def test_conversation_serializer_matches_drf_field_for_field(user):
    make_conversation(user=user, title="Weather 🙂", metadata={"a": {"b": [1.5]}})
    conversations = list(Conversation.objects.for_user(user))
    assert as_json(ConversationSerializer(conversations, many=True).data) == as_json(
        GenericConversationSerializer(conversations, many=True).data
    )
    assert ConversationSerializer(conversations[0]).data["created_at"].endswith("Z")


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
def test_datetimes_follow_the_current_time_zone_as_drf_does(conversation, zone):
    messages = stored_messages(conversation)
    with override_settings(TIME_ZONE=zone):
        fast = MessageSerializer(messages, many=True).data
        generic = GenericMessageSerializer(messages, many=True).data
    assert as_json(fast) == as_json(generic)
    assert not fast[0]["created_at"].endswith("Z")


@override_settings(REST_FRAMEWORK={"DATETIME_FORMAT": "%Y-%m-%d"})
def test_datetimes_are_iso_8601_whatever_drfs_datetime_format(conversation):
    messages = stored_messages(conversation)
    fast = MessageSerializer(messages[0]).data["created_at"]
    assert fast == GenericMessageSerializer(messages[0]).data["created_at"]
    assert fast == messages[0].created_at.isoformat().replace("+00:00", "Z")
