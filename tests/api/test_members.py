"""Members through the API: whoami, organizations, users, API keys and sharing groups."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from ctexchange.service.context import utc_now
from tests.api.factories import MakeMember, Member


def test_whoami_names_the_operator_admin(client: TestClient, admin: Member) -> None:
    """The operator's admin key acts as `admin` of the operator organization."""
    body = client.get("/v1/whoami", headers=admin.headers).json()
    assert body["org_id"] == str(admin.org_id)
    assert (body["name"], body["role"]) == ("admin", "admin")


def test_operator_admin_creates_lists_and_reads_organizations(client: TestClient, admin: Member) -> None:
    """POST /v1/orgs creates an org (201) that the list and a read by name or id return."""
    created = client.post(
        "/v1/orgs", json={"name": "Example Service", "kind": "online-service"}, headers=admin.headers
    )
    assert created.status_code == 201
    org = created.json()
    assert (org["name"], org["kind"], org["is_operator"], org["is_active"]) == (
        "Example Service",
        "online-service",
        False,
        True,
    )
    listed = client.get("/v1/orgs", headers=admin.headers).json()
    assert {o["name"] for o in listed["items"]} == {"coalition", "Example Service"}
    assert listed["next_cursor"] is None
    assert client.get("/v1/orgs/Example Service", headers=admin.headers).json() == org
    assert client.get(f"/v1/orgs/{org['id']}", headers=admin.headers).json() == org


def test_organization_names_are_unique(client: TestClient, admin: Member) -> None:
    """A second organization of the same name is 409 conflict."""
    client.post("/v1/orgs", json={"name": "twin"}, headers=admin.headers)
    again = client.post("/v1/orgs", json={"name": "twin"}, headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_only_operator_admins_create_organizations(client: TestClient, make_member: MakeMember) -> None:
    """An admin of a member organization may not add organizations: 403 forbidden."""
    other_admin = make_member("agency-a", "a-admin", "admin")
    response = client.post("/v1/orgs", json={"name": "rogue"}, headers=other_admin.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_unknown_organization_is_404(client: TestClient, admin: Member) -> None:
    """Reading an organization that does not exist is 404 not_found."""
    response = client.get(f"/v1/orgs/{uuid4()}", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_users_are_created_and_listed_per_organization(
    client: TestClient, admin: Member, make_member: MakeMember
) -> None:
    """An operator admin creates a user in another org; ?org= lists that org's users only."""
    make_member("agency-a", "a-admin", "admin")
    created = client.post(
        "/v1/users", json={"name": "alice", "role": "analyst", "org": "agency-a"}, headers=admin.headers
    )
    assert created.status_code == 201
    assert (created.json()["name"], created.json()["role"]) == ("alice", "analyst")
    listed = client.get("/v1/users", params={"org": "agency-a"}, headers=admin.headers).json()
    assert {u["name"] for u in listed["items"]} == {"a-admin", "alice"}
    everyone = client.get("/v1/users", headers=admin.headers).json()
    assert {"admin", "a-admin", "alice"} <= {u["name"] for u in everyone["items"]}


def test_member_admins_create_users_in_their_own_org_only(
    client: TestClient, make_member: MakeMember
) -> None:
    """Without `org` a user lands in the caller's org; naming another org is 403."""
    a_admin = make_member("agency-a", "a-admin", "admin")
    make_member("agency-b", "b-admin", "admin")
    own = client.post("/v1/users", json={"name": "a-analyst", "role": "analyst"}, headers=a_admin.headers)
    assert own.status_code == 201
    assert own.json()["org_id"] == str(a_admin.org_id)
    other = client.post(
        "/v1/users", json={"name": "spy", "role": "analyst", "org": "agency-b"}, headers=a_admin.headers
    )
    assert other.status_code == 403
    listing = client.get("/v1/users", params={"org": "agency-b"}, headers=a_admin.headers)
    assert listing.status_code == 403


def test_a_bad_role_is_422_naming_role(client: TestClient, admin: Member) -> None:
    """An unknown role is refused with the choices, naming the field `role`."""
    response = client.post("/v1/users", json={"name": "x", "role": "boss"}, headers=admin.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "role"
    assert "analyst" in error["message"] and "'boss'" in error["message"]


def test_a_new_key_is_shown_once_and_works(client: TestClient, admin: Member) -> None:
    """POST /v1/keys returns the full key text (not cached), and that key authenticates."""
    response = client.post("/v1/keys", json={"user": "admin", "name": "pipeline"}, headers=admin.headers)
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["key"].startswith(f"ctx_{body['key_id']}_")
    assert (body["name"], body["user_id"], body["org_id"]) == (
        "pipeline",
        str(admin.user_id),
        str(admin.org_id),
    )
    assert body["expires_at"] is None
    who = client.get("/v1/whoami", headers={"Authorization": f"Bearer {body['key']}"})
    assert who.json()["name"] == "admin"


def test_key_listing_never_shows_secrets(client: TestClient, admin: Member) -> None:
    """GET /v1/keys lists key records without the key text or its hash."""
    created = client.post("/v1/keys", json={"user": "admin", "name": "listed"}, headers=admin.headers).json()
    listed = client.get("/v1/keys", headers=admin.headers)
    records = {k["key_id"]: k for k in listed.json()["items"]}
    assert created["key_id"] in records
    assert set(records[created["key_id"]]) == {
        "key_id",
        "name",
        "user_id",
        "org_id",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    }
    secret = created["key"].split("_")[2]
    assert secret not in listed.text and "scrypt" not in listed.text


def test_a_key_may_carry_an_expiry_with_a_time_zone(client: TestClient, admin: Member) -> None:
    """expires_at must be aware; a naive time is 422 naming expires_at, a past one too."""
    when = (utc_now() + timedelta(days=30)).isoformat()
    ok = client.post(
        "/v1/keys", json={"user": "admin", "name": "k", "expires_at": when}, headers=admin.headers
    )
    assert ok.status_code == 201
    assert ok.json()["expires_at"] is not None
    naive = client.post(
        "/v1/keys",
        json={"user": "admin", "name": "k", "expires_at": "2030-01-01T00:00:00"},
        headers=admin.headers,
    )
    assert naive.status_code == 422
    assert naive.json()["error"]["field"] == "expires_at"
    past = client.post(
        "/v1/keys",
        json={"user": "admin", "name": "k", "expires_at": "2001-01-01T00:00:00Z"},
        headers=admin.headers,
    )
    assert past.status_code == 422
    assert past.json()["error"]["field"] == "expires_at"


def test_revoking_a_key_stops_it_at_once(client: TestClient, admin: Member) -> None:
    """POST /v1/keys/{id}/revoke returns the record with revoked_at; the key then gets 401."""
    created = client.post("/v1/keys", json={"user": "admin", "name": "doomed"}, headers=admin.headers).json()
    doomed = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/v1/whoami", headers=doomed).status_code == 200
    revoked = client.post(f"/v1/keys/{created['key_id']}/revoke", headers=admin.headers)
    assert revoked.status_code == 200
    assert revoked.json()["key_id"] == created["key_id"]
    assert revoked.json()["revoked_at"] is not None
    assert "key" not in revoked.json()
    assert client.get("/v1/whoami", headers=doomed).status_code == 401


def test_keys_of_another_org_cannot_be_revoked(client: TestClient, make_member: MakeMember) -> None:
    """A member admin revoking another org's key gets 404, as for a key that does not exist."""
    a_admin = make_member("agency-a", "a-admin", "admin")
    b_user = make_member("agency-b", "b-user", "analyst")
    key_id = b_user.key.split("_")[1]
    response = client.post(f"/v1/keys/{key_id}/revoke", headers=a_admin.headers)
    assert response.status_code == 404
    assert client.get("/v1/whoami", headers=b_user.headers).status_code == 200


def test_analysts_may_not_manage_keys(client: TestClient, make_member: MakeMember) -> None:
    """Listing keys needs the admin role: an analyst gets 403."""
    analyst = make_member("agency-a", "alice", "analyst")
    assert client.get("/v1/keys", headers=analyst.headers).status_code == 403


def test_sharing_groups_are_created_read_and_extended(
    client: TestClient, admin: Member, make_member: MakeMember
) -> None:
    """A group holds its owner and the named orgs; members read it; the owner adds an org to it."""
    a_admin = make_member("agency-a", "a-admin", "admin")
    b_admin = make_member("agency-b", "b-admin", "admin")
    made = client.post(
        "/v1/groups", json={"name": "hash-sharing", "members": ["agency-b"]}, headers=a_admin.headers
    )
    assert made.status_code == 201
    group = made.json()
    assert group["owner_org_id"] == str(a_admin.org_id)
    assert set(group["members"]) == {str(a_admin.org_id), str(b_admin.org_id)}
    assert client.get("/v1/groups/hash-sharing", headers=b_admin.headers).json() == group
    assert [g["name"] for g in client.get("/v1/groups", headers=b_admin.headers).json()["items"]] == [
        "hash-sharing"
    ]
    c_admin = make_member("agency-c", "c-admin", "admin")
    assert client.get("/v1/groups/hash-sharing", headers=c_admin.headers).status_code == 404
    assert client.get("/v1/groups", headers=c_admin.headers).json()["items"] == []
    added = client.post("/v1/groups/hash-sharing/members", json={"org": "agency-c"}, headers=a_admin.headers)
    assert added.status_code == 200
    assert str(c_admin.org_id) in added.json()["members"]
    assert client.get(f"/v1/groups/{group['id']}", headers=c_admin.headers).status_code == 200
    everything = client.get("/v1/groups", headers=admin.headers).json()["items"]
    assert [g["id"] for g in everything] == [group["id"]]


def test_only_the_owner_adds_to_a_group(client: TestClient, make_member: MakeMember) -> None:
    """A member org that does not own the group may not add to it: 403."""
    a_admin = make_member("agency-a", "a-admin", "admin")
    b_admin = make_member("agency-b", "b-admin", "admin")
    make_member("agency-c", "c-admin", "admin")
    client.post("/v1/groups", json={"name": "g", "members": ["agency-b"]}, headers=a_admin.headers)
    response = client.post("/v1/groups/g/members", json={"org": "agency-c"}, headers=b_admin.headers)
    assert response.status_code == 403


def test_deactivation_stops_keys_and_is_for_admins(
    client: TestClient, admin: Member, make_member: MakeMember
) -> None:
    """Deactivating a user or an organization makes their keys 401 at once; only admins may do it."""
    pipeline = make_member("platform", "pipeline", "service")
    analyst = make_member("platform", "platform-analyst", "analyst")
    assert client.get("/v1/whoami", headers=pipeline.headers).status_code == 200
    refused = client.post("/v1/users/pipeline/deactivate", headers=analyst.headers)
    assert refused.status_code == 403
    done = client.post("/v1/users/pipeline/deactivate", headers=admin.headers)
    assert (done.status_code, done.json()["is_active"]) == (200, False)
    assert client.get("/v1/whoami", headers=pipeline.headers).status_code == 401
    client.post("/v1/users/pipeline/activate", headers=admin.headers)
    assert client.get("/v1/whoami", headers=pipeline.headers).status_code == 200
    org = client.post("/v1/orgs/platform/deactivate", headers=admin.headers)
    assert (org.status_code, org.json()["is_active"]) == (200, False)
    assert client.get("/v1/whoami", headers=analyst.headers).status_code == 401
    assert (
        client.post("/v1/orgs/coalition/deactivate", headers=admin.headers).json()["error"]["code"]
        == "conflict"
    )
    assert client.post("/v1/orgs/platform/suspend", headers=admin.headers).status_code == 422


def test_removing_a_member_ends_its_amber_access(
    client: TestClient, admin: Member, make_member: MakeMember
) -> None:
    """After DELETE /v1/groups/{g}/members/{org}, that org's next request no longer sees the AMBER signal."""
    owner = make_member("agency-a", "a-admin", "admin")
    member = make_member("agency-b", "b-analyst", "analyst")
    client.post("/v1/groups", json={"name": "g", "members": ["agency-b"]}, headers=owner.headers)
    client.post(
        "/v1/collections", json={"name": "bank", "marking": "AMBER", "group": "g"}, headers=owner.headers
    )
    signal = client.post(
        "/v1/signals",
        json={"collection": "bank", "kind": "md5", "value": "0" * 32},
        headers=owner.headers,
    ).json()
    assert client.get(f"/v1/signals/{signal['id']}", headers=member.headers).status_code == 200
    removed = client.delete("/v1/groups/g/members/agency-b", headers=owner.headers)
    assert removed.status_code == 200
    assert str(member.org_id) not in removed.json()["members"]
    assert client.get(f"/v1/signals/{signal['id']}", headers=member.headers).status_code == 404
    assert client.get("/v1/signals/count", headers=member.headers).json() == {"count": 0}
    again = client.delete("/v1/groups/g/members/agency-b", headers=owner.headers)
    assert again.status_code == 404
    owner_leaves = client.delete("/v1/groups/g/members/agency-a", headers=owner.headers)
    assert owner_leaves.json()["error"]["code"] == "conflict"
