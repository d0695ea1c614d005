import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from chathistory.models import Message
from tests.factories import make_message

INDEX_NAME = "chathistory_msg_content_trgm"


def index_exists():
    with connection.cursor() as cursor:
        return INDEX_NAME in connection.introspection.get_constraints(cursor, Message._meta.db_table)


@pytest.mark.postgres
def test_the_admin_content_search_uses_the_trigram_index(conversation):
    make_message(conversation, content="The invoice INV-2041 is wrong")
    sql, params = Message.objects.filter(content__icontains="inv-2041").order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny tables are cheaper to scan; make the planner show whether the index can serve the filter.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert INDEX_NAME in plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_trigram_migration_is_reversible():
    executor = MigrationExecutor(connection)
    assert index_exists()
    try:
        executor.migrate([("chathistory", "0001_initial")])
        assert not index_exists()
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes("chathistory"))
    assert index_exists()
