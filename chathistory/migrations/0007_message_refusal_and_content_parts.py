"""A message may refuse (``refusal``), and its content may be a list of content parts.

Parts are stored as their JSON text in the same ``content`` column (``chathistory.fields``), which
tells them apart by a leading ``[``: so a string stored before this migration that starts with
``[`` (or with the escape character) gets the escape character in front, as new writes do, and
reads back unchanged.

On SQLite this must not rebuild the message table, which would drop the search index's
triggers (0006): adding a nullable column does not, and the field's new class is said in the
migration state only.
"""

from django.db import migrations, models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat

import chathistory.fields

ESCAPE = "\x1b"


def escape_strings_that_look_like_parts(apps, schema_editor):
    Message = apps.get_model("chathistory", "Message")
    Message.objects.using(schema_editor.connection.alias).filter(
        Q(content__startswith="[") | Q(content__startswith=ESCAPE)
    ).update(content=Concat(Value(ESCAPE), F("content"), output_field=models.TextField()))


def unescape_strings(apps, schema_editor):
    Message = apps.get_model("chathistory", "Message")
    rows = Message.objects.using(schema_editor.connection.alias)
    # Going back, parts have no string form: their JSON text stays, and reads as a string.
    rows.filter(content__startswith=ESCAPE).update(
        content=models.functions.Substr(F("content"), 2, output_field=models.TextField())
    )


class Migration(migrations.Migration):
    dependencies = [
        ("chathistory", "0006_message_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="refusal",
            field=models.TextField(blank=True, null=True),
        ),
        # The column stays the text column it was; only the field's Python class changes. Said in
        # the state alone, because SQLite would otherwise rebuild the table to "alter" it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="content",
                    field=chathistory.fields.ContentField(blank=True, null=True),
                ),
            ],
        ),
        migrations.RunPython(escape_strings_that_look_like_parts, unescape_strings),
    ]
