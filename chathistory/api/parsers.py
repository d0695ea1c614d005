"""The one body format the API reads: JSON, bounded in size and nesting."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit:,} bytes.")


class BoundedJSONParser(JSONParser):
    """DRF's strict JSON parser that refuses bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    DRF streams the body past Django's own size check, so the limit is applied here, and
    nesting deep enough to exhaust the decoder's recursion is a 400 rather than a crash.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except LookupError:  # a codec that is not a text encoding ("rot13", "zlib")
            raise UnsupportedMediaType(media_type or "", detail="Unsupported charset: send JSON as UTF-8.") from None
        except UnicodeError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")
