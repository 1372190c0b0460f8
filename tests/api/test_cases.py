"""Review cases over HTTP: opened by a pipeline's match, read, decided, complained, evidence kept."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from ctexchange.service.content import ContentItem
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.api.factories import MakeMember, Member

BAD = "a" * 64


@pytest.fixture
def people(exchange: Exchange, operator: Caller, make_member: MakeMember) -> dict[str, Member]:
    """A review bank of the operator with one signal; a platform's pipeline and reviewer; a stranger."""
    exchange.collections.create(operator, "tco", "GREEN", requires_review=True)
    exchange.content.add(operator, "tco", [ContentItem(None, {"sha256": BAD}, ["propaganda"])])
    return {
        "pipeline": make_member("platform", "pipeline", "service"),
        "reviewer": make_member("platform", "reviewer", "reviewer"),
        "stranger": make_member("agency", "stranger", "reviewer"),
    }


def _open_case(client: TestClient, people: dict[str, Member]) -> str:
    matched = client.post(
        "/v1/match", json={"sha256": BAD, "id": "item-1"}, headers=people["pipeline"].headers
    )
    assert matched.status_code == 200, matched.text
    listed = client.get("/v1/cases", params={"item_id": "item-1"}, headers=people["pipeline"].headers)
    assert listed.status_code == 200, listed.text
    [case] = listed.json()["items"]
    assert case["status"] == "open" and case["is_quarantined"] is False
    assert [h["case_id"] for h in matched.json()["matches"]] == [case["id"]]
    assert matched.json()["case_ids"] == [case["id"]]
    return str(case["id"])


def test_match_responses_name_the_case_only_for_the_pipeline_that_filed(
    client: TestClient, people: dict[str, Member]
) -> None:
    """`POST /v1/match` and `/v1/match/batch` give a pipeline's hits the case they opened or joined, which
    that key may read; a reviewer's own lookup of the same item files nothing and names no case."""
    pipeline, reviewer = people["pipeline"].headers, people["reviewer"].headers
    case_id = _open_case(client, people)
    batch = client.post(
        "/v1/match/batch",
        json={"queries": [{"sha256": BAD, "id": "item-1"}, {"sha256": BAD, "id": "item-2"}]},
        headers=pipeline,
    )
    assert batch.status_code == 200, batch.text
    [joined, fresh] = [r["case_ids"] for r in batch.json()["responses"]]
    assert joined == [case_id] and len(fresh) == 1 and fresh != joined
    assert client.get(f"/v1/cases/{fresh[0]}", headers=pipeline).json()["item_id"] == "item-2"
    own = client.post("/v1/match", json={"sha256": BAD, "id": "item-1"}, headers=reviewer).json()
    assert [h["case_id"] for h in own["matches"]] == [None] and own["case_ids"] == []
    stranger = client.post(
        "/v1/match", json={"sha256": BAD, "id": "item-1"}, headers=people["stranger"].headers
    )
    assert stranger.json()["case_ids"] == []


def test_a_case_from_match_to_upheld_complaint(client: TestClient, people: dict[str, Member]) -> None:
    """Match opens a case; the reviewer confirms a removal under an order; the pipeline complains and
    keeps evidence; the reviewer upholds; the detail shows hits, history and evidence."""
    case_id = _open_case(client, people)
    reviewer, pipeline = people["reviewer"].headers, people["pipeline"].headers
    confirmed = client.post(
        f"/v1/cases/{case_id}/confirm", json={"action": "remove", "reason": "propaganda"}, headers=reviewer
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["evidence_keep_until"] is not None
    upload = client.post(
        f"/v1/cases/{case_id}/evidence",
        files={"file": ("x.png", b"\x89PNG-bytes", "image/png")},
        data={"reference": "bucket/removed/item-1"},
        headers=pipeline,
    )
    assert upload.status_code == 201, upload.text
    evidence = upload.json()
    assert evidence["sha256"] == hashlib.sha256(b"\x89PNG-bytes").hexdigest()
    assert evidence["size_bytes"] == 10 and evidence["media_type"] == "image/png"
    got = client.get(f"/v1/cases/{case_id}/evidence/{evidence['id']}", headers=reviewer)
    assert got.status_code == 200 and got.content == b"\x89PNG-bytes"
    digest = base64.b64encode(hashlib.sha256(b"\x89PNG-bytes").digest()).decode()
    assert got.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert got.headers["x-content-type-options"] == "nosniff"
    complaint = client.post(f"/v1/cases/{case_id}/complaint", json={"reason": "satire"}, headers=pipeline)
    assert complaint.status_code == 200 and complaint.json()["complaint_deadline"] is not None
    upheld = client.post(f"/v1/cases/{case_id}/uphold", json={"reason": "not satire"}, headers=reviewer)
    assert upheld.json()["status"] == "upheld"
    detail = client.get(f"/v1/cases/{case_id}", headers=reviewer).json()
    assert [h["kind"] for h in detail["hits"]] == ["sha256"]
    assert [(d["move"], d["reason"]) for d in detail["history"]] == [
        ("confirm", "propaganda"),
        ("complain", "satire"),
        ("uphold", "not satire"),
    ]
    assert [e["id"] for e in detail["evidence"]] == [evidence["id"]]


def test_removal_order_and_the_report(client: TestClient, people: dict[str, Member]) -> None:
    """An order recorded on the case shows its due time; the report lists it with the minutes."""
    case_id = _open_case(client, people)
    reviewer = people["reviewer"].headers
    recorded = client.post(
        f"/v1/cases/{case_id}/removal-order",
        json={"received_at": "2020-01-01T00:00:00+00:00"},
        headers=reviewer,
    )
    assert recorded.status_code == 422
    assert recorded.json()["error"]["field"] == "received_at"
    received = client.post(
        f"/v1/cases/{case_id}/removal-order",
        json={"received_at": _recent()},
        headers=people["pipeline"].headers,
    )
    assert received.status_code == 200, received.text
    assert received.json()["removal_due_at"] is not None
    client.post(
        f"/v1/cases/{case_id}/confirm", json={"action": "remove", "reason": "ordered"}, headers=reviewer
    )
    [row] = client.get("/v1/cases", params={"removal_order": "true"}, headers=reviewer).json()["items"]
    assert row["is_removed_in_time"] is True and 0 <= row["minutes_to_removal"] <= 60


def _recent() -> str:
    """Five minutes ago (the API's exchange runs on the real clock)."""
    return (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def test_errors_are_the_envelope(client: TestClient, people: dict[str, Member]) -> None:
    """A missing reason is 422 naming it; an illegal move 409; the pipeline deciding 403; another
    organization 404 exactly as an absent id."""
    case_id = _open_case(client, people)
    reviewer = people["reviewer"].headers
    missing = client.post(f"/v1/cases/{case_id}/reject", json={}, headers=reviewer)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "reason"
    empty = client.post(f"/v1/cases/{case_id}/reject", json={"reason": " "}, headers=reviewer)
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "reason"
    illegal = client.post(f"/v1/cases/{case_id}/uphold", json={"reason": "x"}, headers=reviewer)
    assert illegal.status_code == 409 and "it may move to: escalated, confirmed, rejected" in illegal.text
    forbidden = client.post(
        f"/v1/cases/{case_id}/confirm",
        json={"action": "remove", "reason": "x"},
        headers=people["pipeline"].headers,
    )
    assert forbidden.status_code == 403
    absent = "00000000-0000-4000-8000-000000000000"
    hidden = client.get(f"/v1/cases/{case_id}", headers=people["stranger"].headers)
    nothing = client.get(f"/v1/cases/{absent}", headers=people["stranger"].headers)
    assert hidden.status_code == nothing.status_code == 404
    assert hidden.json()["error"]["message"] == nothing.json()["error"]["message"].replace(absent, case_id)
    assert client.get("/v1/cases", headers=people["stranger"].headers).json()["items"] == []
