"""A trigram index for the admin's content search, on PostgreSQL only.

Django's ``icontains`` on PostgreSQL is ``UPPER(content::text) LIKE UPPER('%term%')``: no
B-tree helps a pattern with a leading ``%``, so without this index every search reads the
whole message table. A GIN index of the trigrams of ``UPPER(content)`` serves exactly that
expression. Other databases have no pg_trgm; there this migration does nothing.
pg_trgm is a trusted extension (PostgreSQL 13+), so the database's owner may create it.

A database has pg_trgm once, in one schema, which need not be on the ``search_path`` this
migration runs with (a schema per tenant, or an ``extensions`` schema): the operator class is
named with the schema the extension actually lives in.
"""

from django.db import migrations

INDEX_NAME = "chathistory_msg_content_trgm"


def trigram_schema(connection):
    """The schema that holds pg_trgm (and so ``gin_trgm_ops``) in this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'pg_trgm'"
        )
        return cursor.fetchone()[0]


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("chathistory", "Message")._meta.db_table)
    # Does nothing when the database has pg_trgm already, in whatever schema.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    operator_class = f"{schema_editor.quote_name(trigram_schema(schema_editor.connection))}.gin_trgm_ops"
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON {table} USING gin (UPPER(content) {operator_class})"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other tables of the database may use it.
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("chathistory", "0002_json_numbers_keep_their_type")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
