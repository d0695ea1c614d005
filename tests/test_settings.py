"""chatsite's settings from the environment: refusing to start without a secret, and the database defaults."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chatsite.settings import BASE_DIR, database_from_env


def run_python(code_or_args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run Python in the repo root with nothing of this process's Django environment."""
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "entry_point",
    [["manage.py", "check"], ["-c", "import chatsite.wsgi"]],
    ids=["manage.py", "wsgi"],
)
def test_entry_points_refuse_to_start_without_a_secret_key_when_debug_is_off(entry_point):
    result = run_python(entry_point)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_runs_without_a_secret_key(tmp_path):
    result = run_python(["manage.py", "check"], DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr


def test_database_url_defaults_to_the_sqlite_file_at_the_repo_root(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = database_from_env()
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert str(config["NAME"]) == str(BASE_DIR / "db.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] == 20
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_database_url_selects_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://someone:secret@db.example:6543/chats")
    config = database_from_env()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == ("chats", "someone", "db.example", 6543)
    assert "transaction_mode" not in config.get("OPTIONS", {})


def test_sqlite_file_database_runs_in_wal_with_a_busy_timeout_and_immediate_transactions(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    print(cursor.execute('PRAGMA journal_mode').fetchone()[0])\n"
        "    print(cursor.execute('PRAGMA busy_timeout').fetchone()[0])\n"
        "print(connection.transaction_mode)\n"
    )
    result = run_python(
        ["-c", code],
        DJANGO_SETTINGS_MODULE="chatsite.settings",
        DJANGO_SECRET_KEY="x",
        DATABASE_URL=f"sqlite:///{tmp_path / 'wal.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"]
