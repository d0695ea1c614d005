"""The written-out lookups of every request build exactly the instances the ORM builds."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from chathistory import selects, services
from chathistory.api.authentication import TokenAuthentication
from chathistory.models import Conversation
from tests.conftest import CHAT_DATABASE
from tests.factories import make_conversation, make_user


def field_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_a_token_and_its_user_come_back_as_select_related_builds_them(db, django_assert_num_queries):
    user = make_user(first_name="Zoë", email="zoe@example.com")
    token = Token.objects.create(user=user)
    expected = Token.objects.select_related("user").get(key=token.key)

    with django_assert_num_queries(1):
        found = selects.get_one(Token, using=CHAT_DATABASE, related="user", key=token.key)
    with django_assert_num_queries(0):
        # The user is cached on the token, and the token on the user (a one-to-one), as select_related does.
        assert field_values(found) == field_values(expected)
        assert field_values(found.user) == field_values(expected.user)
        assert found.user.auth_token is found
    assert found._state.db == found.user._state.db == CHAT_DATABASE
    assert found._state.adding is False
    assert found.user.last_login is None and found.user.date_joined.tzinfo is not None


def test_no_row_is_none(db):
    assert selects.get_one(Token, using=CHAT_DATABASE, related="user", key="0" * 40) is None


def test_a_conversation_is_its_owners_only(db):
    conversation = make_conversation(title="Mine", metadata={"n": 1.0, "big": 10**30})
    stranger = make_user()

    found = services.get_conversation(conversation.user, str(conversation.pk))

    assert field_values(found) == field_values(Conversation.objects.get(pk=conversation.pk))
    assert type(found.metadata["n"]) is float
    for user, conversation_id in [
        (stranger, conversation.pk),
        (conversation.user, uuid.uuid4()),
        (conversation.user, "not-a-uuid"),
        (conversation.user, 42),
    ]:
        with pytest.raises(Conversation.DoesNotExist):
            services.get_conversation(user, conversation_id)


def test_a_conversation_lookup_is_one_query_on_the_routers_database(db):
    owner = make_user()
    conversation = make_conversation(user=owner)
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as queries:
        found = services.get_conversation(owner, conversation.pk)
        assert found.user is owner  # known already: no query for it

    (query,) = queries.captured_queries
    assert "chathistory_conversation" in query["sql"]


@pytest.mark.parametrize("is_active", [True, False])
def test_token_authentication_answers_as_drf_does(db, is_active):
    user = make_user(is_active=is_active)
    token = Token.objects.create(user=user)
    authentication = TokenAuthentication()

    if not is_active:
        with pytest.raises(exceptions.AuthenticationFailed, match=r"User inactive or deleted\."):
            authentication.authenticate_credentials(token.key)
        return
    found_user, found_token = authentication.authenticate_credentials(token.key)
    assert (found_user, found_token) == (user, token)
    assert isinstance(found_user, get_user_model())
    for key in ("0" * 40, "bad\x00key", ""):
        with pytest.raises(exceptions.AuthenticationFailed, match=r"Invalid token\."):
            authentication.authenticate_credentials(key)
