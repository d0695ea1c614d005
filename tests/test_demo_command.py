import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from chathistory.models import Conversation, Message, Role


def run_demo(*args):
    out = StringIO()
    call_command("chathistory_demo", *args, stdout=out)
    return out.getvalue()


def printed_password(output):
    return re.search(r"password: (\S+)", output).group(1)


@pytest.mark.django_db
def test_demo_creates_realistic_conversations_and_a_staff_login():
    output = run_demo("--seed", "7")

    assert Conversation.objects.count() == 12
    assert Conversation.objects.values("user").distinct().count() > 1
    assert Message.objects.filter(role=Role.ASSISTANT, tool_calls__isnull=False).exists()
    assert Message.objects.filter(role=Role.TOOL).exists()
    contents = list(Message.objects.exclude(content=None).values_list("content", flat=True))
    assert max(len(content) for content in contents) > 2000
    assert any(any(ord(char) > 0xFFFF for char in content) for content in contents)

    admin = authenticate(username="demo-admin", password=printed_password(output))
    assert admin is not None and admin.is_staff and admin.is_superuser


@pytest.mark.django_db
def test_a_second_run_adds_nothing_and_prints_a_new_password():
    first = printed_password(run_demo())
    messages = Message.objects.count()

    second_output = run_demo()
    second = printed_password(second_output)

    assert second != first
    assert authenticate(username="demo-admin", password=first) is None
    assert authenticate(username="demo-admin", password=second) is not None
    assert (Conversation.objects.count(), Message.objects.count()) == (12, messages)
    assert get_user_model().objects.filter(username="demo-admin").count() == 1


@pytest.mark.django_db
def test_volume_options_add_exactly_that_many_with_progress():
    output = run_demo("--users", "3", "--conversations", "5", "--messages", "1200")

    assert Conversation.objects.count() == 5
    assert set(Conversation.objects.values_list("message_count", flat=True)) == {1200}
    assert Message.objects.count() == 6000
    assert "5/5 conversations, 6,000 messages" in output

    run_demo("--conversations", "2", "--messages", "3")
    assert Conversation.objects.count() == 7


@pytest.mark.django_db
def test_demo_chat_users_cannot_log_in():
    run_demo("--users", "2")
    chat_users = get_user_model().objects.filter(username__startswith="demo-").exclude(username="demo-admin")
    assert chat_users.count() == 2
    assert not any(user.has_usable_password() for user in chat_users)


@pytest.mark.django_db
def test_volume_options_must_be_positive():
    with pytest.raises(CommandError, match="--messages"):
        run_demo("--messages", "0")


@pytest.mark.django_db
def test_a_bulk_run_reports_progress_in_twentieths():
    output = run_demo("--conversations", "40", "--messages", "1", "--seed", "3")
    progress = re.findall(r"^  (\d+)/40 conversations", output, flags=re.MULTILINE)
    assert progress == [str(n) for n in range(2, 41, 2)]
    assert Conversation.objects.count() == 40
