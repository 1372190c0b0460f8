"""Builders the API tests share: members with keys, and collections and signals made through the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

MD5_A = "0cc175b9c0f1b6a831c399e269772661"


def md5_of(number: int) -> str:
    """Return a distinct, well-formed md5 value for test signal `number`."""
    return f"{number:032x}"


@dataclass(frozen=True)
class Member:
    """A user of an organization and the key it calls the API with."""

    org_id: UUID
    org_name: str
    user_id: UUID
    name: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header of this member's key."""
        return {"Authorization": f"Bearer {self.key}"}


MakeMember = Callable[[str, str, str], Member]
"""`make_member(org, user, role)`: the factory the `make_member` fixture returns."""


def add_signal(client: TestClient, member: Member, collection: str, **fields: Any) -> dict[str, Any]:
    """Add one md5 signal through the API and return its JSON; fails the test unless it is created."""
    body = {"collection": collection, "kind": "md5", "value": MD5_A, **fields}
    response = client.post("/v1/signals", json=body, headers=member.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def add_collection(client: TestClient, member: Member, name: str, **fields: Any) -> dict[str, Any]:
    """Create a collection through the API and return its JSON; fails the test unless it is created."""
    body = {"name": name, "marking": "AMBER", **fields}
    response = client.post("/v1/collections", json=body, headers=member.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
