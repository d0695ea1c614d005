"""A PgBouncer of a test's own, in transaction mode, in front of a PostgreSQL server.

Run the suite through one: ``python -m tests.support.pgbouncer [pytest arguments]`` starts PgBouncer
on a free port in front of ``DATABASE_URL``'s server, runs pytest with ``tests.settings_pgbouncer``,
stops PgBouncer and drops the test database it used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from tests.support.processes import free_port, port_open, stop_group, wait_until

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

_INI = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir = {folder}
auth_type = scram-sha-256
auth_file = {folder}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""


def available() -> bool:
    return Path(PGBOUNCER).exists()


class PgBouncer:
    """``with PgBouncer(user, password) as bouncer:`` listening on ``bouncer.port``, gone afterwards."""

    def __init__(
        self, user: str, password: str, *, host: str = "127.0.0.1", port: int = 5432, pool_size: int = 4
    ) -> None:
        self.user, self.password = user, password
        self.server = (host, port)
        self.pool_size = pool_size
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="chathistory-pgbouncer-"))
        self.process: subprocess.Popen | None = None

    def url(self, database: str) -> str:
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> PgBouncer:
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(
            _INI.format(
                host=self.server[0],
                port=self.server[1],
                listen_port=self.port,
                folder=self.folder,
                pool_size=self.pool_size,
            )
        )
        (self.folder / "userlist.txt").write_text(f'"{self.user}" "{self.password}"\n')
        command = [PGBOUNCER, str(ini)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            for path in (self.folder, *self.folder.iterdir()):
                shutil.chown(path, "postgres", "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            wait_until(lambda: port_open(self.port), timeout=15, what=f"pgbouncer on port {self.port}")
        except TimeoutError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            stop_group(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def _drop(server_url: str, database: str) -> None:
    parts = urlsplit(server_url)
    with psycopg.connect(server_url.replace(parts.path, "/postgres", 1), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main(pytest_args: list[str]) -> int:
    server_url = os.environ["DATABASE_URL"]
    parts = urlsplit(server_url)
    name = parts.path.lstrip("/")
    test_database = f"test_{name}"
    _drop(server_url, test_database)
    with PgBouncer(
        parts.username or "", parts.password or "", host=parts.hostname or "127.0.0.1", port=parts.port or 5432
    ) as bouncer:
        env = {**os.environ, "PGBOUNCER_URL": bouncer.url(name)}
        # --reuse-db: PgBouncer keeps server connections to the test database open, so it is dropped
        # here afterwards, straight on the server, rather than by pytest-django through PgBouncer.
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--ds=tests.settings_pgbouncer", "--reuse-db", *pytest_args], env=env
        )
    _drop(server_url, test_database)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
