"""Alerts over HTTP: issue, list, read, update, extend, cancel, acknowledge; the envelope on every
refusal; third parties get 404 exactly as for an absent id, and lists that never mention the alert."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from ctexchange.api.alert_schemas import ALERT_EXAMPLE
from tests.api.factories import MakeMember, Member


@dataclass(frozen=True)
class World:
    """agency-a issues, agency-b receives (bob is named for RED), agency-c is a third party."""

    issuer: Member
    bob: Member
    colleague: Member
    auditor_b: Member
    outsider: Member


@pytest.fixture
def world(make_member: MakeMember) -> World:
    """Members of three organizations."""
    return World(
        issuer=make_member("agency-a", "alice", "analyst"),
        bob=make_member("agency-b", "bob", "analyst"),
        colleague=make_member("agency-b", "bea", "admin"),
        auditor_b=make_member("agency-b", "audrey", "auditor"),
        outsider=make_member("agency-c", "carol", "analyst"),
    )


def body(**changes: Any) -> dict[str, Any]:
    """The documented example, addressed to agency-b, valid for a week from now."""
    made = copy.deepcopy(ALERT_EXAMPLE)
    made["valid_until"] = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    made["recipients"] = {"orgs": ["agency-b"], "groups": [], "users": []}
    made.update(changes)
    return made


def issue(client: TestClient, member: Member, **changes: Any) -> dict[str, Any]:
    """Issue an alert through the API; fails the test unless it is created."""
    response = client.post("/v1/alerts", json=body(**changes), headers=member.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_issue_answers_201_with_the_alert(client: TestClient, world: World) -> None:
    """The issuer gets the alert: canonical fields, state, version, the recipient pending; the described
    subject comes back in screening-query shape."""
    alert = issue(client, world.issuer)
    assert (alert["state"], alert["version"], alert["marking"], alert["kind"]) == (
        "issued",
        1,
        "AMBER",
        "fighter-travel",
    )
    assert alert["is_issuer"] is True
    assert alert["my_state"] is None
    assert [r["state"] for r in alert["recipients"]] == ["pending"]
    assert alert["subject"]["description"]["schema"] == "Person"
    assert alert["subject"]["description"]["properties"]["name"][0] == "أبو محمد الشامي"
    assert [s["place"] for s in alert["route"]] == ["Idlib", "Gaziantep", "Istanbul"]
    assert alert["location"] == {"text": "Gaziantep bus station", "country": "TR"}


def test_the_described_subject_can_be_screened_as_it_is(client: TestClient, world: World) -> None:
    """A recipient posts the alert's described subject to /v1/screen unchanged and gets an answer."""
    alert = issue(client, world.issuer)
    query = {"id": "from-alert", **alert["subject"]["description"]}
    response = client.post("/v1/screen", json={"queries": [query]}, headers=world.bob.headers)
    assert response.status_code == 200, response.text
    assert response.json()["responses"][0]["id"] == "from-alert"


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"title": "x" * 201}, 413, "title"),
        ({"title": "Travel\u2067ling"}, 422, "title"),
        ({"kind": "rumour"}, 422, "kind"),
        ({"valid_until": "2026-12-31T00:00:00"}, 422, "valid_until"),
        ({"valid_until": "2020-01-01T00:00:00Z"}, 422, "valid_until"),
        ({"route": [{"place": "A", "date": "2026-02-31"}]}, 422, "route[0].date"),
        (
            {"subject": {"properties": {"name": ["A"], "nationality": ["Syria"]}}},
            422,
            "subject.properties.nationality[0]",
        ),
        ({"recipients": {"orgs": ["agency-b"], "users": ["bob"]}}, 422, "recipients.users"),
        ({"recipients": {"orgs": ["nobody"]}}, 404, "recipients.orgs[0]"),
        ({"lables": []}, 422, "lables"),
    ],
)
def test_bad_alerts_are_refused_with_the_envelope(
    client: TestClient, world: World, changes: dict[str, Any], status: int, field: str
) -> None:
    """Each bad body gets its status and the error envelope naming the field; nothing is stored."""
    response = client.post("/v1/alerts", json=body(**changes), headers=world.issuer.headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert client.get("/v1/alerts", headers=world.issuer.headers).json()["items"] == []


def test_third_parties_get_404_as_for_an_absent_id(client: TestClient, world: World) -> None:
    """An outsider's read of an alert is 404 with the message of a random id; its list is empty; the
    recipient and its auditor read it."""
    alert = issue(client, world.issuer)
    absent = str(uuid4())
    for path in ("", "/versions", "/acknowledgements"):
        denied = client.get(f"/v1/alerts/{alert['id']}{path}", headers=world.outsider.headers)
        missing = client.get(f"/v1/alerts/{absent}{path}", headers=world.outsider.headers)
        assert (denied.status_code, missing.status_code) == (404, 404)
        assert denied.json()["error"]["message"] == missing.json()["error"]["message"].replace(
            absent, alert["id"]
        )
    assert client.get("/v1/alerts", headers=world.outsider.headers).json()["items"] == []
    for member in (world.bob, world.colleague, world.auditor_b):
        assert client.get(f"/v1/alerts/{alert['id']}", headers=member.headers).status_code == 200
    ack = client.post(f"/v1/alerts/{alert['id']}/acknowledgements", json={}, headers=world.outsider.headers)
    assert ack.status_code == 404


def test_red_alerts_go_to_named_users(client: TestClient, world: World) -> None:
    """A RED alert to bob: bob reads it, his admin colleague gets 404, the issuer sees bob's id."""
    alert = issue(client, world.issuer, marking="RED", recipients={"users": ["bob"]})
    assert alert["recipient_users"] == [str(world.bob.user_id)]
    assert client.get(f"/v1/alerts/{alert['id']}", headers=world.bob.headers).status_code == 200
    assert client.get(f"/v1/alerts/{alert['id']}", headers=world.colleague.headers).status_code == 404
    assert client.get("/v1/alerts", headers=world.colleague.headers).json()["items"] == []


def test_acknowledge_update_and_acknowledge_again(client: TestClient, world: World) -> None:
    """Bob acknowledges (201); a second time is 409; an update is version 2 and bob is pending again;
    the issuer sees who acknowledged which version and when; the recipient sees only itself."""
    alert = issue(client, world.issuer)
    path = f"/v1/alerts/{alert['id']}"
    ack = client.post(f"{path}/acknowledgements", json={"note": "seen"}, headers=world.bob.headers)
    assert ack.status_code == 201, ack.text
    assert (ack.json()["version"], ack.json()["note"], ack.json()["org_id"]) == (
        1,
        "seen",
        str(world.bob.org_id),
    )
    again = client.post(f"{path}/acknowledgements", json={}, headers=world.bob.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"
    update = {"note": "Seen at the airport.", "location": {"text": "Istanbul airport", "country": "TR"}}
    updated = client.post(f"{path}/versions", json=update, headers=world.issuer.headers)
    assert updated.status_code == 201, updated.text
    assert updated.json()["version"] == 2
    mine = client.get(path, headers=world.bob.headers).json()
    assert (mine["my_state"], mine["is_pending"]) == ("pending", True)
    acks = client.get(f"{path}/acknowledgements", headers=world.issuer.headers).json()["items"]
    assert [(a["state"], a["latest"]["version"], a["latest"]["note"]) for a in acks] == [
        ("pending", 1, "seen")
    ]
    versions = client.get(f"{path}/versions", headers=world.bob.headers).json()["items"]
    assert [(v["version"], v["change"], v["location"]["text"]) for v in versions] == [
        (1, "issue", "Gaziantep bus station"),
        (2, "update", "Istanbul airport"),
    ]


def test_only_the_issuer_changes_an_alert(client: TestClient, world: World) -> None:
    """The recipient gets 403 for update, extend and cancel; the issuer cannot acknowledge its own."""
    alert = issue(client, world.issuer)
    path = f"/v1/alerts/{alert['id']}"
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    for suffix, payload in (
        ("/versions", {"note": "x", "title": "Mine"}),
        ("/extend", {"valid_until": later, "note": "x"}),
        ("/cancel", {"reason": "x"}),
    ):
        response = client.post(path + suffix, json=payload, headers=world.bob.headers)
        assert response.status_code == 403, suffix
    own = client.post(f"{path}/acknowledgements", json={}, headers=world.issuer.headers)
    assert own.status_code == 403


def test_extend_then_cancel_then_nothing(client: TestClient, world: World) -> None:
    """Extend moves the end; cancel closes the alert with its reason; after that every change is 409."""
    alert = issue(client, world.issuer)
    path = f"/v1/alerts/{alert['id']}"
    later = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    extended = client.post(
        f"{path}/extend",
        json={"valid_until": later.isoformat(), "note": "continues"},
        headers=world.issuer.headers,
    )
    assert extended.status_code == 200, extended.text
    assert datetime.fromisoformat(extended.json()["valid_until"]) == later
    cancelled = client.post(f"{path}/cancel", json={"reason": "Arrested."}, headers=world.issuer.headers)
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["cancellation"]["reason"] == "Arrested."
    for suffix, payload, member in (
        ("/cancel", {"reason": "again"}, world.issuer),
        ("/extend", {"valid_until": later.isoformat(), "note": "x"}, world.issuer),
        ("/acknowledgements", {}, world.bob),
    ):
        response = client.post(path + suffix, json=payload, headers=member.headers)
        assert response.status_code == 409, suffix
        assert "'cancelled'" in response.json()["error"]["message"]


def test_lists_filter_and_page(client: TestClient, world: World) -> None:
    """`box`, `state` and `kind` filter; pages of one follow next_cursor; a bad filter is 422."""
    made = [issue(client, world.issuer, title=f"alert {n}")["id"] for n in range(3)]
    issue(client, world.bob, recipients={"orgs": ["agency-c"]}, kind="imminent-threat", subject=None)
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"box": "received", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/alerts", params=params, headers=world.bob.headers).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    sent = client.get("/v1/alerts", params={"box": "sent"}, headers=world.bob.headers).json()["items"]
    assert [s["kind"] for s in sent] == ["imminent-threat"]
    threat = client.get("/v1/alerts", params={"kind": "imminent-threat"}, headers=world.outsider.headers)
    assert [a["is_pending"] for a in threat.json()["items"]] == [True]
    bad = client.get("/v1/alerts", params={"state": "open"}, headers=world.bob.headers)
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "state")


def test_roles_without_alerts_are_403(client: TestClient, world: World, make_member: MakeMember) -> None:
    """A service key cannot list alerts; a reviewer cannot issue one."""
    pipeline = make_member("agency-b", "pipeline", "service")
    reviewer = make_member("agency-a", "rita", "reviewer")
    assert client.get("/v1/alerts", headers=pipeline.headers).status_code == 403
    assert client.post("/v1/alerts", json=body(), headers=reviewer.headers).status_code == 403
