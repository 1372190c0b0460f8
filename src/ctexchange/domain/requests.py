"""Requests for assistance between member organizations: the request, its state machine and who sees it.

A request goes from one member (the *requesting* side) to another (the *requested* side): identify or
locate a person, preserve or produce data, confirm an identity. It carries its legal basis, the facts,
the offence, the subjects, an urgency and a deadline, and it collects a history of moves, messages and
attachments.

    draft ──send──▶ sent ──acknowledge──▶ acknowledged ──start──▶ in_progress ──answer──▶ answered
      │              │                        │                        │
      │              └──────────decline───────┴────────────────────────┴──────▶ declined
      └──withdraw (from draft, sent, acknowledged or in_progress) ─────────────▶ withdrawn
    answered, declined, withdrawn ──close──▶ closed

Decisions:
- **Who moves what.** The requesting side sends, withdraws and closes; the requested side acknowledges,
  starts, answers (fully or partly) and declines. `MOVE_RULES` is the one table of it; a party making
  the other party's move gets Forbidden (it can see the request, so the refusal is not hidden).
- **The chain is strict.** Answering needs `in_progress` (one `start` after `acknowledge`), so the
  requesting side always knows that work began. A draft may be withdrawn (abandoned) but never deleted:
  its audit trail stays. `closed` is final; `answered`, `declined` and `withdrawn` lead only to `closed`.
- **Who sees a request.** Its two organizations (every reader role among them: admins, analysts,
  reviewers and the organization's own auditors) and, for oversight, the auditors of the operator
  organization. The requested side sees it from the moment it is sent: a draft, even a withdrawn one
  that was never sent, exists for the requesting side only. Anyone else gets NotFound, exactly as for
  an absent id. `may_see_request` is the reference; the store renders the same rule in SQL.
- **Overdue** means the deadline has passed and the request is not `answered`, `declined`, `withdrawn`
  or `closed`. A draft past its deadline counts: it can no longer be sent as it is, and only its
  requesting side can see it anyway.
- **Subjects** are embedded in the request: a name, a kind, a reference and what else the requesting side
  says of them. A subject linked to a designated-entity signal copies the signal's primary name and
  listing reference when it is linked; the link (`signal_id`) is shown only to callers who may see that
  signal (see `ctexchange.service.requests`).
- **Confidentiality** is a TLP 2.0 marking telling the requested side how far it may pass on what the
  request says. It never widens who sees the request in the exchange: that is always the rule above.
- **Attachments** live in the store as bytes with their SHA-256, size and media type; none may be
  empty, each is at most `MAX_ATTACHMENT_BYTES`, all of one request together at most
  `MAX_REQUEST_ATTACHMENT_BYTES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ctexchange.domain.choices import Choice
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Principal
from ctexchange.domain.roles import Role
from ctexchange.errors import Forbidden, InvalidTransition

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_REQUEST_ATTACHMENT_BYTES = 50 * 1024 * 1024
MAX_SUBJECTS = 100


class _Snake(Choice):
    """A choice whose values are snake_case: `in-progress` and `In Progress` read as `in_progress`."""

    @classmethod
    def canonical(cls, text: str) -> str:
        """Lowercase, with dashes and spaces as underscores."""
        return text.strip().lower().replace("-", "_").replace(" ", "_")


class RequestStatus(_Snake):
    """Where a request stands."""

    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


FINISHED = frozenset(
    {RequestStatus.ANSWERED, RequestStatus.DECLINED, RequestStatus.WITHDRAWN, RequestStatus.CLOSED}
)
"""Statuses in which a request is no longer waiting for anyone, so never overdue."""


class Side(Choice):
    """The part an organization plays in a request."""

    REQUESTING = "requesting"
    REQUESTED = "requested"


class Move(Choice):
    """What a party does to a request's status."""

    SEND = "send"
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    ANSWER = "answer"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    CLOSE = "close"


@dataclass(frozen=True)
class MoveRule:
    """The side that may make a move and the status it leads to."""

    side: Side
    target: RequestStatus


MOVE_RULES: dict[Move, MoveRule] = {
    Move.SEND: MoveRule(Side.REQUESTING, RequestStatus.SENT),
    Move.ACKNOWLEDGE: MoveRule(Side.REQUESTED, RequestStatus.ACKNOWLEDGED),
    Move.START: MoveRule(Side.REQUESTED, RequestStatus.IN_PROGRESS),
    Move.ANSWER: MoveRule(Side.REQUESTED, RequestStatus.ANSWERED),
    Move.DECLINE: MoveRule(Side.REQUESTED, RequestStatus.DECLINED),
    Move.WITHDRAW: MoveRule(Side.REQUESTING, RequestStatus.WITHDRAWN),
    Move.CLOSE: MoveRule(Side.REQUESTING, RequestStatus.CLOSED),
}

_S = RequestStatus
STATUS_MOVES: dict[RequestStatus, frozenset[RequestStatus]] = {
    _S.DRAFT: frozenset({_S.SENT, _S.WITHDRAWN}),
    _S.SENT: frozenset({_S.ACKNOWLEDGED, _S.DECLINED, _S.WITHDRAWN}),
    _S.ACKNOWLEDGED: frozenset({_S.IN_PROGRESS, _S.DECLINED, _S.WITHDRAWN}),
    _S.IN_PROGRESS: frozenset({_S.ANSWERED, _S.DECLINED, _S.WITHDRAWN}),
    _S.ANSWERED: frozenset({_S.CLOSED}),
    _S.DECLINED: frozenset({_S.CLOSED}),
    _S.WITHDRAWN: frozenset({_S.CLOSED}),
    _S.CLOSED: frozenset(),
}


def check_status_move(current: RequestStatus, target: RequestStatus) -> None:
    """Raise InvalidTransition unless a request may move from `current` to `target`."""
    if target in STATUS_MOVES[current]:
        return
    allowed = ", ".join(s.value for s in RequestStatus if s in STATUS_MOVES[current])
    options = (
        f"from '{current.value}' it may move to: {allowed}" if allowed else f"'{current.value}' is final"
    )
    raise InvalidTransition(
        f"a request cannot move from '{current.value}' to '{target.value}' ({options})", field="status"
    )


def check_move(move: Move, current: RequestStatus, side: Side) -> RequestStatus:
    """Return the status `move` leads to from `current` when made by `side`.

    Raises Forbidden when the move belongs to the other side, InvalidTransition when the state machine
    refuses it.
    """
    rule = MOVE_RULES[move]
    if side is not rule.side:
        raise Forbidden(
            f"only the {rule.side.value} organization may {move.value} a request"
            f" (yours is the {side.value} one)",
            field="status",
        )
    check_status_move(current, rule.target)
    return rule.target


class AssistanceKind(_Snake):
    """What the requesting side asks for."""

    IDENTIFY = "identify"
    LOCATE = "locate"
    PRESERVE_DATA = "preserve_data"
    PRODUCE_DATA = "produce_data"
    CONFIRM_IDENTITY = "confirm_identity"
    OTHER = "other"


class Urgency(Choice):
    """How fast an answer is needed; `emergency` must say why."""

    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class Outcome(Choice):
    """How completely the requested side answered."""

    FULL = "full"
    PARTIAL = "partial"


class SubjectKind(Choice):
    """Whom a subject is."""

    PERSON = "person"
    ORGANIZATION = "organization"


@dataclass(frozen=True)
class Subject:
    """A person or organization the request is about, as embedded in the request.

    `signal_id` links a designated-entity signal; `name` and `reference` were copied from it then.
    `birth_date` is a partial ISO date (`1990`, `1990-04`, `1990-04-17`); `nationalities` are ISO 3166-1
    alpha-2 codes.
    """

    kind: SubjectKind
    name: str
    reference: str | None = None
    description: str = ""
    birth_date: str | None = None
    nationalities: tuple[str, ...] = ()
    signal_id: UUID | None = None


@dataclass(frozen=True)
class AssistanceRequest:
    """A request for assistance from one member organization to another."""

    id: UUID
    requesting_org_id: UUID
    requested_org_id: UUID
    title: str
    legal_basis: str
    facts: str
    offence: str
    assistance: tuple[AssistanceKind, ...]
    assistance_detail: str
    subjects: tuple[Subject, ...]
    urgency: Urgency
    urgency_justification: str
    deadline: datetime | None
    confidentiality: Marking
    language: str
    reference: str | None
    status: RequestStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    outcome: Outcome | None = None
    reason: str = ""

    def side_of(self, org_id: UUID) -> Side | None:
        """Return the side organization `org_id` is on, or None when it is not a party."""
        if org_id == self.requesting_org_id:
            return Side.REQUESTING
        if org_id == self.requested_org_id:
            return Side.REQUESTED
        return None

    def counterpart_of(self, org_id: UUID) -> UUID:
        """Return the other party's organization (the requested one for anyone but the requested)."""
        return self.requesting_org_id if org_id == self.requested_org_id else self.requested_org_id

    def is_overdue(self, now: datetime) -> bool:
        """True when the deadline has passed and the request is not answered, declined, withdrawn, closed."""
        return self.deadline is not None and self.deadline < now and self.status not in FINISHED


@dataclass(frozen=True)
class RequestMove:
    """One move in a request's history: who moved it from what to what, when, with which note."""

    request_id: UUID
    seq: int
    move: Move
    from_status: RequestStatus
    to_status: RequestStatus
    org_id: UUID
    actor: str
    note: str
    at: datetime


@dataclass(frozen=True)
class Message:
    """A message one party wrote to the other on a sent request."""

    id: UUID
    request_id: UUID
    org_id: UUID
    actor: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Attachment:
    """A file added to a request; its bytes are read separately, checked against `sha256`."""

    id: UUID
    request_id: UUID
    org_id: UUID
    actor: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class RequestDetail:
    """A request with its history, its attachments (without their bytes) and how many messages it has."""

    request: AssistanceRequest
    history: tuple[RequestMove, ...]
    attachments: tuple[Attachment, ...]
    message_count: int


@dataclass(frozen=True)
class RequestAudience:
    """Whose requests a list may show: one organization's, or every one for oversight."""

    org_id: UUID
    is_oversight: bool = False


def request_audience(principal: Principal) -> RequestAudience:
    """Return the audience of a principal: auditors of the operator organization oversee every request."""
    oversight = principal.is_operator_org and principal.role is Role.AUDITOR
    return RequestAudience(principal.org_id, oversight)


def may_see_request(audience: RequestAudience, request: AssistanceRequest) -> bool:
    """Return True when `audience` may see `request` (its existence included)."""
    if audience.is_oversight or audience.org_id == request.requesting_org_id:
        return True
    return audience.org_id == request.requested_org_id and request.sent_at is not None


@dataclass(frozen=True)
class RequestQuery:
    """Which requests a list covers, before the access rule is applied."""

    status: RequestStatus | None = None
    side: Side | None = None
    urgency: Urgency | None = None
