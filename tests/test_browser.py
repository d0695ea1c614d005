"""The admin in a real browser: headless Chromium driven by Playwright against the live server."""

from pathlib import Path

import pytest

from chathistory import services
from tests.factories import make_conversation, make_user, tool_call

CHROMIUM = Path("/usr/bin/chromium")
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
