"""The admin in a real browser: headless Chromium driven by Playwright against the live server."""

from pathlib import Path

import pytest

from chathistory import services
from tests.factories import make_conversation, make_user, tool_call

CHROMIUM = Path("/usr/bin/chromium")
PASTED_LOG = "".join(f"2026-12-01 10:{n // 60:02}:{n % 60:02} ERROR write failed: no space left\n" for n in range(600))
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no Chromium at /usr/bin/chromium: apt-get install chromium chromium-driver (.ci/run does)",
)


@pytest.fixture
def operator(transactional_db):
    return make_user(username="operator", password="a long operator password", is_staff=True, is_superuser=True)


@pytest.fixture
def conversations(transactional_db):
    weather = make_conversation(title="Weather in Paris")
    services.add_messages(
        weather,
        [
            {"role": "system", "content": "You are a helpful travel assistant."},
            {"role": "user", "content": "What's the weather in Paris? <b>not bold</b> 🌦️"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [tool_call("call_7", "get_weather", '{"city":"Paris","unit":"C"}')],
                "metadata": {"model": "gpt-4o-mini", "finish_reason": "tool_calls"},
            },
            {"role": "tool", "tool_call_id": "call_7", "content": '{"temperature": 18, "conditions": "sunny"}'},
            {"role": "assistant", "content": "It is 18 °C and sunny in Paris."},
        ],
    )
    long = make_conversation(title="Long support chat")
    services.add_messages(long, [{"role": "user", "content": f"Line {n}"} for n in range(1, 251)])
    make_conversation(title="Refund for order 1234")
    pasted = make_conversation(title="Pasted server log")
    services.add_messages(
        pasted,
        [
            {"role": "user", "content": "Why does it fail?\n" + PASTED_LOG},
            {"role": "assistant", "content": "The disk is full: free some space and restart the service."},
        ],
    )
    return weather, long


@pytest.fixture
def page(live_server, monkeypatch):
    """A browser page. Tests ask for it after their data fixtures: an ORM call made while
    Playwright's loop runs opens a connection that the test database's teardown never sees."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls here are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def log_in(page, live_server):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "a long operator password")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def open_by_title(page, live_server, query, title):
    page.goto(f"{live_server.url}/admin/chathistory/conversation/")
    page.fill("#searchbar", query)
    page.press("#searchbar", "Enter")
    page.wait_for_url("**?q=*")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    rows.get_by_role("link", name=title).click()
    page.wait_for_selector("#transcript")


def test_an_operator_finds_a_conversation_and_reads_its_transcript(operator, conversations, live_server, page):
    static_statuses = {}
    page.on(
        "response",
        lambda response: "/static/" in response.url and static_statuses.update({response.url: response.status}),
    )

    log_in(page, live_server)
    open_by_title(page, live_server, "paris", "Weather in Paris")

    messages = page.locator(".chm-message")
    assert [messages.nth(n).get_attribute("data-seq") for n in range(messages.count())] == ["1", "2", "3", "4", "5"]
    assert [role.lower() for role in page.locator(".chm-role").all_inner_texts()] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert "<b>not bold</b> 🌦️" in page.locator("#m2 .chm-content").inner_text()
    call = page.locator("#m3 .chm-call")
    assert "get_weather" in call.inner_text()
    assert call.locator(".chm-arguments").inner_text() == '{\n  "city": "Paris",\n  "unit": "C"\n}'
    result = page.locator("#m4")
    assert "Result of get_weather" in result.locator(".chm-answers").inner_text()
    assert "sunny" in result.locator(".chm-content").inner_text()

    metadata = page.locator("#m3 details.chm-metadata")
    assert not metadata.locator("pre").is_visible()
    metadata.locator("summary").click()
    assert "gpt-4o-mini" in metadata.locator("pre").inner_text()

    # The stylesheets loaded: the admin's own and the transcript's.
    assert any(url.endswith("chathistory/admin/transcript.css") for url in static_statuses)
    assert set(static_statuses.values()) == {200}
    assert page.locator("#m3").evaluate("node => getComputedStyle(node).borderLeftWidth") == "6px"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-transcript.png", full_page=True)


def test_an_operator_pages_through_a_long_transcript(operator, conversations, live_server, page):
    log_in(page, live_server)
    open_by_title(page, live_server, "long support", "Long support chat")
    assert page.locator(".chm-message").first.get_attribute("data-seq") == "1"
    assert page.locator(".chm-message").count() == 100

    page.locator(".chm-next").first.click()
    page.wait_for_url("**page=2*")
    seqs = page.locator(".chm-message")
    assert (seqs.first.get_attribute("data-seq"), seqs.last.get_attribute("data-seq")) == ("101", "200")
    assert "Page 2 of 3" in page.locator(".chm-page-number").first.inner_text()

    page.locator(".chm-last").first.click()
    page.wait_for_url("**page=3*")
    assert page.locator(".chm-message").count() == 50
    assert page.locator(".chm-message").last.inner_text().endswith("Line 250")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-transcript-last-page.png")


@pytest.fixture
def wide_conversations(transactional_db):
    """What widens a list's columns: the longest title, a long unbroken user name, an untitled conversation."""
    name = "a-very-long-unbroken-user-name-@example.com"
    owner = make_user(username=name.replace("@", "x" * (150 - len(name)) + "@"))  # the longest a username can be
    make_conversation(user=owner, title="Summarise-this-report-" + "w" * 178)
    make_conversation(user=owner, title=("A long title with words in it " * 7)[:200])
    make_conversation(user=owner, title="")
    return owner


def test_the_conversation_list_fits_a_1280_pixel_window(operator, wide_conversations, live_server, page):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/chathistory/conversation/")
    assert page.locator("#result_list tbody tr").count() == 3

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-conversation-list.png", full_page=True)
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    results = page.locator("#changelist .results")
    assert results.evaluate("node => node.scrollWidth <= node.clientWidth")
    for header in page.locator("#result_list thead th").all():
        box = header.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, header.inner_text()


def test_a_very_long_message_is_an_excerpt_with_a_link_to_the_whole_text(operator, conversations, live_server, page):
    log_in(page, live_server)
    open_by_title(page, live_server, "server log", "Pasted server log")

    question = page.locator("#m1")
    shown = question.locator(".chm-content").inner_text()
    assert shown.startswith("Why does it fail?\n2026-12-01 10:00:00 ERROR")
    assert len(shown) <= 1_000 < len(PASTED_LOG)
    assert "The first" in question.locator(".chm-truncated").inner_text()
    question.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-transcript-long-message.png")
    # The answer comes a few lines later, not 40,000 characters further down.
    answer = page.locator("#m2")
    assert answer.inner_text().endswith("restart the service.")
    assert answer.bounding_box()["y"] - question.bounding_box()["y"] < 600
    question.get_by_role("link", name="Read the whole message").click()
    page.wait_for_selector(".field-rich_content")
    assert page.locator(".field-rich_content .chm-content").inner_text() == "Why does it fail?\n" + PASTED_LOG
