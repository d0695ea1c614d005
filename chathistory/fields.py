"""``Message.content`` in one text column: a string as itself, a list of content parts as its JSON text.

Keeping both forms in the one text column keeps everything that reads text working on it:
excerpts read by the database (``Substr``) and the full-text index (migration 0006). The rule that
tells the two forms apart, with no second column to keep in step:

- a list of parts is stored as its compact JSON (``ensure_ascii=False``), which starts with ``[``;
- a string is stored as itself, unless it starts with ``[`` or with ``ESCAPE`` (U+001B): then it
  is stored with one ``ESCAPE`` in front, which reading takes off again.

So stored text that starts with ``[`` is always a list of parts, and every string comes back exactly
as it was given. JSON as text keeps what jsonb would not: key order, and every number as written.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

ESCAPE = "\x1b"
PARTS_START = "["


def encode_content(value: Any) -> Any:
    """The text stored for ``value``: a list as compact JSON, a string escaped where it needs to be."""
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if isinstance(value, str) and value[:1] in (PARTS_START, ESCAPE):
        return ESCAPE + value
    return value


def decode_content(text: Any) -> Any:
    """The content that ``encode_content`` stored as ``text``.

    Text that starts with ``[`` but is not JSON was not written by ``encode_content`` (a raw SQL
    write): it is returned as the string it is rather than failing the read.
    """
    if not isinstance(text, str) or not text:
        return text
    first = text[0]
    if first == PARTS_START:
        try:
            parts = json.loads(text)
        except ValueError:
            return text
        return parts if isinstance(parts, list) else text
    if first == ESCAPE:
        return text[1:]
    return text


def is_parts_text(text: str | None) -> bool:
    """Whether stored text (or the start of it) holds a list of parts."""
    return bool(text) and text[0] == PARTS_START  # type: ignore[index]


def decode_string_head(text: str) -> str:
    """The start of a stored string, without its escape (for excerpts read with ``Substr``)."""
    return text[1:] if text[:1] == ESCAPE else text


class ContentField(models.TextField):
    """A text column whose value is a string, a list of content parts, or ``None``.

    Lookups (``content__icontains``) compare with the stored text, which for parts is their JSON.
    """

    description = "Text, or a list of content parts stored as JSON text"

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        return decode_content(value)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, (str, list)):
            return value
        return str(value)

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        return super().get_db_prep_save(encode_content(value), connection)

    def value_to_string(self, obj: models.Model) -> Any:
        # Serializers (dumpdata) write the value itself, a list as a JSON list, as JSONField does.
        return self.value_from_object(obj)
