"""Cursor pagination on a unique, stable order: one class per resource.

A cursor is DRF's: base64 of a query string with ``o`` (offset), ``r`` (reverse) and ``p``
(position, the ordering field's value). DRF decodes leniently (characters outside base64 are
dropped, so ``!!!!`` reads as no cursor at all and answers the first page), and checks neither
the position's type nor its range, which the database then trips over. Here a cursor is read
whole: anything the server could not have issued is the 404 "Invalid cursor" that DRF gives.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Any
from urllib import parse

from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination

from chathistory.api.filters import MAX_SEQ
from chathistory.validation import parse_instant

#: Longer than any cursor the server issues (a position, an offset and a flag), by far.
MAX_CURSOR_LENGTH = 1000
_CURSOR_KEYS = frozenset({"o", "r", "p"})


class InvalidCursor(ValueError):
    pass


class _CheckedCursorPagination(CursorPagination):
    """Refuses a cursor that the server did not issue (404, like DRF's own "Invalid cursor")."""

    page_size_query_param = "page_size"

    def decode_cursor(self, request: Any) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        # Empty is absent, as for every filter: a client that sends "cursor=" wants the first page.
        if not encoded:
            return None
        try:
            return self.read_cursor(encoded)
        except InvalidCursor:
            raise NotFound(self.invalid_cursor_message) from None

    def read_cursor(self, encoded: str) -> Cursor:
        tokens = _cursor_tokens(encoded)
        offset = _whole_number(tokens.get("o", "0"))
        reverse = tokens.get("r", "0")
        if reverse not in ("0", "1"):
            raise InvalidCursor("r")
        position = tokens.get("p")
        if position is not None:
            position = self.normalized_position(position)
        # DRF keeps the position as the text it was sent as, whatever the stubs say.
        return Cursor(offset=min(offset, self.offset_cutoff), reverse=reverse == "1", position=position)  # type: ignore[arg-type]

    def normalized_position(self, position: str) -> str:
        """The position as the database should compare it; ``InvalidCursor`` when it cannot exist."""
        raise NotImplementedError


def _cursor_tokens(encoded: str) -> dict[str, str]:
    if len(encoded) > MAX_CURSOR_LENGTH or not encoded.isascii():
        raise InvalidCursor("length")
    try:
        querystring = b64decode(encoded, validate=True).decode("ascii")
        pairs = parse.parse_qsl(querystring, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (binascii.Error, ValueError):
        raise InvalidCursor("encoding") from None
    tokens = dict(pairs)
    if len(tokens) != len(pairs) or not tokens.keys() <= _CURSOR_KEYS:
        raise InvalidCursor("keys")
    return tokens


def _whole_number(text: str, *, maximum: int = MAX_SEQ) -> int:
    # ASCII digits only: int() would also take " 7", "+7", "1_000" and other scripts' digits.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)) or int(text) > maximum:
        raise InvalidCursor(text)
    return int(text)


class ConversationPagination(_CheckedCursorPagination):
    """Most recently active first; ``id`` breaks ties so no conversation is skipped or repeated."""

    ordering = ("-updated_at", "-id")
    page_size = 20
    max_page_size = 100

    def normalized_position(self, position: str) -> str:
        # In UTC, as the server writes it: every database then compares the same instant, and
        # a moment that leaves the years 1 to 9999 once moved to UTC is refused here, not there.
        instant = parse_instant(position)
        if instant is None:
            raise InvalidCursor(position)
        return str(instant)


class MessagePagination(_CheckedCursorPagination):
    ordering = "seq"
    page_size = 50
    max_page_size = 1000

    def normalized_position(self, position: str) -> str:
        return str(_whole_number(position))
