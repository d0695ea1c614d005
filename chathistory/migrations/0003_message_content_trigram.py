"""A trigram index for the admin's content search, on PostgreSQL only.

Django's ``icontains`` on PostgreSQL is ``UPPER(content::text) LIKE UPPER('%term%')``: no
B-tree helps a pattern with a leading ``%``, so without this index every search reads the
whole message table. A GIN index of the trigrams of ``UPPER(content)`` serves exactly that
expression. Other databases have no pg_trgm; there this migration does nothing.
pg_trgm is a trusted extension (PostgreSQL 13+), so the database's owner may create it.
"""

from django.db import migrations

INDEX_NAME = "chathistory_msg_content_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("chathistory", "Message")._meta.db_table)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON {table} USING gin (UPPER(content) gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other tables of the database may use it.
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("chathistory", "0002_json_numbers_keep_their_type")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
