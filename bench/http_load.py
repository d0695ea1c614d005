"""chathistory's REST API under gunicorn against a bare Django view doing the same SQL, same server, same run.

Serves ``bench.settings`` (chatsite plus the bare views of ``bench/bare.py``) with the shipped
``gunicorn.conf.py`` on 127.0.0.1, on a throwaway database of ``DATABASE_URL``'s server (SQLite
by default) with durable commits (the server's own connection is asked and printed). Then
appends one message (``POST …/messages/``) and reads ``history/?last=50`` with 1 and with 8
keep-alive clients, bounded in requests and in time, and prints requests per second, median and
99th-percentile latency and errors (any answer but the expected status, or a failed connection).
Each measurement alternates the two systems in slices. With ``--pgbouncer`` (PostgreSQL), both
are served through a PgBouncer of the bench's own in transaction mode, as ``docs/scaling.md``
deploys it. Usage: ``python bench/http_load.py [--seconds 8] [--requests 4000] [--rounds 4] [--pgbouncer]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import harness
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.authtoken.models import Token

from chathistory import services

HOST = "127.0.0.1"
HISTORY_LENGTH = 1_000
CLIENT_COUNTS = (1, 8)
#: Server connections PgBouncer keeps for the server's 2 workers of 4 threads.
PGBOUNCER_POOL = 4


@dataclass
class Fixture:
    token: str
    append_ids: dict[str, str]  # system -> conversation id
    history_id: str


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    elapsed: float = 0.0

    def add(self, other: Outcome) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error
        self.elapsed += other.elapsed

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def prepare() -> Fixture:
    """A user with a token, a conversation to append to per system, and one of HISTORY_LENGTH messages."""
    user = get_user_model().objects.create_user("bench-http")
    token = Token.objects.create(user=user).key
    append_ids = {
        system: str(services.get_or_create_conversation(user, title=system)[0].pk) for system in ("bare", "chathistory")
    }
    history, _ = services.get_or_create_conversation(user, title="history")
    services.add_message(history, role="system", content="You are a helpful assistant.")
    for start in range(1, HISTORY_LENGTH, 500):
        services.add_messages(
            history,
            [
                {"role": ("user", "assistant")[n % 2], "content": f"message {n} " + "lorem ipsum " * 8}
                for n in range(start, min(start + 500, HISTORY_LENGTH))
            ],
        )
    return Fixture(token, append_ids, str(history.pk))


def server_database_url(settings_dict: dict) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    s = settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or HOST}:{s['PORT'] or 5432}/{s['NAME']}"


@contextmanager
def through_pgbouncer(settings_dict: dict) -> Iterator[str]:
    """A PgBouncer in transaction mode in front of the bench database's server; yields its URL of the database."""
    if connection.vendor != "postgresql":
        sys.exit("--pgbouncer needs DATABASE_URL=postgres://…")
    from tests.support.pgbouncer import PgBouncer

    s = settings_dict
    with PgBouncer(
        s["USER"], s["PASSWORD"], host=s["HOST"] or HOST, port=int(s["PORT"] or 5432), pool_size=PGBOUNCER_POOL
    ) as bouncer:
        yield bouncer.url(s["NAME"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def serve(database_url: str, **environment: str) -> Iterator[int]:
    """gunicorn with the shipped config serving bench.settings on a free port; yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": "bench-only-secret-key",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        # Throttling stays in the path (its cache round trips are part of a request) at a rate the bench
        # never reaches; per second, so the request history it keeps is as short as at production's rates.
        "CHATHISTORY_THROTTLE_USER": "1000000/second",
        "CHATHISTORY_LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_WORKERS": os.environ.get("GUNICORN_WORKERS", "2"),
        "GUNICORN_ACCESS_LOG": "",  # no log line per request in the timings, for either system
        "GUNICORN_LOG_LEVEL": "warning",
        **environment,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(harness.ROOT / "gunicorn.conf.py"), "bench.wsgi"],
        env=env,
        cwd=harness.ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = request_once(port, "GET", "/healthz")
                if answer == 200:
                    break
            except OSError:
                pass  # not listening yet
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("gunicorn did not start")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def request_once(port: int, method: str, path: str) -> int:
    client = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        client.request(method, path)
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


def fetch_json(port: int, path: str) -> dict:
    client = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        client.request("GET", path)
        return json.loads(client.getresponse().read())
    finally:
        client.close()


def load(
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    expect: int,
    clients: int,
    max_requests: int,
    max_seconds: float,
    warmup: int = 20,
) -> Outcome:
    """``clients`` threads, each on its own keep-alive connection, until max_requests in all or max_seconds."""
    outcome = Outcome()
    lock = threading.Lock()
    issued = 0
    start_line = threading.Barrier(clients + 1)
    deadline = 0.0

    def client() -> None:
        nonlocal issued
        connection_ = http.client.HTTPConnection(HOST, port, timeout=30)
        for _ in range(warmup // clients + 1):
            connection_.request(method, path, body=body, headers=headers)
            connection_.getresponse().read()
        start_line.wait()
        while True:
            with lock:
                if issued >= max_requests or time.perf_counter() > deadline:
                    break
                issued += 1
            started = time.perf_counter()
            try:
                connection_.request(method, path, body=body, headers=headers)
                response = connection_.getresponse()
                response.read()
                ok, problem = response.status == expect, f"status {response.status}"
            except (OSError, http.client.HTTPException) as error:
                ok, problem = False, repr(error)
                connection_.close()
                connection_ = http.client.HTTPConnection(HOST, port, timeout=30)
            finished = time.perf_counter()
            with lock:
                if ok:
                    outcome.latencies.append(finished - started)
                else:
                    outcome.errors += 1
                    outcome.first_error = outcome.first_error or problem
        connection_.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    # Set before the start line: the clients read it as soon as they pass it, racing this thread.
    deadline = time.perf_counter() + max_seconds
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    outcome.elapsed = time.perf_counter() - began
    return outcome


def routes(fixture: Fixture, system: str) -> dict[str, tuple[str, str, bytes | None, int]]:
    prefix = "/bench" if system == "bare" else "/api"
    message = json.dumps({"role": "user", "content": "What is the weather in Paris tomorrow?"}).encode()
    return {
        "append": ("POST", f"{prefix}/conversations/{fixture.append_ids[system]}/messages/", message, 201),
        "history last=50": ("GET", f"{prefix}/conversations/{fixture.history_id}/history/?last=50", None, 200),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="at most this long per measurement")
    parser.add_argument("--requests", type=int, default=4000, help="at most this many requests per measurement")
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices per measurement")
    parser.add_argument("--pgbouncer", action="store_true", help="serve through PgBouncer in transaction mode")
    options = parser.parse_args()

    with harness.throwaway_database("bench_http") as settings_dict, ExitStack() as stack:
        fixture = prepare()
        connection.close()
        database_url, environment, route = server_database_url(settings_dict), {}, ""
        if options.pgbouncer:
            database_url = stack.enter_context(through_pgbouncer(settings_dict))
            environment = {"DATABASE_TRANSACTION_POOLING": "1"}
            route = f" through PgBouncer (transaction mode, {PGBOUNCER_POOL} server connections)"
        with serve(database_url, **environment) as port:
            print(
                f"backend: {connection.vendor}{route}; server: gunicorn -c gunicorn.conf.py, "
                f"{os.environ.get('GUNICORN_WORKERS', '2')} gthread workers; server's connection: "
                f"{json.dumps(fetch_json(port, '/bench/durability'))}"
            )
            print(
                f"each measurement: at most {options.requests} requests or {options.seconds:g} s per system, "
                f"in {options.rounds} alternating slices, each after a warm-up; keep-alive connections"
            )
            print(
                f"  {'operation':<18} {'clients':>7} {'bare req/s':>10} {'chathistory':>11} {'share':>6}  "
                f"{'p50/p99 ms (bare)':>17}  {'p50/p99 ms (ours)':>17}  errors"
            )
            headers = {"Authorization": f"Token {fixture.token}", "Content-Type": "application/json"}
            for operation in ("append", "history last=50"):
                for clients in CLIENT_COUNTS:
                    outcomes = {"bare": Outcome(), "chathistory": Outcome()}
                    # Alternating slices, so a slower spell of the shared disk or CPU hits both alike.
                    for _ in range(options.rounds):
                        for system, outcome in outcomes.items():
                            method, path, body, expect = routes(fixture, system)[operation]
                            outcome.add(
                                load(
                                    port,
                                    method,
                                    path,
                                    body,
                                    headers,
                                    expect,
                                    clients,
                                    options.requests // options.rounds,
                                    options.seconds / options.rounds,
                                )
                            )
                    bare, ours = outcomes["bare"], outcomes["chathistory"]
                    share = ours.per_second / bare.per_second if bare.per_second else float("nan")
                    errors = f"{bare.errors} / {ours.errors}"
                    first = bare.first_error or ours.first_error
                    print(
                        f"  {operation:<18} {clients:>7} {bare.per_second:>10.0f} {ours.per_second:>11.0f} "
                        f"{share:>5.0%}  {bare.percentile_ms(0.5):>8.2f}/{bare.percentile_ms(0.99):<8.2f} "
                        f"{ours.percentile_ms(0.5):>8.2f}/{ours.percentile_ms(0.99):<8.2f}  {errors}"
                        + (f" ({first})" if first else "")
                    )


if __name__ == "__main__":
    main()
