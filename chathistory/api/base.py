"""What every view of the app sets for itself, so the project's ``REST_FRAMEWORK`` defaults never apply.

A project may change DRF's defaults for its own API (a camelCase renderer, Basic auth only,
page-number pagination, a global exception handler, a versioning scheme); chathistory's routes
answer exactly as the contract says whatever they are. Only authentication and throttle rates
are the project's to choose, under ``CHATHISTORY``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string
from drf_spectacular.openapi import AutoSchema
from rest_framework.authentication import BaseAuthentication
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.settings import DEFAULTS, APISettings
from rest_framework.views import APIView, exception_handler

from chathistory.api.parsers import BoundedJSONParser
from chathistory.api.throttling import AnonThrottle, UserThrottle
from chathistory.conf import app_settings

#: DRF's own defaults, for what a view reads from ``self.settings`` (the exception handler, the
#: ``?format=`` override, view names) rather than from a class attribute. (Empty user settings
#: would make DRF read ``REST_FRAMEWORK`` after all.)
DRF_DEFAULTS = APISettings(user_settings=dict(DEFAULTS), defaults=DEFAULTS)  # type: ignore[arg-type]


def authentication_classes() -> list[type[BaseAuthentication]]:
    """The classes of ``CHATHISTORY["AUTHENTICATION_CLASSES"]``, read at call time; each path is imported once."""
    return list(_imported(tuple(app_settings.AUTHENTICATION_CLASSES)))


@functools.cache
def _imported(paths: tuple[str, ...]) -> tuple[type[BaseAuthentication], ...]:
    return tuple(import_string(path) for path in paths)


class ChatHistoryAPIView(APIView):
    """DRF's policies of every chathistory view, set explicitly: list it ahead of DRF's view classes."""

    settings = DRF_DEFAULTS
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    parser_classes = [BoundedJSONParser]
    permission_classes = [IsAuthenticated]
    throttle_classes = [AnonThrottle, UserThrottle]
    content_negotiation_class = DefaultContentNegotiation
    metadata_class = SimpleMetadata  # type: ignore[assignment]  # the stubs want an instance; DRF takes the class
    versioning_class = None
    schema = AutoSchema()

    def get_authenticators(self) -> list[BaseAuthentication]:
        return [authentication() for authentication in authentication_classes()]

    def get_exception_handler(self) -> Callable[..., Any]:
        return exception_handler
