"""Cursor pagination on a unique, stable order: one class per resource."""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination

from chathistory.api.filters import MAX_SEQ


class _CheckedCursorPagination(CursorPagination):
    """Refuses a forged cursor whose position is not a value of the ordering field (404, like DRF's own)."""

    page_size_query_param = "page_size"

    def decode_cursor(self, request: Any) -> Cursor | None:
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not self.valid_position(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def valid_position(self, position: str) -> bool:
        raise NotImplementedError


class ConversationPagination(_CheckedCursorPagination):
    """Most recently active first; ``id`` breaks ties so no conversation is skipped or repeated."""

    ordering = ("-updated_at", "-id")
    page_size = 20
    max_page_size = 100

    def valid_position(self, position: str) -> bool:
        try:
            return parse_datetime(position) is not None
        except ValueError:
            return False


class MessagePagination(_CheckedCursorPagination):
    ordering = "seq"
    page_size = 50
    max_page_size = 1000

    def valid_position(self, position: str) -> bool:
        return position.isascii() and position.isdigit() and int(position) <= MAX_SEQ
