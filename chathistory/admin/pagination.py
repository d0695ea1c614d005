"""A paginator for the admin's changelists that never lets counting a big table hold up a page."""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.db import OperationalError, connections, transaction
from django.db.models import QuerySet
from django.utils.functional import cached_property

#: Below this many rows an exact COUNT(*) is cheap enough; above it an unfiltered list uses the estimate.
ESTIMATE_FROM_ROWS = 100_000
#: How long a filtered list (a search) may spend counting its matches on PostgreSQL.
COUNT_TIME_LIMIT_MS = 200


class EstimatedCountPaginator(Paginator):
    """Counts exactly where that is cheap, and asks PostgreSQL's planner where it is not.

    - Unfiltered, a big table: ``COUNT(*)`` of a million rows reads them all on every page
      view, so ``pg_class.reltuples`` (one catalog row, kept fresh by autovacuum) stands in.
    - Filtered (a search, a role): counted exactly within ``COUNT_TIME_LIMIT_MS``; a count
      that would take longer (a common word over a million messages) is cancelled and the
      planner's estimate of the matching rows is shown instead.

    Other databases always count exactly.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count
        if not queryset.query.where and not queryset.query.distinct:
            estimate = self._table_estimate(queryset)
            if estimate is not None and estimate >= ESTIMATE_FROM_ROWS:
                return estimate
            return super().count
        return self._count_within_time_limit(queryset)

    def _table_estimate(self, queryset: QuerySet[Any]) -> int | None:
        connection = connections[queryset.db]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
        # -1 means never analysed (PostgreSQL 14+): not an estimate.
        return int(row[0]) if row and row[0] >= 0 else None

    def _count_within_time_limit(self, queryset: QuerySet[Any]) -> int:
        try:
            with transaction.atomic(using=queryset.db):
                with connections[queryset.db].cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = %s", [COUNT_TIME_LIMIT_MS])
                count = queryset.count()
                # SET LOCAL would otherwise last until an enclosing transaction ends.
                with connections[queryset.db].cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = DEFAULT")
                return count
        except OperationalError:
            plan = json.loads(queryset.explain(format="json"))
            return int(plan[0]["Plan"]["Plan Rows"])
