"""The console's rows in the store (migration 0012) behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from ctexchange.domain.members import ConsoleSession, Organization, OrgKind, User
from ctexchange.domain.roles import Role
from ctexchange.store.base import SqlStore

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _user(store: SqlStore) -> User:
    org = Organization(uuid4(), "org", OrgKind.OTHER, False, True, NOW)
    user = User(uuid4(), org.id, "amina", Role.ANALYST, True, NOW)
    with store.transaction() as uow:
        uow.members.add_org(org)
        uow.members.add_user(user)
    return user


def test_login_state_round_trips(store: SqlStore) -> None:
    """A new user has no password; hash, failures, lockout and language are stored and read back."""
    user = _user(store)
    with store.snapshot() as uow:
        fresh = uow.members.login_by_name("amina")
    assert fresh is not None and fresh.user == user
    assert (fresh.password_hash, fresh.failed_logins, fresh.locked_until, fresh.language) == (
        None,
        0,
        None,
        None,
    )
    with store.transaction() as uow:
        assert [uow.members.add_failed_login(user.id) for _ in range(3)] == [1, 2, 3]
    with store.transaction() as uow:
        uow.members.set_failed_logins(user.id, 3, NOW + timedelta(minutes=15))
        uow.members.set_language(user.id, "ar")
    with store.snapshot() as uow:
        locked = uow.members.login(user.id)
    assert locked is not None and locked.failed_logins == 3 and locked.language == "ar"
    assert locked.is_locked(NOW) and not locked.is_locked(NOW + timedelta(minutes=15))
    with store.transaction() as uow:
        uow.members.set_password_hash(user.id, "scrypt$4$8$1$c2FsdA==$aGFzaA==")
    with store.snapshot() as uow:
        reset = uow.members.login(user.id)
    assert reset is not None and reset.password_hash == "scrypt$4$8$1$c2FsdA==$aGFzaA=="
    assert (reset.failed_logins, reset.locked_until) == (0, None)


def test_sessions_touch_and_end(store: SqlStore) -> None:
    """Sessions are found by token hash, touched, ended one by one or all of a user's at once."""
    user = _user(store)
    first = ConsoleSession("a" * 64, user.id, NOW, NOW, NOW + timedelta(hours=12))
    second = ConsoleSession("b" * 64, user.id, NOW, NOW, NOW + timedelta(hours=12))
    with store.transaction() as uow:
        uow.members.add_session(first)
        uow.members.add_session(second)
        uow.members.touch_session(first.token_hash, NOW + timedelta(minutes=5))
    with store.snapshot() as uow:
        assert uow.members.session("a" * 64) == ConsoleSession(
            "a" * 64, user.id, NOW, NOW + timedelta(minutes=5), NOW + timedelta(hours=12)
        )
        assert uow.members.session("c" * 64) is None
    with store.transaction() as uow:
        uow.members.end_session(first.token_hash, NOW + timedelta(minutes=6))
        uow.members.end_session(first.token_hash, NOW + timedelta(minutes=9))  # keeps the first end
        uow.members.end_sessions_of(user.id, NOW + timedelta(minutes=7))
    with store.snapshot() as uow:
        ended_first, ended_second = uow.members.session("a" * 64), uow.members.session("b" * 64)
    assert ended_first is not None and ended_first.ended_at == NOW + timedelta(minutes=6)
    assert ended_second is not None and ended_second.ended_at == NOW + timedelta(minutes=7)


def test_expired_sessions_are_purged(store: SqlStore) -> None:
    """Purging removes the sessions that expired before the given time, and only those."""
    user = _user(store)
    old = ConsoleSession("d" * 64, user.id, NOW - timedelta(days=3), NOW, NOW - timedelta(days=2))
    live = ConsoleSession("e" * 64, user.id, NOW, NOW, NOW + timedelta(hours=1))
    with store.transaction() as uow:
        uow.members.add_session(old)
        uow.members.add_session(live)
        uow.members.purge_sessions(NOW - timedelta(days=1))
    with store.snapshot() as uow:
        assert uow.members.session("d" * 64) is None
        assert uow.members.session("e" * 64) == live
