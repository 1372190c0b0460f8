"""Collections through the API: create, list, read by id, ORG/NAME or NAME; who may see which."""

from __future__ import annotations

import re
from uuid import uuid4

from fastapi.testclient import TestClient

from tests.api.factories import MakeMember, add_collection


def test_an_analyst_creates_a_collection(client: TestClient, make_member: MakeMember) -> None:
    """POST /v1/collections answers 201 with the collection, owned by the caller's org."""
    analyst = make_member("agency-a", "alice", "analyst")
    response = client.post(
        "/v1/collections",
        json={"name": "bank", "marking": "green", "description": "Propaganda hashes."},
        headers=analyst.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["org_id"], body["marking"]) == ("bank", str(analyst.org_id), "GREEN")
    assert (body["group_id"], body["description"], body["kind_settings"]) == (None, "Propaganda hashes.", {})


def test_a_collection_is_read_by_id_org_slash_name_or_name(
    client: TestClient, make_member: MakeMember
) -> None:
    """GET /v1/collections/{ref} takes an id, ORG/NAME (slash as is or %2F) or the caller's NAME."""
    analyst = make_member("agency-a", "alice", "analyst")
    created = add_collection(client, analyst, "bank")
    for ref in (created["id"], "agency-a/bank", "agency-a%2Fbank", "bank"):
        response = client.get(f"/v1/collections/{ref}", headers=analyst.headers)
        assert response.status_code == 200, ref
        assert response.json() == created


def test_the_list_holds_only_visible_collections(client: TestClient, make_member: MakeMember) -> None:
    """Another org sees a GREEN collection but not an AMBER one without a shared group."""
    owner = make_member("agency-a", "alice", "analyst")
    other = make_member("agency-b", "bob", "analyst")
    add_collection(client, owner, "open", marking="GREEN")
    add_collection(client, owner, "closed", marking="AMBER")
    assert {c["name"] for c in client.get("/v1/collections", headers=owner.headers).json()["items"]} == {
        "open",
        "closed",
    }
    listed = client.get("/v1/collections", headers=other.headers).json()
    assert [c["name"] for c in listed["items"]] == ["open"]
    assert listed["next_cursor"] is None


def test_a_group_shares_an_amber_collection(client: TestClient, make_member: MakeMember) -> None:
    """An AMBER collection of a sharing group is visible to the group's other orgs."""
    owner_admin = make_member("agency-a", "a-admin", "admin")
    other = make_member("agency-b", "bob", "analyst")
    client.post("/v1/groups", json={"name": "g", "members": ["agency-b"]}, headers=owner_admin.headers)
    created = add_collection(client, owner_admin, "shared", group="g")
    assert created["group_id"] is not None
    assert client.get("/v1/collections/agency-a/shared", headers=other.headers).json() == created


def test_an_invisible_collection_is_404_like_a_missing_one(
    client: TestClient, make_member: MakeMember
) -> None:
    """Another org's AMBER collection gives the very body of a random id's 404, but for the id."""
    owner = make_member("agency-a", "alice", "analyst")
    other = make_member("agency-b", "bob", "analyst")
    hidden = add_collection(client, owner, "closed")
    missing_id = str(uuid4())
    seen = client.get(f"/v1/collections/{hidden['id']}", headers=other.headers)
    absent = client.get(f"/v1/collections/{missing_id}", headers=other.headers)
    assert seen.status_code == absent.status_code == 404
    assert seen.text.replace(hidden["id"], "ID") == absent.text.replace(missing_id, "ID")
    assert absent.json()["error"]["code"] == "not_found"
    assert re.fullmatch(r"collection \S+ not found", absent.json()["error"]["message"])


def test_an_auditor_may_not_create_a_collection(client: TestClient, make_member: MakeMember) -> None:
    """Auditors change nothing: 403 forbidden naming the role."""
    auditor = make_member("agency-a", "audrey", "auditor")
    response = client.post("/v1/collections", json={"name": "x", "marking": "AMBER"}, headers=auditor.headers)
    assert response.status_code == 403
    assert "auditor" in response.json()["error"]["message"]


def test_collection_names_are_unique_in_an_org(client: TestClient, make_member: MakeMember) -> None:
    """A second collection of the same name in one org is 409; another org may reuse the name."""
    a = make_member("agency-a", "alice", "analyst")
    b = make_member("agency-b", "bob", "analyst")
    add_collection(client, a, "bank")
    again = client.post("/v1/collections", json={"name": "bank", "marking": "AMBER"}, headers=a.headers)
    assert again.status_code == 409
    add_collection(client, b, "bank")


def test_a_bad_marking_or_a_foreign_group_is_refused(client: TestClient, make_member: MakeMember) -> None:
    """An unknown marking is 422 naming `marking`; a group the org is not in is 404 naming `group`."""
    a_admin = make_member("agency-a", "a-admin", "admin")
    b = make_member("agency-b", "bob", "analyst")
    client.post("/v1/groups", json={"name": "a-only"}, headers=a_admin.headers)
    bad_marking = client.post("/v1/collections", json={"name": "x", "marking": "PURPLE"}, headers=b.headers)
    assert (bad_marking.status_code, bad_marking.json()["error"]["field"]) == (422, "marking")
    foreign = client.post(
        "/v1/collections", json={"name": "x", "marking": "AMBER", "group": "a-only"}, headers=b.headers
    )
    assert (foreign.status_code, foreign.json()["error"]["field"]) == (404, "group")


def test_kind_settings_are_checked_by_kind(client: TestClient, make_member: MakeMember) -> None:
    """Settings for a kind that takes none are 422 naming `kind_settings.<kind>`."""
    a = make_member("agency-a", "alice", "analyst")
    response = client.post(
        "/v1/collections",
        json={"name": "x", "marking": "AMBER", "kind_settings": {"md5": {"distance": 3}}},
        headers=a.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "kind_settings.md5"
