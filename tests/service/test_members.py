"""Administration: who may create organizations, users, keys and groups, and what keys authenticate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ctexchange.domain.members import Principal
from ctexchange.domain.roles import Role
from ctexchange.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.members import IssuedKey


def _key_for(
    exchange: Exchange, operator: Caller, org: str, user: str, role: str
) -> tuple[Caller, IssuedKey]:
    exchange.members.create_user(operator, org, user, role)
    issued = exchange.members.create_key(operator, user, "k")
    return exchange.auth.authenticate(issued.text, "t"), issued


@pytest.fixture
def platform_admin(exchange: Exchange, operator: Caller) -> Caller:
    """An admin of a member organization that is not the operator."""
    exchange.members.create_org(operator, "platform", "online-service")
    return _key_for(exchange, operator, "platform", "platform-admin", "admin")[0]


def test_bootstrap_only_once(exchange: Exchange, operator: Caller) -> None:
    """A second bootstrap of an initialised store is a Conflict."""
    with pytest.raises(Conflict):
        exchange.members.bootstrap(operator, "again", "admin2")


def test_only_operator_admins_create_orgs(exchange: Exchange, platform_admin: Caller) -> None:
    """A member organization's admin cannot create organizations."""
    with pytest.raises(Forbidden):
        exchange.members.create_org(platform_admin, "rogue", "other")


def test_org_admins_manage_their_own_users_only(
    exchange: Exchange, operator: Caller, platform_admin: Caller
) -> None:
    """A member admin adds users to its organization, not to another."""
    user = exchange.members.create_user(platform_admin, None, "moderator", "reviewer")
    assert user.org_id == platform_admin.principal.org_id
    with pytest.raises(Forbidden):
        exchange.members.create_user(platform_admin, "coalition", "intruder", "admin")
    assert [u.name for u in exchange.members.users(platform_admin)] == ["moderator", "platform-admin"]
    with pytest.raises(Forbidden):
        exchange.members.users(platform_admin, "coalition")


def test_duplicate_and_invalid_names(exchange: Exchange, operator: Caller) -> None:
    """A taken user name conflicts; a bad role names the field and the choices."""
    exchange.members.create_user(operator, None, "ana", "analyst")
    with pytest.raises(Conflict, match="ana"):
        exchange.members.create_user(operator, None, "ana", "analyst")
    with pytest.raises(InvalidInput) as info:
        exchange.members.create_user(operator, None, "bob", "superuser")
    assert info.value.field == "role"
    assert "admin, analyst, reviewer, auditor, service" in info.value.message


def test_keys_authenticate_until_revoked(exchange: Exchange, operator: Caller) -> None:
    """A key works until it is revoked; a wrong secret or a garbled key never does."""
    caller, issued = _key_for(exchange, operator, "coalition", "ana", "analyst")
    assert caller.principal.role.value == "analyst"
    wrong = issued.text[:-1] + ("0" if issued.text[-1] != "0" else "1")
    for bad in (wrong, "ctx_nothing", "", issued.text.replace("ctx_", "xtc_")):
        with pytest.raises(Unauthenticated):
            exchange.auth.authenticate(bad, "t")
    exchange.members.revoke_key(operator, issued.key.key_id)
    with pytest.raises(Unauthenticated):
        exchange.auth.authenticate(issued.text, "t")


def test_expired_key(exchange: Exchange, operator: Caller) -> None:
    """A key past its expiry does not authenticate; an expiry in the past is refused at creation."""
    exchange.members.create_user(operator, None, "ana", "analyst")
    now = exchange.clock()
    with pytest.raises(InvalidInput, match="expires_at"):
        exchange.members.create_key(operator, "ana", "k", now - timedelta(seconds=1))
    issued = exchange.members.create_key(operator, "ana", "k", now + timedelta(days=1))
    assert exchange.auth.authenticate(issued.text, "t")
    exchange.clock = lambda: now + timedelta(days=2)
    exchange.auth.clock = exchange.clock
    with pytest.raises(Unauthenticated):
        exchange.auth.authenticate(issued.text, "t")


def test_key_hash_is_slow_and_salted(exchange: Exchange, operator: Caller) -> None:
    """Only a salted scrypt hash is stored; the secret appears nowhere in the store."""
    _, issued = _key_for(exchange, operator, "coalition", "ana", "analyst")
    assert issued.key.secret_hash.startswith("scrypt$")
    secret = issued.text.rsplit("_", 1)[1]
    with exchange.store._read() as db:
        rows = db.rows("SELECT * FROM api_keys")
        events = db.rows("SELECT details FROM audit_events")
    assert secret not in str(rows) + str(events)


def test_revoking_another_orgs_key_is_not_found(
    exchange: Exchange, operator: Caller, platform_admin: Caller
) -> None:
    """A member admin cannot see, let alone revoke, another organization's keys."""
    _, issued = _key_for(exchange, operator, "coalition", "ana", "analyst")
    with pytest.raises(NotFound):
        exchange.members.revoke_key(platform_admin, issued.key.key_id)
    assert all(k.org_id == platform_admin.principal.org_id for k in exchange.members.keys(platform_admin))


def test_groups(exchange: Exchange, operator: Caller, platform_admin: Caller) -> None:
    """A group's owner adds members; others cannot; non-members do not see it."""
    exchange.members.create_org(operator, "agency", "national-agency")
    group = exchange.members.create_group(platform_admin, "hash-sharing", [])
    assert group.member_org_ids == {platform_admin.principal.org_id}
    agency_admin = Caller(Principal(exchange.members.org(operator, "agency").id, Role.ADMIN, None, "x"), "r")
    with pytest.raises(NotFound):
        exchange.members.group(agency_admin, "hash-sharing")
    grown = exchange.members.add_group_member(platform_admin, "hash-sharing", "agency")
    assert len(grown.member_org_ids) == 2
    with pytest.raises(Conflict):
        exchange.members.add_group_member(platform_admin, "hash-sharing", "agency")
    assert [g.name for g in exchange.members.groups(platform_admin)] == ["hash-sharing"]


def test_deactivated_org_keys_stop_working(exchange: Exchange, operator: Caller) -> None:
    """A key of a user whose organization is deactivated does not authenticate."""
    exchange.members.create_org(operator, "platform", "online-service")
    _, issued = _key_for(exchange, operator, "platform", "ana", "analyst")
    with exchange.store._write() as db:
        db.run("UPDATE organizations SET is_active = :f WHERE name = 'platform'", {"f": False})
    with pytest.raises(Unauthenticated):
        exchange.auth.authenticate(issued.text, "t")


def test_user_deactivation_rules(exchange: Exchange, operator: Caller, platform_admin: Caller) -> None:
    """A member admin deactivates its own users, not another organization's, and never itself."""
    exchange.members.create_user(platform_admin, None, "moderator", "reviewer")
    assert not exchange.members.set_user_active(platform_admin, "moderator", False).is_active
    with pytest.raises(NotFound):
        exchange.members.set_user_active(platform_admin, "admin", False)
    with pytest.raises(Conflict, match="yourself"):
        exchange.members.set_user_active(platform_admin, "platform-admin", False)
    with pytest.raises(Forbidden):
        exchange.members.set_org_active(platform_admin, "coalition", False)
    with exchange.store.snapshot() as uow:
        actions = [e.entry.action for e in uow.audit.walk()]
    assert actions[-1] == "user.deactivate"


def test_refusals_are_logged_with_a_reason_but_no_secret(exchange: Exchange, operator: Caller) -> None:
    """Each refused key leaves an `auth.refused` log line with the key id and reason, never the secret."""
    from structlog.testing import capture_logs

    _, issued = _key_for(exchange, operator, "coalition", "ana", "analyst")
    wrong = issued.text[:-1] + ("0" if issued.text[-1] != "0" else "1")
    with capture_logs() as logs:
        for bad in (wrong, "garbage"):
            with pytest.raises(Unauthenticated):
                exchange.auth.authenticate(bad, "req-1")
    assert [(e["event"], e["reason"], e["key_id"]) for e in logs] == [
        ("auth.refused", "wrong secret", issued.key.key_id),
        ("auth.refused", "malformed", None),
    ]
    assert issued.text.rsplit("_", 1)[1] not in str(logs)
