from chathistory import services
from tests.factories import tool_call


def test_roundtrip(conversation, django_assert_num_queries):
    services.add_message(conversation, role="system", content="Be brief.")
    services.add_message(conversation, role="user", content="Weather?\r\n👩‍👩‍👧")
    services.add_message(conversation, role="assistant", tool_calls=[tool_call()])
    with django_assert_num_queries(5) as ctx:
        services.add_message(conversation, role="tool", tool_call_id="call_1", content="18C")
    print([q["sql"] for q in ctx.captured_queries])
    with django_assert_num_queries(4) as ctx:
        services.add_message(conversation, role="user", content="x")
    print([q["sql"] for q in ctx.captured_queries])
    msgs = services.get_chat_history(conversation, last=2)
    assert [m.seq for m in msgs] == [4, 5]
    print(services.get_openai_messages(conversation, last=2))
    assert services.get_openai_messages(conversation, last=3)[0]["role"] == "system"
