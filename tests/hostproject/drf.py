"""The host's own DRF conventions, which must not reach chathistory's routes."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler


def camelize(data: Any) -> Any:
    if isinstance(data, dict):
        return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), str(k)): camelize(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camelize(item) for item in data]
    return data


class CamelCaseJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return super().render(camelize(data), accepted_media_type, renderer_context)


def wrapping_exception_handler(exc: Exception, context: Any) -> Response | None:
    """Every error as ``{"error": {"status", "body"}}``, as some projects shape theirs."""
    response = exception_handler(exc, context)
    if response is not None:
        response.data = {"error": {"status": response.status_code, "body": response.data}}
    return response
