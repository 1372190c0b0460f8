"""The hash chain, on events built in memory: any single edit, deletion or swap is found."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from ctexchange.domain.audit import GENESIS_HASH, AuditEntry, AuditEvent, event_digest, verify_chain

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def chain(n: int) -> list[AuditEvent]:
    """n valid, linked events."""
    events, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        entry = AuditEntry("user:x", None, f"act.{seq}", "thing", str(seq), "r", details={"n": seq})
        event_id, at = uuid4(), T0 + timedelta(seconds=seq)
        digest = event_digest(seq, event_id, at, entry, prev)
        events.append(AuditEvent(seq, event_id, at, entry, prev, digest))
        prev = digest
    return events


def test_intact_chain() -> None:
    """An untouched chain verifies, and its head is the last event."""
    events = chain(5)
    report = verify_chain(events)
    assert report.is_intact
    assert (report.checked, report.head_seq, report.head_hash) == (5, 5, events[-1].hash)
    assert verify_chain([]).is_intact


@given(st.integers(2, 12), st.data())
def test_any_edit_is_found(n: int, data: st.DataObject) -> None:
    """Changing any field of any event is reported at that event."""
    events = chain(n)
    i = data.draw(st.integers(0, n - 1))
    entry = dataclasses.replace(events[i].entry, action="forged")
    events[i] = dataclasses.replace(events[i], entry=entry)
    report = verify_chain(events)
    assert report.bad_seq == i + 1
    assert report.problem is not None
    assert report.problem.startswith("edited")


@given(st.integers(2, 12), st.data())
def test_any_deletion_is_found(n: int, data: st.DataObject) -> None:
    """Removing any event but the last is reported at the missing sequence number."""
    events = chain(n)
    i = data.draw(st.integers(0, n - 2))
    del events[i]
    report = verify_chain(events)
    assert report.bad_seq == i + 1
    assert report.problem is not None
    assert "deleted" in report.problem


@given(st.integers(3, 12), st.data())
def test_any_swap_is_found(n: int, data: st.DataObject) -> None:
    """Swapping two events' positions (renumbering them) is reported at the first moved one."""
    events = chain(n)
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    a, b = events[i], events[j]
    events[i], events[j] = dataclasses.replace(b, seq=a.seq), dataclasses.replace(a, seq=b.seq)
    report = verify_chain(events)
    assert report.bad_seq == i + 1
    assert not report.is_intact


def test_anchor() -> None:
    """An anchor that no longer matches, or points past the end, is reported."""
    events = chain(4)
    assert verify_chain(events, (3, events[2].hash)).is_intact
    assert verify_chain(events, (3, "0" * 64)).bad_seq == 3
    assert verify_chain(events[:2], (3, events[2].hash)).bad_seq == 3
