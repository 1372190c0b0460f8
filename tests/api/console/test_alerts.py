"""Alerts over HTTP: issue one to another organization, the recipient acknowledges it once, refused values
are shown on the page, and an alert is the same 404 for an organization it was not sent to."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from ctexchange.service.exchange import Exchange
from tests.api.console.conftest import BrowserPage, Console, LiveServer, csrf
from tests.api.console.test_cases import check_both_languages


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found is not None
    return found.group(0)


def issue(client: TestClient, exchange: Exchange, to: str = "agency", **fields: Any) -> Any:
    """Post the issue form as the client's user to organization `to`; return the response."""
    orgs = {o.name: o.id for o in exchange.members.orgs(exchange.operator("t"))}
    until = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    data: dict[str, Any] = {
        "title": "Fighter reported travelling to Istanbul",
        "kind": "fighter-travel",
        "details": "Seen boarding a flight.",
        "subject_names": "Abu Example, أبو مثال",
        "subject_schema": "Person",
        "location": "Istanbul airport",
        "location_country": "tr",
        "valid_until": until,
        "marking": "AMBER",
        "orgs": [str(orgs[to])],
        "csrf_token": csrf(client.get("/alerts")),
    }
    data.update(fields)
    return client.post("/alerts", data=data)


def _id(response: Any) -> str:
    found = re.search(r"/alerts/([0-9a-f-]{36})", str(response.url))
    assert found is not None, response.url
    return found.group(1)


def test_issue_and_acknowledge(console: Console, exchange: Exchange) -> None:
    """Police issues an AMBER alert to the agency; the agency sees it pending in its list, acknowledges it
    from the list, and the issuer sees the acknowledgement; a second acknowledgement is refused (409)."""
    police = console.login_as("analyst", "police")
    agency = console.login_as("analyst", "agency")
    issued = issue(police, exchange)
    assert issued.status_code == 200
    alert_id = _id(issued)
    assert "Istanbul airport" in issued.text and "أبو مثال" in issued.text
    assert 'data-ack="pending"' in issued.text
    listing = agency.get("/alerts")
    assert f'data-alert="{alert_id}"' in listing.text
    assert f'action="/alerts/{alert_id}/acknowledge"' in listing.text
    acked = agency.post(f"/alerts/{alert_id}/acknowledge", data={"back": "list", "csrf_token": csrf(listing)})
    assert acked.status_code == 200
    assert f'action="/alerts/{alert_id}/acknowledge"' not in acked.text
    assert 'data-ack="acknowledged"' in police.get(f"/alerts/{alert_id}").text
    again = agency.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf(acked)})
    assert again.status_code == 409
    assert "acknowledgement cannot move" in again.text


def test_refused_values_are_shown_on_the_form(console: Console, exchange: Exchange) -> None:
    """A validity in the past is refused (422) with the service's message; a fighter-travel alert without a
    subject too; the form keeps the title."""
    police = console.login_as("analyst", "police")
    console.login_as("analyst", "agency")
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = issue(police, exchange, valid_until=past)
    assert refused.status_code == 422
    assert "valid_until" in refused.text
    assert "Fighter reported travelling" in refused.text
    no_subject = issue(police, exchange, subject_names="")
    assert no_subject.status_code == 422
    assert "subject" in _main(no_subject.text)


def test_cancel_with_a_reason(console: Console, exchange: Exchange) -> None:
    """The issuer cancels the alert with a reason; it is then shown cancelled with the reason."""
    police = console.login_as("analyst", "police")
    console.login_as("analyst", "agency")
    alert_id = _id(issue(police, exchange))
    page = police.get(f"/alerts/{alert_id}")
    cancelled = police.post(
        f"/alerts/{alert_id}/cancel", data={"reason": "Arrested.", "csrf_token": csrf(page)}
    )
    assert 'data-state="cancelled"' in cancelled.text
    assert "Arrested." in cancelled.text


def test_other_organizations_get_the_same_404_as_for_none(console: Console, exchange: Exchange) -> None:
    """An organization the alert was not sent to sees the page of an id that does not exist, and cannot
    acknowledge it."""
    police = console.login_as("analyst", "police")
    console.login_as("analyst", "agency")
    alert_id = _id(issue(police, exchange))
    outsider = console.login_as("analyst", "bystander")
    hidden, absent = outsider.get(f"/alerts/{alert_id}"), outsider.get(f"/alerts/{uuid4()}")
    assert hidden.status_code == absent.status_code == 404
    assert _main(hidden.text) == _main(absent.text)
    token = csrf(outsider.get("/alerts"))
    assert outsider.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": token}).status_code == 404
    assert f'data-alert="{alert_id}"' not in outsider.get("/alerts?box=all&state=").text


def test_reviewers_read_alerts_but_issue_none(console: Console) -> None:
    """A reviewer has no issue form and posting one is 403."""
    reviewer = console.login_as("reviewer", "police")
    page = reviewer.get("/alerts")
    assert page.status_code == 200
    assert "issue-form" not in page.text
    assert reviewer.post("/alerts", data={"title": "x", "csrf_token": csrf(page)}).status_code == 403


# -- in the browser ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_issue_and_acknowledge_an_alert_in_two_browsers(
    browser_page: BrowserPage, live_server: LiveServer
) -> None:
    """Police issues an alert to the agency from the alerts page; the agency (another browser context) sees
    it waiting, acknowledges it from the list, and police's alert page shows the acknowledgement. The list
    and the alert page pass axe in English and Arabic."""
    police = browser_page("analyst", org="police")
    agency = browser_page("analyst", org="agency")
    check_both_languages(police, "/alerts", "alerts")
    title = f"Imminent threat {uuid4().hex[:6]}"
    police.goto("/alerts")
    police.fill("#i-title", title)
    police.select_option("#i-kind", "imminent-threat")
    police.fill("#i-until", (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    police.fill("#i-loc", "Central station")
    agency_id = next(
        o.id for o in live_server.exchange.members.orgs(live_server.operator) if o.name == "agency"
    )
    police.check(f"#i-org-{agency_id}")
    police.click("#issue-form button.primary")
    police.wait_for_selector("#alert-state[data-state=issued]")
    alert_id = police.url.split("/alerts/")[1].split("?")[0]
    agency.goto("/alerts")
    row = agency.locator(f"tr[data-alert='{alert_id}']")
    assert title in row.inner_text()
    row.locator("button").click()
    agency.wait_for_selector("p.notice")
    assert agency.locator(f"tr[data-alert='{alert_id}'] button").count() == 0
    police.goto(f"/alerts/{alert_id}")
    assert police.get_attribute(f"#recipients li[data-org='{agency_id}']", "data-ack") == "acknowledged"
    check_both_languages(police, f"/alerts/{alert_id}", "alert")
