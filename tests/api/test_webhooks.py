"""Webhooks over HTTP: subscribe (the secret shown once), list without secrets, remove, list deliveries;
the envelope on every refusal; another organization's subscription is 404 exactly as an absent id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ctexchange.api.webhook_schemas import SubscriptionIn
from ctexchange.service.exchange import Exchange
from tests.api.factories import MakeMember, Member

ABSENT = "00000000-0000-4000-8000-000000000000"


def _example() -> dict[str, Any]:
    schema = SubscriptionIn.model_config.get("json_schema_extra")
    assert isinstance(schema, dict)
    examples = schema["examples"]
    assert isinstance(examples, list)
    return dict(examples[0])


@pytest.fixture
def admin_b(make_member: MakeMember) -> Member:
    """An admin of agency-b."""
    return make_member("agency-b", "bea", "admin")


def _add(client: TestClient, member: Member, **body: Any) -> Any:
    response = client.post("/v1/webhooks", json={**_example(), **body}, headers=member.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_subscribe_list_remove(client: TestClient, admin_b: Member) -> None:
    """The example body subscribes; the secret is in the 201 only; removal is for good (409 after)."""
    created = _add(client, admin_b)
    assert created["secret"].startswith("whsec_") and len(created["secret"]) == 70
    assert (created["org_id"], created["is_active"]) == (str(admin_b.org_id), True)
    assert created["events"] == ["alert.received", "case.opened", "request.received"]
    listed = client.get("/v1/webhooks", headers=admin_b.headers).json()["items"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in str(listed)
    removed = client.delete(f"/v1/webhooks/{created['id']}", headers=admin_b.headers)
    assert (removed.status_code, removed.json()["is_active"]) == (200, False)
    again = client.delete(f"/v1/webhooks/{created['id']}", headers=admin_b.headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.example.org/"}, "url"),
        ({"url": "https://u:p@hooks.example.org/"}, "url"),
        ({"events": ["case.closed"]}, "events[0]"),
        ({"events": []}, "events"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(
    client: TestClient, admin_b: Member, body: dict[str, Any], field: str
) -> None:
    """Refusals come in the envelope with the field named; nothing is stored."""
    response = client.post("/v1/webhooks", json={**_example(), **body}, headers=admin_b.headers)
    assert (response.status_code, response.json()["error"]["field"]) == (422, field)
    assert client.get("/v1/webhooks", headers=admin_b.headers).json()["items"] == []


def test_roles_and_other_organizations(client: TestClient, admin_b: Member, make_member: MakeMember) -> None:
    """An analyst is 403; another organization's admin gets 404 as for an absent id and an empty list,
    and 403 when naming the organization."""
    created = _add(client, admin_b)
    analyst = make_member("agency-b", "bob", "analyst")
    assert client.get("/v1/webhooks", headers=analyst.headers).status_code == 403
    other = make_member("agency-c", "cid", "admin")
    denied = client.delete(f"/v1/webhooks/{created['id']}", headers=other.headers)
    missing = client.delete(f"/v1/webhooks/{ABSENT}", headers=other.headers)
    assert denied.status_code == missing.status_code == 404
    assert denied.json()["error"]["message"] == missing.json()["error"]["message"].replace(
        ABSENT, created["id"]
    )
    assert client.get("/v1/webhooks", headers=other.headers).json()["items"] == []
    named = client.get("/v1/webhooks", params={"org": "agency-b"}, headers=other.headers)
    assert named.status_code == 403


def test_deliveries_list_their_payload(
    client: TestClient, admin_b: Member, make_member: MakeMember, exchange: Exchange
) -> None:
    """An alert to agency-b shows as a pending delivery of agency-b with its payload of ids."""
    _add(client, admin_b)
    issuer = make_member("agency-a", "alice", "analyst")
    alert = {
        "title": "Fighter reported travelling",
        "kind": "content-campaign",
        "valid_until": (exchange.clock() + timedelta(days=7)).isoformat(),
        "recipients": {"orgs": ["agency-b"]},
    }
    issued = client.post("/v1/alerts", json=alert, headers=issuer.headers)
    assert issued.status_code == 201, issued.text
    items = client.get("/v1/webhooks/deliveries", headers=admin_b.headers).json()["items"]
    assert [(d["event"], d["status"], d["attempts"]) for d in items] == [("alert.received", "pending", 0)]
    assert items[0]["payload"]["data"]["alert_id"] == issued.json()["id"]
    assert client.get("/v1/webhooks/deliveries", headers=issuer.headers).status_code == 403
    bad = client.get("/v1/webhooks/deliveries", params={"limit": 0}, headers=admin_b.headers)
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "limit")
