"""The full-text index of messages, on each database's own engine.

PostgreSQL: a GIN index of ``to_tsvector(<SEARCH_CONFIG>, chathistory_message_text(content))``,
an expression index, so the table gains no column and PostgreSQL keeps it in step by itself.
The configuration is read from the setting now and written into the index as a constant;
queries name the same constant (a different one cannot use the index), so after changing
``CHATHISTORY["SEARCH_CONFIG"]`` the index is rebuilt with ``services.rebuild_search_index()``.

SQLite: an FTS5 table whose external content is the message table, kept in step by triggers
(insert, delete, and an update of ``content`` for completeness: messages are append-only, but
conversations are deleted with their messages). A table rebuild of ``chathistory_message`` by a
later migration drops its triggers: such a migration must create them again.

Both index the *searchable text* of a message, the same rule in SQL here and in Python in
``chathistory.services.search.searchable_text``: content that starts with ``[`` and parses as a
non-empty JSON array of objects that each have a string ``type`` is a list of content parts,
and its text is the ``text`` of its ``text`` parts joined by newlines; any other content is
its own text; null is empty. Each engine's part does nothing on the other.
"""

from django.db import migrations

from chathistory.conf import app_settings

TEXT_FUNCTION = "chathistory_message_text"
PG_INDEX = "chathistory_msg_search"
FTS_TABLE = "chathistory_message_fts"
TRIGGERS = ("chathistory_message_fts_insert", "chathistory_message_fts_delete", "chathistory_message_fts_update")

# IMMUTABLE, as an index expression must be: the result depends on the argument alone. The
# EXCEPTION block (a subtransaction) is entered only for content that starts with "[".
PG_TEXT_FUNCTION = rf"""
CREATE OR REPLACE FUNCTION {TEXT_FUNCTION}(content text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    parts jsonb;
BEGIN
    IF content IS NULL THEN
        RETURN '';
    END IF;
    IF left(content, 1) <> '[' THEN
        RETURN content;
    END IF;
    BEGIN
        parts := content::jsonb;
    EXCEPTION WHEN others THEN
        RETURN content;
    END;
    IF jsonb_typeof(parts) <> 'array' OR jsonb_array_length(parts) = 0 OR EXISTS (
        SELECT FROM jsonb_array_elements(parts) AS part
        WHERE jsonb_typeof(part -> 'type') IS DISTINCT FROM 'string'
    ) THEN
        RETURN content;
    END IF;
    RETURN coalesce((
        SELECT string_agg(part ->> 'text', E'\n' ORDER BY position)
        FROM jsonb_array_elements(parts) WITH ORDINALITY AS element(part, position)
        WHERE part ->> 'type' = 'text' AND jsonb_typeof(part -> 'text') = 'string'
    ), '');
END
$$
"""


def sqlite_text(column: str) -> str:
    """The searchable text of ``column`` as an SQLite expression (CASE evaluates its branches in order)."""
    return f"""CASE
        WHEN {column} IS NULL THEN ''
        WHEN substr({column}, 1, 1) <> '[' OR NOT json_valid({column}) THEN {column}
        WHEN json_type({column}) <> 'array' OR json_array_length({column}) = 0 OR EXISTS (
            SELECT 1 FROM json_each({column}) WHERE json_type({column}, fullkey || '.type') IS NOT 'text'
        ) THEN {column}
        ELSE coalesce((
            SELECT group_concat(json_extract({column}, fullkey || '.text'), char(10)) FROM json_each({column})
            WHERE json_extract({column}, fullkey || '.type') = 'text'
            AND json_type({column}, fullkey || '.text') = 'text'
        ), '')
    END"""


def create_search_index(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model("chathistory", "Message")._meta.db_table)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        config = app_settings.SEARCH_CONFIG.replace("'", "''")
        schema_editor.execute(PG_TEXT_FUNCTION)
        schema_editor.execute(
            f"CREATE INDEX {PG_INDEX} ON {table} "
            f"USING gin (to_tsvector('{config}'::regconfig, {TEXT_FUNCTION}(content)))"
        )
    elif vendor == "sqlite":
        insert, delete, update = TRIGGERS
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(content, content={table}, content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        schema_editor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, content) SELECT id, {sqlite_text('content')} FROM {table}"
        )
        add_new = f"INSERT INTO {FTS_TABLE}(rowid, content) VALUES (new.id, {sqlite_text('new.content')});"
        remove_old = (
            f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, content) "
            f"VALUES ('delete', old.id, {sqlite_text('old.content')});"
        )
        schema_editor.execute(f"CREATE TRIGGER {insert} AFTER INSERT ON {table} BEGIN {add_new} END")
        schema_editor.execute(f"CREATE TRIGGER {delete} AFTER DELETE ON {table} BEGIN {remove_old} END")
        schema_editor.execute(
            f"CREATE TRIGGER {update} AFTER UPDATE OF content ON {table} BEGIN {remove_old} {add_new} END"
        )


def drop_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {TEXT_FUNCTION}(text)")
    elif vendor == "sqlite":
        for trigger in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("chathistory", "0005_message_unordered_key_without_batch")]

    operations = [migrations.RunPython(create_search_index, drop_search_index)]
