"""The management commands in the host project, whose users sign in by email and have no username."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from chathistory.models import Conversation
from tests.factories import make_conversation, make_message, make_user


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_commands_name_a_user_by_email(user, tmp_path):
    mine = make_conversation(user=user)
    make_message(mine, content="hello")
    make_message(make_conversation(user=make_user()), content="someone else's")

    path = tmp_path / "export.jsonl"
    _run("chathistory_export", "--user", user.email, "--output", str(path))
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["messages"][0]["content"] == "hello"

    out, _ = _run("chathistory_erase_user", user.email)
    assert out.startswith("Deleted 1 conversation(s), 1 message(s)")
    assert not Conversation.objects.filter(user=user).exists()

    newcomer = make_user()
    out, _ = _run("chathistory_import", str(path), "--user", newcomer.email)
    assert "Imported 1 conversation(s) with 1 message(s)" in out
    assert list(Conversation.objects.filter(user=newcomer).values_list("pk", flat=True)) == [mine.pk]
    assert Conversation.objects.db == "chat"  # the router's database, as every command's writes


def test_drf_create_token_takes_the_email(user):
    call_command("drf_create_token", user.email, verbosity=0)

    assert Token.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    "args",
    [
        ("chathistory_export", "--user", "nobody@host.example"),
        ("chathistory_import", "-", "--user", "nobody@host.example"),
        ("chathistory_erase_user", "nobody@host.example"),
    ],
)
def test_an_unknown_email_is_a_command_error(db, args):
    with pytest.raises(CommandError, match=re.escape("No user 'nobody@host.example'.")):
        _run(*args)
