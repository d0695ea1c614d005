"""Migrations in any PostgreSQL layout: a schema per tenant, pg_trgm in a schema of its own.

0003 makes a trigram index with pg_trgm's operator class named by the schema the extension is in;
0008 drops it and, going back, makes it again the same way: both are run here in each layout.
"""

import os
import subprocess
import sys
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from chatsite.settings import BASE_DIR as ROOT

TENANTS = ["tenant_a", "tenant_b"]


@contextmanager
def scratch_database():
    """A database of this test's own on the same server, dropped afterwards."""
    s = connection.settings_dict
    params = {"host": s["HOST"], "port": s["PORT"], "user": s["USER"], "password": s["PASSWORD"]}
    name = f"{s['NAME']}_layout"
    with psycopg.connect(dbname=s["NAME"], autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(dbname=name, autocommit=True, **params) as scratch:
            yield scratch, f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST']}:{s['PORT']}/{name}"
    finally:
        with psycopg.connect(dbname=s["NAME"], autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TRIGRAM_INDEX = "chathistory_msg_content_trgm"
WITH_THE_TRIGRAM_INDEX = ["chathistory", "0003_message_content_trigram"]
BEFORE_THE_DROP = ["chathistory", "0007_message_refusal_and_content_parts"]


def migrate(url, search_path, target=()):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "DJANGO_SECRET_KEY": "layout-test-key",
        "DATABASE_URL": f"{url}?options={quote(f'-c search_path={search_path}')}",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", *target, "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "extension_schema", ["extensions", None], ids=["pg_trgm-in-a-third-schema", "pg_trgm-created-by-the-first-tenant"]
)
def test_two_schemas_of_one_database_migrate_in_turn(db, extension_schema):
    with scratch_database() as (scratch, url):
        for schema in TENANTS:
            scratch.execute(f"CREATE SCHEMA {schema}")
        if extension_schema:
            scratch.execute(f"CREATE SCHEMA {extension_schema}")
            scratch.execute(f"CREATE EXTENSION pg_trgm SCHEMA {extension_schema}")

        def migrate_every_tenant(target=()):
            for schema in TENANTS:
                result = migrate(url, schema, target)
                assert result.returncode == 0, result.stderr

        def trigram_indexes():
            return scratch.execute(
                "SELECT schemaname, indexdef FROM pg_indexes WHERE indexname = %s ORDER BY schemaname",
                [TRIGRAM_INDEX],
            ).fetchall()

        def assert_each_tenant_has_its_trigram_index():
            rows = trigram_indexes()
            owner = extension_schema or TENANTS[0]
            assert [schema for schema, _ in rows] == TENANTS
            assert all(f"{owner}.gin_trgm_ops" in definition for _, definition in rows)

        migrate_every_tenant(WITH_THE_TRIGRAM_INDEX)
        assert_each_tenant_has_its_trigram_index()

        migrate_every_tenant()
        assert trigram_indexes() == []

        # Going back before 0008 makes the index again, as 0003 did, in each tenant's schema.
        migrate_every_tenant(BEFORE_THE_DROP)
        assert_each_tenant_has_its_trigram_index()

        migrate_every_tenant()
        assert trigram_indexes() == []
