"""Migration 0007's data step: strings stored before it read back exactly as they were.

From 0007 on, stored text that starts with ``[`` is a list of parts and a leading U+001B is an
escape (``chathistory.fields``); a string stored earlier that starts with either gets the escape
in front, and going back takes it off again.
"""

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from chathistory.models import Message
from tests.conftest import CHAT_DATABASE
from tests.factories import make_user

BEFORE_PARTS = ("chathistory", "0006_message_search")
# "[1, 2]" is valid JSON: unescaped, it would read back as a list of parts.
STRINGS = ["[1] foo", "\x1bx", "plain", "[1, 2]"]


def migrate(target):
    executor = MigrationExecutor(connections[CHAT_DATABASE])
    executor.migrate(target)
    return executor


def latest():
    return MigrationExecutor(connections[CHAT_DATABASE]).loader.graph.leaf_nodes("chathistory")


def stored_text():
    with connections[CHAT_DATABASE].cursor() as cursor:
        cursor.execute(f"SELECT content FROM {Message._meta.db_table} ORDER BY seq")
        return [content for (content,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_strings_stored_before_0007_read_back_unchanged_and_going_back_restores_their_text():
    leaf = latest()
    user = make_user()
    try:
        executor = migrate([BEFORE_PARTS])
        old = executor.loader.project_state([BEFORE_PARTS]).apps
        OldConversation = old.get_model("chathistory", "Conversation")
        OldMessage = old.get_model("chathistory", "Message")
        conversation = OldConversation.objects.using(CHAT_DATABASE).create(user_id=user.pk, message_count=len(STRINGS))
        OldMessage.objects.using(CHAT_DATABASE).bulk_create(
            OldMessage(conversation=conversation, seq=seq, role="user", content=text)
            for seq, text in enumerate(STRINGS, start=1)
        )

        migrate(leaf)
        assert list(Message.objects.order_by("seq").values_list("content", flat=True)) == STRINGS
        assert stored_text() == ["\x1b[1] foo", "\x1b\x1bx", "plain", "\x1b[1, 2]"]

        migrate([BEFORE_PARTS])
        assert stored_text() == STRINGS
    finally:
        migrate(leaf)
