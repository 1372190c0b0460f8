"""Fixtures of the API tests: an in-process client over the `exchange` fixture, and members with keys.

Members are made through the service as the local operator (the CLI's path); the tests then act
through HTTP only, with each member's own key.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ctexchange.api.app import create_app
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.api.factories import MakeMember, Member


@pytest.fixture
def client(exchange: Exchange) -> Iterator[TestClient]:
    """A client of the app over the test exchange."""
    with TestClient(create_app(exchange.settings, exchange)) as test_client:
        yield test_client


@pytest.fixture
def make_member(exchange: Exchange, operator: Caller) -> MakeMember:
    """Return a factory: `make_member(org, user, role)` creates the org if needed, the user and a key."""

    def make(org_name: str, user_name: str, role: str) -> Member:
        orgs = {o.name: o for o in exchange.members.orgs(operator)}
        org = orgs.get(org_name) or exchange.members.create_org(operator, org_name, "national-agency")
        user = exchange.members.create_user(operator, str(org.id), user_name, role)
        issued = exchange.members.create_key(operator, str(user.id), "test key")
        return Member(org.id, org.name, user.id, user.name, issued.text)

    return make


@pytest.fixture
def admin(exchange: Exchange, operator: Caller) -> Member:
    """The first admin of the operator organization `coalition`, with a fresh key."""
    issued = exchange.members.create_key(operator, "admin", "test")
    org = exchange.members.org(operator, "coalition")
    return Member(org.id, org.name, issued.key.user_id, "admin", issued.text)
