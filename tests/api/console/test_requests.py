"""Requests for assistance over HTTP: draft, send, answer and close between two organizations; only legal
moves offered; illegal ones refused with the service's message; the same 404 for outsiders as for none."""

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


def _offered(html: str) -> list[str]:
    return re.findall(r'data-move="([a-z_]+)"', html)


def draft(client: TestClient, exchange: Exchange, to: str = "agency", **fields: Any) -> Any:
    """Post the new-request form as the client's user; return the response (the draft's page)."""
    orgs = {o.name: o.id for o in exchange.members.orgs(exchange.operator("t"))}
    page = client.get("/requests/new")
    data: dict[str, Any] = {
        "requested_org": str(orgs[to]),
        "title": "Identify the uploader of a beheading video",
        "legal_basis": "Art. 7 of the coalition charter",
        "facts": "A video was uploaded on 1 May.",
        "offence": "Incitement to terrorism",
        "assistance": ["identify", "preserve_data"],
        "urgency": "urgent",
        "deadline": (datetime.now(UTC) + timedelta(days=10)).date().isoformat(),
        "confidentiality": "AMBER",
        "language": "en",
        "subject_name": "Abu Example",
        "subject_kind": "person",
        "subject_nationalities": "eg, sy",
        "csrf_token": csrf(page),
    }
    data.update(fields)
    return client.post("/requests", data=data)


def _id(response: Any) -> str:
    found = re.search(r"/requests/([0-9a-f-]{36})", str(response.url))
    assert found is not None, response.url
    return found.group(1)


def _move(client: TestClient, request_id: str, move: str, **fields: str) -> Any:
    token = csrf(client.get(f"/requests/{request_id}"))
    return client.post(f"/requests/{request_id}/move", data={"move": move, "csrf_token": token, **fields})


def test_a_request_from_draft_to_closed(console: Console, exchange: Exchange) -> None:
    """Police drafts and sends; the agency acknowledges, starts, writes a message and answers; the police
    closes. Each page offers only the moves of its side from the current status."""
    police = console.login_as("analyst", "police")
    agency = console.login_as("analyst", "agency")
    created = draft(police, exchange)
    assert created.status_code == 200
    request_id = _id(created)
    assert _offered(created.text) == ["send", "withdraw"]
    assert "Abu Example" in created.text and "EG, SY" in created.text
    assert agency.get(f"/requests/{request_id}").status_code == 404  # a draft is the requester's only
    sent = _move(police, request_id, "send")
    assert 'data-status="sent"' in sent.text
    inbox = agency.get("/requests?box=inbox")
    assert f'data-request="{request_id}"' in inbox.text
    assert _offered(agency.get(f"/requests/{request_id}").text) == ["acknowledge", "decline"]
    _move(agency, request_id, "acknowledge")
    _move(agency, request_id, "start", note="Looking into it.")
    page = agency.get(f"/requests/{request_id}")
    posted = agency.post(
        f"/requests/{request_id}/messages", data={"body": "Which platform?", "csrf_token": csrf(page)}
    )
    assert "Which platform?" in posted.text
    assert "Which platform?" in police.get(f"/requests/{request_id}").text
    refused = _move(agency, request_id, "answer", outcome="partial", note="")
    assert refused.status_code == 422
    assert "what the partial answer leaves out" in refused.text
    answered = _move(agency, request_id, "answer", outcome="full", note="Identified; see file.")
    assert 'data-status="answered"' in answered.text
    assert _offered(answered.text) == []  # the requested side has nothing left to do
    assert _offered(police.get(f"/requests/{request_id}").text) == ["close"]
    closed = _move(police, request_id, "close")
    assert 'data-status="closed"' in closed.text
    assert "msg-body" not in closed.text  # a closed request takes no message
    assert f'data-request="{request_id}"' in police.get("/requests?box=outbox&status=closed").text


def test_illegal_moves_are_refused_with_the_services_message(console: Console, exchange: Exchange) -> None:
    """The other side's move is 403 and a move the state machine refuses is 409, each with the service's
    message on the request page."""
    police = console.login_as("analyst", "police")
    agency = console.login_as("analyst", "agency")
    request_id = _id(draft(police, exchange))
    _move(police, request_id, "send")
    other_side = _move(police, request_id, "acknowledge")
    assert other_side.status_code == 403
    assert "only the requested organization may acknowledge" in other_side.text
    too_early = _move(agency, request_id, "answer", outcome="full")
    assert too_early.status_code == 409
    assert "cannot move from &#39;sent&#39; to &#39;answered&#39;" in too_early.text


def test_the_form_names_the_refused_field(console: Console, exchange: Exchange) -> None:
    """An emergency without its justification is refused on the form, which keeps what was typed."""
    police = console.login_as("analyst", "police")
    console.login_as("analyst", "agency")
    refused = draft(police, exchange, urgency="emergency", urgency_justification="")
    assert refused.status_code == 422
    assert "urgency_justification" in refused.text
    assert "Identify the uploader" in refused.text


def test_outsiders_get_the_same_404_as_for_no_request(console: Console, exchange: Exchange) -> None:
    """A third organization's analyst sees neither the request nor its messages: the 404 page is the one
    of an id that does not exist, and posting to it is 404 too."""
    police = console.login_as("analyst", "police")
    console.login_as("analyst", "agency")
    request_id = _id(draft(police, exchange))
    _move(police, request_id, "send")
    outsider = console.login_as("analyst", "bystander")
    hidden, absent = outsider.get(f"/requests/{request_id}"), outsider.get(f"/requests/{uuid4()}")
    assert hidden.status_code == absent.status_code == 404
    assert _main(hidden.text) == _main(absent.text)
    token = csrf(outsider.get("/requests"))
    assert (
        outsider.post(
            f"/requests/{request_id}/messages", data={"body": "hello", "csrf_token": token}
        ).status_code
        == 404
    )
    assert f'data-request="{request_id}"' not in outsider.get("/requests?box=inbox").text


def test_attachment_is_kept_with_its_digest_and_downloads(console: Console, exchange: Exchange) -> None:
    """A file attached to a draft is listed with its SHA-256 and downloads as an attachment."""
    police = console.login_as("analyst", "police")
    console.login_as("analyst", "agency")
    request_id = _id(draft(police, exchange))
    token = csrf(police.get(f"/requests/{request_id}"))
    page = police.post(
        f"/requests/{request_id}/attachments",
        data={"csrf_token": token},
        files={"file": ("notes.txt", b"evidence notes", "text/plain")},
    )
    assert "notes.txt" in page.text
    link = re.search(rf"/requests/{request_id}/attachments/[0-9a-f-]{{36}}", page.text)
    assert link is not None
    download = police.get(link.group(0))
    assert download.content == b"evidence notes"
    assert download.headers["content-disposition"].startswith("attachment")


def test_a_draft_is_edited_before_it_is_sent(console: Console, exchange: Exchange) -> None:
    """The draft's page links its form filled with its fields; saving replaces them; once sent it can no
    longer be edited (409 with the service's message), and the requested side may never edit it."""
    police = console.login_as("analyst", "police")
    agency = console.login_as("analyst", "agency")
    request_id = _id(draft(police, exchange))
    form = police.get(f"/requests/{request_id}/edit")
    assert form.status_code == 200
    assert 'value="Identify the uploader of a beheading video"' in form.text
    assert 'value="Abu Example"' in form.text and 'value="EG, SY"' in form.text
    data = {
        "requested_org": re.search(r'option value="([0-9a-f-]{36})" selected', form.text).group(1),  # type: ignore[union-attr]
        "title": "Locate the uploader",
        "legal_basis": "Art. 7",
        "facts": "Facts.",
        "offence": "Incitement",
        "assistance": ["locate"],
        "csrf_token": csrf(form),
    }
    saved = police.post(f"/requests/{request_id}/edit", data=data)
    assert saved.status_code == 200
    assert "<bdi>Locate the uploader</bdi>" in saved.text
    assert "Abu Example" not in saved.text  # the subject was left out this time
    _move(police, request_id, "send")
    late = police.post(f"/requests/{request_id}/edit", data={**data, "title": "Too late"})
    assert late.status_code == 409
    assert "only a draft can be edited" in late.text
    assert 'id="edit-draft"' not in police.get(f"/requests/{request_id}").text
    other = agency.post(f"/requests/{request_id}/edit", data={**data, "csrf_token": csrf(agency.get("/"))})
    assert other.status_code == 403


def test_auditor_reads_the_overdue_list_but_writes_nothing(console: Console) -> None:
    """An auditor opens the overdue list (the service's `overdue`) but is offered no new request, and the
    form is 403 for it."""
    auditor = console.login_as("auditor", "police")
    page = auditor.get("/requests?box=overdue")
    assert page.status_code == 200
    assert "New request" not in _main(page.text)
    assert auditor.get("/requests/new").status_code == 403


# -- in the browser ------------------------------------------------------------------------------------


TARGETS = {"send": "sent", "acknowledge": "acknowledged", "start": "in_progress", "answer": "answered"}


def _browser_move(page: Any, move: str, note: str = "") -> None:
    """Press a move's button and wait for the request page to show the status it leads to."""
    form = page.locator(f"form[data-move={move}]")
    if note:
        form.locator("textarea").fill(note)
    form.locator("button").click()
    page.wait_for_selector(f"#request-status[data-status={TARGETS.get(move, move + 'd')}]")


@pytest.mark.browser
def test_send_answer_and_close_a_request_in_two_browsers(
    browser_page: BrowserPage, live_server: LiveServer
) -> None:
    """Police (one browser context) drafts and sends a request; the agency (another context) finds it in its
    inbox, acknowledges, starts, writes a message and answers; police reads the message and closes it. The
    inbox, the new-request form and the request page pass axe in English and Arabic."""
    police = browser_page("analyst", org="police")
    agency = browser_page("analyst", org="agency")
    title = f"Preserve the account data {uuid4().hex[:6]}"
    police.goto("/requests/new")
    check_both_languages(police, "/requests/new", "request-new")
    police.select_option("#n-org", label="agency")
    police.fill("#n-title", title)
    police.fill("#n-legal", "Art. 7 of the coalition charter")
    police.fill("#n-offence", "Financing of terrorism")
    police.fill("#n-facts", "Transfers were made from the account on 2 May.")
    police.check("#n-assist-preserve_data")
    police.fill("#n-s-name", "أبو مثال")
    police.fill("#n-deadline", (datetime.now(UTC) + timedelta(days=7)).date().isoformat())
    police.click("#request-form button.primary")
    police.wait_for_selector("#request-status[data-status=draft]")
    request_id = police.url.split("/requests/")[1].split("?")[0]
    _browser_move(police, "send")
    assert police.get_attribute("#request-status", "data-status") == "sent"
    check_both_languages(agency, "/requests?box=inbox", "requests")
    agency.goto("/requests?box=inbox")
    agency.click(f"tr[data-request='{request_id}'] a")
    agency.wait_for_selector("form[data-move=acknowledge]")
    assert sorted(agency.eval_on_selector_all("form[data-move]", "fs => fs.map(f => f.dataset.move)")) == [
        "acknowledge",
        "decline",
    ]
    _browser_move(agency, "acknowledge")
    _browser_move(agency, "start")
    agency.fill("#msg-body", "We hold the data; it will follow.")
    agency.click("form[action$='/messages'] button")
    agency.wait_for_selector("#messages li >> text=We hold the data")
    agency.select_option("#m-outcome", "full")
    _browser_move(agency, "answer", "Data preserved and produced.")
    assert agency.get_attribute("#request-status", "data-status") == "answered"
    check_both_languages(agency, f"/requests/{request_id}", "request")
    police.goto(f"/requests/{request_id}")
    assert "We hold the data; it will follow." in police.inner_text("#messages")
    _browser_move(police, "close")
    assert police.get_attribute("#request-status", "data-status") == "closed"
    assert police.locator("form[data-move]").count() == 0
