"""The transparency report page over HTTP: figures and inline SVG charts, downloads, who may run it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.api.console.conftest import BrowserPage, Console, LiveServer, csrf
from tests.api.console.test_cases import check_both_languages, open_case


def test_report_with_figures_and_charts(console: Console, exchange: Exchange, operator: Caller) -> None:
    """After a platform's case is confirmed with a removal, its admin's report counts the item matched and
    removed, by label, in SVG charts with the numbers as text, and nothing is loaded from elsewhere."""
    case_id = open_case(exchange, operator)
    reviewer = console.login_as("reviewer", "platform")
    token = csrf(reviewer.get(f"/cases/{case_id}"))
    reviewer.post(
        f"/cases/{case_id}/decide",
        data={"move": "confirm", "action": "remove", "reason": "Propaganda.", "csrf_token": token},
    )
    page = console.login_as("admin", "platform").get("/reports")
    assert page.status_code == 200
    main = re.search(r"<main.*?</main>", page.text, re.S)
    assert main is not None
    html = main.group(0)
    assert 'data-metric="actions.remove"' in html
    removed = re.search(
        r'data-metric="actions.remove"><th scope="row">[^<]*</th><td class="score">(\d+)', html
    )
    assert removed is not None and removed.group(1) == "1"
    assert "<svg" in html and "<rect" in html
    assert "propaganda" in html
    assert "http" not in html.split("<svg", 1)[1].replace('xmlns="http://www.w3.org/2000/svg"', "")
    month = datetime.now(UTC).strftime("%Y-%m")
    assert month in html


def test_downloads_and_refusals(console: Console) -> None:
    """The CSV download is an attachment; a reversed period is refused on the page; analysts are 403."""
    admin = console.login_as("admin", "platform")
    org = admin.get("/reports")
    org_id = re.search(r'option value="([0-9a-f-]{36})" selected', org.text)
    assert org_id is not None
    csv = admin.get(f"/reports/download?org={org_id.group(1)}&from=2026-01-01&to=2026-01-31&format=csv")
    assert csv.status_code == 200
    assert csv.headers["content-disposition"].startswith("attachment")
    assert csv.text.startswith("section,metric,dimension,value,name")
    reversed_period = admin.get("/reports?from=2026-02-01&to=2026-01-01")
    assert reversed_period.status_code == 422
    assert "&#39;to&#39;" in reversed_period.text
    assert console.login_as("analyst", "platform").get("/reports").status_code == 403


def test_member_admins_report_on_their_own_organization_only(console: Console) -> None:
    """A member's admin asking for another organization's report is refused by the service (403)."""
    admin = console.login_as("admin", "platform")
    assert admin.get("/reports?org=coalition").status_code == 403


@pytest.mark.browser
def test_report_page_in_the_browser(browser_page: BrowserPage, live_server: LiveServer) -> None:
    """A platform's admin sees the report of the platform with its charts; the page passes axe in English
    and Arabic."""
    open_case(live_server.exchange, live_server.operator, "platform", f"item-{uuid4().hex[:6]}")
    page = browser_page("admin", org="platform")
    page.goto("/reports")
    page.wait_for_selector("#report")
    assert page.locator("main svg").count() >= 1
    check_both_languages(page, "/reports", "report")


def test_the_report_link_is_shown_to_admins_and_auditors_only(console: Console) -> None:
    """The navigation links the report for admins and auditors, once each, and not for analysts."""
    for role, count in (("admin", 1), ("auditor", 1), ("analyst", 0), ("reviewer", 0)):
        nav = console.login_as(role).get("/").text.split('<nav class="side"')[1].split("</nav>")[0]
        assert nav.count('href="/reports"') == count, role
