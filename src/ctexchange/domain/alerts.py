"""Alerts: time-bound notices one member organization sends to chosen others, and their acknowledgements.

An alert says "act on this now" (a foreign terrorist fighter reported travelling, an imminent threat, a
wanted person, a content campaign) where a signal says "match against this". It has a title, a kind, a
subject (an entity signal and/or a described person or organization), a last known location, a route, a
validity window, a TLP 2.0 marking and a fixed audience.

Decisions, each because of what an alert is for:
- **The audience is fixed at issue.** Sharing groups are resolved to their member organizations when the
  alert is issued and stored; RED alerts name users. A later change to a group neither widens an alert
  (an organization that joins next month was not told, and the issuer never decided to tell it about a
  named person) nor narrows it (an organization that has acted on an alert keeps its record). Every
  version is seen by the same organizations, so an acknowledgement list is complete.
- **Who sees an alert** (`can_see_alert`): every reader of the issuing organization; every reader of a
  recipient organization, or for RED only the named users; the auditors of the issuer and of every
  recipient organization (oversight is not blind to RED); the operator organization's auditors. Nobody
  else, whatever the marking: a GREEN alert is not shown to every member, because an alert is addressed.
  The marking tells recipients how far they may pass it on, and makes every read of AMBER, AMBER+STRICT
  and RED alerts audited.
- **Need to know among recipients**: a recipient sees its own organization's acknowledgement, never the
  list of other recipients; the issuer (and the operator's auditors) see all of them.
- **States** (`ALERT_MOVES`): `issued` until it is cancelled (with a reason) or its `valid_until` passes.
  `expired` is derived from `valid_until` at read time, never stored, so no job has to run for an alert
  to expire. Expired and cancelled alerts are closed: they cannot be updated, extended, cancelled or
  acknowledged. An expired alert is not extended, because recipients may have stood down when it lapsed
  and their acknowledgements were of a notice that ended; a concern that continues is a new alert, with
  new acknowledgements.
- **Versions**: an update (new content) or an extension (a later `valid_until`) adds a version; every
  version is kept. The marking, kind and audience never change.
- **Acknowledgements are per recipient organization and per version** (`ACK_MOVES`): `pending` until a
  reader of the organization acknowledges the current version; an update makes every recipient `pending`
  again, because what they must act on changed. Acknowledging twice is refused.
- **Validity**: `valid_until` must be after `valid_from` and in the future, and at most
  `MAX_VALIDITY_DAYS` after `valid_from`; extensions obey the same bound. A concern that outlives a year
  is a new alert or a list entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from ctexchange.domain.choices import Choice
from ctexchange.domain.entities import EntitySchema, ScreeningQuery, check_country, check_partial_date
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Principal
from ctexchange.domain.roles import Role
from ctexchange.domain.text import clean_text
from ctexchange.errors import InvalidInput, InvalidTransition, PayloadTooLarge

MAX_TITLE_CHARS = 200
MAX_DETAILS_CHARS = 10_000
MAX_PLACE_CHARS = 300
MAX_NOTE_CHARS = 2_000
MAX_ROUTE_STOPS = 50
MAX_VALIDITY_DAYS = 365
MAX_VALIDITY = timedelta(days=MAX_VALIDITY_DAYS)


class AlertKind(Choice):
    """What an alert is about."""

    FIGHTER_TRAVEL = "fighter-travel"
    IMMINENT_THREAT = "imminent-threat"
    WANTED_PERSON = "wanted-person"
    CONTENT_CAMPAIGN = "content-campaign"

    @classmethod
    def canonical(cls, text: str) -> str:
        """`fighter_travel` and `Fighter travel` are typed as often as the value itself."""
        return text.strip().lower().replace("_", "-").replace(" ", "-")

    @property
    def needs_subject(self) -> bool:
        """True for kinds that are about one person: they need a subject (signal or description)."""
        return self in (AlertKind.FIGHTER_TRAVEL, AlertKind.WANTED_PERSON)


class AlertState(Choice):
    """Where an alert stands. Only `issued` and `cancelled` are stored; `expired` is derived."""

    ISSUED = "issued"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class AlertAction(Choice):
    """What can be done to an alert."""

    UPDATE = "update"
    EXTEND = "extend"
    CANCEL = "cancel"
    ACKNOWLEDGE = "acknowledge"


ALERT_MOVES: dict[AlertState, dict[AlertAction, AlertState]] = {
    AlertState.ISSUED: {
        AlertAction.UPDATE: AlertState.ISSUED,
        AlertAction.EXTEND: AlertState.ISSUED,
        AlertAction.CANCEL: AlertState.CANCELLED,
        AlertAction.ACKNOWLEDGE: AlertState.ISSUED,
    },
    AlertState.EXPIRED: {},
    AlertState.CANCELLED: {},
}
"""The state machine: for each state, the actions it allows and the state each leads to."""


def check_alert_action(state: AlertState, action: AlertAction) -> AlertState:
    """Return the state `action` leads to from `state`; raise InvalidTransition if it is not allowed."""
    moves = ALERT_MOVES[state]
    if action not in moves:
        allowed = ", ".join(sorted(a.value for a in moves)) or "nothing (a closed alert is read-only)"
        raise InvalidTransition(
            f"cannot {action.value} an alert that is '{state.value}'"
            f" (an alert that is '{state.value}' allows: {allowed})",
            field="state",
        )
    return moves[action]


class AckState(Choice):
    """A recipient organization's standing on the current version of an alert."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"


ACK_MOVES: dict[AckState, frozenset[AckState]] = {
    AckState.PENDING: frozenset({AckState.ACKNOWLEDGED}),
    AckState.ACKNOWLEDGED: frozenset(),
}


def check_ack_move(current: AckState, target: AckState) -> None:
    """Raise InvalidTransition unless a recipient's acknowledgement may move from `current` to `target`."""
    if target not in ACK_MOVES[current]:
        allowed = ", ".join(sorted(s.value for s in ACK_MOVES[current])) or "nothing"
        raise InvalidTransition(
            f"an acknowledgement cannot move from '{current.value}' to '{target.value}'"
            f" (from '{current.value}' it may move to: {allowed})",
            field="acknowledgement",
        )


class AlertChange(Choice):
    """What made a version."""

    ISSUE = "issue"
    UPDATE = "update"
    EXTEND = "extend"


class AlertBox(Choice):
    """Which alerts a list covers, from the caller's organization's point of view."""

    ALL = "all"
    RECEIVED = "received"
    SENT = "sent"


@dataclass(frozen=True)
class Location:
    """Where the subject was last known to be: free text and, when known, the ISO 3166-1 country."""

    text: str
    country: str | None = None


@dataclass(frozen=True)
class RouteStop:
    """One place on a route: a place and/or a country, and when (a partial ISO date) if known."""

    place: str
    country: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class AlertSubject:
    """Whom an alert is about: an entity signal (its id), a description in screening-query form, or both.

    The description is a `ScreeningQuery`, so a recipient can screen it against its own lists as is.
    """

    signal_id: UUID | None = None
    description: ScreeningQuery | None = None

    @property
    def is_empty(self) -> bool:
        """True when the alert names no subject."""
        return self.signal_id is None and self.description is None


@dataclass(frozen=True)
class AlertContent:
    """What a version of an alert says."""

    title: str
    details: str = ""
    subject: AlertSubject = field(default_factory=AlertSubject)
    location: Location | None = None
    route: tuple[RouteStop, ...] = ()

    def changed_fields(self, other: AlertContent) -> list[str]:
        """Return the names of the fields in which `other` differs from this content."""
        names = ("title", "details", "subject", "location", "route")
        return [n for n in names if getattr(self, n) != getattr(other, n)]


@dataclass(frozen=True)
class AlertVersion:
    """One version of an alert: its content and validity, what made it, who and when."""

    alert_id: UUID
    version: int
    change: AlertChange
    content: AlertContent
    valid_from: datetime
    valid_until: datetime
    note: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class Acknowledgement:
    """A recipient organization's receipt of one version, by one of its users (or the local operator)."""

    alert_id: UUID
    org_id: UUID
    version: int
    user_id: UUID | None
    actor: str
    note: str
    at: datetime


@dataclass(frozen=True)
class Cancellation:
    """Who cancelled an alert, why and when."""

    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Alert:
    """An alert as stored: header, current version, audience, cancellation and acknowledgements."""

    id: UUID
    org_id: UUID
    kind: AlertKind
    marking: Marking
    content: AlertContent
    valid_from: datetime
    valid_until: datetime
    version: int
    issued_by: str
    issued_at: datetime
    updated_at: datetime
    recipient_org_ids: frozenset[UUID]
    recipient_user_ids: frozenset[UUID] = field(default_factory=frozenset)
    group_ids: frozenset[UUID] = field(default_factory=frozenset)
    cancellation: Cancellation | None = None
    acknowledgements: tuple[Acknowledgement, ...] = ()

    def state(self, now: datetime) -> AlertState:
        """Return the state at `now`: cancelled, expired (from `valid_until`) or issued."""
        if self.cancellation is not None:
            return AlertState.CANCELLED
        return AlertState.EXPIRED if now >= self.valid_until else AlertState.ISSUED

    def ack_of(self, org_id: UUID) -> Acknowledgement | None:
        """Return an organization's acknowledgement of the current version, or None."""
        return next(
            (a for a in self.acknowledgements if a.org_id == org_id and a.version == self.version), None
        )

    def ack_state(self, org_id: UUID) -> AckState:
        """Return whether an organization has acknowledged the current version."""
        return AckState.PENDING if self.ack_of(org_id) is None else AckState.ACKNOWLEDGED

    def is_pending_for(self, org_id: UUID, now: datetime) -> bool:
        """True when `org_id` is a recipient that still has to acknowledge this alert, in force at `now`."""
        return (
            org_id in self.recipient_org_ids
            and self.state(now) is AlertState.ISSUED
            and self.ack_state(org_id) is AckState.PENDING
        )


AlertPosition = tuple[int, datetime, UUID]
"""Where a page of alerts ends: (1 if the caller's organization must still acknowledge it, else 0,
issued_at, id); lists are ordered by these three, descending."""


@dataclass(frozen=True)
class AlertQuery:
    """Which alerts a list covers (before access rules are applied)."""

    box: AlertBox = AlertBox.ALL
    state: AlertState | None = None
    kind: AlertKind | None = None


@dataclass(frozen=True)
class AlertPageRequest:
    """At most `limit` alerts after the one at `after`."""

    limit: int
    after: AlertPosition | None = None


@dataclass(frozen=True)
class AlertPage:
    """A page of alerts and the position of its last one when more may follow."""

    items: Sequence[Alert]
    next_after: AlertPosition | None


# Who sees an alert -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertAudience:
    """What the store needs to filter alerts for one caller."""

    org_id: UUID
    user_id: UUID | None
    is_auditor: bool
    sees_all: bool


def alert_audience_of(principal: Principal) -> AlertAudience:
    """Return the alert audience of a principal (the operator's auditors see every alert)."""
    is_auditor = principal.role is Role.AUDITOR
    return AlertAudience(
        principal.org_id, principal.user_id, is_auditor, is_auditor and principal.is_operator_org
    )


def can_see_alert(audience: AlertAudience, alert: Alert) -> bool:
    """Return True when `audience` may see `alert` (see the module docstring for the rule)."""
    if audience.sees_all or audience.org_id == alert.org_id:
        return True
    if audience.org_id not in alert.recipient_org_ids:
        return False
    if audience.is_auditor or alert.marking is not Marking.RED:
        return True
    return audience.user_id is not None and audience.user_id in alert.recipient_user_ids


def sees_every_recipient(audience: AlertAudience, alert: Alert) -> bool:
    """True for the issuer and the operator's auditors; a recipient sees only its own organization."""
    return audience.sees_all or audience.org_id == alert.org_id


# Validation ------------------------------------------------------------------------------------------


def optional_country(raw: object, field_name: str) -> str | None:
    """Return an ISO 3166-1 alpha-2 code (any case, trimmed) or None for None or an empty string."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return check_country(raw.strip().upper() if isinstance(raw, str) else raw, field_name)


def make_location(text: object, country: object, field_name: str = "location") -> Location:
    """Return a checked location: free text (one line) and an optional country code."""
    return Location(
        clean_text(text, f"{field_name}.text", max_chars=MAX_PLACE_CHARS),
        optional_country(country, f"{field_name}.country"),
    )


def make_route(
    stops: Sequence[tuple[object, object, object]], field_name: str = "route"
) -> tuple[RouteStop, ...]:
    """Return checked route stops from (place, country, date) triples, in the order given.

    Each stop needs a place or a country; dates are partial ISO dates and may not go back in time along
    the route (compared at the precision both stops share).
    """
    if len(stops) > MAX_ROUTE_STOPS:
        raise PayloadTooLarge(
            f"'{field_name}' must hold at most {MAX_ROUTE_STOPS} stops (got {len(stops)})", field=field_name
        )
    route: list[RouteStop] = []
    for index, (place, country, date) in enumerate(stops):
        prefix = f"{field_name}[{index}]"
        text = clean_text(
            "" if place is None else place, f"{prefix}.place", max_chars=MAX_PLACE_CHARS, allow_empty=True
        )
        code = optional_country(country, f"{prefix}.country")
        if not text and code is None:
            raise InvalidInput.expected(f"{prefix}.place", "a place or a country", place)
        when = None if date is None or date == "" else _stop_date(date, f"{prefix}.date")
        route.append(RouteStop(text, code, when))
    _check_route_order(route, field_name)
    return tuple(route)


def _stop_date(raw: object, field_name: str) -> str:
    return check_partial_date(raw.strip() if isinstance(raw, str) else raw, field_name)


def _check_route_order(route: Sequence[RouteStop], field_name: str) -> None:
    last: str | None = None
    for index, stop in enumerate(route):
        if stop.date is None:
            continue
        if last is not None:
            shared = min(len(last), len(stop.date))
            if stop.date[:shared] < last[:shared]:
                raise InvalidInput.expected(
                    f"{field_name}[{index}].date", f"not before the previous stop's date {last}", stop.date
                )
        last = stop.date


def check_validity(valid_from: datetime, valid_until: datetime, now: datetime) -> None:
    """Raise InvalidInput unless the window is aware, ends after it starts and in the future, and is
    at most `MAX_VALIDITY_DAYS` long and starts at most that far ahead."""
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until)):
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise InvalidInput.expected(name, "a time with a time zone", _iso(moment))
    if valid_until <= valid_from:
        raise InvalidInput.expected("valid_until", f"after valid_from {_iso(valid_from)}", _iso(valid_until))
    if valid_until <= now:
        raise InvalidInput.expected("valid_until", f"in the future (now is {_iso(now)})", _iso(valid_until))
    if valid_until - valid_from > MAX_VALIDITY:
        raise InvalidInput.expected(
            "valid_until",
            f"at most {MAX_VALIDITY_DAYS} days after valid_from {_iso(valid_from)}",
            _iso(valid_until),
        )
    if valid_from - now > MAX_VALIDITY:
        raise InvalidInput.expected(
            "valid_from", f"at most {MAX_VALIDITY_DAYS} days from now ({_iso(now)})", _iso(valid_from)
        )


def _iso(moment: object) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else repr(moment)


# Stored form -----------------------------------------------------------------------------------------


def content_to_json(content: AlertContent) -> dict[str, Any]:
    """Return the stored JSON form of a version's content."""
    subject = content.subject
    description = subject.description
    return {
        "title": content.title,
        "details": content.details,
        "subject": {
            "signal_id": None if subject.signal_id is None else str(subject.signal_id),
            "description": None if description is None else _query_to_json(description),
        },
        "location": None
        if content.location is None
        else {"text": content.location.text, "country": content.location.country},
        "route": [{"place": s.place, "country": s.country, "date": s.date} for s in content.route],
    }


def _query_to_json(query: ScreeningQuery) -> dict[str, Any]:
    return {
        "schema": query.schema.value,
        "names": list(query.names),
        "birth_dates": list(query.birth_dates),
        "nationalities": list(query.nationalities),
        "documents": list(query.documents),
        "gender": query.gender,
    }


def content_from_json(raw: Mapping[str, Any]) -> AlertContent:
    """Return the content of its stored JSON form (written by `content_to_json`)."""
    subject = raw["subject"]
    signal_id = subject.get("signal_id")
    description = subject.get("description")
    location = raw.get("location")
    return AlertContent(
        title=raw["title"],
        details=raw["details"],
        subject=AlertSubject(
            None if signal_id is None else UUID(signal_id),
            None if description is None else _query_from_json(description),
        ),
        location=None if location is None else Location(location["text"], location["country"]),
        route=tuple(RouteStop(s["place"], s["country"], s["date"]) for s in raw["route"]),
    )


def _query_from_json(raw: Mapping[str, Any]) -> ScreeningQuery:
    return ScreeningQuery(
        EntitySchema(raw["schema"]),
        tuple(raw["names"]),
        tuple(raw["birth_dates"]),
        tuple(raw["nationalities"]),
        tuple(raw["documents"]),
        raw["gender"],
    )
