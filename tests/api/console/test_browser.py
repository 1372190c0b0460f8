"""The console in a real browser: Debian's Chromium driven by Playwright, checked with axe-core.

Screenshots of every page in English and Arabic go to artifacts/screenshots/ (docs/console.md).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.console.conftest import PASSWORD, BrowserPage, LiveServer, check_axe, make_user, screenshot

pytestmark = pytest.mark.browser

PAGES = {"dashboard": "/", "screening": "/screening", "content": "/content", "admin": "/admin/users"}


def _switch_language(page: Any, code: str) -> None:
    page.click(f"button[data-lang={code}]")
    page.wait_for_selector(f"html[lang={code}]")


def test_login_keyboard_and_screenshots(browser_page: BrowserPage, live_server: LiveServer) -> None:
    """The skip link comes first, the form is reachable in order by keyboard, and a login by keyboard
    alone reaches the dashboard; the login page passes axe in English and Arabic."""
    user = make_user(live_server.exchange, live_server.operator, "coalition", "analyst")
    page = browser_page()
    page.goto("/login")
    check_axe(page)
    screenshot(page, "login", "en")
    assert page.evaluate("document.activeElement.id") == "username"  # autofocus
    order = []
    for _ in range(3):
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
        page.keyboard.press("Tab")
    assert order == ["username", "password", "Log in"]
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.focus("#password")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.keyboard.press("Tab")  # a page without autofocus: the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    assert page.evaluate("document.activeElement.id") == "main"
    _switch_language(page, "ar")
    page.click("button.link")  # log out, in Arabic
    page.wait_for_selector("#username")
    assert page.get_attribute("html", "dir") == "rtl"
    check_axe(page)
    screenshot(page, "login", "ar")


def test_lockout_in_the_browser(browser_page: BrowserPage, live_server: LiveServer) -> None:
    """After the configured failures the right password is refused with the same message."""
    user = make_user(live_server.exchange, live_server.operator, "coalition", "analyst")
    page = browser_page()
    attempts = live_server.exchange.settings.console_lockout_attempts
    for password in ["wrong password"] * attempts + [PASSWORD]:
        page.goto("/login")
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("button.primary")
        page.wait_for_selector("#login-error")
    assert "/login" in page.url
    assert "locked" in page.inner_text("#login-error")


def test_screen_a_un_name_and_read_its_explanation(browser_page: BrowserPage) -> None:
    """An analyst screens a name of the bundled UN list and reads the explained result (htmx)."""
    page = browser_page("analyst")
    page.goto("/screening")
    page.fill("#q-name", "Aiman al-Zawahiri")
    page.fill("#q-birth", "1951")
    page.click("form[hx-post='/screening'] button.primary")
    hit = page.wait_for_selector("#result li.hit")
    text = hit.inner_text()
    assert "QDi.006" in text and "AIMAN MUHAMMED RABI AL-ZAWAHIRI" in text
    assert "أيمن محمد ربيع الظواهري" in text  # the original script next to the Latin name
    assert page.locator("#result tr[data-feature=name]").count() >= 1
    assert page.locator("#result tr[data-feature=birth_date]").count() >= 1
    pairs = page.locator("#result li.hit").first.locator("table.pairs tbody tr")
    assert pairs.count() >= 2
    assert page.url.endswith("/screening")  # no full page load: htmx swapped the result in
    check_axe(page)
    screenshot(page, "screening", "en")


def test_batch_screening_shows_live_progress(browser_page: BrowserPage) -> None:
    """A CSV upload shows its progress, which polls itself until the download link appears."""
    page = browser_page("analyst")
    page.goto("/screening")
    rows = "\n".join(f"r{i},Person Number {i}" for i in range(60))
    page.set_input_files(
        "#batch-file",
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": f"id,name\n{rows}\n".encode()}],
    )
    page.click("form[hx-post='/screening/batch'] button.primary")
    page.wait_for_selector("#batch .batch-job")
    link = page.wait_for_selector("#batch a[download]", timeout=60_000)
    assert link.get_attribute("href").endswith("/results.jsonl")
    assert page.get_attribute("#batch .batch-job", "data-done") == "60"


def test_look_up_an_image_from_a_bank(browser_page: BrowserPage, live_server: LiveServer) -> None:
    """Dropping an edited copy of a banked image finds it with its distance and label."""
    page = browser_page("analyst", org="platform")
    page.goto("/content")
    payload = list(live_server.bank_image)
    page.evaluate(
        """(bytes) => {
            const file = new File([new Uint8Array(bytes)], "upload.jpg", {type: "image/jpeg"});
            const transfer = new DataTransfer();
            transfer.items.add(file);
            const zone = document.querySelector(".dropzone");
            for (const type of ["dragover", "drop"]) {
                const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
                zone.dispatchEvent(new DragEvent(type, init));
            }
        }""",
        payload,
    )
    assert page.inner_text(".dropzone [data-file-name]") == "upload.jpg"
    page.click("form[hx-post='/content'] button.primary")
    row = page.wait_for_selector("#result tr[data-signal]")
    distance = row.query_selector("[data-distance]")
    assert distance is not None and int(distance.get_attribute("data-distance") or "999") <= 31
    assert row.query_selector("[data-label=propaganda]") is not None
    assert "gifct-0007" in row.inner_text()
    check_axe(page)
    screenshot(page, "content", "en")


ADMIN_SECTIONS = {f"admin-{s}": f"/admin/{s}" for s in ("orgs", "keys", "groups", "imports")}


@pytest.mark.parametrize("name", list(PAGES) + list(ADMIN_SECTIONS))
def test_pages_pass_axe_in_english(browser_page: BrowserPage, name: str) -> None:
    """Every page has no serious or critical accessibility violation; screenshots in English."""
    page = browser_page("admin")
    page.goto({**PAGES, **ADMIN_SECTIONS}[name])
    page.wait_for_selector("main h1")
    check_axe(page)
    if name in ("dashboard", "admin"):
        screenshot(page, name, "en")


def test_arabic_is_right_to_left_and_mirrored(browser_page: BrowserPage) -> None:
    """After switching to Arabic every page is dir=rtl, the navigation sits on the right of the main
    column, the choice survives navigation, and every page passes axe; screenshots in Arabic."""
    page = browser_page("admin")
    page.goto("/")
    english_nav = page.locator("nav.side").bounding_box()
    english_main = page.locator("main").bounding_box()
    assert english_nav is not None and english_main is not None
    assert english_nav["x"] < english_main["x"]
    _switch_language(page, "ar")
    for name, path in PAGES.items():
        page.goto(path)
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.get_attribute("html", "lang") == "ar"
        nav, main = page.locator("nav.side").bounding_box(), page.locator("main").bounding_box()
        assert nav is not None and main is not None
        assert nav["x"] > main["x"], f"{name}: the navigation is not on the right"
        assert page.locator("button[data-lang=ar][aria-pressed=true]").count() == 1
        if name == "screening":
            page.fill("#q-name", "أيمن الظواهري")
            page.click("form[hx-post='/screening'] button.primary")
            page.wait_for_selector("#result li.hit")
        if name == "content":
            page.fill("#c-text", "نص للبحث")
            page.click("form[hx-post='/content'] button.primary")
            page.wait_for_selector("#result .card")
        check_axe(page)
        screenshot(page, name, "ar")
    assert re.search(r"[\u0600-\u06FF]", page.inner_text("main h1"))
