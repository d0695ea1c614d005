"""The API's throttles: scopes and rates of its own, under ``CHATHISTORY["THROTTLE_RATES"]``.

DRF's throttles read ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` once, when they are imported;
these read the app's settings on every request and count apart from the project's own throttles.
"""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from chathistory.conf import app_settings

_CACHE_FORMAT = "chathistory_throttle_%(scope)s_%(ident)s"


class AnonThrottle(AnonRateThrottle):
    """Requests without credentials, per client address: the token route, the schema and the docs."""

    scope = "anon"
    cache_format = _CACHE_FORMAT

    def get_rate(self) -> str | None:
        return app_settings.THROTTLE_RATES.get(self.scope)


class UserThrottle(UserRateThrottle):
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
