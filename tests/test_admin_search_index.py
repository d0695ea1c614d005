"""The admin's message search and the indexes it may use.

The search goes through the full-text index (0006); the trigram index that 0003 made for a
substring search is dropped by 0008 on PostgreSQL, and comes back when the schema goes back.
"""

import pytest
from django.contrib import admin
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory

from chathistory.models import Message
from tests.conftest import CHAT_DATABASE
from tests.factories import make_message

INDEX_NAME = "chathistory_msg_content_trgm"
SEARCH_INDEX = "chathistory_msg_search"
BEFORE_THE_DROP = ("chathistory", "0007_message_refusal_and_content_parts")
SQLITE_SEARCH_TRIGGERS = {
    "chathistory_message_fts_insert",
    "chathistory_message_fts_delete",
    "chathistory_message_fts_update",
}


def index_exists():
    connection = connections[CHAT_DATABASE]
    with connection.cursor() as cursor:
        return INDEX_NAME in connection.introspection.get_constraints(cursor, Message._meta.db_table)


def sqlite_search_triggers():
    with connections[CHAT_DATABASE].cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'chathistory_message'")
        return {name for (name,) in cursor.fetchall()}


def latest(executor):
    return executor.loader.graph.leaf_nodes("chathistory")


@pytest.mark.postgres
def test_the_admin_content_search_uses_the_full_text_index_not_the_trigram_one(admin_user, conversation):
    make_message(conversation, content="The invoice INV-2041 is wrong")
    message_admin = admin.site._registry[Message]
    request = RequestFactory().get("/")
    request.user = admin_user
    found, _ = message_admin.get_search_results(request, Message.objects.order_by(), "inv-2041")
    sql, params = found.query.sql_with_params()
    with transaction.atomic(using=CHAT_DATABASE), connections[CHAT_DATABASE].cursor() as cursor:
        # Tiny tables are cheaper to scan; make the planner show whether an index can serve the filter.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert SEARCH_INDEX in plan
    assert INDEX_NAME not in plan
    assert not index_exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_0008_drops_the_trigram_index_and_going_back_restores_it():
    def migrate(target):
        MigrationExecutor(connections[CHAT_DATABASE]).migrate(target)

    leaf = latest(MigrationExecutor(connections[CHAT_DATABASE]))
    assert not index_exists()
    try:
        migrate([BEFORE_THE_DROP])
        assert index_exists()
        migrate(leaf)
        assert not index_exists()
        # Back before 0003 (through 0008's reverse, which makes it, and 0003's, which drops it) and forward.
        migrate([("chathistory", "0001_initial")])
        assert not index_exists()
        migrate(leaf)
        assert not index_exists()
    finally:
        migrate(leaf)
    assert not index_exists()


@pytest.mark.django_db(transaction=True)
def test_dropping_the_trigram_index_leaves_the_sqlite_search_triggers_in_place():
    if connections[CHAT_DATABASE].vendor != "sqlite":
        pytest.skip("the search triggers are SQLite's")
    executor = MigrationExecutor(connections[CHAT_DATABASE])
    assert sqlite_search_triggers() == SQLITE_SEARCH_TRIGGERS
    try:
        executor.migrate([BEFORE_THE_DROP])
        assert sqlite_search_triggers() == SQLITE_SEARCH_TRIGGERS
        MigrationExecutor(connections[CHAT_DATABASE]).migrate(latest(executor))
        assert sqlite_search_triggers() == SQLITE_SEARCH_TRIGGERS
    finally:
        MigrationExecutor(connections[CHAT_DATABASE]).migrate(latest(executor))
