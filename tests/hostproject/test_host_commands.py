"""The management commands in the host project, whose users sign in by email and have no username."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from chathistory.models import Conversation
from tests.factories import make_conversation, make_message
from tests.hostproject.conftest import make_host_user


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_commands_name_a_user_by_email(user, tmp_path):
    make_message(make_conversation(user=user), content="hello")
    make_message(make_conversation(user=make_host_user()), content="someone else's")

    path = tmp_path / "export.jsonl"
    _run("chathistory_export", "--user", user.email, "--output", str(path))
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["messages"][0]["content"] == "hello"

    out, _ = _run("chathistory_erase_user", user.email)
    assert out.startswith("Deleted 1 conversation(s), 1 message(s)")
    assert not Conversation.objects.filter(user=user).exists()

    newcomer = make_host_user()
    out, _ = _run("chathistory_import", str(path), "--user", newcomer.email)
    assert "Imported 1 conversation(s) with 1 message(s)" in out
    assert Conversation.objects.filter(user=newcomer).count() == 1


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
