"""PostgreSQL clusters of a test's own: ``initdb`` in a temporary folder, on a port of its own.

As root the server must run as the ``postgres`` OS user, so the folder is handed to it. Nothing
here touches the machine's shared cluster: every cluster listens on 127.0.0.1 and its own port,
with its socket in its own folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.support.processes import free_port, wait_until

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"


def available() -> bool:
    return (PG_BIN / "initdb").exists() and (os.geteuid() != 0 or shutil.which("runuser") is not None)


def _run_as_postgres(*args: str, timeout: float = 60) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    result = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


class Cluster:
    """One PostgreSQL server in ``folder``: ``init()`` or ``base_backup_of(primary)``, then ``start()``."""

    def __init__(self, folder: Path, *, port: int | None = None) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port or free_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def init(self) -> Cluster:
        _run_as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\nwal_level = replica\nfsync = off\n"
                "max_connections = 60\nshared_buffers = 32MB\n"
            )
        return self

    def base_backup_of(self, primary: Cluster) -> Cluster:
        """A hot standby streaming from ``primary`` (``pg_basebackup -R``)."""
        _run_as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            SUPERUSER,
            "-D",
            str(self.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nhot_standby = on\n")
        return self

    def start(self) -> None:
        _run_as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "30",
            "start",
        )
        wait_until(self.answers, timeout=30, what=f"PostgreSQL on port {self.port}")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            _run_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def execute(self, sql: str, database: str = "postgres") -> list[tuple]:
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []


class TemporaryClusters:
    """Clusters in one temporary folder, all stopped and removed on exit (also when the test fails)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="chathistory-pg-"))
        self.clusters: list[Cluster] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def new(self, name: str) -> Cluster:
        folder = self.root / name
        folder.mkdir()
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        cluster = Cluster(folder)
        self.clusters.append(cluster)
        return cluster

    def __enter__(self) -> TemporaryClusters:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for cluster in reversed(self.clusters):
            try:
                cluster.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)
