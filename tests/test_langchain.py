"""The LangChain history: a contract suite after langchain-postgres's own, and RunnableWithMessageHistory."""

import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.db import connections

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableLambda
from langchain_core.runnables.history import RunnableWithMessageHistory

from chathistory import services
from chathistory.exceptions import ConversationIdTaken, ValidationError
from chathistory.integrations.langchain import DjangoChatMessageHistory
from chathistory.models import Conversation, Message
from tests.factories import make_conversation, make_message, make_user, tool_call

TOOL_TURN = [
    HumanMessage(content="What is the weather in Paris? ☔ e\u0301 שלום 𝄞\r\n"),
    AIMessage(
        content="",
        tool_calls=[
            {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"},
            {"name": "get_time", "args": {}, "id": "call_2", "type": "tool_call"},
        ],
        id="run-123",
        response_metadata={"model_name": "gpt-4o", "finish_reason": "tool_calls"},
        usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
    ),
    ToolMessage(content='{"temp": 21}', tool_call_id="call_1", name="get_weather"),
    ToolMessage(content="12:00", tool_call_id="call_2", artifact={"raw": [1, 2]}, status="success"),
    AIMessage(content="It is 21 °C and noon.", name="assistant-bot"),
]


def _content_parts_supported(conversation):
    try:
        services.add_message(conversation, role="user", content=[{"type": "text", "text": "probe"}])
    except ValidationError:
        return False
    services.clear_conversation(conversation)
    return True


def test_sync_round_trip(conversation):
    history = DjangoChatMessageHistory(conversation)
    assert history.messages == []

    history.add_messages([SystemMessage(content="Meow"), AIMessage(content="woof"), HumanMessage(content="bark")])
    assert history.messages == [SystemMessage(content="Meow"), AIMessage(content="woof"), HumanMessage(content="bark")]

    history.add_messages(TOOL_TURN)
    assert history.messages[3:] == TOOL_TURN
    # Stored natively too: what the API and /history/ show.
    stored = services.get_chat_history(conversation)
    assert [m.role for m in stored] == ["system", "assistant", "user", "user", "assistant", "tool", "tool", "assistant"]
    assert stored[4].tool_calls[0] == tool_call("call_1", arguments='{"city": "Paris"}')

    history.clear()
    assert history.messages == []
    history.add_messages([HumanMessage(content="again")])
    assert services.get_chat_history(conversation)[0].seq == 1


def test_async_round_trip(conversation):
    history = DjangoChatMessageHistory(conversation)

    async def run():
        assert await history.aget_messages() == []
        await history.aadd_messages(TOOL_TURN)
        assert await history.aget_messages() == TOOL_TURN
        await history.aclear()
        return await history.aget_messages()

    assert async_to_sync(run)() == []


def test_developer_and_system_messages_keep_their_roles(conversation):
    history = DjangoChatMessageHistory(conversation)
    developer = SystemMessage(content="Be terse.", additional_kwargs={"__openai_role__": "developer"})
    history.add_messages([SystemMessage(content="You are helpful."), developer])
    assert history.messages == [SystemMessage(content="You are helpful."), developer]
    assert [m.role for m in services.get_chat_history(conversation)] == ["system", "developer"]


def test_multimodal_content_comes_back_equal(conversation):
    if not _content_parts_supported(conversation):
        pytest.skip("this version stores string content only")
    history = DjangoChatMessageHistory(conversation)
    messages = [
        HumanMessage(
            content=[
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                {"type": "image", "source_type": "url", "url": "https://example.com/cat.png"},
            ]
        ),
        AIMessage(content=[{"type": "text", "text": "A cat."}]),
    ]
    history.add_messages(messages)
    assert history.messages == messages


def test_messages_stored_through_the_api_read_as_langchain_messages(conversation):
    services.add_messages(
        conversation,
        [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [tool_call("ok"), tool_call("bad", arguments="{oops")],
            },
            {"role": "tool", "tool_call_id": "ok", "content": "sun"},
        ],
    )
    human, ai, tool = DjangoChatMessageHistory(conversation).messages
    assert human == HumanMessage(content="hi")
    assert ai.content == ""
    assert ai.tool_calls == [{"name": "get_weather", "args": {"city": "Paris"}, "id": "ok", "type": "tool_call"}]
    assert [(c["id"], c["args"]) for c in ai.invalid_tool_calls] == [("bad", "{oops")]
    assert tool == ToolMessage(content="sun", tool_call_id="ok")


def test_add_messages_is_one_transaction(conversation):
    history = DjangoChatMessageHistory(conversation)
    with pytest.raises(ValidationError):
        history.add_messages([HumanMessage(content="fine"), ToolMessage(content="x", tool_call_id="never made")])
    assert not Message.objects.exists()


def test_add_messages_over_the_batch_limit_is_still_one_transaction(conversation, settings):
    settings.CHATHISTORY = {"MAX_BATCH_SIZE": 2}
    history = DjangoChatMessageHistory(conversation)
    history.add_messages([HumanMessage(content=str(n)) for n in range(5)])
    assert len(history.messages) == 5
    with pytest.raises(ValidationError):
        history.add_messages([HumanMessage(content="a"), HumanMessage(content="b"), HumanMessage(content="\x00")])
    assert len(history.messages) == 5


def test_window_reads_only_the_last_messages(conversation, django_assert_num_queries):
    services.add_messages(conversation, [{"role": "user", "content": str(n)} for n in range(100)])
    history = DjangoChatMessageHistory(conversation, window=3)
    with django_assert_num_queries(1):
        messages = history.messages
    assert [m.content for m in messages] == ["97", "98", "99"]


def test_a_window_does_not_start_with_a_tool_result_whose_call_it_left_out(conversation):
    services.add_messages(
        conversation,
        [
            {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sun"},
            {"role": "assistant", "content": "Sunny."},
        ],
    )
    assert [m.content for m in DjangoChatMessageHistory(conversation, window=2).messages] == ["Sunny."]
    assert len(DjangoChatMessageHistory(conversation, window=3).messages) == 3


def test_a_window_leaves_out_a_tool_result_whose_call_it_left_out_wherever_it_is(conversation):
    services.add_messages(
        conversation,
        [
            {"role": "assistant", "content": None, "tool_calls": [tool_call("call_1")]},
            {"role": "user", "content": "meanwhile"},
            {"role": "tool", "tool_call_id": "call_1", "content": "sun"},
        ],
    )
    messages = DjangoChatMessageHistory(conversation, window=2).messages
    assert messages == [HumanMessage(content="meanwhile")]
    assert not any(isinstance(message, ToolMessage) for message in messages)
    assert len(DjangoChatMessageHistory(conversation, window=3).messages) == 3


@pytest.mark.parametrize("window", [0, -1, "5", True])
def test_a_window_must_be_a_positive_number(conversation, window):
    with pytest.raises(ValueError):
        DjangoChatMessageHistory(conversation, window=window)


def test_built_from_user_and_id_creates_the_conversation_once(user):
    session = str(uuid.uuid4())
    DjangoChatMessageHistory(user=user, conversation_id=session).add_messages([HumanMessage(content="hi")])
    again = DjangoChatMessageHistory(user=user, conversation_id=session)
    assert again.messages == [HumanMessage(content="hi")]
    assert Conversation.objects.filter(user=user).count() == 1


def test_another_users_conversation_id_is_refused(user, other_user):
    theirs = make_conversation(user=other_user)
    make_message(theirs)
    with pytest.raises(ConversationIdTaken):
        DjangoChatMessageHistory(user=user, conversation_id=theirs.pk).messages  # noqa: B018


def test_needs_a_conversation_or_a_user(conversation, user):
    with pytest.raises(TypeError):
        DjangoChatMessageHistory()
    with pytest.raises(TypeError):
        DjangoChatMessageHistory(conversation, user=user)


def _chain(seen):
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You are terse."),
            MessagesPlaceholder("history"),
            ("human", "{question}"),
        ]
    )
    model = FakeMessagesListChatModel(responses=[AIMessage(content=f"answer {n}") for n in range(1, 4)])

    def record(prompt_value):
        seen.append(prompt_value.to_messages())
        return prompt_value

    return prompt | RunnableLambda(record) | model


class _WorkerThreadHistory(DjangoChatMessageHistory):
    """Closes the database connection a LangChain worker thread opened, as the thread itself never does."""

    def _closing(self, call):
        try:
            return call()
        finally:
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()

    @property
    def messages(self):
        return self._closing(lambda: DjangoChatMessageHistory.messages.fget(self))

    def add_messages(self, messages):
        return self._closing(lambda: super(_WorkerThreadHistory, self).add_messages(messages))


def _with_history(user, seen):
    return RunnableWithMessageHistory(
        _chain(seen),
        lambda session_id: _WorkerThreadHistory(user=user, conversation_id=session_id),
        input_messages_key="question",
        history_messages_key="history",
    )


def _check_three_turns(user, session, seen):
    conversation = Conversation.objects.get(pk=session, user=user)
    stored = services.get_chat_history(conversation)
    assert [(m.role, m.content) for m in stored] == [
        ("user", "one?"),
        ("assistant", "answer 1"),
        ("user", "two?"),
        ("assistant", "answer 2"),
        ("user", "three?"),
        ("assistant", "answer 3"),
    ]
    # The third call saw the system prompt, the first two turns and the new question.
    assert [m.content for m in seen[2]] == ["You are terse.", "one?", "answer 1", "two?", "answer 2", "three?"]


# langchain-core 1.x deprecates RunnableWithMessageHistory for LangGraph, yet many apps still use it.
KEEPS_RUNNABLE_WITH_MESSAGE_HISTORY = pytest.mark.filterwarnings("ignore:RunnableWithMessageHistory is deprecated")


@KEEPS_RUNNABLE_WITH_MESSAGE_HISTORY
@pytest.mark.django_db(transaction=True)
def test_runnable_with_message_history_over_several_turns():
    # transaction=True: RunnableWithMessageHistory reads the history from a worker thread.
    user, seen = make_user(), []
    chain = _with_history(user, seen)
    session = str(uuid.uuid4())
    for question in ("one?", "two?", "three?"):
        chain.invoke({"question": question}, config={"configurable": {"session_id": session}})
    _check_three_turns(user, session, seen)


@KEEPS_RUNNABLE_WITH_MESSAGE_HISTORY
def test_runnable_with_message_history_async(user):
    seen = []
    chain = _with_history(user, seen)
    session = str(uuid.uuid4())

    async def run():
        for question in ("one?", "two?", "three?"):
            await chain.ainvoke({"question": question}, config={"configurable": {"session_id": session}})

    async_to_sync(run)()
    _check_three_turns(user, session, seen)
