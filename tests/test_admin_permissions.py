import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from chathistory.models import Conversation
from tests.factories import make_conversation, make_message, make_user, tool_call


@pytest.fixture
def transcript_conversation(user):
    conversation = make_conversation(user=user, title="Weather in Paris")
    make_message(conversation, role="user", content="Weather?")
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call()])
    make_message(conversation, role="tool", tool_call_id="call_1", content="18C")
    return conversation


@pytest.fixture
def viewer_client(client, db):
    viewer = make_user(is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="chathistory", codename__in=["view_conversation", "view_message"]
        )
    )
    client.force_login(viewer)
    return client


def admin_urls(conversation):
    message = conversation.messages.first()
    return [
        reverse("admin:chathistory_conversation_changelist"),
        reverse("admin:chathistory_conversation_change", args=[conversation.pk]),
        reverse("admin:chathistory_message_changelist"),
        reverse("admin:chathistory_message_change", args=[message.pk]),
    ]


def test_superuser_can_open_every_page(admin_client, transcript_conversation):
    for url in admin_urls(transcript_conversation):
        assert admin_client.get(url).status_code == 200, url


def test_view_only_staff_can_read_every_page(viewer_client, transcript_conversation):
    for url in admin_urls(transcript_conversation):
        assert viewer_client.get(url).status_code == 200, url
    page = viewer_client.get(admin_urls(transcript_conversation)[1]).content.decode()
    assert "get_weather" in page and "18C" in page


def test_view_only_staff_gets_no_save_button_and_cannot_change(viewer_client, transcript_conversation):
    change = reverse("admin:chathistory_conversation_change", args=[transcript_conversation.pk])
    assert 'name="_save"' not in viewer_client.get(change).content.decode()

    assert viewer_client.post(change, {"title": "Changed", "metadata": "{}"}).status_code == 403
    transcript_conversation.refresh_from_db()
    assert transcript_conversation.title == "Weather in Paris"


def test_view_only_staff_cannot_archive_delete_or_add(viewer_client, transcript_conversation):
    changelist = reverse("admin:chathistory_conversation_changelist")
    actions = viewer_client.get(changelist).context["action_form"].fields["action"].choices
    assert [name for name, _ in actions if name] == ["download_openai_json"]

    viewer_client.post(changelist, {"action": "archive", "_selected_action": [str(transcript_conversation.pk)]})
    delete = reverse("admin:chathistory_conversation_delete", args=[transcript_conversation.pk])
    assert viewer_client.post(delete, {"post": "yes"}).status_code == 403
    assert viewer_client.get(reverse("admin:chathistory_conversation_add")).status_code == 403
    assert Conversation.objects.get().archived is False


def test_view_only_staff_can_download(viewer_client, transcript_conversation):
    response = viewer_client.post(
        reverse("admin:chathistory_conversation_changelist"),
        {"action": "download_openai_json", "_selected_action": [str(transcript_conversation.pk)]},
    )
    assert b"get_weather" in b"".join(response.streaming_content)


def test_staff_without_permissions_is_forbidden(client, transcript_conversation):
    client.force_login(make_user(is_staff=True))
    for url in admin_urls(transcript_conversation):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("logged_in", [True, False])
def test_non_staff_are_sent_to_the_login_page(client, transcript_conversation, logged_in):
    if logged_in:
        client.force_login(make_user())
    for url in admin_urls(transcript_conversation):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
