"""Collections and signals over HTTP: search with filters, TLP badges with text, opinions, and the same
404 for a signal the user may not see as for one that does not exist."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest

from ctexchange.domain.queries import SignalQuery
from ctexchange.service.content import ContentItem
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.api.console.conftest import BrowserPage, Console, LiveServer, csrf
from tests.api.console.test_cases import check_both_languages

GREEN_HASH = "c" * 64
RED_HASH = "d" * 64


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found is not None
    return found.group(0)


@pytest.fixture
def banks(exchange: Exchange, operator: Caller) -> dict[str, str]:
    """A GREEN bank with a propaganda hash and a RED bank of the operator; return the signals' ids."""
    exchange.collections.create(operator, "shared", "GREEN")
    exchange.collections.create(operator, "secret", "RED")
    exchange.content.add(operator, "shared", [ContentItem(None, {"sha256": GREEN_HASH}, ["propaganda"])])
    exchange.content.add(operator, "secret", [ContentItem(None, {"sha256": RED_HASH}, ["threat"])])
    found = {}
    for name in ("shared", "secret"):
        coll = exchange.collections.get(operator, name)
        [signal] = exchange.signals.find(
            operator, SignalQuery(collection_id=coll.id), exchange.signals.page_request(10, None)
        ).items
        found[name] = str(signal.id)
    return found


def test_collections_list_with_marking_text(console: Console, banks: dict[str, str]) -> None:
    """Another organization's analyst sees the GREEN bank with its marking named in text, and not the RED
    one (its count included)."""
    page = console.login_as("analyst", "agency").get("/collections")
    assert page.status_code == 200
    main = _main(page.text)
    assert 'data-collection="shared"' in main
    assert "TLP:GREEN" in main
    assert 'data-collection="secret"' not in main


def test_search_filters(console: Console, banks: dict[str, str]) -> None:
    """Filters by label, marking and text narrow the list; the RED signal never shows to others."""
    client = console.login_as("analyst", "agency")
    every = client.get("/signals")
    assert f'data-signal="{banks["shared"]}"' in every.text
    assert f'data-signal="{banks["secret"]}"' not in every.text
    assert f'data-signal="{banks["shared"]}"' in client.get("/signals?label=propaganda&q=cccc").text
    assert f'data-signal="{banks["shared"]}"' not in client.get("/signals?label=threat").text
    assert f'data-signal="{banks["shared"]}"' not in client.get("/signals?marking=AMBER").text
    assert client.get("/signals?marking=PURPLE").status_code == 422


def test_opinion_is_recorded_and_replaced(console: Console, banks: dict[str, str]) -> None:
    """An analyst of another organization disagrees with a note, then changes to false positive; the
    signal page lists the organization's one opinion."""
    client = console.login_as("analyst", "agency")
    signal_id = banks["shared"]
    page = client.get(f"/signals/{signal_id}")
    assert "TLP:GREEN" in _main(page.text)
    token = csrf(page)
    first = client.post(
        f"/signals/{signal_id}/opinions", data={"verdict": "disagree", "note": "Satire.", "csrf_token": token}
    )
    assert 'data-verdict="disagree"' in first.text and "Satire." in first.text
    second = client.post(
        f"/signals/{signal_id}/opinions", data={"verdict": "false_positive", "csrf_token": token}
    )
    assert second.text.count("data-verdict=") == 1
    assert 'data-verdict="false_positive"' in second.text
    refused = client.post(f"/signals/{signal_id}/opinions", data={"verdict": "maybe", "csrf_token": token})
    assert refused.status_code == 422
    assert "verdict" in refused.text


def test_a_hidden_signal_is_the_same_404_as_none(console: Console, banks: dict[str, str]) -> None:
    """The operator's RED signal is exactly as absent as a random id for another organization."""
    client = console.login_as("analyst", "agency")
    hidden, absent = client.get(f"/signals/{banks['secret']}"), client.get(f"/signals/{uuid4()}")
    assert hidden.status_code == absent.status_code == 404
    assert _main(hidden.text) == _main(absent.text)
    token = csrf(client.get("/signals"))
    post = client.post(f"/signals/{banks['secret']}/opinions", data={"verdict": "agree", "csrf_token": token})
    assert post.status_code == 404


def test_auditors_read_signals_without_an_opinion_form(console: Console, banks: dict[str, str]) -> None:
    """Auditors may read but not give opinions."""
    page = console.login_as("auditor", "agency").get(f"/signals/{banks['shared']}")
    assert page.status_code == 200
    assert "opinion-form" not in page.text


# -- in the browser ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_search_and_give_an_opinion_in_the_browser(
    browser_page: BrowserPage, live_server: LiveServer
) -> None:
    """An analyst of another organization filters the signals by label, opens the banked image, and marks it
    a false positive with a note; the collections, the search and the signal page pass axe in English and
    Arabic, and the marking badge names the marking in text."""
    page = browser_page("analyst", org="agency")
    check_both_languages(page, "/collections", "collections")
    check_both_languages(page, "/signals?label=propaganda", "signals")
    page.goto("/signals?label=propaganda")
    link = page.locator("#signal-list tbody tr a").first
    link.click()
    page.wait_for_selector("#opinion-form")
    assert "TLP:GREEN" in page.inner_text("main h1")
    signal_path = page.url.split("?")[0].removeprefix(live_server.url)
    page.check("#v-false_positive")
    page.fill("#v-note", "News footage, not propaganda.")
    page.click("#opinion-form button.primary")
    page.wait_for_selector("#opinions li[data-verdict=false_positive]")
    check_both_languages(page, signal_path, "signal")
