"""JSON as written to the database, so that every number comes back as it was given."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any


def _is_large_float(value: Any) -> bool:
    # repr() switches to an exponent from 1e16 on: "1e+16".
    return isinstance(value, float) and "e+" in repr(value)


def _has_large_float(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if _is_large_float(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


class ExactNumberJSONEncoder(json.JSONEncoder):
    """Writes floats of 1e16 and over positionally with a fraction: ``1e+23`` as ``100000000000000000000000.0``.

    PostgreSQL's jsonb keeps numbers as ``numeric``, which prints ``1e+23`` back without a fraction, so the
    float would return as an int (and, for most such floats, an unequal one). With the fraction it returns
    as the same float. Everything else is written exactly as the standard encoder writes it.
    """

    def encode(self, o: Any) -> str:
        if not _has_large_float(o):
            return super().encode(o)
        return "".join(self._chunks(o))

    def _chunks(self, value: Any) -> Iterator[str]:
        if _is_large_float(value):
            yield f"{Decimal(repr(value)):f}.0"
        elif isinstance(value, dict):
            yield "{"
            for index, (key, item) in enumerate(value.items()):
                if index:
                    yield self.item_separator
                yield super().encode(key)
                yield self.key_separator
                yield from self._chunks(item)
            yield "}"
        elif isinstance(value, (list, tuple)):
            yield "["
            for index, item in enumerate(value):
                if index:
                    yield self.item_separator
                yield from self._chunks(item)
            yield "]"
        else:
            yield super().encode(value)
