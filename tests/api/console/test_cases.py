"""The review queue and the case page over HTTP: decide with a reason, removal orders, complaints and
their outcome, and the same 404 for another organization's case as for one that does not exist."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ctexchange.domain.cases import CaseQuery, CaseStatus
from ctexchange.domain.queries import AuditQuery, PageRequest
from ctexchange.service.content import ContentItem, ContentQuery
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.api.console.conftest import BrowserPage, Console, LiveServer, check_axe, csrf, screenshot

BAD = "a" * 64


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found is not None
    return found.group(0)


def open_case(exchange: Exchange, operator: Caller, org: str = "platform", item: str = "item-1") -> str:
    """Make a review bank, a platform with an upload pipeline, and let the pipeline match one item; return
    the id of the case it opened."""
    names = {c.name for c in exchange.collections.list(operator)}
    if "tco" not in names:
        exchange.collections.create(operator, "tco", "GREEN", requires_review=True)
        exchange.content.add(operator, "tco", [ContentItem(None, {"sha256": BAD}, ["propaganda"])])
    if org not in {o.name for o in exchange.members.orgs(operator)}:
        exchange.members.create_org(operator, org, "online-service")
    pipeline_name = f"pipeline-{uuid4().hex[:6]}"
    exchange.members.create_user(operator, org, pipeline_name, "service")
    pipeline = exchange.auth.authenticate(exchange.members.create_key(operator, pipeline_name, "k").text, "t")
    exchange.content.match(pipeline, ContentQuery(sha256=BAD, id=item))
    [case] = [
        c
        for c in exchange.cases.find(pipeline, CaseQuery(item_id=item), PageRequest(10)).items
        if c.status is CaseStatus.OPEN
    ]
    return str(case.id)


def overseer(exchange: Exchange, operator: Caller) -> Caller:
    """An auditor of the operator organization (reads every audit event)."""
    name = f"overseer-{uuid4().hex[:6]}"
    exchange.members.create_user(operator, "coalition", name, "auditor")
    return exchange.auth.authenticate(exchange.members.create_key(operator, name, "k").text, "t")


@pytest.fixture
def case_id(exchange: Exchange, operator: Caller) -> str:
    """An open case of organization `platform` (item `item-1`)."""
    return open_case(exchange, operator)


def test_queue_lists_the_case_with_its_filters(console: Console, case_id: str) -> None:
    """The reviewer's queue lists the open case; filtering on another status leaves it out."""
    client = console.login_as("reviewer", "platform")
    page = client.get("/cases")
    assert page.status_code == 200
    assert f'data-case="{case_id}"' in page.text
    assert "item-1" in _main(page.text)
    assert f'data-case="{case_id}"' not in client.get("/cases?status=confirmed").text
    assert f'data-case="{case_id}"' in client.get("/cases?status=open&quarantined=no").text
    assert client.get("/cases?quarantined=maybe").status_code == 422


def test_case_page_shows_the_hit_signal_and_labels(console: Console, case_id: str) -> None:
    """The case page names the bank, the kind, the label of the signal and its marking, and offers the
    three first moves."""
    page = console.login_as("reviewer", "platform").get(f"/cases/{case_id}")
    assert page.status_code == 200
    main = _main(page.text)
    assert "tco" in main
    assert "propaganda" in main
    assert "TLP:GREEN" in main
    for move in ("confirm", "reject", "escalate"):
        assert f'value="{move}"' in main
    assert 'value="uphold"' not in main


def test_decide_needs_a_reason_and_confirms_with_the_action(
    console: Console, exchange: Exchange, operator: Caller, case_id: str
) -> None:
    """Without a reason the decision is refused on the page (422, naming the field); with one the case is
    confirmed with the action and the decision is in its history and the audit log."""
    client = console.login_as("reviewer", "platform")
    token = csrf(client.get(f"/cases/{case_id}"))
    refused = client.post(
        f"/cases/{case_id}/decide",
        data={"move": "confirm", "action": "remove", "reason": " ", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "&#39;reason&#39;" in refused.text or "'reason'" in refused.text
    done = client.post(
        f"/cases/{case_id}/decide",
        data={"move": "confirm", "action": "restrict", "reason": "Clear propaganda.", "csrf_token": token},
    )
    assert done.status_code == 200
    assert 'data-status="confirmed"' in done.text
    assert "Clear propaganda." in done.text
    assert 'value="complain"' not in done.text  # only a removal takes a complaint
    actions = [e.entry.action for e in exchange.audit.events(overseer(exchange, operator), AuditQuery())]
    assert "case.confirm" in actions


def test_removal_order_clock_complaint_and_reinstatement(console: Console, case_id: str) -> None:
    """A removal order recorded 10 minutes ago shows the clock; removing within the hour shows it in
    time; the complaint shows its two-week deadline; reinstating ends the case."""
    client = console.login_as("reviewer", "platform")
    token = csrf(client.get(f"/cases/{case_id}"))
    received = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(f"/cases/{case_id}/removal-order", data={"received_at": received, "csrf_token": token})
    assert page.status_code == 200
    assert "min left" in _main(page.text)
    page = client.post(
        f"/cases/{case_id}/decide",
        data={"move": "confirm", "action": "remove", "reason": "Order executed.", "csrf_token": token},
    )
    assert "within one hour" in _main(page.text)
    assert "/cases?" not in page.url.path
    page = client.post(
        f"/cases/{case_id}/decide",
        data={"move": "complain", "reason": "The uploader says it is news.", "csrf_token": token},
    )
    assert 'data-status="complained"' in page.text
    assert "complaint to decide by" in _main(page.text)
    for move in ("uphold", "reinstate"):
        assert f'value="{move}"' in page.text
    page = client.post(
        f"/cases/{case_id}/decide",
        data={"move": "reinstate", "reason": "It is news reporting.", "csrf_token": token},
    )
    assert 'data-status="reinstated"' in page.text
    assert "decide-form" not in page.text  # final: nothing more to decide


def test_evidence_of_a_removal_downloads_as_a_file(
    console: Console, exchange: Exchange, operator: Caller, case_id: str
) -> None:
    """After a removal, evidence the reviewer's organization attached is listed on the case and downloads
    as an attachment; an outsider's download is 404."""
    client = console.login_as("reviewer", "platform")
    token = csrf(client.get(f"/cases/{case_id}"))
    client.post(
        f"/cases/{case_id}/decide",
        data={"move": "confirm", "action": "remove", "reason": "Removed.", "csrf_token": token},
    )
    filer = f"filer-{uuid4().hex[:6]}"
    exchange.members.create_user(operator, "platform", filer, "reviewer")
    caller = exchange.auth.authenticate(exchange.members.create_key(operator, filer, "k").text, "t")
    kept = exchange.cases.attach_evidence(caller, case_id, b"the removed bytes", "video/mp4")
    page = client.get(f"/cases/{case_id}")
    assert f'data-evidence="{kept.id}"' in page.text
    download = client.get(f"/cases/{case_id}/evidence/{kept.id}")
    assert download.content == b"the removed bytes"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-security-policy"] == "sandbox"
    outsider = console.login_as("reviewer", "agency")
    assert outsider.get(f"/cases/{case_id}/evidence/{kept.id}").status_code == 404


def test_an_illegal_move_is_refused_with_the_services_message(console: Console, case_id: str) -> None:
    """Upholding an open case is refused (409) with the state machine's message, shown on the case page."""
    client = console.login_as("reviewer", "platform")
    token = csrf(client.get(f"/cases/{case_id}"))
    page = client.post(
        f"/cases/{case_id}/decide", data={"move": "uphold", "reason": "x", "csrf_token": token}
    )
    assert page.status_code == 409
    assert "cannot move from &#39;open&#39; to &#39;upheld&#39;" in page.text


def test_another_organizations_case_is_the_same_404_as_none(console: Console, case_id: str) -> None:
    """A reviewer of another organization gets exactly the page of an id that does not exist, for reading
    and for deciding."""
    client = console.login_as("reviewer", "agency")
    hidden = client.get(f"/cases/{case_id}")
    absent = client.get(f"/cases/{uuid4()}")
    assert hidden.status_code == absent.status_code == 404
    assert _main(hidden.text) == _main(absent.text)
    token = csrf(client.get("/cases"))
    post = client.post(
        f"/cases/{case_id}/decide", data={"move": "reject", "reason": "x", "csrf_token": token}
    )
    assert post.status_code == 404
    assert f'data-case="{case_id}"' not in client.get("/cases").text


def test_auditors_read_but_are_offered_no_decision(console: Console, case_id: str) -> None:
    """An auditor of the platform reads the case without a decision form; posting one is 403."""
    client = console.login_as("auditor", "platform")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "decide-form" not in page.text
    post = client.post(
        f"/cases/{case_id}/decide", data={"move": "reject", "reason": "x", "csrf_token": csrf(page)}
    )
    assert post.status_code == 403


# -- in the browser ------------------------------------------------------------------------------------


def check_both_languages(page: Any, path: str, name: str) -> None:
    """Open `path` in English and in Arabic (right to left): axe finds no serious or critical violation in
    either, and a screenshot of each is kept as `NAME-en.png` and `NAME-ar.png`."""
    page.goto(path)
    page.wait_for_selector("main h1")
    check_axe(page)
    screenshot(page, name, "en")
    if page.get_attribute("html", "lang") != "ar":
        page.click("button[data-lang=ar]")
        page.wait_for_selector("html[lang=ar]")
    page.goto(path)
    page.wait_for_selector("main h1")
    assert page.get_attribute("html", "dir") == "rtl"
    check_axe(page)
    screenshot(page, name, "ar")
    page.click("button[data-lang=en]")
    page.wait_for_selector("html[lang=en]")


@pytest.mark.browser
def test_decide_a_case_in_the_browser(browser_page: BrowserPage, live_server: LiveServer) -> None:
    """A reviewer of the platform opens the case from the queue, records a removal order, confirms the
    removal with a reason by keyboard-reachable controls, and reads it in the history; the queue and the
    case page pass axe in English and Arabic."""
    case_id = open_case(live_server.exchange, live_server.operator, "platform", f"item-{uuid4().hex[:6]}")
    page = browser_page("reviewer", org="platform")
    check_both_languages(page, "/cases", "cases")
    page.goto("/cases")
    page.click(f"tr[data-case='{case_id}'] a")
    page.wait_for_selector("#decide-form")
    check_both_languages(page, f"/cases/{case_id}", "case")
    received = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#o-received", received)
    page.click("form[action$='/removal-order'] button")
    page.wait_for_selector("p.notice")
    assert "min left" in page.inner_text("#case-clock")
    page.check("#move-confirm")
    page.select_option("#d-action", "remove")
    page.fill("#d-reason", "Beheading video; removal order executed.")
    page.click("#decide-form button.primary")
    page.wait_for_selector("#case-status[data-status=confirmed]")
    assert "within one hour" in page.inner_text("#case-clock")
    assert "Beheading video; removal order executed." in page.inner_text("#history")
    check_axe(page)
