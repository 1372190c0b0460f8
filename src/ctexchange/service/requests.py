"""Requests for assistance: drafting, sending, answering and closing them; messages and attachments.

Every call passes the gate in the same order: the role (`requests.read` or `requests.write`, else
Forbidden), then whether the caller may see the request (else NotFound, with exactly the message an absent
id gets), then whether the caller's side may do this (else Forbidden: it can see the request), then the
state machine (else InvalidTransition naming the state and the allowed moves). All input is checked
before the transaction opens, so nothing is stored from a refused call.

Decisions:
- **Audit.** Every write records its event in the same transaction; every read (a request, a list, the
  overdue list, messages, attachments) records one right after, because a request carries personal data
  whatever its marking. The event's owning organization is the *other* party once the request is sent,
  and the requesting organization while it is a draft, so each party's auditors see every event on a
  request they are party to (theirs as actor, the other's as owner) and nobody learns of a draft.
  Events name ids, statuses, kinds, sizes and digests, never facts, names, messages or file names.
- **Subjects linked to signals.** The requesting side may link a designated-entity signal it can see.
  The subject's name (the primary name), kind and listing reference are copied into the request then:
  that is what the requested side reads, even when it may not see the signal. Linking discloses the
  subject to the requested organization, so a non-owner may link a signal only when the requested
  organization may see that signal itself (an owner decides for its own signals); this is checked when
  the subject is linked and again when the request is sent. On every read the `signal_id` of a subject
  is shown only to callers who may see that signal; to others the link is hidden (`signal_id` None).
- **Messages** are exchanged by both parties from `sent` until `closed`. **Attachments** may be added by
  the requesting side to a draft, and by both parties from `sent` until `closed`; each is refused when
  empty, over `max_attachment_bytes`, or when it would bring the request over `max_request_bytes`. The
  total is computed under the request's row lock, so two uploads at once cannot both slip under the cap.
- **Deadlines** are a date (the end of that day, UTC) or a time with an offset; they must lie in the
  future and within `MAX_DEADLINE_DAYS` when a draft is written and still be in the future when it is
  sent. An `emergency` needs a justification.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4

import pycountry

from ctexchange.domain.access import Audience, can_see_signal, may_see
from ctexchange.domain.entities import EntityRecord, EntitySchema, check_country, check_partial_date
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Organization
from ctexchange.domain.queries import Page, PageRequest
from ctexchange.domain.requests import (
    MAX_ATTACHMENT_BYTES,
    MAX_REQUEST_ATTACHMENT_BYTES,
    MAX_SUBJECTS,
    AssistanceKind,
    AssistanceRequest,
    Attachment,
    Message,
    Move,
    Outcome,
    RequestDetail,
    RequestMove,
    RequestQuery,
    RequestStatus,
    Side,
    Subject,
    SubjectKind,
    Urgency,
    check_move,
    may_see_request,
    request_audience,
)
from ctexchange.domain.roles import Action
from ctexchange.domain.signals import Family, Signal
from ctexchange.domain.text import clean_text
from ctexchange.domain.webhooks import WebhookEvent
from ctexchange.errors import Forbidden, InvalidInput, InvalidTransition, NotFound, PayloadTooLarge
from ctexchange.service.access import parse_id, require, visible_signal
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.service.pages import decode_cursor
from ctexchange.service.webhooks import Notifier
from ctexchange.store.protocol import Store, UnitOfWork

MAX_DEADLINE_DAYS = 3 * 366
MAX_TITLE_CHARS = 200
MAX_SHORT_CHARS = 2_000
MAX_LONG_CHARS = 20_000
MAX_FILENAME_CHARS = 255
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_DEFAULT_MEDIA_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class SubjectIn:
    """A subject as a caller gives it: linked to a signal (`signal_id`), or described (`name`...)."""

    name: str | None = None
    kind: str = "person"
    signal_id: str | None = None
    reference: str | None = None
    description: str = ""
    birth_date: str | None = None
    nationalities: Sequence[str] = ()


@dataclass(frozen=True)
class RequestDraft:
    """What the requesting side writes in a draft (all of it, when it creates or edits one)."""

    requested_org: str
    title: str
    legal_basis: str
    facts: str
    offence: str
    assistance: Sequence[str]
    subjects: Sequence[SubjectIn] = ()
    assistance_detail: str = ""
    urgency: str = "routine"
    urgency_justification: str = ""
    deadline: datetime | str | None = None
    confidentiality: str = Marking.AMBER_STRICT.value
    language: str = "en"
    reference: str | None = None


@dataclass(frozen=True)
class _Fields:
    """A draft's fields once checked, before the requested organization and subjects are resolved."""

    title: str
    legal_basis: str
    facts: str
    offence: str
    assistance: tuple[AssistanceKind, ...]
    assistance_detail: str
    urgency: Urgency
    urgency_justification: str
    deadline: datetime | None
    confidentiality: Marking
    language: str
    reference: str | None


def parse_deadline(raw: datetime | str | None, field: str = "deadline") -> datetime | None:
    """Return a deadline as an aware UTC datetime; a bare date means the end of that day, UTC.

    Raises InvalidInput naming `field` for text that is no date or time, a date that cannot exist and a
    time without a UTC offset.
    """
    if raw is None:
        return None
    expectation = "a date YYYY-MM-DD or a date and time with a UTC offset (2026-05-01T12:00:00+00:00)"
    moment = raw
    if isinstance(raw, str):
        text = raw.strip()
        try:
            if len(text) == len("YYYY-MM-DD"):
                return datetime.combine(date.fromisoformat(text), time(23, 59, 59), tzinfo=UTC)
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput.expected(field, expectation, raw) from None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput.expected(field, expectation, raw)
    return moment.astimezone(UTC)


def check_language(raw: object, field: str = "language") -> str:
    """Return an ISO 639-1 language code in lowercase; raise InvalidInput naming `field` otherwise."""
    text = raw.strip().lower() if isinstance(raw, str) else raw
    if not isinstance(text, str) or len(text) != 2 or pycountry.languages.get(alpha_2=text) is None:
        raise InvalidInput.expected(field, "an ISO 639-1 language code such as en, fr, ar, ru, zh", raw)
    return text


def clean_filename(raw: object, field: str = "filename") -> str:
    """Return a file name: one line, no path separators, no hidden characters, at most 255 characters."""
    text = clean_text(raw, field, max_chars=MAX_FILENAME_CHARS)
    if "/" in text or "\\" in text or "\n" in text or text in (".", ".."):
        raise InvalidInput.expected(field, "a file name without '/', '\\' or line breaks", raw)
    return text


def clean_media_type(raw: object, field: str = "media_type") -> str:
    """Return a media type `type/subtype` in lowercase (parameters dropped); the default when empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return _DEFAULT_MEDIA_TYPE
    if not isinstance(raw, str):
        raise InvalidInput.expected(field, "a media type such as application/pdf", raw)
    text = raw.split(";", 1)[0].strip().lower()
    if not _MEDIA_TYPE.match(text):
        raise InvalidInput.expected(field, "a media type such as application/pdf", raw)
    return text


def _text(
    raw: object, field: str, max_chars: int, *, multiline: bool = True, allow_empty: bool = False
) -> str:
    """Return checked text; Windows line ends become plain ones in multi-line fields."""
    if multiline and isinstance(raw, str):
        raw = raw.replace("\r\n", "\n")
    return clean_text(raw, field, max_chars=max_chars, multiline=multiline, allow_empty=allow_empty)


def _optional(raw: str | None, field: str, max_chars: int) -> str | None:
    return None if raw is None or not raw.strip() else _text(raw, field, max_chars, multiline=False)


def _assistance(raw: Sequence[str]) -> tuple[AssistanceKind, ...]:
    if isinstance(raw, str) or not raw:
        choices = ", ".join(k.value for k in AssistanceKind)
        raise InvalidInput.expected("assistance", f"a non-empty list of: {choices}", raw)
    parsed = {AssistanceKind.parse(item, f"assistance[{i}]") for i, item in enumerate(raw)}
    return tuple(kind for kind in AssistanceKind if kind in parsed)


def check_fields(draft: RequestDraft, now: datetime) -> _Fields:
    """Return the checked fields of a draft (not its organization or subjects); raise InvalidInput."""
    assistance = _assistance(draft.assistance)
    detail = _text(draft.assistance_detail, "assistance_detail", MAX_SHORT_CHARS, allow_empty=True)
    if AssistanceKind.OTHER in assistance and not detail:
        raise InvalidInput.expected("assistance_detail", "a description of the 'other' assistance", "")
    urgency = Urgency.parse(draft.urgency, "urgency")
    why = _text(draft.urgency_justification, "urgency_justification", MAX_SHORT_CHARS, allow_empty=True)
    if urgency is Urgency.EMERGENCY and not why:
        raise InvalidInput.expected("urgency_justification", "a justification of the emergency", "")
    deadline = parse_deadline(draft.deadline)
    if deadline is not None and not now < deadline <= now + timedelta(days=MAX_DEADLINE_DAYS):
        raise InvalidInput.expected(
            "deadline", f"in the future and within {MAX_DEADLINE_DAYS} days", deadline.isoformat()
        )
    return _Fields(
        title=_text(draft.title, "title", MAX_TITLE_CHARS, multiline=False),
        legal_basis=_text(draft.legal_basis, "legal_basis", MAX_SHORT_CHARS),
        facts=_text(draft.facts, "facts", MAX_LONG_CHARS),
        offence=_text(draft.offence, "offence", MAX_SHORT_CHARS),
        assistance=assistance,
        assistance_detail=detail,
        urgency=urgency,
        urgency_justification=why,
        deadline=deadline,
        confidentiality=Marking.parse(draft.confidentiality, "confidentiality"),
        language=check_language(draft.language),
        reference=_optional(draft.reference, "reference", MAX_TITLE_CHARS),
    )


def _described(item: SubjectIn, field: str, today: date) -> Subject:
    """Return a subject described in words; raise InvalidInput naming `field.<part>`."""
    birth = None if item.birth_date is None else check_partial_date(item.birth_date, f"{field}.birth_date")
    if birth is not None and birth > today.isoformat()[: len(birth)]:
        raise InvalidInput.expected(f"{field}.birth_date", "a date that is not in the future", birth)
    if isinstance(item.nationalities, str):
        raise InvalidInput.expected(
            f"{field}.nationalities", "a list of ISO 3166-1 codes", item.nationalities
        )
    codes = (check_country(c, f"{field}.nationalities[{i}]") for i, c in enumerate(item.nationalities))
    return Subject(
        kind=SubjectKind.parse(item.kind, f"{field}.kind"),
        name=_text(item.name, f"{field}.name", MAX_TITLE_CHARS, multiline=False),
        reference=_optional(item.reference, f"{field}.reference", MAX_TITLE_CHARS),
        description=_text(item.description, f"{field}.description", MAX_SHORT_CHARS, allow_empty=True),
        birth_date=birth,
        nationalities=tuple(dict.fromkeys(codes)),
    )


def check_subjects(items: Sequence[SubjectIn], today: date) -> list[tuple[str | None, Subject]]:
    """Check every subject's own fields. A linked subject comes with its signal reference; its name,
    kind and listing reference are filled in from the signal when it is resolved."""
    if len(items) > MAX_SUBJECTS:
        raise InvalidInput.expected("subjects", f"a list of at most {MAX_SUBJECTS} subjects", items)
    checked: list[tuple[str | None, Subject]] = []
    for i, item in enumerate(items):
        field = f"subjects[{i}]"
        if item.signal_id is None:
            checked.append((None, _described(item, field, today)))
            continue
        if not isinstance(item.signal_id, str):
            raise InvalidInput.expected(f"{field}.signal_id", "a signal id", item.signal_id)
        for part in ("name", "reference"):
            given = getattr(item, part)
            if given is not None:
                expectation = "left out when signal_id is given (it comes from the signal)"
                raise InvalidInput.expected(f"{field}.{part}", expectation, given)
        checked.append((item.signal_id, _described(replace(item, name="-"), field, today)))
    return checked


class RequestService:
    """Draft, send, answer and close requests for assistance; exchange messages and attachments."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        page_default: int,
        page_max: int,
        *,
        max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
        max_request_bytes: int = MAX_REQUEST_ATTACHMENT_BYTES,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.page_default = page_default
        self.page_max = page_max
        self.max_attachment_bytes = max_attachment_bytes
        self.max_request_bytes = max_request_bytes
        self.notifier = notifier

    # Drafts ---------------------------------------------------------------------------------------------

    def create(self, caller: Caller, draft: RequestDraft) -> AssistanceRequest:
        """Create a draft from the caller's organization to `draft.requested_org`."""
        require(caller, Action.WRITE_REQUESTS)
        now = self.clock()
        fields = check_fields(draft, now)
        subjects = check_subjects(draft.subjects, now.date())
        with self.store.transaction() as uow:
            requested = self._requested_org(uow, caller, draft.requested_org)
            request = AssistanceRequest(
                id=uuid4(),
                requesting_org_id=caller.principal.org_id,
                requested_org_id=requested.id,
                subjects=self._resolve(uow, caller, requested.id, subjects),
                status=RequestStatus.DRAFT,
                created_by=caller.principal.actor,
                created_at=now,
                updated_at=now,
                **fields.__dict__,
            )
            uow.requests.add(request)
            record(uow, caller, self.clock, "request.create", _obj(request, caller), _summary(request))
        return request

    def update(self, caller: Caller, request_id: UUID | str, draft: RequestDraft) -> AssistanceRequest:
        """Replace every field of a draft of the caller's organization."""
        require(caller, Action.WRITE_REQUESTS)
        now = self.clock()
        fields = check_fields(draft, now)
        subjects = check_subjects(draft.subjects, now.date())
        with self.store.transaction() as uow:
            current, side = self._party(uow, caller, request_id)
            if side is not Side.REQUESTING:
                raise Forbidden("only the requesting organization may edit a request", field="request_id")
            if current.status is not RequestStatus.DRAFT:
                raise InvalidTransition(
                    f"only a draft can be edited (this request is '{current.status.value}')", field="status"
                )
            requested = self._requested_org(uow, caller, draft.requested_org)
            request = replace(
                current,
                requested_org_id=requested.id,
                subjects=self._resolve(uow, caller, requested.id, subjects),
                updated_at=now,
                **fields.__dict__,
            )
            uow.requests.replace(request)
            record(uow, caller, self.clock, "request.update", _obj(request, caller), _summary(request))
        return request

    @staticmethod
    def _requested_org(uow: UnitOfWork, caller: Caller, ref: str) -> Organization:
        if not isinstance(ref, str) or not ref.strip():
            raise InvalidInput.expected("requested_org", "an organization id or name", ref)
        try:
            found = uow.members.org(UUID(ref))
        except ValueError:
            found = uow.members.org_by_name(ref.strip())
        if found is None:
            raise NotFound.of("organization", ref, "requested_org")
        if found.id == caller.principal.org_id:
            raise InvalidInput.expected("requested_org", "another organization than yours", ref)
        if not found.is_active:
            raise InvalidInput.expected(
                "requested_org", "an active organization", f"{found.name} (deactivated)"
            )
        return found

    def _resolve(
        self,
        uow: UnitOfWork,
        caller: Caller,
        requested_org_id: UUID,
        checked: Sequence[tuple[str | None, Subject]],
    ) -> tuple[Subject, ...]:
        """Return the subjects, completing linked ones from their signals (checked for disclosure)."""
        subjects = []
        for i, (signal_ref, subject) in enumerate(checked):
            if signal_ref is not None:
                signal = self._linkable(uow, caller, requested_org_id, signal_ref, f"subjects[{i}].signal_id")
                entity = EntityRecord.from_json(signal.value)
                is_person = entity.schema is EntitySchema.PERSON
                subject = replace(
                    subject,
                    kind=SubjectKind.PERSON if is_person else SubjectKind.ORGANIZATION,
                    name=entity.primary_name,
                    reference=entity.listing.reference,
                    signal_id=signal.id,
                )
            subjects.append(subject)
        return tuple(subjects)

    @staticmethod
    def _linkable(uow: UnitOfWork, caller: Caller, requested_org_id: UUID, ref: str, field: str) -> Signal:
        """Return a signal the caller may disclose to the requested organization in a request."""
        try:
            signal = visible_signal(uow, caller, ref)
        except NotFound:
            raise NotFound.of("signal", ref, field) from None
        if signal.family is not Family.ENTITY:
            raise InvalidInput.expected(field, "a designated-entity (person or organization) signal", ref)
        if signal.org_id == caller.principal.org_id:
            return signal
        peer = Audience(requested_org_id, None, uow.groups.groups_of(requested_org_id))
        if not may_see(
            peer,
            marking=signal.marking,
            owner_org_id=signal.org_id,
            sharing_group_id=signal.sharing_group_id,
            recipient_ids=signal.recipient_ids,
        ):
            raise Forbidden(
                f"signal {signal.id} is {signal.marking.value} and the requested organization may not see it:"
                " only its owner may disclose it in a request",
                field=field,
            )
        return signal

    # Moves ----------------------------------------------------------------------------------------------

    def send(self, caller: Caller, request_id: UUID | str, note: str = "") -> AssistanceRequest:
        """Send a draft to the requested organization, which sees it from now on."""
        return self._move(caller, request_id, Move.SEND, note)

    def acknowledge(self, caller: Caller, request_id: UUID | str, note: str = "") -> AssistanceRequest:
        """Acknowledge receipt of a sent request (requested side)."""
        return self._move(caller, request_id, Move.ACKNOWLEDGE, note)

    def start(self, caller: Caller, request_id: UUID | str, note: str = "") -> AssistanceRequest:
        """Mark an acknowledged request as being worked on (requested side)."""
        return self._move(caller, request_id, Move.START, note)

    def answer(
        self, caller: Caller, request_id: UUID | str, outcome: str, note: str = ""
    ) -> AssistanceRequest:
        """Answer a request in progress, fully or partly; a partial answer must say what is missing."""
        require(caller, Action.WRITE_REQUESTS)
        parsed = Outcome.parse(outcome, "outcome")
        if parsed is Outcome.PARTIAL and not (isinstance(note, str) and note.strip()):
            raise InvalidInput.expected("note", "what the partial answer leaves out", note)
        return self._move(caller, request_id, Move.ANSWER, note, outcome=parsed)

    def decline(self, caller: Caller, request_id: UUID | str, reason: str) -> AssistanceRequest:
        """Decline a request, with the reason (requested side)."""
        return self._move(caller, request_id, Move.DECLINE, reason, reason=True)

    def withdraw(self, caller: Caller, request_id: UUID | str, reason: str) -> AssistanceRequest:
        """Withdraw a request that is not finished yet, with the reason (requesting side)."""
        return self._move(caller, request_id, Move.WITHDRAW, reason, reason=True)

    def close(self, caller: Caller, request_id: UUID | str, note: str = "") -> AssistanceRequest:
        """Close an answered, declined or withdrawn request (requesting side); closed is final."""
        return self._move(caller, request_id, Move.CLOSE, note)

    def move(
        self, caller: Caller, request_id: UUID | str, move: str, note: str = "", outcome: str | None = None
    ) -> AssistanceRequest:
        """Make the move named by `move` (`send`, ..., `close`); `note` is the reason of a decline or
        withdrawal, `outcome` the outcome of an answer."""
        parsed = Move.parse(move, "move")
        if parsed is Move.ANSWER:
            return self.answer(caller, request_id, outcome or "", note)
        if outcome is not None:
            raise InvalidInput.expected("outcome", "given only with the move 'answer'", outcome)
        if parsed in (Move.DECLINE, Move.WITHDRAW):
            return self._move(caller, request_id, parsed, note, reason=True)
        return self._move(caller, request_id, parsed, note)

    def _move(
        self,
        caller: Caller,
        request_id: UUID | str,
        move: Move,
        note: str,
        *,
        outcome: Outcome | None = None,
        reason: bool = False,
    ) -> AssistanceRequest:
        require(caller, Action.WRITE_REQUESTS)
        field = "reason" if reason else "note"
        text = _text(note, field, MAX_SHORT_CHARS, allow_empty=not reason)
        with self.store.transaction() as uow:
            request, side = self._party(uow, caller, request_id)
            target = check_move(move, request.status, side)
            if move is Move.SEND:
                self._check_sendable(uow, caller, request)
            entry = RequestMove(
                request.id,
                0,
                move,
                request.status,
                target,
                caller.principal.org_id,
                caller.principal.actor,
                text,
                self.clock(),
            )
            stored = uow.requests.move(entry, outcome, text if reason else None)
            moved = uow.requests.get(request.id)
            if moved is None:  # cannot happen: this transaction holds the row's lock
                raise NotFound.of("request", request.id, "request_id")
            details: dict[str, object] = {"from": request.status.value, "to": target.value, "seq": stored.seq}
            if outcome is not None:
                details["outcome"] = outcome.value
            if reason:
                details["reason"] = text
            record(uow, caller, self.clock, f"request.{move.value}", _obj(moved, caller), details)
            if self.notifier is not None and moved.sent_at is not None:
                event = WebhookEvent.REQUEST_RECEIVED if move is Move.SEND else WebhookEvent.REQUEST_MOVED
                told = {"request_id": str(moved.id), "move": move.value, "from": request.status.value}
                other = moved.counterpart_of(caller.principal.org_id)
                self.notifier.emit(uow, other, event, {**told, "to": target.value})
        return moved

    def _check_sendable(self, uow: UnitOfWork, caller: Caller, request: AssistanceRequest) -> None:
        """Refuse to send a draft whose deadline passed, to a deactivated organization, or whose linked
        subjects may no longer be disclosed to the requested organization."""
        if request.deadline is not None and request.deadline <= self.clock():
            raise InvalidInput.expected(
                "deadline",
                "in the future when the request is sent (edit the draft)",
                request.deadline.isoformat(),
            )
        requested = uow.members.org(request.requested_org_id)
        if requested is None or not requested.is_active:
            name = "?" if requested is None else requested.name
            raise InvalidInput.expected("requested_org", "an active organization", f"{name} (deactivated)")
        for i, subject in enumerate(request.subjects):
            if subject.signal_id is not None:
                field = f"subjects[{i}].signal_id"
                self._linkable(uow, caller, request.requested_org_id, str(subject.signal_id), field)

    # Messages and attachments ---------------------------------------------------------------------------

    def post_message(self, caller: Caller, request_id: UUID | str, body: str) -> Message:
        """Write a message to the other party of a sent request that is not closed."""
        require(caller, Action.WRITE_REQUESTS)
        text = _text(body, "body", MAX_LONG_CHARS)
        with self.store.transaction() as uow:
            request, _ = self._party(uow, caller, request_id)
            _check_open(request, "take messages", allow_draft=False)
            message = Message(
                uuid4(), request.id, caller.principal.org_id, caller.principal.actor, text, self.clock()
            )
            uow.requests.add_message(message)
            record(
                uow,
                caller,
                self.clock,
                "request.message",
                _obj(request, caller),
                {"message_id": str(message.id), "chars": len(text)},
            )
        return message

    def attach(
        self,
        caller: Caller,
        request_id: UUID | str,
        filename: str,
        data: bytes,
        media_type: str | None = None,
    ) -> Attachment:
        """Add a file to a request (a draft of the caller's organization, or a sent one not closed)."""
        require(caller, Action.WRITE_REQUESTS)
        name = clean_filename(filename)
        media = clean_media_type(media_type)
        if not isinstance(data, bytes):
            raise InvalidInput.expected("file", "the bytes of a file", data)
        if not data:
            raise InvalidInput("'file' must not be empty (got 0 bytes)", field="file")
        if len(data) > self.max_attachment_bytes:
            raise PayloadTooLarge(
                f"'file' must be at most {self.max_attachment_bytes:,} bytes (got {len(data):,})",
                field="file",
            )
        with self.store.transaction() as uow:
            request, _ = self._party(uow, caller, request_id)
            _check_open(request, "take attachments", allow_draft=True)
            used = sum(a.size_bytes for a in uow.requests.attachments(request.id))
            if used + len(data) > self.max_request_bytes:
                raise PayloadTooLarge(
                    f"'file' must fit the request's attachment cap of {self.max_request_bytes:,} bytes"
                    f" ({used:,} used; got {len(data):,} more)",
                    field="file",
                )
            attachment = Attachment(
                uuid4(),
                request.id,
                caller.principal.org_id,
                caller.principal.actor,
                name,
                media,
                len(data),
                hashlib.sha256(data).hexdigest(),
                self.clock(),
            )
            uow.requests.add_attachment(attachment, data)
            details = {
                "attachment_id": str(attachment.id),
                "sha256": attachment.sha256,
                "size_bytes": attachment.size_bytes,
                "media_type": media,
            }
            record(uow, caller, self.clock, "request.attach", _obj(request, caller), details)
        return attachment

    # Reads ----------------------------------------------------------------------------------------------

    def get(self, caller: Caller, request_id: UUID | str) -> RequestDetail:
        """Return a request the caller may see, with its history and attachments; NotFound otherwise."""
        require(caller, Action.READ_REQUESTS)
        with self.store.snapshot() as uow:
            request = self._visible(uow, caller, request_id)
            detail = RequestDetail(
                _masked(uow, caller, [request])[0],
                tuple(uow.requests.history(request.id)),
                tuple(uow.requests.attachments(request.id)),
                uow.requests.message_count(request.id),
            )
        self._record_reads(caller, "request.read", [request])
        return detail

    def page_request(self, limit: int | None, cursor: str | None) -> PageRequest:
        """Return a page request, refusing limits outside 1..page_size_max."""
        size = self.page_default if limit is None else limit
        if not 1 <= size <= self.page_max:
            raise InvalidInput.expected("limit", f"an integer from 1 to {self.page_max}", limit)
        return PageRequest(size, decode_cursor(cursor))

    def find(self, caller: Caller, query: RequestQuery, page: PageRequest) -> Page[AssistanceRequest]:
        """Return one page of the requests matching `query` that the caller may see, oldest first."""
        require(caller, Action.READ_REQUESTS)
        with self.store.snapshot() as uow:
            found = uow.requests.find(query, request_audience(caller.principal), page)
            items = _masked(uow, caller, found.items)
        self._record_reads(caller, "request.list", items)
        return Page(items, found.next_after)

    def overdue(self, caller: Caller, limit: int | None = None) -> list[AssistanceRequest]:
        """Return the visible requests past their deadline and still waiting, the longest overdue first."""
        require(caller, Action.READ_REQUESTS)
        size = self.page_max if limit is None else limit
        if not 1 <= size <= self.page_max:
            raise InvalidInput.expected("limit", f"an integer from 1 to {self.page_max}", limit)
        with self.store.snapshot() as uow:
            found = _masked(
                uow, caller, uow.requests.overdue(request_audience(caller.principal), self.clock(), size)
            )
        self._record_reads(caller, "request.overdue", found)
        return found

    def messages(self, caller: Caller, request_id: UUID | str) -> list[Message]:
        """Return the messages of a request the caller may see, oldest first."""
        require(caller, Action.READ_REQUESTS)
        with self.store.snapshot() as uow:
            request = self._visible(uow, caller, request_id)
            messages = uow.requests.messages(request.id)
        self._record_reads(caller, "request.messages.read", [request])
        return messages

    def attachments(self, caller: Caller, request_id: UUID | str) -> list[Attachment]:
        """Return the attachments (without their bytes) of a request the caller may see."""
        require(caller, Action.READ_REQUESTS)
        with self.store.snapshot() as uow:
            request = self._visible(uow, caller, request_id)
            found = uow.requests.attachments(request.id)
        self._record_reads(caller, "request.attachments.read", [request])
        return found

    def attachment(
        self, caller: Caller, request_id: UUID | str, attachment_id: UUID | str
    ) -> tuple[Attachment, bytes]:
        """Return one attachment of a request the caller may see, and its bytes."""
        require(caller, Action.READ_REQUESTS)
        with self.store.snapshot() as uow:
            request = self._visible(uow, caller, request_id)
            ident = (
                attachment_id
                if isinstance(attachment_id, UUID)
                else parse_id(attachment_id, "attachment", "attachment_id")
            )
            found = uow.requests.attachment(request.id, ident)
        if found is None:
            raise NotFound.of("attachment", ident, "attachment_id")
        with self.store.transaction() as uow:
            details = {"attachment_id": str(ident), "sha256": found[0].sha256}
            record(uow, caller, self.clock, "request.attachment.read", _obj(request, caller), details)
        return found

    # Gate -----------------------------------------------------------------------------------------------

    @staticmethod
    def _visible(uow: UnitOfWork, caller: Caller, request_id: UUID | str) -> AssistanceRequest:
        """Return the request if the caller may see it; otherwise NotFound, as if it did not exist."""
        ident = request_id if isinstance(request_id, UUID) else parse_id(request_id, "request", "request_id")
        request = uow.requests.get(ident)
        if request is None or not may_see_request(request_audience(caller.principal), request):
            raise NotFound.of("request", ident, "request_id")
        return request

    @staticmethod
    def _party(uow: UnitOfWork, caller: Caller, request_id: UUID | str) -> tuple[AssistanceRequest, Side]:
        """Lock a visible request for a write and return it with the caller's side; Forbidden for a
        visible request the caller's organization is not party to (oversight)."""
        ident = request_id if isinstance(request_id, UUID) else parse_id(request_id, "request", "request_id")
        request = uow.requests.lock(ident)
        if request is None or not may_see_request(request_audience(caller.principal), request):
            raise NotFound.of("request", ident, "request_id")
        side = request.side_of(caller.principal.org_id)
        if side is None:
            raise Forbidden("only the two organizations of a request may change it", field="request_id")
        return request, side

    def _record_reads(self, caller: Caller, action: str, requests: Iterable[AssistanceRequest]) -> None:
        """Record one event per owning organization for the requests just read."""
        by_owner: dict[UUID, list[str]] = {}
        for request in requests:
            owner = _obj(request, caller)[2]
            by_owner.setdefault(owner, []).append(str(request.id))
        if not by_owner:
            return
        with self.store.transaction() as uow:
            for owner, ids in sorted(by_owner.items()):
                object_id = ids[0] if len(ids) == 1 else None
                record(uow, caller, self.clock, action, ("request", object_id, owner), {"request_ids": ids})


def _obj(request: AssistanceRequest, caller: Caller) -> tuple[str, UUID, UUID]:
    """The audit object of a request: its owner is the other party once sent, the requester before."""
    if request.sent_at is None or request.side_of(caller.principal.org_id) is None:
        return ("request", request.id, request.requesting_org_id)
    return ("request", request.id, request.counterpart_of(caller.principal.org_id))


def _summary(request: AssistanceRequest) -> dict[str, object]:
    """The audit details of a draft: ids, kinds and counts, never facts or names."""
    return {
        "requested_org_id": str(request.requested_org_id),
        "urgency": request.urgency.value,
        "assistance": [kind.value for kind in request.assistance],
        "confidentiality": request.confidentiality.value,
        "subjects": len(request.subjects),
        "linked_signal_ids": [str(s.signal_id) for s in request.subjects if s.signal_id is not None],
    }


def _check_open(request: AssistanceRequest, what: str, *, allow_draft: bool) -> None:
    """Raise InvalidTransition when a request in its status cannot `what` (take messages...)."""
    if request.status is RequestStatus.CLOSED or (request.status is RequestStatus.DRAFT and not allow_draft):
        when = "from 'sent' until 'closed'" if not allow_draft else "until it is 'closed'"
        raise InvalidTransition(
            f"a request can {what} {when} (this request is '{request.status.value}')", field="status"
        )


def _masked(
    uow: UnitOfWork, caller: Caller, requests: Sequence[AssistanceRequest]
) -> list[AssistanceRequest]:
    """Return the requests with each subject's `signal_id` hidden unless the caller may see that signal."""
    linked = [s.signal_id for r in requests for s in r.subjects if s.signal_id is not None]
    if not linked:
        return list(requests)
    signals = uow.signals.get_many(linked)
    visible = {sid for sid, signal in signals.items() if can_see_signal(caller.principal, signal)}

    def mask(subject: Subject) -> Subject:
        hidden = subject.signal_id is not None and subject.signal_id not in visible
        return replace(subject, signal_id=None) if hidden else subject

    return [replace(r, subjects=tuple(mask(s) for s in r.subjects)) for r in requests]
