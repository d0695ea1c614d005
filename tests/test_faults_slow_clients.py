"""Clients that upload 10 MB bodies slowly hold a thread each, never the whole server."""

from __future__ import annotations

import socket
import statistics
import threading
import time

import pytest
import requests

from tests.support.databases import served_database_url  # noqa: F401  (fixture)
from tests.support.load import auth, create_conversation
from tests.support.site import Gunicorn, seed_tokens, site_env

pytestmark = pytest.mark.faults

SLOW_CLIENTS = 4
BODY_BYTES = 10 * 1024 * 1024
UPLOAD_SECONDS = 8
CHUNK = 64 * 1024


def _upload_slowly(port: int, path: str, token: str, sent: list[int]) -> None:
    """A JSON body of BODY_BYTES sent over UPLOAD_SECONDS, as a client on a poor link would."""
    body = b'{"role": "user", "content": "' + b"x" * (BODY_BYTES - 32) + b'"}'
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    pause = UPLOAD_SECONDS / (len(body) / CHUNK)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        for start in range(0, len(body), CHUNK):
            sock.sendall(body[start : start + CHUNK])
            sent[0] += CHUNK
            time.sleep(pause)
        sock.recv(1024)


def test_slow_uploads_do_not_stall_other_users_appends(served_database_url, tmp_path):
    env = site_env(served_database_url)
    slow_token, fast_token = seed_tokens(env, 2)
    latencies: list[float] = []
    statuses: list[int] = []
    # The shipped config with threads to spare: each slow upload holds one, and all four may land on one worker.
    with Gunicorn(env, tmp_path, workers=2, threads=2 * SLOW_CLIENTS) as server:
        slow_path = f"/api/conversations/{create_conversation(server.url, slow_token)}/messages/"
        fast_url = f"{server.url}/api/conversations/{create_conversation(server.url, fast_token)}/messages/"
        sent = [0]
        uploads = [
            threading.Thread(target=_upload_slowly, args=(server.port, slow_path, slow_token, sent), daemon=True)
            for _ in range(SLOW_CLIENTS)
        ]
        for upload in uploads:
            upload.start()
        time.sleep(1)  # every slow upload is holding its connection now
        session = requests.Session()
        deadline = time.monotonic() + UPLOAD_SECONDS - 2
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = session.post(
                fast_url, json={"role": "user", "content": "hi"}, headers=auth(fast_token), timeout=10
            )
            latencies.append(time.monotonic() - started)
            statuses.append(response.status_code)
        uploads_busy = sum(upload.is_alive() for upload in uploads)
        for upload in uploads:
            upload.join(UPLOAD_SECONDS + 20)

    p99 = statistics.quantiles(latencies, n=100)[98]
    print(
        f"\nslow clients: {len(latencies)} appends meanwhile, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, {sent[0] // 2**20} MiB uploaded slowly"
    )
    assert uploads_busy == SLOW_CLIENTS  # the slow uploads were still going while the others appended
    assert set(statuses) == {201}
    assert len(latencies) >= 20
    assert p99 < 1.0
