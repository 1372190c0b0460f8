"""Collections: creation rules, references by id, ORG/NAME and NAME, visibility by default marking."""

from __future__ import annotations

import pytest

from ctexchange.errors import Conflict, InvalidInput, NotFound
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange


@pytest.fixture
def agency(exchange: Exchange, operator: Caller) -> Caller:
    """An analyst of another member organization."""
    exchange.members.create_org(operator, "agency", "national-agency")
    exchange.members.create_user(operator, "agency", "agency-analyst", "analyst")
    return exchange.auth.authenticate(exchange.members.create_key(operator, "agency-analyst", "k").text, "t")


def test_names_are_per_organization(exchange: Exchange, operator: Caller, agency: Caller) -> None:
    """Two organizations may use one name; a bare name means your own, ORG/NAME another's."""
    mine = exchange.collections.create(operator, "propaganda", "GREEN")
    theirs = exchange.collections.create(agency, "propaganda", "GREEN")
    assert exchange.collections.get(operator, "propaganda") == mine
    assert exchange.collections.get(agency, "propaganda") == theirs
    assert exchange.collections.get(operator, "agency/propaganda") == theirs
    assert exchange.collections.get(operator, str(theirs.id)) == theirs
    with pytest.raises(Conflict):
        exchange.collections.create(operator, "propaganda", "AMBER")


def test_ambiguous_bare_name(exchange: Exchange, operator: Caller, agency: Caller) -> None:
    """A bare name matching several visible collections of others asks for ORG/NAME."""
    exchange.members.create_org(operator, "third", "ngo")
    exchange.collections.create(operator, "shared", "GREEN")
    exchange.collections.create(agency, "shared", "GREEN")
    exchange.members.create_user(operator, "third", "third-analyst", "analyst")
    third = exchange.auth.authenticate(exchange.members.create_key(operator, "third-analyst", "k").text, "t")
    with pytest.raises(InvalidInput, match="ORG/NAME"):
        exchange.collections.get(third, "shared")


def test_invisible_collection_is_not_found(exchange: Exchange, operator: Caller, agency: Caller) -> None:
    """An AMBER collection without the caller's group is NotFound by name and by id, like a missing one."""
    hidden = exchange.collections.create(operator, "hidden", "AMBER")
    for ref in ("coalition/hidden", str(hidden.id)):
        with pytest.raises(NotFound) as info:
            exchange.collections.get(agency, ref)
        assert info.value.message == f"collection {ref} not found"
    assert [c.name for c in exchange.collections.list(agency)] == []


def test_group_must_include_the_owner(exchange: Exchange, operator: Caller, agency: Caller) -> None:
    """A collection can only be shared with a group its organization belongs to."""
    exchange.members.create_user(operator, "agency", "agency-admin", "admin")
    agency_admin = exchange.auth.authenticate(
        exchange.members.create_key(operator, "agency-admin", "k").text, "t"
    )
    exchange.members.create_group(agency_admin, "theirs", [])
    with pytest.raises(NotFound):
        exchange.collections.create(operator, "c", "AMBER", "theirs")
    group = exchange.members.create_group(operator, "ours", ["agency"])
    shared = exchange.collections.create(operator, "c", "AMBER", "ours")
    assert shared.sharing_group_id == group.id
    assert exchange.collections.get(_refresh(exchange, agency), "coalition/c") == shared


def _refresh(exchange: Exchange, caller: Caller) -> Caller:
    """The caller as its next request sees it (group membership is read when a key authenticates)."""
    from dataclasses import replace

    with exchange.store.snapshot() as uow:
        groups = uow.groups.groups_of(caller.principal.org_id)
    return replace(caller, principal=replace(caller.principal, group_ids=groups))


def test_kind_settings_are_validated_by_the_kind(exchange: Exchange, operator: Caller) -> None:
    """Settings for an unknown kind, or settings a kind does not take, are refused naming the key."""
    with pytest.raises(InvalidInput) as info:
        exchange.collections.create(operator, "c", "GREEN", kind_settings={"nope": {}})
    assert info.value.field == "kind_settings.nope"
    with pytest.raises(InvalidInput) as info:
        exchange.collections.create(operator, "c", "GREEN", kind_settings={"md5": {"threshold": 3}})
    assert info.value.field == "kind_settings.md5"
