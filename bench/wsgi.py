"""chatsite's WSGI application, profiled request by request when ``BENCH_PROFILE_DIR`` is set.

Each request is profiled from the moment gunicorn hands it over until its response is closed
(when Django closes or keeps its database connection), so connection set-up and teardown are in
it. The first ``BENCH_PROFILE_SKIP`` requests (default 10) are served unprofiled: they import and
warm what later ones reuse. Each worker writes its accumulated profile to
``<dir>/<pid>-<requests profiled>.prof`` when it exits.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import threading
from collections.abc import Callable, Iterable
from typing import Any

from chatsite.wsgi import application as chatsite_application

PROFILE_DIR = os.environ.get("BENCH_PROFILE_DIR")
PROFILE_SKIP = int(os.environ.get("BENCH_PROFILE_SKIP", "10"))


class ProfiledApplication:
    def __init__(self, application: Callable[..., Iterable[bytes]], directory: str) -> None:
        self.application = application
        self.directory = directory
        self.lock = threading.Lock()
        self.stats: pstats.Stats | None = None
        self.seen = 0
        self.profiled = 0
        atexit.register(self.dump)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.lock:
            self.seen += 1
            if self.seen <= PROFILE_SKIP:
                return self.application(environ, start_response)
        profile = cProfile.Profile()
        profile.enable()
        result = self.application(environ, start_response)
        try:
            body = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
            profile.disable()
        with self.lock:
            self.profiled += 1
            if self.stats is None:
                self.stats = pstats.Stats(profile)
            else:
                self.stats.add(profile)
        return body

    def dump(self) -> None:
        if self.stats is not None:
            self.stats.dump_stats(os.path.join(self.directory, f"{os.getpid()}-{self.profiled}.prof"))


application = ProfiledApplication(chatsite_application, PROFILE_DIR) if PROFILE_DIR else chatsite_application
