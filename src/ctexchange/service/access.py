"""The one gate every read and write of the service passes through.

Two questions, always in this order:
1. May the caller's role perform the action at all? If not: Forbidden, naming the role and action.
2. May the caller see the object? If not: NotFound with the same message as for an object that does
   not exist, so that a denial cannot be told from absence.
Lists, counts, searches and exports never fetch invisible rows: they pass the caller's `Audience` to
the store, which filters in SQL with the rule of `ctexchange.domain.access`.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from ctexchange.domain.access import (
    Audience,
    audience_of,
    can_export_signal,
    can_see_collection,
    can_see_signal,
)
from ctexchange.domain.roles import Action, Role, is_allowed
from ctexchange.domain.signals import Collection, Signal
from ctexchange.errors import Forbidden, InvalidInput, NotFound
from ctexchange.service.context import Caller
from ctexchange.store.protocol import UnitOfWork


def require(caller: Caller, action: Action) -> None:
    """Raise Forbidden unless the caller's role grants `action`."""
    role = caller.principal.role
    if not is_allowed(role, action):
        raise Forbidden(f"role '{role.value}' may not do '{action.value}'")


def require_coalition_admin(caller: Caller) -> None:
    """Raise Forbidden unless the caller is an admin of the operator organization."""
    require(caller, Action.MANAGE_COALITION)
    if not caller.principal.is_operator_org:
        raise Forbidden("only admins of the operator organization administer the coalition")


def require_org_admin(caller: Caller, org_id: UUID) -> None:
    """Raise Forbidden unless the caller administers organization `org_id` (its own, or any as operator)."""
    require(caller, Action.MANAGE_MEMBERS)
    principal = caller.principal
    if principal.org_id != org_id and not (principal.is_operator_org and principal.role is Role.ADMIN):
        raise Forbidden("admins manage the members of their own organization only")


def audience(caller: Caller) -> Audience:
    """Return the audience the store filters by for this caller."""
    return audience_of(caller.principal)


def parse_id(raw: str, what: str, field: str) -> UUID:
    """Return the UUID in `raw`; an ill-formed id cannot name anything, so it is NotFound."""
    try:
        return UUID(raw)
    except ValueError:
        raise NotFound.of(what, raw, field) from None


def visible_signal(uow: UnitOfWork, caller: Caller, signal_id: UUID | str) -> Signal:
    """Return the signal if the caller may see it; otherwise NotFound, as if it did not exist."""
    ident = signal_id if isinstance(signal_id, UUID) else parse_id(signal_id, "signal", "signal_id")
    signal = uow.signals.get(ident)
    if signal is None or not can_see_signal(caller.principal, signal):
        raise NotFound.of("signal", ident, "signal_id")
    return signal


def owned_signal(uow: UnitOfWork, caller: Caller, signal_id: UUID | str) -> Signal:
    """Return a visible signal of the caller's own organization; Forbidden if visible but not owned."""
    signal = visible_signal(uow, caller, signal_id)
    if signal.org_id != caller.principal.org_id:
        raise Forbidden("only the organization that owns a signal may change it")
    return signal


def visible_collection(uow: UnitOfWork, caller: Caller, ref: str) -> Collection:
    """Return the collection named by `ref` (an id, `ORG/NAME` or a NAME) if the caller may see it.

    A bare NAME means the caller's own collection of that name, else the one visible collection of
    that name; several visible collections of that name ask for `ORG/NAME`.
    """
    ref = ref.strip()
    found = _by_id(uow, ref) if _looks_like_id(ref) else _by_name(uow, caller, ref)
    if found is None or not can_see_collection(caller.principal, found):
        raise NotFound.of("collection", ref, "collection")
    return found


def owned_collection(uow: UnitOfWork, caller: Caller, ref: str) -> Collection:
    """Return a visible collection of the caller's own organization; Forbidden if visible but not owned."""
    collection = visible_collection(uow, caller, ref)
    if collection.org_id != caller.principal.org_id:
        raise Forbidden("only the organization that owns a collection may add to it")
    return collection


def _looks_like_id(ref: str) -> bool:
    try:
        UUID(ref)
    except ValueError:
        return False
    return True


def _by_id(uow: UnitOfWork, ref: str) -> Collection | None:
    return uow.collections.get(UUID(ref))


def _by_name(uow: UnitOfWork, caller: Caller, ref: str) -> Collection | None:
    if "/" in ref:
        org_name, _, name = ref.partition("/")
        org = uow.members.org_by_name(org_name)
        return None if org is None else uow.collections.by_name(org.id, name)
    own = uow.collections.by_name(caller.principal.org_id, ref)
    if own is not None:
        return own
    candidates = uow.collections.named(ref, audience(caller))
    if len(candidates) > 1:
        raise InvalidInput(
            f"'collection' {ref!r} names {len(candidates)} collections you can see: use ORG/NAME",
            field="collection",
        )
    return candidates[0] if candidates else None


def exportable(caller: Caller, signals: Iterable[Signal]) -> list[Signal]:
    """Return the signals that may leave the exchange in an export made for the caller."""
    return [s for s in signals if can_export_signal(caller.principal, s)]
