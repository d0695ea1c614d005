"""chatsite as its users meet it: gunicorn on 127.0.0.1 against a database of the test's own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from chatsite.settings import BASE_DIR
from tests.support.processes import children, free_port, port_open, stop_group, wait_until

# The shipped config, as a deployment runs it; the environment sets what a test needs of it.
GUNICORN_CONFIG = BASE_DIR / "gunicorn.conf.py"

PASSWORD = "a-long-test-password"
_SEED = """
import json
PASSWORD = "a-long-test-password"
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
users = get_user_model().objects
tokens = []
for number in range({count}):
    user = users.create_user("{prefix}%d" % number, password=PASSWORD, is_staff={staff})
    tokens.append(Token.objects.create(user=user).key)
print(json.dumps(tokens))
"""


def site_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a chatsite process: nothing of this process's Django settings."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "DJANGO_SECRET_KEY": "fault-tests-only-secret-key",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "CHATHISTORY_LOG_LEVEL": "WARNING",
        "CHATHISTORY_THROTTLE_USER": "1000000/minute",
        "CHATHISTORY_THROTTLE_ANON": "1000000/minute",
        **extra,
    }


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def migrate(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput", "-v", "0")


def seed_tokens(env: dict[str, str], count: int, *, prefix: str = "client", staff: bool = False) -> list[str]:
    """``count`` new users ``<prefix>0``, ``<prefix>1``, … (password ``PASSWORD``), each with an API token.

    Returns their tokens.
    """
    code = _SEED.format(count=count, prefix=prefix, staff=staff)
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def session_cookies(base_url: str, username: str) -> requests.cookies.RequestsCookieJar:
    """Log a staff user in through the admin's form: the cookies of a browser session."""
    session = requests.Session()
    session.get(f"{base_url}/admin/login/", timeout=15).raise_for_status()
    response = session.post(
        f"{base_url}/admin/login/?next=/admin/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base_url}/admin/login/"},
        timeout=15,
    )
    response.raise_for_status()
    assert "sessionid" in session.cookies, "the admin login did not start a session"
    return session.cookies


_SERVERS = {
    "gunicorn": lambda app, port: ["gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", "2"],
    "uvicorn": lambda app, port: ["uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
}


@contextmanager
def serve(server: str, app: str, env: dict[str, str], *, timeout: float = 60) -> Iterator[str]:
    """``server`` ("gunicorn" or "uvicorn") serving ``app`` on a free port until the block ends: its base URL.

    In a session of its own, so that stopping it stops its workers too.
    """
    port = free_port()
    argv = [sys.executable, "-m", *_SERVERS[server](app, port), "--log-level", "warning"]
    process = subprocess.Popen(argv, cwd=BASE_DIR, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{server} exited with {process.returncode}")
        try:
            return requests.get(f"{base}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False  # not listening yet, or still starting its workers

    try:
        wait_until(healthy, timeout=timeout, what=f"{server} on port {port}")
        yield base
    finally:
        stop_group(process)


class Gunicorn:
    """``gunicorn chatsite.wsgi`` in a session of its own, so that stopping it stops its workers too."""

    def __init__(
        self, env: dict[str, str], log_dir: Path, *, port: int | None = None, workers: int = 2, threads: int = 4
    ) -> None:
        self.env = {
            **env,
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
            # Stops and restarts within a test's time: a short grace and keep-alive, no access log.
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
            "GUNICORN_KEEPALIVE": "2",
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_LOG_LEVEL": "warning",
        }
        self.port = port or free_port()
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 30) -> None:
        self.starts += 1
        log = open(self.log_dir / f"gunicorn-{self.port}-{self.starts}.log", "wb")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(GUNICORN_CONFIG),
                "--bind",
                f"127.0.0.1:{self.port}",
                "chatsite.wsgi",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until(self.answers, timeout=timeout, what=f"gunicorn on port {self.port}")

    def answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}: see {self.log_dir}")
        if not port_open(self.port):
            return False
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code in (200, 503)
        except requests.RequestException:
            return False

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def kill_worker(self) -> bool:
        workers = self.workers()
        if not workers:
            return False
        try:
            os.kill(workers[0], signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    def kill_master(self) -> None:
        """``kill -9`` the master; its orphaned workers notice and exit, then the group is cleared."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        stop_group(self.process, grace=2)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.log_dir.glob("gunicorn-*.log")))

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
