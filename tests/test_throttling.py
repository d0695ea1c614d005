"""The API's throttles count a window per client with the cache's atomic incr."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.http import HttpResponse

from chathistory.api.throttling import UserThrottle
from chathistory.middleware import ReplicaPinMiddleware
from chathistory.routers import current_pin


def a_request(user_id: int = 7) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=user_id), META={"REMOTE_ADDR": "10.0.0.1"})


@pytest.fixture
def rate(settings):
    def set_rate(value: str) -> None:
        settings.CHATHISTORY = {**settings.CHATHISTORY, "THROTTLE_RATES": {"user": value, "anon": None}}

    return set_rate


def test_a_window_allows_the_rate_then_refuses_until_it_closes(rate):
    rate("3/second")
    request = a_request()

    allowed = [UserThrottle().allow_request(request, None) for _ in range(4)]
    refused = UserThrottle()
    refused.allow_request(request, None)
    wait = refused.wait()
    time.sleep(1.05)

    assert allowed == [True, True, True, False]
    assert wait is not None and 0 < wait <= 1
    assert UserThrottle().allow_request(request, None) is True


def test_clients_are_counted_apart(rate):
    rate("1/minute")

    assert [UserThrottle().allow_request(a_request(user), None) for user in (1, 2, 1)] == [True, True, False]


def test_concurrent_requests_never_pass_more_than_the_rate(rate):
    """A read-then-write count (DRF's list of request times) lets racing requests through; incr does not."""
    rate("100/minute")
    request = a_request()
    allowed = []
    start = threading.Barrier(8)

    def client() -> None:
        start.wait()
        allowed.extend(UserThrottle().allow_request(request, None) for _ in range(40))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert allowed.count(True) == 100
    assert len(allowed) == 320


def test_a_count_that_incr_made_anew_gets_an_expiry(rate, monkeypatch):
    """Django's Redis incr is EXISTS then INCR: a window that closes in between comes back as a new key."""
    rate("5/minute")
    throttle = UserThrottle()
    touched = []
    monkeypatch.setattr(cache, "incr", lambda key, delta=1: 1)
    monkeypatch.setattr(cache, "touch", lambda key, timeout=None: touched.append((key, timeout)))

    assert throttle.allow_request(a_request(), None) is True
    assert touched == [(throttle.key, 60)]


DOWN_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


def test_while_the_cache_is_down_requests_pass_with_a_warning(api, settings, caplog):
    settings.CACHES = DOWN_REDIS

    with caplog.at_level("WARNING", logger="chathistory"):
        response = api.get("/api/conversations/")

    assert response.status_code == 200
    assert "throttle not counted, the cache failed" in caplog.text


def test_while_the_cache_is_down_every_read_is_pinned_to_the_primary(settings, rf, caplog):
    settings.CACHES = DOWN_REDIS
    settings.CHATHISTORY = {**settings.CHATHISTORY, "READ_REPLICAS": ["replica"]}
    seen = []

    def view(request):
        seen.append(current_pin().active)
        return HttpResponse()

    with caplog.at_level("WARNING", logger="chathistory"):
        ReplicaPinMiddleware(view)(rf.get("/api/conversations/", HTTP_AUTHORIZATION="Token abc"))

    assert seen == [True]
    assert "read-your-writes pin not read" in caplog.text
