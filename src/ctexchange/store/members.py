"""SQL repositories for organizations, users, API keys and sharing groups."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ctexchange.domain.members import ApiKey, ConsoleSession, Login, Organization, OrgKind, SharingGroup, User
from ctexchange.domain.roles import Role
from ctexchange.store.codec import parse_ts, parse_ts_or_none, ts, ts_or_none, uid
from ctexchange.store.db import Db, Row

_ORG_COLUMNS = "id, name, kind, is_operator, is_active, created_at"
_USER_COLUMNS = "id, org_id, name, role, is_active, created_at"
_LOGIN_COLUMNS = "password_hash, failed_logins, locked_until, language"
_SESSION_COLUMNS = "token_hash, user_id, created_at, last_seen_at, expires_at, ended_at"
_KEY_COLUMNS = "key_id, user_id, org_id, name, secret_hash, created_at, expires_at, revoked_at, last_used_at"


def _org(row: Row) -> Organization:
    return Organization(
        id=uid(row["id"]),
        name=row["name"],
        kind=OrgKind(row["kind"]),
        is_operator=bool(row["is_operator"]),
        is_active=bool(row["is_active"]),
        created_at=parse_ts(row["created_at"]),
    )


def _user(row: Row) -> User:
    return User(
        id=uid(row["id"]),
        org_id=uid(row["org_id"]),
        name=row["name"],
        role=Role(row["role"]),
        is_active=bool(row["is_active"]),
        created_at=parse_ts(row["created_at"]),
    )


def _key(row: Row) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        user_id=uid(row["user_id"]),
        org_id=uid(row["org_id"]),
        name=row["name"],
        secret_hash=row["secret_hash"],
        created_at=parse_ts(row["created_at"]),
        expires_at=parse_ts_or_none(row["expires_at"]),
        revoked_at=parse_ts_or_none(row["revoked_at"]),
        last_used_at=parse_ts_or_none(row["last_used_at"]),
    )


def _login(row: Row) -> Login:
    return Login(
        user=_user(row),
        password_hash=row["password_hash"],
        failed_logins=int(row["failed_logins"]),
        locked_until=parse_ts_or_none(row["locked_until"]),
        language=row["language"],
    )


def _session(row: Row) -> ConsoleSession:
    return ConsoleSession(
        token_hash=row["token_hash"],
        user_id=uid(row["user_id"]),
        created_at=parse_ts(row["created_at"]),
        last_seen_at=parse_ts(row["last_seen_at"]),
        expires_at=parse_ts(row["expires_at"]),
        ended_at=parse_ts_or_none(row["ended_at"]),
    )


class SqlMembers:
    """Organizations, users and keys in SQL."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add_org(self, org: Organization) -> None:
        """Insert an organization; a taken name is a Conflict."""
        self.db.run(
            f"INSERT INTO organizations ({_ORG_COLUMNS}) "
            "VALUES (:id, :name, :kind, :is_operator, :is_active, :created_at)",
            {
                "id": str(org.id),
                "name": org.name,
                "kind": org.kind.value,
                "is_operator": org.is_operator,
                "is_active": org.is_active,
                "created_at": ts(org.created_at),
            },
            conflict=f"an organization named '{org.name}' exists already",
        )

    def org(self, org_id: UUID) -> Organization | None:
        """Return the organization with this id, or None."""
        row = self.db.row(f"SELECT {_ORG_COLUMNS} FROM organizations WHERE id = :id", {"id": str(org_id)})
        return None if row is None else _org(row)

    def org_by_name(self, name: str) -> Organization | None:
        """Return the organization with this name, or None."""
        row = self.db.row(f"SELECT {_ORG_COLUMNS} FROM organizations WHERE name = :n", {"n": name})
        return None if row is None else _org(row)

    def orgs(self) -> list[Organization]:
        """Return every organization by name."""
        return [_org(r) for r in self.db.rows(f"SELECT {_ORG_COLUMNS} FROM organizations ORDER BY name")]

    def add_user(self, user: User) -> None:
        """Insert a user; a taken name is a Conflict."""
        self.db.run(
            f"INSERT INTO users ({_USER_COLUMNS}) "
            "VALUES (:id, :org_id, :name, :role, :is_active, :created_at)",
            {
                "id": str(user.id),
                "org_id": str(user.org_id),
                "name": user.name,
                "role": user.role.value,
                "is_active": user.is_active,
                "created_at": ts(user.created_at),
            },
            conflict=f"a user named '{user.name}' exists already",
        )

    def user(self, user_id: UUID) -> User | None:
        """Return the user with this id, or None."""
        row = self.db.row(f"SELECT {_USER_COLUMNS} FROM users WHERE id = :id", {"id": str(user_id)})
        return None if row is None else _user(row)

    def user_by_name(self, name: str) -> User | None:
        """Return the user with this name, or None."""
        row = self.db.row(f"SELECT {_USER_COLUMNS} FROM users WHERE name = :n", {"n": name})
        return None if row is None else _user(row)

    def users(self, org_id: UUID | None) -> list[User]:
        """Return the users of one organization (or all) by name."""
        if org_id is None:
            rows = self.db.rows(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")
        else:
            rows = self.db.rows(
                f"SELECT {_USER_COLUMNS} FROM users WHERE org_id = :o ORDER BY name", {"o": str(org_id)}
            )
        return [_user(r) for r in rows]

    def set_org_active(self, org_id: UUID, is_active: bool) -> None:
        """Activate or deactivate an organization (its users' keys stop or resume working)."""
        self.db.run(
            "UPDATE organizations SET is_active = :a WHERE id = :id", {"a": is_active, "id": str(org_id)}
        )

    def set_user_active(self, user_id: UUID, is_active: bool) -> None:
        """Activate or deactivate a user (its keys stop or resume working)."""
        self.db.run("UPDATE users SET is_active = :a WHERE id = :id", {"a": is_active, "id": str(user_id)})

    def add_key(self, key: ApiKey) -> None:
        """Insert an API key (its secret already hashed)."""
        self.db.run(
            f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (:key_id, :user_id, :org_id, :name, "
            ":secret_hash, :created_at, :expires_at, :revoked_at, :last_used_at)",
            {
                "key_id": key.key_id,
                "user_id": str(key.user_id),
                "org_id": str(key.org_id),
                "name": key.name,
                "secret_hash": key.secret_hash,
                "created_at": ts(key.created_at),
                "expires_at": ts_or_none(key.expires_at),
                "revoked_at": ts_or_none(key.revoked_at),
                "last_used_at": ts_or_none(key.last_used_at),
            },
            conflict="an API key with this id exists already",
        )

    def key(self, key_id: str) -> ApiKey | None:
        """Return the key with this public id, or None."""
        row = self.db.row(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = :k", {"k": key_id})
        return None if row is None else _key(row)

    def keys(self, org_id: UUID | None) -> list[ApiKey]:
        """Return the keys of one organization (or all), oldest first."""
        sql = f"SELECT {_KEY_COLUMNS} FROM api_keys"
        if org_id is None:
            return [_key(r) for r in self.db.rows(sql + " ORDER BY created_at, key_id")]
        rows = self.db.rows(sql + " WHERE org_id = :o ORDER BY created_at, key_id", {"o": str(org_id)})
        return [_key(r) for r in rows]

    def revoke_key(self, key_id: str, at: datetime) -> None:
        """Mark a key revoked at `at` (a key revoked earlier keeps its first revocation time)."""
        self.db.run(
            "UPDATE api_keys SET revoked_at = :at WHERE key_id = :k AND revoked_at IS NULL",
            {"k": key_id, "at": ts(at)},
        )

    def touch_key(self, key_id: str, at: datetime) -> None:
        """Record that a key was used at `at`."""
        self.db.run("UPDATE api_keys SET last_used_at = :at WHERE key_id = :k", {"k": key_id, "at": ts(at)})

    def login(self, user_id: UUID) -> Login | None:
        """Return the console login state of a user, or None."""
        row = self.db.row(
            f"SELECT {_USER_COLUMNS}, {_LOGIN_COLUMNS} FROM users WHERE id = :id", {"id": str(user_id)}
        )
        return None if row is None else _login(row)

    def login_by_name(self, name: str) -> Login | None:
        """Return the console login state of the user with this name, or None."""
        row = self.db.row(f"SELECT {_USER_COLUMNS}, {_LOGIN_COLUMNS} FROM users WHERE name = :n", {"n": name})
        return None if row is None else _login(row)

    def set_password_hash(self, user_id: UUID, password_hash: str) -> None:
        """Store a new password hash and clear the lockout counter."""
        self.db.run(
            "UPDATE users SET password_hash = :h, failed_logins = 0, locked_until = NULL WHERE id = :id",
            {"h": password_hash, "id": str(user_id)},
        )

    def set_failed_logins(self, user_id: UUID, failed_logins: int, locked_until: datetime | None) -> None:
        """Record the count of consecutive failed logins and the end of a lockout (None: not locked)."""
        self.db.run(
            "UPDATE users SET failed_logins = :f, locked_until = :u WHERE id = :id",
            {"f": failed_logins, "u": ts_or_none(locked_until), "id": str(user_id)},
        )

    def add_failed_login(self, user_id: UUID) -> int:
        """Count one more failed login of a user, atomically (the row is locked); return the new count."""
        self.db.run("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = :id", {"id": str(user_id)})
        row = self.db.row("SELECT failed_logins FROM users WHERE id = :id", {"id": str(user_id)})
        return 0 if row is None else int(row["failed_logins"])

    def set_language(self, user_id: UUID, language: str | None) -> None:
        """Remember the interface language a user chose."""
        self.db.run("UPDATE users SET language = :l WHERE id = :id", {"l": language, "id": str(user_id)})

    def add_session(self, session: ConsoleSession) -> None:
        """Insert a console session (its token hashed)."""
        self.db.run(
            f"INSERT INTO console_sessions ({_SESSION_COLUMNS}) VALUES "
            "(:token_hash, :user_id, :created_at, :last_seen_at, :expires_at, :ended_at)",
            {
                "token_hash": session.token_hash,
                "user_id": str(session.user_id),
                "created_at": ts(session.created_at),
                "last_seen_at": ts(session.last_seen_at),
                "expires_at": ts(session.expires_at),
                "ended_at": ts_or_none(session.ended_at),
            },
            conflict="a console session with this token exists already",
        )

    def session(self, token_hash: str) -> ConsoleSession | None:
        """Return the console session with this token hash, or None."""
        row = self.db.row(
            f"SELECT {_SESSION_COLUMNS} FROM console_sessions WHERE token_hash = :t", {"t": token_hash}
        )
        return None if row is None else _session(row)

    def touch_session(self, token_hash: str, at: datetime) -> None:
        """Record activity in a session (the idle limit counts from here)."""
        self.db.run(
            "UPDATE console_sessions SET last_seen_at = :at WHERE token_hash = :t",
            {"t": token_hash, "at": ts(at)},
        )

    def end_session(self, token_hash: str, at: datetime) -> None:
        """End one session (a session ended earlier keeps its first end)."""
        self.db.run(
            "UPDATE console_sessions SET ended_at = :at WHERE token_hash = :t AND ended_at IS NULL",
            {"t": token_hash, "at": ts(at)},
        )

    def purge_sessions(self, before: datetime) -> None:
        """Delete the sessions that expired before `before` (ended or not: they can never be used)."""
        self.db.run("DELETE FROM console_sessions WHERE expires_at < :b", {"b": ts(before)})

    def end_sessions_of(self, user_id: UUID, at: datetime) -> None:
        """End every open session of a user (password changed, user deactivated)."""
        self.db.run(
            "UPDATE console_sessions SET ended_at = :at WHERE user_id = :u AND ended_at IS NULL",
            {"u": str(user_id), "at": ts(at)},
        )


class SqlGroups:
    """Sharing groups in SQL."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add_group(self, group: SharingGroup) -> None:
        """Insert a group and its initial members; a taken name is a Conflict."""
        self.db.run(
            "INSERT INTO sharing_groups (id, name, owner_org_id, created_at) "
            "VALUES (:id, :name, :owner, :at)",
            {
                "id": str(group.id),
                "name": group.name,
                "owner": str(group.owner_org_id),
                "at": ts(group.created_at),
            },
            conflict=f"a sharing group named '{group.name}' exists already",
        )
        for org_id in sorted(group.member_org_ids):
            self.add_member(group.id, org_id, group.created_at)

    def _load(self, row: Row | None) -> SharingGroup | None:
        if row is None:
            return None
        members = self.db.rows("SELECT org_id FROM group_members WHERE group_id = :g", {"g": row["id"]})
        return SharingGroup(
            id=uid(row["id"]),
            name=row["name"],
            owner_org_id=uid(row["owner_org_id"]),
            created_at=parse_ts(row["created_at"]),
            member_org_ids=frozenset(uid(m["org_id"]) for m in members),
        )

    def group(self, group_id: UUID) -> SharingGroup | None:
        """Return the group with this id and its members, or None."""
        return self._load(self.db.row("SELECT * FROM sharing_groups WHERE id = :g", {"g": str(group_id)}))

    def group_by_name(self, name: str) -> SharingGroup | None:
        """Return the group with this name and its members, or None."""
        return self._load(self.db.row("SELECT * FROM sharing_groups WHERE name = :n", {"n": name}))

    def groups(self) -> list[SharingGroup]:
        """Return every group by name."""
        rows = self.db.rows("SELECT * FROM sharing_groups ORDER BY name")
        return [g for g in (self._load(r) for r in rows) if g is not None]

    def add_member(self, group_id: UUID, org_id: UUID, at: datetime) -> None:
        """Add an organization to a group; adding it twice is a Conflict."""
        self.db.run(
            "INSERT INTO group_members (group_id, org_id, added_at) VALUES (:g, :o, :at)",
            {"g": str(group_id), "o": str(org_id), "at": ts(at)},
            conflict="the organization is a member of this group already",
        )

    def remove_member(self, group_id: UUID, org_id: UUID) -> bool:
        """Remove an organization from a group; return False when it was not a member."""
        params = {"g": str(group_id), "o": str(org_id)}
        if (
            self.db.row("SELECT 1 AS x FROM group_members WHERE group_id = :g AND org_id = :o", params)
            is None
        ):
            return False
        self.db.run("DELETE FROM group_members WHERE group_id = :g AND org_id = :o", params)
        return True

    def groups_of(self, org_id: UUID) -> frozenset[UUID]:
        """Return the ids of the groups an organization belongs to."""
        rows = self.db.rows("SELECT group_id FROM group_members WHERE org_id = :o", {"o": str(org_id)})
        return frozenset(uid(r["group_id"]) for r in rows)
