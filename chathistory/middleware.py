"""Two optional middlewares for projects that serve chathistory.

- ``DatabaseUnavailableMiddleware``: a view that fails because the database cannot be reached answers
  503 with ``{"detail": ...}`` and ``Retry-After``, not a 500. chathistory's own API views do this
  themselves; this covers the views around them (the OpenAPI schema and docs, whose authentication
  looks the token up, and the project's own views).
- ``ReplicaPinMiddleware``: with ``CHATHISTORY["READ_REPLICAS"]``, a client that wrote reads from the
  primary on its next requests too, whichever worker or host serves them (the pin lives in the
  default cache: share it, e.g. with Redis, when there is more than one process; while the cache is
  down, every read goes to the primary).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

from chathistory.api.unavailable import RETRY_AFTER_SECONDS, DatabaseUnavailable, database_unreachable
from chathistory.conf import app_settings
from chathistory.routers import pinned_scope

logger = logging.getLogger("chathistory")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unreachable(exception):
            return None
        response = JsonResponse({"detail": str(DatabaseUnavailable.default_detail)}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class ReplicaPinMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not app_settings.READ_REPLICAS:
            return self.get_response(request)
        key = _client_pin_key(request)
        with pinned_scope(pinned=key is not None and _pinned(key)) as pin:
            response = self.get_response(request)
            if key is not None and pin.wrote:
                try:
                    cache.set(key, 1, timeout=app_settings.REPLICA_PIN_SECONDS)
                except Exception as error:  # see _pinned: while the cache is down every read is pinned
                    logger.warning("read-your-writes pin not kept, the cache failed: %r", error)
        return response


def _pinned(key: str) -> bool:
    """Whether the client wrote lately; while the cache is down, yes: the primary is always fresh."""
    try:
        return cache.get(key) is not None
    except Exception as error:  # cache backends share no exception class (redis, pymemcache, …)
        logger.warning("read-your-writes pin not read, the cache failed: %r", error)
        return True


def _client_pin_key(request: HttpRequest) -> str | None:
    """The cache key of the client's pin, from its credentials (known before any query is made)."""
    credential = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not credential:
        return None
    return "chathistory:primary-pin:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
