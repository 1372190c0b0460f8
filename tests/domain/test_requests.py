"""The request state machine, transition by transition, who may make each move, and who sees a request."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Principal
from ctexchange.domain.requests import (
    FINISHED,
    MOVE_RULES,
    STATUS_MOVES,
    AssistanceKind,
    AssistanceRequest,
    Move,
    RequestAudience,
    RequestStatus,
    Side,
    Urgency,
    check_move,
    check_status_move,
    may_see_request,
    request_audience,
)
from ctexchange.domain.roles import Role
from ctexchange.errors import Forbidden, InvalidInput, InvalidTransition

S = RequestStatus
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
EXPECTED_MOVES = {
    (S.DRAFT, S.SENT),
    (S.DRAFT, S.WITHDRAWN),
    (S.SENT, S.ACKNOWLEDGED),
    (S.SENT, S.DECLINED),
    (S.SENT, S.WITHDRAWN),
    (S.ACKNOWLEDGED, S.IN_PROGRESS),
    (S.ACKNOWLEDGED, S.DECLINED),
    (S.ACKNOWLEDGED, S.WITHDRAWN),
    (S.IN_PROGRESS, S.ANSWERED),
    (S.IN_PROGRESS, S.DECLINED),
    (S.IN_PROGRESS, S.WITHDRAWN),
    (S.ANSWERED, S.CLOSED),
    (S.DECLINED, S.CLOSED),
    (S.WITHDRAWN, S.CLOSED),
}
"""The diagram of the issue, written out independently of STATUS_MOVES."""


def request(
    status: RequestStatus, *, sent: bool = True, deadline: datetime | None = None
) -> AssistanceRequest:
    """A request from one new organization to another, in `status`."""
    return AssistanceRequest(
        id=uuid4(),
        requesting_org_id=uuid4(),
        requested_org_id=uuid4(),
        title="t",
        legal_basis="lb",
        facts="f",
        offence="o",
        assistance=(AssistanceKind.IDENTIFY,),
        assistance_detail="",
        subjects=(),
        urgency=Urgency.ROUTINE,
        urgency_justification="",
        deadline=deadline,
        confidentiality=Marking.AMBER_STRICT,
        language="en",
        reference=None,
        status=status,
        created_by="user:x",
        created_at=NOW,
        updated_at=NOW,
        sent_at=NOW if sent else None,
    )


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_transition(current: RequestStatus, target: RequestStatus) -> None:
    """Each pair of statuses is allowed exactly when the diagram has it; a refusal names the state,
    the target and every allowed move."""
    if (current, target) in EXPECTED_MOVES:
        check_status_move(current, target)
        return
    with pytest.raises(InvalidTransition) as info:
        check_status_move(current, target)
    message = info.value.message
    assert f"from '{current.value}' to '{target.value}'" in message
    allowed = [t.value for (c, t) in sorted(EXPECTED_MOVES) if c is current]
    for status in allowed:
        assert status in message.split(f"from '{current.value}' it may move to:")[1]
    if not allowed:
        assert message == f"a request cannot move from 'closed' to '{target.value}' ('closed' is final)"
    assert info.value.field == "status"


def test_the_table_is_the_diagram() -> None:
    """STATUS_MOVES holds exactly the diagram's moves and every move leads to a status of the table."""
    table = {(c, t) for c, targets in STATUS_MOVES.items() for t in targets}
    assert table == EXPECTED_MOVES
    assert {rule.target for rule in MOVE_RULES.values()} == {t for _, t in EXPECTED_MOVES}


@pytest.mark.parametrize(("move", "side"), list(itertools.product(Move, Side)))
def test_every_move_belongs_to_one_side(move: Move, side: Side) -> None:
    """The requesting side sends, withdraws and closes; the requested side acknowledges, starts, answers
    and declines; the other side gets Forbidden naming who may."""
    requesting = {Move.SEND, Move.WITHDRAW, Move.CLOSE}
    owner = Side.REQUESTING if move in requesting else Side.REQUESTED
    source = next(c for (c, t) in sorted(EXPECTED_MOVES) if t is MOVE_RULES[move].target)
    if side is owner:
        assert check_move(move, source, side) is MOVE_RULES[move].target
        return
    with pytest.raises(Forbidden) as info:
        check_move(move, source, side)
    assert info.value.message == (
        f"only the {owner.value} organization may {move.value} a request (yours is the {side.value} one)"
    )


@given(st.lists(st.tuples(st.sampled_from(Move), st.sampled_from(Side)), max_size=30))
def test_random_walks_never_leave_a_finished_request(steps: list[tuple[Move, Side]]) -> None:
    """Whatever moves are tried, a finished request never waits again and closed is absorbing."""
    status = S.DRAFT
    for move, side in steps:
        try:
            after = check_move(move, status, side)
        except (Forbidden, InvalidTransition):
            continue
        assert (status, after) in EXPECTED_MOVES
        if status in FINISHED:
            assert after is S.CLOSED
        status = after
    for move, side in itertools.product(Move, Side):
        if status is S.CLOSED:
            with pytest.raises((Forbidden, InvalidTransition)):
                check_move(move, status, side)


def test_choices_read_what_people_type() -> None:
    """Statuses and assistance kinds accept dashes, spaces and capitals; a bad one names the choices."""
    assert RequestStatus.parse("In-Progress", "status") is S.IN_PROGRESS
    assert AssistanceKind.parse("preserve data", "assistance[0]") is AssistanceKind.PRESERVE_DATA
    with pytest.raises(InvalidInput) as info:
        AssistanceKind.parse("wiretap", "assistance[1]")
    assert info.value.field == "assistance[1]"
    choices = "identify, locate, preserve_data, produce_data, confirm_identity, other"
    assert info.value.message == f"'assistance[1]' must be one of {choices} (got 'wiretap' (str))"


@pytest.mark.parametrize("status", list(S))
def test_overdue_is_a_passed_deadline_of_a_waiting_request(status: RequestStatus) -> None:
    """A passed deadline makes draft, sent, acknowledged and in-progress requests overdue, never the
    finished ones; no deadline or a future one is never overdue."""
    past = request(status, deadline=NOW - timedelta(seconds=1))
    assert past.is_overdue(NOW) is (status not in FINISHED)
    assert not request(status, deadline=NOW + timedelta(days=1)).is_overdue(NOW)
    assert not request(status).is_overdue(NOW)


def test_who_sees_a_request() -> None:
    """The requesting organization always; the requested one once it was sent; oversight always;
    anyone else never."""
    sent, draft = request(S.SENT), request(S.DRAFT, sent=False)
    abandoned = request(S.WITHDRAWN, sent=False)
    for r in (sent, draft, abandoned):
        assert may_see_request(RequestAudience(r.requesting_org_id), r)
        assert may_see_request(RequestAudience(uuid4(), is_oversight=True), r)
        assert not may_see_request(RequestAudience(uuid4()), r)
    assert may_see_request(RequestAudience(sent.requested_org_id), sent)
    assert not may_see_request(RequestAudience(draft.requested_org_id), draft)
    assert not may_see_request(RequestAudience(abandoned.requested_org_id), abandoned)


@pytest.mark.parametrize(
    ("role", "is_operator", "oversight"),
    [
        (Role.AUDITOR, True, True),
        (Role.ADMIN, True, False),
        (Role.ANALYST, True, False),
        (Role.AUDITOR, False, False),
    ],
)
def test_only_operator_auditors_oversee(role: Role, is_operator: bool, oversight: bool) -> None:
    """Oversight of every request is for auditors of the operator organization only."""
    principal = Principal(uuid4(), role, uuid4(), "p", is_operator_org=is_operator)
    assert request_audience(principal) == RequestAudience(principal.org_id, oversight)


def test_sides_and_counterparts() -> None:
    """side_of names each party's side and None for others; counterpart_of gives the other party."""
    r = request(S.SENT)
    assert r.side_of(r.requesting_org_id) is Side.REQUESTING
    assert r.side_of(r.requested_org_id) is Side.REQUESTED
    assert r.side_of(uuid4()) is None
    assert r.counterpart_of(r.requesting_org_id) == r.requested_org_id
    assert r.counterpart_of(r.requested_org_id) == r.requesting_org_id
