"""The database stops under load and starts again: 503s with Retry-After meanwhile, then the same server recovers."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support import postgres, routes
from tests.support.load import Appender, Tally, audit, auth, create_conversation, stop_all
from tests.support.processes import wait_until
from tests.support.site import PASSWORD, Gunicorn, migrate, seed_tokens, session_cookies, site_env

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not postgres.available(), reason="needs PostgreSQL's server binaries (PG_BIN)"),
]


def _every_route(base: str, conversation: str) -> list[tuple[str, str, dict | None, bool]]:
    """(method, url, JSON body, send the token) for every API route, and the health check."""
    return [
        *((route.method.upper(), base + route.url(conversation), route.body, True) for route in routes.ROUTES),
        ("POST", f"{base}/api/auth/token/", {"username": "client0", "password": PASSWORD}, False),
        ("GET", f"{base}/healthz", None, False),
    ]


# The schema and the docs page are static (they authenticate nobody): served with or without a database.
STATIC_PAGES = ("/api/schema/", "/api/docs/")


def _answers_while_down(base: str, token: str, conversation: str, cookies) -> dict[str, tuple]:
    answers = {}
    for method, url, body, with_token in _every_route(base, conversation):
        response = requests.request(method, url, json=body, headers=auth(token) if with_token else {}, timeout=15)
        answers[f"{method} {url.removeprefix(base)}"] = _shape(response)
    session_read = requests.get(f"{base}/api/conversations/", cookies=cookies, timeout=15)
    answers["GET /api/conversations/ (session)"] = _shape(session_read)
    return answers


def _static_statuses(base: str, token: str) -> dict[str, int]:
    return {page: requests.get(f"{base}{page}", headers=auth(token), timeout=15).status_code for page in STATIC_PAGES}


def _shape(response: requests.Response) -> tuple:
    try:
        has_detail = bool(response.json().get("detail"))
    except ValueError:
        has_detail = False
    return response.status_code, has_detail, response.headers.get("Retry-After")


def test_database_down_answers_503_with_retry_after_and_the_same_server_recovers(tmp_path):
    with postgres.TemporaryClusters() as clusters:
        cluster = clusters.new("primary").init()
        cluster.start()
        cluster.execute("CREATE DATABASE chathistory")
        env = site_env(cluster.url("chathistory"))
        migrate(env)
        tokens = seed_tokens(env, 3, staff=True)
        tally = Tally()
        with Gunicorn(env, tmp_path, workers=2) as server:
            master = server.process.pid
            cookies = session_cookies(server.url, "client0")
            conversations = {create_conversation(server.url, token): token for token in tokens}
            appenders = [
                Appender(server.url, token, conversation, f"c{index}", tally, retry_sleep=0.2)
                for index, (conversation, token) in enumerate(conversations.items())
            ]
            probe = create_conversation(server.url, tokens[0])
            requests.post(
                f"{server.url}/api/conversations/{probe}/messages/",
                json={"role": "user", "content": "x"},
                headers=auth(tokens[0]),
                timeout=15,
            ).raise_for_status()
            for appender in appenders:
                appender.start()
            time.sleep(2)
            acknowledged_before_stop = len(tally.acknowledged)

            cluster.stop("fast")
            time.sleep(0.5)
            answers = _answers_while_down(server.url, tokens[0], probe, cookies)
            static_while_down = _static_statuses(server.url, tokens[0])
            time.sleep(1)
            cluster.start()

            def api_answers() -> bool:
                response = requests.get(f"{server.url}/api/conversations/", headers=auth(tokens[0]), timeout=15)
                return response.status_code == 200

            recovered_at = time.monotonic()
            wait_until(api_answers, timeout=20, what="the API to answer again")
            recovery_seconds = time.monotonic() - recovered_at
            time.sleep(2)  # the clients append again, on the same server
            stop_all(appenders)
            health = requests.get(f"{server.url}/healthz", timeout=15)
            result = audit(server.url, conversations, tally)
            same_master = server.process.pid == master and server.process.poll() is None
            log = server.log_text()

    print(
        f"\ndatabase down and back: acknowledged {result.acknowledged}, stored {result.stored}, lost {result.lost}, "
        f"duplicated {result.duplicated}, 503s {tally.statuses[503]}, other 5xx "
        f"{tally.server_errors - tally.statuses[503]}, recovered in {recovery_seconds:.1f} s"
    )
    unavailable = {route: answer for route, answer in answers.items() if answer != (503, True, "5")}
    assert unavailable == {}, answers
    assert static_while_down == dict.fromkeys(STATIC_PAGES, 200)
    assert acknowledged_before_stop > 0 and len(tally.acknowledged) > acknowledged_before_stop
    assert tally.unexpected == []
    assert tally.server_errors == tally.statuses[503], tally.statuses  # no 500, 502, 504
    assert (result.lost, result.duplicated, result.partial_batches) == (0, 0, 0)
    assert result.gapless and result.stored == result.acknowledged
    assert health.status_code == 200
    assert same_master
    assert "Traceback" not in log
