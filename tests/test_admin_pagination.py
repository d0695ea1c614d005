import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from chathistory import services
from chathistory.admin import pagination
from chathistory.admin.pagination import EstimatedCountPaginator
from chathistory.models import Message
from tests.conftest import CHAT_DATABASE


def fill(conversation, count):
    services.add_messages(conversation, [{"role": "user", "content": f"m{n}"} for n in range(count)])


def test_small_tables_are_counted_exactly(conversation):
    fill(conversation, 5)
    assert EstimatedCountPaginator(Message.objects.order_by("pk"), 2).count == 5


@pytest.mark.postgres
def test_an_unfiltered_big_table_uses_the_planners_estimate(conversation, monkeypatch):
    monkeypatch.setattr(pagination, "ESTIMATE_FROM_ROWS", 3)
    fill(conversation, 3)
    with connections[CHAT_DATABASE].cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")
    fill(conversation, 2)

    assert EstimatedCountPaginator(Message.objects.order_by("pk"), 2).count == 3
    assert EstimatedCountPaginator(Message.objects.filter(content__startswith="m").order_by("pk"), 2).count == 5


@pytest.mark.postgres
def test_a_search_too_slow_to_count_shows_the_planners_estimate(conversation, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_TIME_LIMIT_MS", 1)
    fill(conversation, 3)
    slow = Message.objects.filter(content__startswith="m").extra(where=["pg_sleep(0.01) IS NOT NULL"]).order_by("pk")
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as queries:
        estimate = EstimatedCountPaginator(slow, 2).count
    assert isinstance(estimate, int) and estimate >= 1
    assert queries.captured_queries[-1]["sql"].startswith("EXPLAIN")
    # The time limit ended with the count: later statements run unhurried.
    with connections[CHAT_DATABASE].cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.01)")
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
