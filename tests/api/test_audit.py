"""The audit log through the API: request ids in events, who reads what, paging, chain verification."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi.testclient import TestClient

from ctexchange.service.exchange import Exchange
from tests.api.factories import MakeMember, Member, add_collection


def _all_events(client: TestClient, member: Member, **params: Any) -> list[dict[str, Any]]:
    """Follow next_after_seq to the end; return every event."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.get(
            "/v1/audit", params={**params, "after_seq": after, "limit": 5}, headers=member.headers
        )
        assert page.status_code == 200, page.text
        events.extend(page.json()["items"])
        if page.json()["next_after_seq"] is None:
            return events
        after = page.json()["next_after_seq"]


def test_events_carry_the_request_id_the_caller_sent(
    client: TestClient, admin: Member, make_member: MakeMember
) -> None:
    """An org created with X-Request-ID: r-42 leaves an org.create event with request_id r-42."""
    auditor = make_member("coalition", "oversight", "auditor")
    created = client.post(
        "/v1/orgs", json={"name": "traced"}, headers={**admin.headers, "X-Request-ID": "r-42"}
    )
    assert created.headers["x-request-id"] == "r-42"
    events = _all_events(client, auditor, action="org.create", object_id=created.json()["id"])
    assert [(e["request_id"], e["actor"]) for e in events] == [("r-42", f"key:{admin.key.split('_')[1]}")]
    assert events[0]["details"] == {"name": "traced"}
    assert set(events[0]) == {
        "seq",
        "id",
        "at",
        "actor",
        "org_id",
        "action",
        "object_type",
        "object_id",
        "object_org_id",
        "request_id",
        "details",
        "prev_hash",
        "hash",
    }


def test_operator_auditors_see_all_and_others_their_own(client: TestClient, make_member: MakeMember) -> None:
    """The operator's auditor reads every event; agency-b's auditor only those of agency-b."""
    a = make_member("agency-a", "alice", "analyst")
    b_auditor = make_member("agency-b", "b-audit", "auditor")
    op_auditor = make_member("coalition", "oversight", "auditor")
    collection = add_collection(client, a, "bank")
    everything = _all_events(client, op_auditor)
    seqs = [e["seq"] for e in everything]
    assert seqs == list(range(1, len(seqs) + 1))
    assert collection["id"] in {e["object_id"] for e in everything}
    own = _all_events(client, b_auditor)
    b_org = str(b_auditor.org_id)
    assert own and all(b_org in (e["org_id"], e["object_org_id"]) for e in own)
    assert len(own) < len(everything)
    assert collection["id"] not in {e["object_id"] for e in own}


def test_audit_pages_follow_next_after_seq(client: TestClient, make_member: MakeMember) -> None:
    """A full page points at its last seq; a short page ends with null."""
    auditor = make_member("coalition", "oversight", "auditor")
    first = client.get("/v1/audit", params={"limit": 2}, headers=auditor.headers).json()
    assert [e["seq"] for e in first["items"]] == [1, 2]
    assert first["next_after_seq"] == 2
    tail = client.get("/v1/audit", params={"after_seq": 2, "limit": 500}, headers=auditor.headers).json()
    assert tail["items"][0]["seq"] == 3
    assert tail["next_after_seq"] is None


def test_audit_limits_are_checked(client: TestClient, make_member: MakeMember) -> None:
    """limit must be 1..page_size_max and after_seq not negative: 422 naming the field."""
    auditor = make_member("coalition", "oversight", "auditor")
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"after_seq": -1}, "after_seq"),
    ):
        response = client.get("/v1/audit", params=params, headers=auditor.headers)
        assert (response.status_code, response.json()["error"]["field"]) == (422, field)


def test_admins_and_analysts_may_not_read_the_audit_log(
    client: TestClient, admin: Member, make_member: MakeMember
) -> None:
    """Oversight is separate from administration: admins and analysts get 403."""
    analyst = make_member("agency-a", "alice", "analyst")
    assert client.get("/v1/audit", headers=admin.headers).status_code == 403
    assert client.get("/v1/audit", headers=analyst.headers).status_code == 403


def test_verify_reports_an_intact_chain_and_checks_anchors(
    client: TestClient, make_member: MakeMember
) -> None:
    """Verify walks the chain; a recorded SEQ:HASH anchor must still match, a wrong one is reported."""
    auditor = make_member("coalition", "oversight", "auditor")
    report = client.get("/v1/audit/verify", headers=auditor.headers).json()
    assert report["intact"] is True
    assert report["checked"] == report["head_seq"] > 0
    assert (report["bad_seq"], report["bad_id"], report["problem"]) == (None, None, None)
    anchor = f"{report['head_seq']}:{report['head_hash']}"
    assert client.get("/v1/audit/verify", params={"anchor": anchor}, headers=auditor.headers).json()["intact"]
    wrong = f"{report['head_seq']}:{'0' * 64}"
    broken = client.get("/v1/audit/verify", params={"anchor": wrong}, headers=auditor.headers).json()
    assert broken["intact"] is False
    assert broken["problem"].startswith("anchor:")


def test_verify_finds_an_edited_event(
    exchange: Exchange, client: TestClient, make_member: MakeMember
) -> None:
    """An event edited in the database is reported as the first bad one."""
    auditor = make_member("coalition", "oversight", "auditor")
    with sqlite3.connect(exchange.settings.home_path / "ctx.sqlite3") as conn:
        conn.execute("UPDATE audit_events SET actor = 'someone else' WHERE seq = 2")
    report = client.get("/v1/audit/verify", headers=auditor.headers).json()
    assert (report["intact"], report["bad_seq"], report["checked"]) == (False, 2, 1)
    assert report["problem"] == "edited: event 2 does not match its hash"


def test_verify_refuses_bad_anchors_and_other_orgs(client: TestClient, make_member: MakeMember) -> None:
    """A malformed anchor is 422 naming `anchor`; an auditor outside the operator org gets 403."""
    auditor = make_member("coalition", "oversight", "auditor")
    b_auditor = make_member("agency-b", "b-audit", "auditor")
    bad = client.get("/v1/audit/verify", params={"anchor": "12-abc"}, headers=auditor.headers)
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "anchor")
    assert client.get("/v1/audit/verify", headers=b_auditor.headers).status_code == 403
