"""The audit log as the service writes it: every write is recorded, and tampering is detected on both
backends (an edited, a deleted and a reordered event are each named by `verify`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ctexchange.domain.queries import AuditQuery
from ctexchange.errors import Forbidden
from ctexchange.service.exchange import Exchange
from ctexchange.service.signals import NewSignal


def _activity(exchange: Exchange) -> None:
    """Some ordinary writes: an organization, a user, a key, a collection, signals."""
    op = exchange.operator("activity")
    exchange.members.create_org(op, "platform", "online-service")
    exchange.members.create_user(op, "platform", "pipeline", "service")
    exchange.members.create_key(op, "pipeline", "upload pipeline")
    exchange.collections.create(op, "bank", "GREEN")
    for i in range(4):
        exchange.signals.add(op, "bank", NewSignal("md5", f"{i:032x}", ["propaganda"]))


def _sql(exchange: Exchange, statements: list[tuple[str, dict[str, Any]]]) -> None:
    """Run hand-written SQL on the store, as an attacker with database access would."""
    with exchange.store._write() as db:
        for sql, params in statements:
            db.run(sql, params)


def test_every_write_is_recorded(any_exchange: Exchange) -> None:
    """Each write of the activity left one event with its action, actor and request id."""
    _activity(any_exchange)
    op = any_exchange.operator()
    report = any_exchange.audit.verify(op)
    assert report.is_intact
    with any_exchange.store.snapshot() as uow:
        events = list(uow.audit.walk())
    actions = [e.entry.action for e in events if e.entry.request_id == "activity"]
    assert actions == ["org.create", "user.create", "key.create", "collection.create"] + ["signal.create"] * 4
    assert report.checked == len(events)
    assert all(e.entry.actor.startswith("cli:") for e in events)


TAMPERS: dict[str, tuple[Callable[[], list[tuple[str, dict[str, Any]]]], int, str]] = {
    "edit": (
        lambda: [("UPDATE audit_events SET details = :d WHERE seq = 6", {"d": '{"forged":true}'})],
        6,
        "edited",
    ),
    "edit-actor": (
        lambda: [("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 3", {})],
        3,
        "edited",
    ),
    "delete": (lambda: [("DELETE FROM audit_events WHERE seq = 5", {})], 5, "deleted"),
    "reorder": (
        lambda: [
            ("UPDATE audit_events SET seq = -1 WHERE seq = 7", {}),
            ("UPDATE audit_events SET seq = 7 WHERE seq = 8", {}),
            ("UPDATE audit_events SET seq = 8 WHERE seq = -1", {}),
        ],
        7,
        "reordered",
    ),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_tampering_is_detected(any_exchange: Exchange, tamper: str) -> None:
    """verify names the first event that was edited, deleted or reordered."""
    _activity(any_exchange)
    statements, bad_seq, problem = TAMPERS[tamper]
    _sql(any_exchange, statements())
    report = any_exchange.audit.verify(any_exchange.operator())
    assert not report.is_intact
    assert report.bad_seq == bad_seq
    assert report.problem is not None
    assert problem in report.problem
    assert report.checked == bad_seq - 1


def test_anchor_detects_a_rewritten_tail(any_exchange: Exchange) -> None:
    """A recorded head no longer matches once the log is cut back and re-extended."""
    _activity(any_exchange)
    op = any_exchange.operator()
    head = any_exchange.audit.verify(op)
    _sql(any_exchange, [("DELETE FROM audit_events WHERE seq >= :s", {"s": head.head_seq})])
    any_exchange.collections.create(op, "other", "GREEN")
    rewritten = any_exchange.audit.verify(op, (head.head_seq, head.head_hash))
    assert rewritten.bad_seq == head.head_seq
    assert any_exchange.audit.verify(op).is_intact
    _sql(any_exchange, [("DELETE FROM audit_events WHERE seq >= :s", {"s": head.head_seq})])
    truncated = any_exchange.audit.verify(op, (head.head_seq, head.head_hash))
    assert truncated.problem is not None
    assert "missing" in truncated.problem


def test_only_auditors_read_the_log(exchange: Exchange) -> None:
    """An analyst cannot read the audit log; an auditor of a member reads its own organization's events."""
    op = exchange.operator()
    _activity(exchange)
    exchange.members.create_user(op, "platform", "platform-auditor", "auditor")
    exchange.members.create_user(op, "platform", "platform-analyst", "analyst")
    auditor = exchange.auth.authenticate(exchange.members.create_key(op, "platform-auditor", "k").text, "r")
    analyst = exchange.auth.authenticate(exchange.members.create_key(op, "platform-analyst", "k").text, "r")
    with pytest.raises(Forbidden):
        exchange.audit.events(analyst, AuditQuery())
    with pytest.raises(Forbidden):
        exchange.audit.verify(auditor)
    seen = exchange.audit.events(auditor, AuditQuery(limit=1000))
    platform = auditor.principal.org_id
    assert seen
    assert all(platform in (e.entry.org_id, e.entry.object_org_id) for e in seen)
