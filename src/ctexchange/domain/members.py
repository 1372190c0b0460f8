"""Members of the exchange: organizations, their users and API keys, and sharing groups.

A user belongs to exactly one organization and has one role; every API key belongs to one user and acts
with that user's role. Machine accounts of a platform's pipeline are users with the `service` role.
Only a slow hash of a key's secret is ever stored (see `ctexchange.service.keys`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from ctexchange.domain.choices import Choice
from ctexchange.domain.roles import Role


class OrgKind(Choice):
    """What sort of member an organization is; shown to people, never used for access."""

    INTERGOVERNMENTAL = "intergovernmental"
    NATIONAL_AGENCY = "national-agency"
    ONLINE_SERVICE = "online-service"
    NGO = "ngo"
    OTHER = "other"


@dataclass(frozen=True)
class Organization:
    """A member of the exchange. The operator organization administers the coalition."""

    id: UUID
    name: str
    kind: OrgKind
    is_operator: bool
    is_active: bool
    created_at: datetime


@dataclass(frozen=True)
class User:
    """A person or a machine account of one organization."""

    id: UUID
    org_id: UUID
    name: str
    role: Role
    is_active: bool
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
    """An API key: `key_id` is public (it prefixes the key), the secret is stored as a slow hash."""

    key_id: str
    user_id: UUID
    org_id: UUID
    name: str
    secret_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        """True when the key is neither revoked nor expired at `now`."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class SharingGroup:
    """A named set of organizations that AMBER signals can be shared with."""

    id: UUID
    name: str
    owner_org_id: UUID
    created_at: datetime
    member_org_ids: frozenset[UUID] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user of an organization with a role, and the groups that organization is in.

    `user_id` is None for the local operator acting through the CLI on the machine that holds the
    store; such a principal is always an admin of the operator organization.
    """

    org_id: UUID
    role: Role
    user_id: UUID | None
    name: str
    is_operator_org: bool = False
    group_ids: frozenset[UUID] = field(default_factory=frozenset)
    key_id: str | None = None

    @property
    def actor(self) -> str:
        """The actor recorded in the audit log: the key, the user or the local operator."""
        if self.key_id is not None:
            return f"key:{self.key_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return self.name


@dataclass(frozen=True)
class Login:
    """What the console's login knows of a user: the password hash, the lockout state and the language.

    Kept apart from `User` so that the hash never travels with the user records that lists and JSON
    documents are made of. `password_hash` is None until a password is set (`ctx user passwd`).
    """

    user: User
    password_hash: str | None
    failed_logins: int
    locked_until: datetime | None
    language: str | None

    def is_locked(self, now: datetime) -> bool:
        """True while a lockout is in force at `now`."""
        return self.locked_until is not None and now < self.locked_until


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in browser: only the SHA-256 of its random token is stored (`token_hash`).

    A session ends at `expires_at` (absolute), after the idle limit since `last_seen_at`, or when
    `ended_at` is set (logout, password change, deactivation).
    """

    token_hash: str
    user_id: UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
