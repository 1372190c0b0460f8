"""Human review cases: what a platform's upload pipeline matched, and what a person decided about it.

A case is opened when a `service` key (a platform's upload pipeline) matches an item against a bank whose
owner asks for review (`Collection.requires_review`). It holds the hits (signal, bank, kind, distance or
score) and the item's fingerprints, never the item itself; the platform may attach the removed item's
bytes (or a reference to them) as evidence.

    open ──confirm──▶ confirmed(remove | restrict | report) ──complain──▶ complained ──uphold──▶ upheld
      │                 ▲                  (remove only; deadline +14 days)     └──reinstate──▶ reinstated
      ├──escalate──▶ escalated ──confirm──┘
      │                 └──reject──▶ rejected (false positive)
      └──reject──▶ rejected

Decisions:
- **A reason is always required.** Every move (confirm, reject, escalate, complain, uphold, reinstate)
  records who, when and a reason of 1 to `MAX_REASON_CHARS` characters; `CaseMove` is that history.
- **Finals.** `rejected`, `upheld` and `reinstated` are final; `confirmed` is final unless the action was
  `remove`, which is the only one a content provider's complaint can reopen (EU TCO Regulation Art. 10).
  A complaint is due for decision `COMPLAINT_DAYS` (14) days after it was filed.
- **The 1-hour clock** (TCO Art. 3): a removal order's receipt time may be recorded on an undecided case
  or with the confirmation. The removal is the `confirm` with action `remove`; the case reports the
  minutes from receipt to removal and whether they were within `REMOVAL_ORDER_MINUTES` (60).
- **Evidence** (TCO Art. 6) is kept `EVIDENCE_MONTHS` (6) calendar months after the removal, then purged;
  never while a complaint is pending (`complained`), since the complaint may need it.
- **Quarantine** (flood control): a signal that the organization matched more than `flood_hits_per_hour`
  times in the last hour stops opening one case per item: its further hits go to one *quarantined* case
  of that signal, flagged for review, which collects the items until it is decided.
- **Who sees a case.** The matching organization (every reader role: admins, analysts, reviewers,
  auditors; and its service keys, which must find the case of an item to attach evidence or file a
  complaint) and, for oversight, the auditors of the operator organization. Signal owners are not told
  of cases: they learn of the match through sightings. Anyone else gets NotFound, exactly as an absent id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from ctexchange.domain.choices import Choice
from ctexchange.domain.members import Principal
from ctexchange.domain.roles import Role
from ctexchange.domain.signals import JsonValue
from ctexchange.errors import InvalidTransition

MAX_REASON_CHARS = 2_000
MAX_ITEM_ID_CHARS = 200
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
MAX_REFERENCE_CHARS = 1_000
COMPLAINT_DAYS = 14
REMOVAL_ORDER_MINUTES = 60
EVIDENCE_MONTHS = 6


class CaseStatus(Choice):
    """Where a case stands."""

    OPEN = "open"
    ESCALATED = "escalated"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    COMPLAINED = "complained"
    UPHELD = "upheld"
    REINSTATED = "reinstated"


UNDECIDED = frozenset({CaseStatus.OPEN, CaseStatus.ESCALATED})
"""Statuses of a case still waiting for a reviewer; only these collect further hits."""


class CaseAction(Choice):
    """What the platform did to the item when it confirmed the match."""

    REMOVE = "remove"
    RESTRICT = "restrict"
    REPORT = "report"


class CaseMove(Choice):
    """A decision taken on a case."""

    CONFIRM = "confirm"
    REJECT = "reject"
    ESCALATE = "escalate"
    COMPLAIN = "complain"
    UPHOLD = "uphold"
    REINSTATE = "reinstate"


MOVE_TARGETS: dict[CaseMove, CaseStatus] = {
    CaseMove.CONFIRM: CaseStatus.CONFIRMED,
    CaseMove.REJECT: CaseStatus.REJECTED,
    CaseMove.ESCALATE: CaseStatus.ESCALATED,
    CaseMove.COMPLAIN: CaseStatus.COMPLAINED,
    CaseMove.UPHOLD: CaseStatus.UPHELD,
    CaseMove.REINSTATE: CaseStatus.REINSTATED,
}

_S = CaseStatus
STATUS_MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    _S.OPEN: frozenset({_S.CONFIRMED, _S.REJECTED, _S.ESCALATED}),
    _S.ESCALATED: frozenset({_S.CONFIRMED, _S.REJECTED}),
    _S.CONFIRMED: frozenset({_S.COMPLAINED}),
    _S.REJECTED: frozenset(),
    _S.COMPLAINED: frozenset({_S.UPHELD, _S.REINSTATED}),
    _S.UPHELD: frozenset(),
    _S.REINSTATED: frozenset(),
}


def check_status_move(current: CaseStatus, target: CaseStatus, action: CaseAction | None = None) -> None:
    """Raise InvalidTransition unless a case in `current` (confirmed with `action`) may move to `target`."""
    allowed = STATUS_MOVES[current]
    if current is CaseStatus.CONFIRMED and action is not CaseAction.REMOVE:
        allowed = frozenset()
    if target in allowed:
        return
    names = ", ".join(s.value for s in CaseStatus if s in allowed)
    if names:
        options = f"it may move to: {names}"
    elif current is CaseStatus.CONFIRMED:
        shown = "none" if action is None else action.value
        options = f"nothing: only a removal takes a complaint, and the action was '{shown}'"
    else:
        options = f"nothing: '{current.value}' is final"
    raise InvalidTransition(
        f"a case cannot move from '{current.value}' to '{target.value}' (from '{current.value}' {options})",
        field="status",
    )


def add_months(moment: datetime, months: int) -> datetime:
    """Return `moment` plus calendar months, the day clamped to the month's end (Aug 31 + 6 = Feb 28/29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=moment.tzinfo)
    last_day = (following - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


@dataclass(frozen=True)
class CaseHit:
    """One hit held by a case: which item matched which signal of which bank, how closely, when.

    `item_id` is the platform's id of the item (None when the lookup gave none); `hashes` are the
    item's fingerprints as the lookup computed them. `signal_id` is None when shown to someone who may
    no longer see the signal (the kind, bank and measure stay).
    """

    case_id: UUID
    seq: int
    item_id: str | None
    signal_id: UUID | None
    collection_id: UUID
    kind: str
    match_type: str
    distance: float
    measure: dict[str, JsonValue]
    hashes: dict[str, JsonValue]
    at: datetime


@dataclass(frozen=True)
class Case:
    """A unit of human review for one organization: one item's hits, or one flooding signal's."""

    id: UUID
    org_id: UUID
    item_id: str | None
    status: CaseStatus
    opened_by: str
    opened_at: datetime
    updated_at: datetime
    is_quarantined: bool = False
    quarantine_signal_id: UUID | None = None
    action: CaseAction | None = None
    removal_order_received_at: datetime | None = None
    removed_at: datetime | None = None
    complaint_deadline: datetime | None = None

    @property
    def removal_due_at(self) -> datetime | None:
        """When the removal ordered is due (receipt + 60 minutes), or None without an order."""
        if self.removal_order_received_at is None:
            return None
        return self.removal_order_received_at + timedelta(minutes=REMOVAL_ORDER_MINUTES)

    @property
    def minutes_to_removal(self) -> float | None:
        """Minutes from the order's receipt to the removal, or None until both are known."""
        if self.removal_order_received_at is None or self.removed_at is None:
            return None
        return round((self.removed_at - self.removal_order_received_at).total_seconds() / 60, 2)

    @property
    def is_removed_in_time(self) -> bool | None:
        """True when removed within 60 minutes of the order, False when later, None until removed."""
        minutes = self.minutes_to_removal
        return None if minutes is None else minutes <= REMOVAL_ORDER_MINUTES

    def is_removal_overdue(self, now: datetime) -> bool:
        """True when an order was received, the item is not removed and 60 minutes have passed."""
        due = self.removal_due_at
        return due is not None and self.removed_at is None and now > due

    def is_complaint_overdue(self, now: datetime) -> bool:
        """True when a complaint is pending past its two-week deadline."""
        deadline = self.complaint_deadline
        return self.status is CaseStatus.COMPLAINED and deadline is not None and now > deadline

    @property
    def evidence_keep_until(self) -> datetime | None:
        """Until when evidence of the removed item is kept (removal + 6 months), or None if not removed."""
        return None if self.removed_at is None else add_months(self.removed_at, EVIDENCE_MONTHS)


@dataclass(frozen=True)
class CaseDecision:
    """One move in a case's history: who moved it from what to what, when, why."""

    case_id: UUID
    seq: int
    move: CaseMove
    from_status: CaseStatus
    to_status: CaseStatus
    action: CaseAction | None
    reason: str
    org_id: UUID
    actor: str
    at: datetime


@dataclass(frozen=True)
class Evidence:
    """A removed item kept as evidence: its bytes (or a reference to them), digest, size and deadline.

    After the purge `purged_at` is set and the bytes are gone; the row (digest, size, times) stays as the
    record of what was kept and destroyed.
    """

    id: UUID
    case_id: UUID
    org_id: UUID
    actor: str
    media_type: str
    size_bytes: int
    sha256: str
    reference: str | None
    has_content: bool
    created_at: datetime
    keep_until: datetime
    purged_at: datetime | None = None


@dataclass(frozen=True)
class CaseDetail:
    """A case with its hits, its history and its evidence (without bytes)."""

    case: Case
    hits: tuple[CaseHit, ...]
    history: tuple[CaseDecision, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class CaseAudience:
    """Whose cases a list may show: one organization's, or every one for oversight."""

    org_id: UUID
    is_oversight: bool = False


def case_audience(principal: Principal) -> CaseAudience:
    """Return the audience of a principal: auditors of the operator organization oversee every case."""
    return CaseAudience(principal.org_id, principal.is_operator_org and principal.role is Role.AUDITOR)


def may_see_case(audience: CaseAudience, case: Case) -> bool:
    """Return True when `audience` may see `case` (its existence included)."""
    return audience.is_oversight or audience.org_id == case.org_id


@dataclass(frozen=True)
class CaseQuery:
    """Which cases a list covers, before the access rule is applied."""

    status: CaseStatus | None = None
    is_quarantined: bool | None = None
    item_id: str | None = None
    has_removal_order: bool | None = None
