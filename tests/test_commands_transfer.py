import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chathistory import services
from chathistory.models import Conversation, IdempotencyKey, Message
from tests.factories import make_conversation, make_message, tool_call


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_writes_one_line_per_conversation_to_stdout_and_counts_to_stderr(user, other_user):
    for n in range(3):
        make_message(make_conversation(user=user), content=f"line\nbreak {n}\u2028")
    make_message(make_conversation(user=other_user))
    out, err = _run("chathistory_export", "--user", user.get_username())
    lines = out.split("\n")[:-1]  # not splitlines(), which would also split at U+2028
    assert len(lines) == 3
    assert all(json.loads(line)["format"] == "chathistory" for line in lines)
    assert "Exported 3 conversation(s) with 3 message(s)." in err
    assert "\r" not in err  # no progress bar off a terminal


def test_export_of_every_user_by_default(user, other_user):
    make_message(make_conversation(user=user))
    make_message(make_conversation(user=other_user))
    out, _ = _run("chathistory_export")
    assert len(out.split("\n")) - 1 == 2


def test_export_in_openai_jsonl_format_writes_the_chat_completions_shape(user, tmp_path):
    conversation = make_conversation(user=user)
    services.add_messages(
        conversation,
        [
            {"role": "system", "content": "Be brief."},
            {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sun"},
        ],
    )
    make_conversation(user=user)  # empty: a fine-tuning line needs messages
    path = tmp_path / "train.jsonl"
    out, _ = _run("chathistory_export", "--format", "openai-jsonl", "--output", str(path))
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == {"messages": services.get_openai_messages(conversation)}
    assert "Exported 1 conversation(s) with 3 message(s); skipped 1 without messages" in out


def test_export_to_a_terminal_draws_a_progress_bar_on_stderr(user, tmp_path):
    make_message(make_conversation(user=user))
    err = _Terminal()
    call_command("chathistory_export", "--output", str(tmp_path / "x.jsonl"), stdout=io.StringIO(), stderr=err)
    assert "\r[" in err.getvalue() and "1/1 conversations" in err.getvalue()


def test_export_of_an_unknown_user_or_an_unwritable_file_is_a_command_error(user, tmp_path):
    with pytest.raises(CommandError, match="No user 'nobody'"):
        _run("chathistory_export", "--user", "nobody")
    with pytest.raises(CommandError, match="Cannot write"):
        _run("chathistory_export", "--output", str(tmp_path / "missing" / "x.jsonl"))


def test_import_reports_rejected_lines_by_number_and_reason_and_goes_on(user, other_user, tmp_path):
    good = make_conversation(user=user, title="good")
    make_message(good, content="kept")
    document = services.export_conversation(good)
    theirs = services.export_conversation(make_conversation(user=other_user))
    good.delete()
    bad_message = {**document, "conversation": {"title": "bad"}, "messages": [{"role": "user"}]}
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                json.dumps(document).encode(),
                b"{not json",
                b"",
                json.dumps(bad_message).encode(),
                json.dumps(document).encode(),  # the same again: unchanged
                json.dumps(theirs).encode(),
                b"\xff\xfe",
            ]
        )
        + b"\n"
    )

    out, err = _run("chathistory_import", str(path), "--user", user.get_username())

    assert "Imported 1 conversation(s) with 1 message(s); 1 already there and unchanged; 4 line(s) rejected." in out
    assert "Line 2: rejected: not valid JSON" in err
    assert "Line 4: rejected: messages[0].content:" in err
    assert "Line 6: rejected: This conversation id is already taken." in err
    assert "Line 7: rejected: not UTF-8" in err
    assert list(Conversation.objects.filter(user=user).values_list("title", flat=True)) == ["good"]


def test_import_to_a_terminal_draws_a_progress_bar(user, tmp_path):
    path = tmp_path / "in.jsonl"
    conversation = make_conversation(user=user)
    path.write_text(json.dumps(services.export_conversation(conversation)) + "\n", encoding="utf-8")
    err = _Terminal()
    call_command("chathistory_import", str(path), "--user", user.get_username(), stdout=io.StringIO(), stderr=err)
    assert "\r[" in err.getvalue() and "bytes" in err.getvalue()


def test_import_needs_a_known_user_and_a_readable_file(user, tmp_path):
    with pytest.raises(CommandError, match="No user"):
        _run("chathistory_import", str(tmp_path / "x"), "--user", "nobody")
    with pytest.raises(CommandError, match="Cannot read"):
        _run("chathistory_import", str(tmp_path / "missing.jsonl"), "--user", user.get_username())


def test_purge_command_dry_run_counts_then_the_real_run_deletes(user):
    idle = make_conversation(user=user)
    make_message(idle)
    Conversation.objects.filter(pk=idle.pk).update(updated_at=timezone.now() - timedelta(days=40))
    out, _ = _run("chathistory_purge", "--days", "30", "--dry-run")
    assert "Would delete 1 conversation(s), 1 message(s), 0 tool call(s) and 0 idempotency key(s)" in out
    assert Conversation.objects.filter(pk=idle.pk).exists()
    out, _ = _run("chathistory_purge", "--days", "30")
    assert "Deleted 1 conversation(s), 1 message(s)" in out
    assert not Conversation.objects.exists()


def test_purge_command_without_retention_keeps_conversations_and_says_so(user):
    make_message(make_conversation(user=user))
    out, _ = _run("chathistory_purge")
    assert "RETENTION_DAYS'] is not set" in out
    assert Message.objects.count() == 1


@pytest.mark.parametrize("args", [("--days", "0"), ("--batch-size", "0")])
def test_purge_command_refuses_bad_numbers(db, args):
    with pytest.raises(CommandError):
        _run("chathistory_purge", *args)


def test_purge_idempotency_keys_is_an_alias_that_says_so(conversation):
    services.add_messages_once(conversation, [{"role": "user", "content": "x"}], key="k")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=48))
    out, err = _run("chathistory_purge_idempotency_keys")
    assert "alias" in err and "chathistory_purge" in err
    assert "Deleted 1 idempotency key(s)" in out


def test_erase_user_command_prints_the_counts(user, other_user):
    make_message(make_conversation(user=user))
    make_message(make_conversation(user=other_user))
    out, _ = _run("chathistory_erase_user", user.get_username(), "--dry-run")
    assert out.startswith("Would delete 1 conversation(s), 1 message(s)")
    out, _ = _run("chathistory_erase_user", user.get_username())
    assert out.startswith("Deleted 1 conversation(s), 1 message(s), 0 tool call(s) and 0 idempotency key(s)")
    assert not Conversation.objects.filter(user=user).exists()
    assert Conversation.objects.filter(user=other_user).exists()
    with pytest.raises(CommandError, match="No user"):
        _run("chathistory_erase_user", "nobody")


def test_erase_user_command_refuses_a_batch_size_below_one(user):
    with pytest.raises(CommandError):
        _run("chathistory_erase_user", user.get_username(), "--batch-size", "0")
