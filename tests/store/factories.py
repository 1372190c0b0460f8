"""Domain objects built in code for store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from ctexchange.domain.markings import Marking
from ctexchange.domain.members import ApiKey, Organization, OrgKind, SharingGroup, User
from ctexchange.domain.roles import Role
from ctexchange.domain.signals import Collection, Family, Provenance, Signal, SignalStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def org(name: str, *, operator: bool = False) -> Organization:
    """An active organization."""
    return Organization(uuid4(), name, OrgKind.NATIONAL_AGENCY, operator, True, T0)


def user(org_id: UUID, name: str, role: Role = Role.ANALYST) -> User:
    """An active user."""
    return User(uuid4(), org_id, name, role, True, T0)


def key(owner: User, key_id: str) -> ApiKey:
    """An unrevoked key that never expires."""
    return ApiKey(key_id, owner.id, owner.org_id, "k", "scrypt$4$8$1$AA==$AA==", T0)


def group(name: str, owner: UUID, members: set[UUID]) -> SharingGroup:
    """A sharing group."""
    return SharingGroup(uuid4(), name, owner, T0, frozenset(members | {owner}))


def collection(
    org_id: UUID, name: str, marking: Marking = Marking.AMBER, group_id: UUID | None = None
) -> Collection:
    """A collection."""
    return Collection(uuid4(), name, org_id, marking, group_id, "", {}, T0)


def signal(
    coll: Collection,
    n: int,
    *,
    marking: Marking | None = None,
    labels: frozenset[str] = frozenset({"propaganda"}),
    recipients: frozenset[UUID] = frozenset(),
    external_id: str | None = None,
) -> Signal:
    """The n-th md5 signal of a collection, created n seconds after T0."""
    at = T0 + timedelta(seconds=n)
    value = f"{n:032x}"
    return Signal(
        uuid4(),
        coll.id,
        coll.org_id,
        Family.CONTENT,
        "md5",
        value,
        value,
        labels,
        marking or coll.default_marking,
        coll.sharing_group_id,
        SignalStatus.ACTIVE,
        Provenance("user:test", "test", None),
        at,
        at,
        external_id,
        recipients,
    )
