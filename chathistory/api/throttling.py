"""The API's throttles: scopes and rates of its own, under ``CHATHISTORY["THROTTLE_RATES"]``.

DRF's throttles read ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` once, when they are imported;
these read the app's settings on every request and count apart from the project's own throttles.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from chathistory.conf import app_settings

_CACHE_FORMAT = "chathistory_throttle_%(scope)s_%(ident)s"
logger = logging.getLogger("chathistory")


class CountedWindow(SimpleRateThrottle):
    """A rate as a count per window, kept with the cache's atomic ``incr``: O(1) per request.

    DRF's ``SimpleRateThrottle`` keeps a client's request times as a list, read and written whole
    on every request: at 1,200 a minute a value of a thousand floats through the cache twice per
    request, and two workers that read it at once each write back their own, so the limit leaks.
    Here a client's window opens at its first request and lasts the rate's period; its count is
    one integer that ``incr`` raises atomically (in Redis and in the local-memory cache alike),
    so the limit holds however many workers share the cache. While the cache is down (Redis
    unreachable) requests are let through, with a warning, rather than all failing.
    """

    # Set by DRF's __init__ from the rate.
    num_requests: int
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            count = self._count()
        except Exception as error:  # cache backends share no exception class (redis, pymemcache, …)
            logger.warning("throttle not counted, the cache failed: %r", error)
            return True
        if count > self.num_requests:
            return self.throttle_failure()
        return True

    def _count(self) -> int:
        """This request's number in the client's window."""
        try:
            count = int(self.cache.incr(self.key))
        except ValueError:  # no open window: this request opens one
            return self._open()
        if count == 1:
            # The window closed between the EXISTS and the INCR of Django's Redis incr, and the
            # INCR made the key anew, with no expiry: give it one.
            self.cache.touch(self.key, self.duration)
        return count

    def _open(self) -> int:
        opened = self.timer()
        if self.cache.add(self.key, 1, self.duration):
            self.cache.set(f"{self.key}_opened", opened, self.duration)
            return 1
        try:  # another worker opened it just now
            return int(self.cache.incr(self.key))
        except ValueError:
            return 1

    def wait(self) -> float | None:
        """Seconds until the window closes (``Retry-After``); the whole period if that is not known."""
        try:
            opened = self.cache.get(f"{self.key}_opened")
        except Exception:  # the cache failed since it counted this request: see allow_request
            opened = None
        if opened is None:
            return float(self.duration)
        return max(0.0, float(opened) + self.duration - self.timer())


class AnonThrottle(CountedWindow, AnonRateThrottle):
    """Requests without credentials, per client address: the token route, the schema and the docs."""

    scope = "anon"
    cache_format = _CACHE_FORMAT

    def get_rate(self) -> str | None:
        return app_settings.THROTTLE_RATES.get(self.scope)


class UserThrottle(CountedWindow, UserRateThrottle):
    """Requests per authenticated user (per address for anonymous ones)."""

    scope = "user"
    cache_format = _CACHE_FORMAT

    def get_rate(self) -> str | None:
        return app_settings.THROTTLE_RATES.get(self.scope)


def rate_problem(rate: object) -> str | None:
    """Why ``rate`` is not a rate DRF's throttles read (``"60/minute"``, or ``None`` for no limit)."""
    if rate is None:
        return None
    if not isinstance(rate, str):
        return "must be a string such as '60/minute', or None"
    try:
        AnonThrottle.parse_rate(AnonThrottle.__new__(AnonThrottle), rate)
    except (ValueError, KeyError, IndexError):
        return "must read '<requests>/<period>' with a period of second, minute, hour or day"
    return None
