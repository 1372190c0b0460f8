"""Recording and reading the audit log.

Writes record their event in the same transaction as the change, so there is never a change without its
event or an event without its change. Reads of AMBER, AMBER+STRICT or RED data are recorded in a
transaction of their own right after the read (one event per request, listing the ids read).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from ctexchange.domain.audit import AuditEntry, AuditEvent, ChainReport, verify_chain
from ctexchange.domain.queries import AuditQuery
from ctexchange.domain.roles import Action
from ctexchange.domain.signals import Signal
from ctexchange.errors import Forbidden, InvalidInput
from ctexchange.service.access import require
from ctexchange.service.context import Caller, Clock
from ctexchange.store.protocol import Store, UnitOfWork


def record(
    uow: UnitOfWork,
    caller: Caller,
    clock: Clock,
    action: str,
    obj: tuple[str, object | None, UUID | None],
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append an event: `obj` is (object type, object id, owning organization of the object)."""
    object_type, object_id, object_org = obj
    entry = AuditEntry(
        actor=caller.principal.actor,
        org_id=caller.principal.org_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        request_id=caller.request_id,
        object_org_id=object_org,
        details=dict(details or {}),
    )
    return uow.audit.append(entry, clock())


def record_reads(store: Store, caller: Caller, clock: Clock, action: str, signals: Iterable[Signal]) -> None:
    """Record one event for the sensitive signals among those just read, grouped by owner."""
    by_owner: dict[UUID, list[str]] = {}
    for signal in signals:
        if signal.marking.is_sensitive:
            by_owner.setdefault(signal.org_id, []).append(str(signal.id))
    if not by_owner:
        return
    with store.transaction() as uow:
        for owner, ids in sorted(by_owner.items()):
            object_id = ids[0] if len(ids) == 1 else None
            record(uow, caller, clock, action, ("signal", object_id, owner), {"signal_ids": ids})


class AuditService:
    """Reading and verifying the audit log."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def events(self, caller: Caller, query: AuditQuery) -> list[AuditEvent]:
        """Return events for an auditor: all of them for the operator's auditors, else their org's."""
        require(caller, Action.READ_AUDIT)
        if query.limit < 1 or query.after_seq < 0:
            raise InvalidInput.expected("limit", "at least 1, with after_seq at least 0", query.limit)
        scope = None if caller.principal.is_operator_org else caller.principal.org_id
        with self.store.snapshot() as uow:
            return uow.audit.events(
                AuditQuery(scope, query.action, query.object_id, query.after_seq, query.limit)
            )

    def verify(self, caller: Caller, anchor: tuple[int, str] | None = None) -> ChainReport:
        """Check the whole chain (operator auditors and the local operator only)."""
        principal = caller.principal
        is_local_operator = principal.is_operator_org and principal.user_id is None
        if not is_local_operator:
            require(caller, Action.READ_AUDIT)
            if not principal.is_operator_org:
                raise Forbidden("only auditors of the operator organization verify the whole chain")
        with self.store.snapshot() as uow:
            return verify_chain(uow.audit.walk(), anchor)
