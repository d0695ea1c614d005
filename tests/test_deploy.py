"""The documented production environment passes ``check --deploy``; the shipped gunicorn config is what the docs say."""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys

import pytest

from chatsite.settings import BASE_DIR, database_from_env

# docs/deploy.md's production environment.
PRODUCTION = {
    "DATABASE_URL": "postgres://chat:secret@db.internal:5432/chat",
    "DJANGO_ALLOWED_HOSTS": "chat.example.com",
    "DJANGO_HTTPS": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
}


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_https():
    environment = {**PRODUCTION, "DJANGO_HTTPS": "0"}
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        **environment,
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT


def test_https_redirects_everything_but_the_health_check():
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_REDIRECT_EXEMPT, settings.SECURE_PROXY_SSL_HEADER)\n"
    )
    result = run_python(["-c", code], DJANGO_SETTINGS_MODULE="chatsite.settings", DJANGO_SECRET_KEY="x", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True ['^healthz$'] ('HTTP_X_FORWARDED_PROTO', 'https')"


def test_database_connections_are_kept_and_health_checked_by_default(monkeypatch):
    for name in ("DATABASE_URL", "DJANGO_CONN_MAX_AGE", "DJANGO_CONN_HEALTH_CHECKS"):
        monkeypatch.delenv(name, raising=False)
    config = database_from_env()
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (600, True)
    assert "synchronous=FULL" in config["OPTIONS"]["init_command"]


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "postgres://u:p@db:5432/chat"], ids=["sqlite", "postgresql"])
def test_connection_lifetime_and_health_checks_come_from_the_environment(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DJANGO_CONN_MAX_AGE", "0")
    monkeypatch.setenv("DJANGO_CONN_HEALTH_CHECKS", "off")
    config = database_from_env()
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (0, False)


def test_a_connection_lifetime_that_is_not_a_number_is_named():
    result = run_python(["manage.py", "check"], DJANGO_SECRET_KEY="x", DJANGO_CONN_MAX_AGE="ten")
    assert result.returncode != 0
    assert "DJANGO_CONN_MAX_AGE" in result.stderr


def load_gunicorn_config(monkeypatch, **env):
    for name in list(os.environ):
        if name.startswith("GUNICORN_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_gunicorn_config_runs_threaded_workers_with_timeouts(monkeypatch):
    config = load_gunicorn_config(monkeypatch)
    assert config["worker_class"] == "gthread"
    assert config["workers"] == 2 * (os.cpu_count() or 1)
    assert config["threads"] >= 2
    assert config["timeout"] > 0 and config["graceful_timeout"] > 0 and config["keepalive"] > 0
    assert config["accesslog"] == "-"  # stdout


def test_gunicorn_config_reads_the_environment(monkeypatch):
    config = load_gunicorn_config(
        monkeypatch, GUNICORN_WORKERS="3", GUNICORN_THREADS="16", GUNICORN_BIND="0.0.0.0:9000"
    )
    assert (config["workers"], config["threads"], config["bind"]) == (3, 16, "0.0.0.0:9000")


def test_gunicorn_access_log_leaves_out_query_strings_and_referrers(monkeypatch):
    log_format = load_gunicorn_config(monkeypatch)["access_log_format"]
    assert "%(U)s" in log_format  # the path alone
    for with_query in ("%(r)s", "%(q)s", "%(f)s"):  # request line, query string, referrer
        assert with_query not in log_format


def test_gunicorn_accepts_the_shipped_config():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py", "chatsite.wsgi"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_SECRET_KEY": "x", "DJANGO_DEBUG": "0"},
    )
    assert result.returncode == 0, result.stderr + result.stdout
