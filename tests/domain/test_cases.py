"""The review case state machine, its clocks and who sees a case."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ctexchange.domain.cases import (
    STATUS_MOVES,
    Case,
    CaseAction,
    CaseAudience,
    CaseStatus,
    add_months,
    case_audience,
    check_status_move,
    may_see_case,
)
from ctexchange.domain.members import Principal
from ctexchange.domain.roles import Role
from ctexchange.errors import InvalidTransition

S = CaseStatus
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LEGAL = {
    (S.OPEN, S.CONFIRMED),
    (S.OPEN, S.REJECTED),
    (S.OPEN, S.ESCALATED),
    (S.ESCALATED, S.CONFIRMED),
    (S.ESCALATED, S.REJECTED),
    (S.CONFIRMED, S.COMPLAINED),
    (S.COMPLAINED, S.UPHELD),
    (S.COMPLAINED, S.REINSTATED),
}


def case(**changes: Any) -> Case:
    """An open case of a fresh organization opened at T0, with `changes`."""
    return replace(Case(uuid4(), uuid4(), "item-1", S.OPEN, "key:abc", T0, T0), **changes)


def test_the_table_is_the_documented_graph() -> None:
    """STATUS_MOVES holds exactly the eight documented transitions."""
    assert {(a, b) for a, targets in STATUS_MOVES.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_each_legal_transition_passes(current: CaseStatus, target: CaseStatus) -> None:
    """Every documented transition is allowed (a complaint only after a removal)."""
    check_status_move(current, target, CaseAction.REMOVE if current is S.CONFIRMED else None)


@pytest.mark.parametrize(("current", "target"), [p for p in itertools.product(S, S) if p not in LEGAL])
def test_each_illegal_transition_names_the_state_and_the_allowed_moves(
    current: CaseStatus, target: CaseStatus
) -> None:
    """Any other pair is InvalidTransition naming both states and what the current one allows."""
    with pytest.raises(InvalidTransition) as caught:
        check_status_move(current, target, CaseAction.REMOVE)
    message = caught.value.message
    assert f"from '{current.value}' to '{target.value}'" in message
    allowed = STATUS_MOVES[current]
    if allowed:
        assert "it may move to: " + ", ".join(s.value for s in S if s in allowed) in message
    else:
        assert f"'{current.value}' is final" in message
    assert caught.value.field == "status"


@pytest.mark.parametrize("action", [CaseAction.RESTRICT, CaseAction.REPORT, None])
def test_only_a_removal_takes_a_complaint(action: CaseAction | None) -> None:
    """A case confirmed with restrict or report cannot be complained against; the message says why."""
    with pytest.raises(InvalidTransition, match="only a removal takes a complaint"):
        check_status_move(S.CONFIRMED, S.COMPLAINED, action)


def test_removal_clock_within_and_over_the_hour() -> None:
    """The order is due 60 minutes after receipt; minutes and 'in time' follow the removal time."""
    ordered = case(removal_order_received_at=T0)
    assert ordered.removal_due_at == T0 + timedelta(minutes=60)
    assert ordered.minutes_to_removal is None and ordered.is_removed_in_time is None
    assert not ordered.is_removal_overdue(T0 + timedelta(minutes=60))
    assert ordered.is_removal_overdue(T0 + timedelta(minutes=61))
    fast = case(removal_order_received_at=T0, removed_at=T0 + timedelta(minutes=42, seconds=30))
    assert fast.minutes_to_removal == 42.5 and fast.is_removed_in_time is True
    assert not fast.is_removal_overdue(T0 + timedelta(days=1))
    edge = case(removal_order_received_at=T0, removed_at=T0 + timedelta(minutes=60))
    assert edge.is_removed_in_time is True
    slow = case(removal_order_received_at=T0, removed_at=T0 + timedelta(minutes=61))
    assert slow.is_removed_in_time is False
    assert case().removal_due_at is None and not case().is_removal_overdue(T0 + timedelta(days=9))


def test_complaint_overdue_only_while_pending() -> None:
    """A complaint is overdue after its deadline only while the case is still 'complained'."""
    deadline = T0 + timedelta(days=14)
    pending = case(status=S.COMPLAINED, complaint_deadline=deadline)
    assert not pending.is_complaint_overdue(deadline)
    assert pending.is_complaint_overdue(deadline + timedelta(seconds=1))
    assert not case(status=S.UPHELD, complaint_deadline=deadline).is_complaint_overdue(
        deadline + timedelta(days=1)
    )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2026, 5, 1, 12, tzinfo=UTC), datetime(2026, 11, 1, 12, tzinfo=UTC)),
        (datetime(2026, 8, 31, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2027, 8, 31, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 12, 15, tzinfo=UTC), datetime(2027, 6, 15, tzinfo=UTC)),
        (datetime(2026, 7, 31, tzinfo=UTC), datetime(2027, 1, 31, tzinfo=UTC)),
    ],
)
def test_evidence_is_kept_six_calendar_months(start: datetime, expected: datetime) -> None:
    """Six months after the removal, the day clamped to the month's end (leap years included)."""
    assert add_months(start, 6) == expected
    assert case(removed_at=start).evidence_keep_until == expected
    assert case().evidence_keep_until is None


def test_who_sees_a_case() -> None:
    """The case's organization sees it; another organization does not; the operator's auditors do,
    but not the operator's admins or another organization's auditors."""
    mine = case()
    other = uuid4()
    assert may_see_case(CaseAudience(mine.org_id), mine)
    assert not may_see_case(CaseAudience(other), mine)
    for role in Role:
        op = Principal(other, role, uuid4(), "x", is_operator_org=True)
        assert may_see_case(case_audience(op), mine) is (role is Role.AUDITOR)
        member = Principal(other, role, uuid4(), "x")
        assert not may_see_case(case_audience(member), mine)
