"""Where one HTTP append and one history request spend their time, under gunicorn, end to end.

Serves chatsite (``bench.settings``, the shipped ``gunicorn.conf.py``, one worker, one thread) with
every request profiled by cProfile from the moment gunicorn hands it over until its response is
closed (``bench/wsgi.py``), sends N keep-alive requests of one kind, and prints the time per
request spent in each phase (cumulative, so phases nest: the view holds the serializer) and the
functions with the most time of their own. Usage: ``python bench/profile_requests.py [-n 300]``.
"""

from __future__ import annotations

import argparse
import pstats
import tempfile
from pathlib import Path

import harness
import http_load
from django.db import connection

# (label, a function's file suffix, its name): cumulative time per request.
PHASES = [
    ("whole request (WSGI handler)", "django/core/handlers/wsgi.py", "__call__"),
    ("database connect", "django/db/backends/base/base.py", "connect"),
    ("database close (end of request)", "django/db/__init__.py", "close_old_connections"),
    ("middleware + view", "django/core/handlers/base.py", "get_response"),
    ("DRF dispatch (view)", "rest_framework/views.py", "dispatch"),
    ("authentication (token lookup)", "rest_framework/authentication.py", "authenticate"),
    ("throttles (cache)", "rest_framework/views.py", "check_throttles"),
    ("permissions", "rest_framework/views.py", "check_permissions"),
    ("conversation lookup", "chathistory/api/views.py", "get_object"),
    ("parse body", "rest_framework/request.py", "_parse"),
    ("append service", "chathistory/services/appends.py", "_append"),
    ("history service", "chathistory/services/history.py", "get_openai_messages"),
    ("output serializer (.data)", "rest_framework/serializers.py", "data"),
    ("renderer (JSON)", "rest_framework/renderers.py", "render"),
    ("SQL execute", "django/db/backends/utils.py", "_execute"),
]


def phases(stats: pstats.Stats, requests: int) -> list[tuple[str, float]]:
    found = []
    for label, suffix, name in PHASES:
        total = sum(
            cumulative
            for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items()
            if function == name and filename.endswith(suffix)
        )
        found.append((label, total / requests * 1000))
    return found


def top_own_time(stats: pstats.Stats, requests: int, count: int) -> list[tuple[str, float]]:
    ranked = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:count]
    root = str(harness.ROOT)
    shown = []
    for (filename, line, function), (_cc, calls, own, _cum, _callers) in ranked:
        where = filename.split("site-packages/")[-1].replace(root + "/", "")
        shown.append(
            (f"{where}:{line}({function}) x{calls // requests or calls / requests:.3g}", own / requests * 1000)
        )
    return shown


def profile(
    database_url: str, method: str, path: str, body: bytes | None, headers: dict[str, str], expect: int, requests: int
) -> tuple[pstats.Stats, int]:
    """The profile of ``requests`` requests after a warm-up, and how many requests it holds."""
    with tempfile.TemporaryDirectory() as directory:
        environment = {
            "BENCH_PROFILE_DIR": directory,
            "BENCH_PROFILE_SKIP": "10",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "1",
        }
        with http_load.serve(database_url, **environment) as port:
            # The health check and these 9 warm-up requests are the 10 left out of the profile.
            outcome = http_load.load(port, method, path, body, headers, expect, 1, requests, 120.0, warmup=8)
            if outcome.errors:
                raise SystemExit(f"{outcome.errors} errors: {outcome.first_error}")
        (dump,) = Path(directory).glob("*.prof")
        return pstats.Stats(str(dump)), int(dump.stem.split("-")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--system", choices=["chathistory", "bare"], default="chathistory")
    options = parser.parse_args()
    with harness.throwaway_database("bench_profile") as settings_dict:
        fixture = http_load.prepare()
        connection.close()
        database_url = http_load.server_database_url(settings_dict)
        headers = {"Authorization": f"Token {fixture.token}", "Content-Type": "application/json"}
        print(
            f"backend: {connection.vendor}; {options.requests} requests of each kind, one client, "
            "one gunicorn worker with one thread; ms per request"
        )
        for operation, (method, path, body, expect) in http_load.routes(fixture, options.system).items():
            stats, served = profile(database_url, method, path, body, headers, expect, options.requests)
            print(f"\n{options.system}: {operation} ({method} {path.split('?')[0]}), {served} requests profiled")
            for label, ms in phases(stats, served):
                print(f"  {label:<40} {ms:8.3f}")
            print("  most time of their own:")
            for label, ms in top_own_time(stats, served, options.top):
                print(f"    {ms:7.3f}  {label}")


if __name__ == "__main__":
    main()
