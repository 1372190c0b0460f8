"""Requests for assistance over HTTP: the moves of both parties, 404 for third parties, the error
envelope, messages, attachments as uploads and downloads, lists, pages and the overdue list."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from ctexchange.service.exchange import Exchange
from ctexchange.service.requests import RequestDraft, RequestService
from tests.api.factories import MakeMember, Member

DRAFT: dict[str, Any] = {
    "requested_org": "platform",
    "title": "Preserve subscriber data of a recruitment channel",
    "legal_basis": "UNSCR 2396 (2017), para. 13",
    "facts": "Since January the channel posts recruitment videos.",
    "offence": "Recruitment for a terrorist organization",
    "assistance": ["preserve_data", "identify"],
    "subjects": [{"name": "Abu Example", "birth_date": "1994", "nationalities": ["TJ"]}],
    "urgency": "urgent",
    "urgency_justification": "Logs are deleted after 90 days.",
    "deadline": "2027-06-30",
}


@dataclass(frozen=True)
class Parties:
    """An analyst of each party and one of a third organization."""

    rats: Member
    platform: Member
    outsider: Member


@pytest.fixture
def parties(make_member: MakeMember) -> Parties:
    """rats asks platform; outsider is party to nothing."""
    return Parties(
        make_member("rats", "rats-analyst", "analyst"),
        make_member("platform", "platform-analyst", "analyst"),
        make_member("outsider", "outsider-analyst", "analyst"),
    )


def _create(client: TestClient, member: Member, **changes: Any) -> dict[str, Any]:
    response = client.post("/v1/requests", json={**DRAFT, **changes}, headers=member.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _post(
    client: TestClient, member: Member, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = client.post(path, json=body, headers=member.headers)
    assert response.status_code in (200, 201), response.text
    document: dict[str, Any] = response.json()
    return document


def test_lifecycle_over_http(client: TestClient, parties: Parties) -> None:
    """Draft, send (no body), acknowledge, start, answer, close; each answer shows the new status, the
    detail shows the history, and `side` is each caller's own."""
    created = _create(client, parties.rats)
    assert (created["status"], created["side"], created["sent_at"]) == ("draft", "requesting", None)
    base = f"/v1/requests/{created['id']}"
    sent = client.post(f"{base}/send", headers=parties.rats.headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"
    assert _post(client, parties.platform, f"{base}/acknowledge", {})["side"] == "requested"
    _post(client, parties.platform, f"{base}/start", {"note": "assigned"})
    answered = _post(client, parties.platform, f"{base}/answer", {"outcome": "full", "note": "data attached"})
    assert (answered["status"], answered["outcome"]) == ("answered", "full")
    assert _post(client, parties.rats, f"{base}/close")["status"] == "closed"
    detail = client.get(base, headers=parties.platform.headers).json()
    assert [(m["seq"], m["move"], m["to_status"]) for m in detail["history"]] == [
        (1, "send", "sent"),
        (2, "acknowledge", "acknowledged"),
        (3, "start", "in_progress"),
        (4, "answer", "answered"),
        (5, "close", "closed"),
    ]
    assert detail["subjects"] == [
        {
            "kind": "person",
            "name": "Abu Example",
            "reference": None,
            "description": "",
            "birth_date": "1994",
            "nationalities": ["TJ"],
            "signal_id": None,
        }
    ]
    assert (detail["message_count"], detail["attachments"], detail["is_overdue"]) == (0, [], False)


def test_third_parties_get_the_404_of_an_absent_id(client: TestClient, parties: Parties) -> None:
    """Every request route answers a third organization 404 with the body an absent id gets."""
    rid = _create(client, parties.rats)["id"]
    _post(client, parties.rats, f"/v1/requests/{rid}/send")
    attachment = client.post(
        f"/v1/requests/{rid}/attachments", files={"file": ("a.txt", b"x")}, headers=parties.rats.headers
    ).json()
    absent = str(uuid4())
    for target in (rid, absent):
        routes = [
            ("GET", f"/v1/requests/{target}", None),
            ("GET", f"/v1/requests/{target}/messages", None),
            ("GET", f"/v1/requests/{target}/attachments", None),
            ("GET", f"/v1/requests/{target}/attachments/{attachment['id']}", None),
            ("PUT", f"/v1/requests/{target}", DRAFT),
            ("POST", f"/v1/requests/{target}/acknowledge", {}),
            ("POST", f"/v1/requests/{target}/withdraw", {"reason": "x"}),
            ("POST", f"/v1/requests/{target}/messages", {"body": "hello"}),
        ]
        for method, path, body in routes:
            response = client.request(method, path, json=body, headers=parties.outsider.headers)
            assert response.status_code == 404, (method, path)
            expected = {"code": "not_found", "message": f"request {target} not found", "field": "request_id"}
            assert response.json() == {"error": expected}
    assert client.get("/v1/requests", headers=parties.outsider.headers).json()["items"] == []


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"deadline": "2027-02-30"}, 422, "deadline"),
        ({"title": "Preserve\u202edata"}, 422, "title"),
        ({"facts": "x" * 20_001}, 413, "facts"),
        ({"assistance": ["wiretap"]}, 422, "assistance[0]"),
        ({"lables": []}, 422, "lables"),
        ({"subjects": [{"name": "X", "birth_date": "1990-13"}]}, 422, "subjects[0].birth_date"),
        ({"title": 7}, 422, "title"),
        ({"requested_org": "nobody"}, 404, "requested_org"),
    ],
)
def test_bad_drafts_are_the_envelope(
    client: TestClient, parties: Parties, changes: dict[str, Any], status: int, field: str
) -> None:
    """A bad field is refused with its status, the envelope and the field's name; nothing is stored."""
    response = client.post("/v1/requests", json={**DRAFT, **changes}, headers=parties.rats.headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert client.get("/v1/requests", headers=parties.rats.headers).json()["items"] == []


def test_moves_refused_by_side_and_state(client: TestClient, parties: Parties) -> None:
    """The other side's move is 403, a move the state machine refuses is 409 naming the state and the
    allowed moves, a partial answer without a note is 422."""
    rid = _create(client, parties.rats)["id"]
    _post(client, parties.rats, f"/v1/requests/{rid}/send")
    wrong_side = client.post(f"/v1/requests/{rid}/acknowledge", headers=parties.rats.headers)
    assert wrong_side.status_code == 403
    assert wrong_side.json()["error"]["message"] == (
        "only the requested organization may acknowledge a request (yours is the requesting one)"
    )
    early = client.post(
        f"/v1/requests/{rid}/answer", json={"outcome": "full"}, headers=parties.platform.headers
    )
    assert early.status_code == 409
    assert early.json()["error"] == {
        "code": "invalid_transition",
        "message": "a request cannot move from 'sent' to 'answered'"
        " (from 'sent' it may move to: acknowledged, declined, withdrawn)",
        "field": "status",
    }
    _post(client, parties.platform, f"/v1/requests/{rid}/acknowledge")
    _post(client, parties.platform, f"/v1/requests/{rid}/start")
    partial = client.post(
        f"/v1/requests/{rid}/answer", json={"outcome": "partial"}, headers=parties.platform.headers
    )
    assert (partial.status_code, partial.json()["error"]["field"]) == (422, "note")
    declined = _post(client, parties.platform, f"/v1/requests/{rid}/decline", {"reason": "not our user"})
    assert (declined["status"], declined["reason"]) == ("declined", "not our user")


def test_edit_a_draft_then_not(client: TestClient, parties: Parties) -> None:
    """PUT replaces a draft's fields; once sent it is 409."""
    rid = _create(client, parties.rats)["id"]
    edited = client.put(
        f"/v1/requests/{rid}", json={**DRAFT, "title": "New title"}, headers=parties.rats.headers
    )
    assert (edited.status_code, edited.json()["title"]) == (200, "New title")
    _post(client, parties.rats, f"/v1/requests/{rid}/send")
    again = client.put(f"/v1/requests/{rid}", json=DRAFT, headers=parties.rats.headers)
    assert again.status_code == 409


def test_messages_and_attachments(client: TestClient, parties: Parties) -> None:
    """Messages go both ways; an upload is stored with its SHA-256 and comes back as a download with
    its name, media type, digest and safety headers; an empty upload is 422 naming `file`."""
    rid = _create(client, parties.rats)["id"]
    _post(client, parties.rats, f"/v1/requests/{rid}/send")
    _post(client, parties.platform, f"/v1/requests/{rid}/messages", {"body": "Which account?"})
    _post(client, parties.rats, f"/v1/requests/{rid}/messages", {"body": "The admin's."})
    messages = client.get(f"/v1/requests/{rid}/messages", headers=parties.platform.headers).json()["items"]
    assert [m["body"] for m in messages] == ["Which account?", "The admin's."]
    data = "أ,b\n1,2\n".encode()
    uploaded = client.post(
        f"/v1/requests/{rid}/attachments",
        files={"file": ("données abonnés.csv", data, "text/csv")},
        headers=parties.platform.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    meta = uploaded.json()
    assert (meta["filename"], meta["media_type"], meta["size_bytes"]) == (
        "données abonnés.csv",
        "text/csv",
        len(data),
    )
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    listed = client.get(f"/v1/requests/{rid}/attachments", headers=parties.rats.headers).json()["items"]
    assert listed == [meta]
    download = client.get(f"/v1/requests/{rid}/attachments/{meta['id']}", headers=parties.rats.headers)
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "text/csv"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"donn_es abonn_s.csv\"; filename*=UTF-8''donn%C3%A9es%20abonn%C3%A9s.csv"
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "sandbox"
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert download.headers["repr-digest"] == f"sha-256=:{digest}:"
    empty = client.post(
        f"/v1/requests/{rid}/attachments", files={"file": ("e.txt", b"")}, headers=parties.rats.headers
    )
    assert (empty.status_code, empty.json()["error"]["field"]) == (422, "file")
    assert client.get(f"/v1/requests/{rid}", headers=parties.rats.headers).json()["message_count"] == 2


def test_lists_filter_and_page(client: TestClient, parties: Parties) -> None:
    """Lists page with next_cursor in creation order and filter by status and side."""
    ids = [_create(client, parties.rats, title=f"request {n}")["id"] for n in range(3)]
    _post(client, parties.rats, f"/v1/requests/{ids[1]}/send")
    seen, cursor = [], None
    while True:
        page = client.get(
            "/v1/requests", params={"limit": 2, "cursor": cursor}, headers=parties.rats.headers
        ).json()
        seen.extend(r["id"] for r in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    sent = client.get("/v1/requests", params={"status": "sent"}, headers=parties.rats.headers).json()["items"]
    assert [r["id"] for r in sent] == [ids[1]]
    received = client.get("/v1/requests", params={"side": "requested"}, headers=parties.platform.headers)
    assert [r["id"] for r in received.json()["items"]] == [ids[1]]
    bad = client.get("/v1/requests", params={"status": "lost"}, headers=parties.rats.headers)
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "status")


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_overdue_over_http(client: TestClient, exchange: Exchange, parties: Parties) -> None:
    """A request sent ten days ago with a five-day deadline is on both parties' overdue lists, marked
    `is_overdue`; a third organization's list is empty."""
    past = _Clock(datetime.now(UTC) - timedelta(days=10))
    earlier = RequestService(exchange.store, past, 50, 500)
    rats = exchange.auth.authenticate(parties.rats.key, "test")
    deadline = (past.now + timedelta(days=5)).isoformat()
    fields = {k: v for k, v in DRAFT.items() if k not in ("subjects", "deadline")}
    request = earlier.create(rats, RequestDraft(**fields, deadline=deadline))
    earlier.send(rats, request.id)
    for member in (parties.rats, parties.platform):
        overdue = client.get("/v1/requests/overdue", headers=member.headers).json()["items"]
        assert [(r["id"], r["is_overdue"]) for r in overdue] == [(str(request.id), True)]
    assert client.get("/v1/requests/overdue", headers=parties.outsider.headers).json()["items"] == []
