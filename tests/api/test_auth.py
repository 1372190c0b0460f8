"""The bearer-key dependency: every way of failing gives the same 401, a good key gives its caller."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from fastapi.testclient import TestClient

from ctexchange.api.app import create_app
from ctexchange.service.context import Caller, utc_now
from ctexchange.service.exchange import Exchange, build_exchange
from tests.api.factories import MakeMember, Member


def _deactivate(exchange: Exchange, member: Member) -> None:
    """Mark a user inactive in the store (the service has no use case for it yet)."""
    with sqlite3.connect(exchange.settings.home_path / "ctx.sqlite3") as conn:
        conn.execute("UPDATE users SET is_active = 0 WHERE id = ?", (str(member.user_id),))


def test_a_good_key_acts_as_its_user(client: TestClient, make_member: MakeMember) -> None:
    """A valid key is accepted and /v1/whoami names its organization, user and role."""
    analyst = make_member("agency-a", "alice", "analyst")
    response = client.get("/v1/whoami", headers=analyst.headers)
    assert response.status_code == 200
    assert response.json() == {
        "org_id": str(analyst.org_id),
        "user_id": str(analyst.user_id),
        "name": "alice",
        "role": "analyst",
    }


def test_every_unusable_key_gives_the_identical_401(
    exchange: Exchange, operator: Caller, client: TestClient, make_member: MakeMember
) -> None:
    """Missing, malformed, wrong, revoked, expired keys and deactivated users all get one 401 body."""
    revoked = make_member("agency-a", "revoked-user", "analyst")
    exchange.members.revoke_key(operator, revoked.key.split("_")[1])
    deactivated = make_member("agency-a", "gone-user", "analyst")
    _deactivate(exchange, deactivated)
    expiring = exchange.members.create_key(operator, "admin", "short", utc_now() + timedelta(hours=1))
    wrong = revoked.key[:-1] + ("0" if revoked.key[-1] != "0" else "1")
    later = build_exchange(exchange.settings, exchange.store, clock=lambda: utc_now() + timedelta(hours=2))
    later_client = TestClient(create_app(exchange.settings, later))
    answers = [
        client.get("/v1/whoami"),
        client.get("/v1/whoami", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}),
        client.get("/v1/whoami", headers={"Authorization": "Bearer"}),
        client.get("/v1/whoami", headers={"Authorization": "Bearer not-a-key"}),
        client.get("/v1/whoami", headers={"Authorization": f"Bearer {wrong}"}),
        client.get("/v1/whoami", headers=revoked.headers),
        client.get("/v1/whoami", headers=deactivated.headers),
        later_client.get("/v1/whoami", headers={"Authorization": f"Bearer {expiring.text}"}),
    ]
    assert {a.status_code for a in answers} == {401}
    assert {a.text for a in answers} == {answers[0].text}
    assert all(a.headers["www-authenticate"] == "Bearer" for a in answers)
    assert answers[0].json() == {
        "error": {
            "code": "unauthenticated",
            "message": "a valid API key is required: 'Authorization: Bearer <key>'",
            "field": None,
        }
    }
    usable_now = client.get("/v1/whoami", headers={"Authorization": f"Bearer {expiring.text}"})
    assert usable_now.status_code == 200


def test_authentication_comes_before_input_checks(client: TestClient) -> None:
    """A caller without a key learns nothing about the body it sent: 401, not 422."""
    response = client.post("/v1/orgs", json={"nam": 1})
    assert response.status_code == 401
