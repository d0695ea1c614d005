"""The database a served chatsite of a fault test writes to: the suite's own, or an SQLite file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections

from tests.support.site import migrate, site_env


def url_of(settings_dict: dict) -> str:
    """A PostgreSQL database of Django's settings as a DATABASE_URL (user and password quoted)."""
    user, password = quote(settings_dict["USER"], safe=""), quote(settings_dict["PASSWORD"], safe="")
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def served_database_url(transactional_db: None, tmp_path: Path) -> str:
    """On PostgreSQL the suite's test database (committed data, flushed after the test); else a migrated SQLite file."""
    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        return url_of(settings_dict)
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    migrate(site_env(url))
    return url
