"""Written-out SELECTs for the lookups every API request makes: a token with its user, a conversation.

The ORM spends several times such a lookup's own cost compiling it (``filter(...).get()``), and
their SQL never changes: it is built once per database, model and filter, and kept, with the
converters of its columns. Each row still becomes the instance the ORM would build: every column
through the converters the ORM applies (the backend's, then the field's), then ``Model.from_db``,
with a joined relation cached as ``select_related`` caches it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Field, ForeignKey, Model

M = TypeVar("M", bound=Model)
Converters = list[tuple[int, Any, list[Any]]]


def get_one(model: type[M], *, using: str, related: str | None = None, **equal: Any) -> M | None:
    """The ``model`` instance whose fields equal ``equal`` (a unique key), with ``related`` joined; None if none.

    ``equal`` names fields (``pk=``, ``user=``, not ``user_id=``) with the values a filter would take;
    a value the field cannot take (a malformed UUID) raises the field's ``ValidationError``.
    """
    connection = connections[using]
    sql, keys, fields, joined, converting = _plan(model, related, tuple(equal), using)
    params = [key.get_db_prep_value(value, connection) for key, value in zip(keys, equal.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, column, converters in converting:
        for converter in converters:
            values[position] = converter(values[position], column, connection)
    instance = model.from_db(using, [field.attname for field in fields], values[: len(fields)])
    if joined is not None:
        other = joined.model.from_db(using, [field.attname for field in joined.fields], values[len(fields) :])
        joined.relation.set_cached_value(instance, other)
        if joined.relation.one_to_one:  # select_related caches the reverse side of a one-to-one too
            joined.relation.remote_field.set_cached_value(other, instance)
    return instance


class _Join:
    def __init__(self, relation: ForeignKey[Any, Any]) -> None:
        self.relation = relation
        self.model: type[Model] = relation.related_model  # type: ignore[assignment]
        self.fields = _concrete(self.model)


@functools.cache
def _plan(
    model: type[Model], related: str | None, names: tuple[str, ...], using: str
) -> tuple[str, list[Field[Any, Any]], list[Field[Any, Any]], _Join | None, Converters]:
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    table = quote(meta.db_table)
    fields = _concrete(model)
    columns = [f"{table}.{quote(field.column)}" for field in fields]
    joins = ""
    joined = None
    if related is not None:
        relation = meta.get_field(related)
        assert isinstance(relation, ForeignKey) and relation.related_model is not model
        joined = _Join(relation)
        other = quote(joined.model._meta.db_table)
        columns += [f"{other}.{quote(field.column)}" for field in joined.fields]
        target = quote(relation.target_field.column)
        joins = f" INNER JOIN {other} ON {other}.{target} = {table}.{quote(relation.column)}"
    keys = [_field(model, name) for name in names]
    where = " AND ".join(f"{table}.{quote(key.column)} = %s" for key in keys)
    converting = column_converters([*fields, *(joined.fields if joined else ())], connection)
    return f"SELECT {', '.join(columns)} FROM {table}{joins} WHERE {where}", keys, fields, joined, converting


def column_converters(fields: Sequence[Any], connection: Any) -> Converters:
    """``(position, column, converters)`` of each selected field that has converters, as the ORM finds them.

    Kept per database alias: the backend's converters read only the settings of the alias (its
    time zone), the same for every thread's connection to it; each is called with the connection
    in use.
    """
    found = []
    for position, field in enumerate(fields):
        column = field.get_col(field.model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            found.append((position, column, converters))
    return found


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    assert isinstance(field, Field) and field.concrete
    return field


def _concrete(model: type[Model]) -> list[Field[Any, Any]]:
    return [field for field in model._meta.concrete_fields if isinstance(field, Field)]
