"""The audit page over HTTP: events with filters and the hash chain's verification status."""

from __future__ import annotations

import re
import sqlite3

import pytest

from ctexchange.service.exchange import Exchange
from tests.api.console.conftest import BrowserPage, Console
from tests.api.console.test_cases import check_both_languages


def test_operator_auditor_sees_the_chain_verified(console: Console) -> None:
    """An auditor of the operator organization reads the events and sees the chain verified, with its
    head to record as an anchor; the head as anchor verifies too, a wrong one is refused."""
    client = console.login_as("auditor", "coalition")
    page = client.get("/audit")
    assert page.status_code == 200
    assert 'data-chain="intact"' in page.text
    assert "console.login" in page.text
    head = re.search(r"(\d+):([0-9a-f]{64})", page.text)
    assert head is not None
    anchored = client.get(f"/audit?anchor={head.group(0)}")
    assert 'data-chain="intact"' in anchored.text
    assert client.get("/audit?anchor=nonsense").status_code == 422
    only_logins = client.get("/audit?action=console.login")
    actions = set(re.findall(r'<code dir="ltr">([a-z_.]+)</code>', only_logins.text))
    assert actions == {"console.login"}


def test_a_broken_chain_is_shown_with_the_first_bad_event(console: Console, exchange: Exchange) -> None:
    """An event edited in the database makes the page say the chain is broken at that event."""
    client = console.login_as("auditor", "coalition")
    with sqlite3.connect(exchange.settings.home_path / "ctx.sqlite3") as conn:
        conn.execute("UPDATE audit_events SET actor = 'forged' WHERE seq = 2")
    page = client.get("/audit")
    assert 'data-chain="broken"' in page.text
    assert "edited: event 2 does not match its hash" in page.text


def test_member_auditors_read_their_events_without_the_chain(console: Console) -> None:
    """An auditor of a member organization reads its organization's events; the whole chain is the
    operator's to verify."""
    client = console.login_as("auditor", "agency")
    page = client.get("/audit")
    assert page.status_code == 200
    assert 'data-chain="not-verified"' in page.text


def test_other_roles_may_not_read_the_audit_log(console: Console) -> None:
    """Admins and analysts get the 403 page, and no navigation link."""
    client = console.login_as("analyst")
    assert client.get("/audit").status_code == 403
    assert 'href="/audit"' not in client.get("/").text


@pytest.mark.browser
def test_audit_page_shows_the_chain_verified_in_the_browser(browser_page: BrowserPage) -> None:
    """An auditor of the operator organization sees the chain verified; the page passes axe in English and
    Arabic."""
    page = browser_page("auditor", org="coalition")
    page.goto("/audit")
    assert page.get_attribute("#chain-status", "data-chain") == "intact"
    check_both_languages(page, "/audit", "audit")
