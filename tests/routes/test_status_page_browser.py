"""The status page in a real browser: Debian's Chromium, driven by Playwright, against the app
served by uvicorn on a seeded SQLite database, under the strict Content-Security-Policy the
service is meant to send. Chromium is required: without it these tests fail, they never skip.

Screenshots are kept in tests/artifacts/ (not committed)."""

import hashlib
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.main import create_app
from app.seed.sync import seed
from tests.conftest import SEED_DIR, Databases
from tests.records_file import Records, edit_records

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSP = "default-src 'self'; frame-ancestors 'none'"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 740}
LATVIA = ["Grebņeva", "Pededze", "Terehova", "Vientuļi"]
# An article edited so that characters outside the BMP come before every cited sentence.
ASTRAL_FILE = "001_2d175952eb0183b5.txt"
ASTRAL_TEXT = " 🇳🇴🇷🇺"


def with_csp(app: ASGIApp) -> ASGIApp:
    """The app with the Content-Security-Policy header on every answer."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_csp(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message["headers"], (b"content-security-policy", CSP.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_csp if scope["type"] == "http" else send)

    return wrapped


@dataclass
class LiveServer:
    """The application under uvicorn in a thread, on a port the OS picked."""

    database_url: str
    url: str = ""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _socket: socket.socket | None = None

    def __enter__(self) -> "LiveServer":
        app = create_app(Settings(database_url=self.database_url))
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(with_csp(app), log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None and self._socket
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()

    def get(self, path: str) -> Any:
        response = httpx.get(self.url + path)
        response.raise_for_status()
        return response.json()


def seeded_server(databases: Databases, seed_dir: Path) -> LiveServer:
    url, engine = databases.migrated()
    seed(engine, seed_dir)
    return LiveServer(url)


@pytest.fixture(scope="module")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    databases = Databases("sqlite", tmp_path_factory.mktemp("status-page"))
    yield databases
    databases.close()


@pytest.fixture(scope="module")
def server(sqlite_databases: Databases) -> Iterator[LiveServer]:
    with seeded_server(sqlite_databases, SEED_DIR) as live:
        yield live


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the status page tests need Debian's Chromium "
            "(apt-get install -y chromium; .ci/run installs it)",
            pytrace=False,
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class Tab:
    """A page, with every console error and uncaught exception it had."""

    page: Page
    server: LiveServer
    errors: list[str] = field(default_factory=list)

    def open(self) -> Page:
        self.page.goto(self.server.url + "/")
        expect(self.page.locator("body")).to_have_attribute("data-loaded", "true")
        return self.page


def new_tab(browser: Browser, server: LiveServer, viewport: ViewportSize) -> Tab:
    context = browser.new_context(viewport=viewport)
    tab = Tab(context.new_page(), server)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append(message.text)

    tab.page.on("console", console)
    tab.page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    return tab


@pytest.fixture
def tab(browser: Browser, server: LiveServer) -> Iterator[Tab]:
    opened = new_tab(browser, server, DESKTOP)
    yield opened
    opened.page.context.close()


@pytest.fixture
def phone(browser: Browser, server: LiveServer) -> Iterator[Tab]:
    opened = new_tab(browser, server, PHONE)
    yield opened
    opened.page.context.close()


def screenshot(page: Page, name: str, **options: Any) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), **options)
    return path


def crossing_names(page: Page) -> list[str]:
    return [re.split(r" – ", h)[0] for h in page.locator("#crossing-list h3").all_inner_texts()]


def choose_country(page: Page, code: str, names: list[str]) -> None:
    page.get_by_label("Country", exact=True).select_option(code)
    expect(page.locator("#crossings-summary")).to_have_text(f"{len(names)} crossings")
    expect(page.locator("#crossing-list h3")).to_have_count(len(names))


def dialog_shows_the_cited_sentence(
    page: Page, server: LiveServer, provenance: dict[str, Any]
) -> None:
    """The dialog is open on the whole article, the cited sentence marked and in view."""
    dialog = page.get_by_role("dialog")
    source = server.get(f"/v1/sources/{provenance['source_file']}")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(source["title"])
    cited = f"{provenance['source_file']}, sentence_index {provenance['sentence_index']} "
    expect(dialog.get_by_text(cited)).to_be_visible()
    mark = dialog.locator("mark")
    expect(mark).to_have_count(1)
    expect(dialog.get_by_role("alert")).to_be_hidden()
    assert mark.evaluate("node => node.textContent") == provenance["sentence"]
    quote = mark.locator(".cited-quote")
    assert quote.evaluate("node => node.textContent") == provenance["quote"]
    expect(mark).to_be_in_viewport()
    article = dialog.get_by_role("region", name="Article text")
    assert article.evaluate("node => node.textContent") == source["text"]


# --- the walk a reader takes -------------------------------------------------------------------


def test_choosing_latvia_shows_its_crossings_and_a_source_shows_its_sentence_in_the_article(
    tab: Tab, server: LiveServer
) -> None:
    page = tab.open()
    expected = server.get("/v1/crossings?country=LV")["data"]
    assert sorted(c["name"] for c in expected) == LATVIA

    choose_country(page, "LV", LATVIA)
    assert sorted(crossing_names(page)) == LATVIA
    for crossing in expected:
        card = page.locator("#crossing-list .card", has_text=crossing["name"])
        expect(card.locator(".badge")).to_have_text(crossing["status"])
        expect(card.locator(".badge")).to_have_class(f"badge badge-{crossing['status']}")
    expect(page.locator("#crossings-request")).to_have_text("/v1/crossings?country=LV")
    page.locator("#crossings").evaluate("node => node.scrollIntoView()")
    screenshot(page, "status-page-latvia.png")

    terehova = next(c for c in expected if c["name"] == "Terehova")
    for number, provenance in enumerate(terehova["provenance"], start=1):
        page.get_by_role("button", name=f"Source {number} for Terehova", exact=True).click()
        dialog_shows_the_cited_sentence(page, server, provenance)
        if number == 1:
            screenshot(page, "status-page-source.png")
        page.get_by_role("button", name="Close").click()
        expect(page.get_by_role("dialog")).to_be_hidden()
    assert tab.errors == []


def test_every_section_shows_its_records_with_a_source_button_each(
    tab: Tab, server: LiveServer
) -> None:
    page = tab.open()
    nato = [c["name"] for c in server.get("/v1/countries")["data"] if c["role"] == "nato"]
    expect(page.locator("#border-list > .card h3")).to_have_text(nato)
    for section, path in [
        ("#crossing-list", "/v1/crossings"),
        ("#restriction-list", "/v1/restrictions"),
        ("#fortification-list", "/v1/fortifications"),
        ("#conflict-list", "/v1/conflicts"),
    ]:
        records = server.get(path)["data"]
        expect(page.locator(f"{section} > .card")).to_have_count(len(records))
        cited = sum(
            len(claim["provenance"])
            for record in records
            for claim in record.get("claims", [record])
        )
        expect(page.locator(f"{section} .source-button")).to_have_count(cited)
    borders = server.get("/v1/borders")["data"]
    border_sources = sum(len(b["provenance"]) for b in borders)
    expect(page.locator("#border-list .source-button")).to_have_count(border_sources)
    # A disputed fact shows every claim and which one is preferred.
    length = next(c for c in server.get("/v1/conflicts")["data"] if c["id"] == "no-ru-length")
    card = page.locator("#conflict-list > .card", has_text=length["summary"])
    expect(card.locator(".claim")).to_have_count(len(length["claims"]))
    expect(card.locator(".claim-preferred .claim-value")).to_have_text(
        f"{length['preferred_value']} km (preferred)"
    )
    assert tab.errors == []


LAST_REPORTED = """cards => cards.map(card => {
  const term = [...card.querySelectorAll("dt")].find(dt => dt.textContent === "Last reported");
  return term ? term.nextElementSibling.textContent : null;
})"""


def test_every_status_says_how_old_its_newest_source_is(tab: Tab, server: LiveServer) -> None:
    page = tab.open()
    stale = 0
    for cards, path in [
        ("#border-list .border", "/v1/borders"),
        ("#crossing-list > .card", "/v1/crossings"),
        ("#restriction-list > .card", "/v1/restrictions"),
        ("#fortification-list > .card", "/v1/fortifications"),
    ]:
        records = server.get(path)["data"]
        shown = page.eval_on_selector_all(cards, LAST_REPORTED)
        assert len(shown) == len(records), path
        for record, text in zip(records, shown, strict=True):
            where = f"{path} {record['id']}: {text}"
            if record["last_reported"] is None:
                assert text == "no source covers it", where
                continue
            assert re.fullmatch(
                re.escape(record["last_reported"])
                + r", (\d+ (day|month|year)s? ago|this (year|month)|today)"
                + (": may be out of date" if record["stale"] else ""),
                text,
            ), where
            stale += record["stale"]
    # The seed's articles are from 2025 and early 2026: long past the freshness limit.
    assert stale > 10
    page.locator("#crossings").evaluate("node => node.scrollIntoView()")
    screenshot(page, "status-page-age.png")
    assert tab.errors == []


def test_finland_shows_why_it_has_no_crossings_and_its_border_status(
    tab: Tab, server: LiveServer
) -> None:
    page = tab.open()
    answer = server.get("/v1/crossings?country=FI")
    assert answer["data"] == [] and answer["meta"]["note"]
    (border,) = answer["meta"]["border_statuses"]

    page.get_by_label("Country", exact=True).select_option("FI")
    empty = page.locator("#crossings-empty")
    expect(empty).to_contain_text(answer["meta"]["note"])
    expect(page.locator("#crossings-summary")).to_have_text("0 crossings")
    card = empty.locator(".card")
    expect(card.locator("h3")).to_have_text("Finland – Russia border")
    expect(card.locator(".badge")).to_have_text(border["status"])
    card.get_by_role("button", name="Source 1").click()
    dialog_shows_the_cited_sentence(page, server, border["provenance"][0])
    assert tab.errors == []


def test_search_and_status_filters_ask_the_api(tab: Tab, server: LiveServer) -> None:
    page = tab.open()
    page.get_by_label("Name", exact=True).fill("sturskug")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.locator("#crossing-list h3")).to_have_text(["Storskog – Borisoglebsk"])
    expect(page.locator("#crossings-request")).to_have_text("/v1/crossings?q=sturskug")

    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Status", exact=True).select_option("closed")
    closed = [c["name"] for c in server.get("/v1/crossings?status=closed")["data"]]
    expect(page.locator("#crossing-list h3")).to_have_count(len(closed))
    assert sorted(crossing_names(page)) == sorted(closed)

    page.get_by_label("Name", exact=True).fill("no such crossing")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.locator("#crossings-empty")).to_have_text("No crossing matches these filters.")
    assert tab.errors == []


def test_api_errors_are_shown_where_the_data_would_be(tab: Tab, server: LiveServer) -> None:
    page = tab.page
    page.route(
        "**/v1/fortifications",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"title": "Database unavailable", "status": 503, "detail": "Try later."}',
        ),
    )
    tab.open()
    expect(page.locator("#fortifications [role=alert]")).to_have_text(
        "The service answered 503 (Database unavailable: Try later.)."
    )
    expect(page.locator("#fortification-list > *")).to_have_count(0)
    expect(page.locator("#restriction-list > .card").first).to_be_visible()

    # q needs a letter or digit: the API's problem detail is shown.
    page.get_by_label("Name", exact=True).fill("--")
    page.get_by_label("Name", exact=True).press("Enter")
    alert = page.locator("#crossings [role=alert]")
    expect(alert).to_contain_text("needs at least one letter or digit")
    expect(page.locator("#crossing-list > *")).to_have_count(0)
    # Fixing the search clears the error.
    page.get_by_label("Name", exact=True).fill("narva")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(alert).to_be_hidden()
    expect(page.locator("#crossing-list h3")).to_have_text(["Narva"])
    assert all("503" in error or "422" in error for error in tab.errors), tab.errors


# --- keyboard, phone, contrast -------------------------------------------------------------------


def tab_until(page: Page, found: Callable[[], bool], limit: int = 200) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if found():
            return
    raise AssertionError(f"Tab never reached it in {limit} presses")


def focused(page: Page, script: str) -> Any:
    return page.evaluate(f"(() => {{ const node = document.activeElement; return {script}; }})()")


def test_keyboard_only_filters_opens_a_source_and_closes_it(tab: Tab, server: LiveServer) -> None:
    page = tab.open()
    page.keyboard.press("Tab")
    assert focused(page, "node.textContent") == "Skip to the data"
    assert focused(page, "getComputedStyle(node).outlineStyle") == "solid"

    tab_until(page, lambda: focused(page, "node.id") == "filter-country")
    page.keyboard.type("Latvia")
    expect(page.locator("#crossing-list h3")).to_have_count(len(LATVIA))
    tab_until(page, lambda: focused(page, "node.id") == "filter-q")
    page.keyboard.type("tere")
    page.keyboard.press("Enter")
    expect(page.locator("#crossing-list h3")).to_have_text(["Terehova – Burachki"])

    tab_until(page, lambda: focused(page, "node.classList.contains('source-button')"))
    name = focused(page, "node.textContent")
    assert name == "Source 1 for Terehova"
    assert focused(page, "getComputedStyle(node).outlineStyle") == "solid"
    terehova = server.get("/v1/crossings?country=LV&q=tere")["data"][0]
    dialog = page.get_by_role("dialog")
    for key in ("Enter", "Space"):
        page.keyboard.press(key)
        dialog_shows_the_cited_sentence(page, server, terehova["provenance"][0])
        assert focused(page, "node.closest('dialog') !== null")
        # Tab and Shift+Tab go round the dialog's controls and never leave it.
        stops = []
        for _ in range(3):
            page.keyboard.press("Tab")
            assert focused(page, "node.closest('dialog') !== null")
            stops.append(focused(page, "node.id"))
        assert stops == ["source-article", "source-close", "source-article"]
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        assert focused(page, "node.id") == "source-article"
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert focused(page, "node.textContent") == name
    assert tab.errors == []


def no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_on_a_phone_nothing_overflows_sideways(phone: Tab, server: LiveServer) -> None:
    page = phone.open()
    assert page.evaluate("document.documentElement.clientWidth") == PHONE["width"]
    no_horizontal_overflow(page)
    screenshot(page, "status-page-phone.png")
    choose_country(page, "LV", LATVIA)
    no_horizontal_overflow(page)
    page.locator("#crossing-list .source-button").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("mark")).to_be_in_viewport()
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_horizontal_overflow(page)
    screenshot(page, "status-page-phone-source.png")
    assert phone.errors == []


def luminance(colour: str) -> float:
    red, green, blue = (int(c) / 255 for c in re.findall(r"\d+", colour)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_status_badges_meet_wcag_aa_contrast(tab: Tab) -> None:
    page = tab.open()
    for status in ("open", "closed", "restricted", "unknown"):
        badge = page.locator(f".badge-{status}").first
        expect(badge).to_have_text(status)
        colour, background = badge.evaluate(
            "node => [getComputedStyle(node).color, getComputedStyle(node).backgroundColor]"
        )
        assert contrast(colour, background) >= 4.5, (status, colour, background)


def test_highlight_and_focus_ring_meet_wcag_aa_contrast(tab: Tab) -> None:
    page = tab.open()
    page.locator(".source-button").first.focus()
    ring = focused(page, "getComputedStyle(node).outlineColor")
    assert contrast(ring, "rgb(255, 255, 255)") >= 3
    page.keyboard.press("Enter")
    mark = page.get_by_role("dialog").locator("mark")
    expect(mark).to_be_visible()
    colour, background = mark.evaluate(
        "node => [getComputedStyle(node).color, getComputedStyle(node).backgroundColor]"
    )
    assert contrast(colour, background) >= 4.5


# --- offsets are code points -------------------------------------------------------------------


def add_astral_characters(seed_dir: Path) -> None:
    """Put characters outside the BMP (two flags) at the end of the article's first line."""
    path = seed_dir / "articles" / ASTRAL_FILE
    first, rest = path.read_bytes().decode("utf-8").split("\n", 1)
    path.write_bytes(f"{first}{ASTRAL_TEXT}\n{rest}".encode())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    def edit(records: Records) -> None:
        records["sources"][ASTRAL_FILE]["sha256"] = digest

    edit_records(seed_dir, edit)


@pytest.fixture(scope="module")
def astral_server(
    sqlite_databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    seed_dir = tmp_path_factory.mktemp("astral") / "seed_data"
    shutil.copytree(SEED_DIR, seed_dir)
    add_astral_characters(seed_dir)
    with seeded_server(sqlite_databases, seed_dir) as live:
        yield live


def test_the_highlight_counts_code_points_not_utf16_units(
    browser: Browser, astral_server: LiveServer
) -> None:
    source = astral_server.get(f"/v1/sources/{ASTRAL_FILE}")
    assert ASTRAL_TEXT in source["text"]
    terehova = astral_server.get("/v1/crossings?q=terehova")["data"][0]
    provenance = terehova["provenance"][0]
    assert provenance["source_file"] == ASTRAL_FILE
    # In UTF-16 the sentence starts later than its code point offset says.
    utf16_start = len(source["text"][: provenance["char_start"]].encode("utf-16-le")) // 2
    assert utf16_start > provenance["char_start"]

    tab = new_tab(browser, astral_server, DESKTOP)
    page = tab.open()
    page.get_by_label("Name", exact=True).fill("terehova")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.locator("#crossing-list h3")).to_have_text(["Terehova – Burachki"])
    page.get_by_role("button", name="Source 1 for Terehova", exact=True).click()
    dialog_shows_the_cited_sentence(page, astral_server, provenance)
    assert tab.errors == []
    page.context.close()
