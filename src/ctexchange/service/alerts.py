"""Alerts: issuing them to chosen organizations, reading, updating, extending, cancelling, acknowledging.

Every use case checks the caller's role first (`alerts.read` / `alerts.write`, Forbidden), then whether
the caller may see the alert (`ctexchange.domain.alerts.can_see_alert`; NotFound with exactly the message
an absent id gets), then whether its organization may do this to an alert it sees (Forbidden), then the
state machine (InvalidTransition). Lists are filtered in SQL by the same rule, so a third party's list and
its pages never include, or count, an alert it may not see.

Decisions taken here:
- **What a caller is shown** (`AlertView`) is redacted in this layer, not in the adapters: a recipient
  sees its own organization among the recipients and its own acknowledgements, never the others or the
  sharing groups the issuer named; the subject's signal id is shown only to callers who may see that
  signal under the signal rules (the issuer may reference an AMBER entity its recipients cannot see; the
  alert does not forward it). The described subject is the issuer's own words and is shown to the
  alert's whole audience.
- **Validation before storage**: titles, details, places and notes are checked for size and hidden
  characters (`ctexchange.domain.text`), the described subject exactly as a screening query
  (`make_query`: names in any script, real dates, ISO 3166 countries), route dates in order, and the
  validity window; nothing is stored when any of it fails.
- **Audit**: every write records its event in its own transaction (`alert.issue`, `alert.update`,
  `alert.extend`, `alert.cancel`, `alert.acknowledge`) with ids, versions, kinds, markings, the names of
  changed fields and times, never the alert's text (names of persons, places, notes). Reads of AMBER,
  AMBER+STRICT and RED alerts are recorded right after the read, one event per issuing organization.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar
from uuid import UUID, uuid4

from ctexchange.domain.access import can_see_signal
from ctexchange.domain.alerts import (
    MAX_DETAILS_CHARS,
    MAX_NOTE_CHARS,
    MAX_TITLE_CHARS,
    Acknowledgement,
    AckState,
    Alert,
    AlertAction,
    AlertAudience,
    AlertBox,
    AlertChange,
    AlertContent,
    AlertKind,
    AlertPageRequest,
    AlertPosition,
    AlertQuery,
    AlertState,
    AlertSubject,
    AlertVersion,
    Cancellation,
    Location,
    RouteStop,
    alert_audience_of,
    can_see_alert,
    check_ack_move,
    check_alert_action,
    check_validity,
    make_location,
    make_route,
    sees_every_recipient,
)
from ctexchange.domain.markings import Marking
from ctexchange.domain.roles import Action, is_allowed
from ctexchange.domain.signals import Family
from ctexchange.domain.text import clean_text
from ctexchange.domain.webhooks import WebhookEvent
from ctexchange.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge
from ctexchange.service.access import parse_id, require, visible_signal
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.service.members import find_group, find_org, find_user
from ctexchange.service.screening import make_query
from ctexchange.service.webhooks import Notifier
from ctexchange.store.protocol import Store, UnitOfWork

T = TypeVar("T")

MAX_RECIPIENT_ORGS = 500
MAX_RECIPIENT_USERS = 100
MAX_REFS = 500  # organizations, groups or users named in one request


@dataclass(frozen=True)
class SubjectInput:
    """Whom an alert is about, as a caller gives it: an entity signal id and/or a described subject.

    The description has the fields of a screening query; it is left out when no name is given.
    """

    signal_id: str | None = None
    schema: str = "Person"
    names: Sequence[str] = ()
    birth_dates: Sequence[str] = ()
    nationalities: Sequence[str] = ()
    documents: Sequence[str] = ()
    gender: str | None = None

    @property
    def is_described(self) -> bool:
        """True when any field of the description is given."""
        return any((self.names, self.birth_dates, self.nationalities, self.documents, self.gender))


@dataclass(frozen=True)
class LocationInput:
    """A last known location as typed: free text and an optional ISO 3166-1 country code."""

    text: str
    country: str | None = None


@dataclass(frozen=True)
class StopInput:
    """One stop of a route as typed: a place and/or a country, and an optional partial ISO date."""

    place: str | None = None
    country: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class NewAlert:
    """What a caller gives to issue an alert. `valid_from` defaults to now; the marking to AMBER.

    Recipients: `orgs` and `groups` (resolved to their member organizations now) for every marking but
    RED; `users` (named users of other organizations) for RED only.
    """

    title: str
    kind: str
    valid_until: datetime
    details: str = ""
    subject: SubjectInput | None = None
    location: LocationInput | None = None
    route: Sequence[StopInput] = ()
    valid_from: datetime | None = None
    marking: str = Marking.AMBER.value
    orgs: Sequence[str] = ()
    groups: Sequence[str] = ()
    users: Sequence[str] = ()


@dataclass(frozen=True)
class AlertChanges:
    """An update: each field given replaces the current one; None keeps it. An empty route clears it."""

    title: str | None = None
    details: str | None = None
    subject: SubjectInput | None = None
    location: LocationInput | None = None
    route: Sequence[StopInput] | None = None


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient organization: whether it acknowledged the current version, and its latest receipt."""

    org_id: UUID
    state: AckState
    latest: Acknowledgement | None


@dataclass(frozen=True)
class AlertView:
    """An alert as one caller may see it (already redacted), its state now, and where the caller stands.

    `my_state` is the caller's organization's acknowledgement state when it is a recipient, else None;
    `is_pending` is True when that organization still has to acknowledge an alert in force.
    """

    alert: Alert
    state: AlertState
    is_issuer: bool
    my_state: AckState | None
    is_pending: bool
    recipients: list[RecipientStatus]


@dataclass(frozen=True)
class AlertList:
    """One page of alert views and the cursor of the next page (None at the end)."""

    items: list[AlertView]
    next_cursor: str | None


def encode_alert_cursor(after: AlertPosition | None) -> str | None:
    """Return the opaque cursor of a page position, or None at the end."""
    if after is None:
        return None
    raw = f"{after[0]}|{after[1].isoformat()}|{after[2]}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_alert_cursor(cursor: str | None) -> AlertPosition | None:
    """Return the page position of a cursor; raise InvalidInput for one this service did not issue."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        pending, moment, ident = raw.split("|")
        position = (int(pending), datetime.fromisoformat(moment), UUID(ident))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput.expected("cursor", "a cursor returned by a previous page", cursor) from None
    if position[0] not in (0, 1) or position[1].tzinfo is None:
        raise InvalidInput.expected("cursor", "a cursor returned by a previous page", cursor)
    return position


def visible_alert(uow: UnitOfWork, caller: Caller, alert_id: UUID | str) -> Alert:
    """Return the alert if the caller may see it; otherwise NotFound, as if it did not exist."""
    ident = alert_id if isinstance(alert_id, UUID) else parse_id(alert_id.strip(), "alert", "alert_id")
    alert = uow.alerts.get(ident)
    if alert is None or not can_see_alert(alert_audience_of(caller.principal), alert):
        raise NotFound.of("alert", ident, "alert_id")
    return alert


def issued_alert(uow: UnitOfWork, caller: Caller, alert_id: UUID | str) -> Alert:
    """Return a visible alert issued by the caller's organization; Forbidden if visible but not its own."""
    alert = visible_alert(uow, caller, alert_id)
    if alert.org_id != caller.principal.org_id:
        raise Forbidden("only the organization that issued an alert may change it")
    return alert


def _found(find: Callable[[UnitOfWork, str], T], uow: UnitOfWork, ref: str, field: str) -> T:
    """Look an object up by reference, naming `field` in its NotFound (the message stays the same)."""
    try:
        return find(uow, ref)
    except NotFound as exc:
        raise NotFound(exc.message, field=field) from None


def _refs(refs: Sequence[str], field: str) -> Sequence[str]:
    if isinstance(refs, str) or len(refs) > MAX_REFS:
        raise InvalidInput.expected(field, f"a list of at most {MAX_REFS} references", refs)
    return refs


class AlertService:
    """Issue, read, list, update, extend, cancel and acknowledge alerts."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        page_default: int,
        page_max: int,
        *,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.page_default = page_default
        self.page_max = page_max
        self.notifier = notifier

    # Writes -------------------------------------------------------------------------------------------

    def issue(self, caller: Caller, new: NewAlert) -> AlertView:
        """Issue an alert from the caller's organization to the organizations (or RED users) it names."""
        require(caller, Action.WRITE_ALERTS)
        kind = AlertKind.parse(new.kind, "kind")
        marking = Marking.parse(new.marking, "marking")
        title = clean_text(new.title, "title", max_chars=MAX_TITLE_CHARS)
        details = clean_text(
            new.details, "details", max_chars=MAX_DETAILS_CHARS, allow_empty=True, multiline=True
        )
        location = self._location(new.location)
        route = self._route(new.route)
        now = self.clock()
        valid_from = now if new.valid_from is None else new.valid_from
        check_validity(valid_from, new.valid_until, now)
        with self.store.transaction() as uow:
            subject = self._subject(uow, caller, new.subject)
            _check_subject(kind, subject)
            orgs, users, groups = self._audience(uow, caller, marking, new)
            alert = Alert(
                id=uuid4(),
                org_id=caller.principal.org_id,
                kind=kind,
                marking=marking,
                content=AlertContent(title, details, subject, location, route),
                valid_from=valid_from,
                valid_until=new.valid_until,
                version=1,
                issued_by=caller.principal.actor,
                issued_at=now,
                updated_at=now,
                recipient_org_ids=orgs,
                recipient_user_ids=users,
                group_ids=groups,
            )
            uow.alerts.add(alert)
            record(
                uow,
                caller,
                self.clock,
                "alert.issue",
                ("alert", alert.id, alert.org_id),
                {
                    "kind": kind.value,
                    "marking": marking.value,
                    "recipient_org_ids": sorted(str(o) for o in orgs),
                    "recipient_user_ids": sorted(str(u) for u in users),
                    "group_ids": sorted(str(g) for g in groups),
                    "valid_from": valid_from.isoformat(),
                    "valid_until": new.valid_until.isoformat(),
                },
            )
            if self.notifier is not None and marking is not Marking.RED:
                told = {"alert_id": str(alert.id), "kind": kind.value, "marking": marking.value}
                for org_id in sorted(orgs):
                    self.notifier.emit(uow, org_id, WebhookEvent.ALERT_RECEIVED, {**told})
            return self._views(uow, caller, [self._stored(uow, alert.id)], now)[0]

    def update(self, caller: Caller, alert_id: UUID | str, changes: AlertChanges, note: str) -> AlertView:
        """Make a new version of an alert the caller's organization issued, with a note saying why."""
        require(caller, Action.WRITE_ALERTS)
        why = clean_text(note, "note", max_chars=MAX_NOTE_CHARS, multiline=True)
        title = (
            None if changes.title is None else clean_text(changes.title, "title", max_chars=MAX_TITLE_CHARS)
        )
        details = (
            None
            if changes.details is None
            else clean_text(
                changes.details, "details", max_chars=MAX_DETAILS_CHARS, allow_empty=True, multiline=True
            )
        )
        location = self._location(changes.location)
        route = None if changes.route is None else self._route(changes.route)
        with self.store.transaction() as uow:
            alert = issued_alert(uow, caller, alert_id)
            now = self.clock()
            check_alert_action(alert.state(now), AlertAction.UPDATE)
            current = alert.content
            subject = (
                current.subject if changes.subject is None else self._subject(uow, caller, changes.subject)
            )
            _check_subject(alert.kind, subject)
            content = AlertContent(
                current.title if title is None else title,
                current.details if details is None else details,
                subject,
                current.location if location is None else location,
                current.route if route is None else route,
            )
            changed = current.changed_fields(content)
            if not changed:
                raise InvalidInput(
                    "an update must change at least one of title, details, subject, location, route"
                    " (got the current values)"
                )
            version = AlertVersion(
                alert.id,
                alert.version + 1,
                AlertChange.UPDATE,
                content,
                alert.valid_from,
                alert.valid_until,
                why,
                caller.principal.actor,
                now,
            )
            uow.alerts.add_version(version)
            record(
                uow,
                caller,
                self.clock,
                "alert.update",
                ("alert", alert.id, alert.org_id),
                {"version": version.version, "changed": changed},
            )
            return self._views(uow, caller, [self._stored(uow, alert.id)], now)[0]

    def extend(self, caller: Caller, alert_id: UUID | str, valid_until: datetime, note: str) -> AlertView:
        """Move the end of an alert in force to a later time (a new version); expired alerts stay closed."""
        require(caller, Action.WRITE_ALERTS)
        why = clean_text(note, "note", max_chars=MAX_NOTE_CHARS, multiline=True)
        with self.store.transaction() as uow:
            alert = issued_alert(uow, caller, alert_id)
            now = self.clock()
            check_alert_action(alert.state(now), AlertAction.EXTEND)
            check_validity(alert.valid_from, valid_until, now)
            if valid_until <= alert.valid_until:
                raise InvalidInput.expected(
                    "valid_until",
                    f"later than the current valid_until {alert.valid_until.isoformat()}",
                    valid_until.isoformat(),
                )
            version = AlertVersion(
                alert.id,
                alert.version + 1,
                AlertChange.EXTEND,
                alert.content,
                alert.valid_from,
                valid_until,
                why,
                caller.principal.actor,
                now,
            )
            uow.alerts.add_version(version)
            record(
                uow,
                caller,
                self.clock,
                "alert.extend",
                ("alert", alert.id, alert.org_id),
                {
                    "version": version.version,
                    "from": alert.valid_until.isoformat(),
                    "to": valid_until.isoformat(),
                },
            )
            return self._views(uow, caller, [self._stored(uow, alert.id)], now)[0]

    def cancel(self, caller: Caller, alert_id: UUID | str, reason: str) -> AlertView:
        """Cancel an alert in force that the caller's organization issued, with the reason."""
        require(caller, Action.WRITE_ALERTS)
        why = clean_text(reason, "reason", max_chars=MAX_NOTE_CHARS, multiline=True)
        with self.store.transaction() as uow:
            alert = issued_alert(uow, caller, alert_id)
            now = self.clock()
            check_alert_action(alert.state(now), AlertAction.CANCEL)
            uow.alerts.cancel(alert.id, Cancellation(caller.principal.actor, why, now))
            record(
                uow,
                caller,
                self.clock,
                "alert.cancel",
                ("alert", alert.id, alert.org_id),
                {"version": alert.version},
            )
            return self._views(uow, caller, [self._stored(uow, alert.id)], now)[0]

    def acknowledge(self, caller: Caller, alert_id: UUID | str, note: str = "") -> Acknowledgement:
        """Record that the caller's organization received the current version of an alert sent to it."""
        require(caller, Action.WRITE_ALERTS)
        text = clean_text(note, "note", max_chars=MAX_NOTE_CHARS, allow_empty=True, multiline=True)
        with self.store.transaction() as uow:
            alert = visible_alert(uow, caller, alert_id)
            org_id = caller.principal.org_id
            if org_id not in alert.recipient_org_ids:
                raise Forbidden("only the organizations an alert was sent to acknowledge it")
            now = self.clock()
            check_alert_action(alert.state(now), AlertAction.ACKNOWLEDGE)
            check_ack_move(alert.ack_state(org_id), AckState.ACKNOWLEDGED)
            ack = Acknowledgement(
                alert.id, org_id, alert.version, caller.principal.user_id, caller.principal.actor, text, now
            )
            uow.alerts.acknowledge(ack)
            record(
                uow,
                caller,
                self.clock,
                "alert.acknowledge",
                ("alert", alert.id, alert.org_id),
                {"version": alert.version},
            )
        return ack

    # Reads --------------------------------------------------------------------------------------------

    def get(self, caller: Caller, alert_id: UUID | str) -> AlertView:
        """Return one alert the caller may see; NotFound otherwise."""
        require(caller, Action.READ_ALERTS)
        now = self.clock()
        with self.store.snapshot() as uow:
            view = self._views(uow, caller, [visible_alert(uow, caller, alert_id)], now)[0]
        self._record_reads(caller, "alert.read", [view.alert])
        return view

    def find(
        self,
        caller: Caller,
        box: str = AlertBox.ALL.value,
        state: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AlertList:
        """Return one page of the alerts the caller may see: those its organization still has to
        acknowledge first, then the newest. `box` is `received`, `sent` or `all`."""
        require(caller, Action.READ_ALERTS)
        query = AlertQuery(
            AlertBox.parse(box, "box"),
            None if state is None else AlertState.parse(state, "state"),
            None if kind is None else AlertKind.parse(kind, "kind"),
        )
        size = self.page_default if limit is None else limit
        if not 1 <= size <= self.page_max:
            raise InvalidInput.expected("limit", f"an integer from 1 to {self.page_max}", limit)
        page = AlertPageRequest(size, decode_alert_cursor(cursor))
        now = self.clock()
        with self.store.snapshot() as uow:
            found = uow.alerts.find(query, alert_audience_of(caller.principal), page, now)
            views = self._views(uow, caller, found.items, now)
        self._record_reads(caller, "alert.list", [v.alert for v in views])
        return AlertList(views, encode_alert_cursor(found.next_after))

    def history(self, caller: Caller, alert_id: UUID | str) -> list[AlertVersion]:
        """Return every version of an alert the caller may see, oldest first."""
        require(caller, Action.READ_ALERTS)
        with self.store.snapshot() as uow:
            alert = visible_alert(uow, caller, alert_id)
            versions = uow.alerts.versions(alert.id)
            subjects = self._shown_signals(uow, caller, [v.content.subject.signal_id for v in versions])
        self._record_reads(caller, "alert.history.read", [alert])
        return [replace(v, content=_redact_subject(v.content, subjects)) for v in versions]

    def acknowledgements(self, caller: Caller, alert_id: UUID | str) -> list[RecipientStatus]:
        """Return each recipient's acknowledgement state: every recipient for the issuer and the
        operator's auditors, the caller's own organization for a recipient."""
        require(caller, Action.READ_ALERTS)
        now = self.clock()
        with self.store.snapshot() as uow:
            view = self._views(uow, caller, [visible_alert(uow, caller, alert_id)], now)[0]
        self._record_reads(caller, "alert.acknowledgements.read", [view.alert])
        return view.recipients

    # Helpers ------------------------------------------------------------------------------------------

    @staticmethod
    def _stored(uow: UnitOfWork, alert_id: UUID) -> Alert:
        alert = uow.alerts.get(alert_id)
        if alert is None:  # written in this same transaction: only a broken store gets here
            raise NotFound.of("alert", alert_id, "alert_id")
        return alert

    @staticmethod
    def _location(given: LocationInput | None) -> Location | None:
        return None if given is None else make_location(given.text, given.country, "location")

    @staticmethod
    def _route(stops: Sequence[StopInput]) -> tuple[RouteStop, ...]:
        return make_route([(s.place, s.country, s.date) for s in stops], "route")

    @staticmethod
    def _subject(uow: UnitOfWork, caller: Caller, given: SubjectInput | None) -> AlertSubject:
        """Return the subject: the entity signal must be one the caller sees; the description is a
        screening query (names in any script, real dates, ISO 3166 countries)."""
        if given is None:
            return AlertSubject()
        signal_id = None
        if given.signal_id is not None:
            ref = given.signal_id
            signal = _found(lambda u, r: visible_signal(u, caller, r), uow, ref, "subject.signal_id")
            if signal.family is not Family.ENTITY:
                raise InvalidInput.expected(
                    "subject.signal_id", "an entity signal (a person or an organization)", ref
                )
            signal_id = signal.id
        description = None
        if given.is_described:
            description = make_query(
                given.schema,
                given.names,
                given.birth_dates,
                given.nationalities,
                given.documents,
                given.gender,
                field="subject.properties",
            )
        return AlertSubject(signal_id, description)

    def _audience(
        self, uow: UnitOfWork, caller: Caller, marking: Marking, new: NewAlert
    ) -> tuple[frozenset[UUID], frozenset[UUID], frozenset[UUID]]:
        """Return (recipient organizations, named users, groups named), resolved now and for good."""
        orgs = _refs(new.orgs, "recipients.orgs")
        groups = _refs(new.groups, "recipients.groups")
        users = _refs(new.users, "recipients.users")
        if marking is Marking.RED:
            for name, given in (("recipients.orgs", orgs), ("recipients.groups", groups)):
                if given:
                    raise InvalidInput.expected(
                        name,
                        "empty for a RED alert (RED alerts go to named users: recipients.users)",
                        list(given),
                    )
            return self._named_users(uow, caller, users)
        if users:
            raise InvalidInput.expected("recipients.users", "empty unless the marking is RED", list(users))
        own = caller.principal.org_id
        org_ids: set[UUID] = set()
        for index, ref in enumerate(orgs):
            field = f"recipients.orgs[{index}]"
            org = _found(find_org, uow, ref, field)
            if org.id == own:
                raise InvalidInput.expected(field, "another organization (yours sees its own alerts)", ref)
            if not org.is_active:
                raise InvalidInput.expected(field, "an active organization", ref)
            org_ids.add(org.id)
        group_ids: set[UUID] = set()
        for index, ref in enumerate(groups):
            field = f"recipients.groups[{index}]"
            group = _found(find_group, uow, ref, field)
            if own not in group.member_org_ids:
                raise NotFound.of("sharing group", ref, field)
            group_ids.add(group.id)
            for member in group.member_org_ids - {own}:
                found = uow.members.org(member)
                if found is not None and found.is_active:
                    org_ids.add(member)
        _check_count(org_ids, users=None)
        return frozenset(org_ids), frozenset(), frozenset(group_ids)

    @staticmethod
    def _named_users(
        uow: UnitOfWork, caller: Caller, users: Sequence[str]
    ) -> tuple[frozenset[UUID], frozenset[UUID], frozenset[UUID]]:
        own = caller.principal.org_id
        user_ids: set[UUID] = set()
        org_ids: set[UUID] = set()
        for index, ref in enumerate(users):
            field = f"recipients.users[{index}]"
            user = find_user(uow, ref, field)
            if user.org_id == own:
                raise InvalidInput.expected(
                    field, "a user of another organization (yours sees its own alerts)", ref
                )
            if not is_allowed(user.role, Action.READ_ALERTS):
                raise InvalidInput.expected(
                    field, f"a user whose role reads alerts (not '{user.role.value}')", ref
                )
            org = uow.members.org(user.org_id)
            if not user.is_active or org is None or not org.is_active:
                raise InvalidInput.expected(field, "an active user of an active organization", ref)
            user_ids.add(user.id)
            org_ids.add(user.org_id)
        _check_count(org_ids, users=user_ids)
        return frozenset(org_ids), frozenset(user_ids), frozenset()

    def _views(
        self, uow: UnitOfWork, caller: Caller, alerts: Sequence[Alert], now: datetime
    ) -> list[AlertView]:
        """Return what the caller may see of each alert (see the module docstring)."""
        audience = alert_audience_of(caller.principal)
        shown = self._shown_signals(uow, caller, [a.content.subject.signal_id for a in alerts])
        return [_view(audience, _redact(audience, alert, shown), alert, now) for alert in alerts]

    @staticmethod
    def _shown_signals(uow: UnitOfWork, caller: Caller, ids: Iterable[UUID | None]) -> frozenset[UUID]:
        """Return which of these signal ids the caller may see."""
        wanted = sorted({i for i in ids if i is not None}, key=str)
        if not wanted:
            return frozenset()
        found = uow.signals.get_many(wanted)
        return frozenset(i for i, s in found.items() if can_see_signal(caller.principal, s))

    def _record_reads(self, caller: Caller, action: str, alerts: Sequence[Alert]) -> None:
        """Record one event per issuing organization for the AMBER, AMBER+STRICT and RED alerts read."""
        by_issuer: dict[UUID, list[str]] = {}
        for alert in alerts:
            if alert.marking.is_sensitive:
                by_issuer.setdefault(alert.org_id, []).append(str(alert.id))
        if not by_issuer:
            return
        with self.store.transaction() as uow:
            for issuer, ids in sorted(by_issuer.items(), key=lambda item: str(item[0])):
                object_id = ids[0] if len(ids) == 1 else None
                record(uow, caller, self.clock, action, ("alert", object_id, issuer), {"alert_ids": ids})


def _check_subject(kind: AlertKind, subject: AlertSubject) -> None:
    if kind.needs_subject and subject.is_empty:
        raise InvalidInput.expected(
            "subject", f"an entity signal or a described subject for a '{kind.value}' alert", None
        )


def _check_count(org_ids: set[UUID], users: set[UUID] | None) -> None:
    if users is not None and not users:
        raise InvalidInput.expected("recipients.users", "at least one named user for a RED alert", [])
    if not org_ids:
        raise InvalidInput.expected(
            "recipients", "at least one other active organization (by name or through a sharing group)", []
        )
    if len(org_ids) > MAX_RECIPIENT_ORGS:
        raise PayloadTooLarge(
            f"'recipients' must resolve to at most {MAX_RECIPIENT_ORGS} organizations (got {len(org_ids)})",
            field="recipients",
        )
    if users is not None and len(users) > MAX_RECIPIENT_USERS:
        raise PayloadTooLarge(
            f"'recipients.users' must name at most {MAX_RECIPIENT_USERS} users (got {len(users)})",
            field="recipients.users",
        )


def _redact_subject(content: AlertContent, shown_signals: frozenset[UUID]) -> AlertContent:
    signal_id = content.subject.signal_id
    if signal_id is None or signal_id in shown_signals:
        return content
    return replace(content, subject=replace(content.subject, signal_id=None))


def _redact(audience: AlertAudience, alert: Alert, shown_signals: frozenset[UUID]) -> Alert:
    """Return the alert as this audience may see it: recipients see only their own organization."""
    content = _redact_subject(alert.content, shown_signals)
    if sees_every_recipient(audience, alert):
        return replace(alert, content=content)
    own = audience.org_id
    return replace(
        alert,
        content=content,
        recipient_org_ids=frozenset({own}) & alert.recipient_org_ids,
        recipient_user_ids=frozenset({audience.user_id}) & alert.recipient_user_ids
        if audience.user_id is not None
        else frozenset(),
        group_ids=frozenset(),
        acknowledgements=tuple(a for a in alert.acknowledgements if a.org_id == own),
    )


def _view(audience: AlertAudience, shown: Alert, alert: Alert, now: datetime) -> AlertView:
    own = audience.org_id
    is_recipient = own in alert.recipient_org_ids
    recipients = [
        RecipientStatus(
            org_id,
            shown.ack_state(org_id),
            next((a for a in reversed(shown.acknowledgements) if a.org_id == org_id), None),
        )
        for org_id in sorted(shown.recipient_org_ids, key=str)
    ]
    return AlertView(
        alert=shown,
        state=alert.state(now),
        is_issuer=own == alert.org_id,
        my_state=alert.ack_state(own) if is_recipient else None,
        is_pending=alert.is_pending_for(own, now),
        recipients=recipients,
    )
