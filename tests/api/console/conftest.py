"""Fixtures of the console tests: signed-in HTTP clients, a live server and a browser.

HTTP level: `console.login_as(role)` makes a user of that role (in organization `org`, created when
needed) with a password, logs in through the login form and returns the signed-in `TestClient`;
`csrf(response)` reads the CSRF token of a page.

Browser level (tests marked `browser`): one uvicorn server per session on a loopback port over a
temporary SQLite home (initialised with the bundled UN list and a content bank holding one drawn image),
one headless Chromium for the browser tests (Debian's, never a downloaded one), a fresh browser context
per test.
`browser_page(role)` returns a page logged in as a new user of that role; `check_axe(page)` fails on
serious or critical axe-core violations; `screenshot(page, name, lang)` writes
`artifacts/screenshots/NAME-LANG.png`. Without Chromium the browser tests skip, and fail when CI=true.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from PIL import Image

from ctexchange.api.app import create_app
from ctexchange.service.auth import ConsoleLogins, login_policy
from ctexchange.service.content import ContentItem
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange, open_exchange
from ctexchange.settings import Settings
from tests.conftest import TEST_KEY_COST
from tests.media import edited, pattern, png

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "a long test password"
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "console"
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf(response: Any) -> str:
    """Return the CSRF token of a rendered page."""
    found = CSRF.search(response.text)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def make_user(exchange: Exchange, operator: Caller, org: str, role: str, name: str | None = None) -> str:
    """Create a user (and its organization when needed) with the test password; return its name."""
    orgs = {o.name: o for o in exchange.members.orgs(operator)}
    if org not in orgs:
        exchange.members.create_org(operator, org, "national-agency")
    user_name = name or f"{role}-{secrets.token_hex(3)}"
    exchange.members.create_user(operator, org, user_name, role)
    logins = ConsoleLogins(exchange.store, exchange.clock, login_policy(exchange.settings))
    logins.set_password(operator, user_name, PASSWORD)
    return user_name


def log_in(client: TestClient, user: str, password: str = PASSWORD) -> Any:
    """Log in through the form; return the response of the post (after redirects)."""
    page = client.get("/login")
    return client.post("/login", data={"username": user, "password": password, "csrf_token": csrf(page)})


@dataclass
class Console:
    """Makes signed-in clients of the app over the test exchange."""

    exchange: Exchange
    operator: Caller
    clients: list[TestClient] = field(default_factory=list)

    def client(self) -> TestClient:
        """A client of the app with no session."""
        made = TestClient(create_app(self.exchange.settings, self.exchange))
        made.__enter__()
        self.clients.append(made)
        return made

    def login_as(self, role: str, org: str = "coalition", name: str | None = None) -> TestClient:
        """A client signed in as a new user of `role` in `org`."""
        user = make_user(self.exchange, self.operator, org, role, name)
        made = self.client()
        response = log_in(made, user)
        assert response.status_code == 200, response.text[:500]
        made.headers["X-Test-User"] = user
        return made


@pytest.fixture
def console(exchange: Exchange, operator: Caller) -> Iterator[Console]:
    """Signed-in clients over the test exchange (`console.login_as(role)`)."""
    made = Console(exchange, operator)
    yield made
    for client in made.clients:
        client.__exit__(None, None, None)


# -- the live server and the browser -----------------------------------------------------------------


def require_chromium() -> None:
    """Skip (developer machine) or fail (CI=true) when Debian's Chromium is missing."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; CI must run the browser tests")
    pytest.skip(message)


@dataclass
class LiveServer:
    """The app served by uvicorn in a thread, and the exchange it serves."""

    url: str
    exchange: Exchange
    operator: Caller
    bank_image: bytes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _seed(exchange: Exchange, operator: Caller) -> bytes:
    """Load the bundled UN list and a propaganda bank holding one drawn image; return the image."""
    exchange.imports.import_bundled_un_list(operator)
    exchange.collections.create(operator, "propaganda", "GREEN")
    item = ContentItem(file=png(pattern(7)), labels=["propaganda"], external_id="gifct-0007")
    exchange.content.add(operator, "propaganda", [item])
    return edited(7)  # a near-duplicate of the banked image, a few bits away


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The console served on a loopback port over a temporary SQLite home (one per session)."""
    from ctexchange.cli.setup import initialise

    home = tmp_path_factory.mktemp("console-home")
    port = _free_port()
    settings = Settings(home=str(home), key_hash_cost=TEST_KEY_COST, host="127.0.0.1", port=port)
    initialise(settings, "coalition", "admin", with_un_list=False)
    exchange = open_exchange(settings)
    operator = exchange.operator("browser-tests")
    image = _seed(exchange, operator)
    config = uvicorn.Config(create_app(settings, exchange), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # readiness, not a timed assertion: the server says when it listens
        if not thread.is_alive():
            pytest.fail("the console server did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", exchange, operator, image)
    server.should_exit = True
    thread.join()
    exchange.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (Debian's binary, launched by Playwright).

    Module scope, not session: Playwright's sync API runs an event loop in the main thread while it is
    open, and later tests that call `asyncio.run()` must not find it still running. The browser tests
    are one module, so this is one browser for all of them.
    """
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


BrowserPage = Callable[..., Any]


@pytest.fixture
def browser_page(browser: Any, live_server: LiveServer) -> Iterator[BrowserPage]:
    """Return a factory: `browser_page(role, lang=None)` is a page logged in as a new user of `role`."""
    contexts: list[Any] = []

    def make(role: str | None = None, org: str = "coalition", locale: str = "en-US") -> Any:
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        if role is not None:
            user = make_user(live_server.exchange, live_server.operator, org, role)
            page.goto("/login")
            page.fill("#username", user)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit].primary")
            page.wait_for_url(re.compile(r".*/$"))
        return page

    yield make
    for context in contexts:
        context.close()


def check_axe(page: Any) -> None:
    """Fail when axe-core finds a serious or critical violation on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response.get("violations", [])
    bad = [v for v in violations if v.get("impact") in ("serious", "critical")]
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
    assert not bad, f"axe violations on {page.url}: {summary}"


def screenshot(page: Any, name: str, lang: str) -> Path:
    """Save a full-page screenshot as artifacts/screenshots/NAME-LANG.png; return its path.

    With CTX_UPDATE_DOCS_SCREENSHOTS=1 a copy reduced to 128 colours (a third of the size) also goes to
    docs/console/ for docs/console.md.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{lang}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CTX_UPDATE_DOCS_SCREENSHOTS") == "1":
        with Image.open(path) as shot:
            small = shot.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(DOCS_SCREENSHOTS / path.name, optimize=True)
    return path
