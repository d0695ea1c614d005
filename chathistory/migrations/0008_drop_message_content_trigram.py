"""Drop the trigram index of 0003 on PostgreSQL: nothing reads it any more.

The admin's message search goes through the full-text index (0006), and no query filters
``content`` by substring, yet a GIN index of ``UPPER(content)`` trigrams was kept up on every
append, for content that may now be a whole base64 image. Going back re-creates it exactly as
0003 did, in the schema layout 0003 supports. The pg_trgm extension stays: other tables may use it.

On SQLite there was no such index and this does nothing; above all it must not rebuild the
message table, which would drop the search index's triggers (0006).
"""

from importlib import import_module

from django.db import migrations

trigram = import_module("chathistory.migrations.0003_message_content_trigram")


class Migration(migrations.Migration):
    dependencies = [("chathistory", "0007_message_refusal_and_content_parts")]

    # 0003's own functions, the other way round: each does nothing off PostgreSQL.
    operations = [migrations.RunPython(trigram.drop_trigram_index, trigram.create_trigram_index)]
