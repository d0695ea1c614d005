"""Small helpers that make test data; each takes overrides for any field."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from chathistory import services
from chathistory.models import Conversation, Message

_numbers = itertools.count(1)
#: Every test user's password.
PASSWORD = "correct horse battery staple"


def make_user(**overrides: Any):
    """A user of whatever ``AUTH_USER_MODEL`` is (the host-project suite signs in by email)."""
    number = next(_numbers)
    username_field = get_user_model().USERNAME_FIELD
    overrides.setdefault(username_field, f"user{number}@example.com" if username_field == "email" else f"user{number}")
    overrides.setdefault("password", PASSWORD)
    return get_user_model().objects.create_user(**overrides)


def make_conversation(**overrides: Any) -> Conversation:
    if "user" not in overrides:
        overrides["user"] = make_user()
    user = overrides.pop("user")
    conversation, _ = services.get_or_create_conversation(user, overrides.pop("id", None), **overrides)
    return conversation


def make_message(conversation: Conversation | None = None, **overrides: Any) -> Message:
    overrides.setdefault("role", "user")
    overrides.setdefault("content", "Hello!")
    return services.add_message(conversation or make_conversation(), **overrides)


def tool_call(call_id: str = "call_1", name: str = "get_weather", arguments: str = '{"city": "Paris"}') -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
