"""Signals through the API: add, batch, list, count, export, read, status and opinions, under TLP rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from tests.api.factories import MD5_A, MakeMember, Member, add_collection, add_signal, md5_of

BANK = "agency-a/bank"
MARKINGS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


@dataclass(frozen=True)
class World:
    """The owner of a bank shared with a peer's org through a group, and an outsider."""

    owner: Member
    peer: Member
    outsider: Member


@pytest.fixture
def world(client: TestClient, make_member: MakeMember) -> World:
    """agency-a owns `bank` (AMBER, group g with agency-b); agency-c is in no group."""
    owner_admin = make_member("agency-a", "a-admin", "admin")
    owner = make_member("agency-a", "alice", "analyst")
    peer = make_member("agency-b", "bob", "analyst")
    outsider = make_member("agency-c", "carol", "analyst")
    client.post("/v1/groups", json={"name": "g", "members": ["agency-b"]}, headers=owner_admin.headers)
    add_collection(client, owner, "bank", group="g")
    return World(owner, peer, outsider)


def _one_of_each_marking(client: TestClient, world: World) -> dict[str, dict[str, Any]]:
    """Add one signal per marking (RED names the peer as recipient); return them by marking."""
    made = {}
    for number, marking in enumerate(MARKINGS):
        extra = {"recipients": [world.peer.name]} if marking == "RED" else {}
        made[marking] = add_signal(
            client, world.owner, BANK, value=md5_of(number + 1), marking=marking, **extra
        )
    return made


def _every_page(client: TestClient, member: Member, **params: Any) -> list[dict[str, Any]]:
    """Follow next_cursor to the end; return every item in order."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get("/v1/signals", params={**params, "cursor": cursor}, headers=member.headers)
        assert page.status_code == 200, page.text
        items.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def test_adding_a_signal_answers_201_with_it(client: TestClient, world: World) -> None:
    """POST /v1/signals stores the canonical value, sorted labels, provenance and the default marking."""
    response = client.post(
        "/v1/signals",
        json={
            "collection": BANK,
            "kind": "md5",
            "value": MD5_A.upper(),
            "labels": ["recruitment", "propaganda", "un:QDe.115"],
            "external_id": "report-1",
        },
        headers=world.owner.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["family"], body["value"], body["marking"]) == (
        "md5",
        "content",
        MD5_A,
        "AMBER",
    )
    assert body["labels"] == ["propaganda", "recruitment", "un:QDe.115"]
    assert (body["status"], body["external_id"], body["org_id"]) == (
        "active",
        "report-1",
        str(world.owner.org_id),
    )
    assert body["provenance"]["source"] == "api"
    assert body["provenance"]["added_by"] == f"key:{world.owner.key.split('_')[1]}"
    assert body["recipients"] == []
    assert client.get(f"/v1/signals/{body['id']}", headers=world.owner.headers).json() == body


def test_a_bad_value_is_422_naming_value(client: TestClient, world: World) -> None:
    """A value that is not an md5 digest is refused naming `value`, with what was expected."""
    response = client.post(
        "/v1/signals", json={"collection": BANK, "kind": "md5", "value": "zz"}, headers=world.owner.headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", "value")
    assert "32 hex digits" in error["message"]


def test_only_the_owner_adds_to_a_collection(client: TestClient, world: World) -> None:
    """The peer sees the shared bank but adding to it is 403."""
    response = client.post(
        "/v1/signals", json={"collection": BANK, "kind": "md5", "value": MD5_A}, headers=world.peer.headers
    )
    assert response.status_code == 403


def test_recipients_are_shown_to_the_owner_only(client: TestClient, world: World) -> None:
    """A RED signal names its recipients to its owner; the recipient sees it with recipients null."""
    red = add_signal(client, world.owner, BANK, marking="RED", recipients=[world.peer.name])
    assert red["recipients"] == [str(world.peer.user_id)]
    seen = client.get(f"/v1/signals/{red['id']}", headers=world.peer.headers).json()
    assert seen["recipients"] is None
    assert seen["id"] == red["id"]


def test_an_invisible_signal_is_404_like_a_missing_one(client: TestClient, world: World) -> None:
    """The outsider reading an AMBER signal gets the body of a random id's 404, but for the id."""
    signal = add_signal(client, world.owner, BANK)
    missing = str(uuid4())
    hidden = client.get(f"/v1/signals/{signal['id']}", headers=world.outsider.headers)
    absent = client.get(f"/v1/signals/{missing}", headers=world.outsider.headers)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text.replace(signal["id"], "ID") == absent.text.replace(missing, "ID")
    assert absent.json() == {
        "error": {"code": "not_found", "message": f"signal {missing} not found", "field": "signal_id"}
    }
    opinions = client.get(f"/v1/signals/{signal['id']}/opinions", headers=world.outsider.headers)
    assert opinions.status_code == 404


def test_an_ill_formed_signal_id_is_404(client: TestClient, world: World) -> None:
    """An id that is not a UUID names nothing: 404 not_found."""
    response = client.get("/v1/signals/not-a-uuid", headers=world.owner.headers)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "signal not-a-uuid not found"


def test_service_keys_add_but_may_not_list(client: TestClient, world: World, make_member: MakeMember) -> None:
    """A `service` key adds signals to its org's bank but listing signals is 403."""
    pipeline = make_member("agency-a", "pipeline", "service")
    add_signal(client, pipeline, BANK)
    response = client.get("/v1/signals", headers=pipeline.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_pages_hold_every_signal_exactly_once(client: TestClient, world: World) -> None:
    """Seven signals in pages of two: four pages, every id once, the last cursor null."""
    made = {add_signal(client, world.owner, BANK, value=md5_of(n))["id"] for n in range(7)}
    pages = 0
    seen: list[str] = []
    cursor = None
    while True:
        params = {"collection": BANK, "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/v1/signals", params=params, headers=world.owner.headers).json()
        pages += 1
        assert len(body["items"]) <= 2
        seen.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert sorted(seen) == sorted(made)


def test_bad_limits_and_cursors_are_422(client: TestClient, world: World) -> None:
    """limit outside 1..page_size_max and a cursor this service did not issue name their field."""
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"cursor": "@@"}, "cursor"),
    ):
        response = client.get("/v1/signals", params=params, headers=world.owner.headers)
        assert (response.status_code, response.json()["error"]["field"]) == (422, field)


def test_filters_select_and_count_agrees_with_list(client: TestClient, world: World) -> None:
    """Each filter narrows the list, and /count gives the list's length for the same filters."""
    add_signal(client, world.owner, BANK, value=md5_of(1), labels=["propaganda"], external_id="ext-1")
    add_signal(client, world.owner, BANK, value=md5_of(2), labels=["threat"], marking="GREEN")
    add_signal(client, world.owner, BANK, kind="sha256", value="ab" * 32, labels=["propaganda"])
    cases: list[tuple[dict[str, Any], int]] = [
        ({}, 3),
        ({"collection": BANK}, 3),
        ({"kind": "md5"}, 2),
        ({"kind": "sha256"}, 1),
        ({"family": "content"}, 3),
        ({"label": "propaganda"}, 2),
        ({"marking": "green"}, 1),
        ({"external_id": "ext-1"}, 1),
        ({"q": "ababab"}, 1),
        ({"q": "EXT-"}, 1),
        ({"status": "active"}, 3),
        ({"status": "delisted"}, 0),
        ({"created_after": "2000-01-01T00:00:00Z"}, 3),
        ({"created_before": "2000-01-01T00:00:00Z"}, 0),
        ({"kind": "md5", "label": "propaganda"}, 1),
    ]
    for params, expected in cases:
        listed = _every_page(client, world.owner, limit=2, **params)
        count = client.get("/v1/signals/count", params=params, headers=world.owner.headers)
        assert count.status_code == 200, count.text
        assert (len(listed), count.json()) == (expected, {"count": expected}), params


def test_bad_filters_are_refused(client: TestClient, world: World) -> None:
    """An unknown kind, family or status is 422 naming it; an invisible collection filter is 404."""
    for params, field in (
        ({"kind": "gif"}, "kind"),
        ({"family": "x"}, "family"),
        ({"status": "x"}, "status"),
    ):
        response = client.get("/v1/signals/count", params=params, headers=world.owner.headers)
        assert (response.status_code, response.json()["error"]["field"]) == (422, field)
    hidden = client.get("/v1/signals", params={"collection": BANK}, headers=world.outsider.headers)
    assert (hidden.status_code, hidden.json()["error"]["field"]) == (404, "collection")


def test_lists_follow_the_markings(client: TestClient, world: World) -> None:
    """The peer (group member, RED recipient) lists all five; the outsider only CLEAR and GREEN."""
    made = _one_of_each_marking(client, world)
    peer_sees = {s["marking"] for s in _every_page(client, world.peer)}
    outsider_sees = {s["marking"] for s in _every_page(client, world.outsider)}
    assert peer_sees == set(MARKINGS)
    assert outsider_sees == {"CLEAR", "GREEN"}
    strict = _every_page(client, world.peer, marking="AMBER+STRICT")
    assert [s["id"] for s in strict] == [made["AMBER+STRICT"]["id"]]


def test_export_streams_ndjson_without_forbidden_markings(client: TestClient, world: World) -> None:
    """Export is NDJSON; a peer's export leaves out AMBER+STRICT and RED, the owner's holds all."""
    made = _one_of_each_marking(client, world)
    response = client.get("/v1/signals/export", headers=world.peer.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.text.endswith("\n")
    assert {s["marking"] for s in lines} == {"CLEAR", "GREEN", "AMBER"}
    assert all(s["recipients"] is None for s in lines)
    owner_lines = client.get("/v1/signals/export", headers=world.owner.headers).text.splitlines()
    assert {json.loads(line)["id"] for line in owner_lines} == {s["id"] for s in made.values()}
    by_name = client.get("/v1/signals/export", params={"collection": "bank"}, headers=world.owner.headers)
    assert len(by_name.text.splitlines()) == 5
    outsider = client.get("/v1/signals/export", headers=world.outsider.headers).text.splitlines()
    assert {json.loads(line)["marking"] for line in outsider} == {"CLEAR", "GREEN"}


def test_an_empty_export_is_an_empty_body(client: TestClient, world: World) -> None:
    """No matching signal: 200 with no lines."""
    response = client.get("/v1/signals/export", params={"kind": "sha256"}, headers=world.owner.headers)
    assert (response.status_code, response.text) == (200, "")


def test_export_errors_before_the_stream_are_json(
    client: TestClient, world: World, make_member: MakeMember
) -> None:
    """A reviewer may not export: the 403 comes as the JSON envelope, not a broken stream."""
    reviewer = make_member("agency-a", "rita", "reviewer")
    response = client.get("/v1/signals/export", headers=reviewer.headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "forbidden"


def test_a_batch_is_added_whole(client: TestClient, world: World) -> None:
    """POST /v1/signals/batch answers 201 with every signal, in order."""
    body = {"collection": BANK, "signals": [{"kind": "md5", "value": md5_of(n)} for n in range(3)]}
    response = client.post("/v1/signals/batch", json=body, headers=world.owner.headers)
    assert response.status_code == 201
    assert [s["value"] for s in response.json()["items"]] == [md5_of(n) for n in range(3)]
    assert client.get("/v1/signals/count", headers=world.owner.headers).json() == {"count": 3}


@pytest.mark.parametrize("bad_index", [0, 2])
def test_a_batch_with_one_bad_item_adds_nothing(client: TestClient, world: World, bad_index: int) -> None:
    """One bad value fails the whole batch with 422 naming `signals[i].value`; nothing is stored."""
    add_signal(client, world.owner, BANK, value=md5_of(99))
    items: list[dict[str, Any]] = [{"kind": "md5", "value": md5_of(n)} for n in range(4)]
    items[bad_index]["value"] = "not-a-digest"
    response = client.post(
        "/v1/signals/batch", json={"collection": BANK, "signals": items}, headers=world.owner.headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == f"signals[{bad_index}].value"
    assert error["message"].startswith(f"'signals[{bad_index}].value' must be")
    assert client.get("/v1/signals/count", headers=world.owner.headers).json() == {"count": 1}


def test_a_batch_item_failing_pydantic_names_its_index(client: TestClient, world: World) -> None:
    """A batch item missing `kind` is 422 naming `signals[1].kind`."""
    items = [{"kind": "md5", "value": md5_of(1)}, {"value": md5_of(2)}]
    response = client.post(
        "/v1/signals/batch", json={"collection": BANK, "signals": items}, headers=world.owner.headers
    )
    assert (response.status_code, response.json()["error"]["field"]) == (422, "signals[1].kind")


def test_status_moves_follow_the_state_machine(client: TestClient, world: World) -> None:
    """The owner delists with a reason (200); a move the machine refuses is 409; the peer's is 403."""
    signal = add_signal(client, world.owner, BANK)
    path = f"/v1/signals/{signal['id']}/status"
    moved = client.post(
        path, json={"status": "delisted", "reason": "off the list"}, headers=world.owner.headers
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "delisted"
    refused = client.post(path, json={"status": "expired", "reason": "x"}, headers=world.owner.headers)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_transition", "status")
    assert error["message"].startswith("a signal cannot move from 'delisted' to 'expired'")
    peer = client.post(path, json={"status": "active", "reason": "x"}, headers=world.peer.headers)
    assert peer.status_code == 403


def test_opinions_are_given_and_listed(client: TestClient, world: World) -> None:
    """The peer gives an opinion (201) that the owner then reads; a bad verdict is 422."""
    signal = add_signal(client, world.owner, BANK)
    path = f"/v1/signals/{signal['id']}/opinions"
    given = client.post(path, json={"verdict": "false-positive", "note": "news"}, headers=world.peer.headers)
    assert given.status_code == 201
    opinion = given.json()
    assert (opinion["verdict"], opinion["note"], opinion["org_id"]) == (
        "false_positive",
        "news",
        str(world.peer.org_id),
    )
    listed = client.get(path, headers=world.owner.headers).json()
    assert listed == {"items": [opinion], "next_cursor": None}
    bad = client.post(path, json={"verdict": "meh"}, headers=world.peer.headers)
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "verdict")
