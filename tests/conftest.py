from __future__ import annotations

import functools
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections

from chathistory.exceptions import ValidationError
from chathistory.models import Conversation, Message, ToolCall
from tests.factories import make_conversation, make_user

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Under tests.settings_routed, chathistory lives in the "chat" database and default must stay untouched.
ROUTED = "chat" in settings.DATABASES
CHAT_DATABASE = "chat" if ROUTED else "default"


def pytest_collection_modifyitems(config, items):
    skip_postgres = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…")
    skip_routed = pytest.mark.skip(reason="needs the routed settings: --ds=tests.settings_routed")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_postgres)
        if "routed" in item.keywords and not ROUTED:
            item.add_marker(skip_routed)
        if ROUTED:
            # Every test may use both databases; the closest marker is the one pytest-django reads.
            marker = item.get_closest_marker("django_db")
            transaction = bool(marker and (marker.kwargs.get("transaction") or marker.args))
            item.add_marker(pytest.mark.django_db(transaction=transaction, databases="__all__"), append=False)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Each test starts with no throttle counts: SQLite reuses user ids, and a test that replaces
    ``CHATHISTORY`` whole puts the API back on its default rates."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries):
    """Counts the queries on the database that holds chathistory's tables."""
    return functools.partial(django_assert_num_queries, connection=connections[CHAT_DATABASE])


@pytest.fixture
def user(db):
    return make_user()


@pytest.fixture
def other_user(db):
    return make_user()


@pytest.fixture
def conversation(user):
    return make_conversation(user=user, title="Weather in Paris")


def _stored_state() -> tuple:
    """Everything a rejected write could have touched, read back from the database."""
    return (
        list(Conversation.objects.order_by("pk").values_list("pk", "title", "metadata", "message_count", "updated_at")),
        list(Message.objects.order_by("pk").values_list("pk", flat=True)),
        list(ToolCall.objects.order_by("pk").values_list("pk", flat=True)),
    )


@pytest.fixture
def nothing_stored(db):
    """``with nothing_stored() as rejection:`` the block raises ValidationError and the database is unchanged."""

    @contextmanager
    def check():
        before = _stored_state()
        with pytest.raises(ValidationError) as rejection:
            yield rejection
        assert _stored_state() == before

    return check


def api_client_for(user):
    """An API client that sends ``user``'s token, as any HTTP client would."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def api(user):
    return api_client_for(user)


@pytest.fixture
def other_api(other_user):
    return api_client_for(other_user)
