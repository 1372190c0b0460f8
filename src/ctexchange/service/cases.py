"""Review cases: opened from a platform's matches, decided by people, kept as evidence, then purged.

`CaseService` is the content service's `MatchObserver`: for every lookup with hits it is told the hits the
caller may see, inside the transaction that writes the lookup's sightings (so a case exists exactly when
its sightings do), and hands back the id of the case each filed hit opened or joined. For a caller whose
role is `service` (an upload pipeline), each item with hits in banks that require review opens a case of
the caller's organization, holding the hits and the item's fingerprints.

Every call passes the gate in the same order: the role (`cases.read`, `cases.decide` or `cases.file`,
else Forbidden), then whether the caller may see the case (else NotFound, with exactly the message an
absent id gets), then the state machine (else InvalidTransition naming the state and the allowed moves).
Input is checked before the transaction opens, so nothing is stored from a refused call.

Decisions:
- **One case per item.** Hits on an item (the lookup's `id`) that already has an undecided case of the
  organization join that case (a hit already there is not added twice); once the case is decided, a new
  lookup of the item opens a new case. A lookup without an id always opens a case of its own.
- **Flood control.** Before filing, the service counts the organization's sightings of each hit signal
  in the last hour (the sightings of this very lookup included). Above `flood_hits_per_hour`, the hit goes
  to the organization's one undecided *quarantined* case of that signal, which collects every further
  item, instead of opening one case per item. Counting only the organization's own sightings keeps other
  members' traffic out of it, and it is that organization's review queue that floods.
- **Who decides what.** Reviewers, analysts and admins of the matching organization decide
  (`cases.decide`: confirm, reject, escalate, uphold, reinstate). Service keys and those same roles file
  (`cases.file`): record a removal order, attach evidence and file the content provider's complaint.
  Auditors read only. The operator's auditors see every case; nobody else sees another organization's.
- **Rejecting is a false-positive opinion.** After the rejection commits, the service gives a
  `false_positive` opinion (through `SignalService.give_opinion`, audited there) on each signal of the
  case the decider may still see, so that the signal stops matching for the organization. A signal the
  decider can no longer see is skipped: the decision stands without it.
- **Removal orders.** The receipt time is recorded on an undecided case (`record_removal_order`) or with
  the confirmation; it may not lie in the future nor more than `MAX_ORDER_AGE_DAYS` back. The removal
  time is the time of the `confirm` with action `remove`.
- **Evidence** is the removed item's bytes (at most `max_evidence_bytes`) with an optional reference to
  where the platform keeps the original; it may be attached to a case whose item was removed and not
  reinstated, and is kept until six calendar months after the removal. `purge_evidence` (the scheduled
  job, `ctx case purge-evidence`) drops the bytes of every piece past that date whose case has no pending
  complaint, records one `case.evidence.purge` event per piece (digest, size, dates) in the same
  transaction, and keeps the row as the record of what was destroyed. Only the coalition's operator
  (admins of the operator organization) runs it.
- **Audit.** Every write records its event in the same transaction (`case.open`, `case.hits`,
  `case.<move>`, `case.removal_order`, `case.evidence.add`, `case.evidence.purge`); every read records
  one right after (`case.read`, `case.list`, `case.evidence.read`). Events name ids, statuses, actions,
  digests and the reason's length, never the reason's text (it is in the case's history).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from ctexchange.domain.access import can_see_signal
from ctexchange.domain.cases import (
    COMPLAINT_DAYS,
    MAX_EVIDENCE_BYTES,
    MAX_ITEM_ID_CHARS,
    MAX_REASON_CHARS,
    MAX_REFERENCE_CHARS,
    MOVE_TARGETS,
    UNDECIDED,
    Case,
    CaseAction,
    CaseDecision,
    CaseDetail,
    CaseHit,
    CaseMove,
    CaseQuery,
    CaseStatus,
    Evidence,
    case_audience,
    check_status_move,
    may_see_case,
)
from ctexchange.domain.moments import MOMENT, parse_moment
from ctexchange.domain.queries import Page, PageRequest
from ctexchange.domain.roles import Action, Role
from ctexchange.domain.signals import JsonValue
from ctexchange.domain.text import clean_text
from ctexchange.domain.webhooks import WebhookEvent
from ctexchange.errors import InvalidInput, InvalidTransition, NotFound, PayloadTooLarge
from ctexchange.service.access import parse_id, require, require_coalition_admin
from ctexchange.service.audit import record
from ctexchange.service.content import ContentHit, MatchOutcome
from ctexchange.service.context import Caller, Clock
from ctexchange.service.pages import decode_cursor
from ctexchange.service.requests import clean_media_type
from ctexchange.service.signals import SignalService
from ctexchange.service.webhooks import Notifier
from ctexchange.store.protocol import Store, UnitOfWork

MAX_ORDER_AGE_DAYS = 366
PURGE_BATCH = 1000
FLOOD_WINDOW = timedelta(hours=1)


def _reason(raw: object) -> str:
    return clean_text(raw, "reason", max_chars=MAX_REASON_CHARS, multiline=True)


def _item_id(raw: str | None) -> str | None:
    """Return a lookup's id as a case keeps it; an id that is blank or not clean text counts as none."""
    if raw is None:
        return None
    try:
        return clean_text(raw, "id", max_chars=MAX_ITEM_ID_CHARS)
    except InvalidInput:
        return None


def _obj(case: Case) -> tuple[str, UUID, UUID]:
    return ("case", case.id, case.org_id)


class CaseService:
    """Open review cases from matches; decide them; keep, serve and purge evidence."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        signals: SignalService,
        page_default: int,
        page_max: int,
        flood_hits_per_hour: int,
        *,
        max_evidence_bytes: int = MAX_EVIDENCE_BYTES,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.signals = signals
        self.page_default = page_default
        self.page_max = page_max
        self.flood_hits_per_hour = flood_hits_per_hour
        self.max_evidence_bytes = max_evidence_bytes
        self.notifier = notifier

    # Opening (the content service's observer) -----------------------------------------------------------

    def matched(
        self, uow: UnitOfWork, caller: Caller, outcomes: Sequence[MatchOutcome]
    ) -> list[MatchOutcome]:
        """File the review-required hits of a service key's lookups into cases (see the module doc).

        Runs inside the transaction that writes the lookups' sightings; returns the outcomes with each
        filed hit's `case_id` (the caller's own organization's case, which it may see).
        """
        if caller.principal.role is not Role.SERVICE:
            return list(outcomes)
        if not any(h.collection.requires_review for o in outcomes for h in o.hits):
            return list(outcomes)
        org_id = caller.principal.org_id
        now = self.clock()
        signal_ids = {h.signal.id for o in outcomes for h in o.hits if h.collection.requires_review}
        flooded = {
            sid
            for sid in signal_ids
            if uow.sightings.count_for(org_id, sid, now - FLOOD_WINDOW) > self.flood_hits_per_hour
        }
        audience = case_audience(caller.principal)
        filed = []
        for outcome in outcomes:
            item_id = _item_id(outcome.id)
            hits = [h for h in outcome.hits if h.collection.requires_review]
            regular = [h for h in hits if h.signal.id not in flooded]
            cases: dict[UUID, Case] = {}
            if regular:
                case = self._file(uow, caller, now, item_id, outcome.hashes, regular, None)
                cases.update((h.signal.id, case) for h in regular)
            for hit in hits:
                if hit.signal.id in flooded:
                    cases[hit.signal.id] = self._file(
                        uow, caller, now, item_id, outcome.hashes, [hit], hit.signal.id
                    )
            shown = [
                replace(h, case_id=c.id)
                if (c := cases.get(h.signal.id)) is not None and may_see_case(audience, c)
                else h
                for h in outcome.hits
            ]
            filed.append(replace(outcome, hits=shown))
        return filed

    def _file(
        self,
        uow: UnitOfWork,
        caller: Caller,
        now: datetime,
        item_id: str | None,
        hashes: dict[str, JsonValue],
        hits: list[ContentHit],
        quarantine: UUID | None,
    ) -> Case:
        """Add hits to the undecided case they belong to, opening it when there is none; return the case."""
        org_id = caller.principal.org_id
        case: Case | None = None
        if quarantine is not None:
            case = uow.cases.undecided_quarantine(org_id, quarantine)
        elif item_id is not None:
            case = uow.cases.undecided_for_item(org_id, item_id)
        is_new = case is None
        if case is None:
            case = Case(
                id=uuid4(),
                org_id=org_id,
                item_id=None if quarantine is not None else item_id,
                status=CaseStatus.OPEN,
                opened_by=caller.principal.actor,
                opened_at=now,
                updated_at=now,
                is_quarantined=quarantine is not None,
                quarantine_signal_id=quarantine,
            )
            uow.cases.add(case)
        held = (
            set()
            if is_new or item_id is None
            else {(h.item_id, h.signal_id) for h in uow.cases.hits(case.id)}
        )
        new = [
            CaseHit(
                case.id,
                0,
                item_id,
                h.signal.id,
                h.collection.id,
                h.signal.kind,
                h.match_type,
                h.distance,
                dict(h.measure),
                dict(hashes),
                now,
            )
            for h in hits
            if (item_id, h.signal.id) not in held
        ]
        if not new:
            return case
        uow.cases.add_hits(new)
        details = {
            "item_id": item_id,
            "signal_ids": sorted({str(h.signal_id) for h in new}),
            "is_quarantined": case.is_quarantined,
        }
        record(uow, caller, self.clock, "case.open" if is_new else "case.hits", _obj(case), details)
        if is_new and self.notifier is not None:
            self.notifier.emit(uow, org_id, WebhookEvent.CASE_OPENED, {"case_id": str(case.id)})
        return case

    # Decisions ------------------------------------------------------------------------------------------

    def confirm(
        self,
        caller: Caller,
        case_id: UUID | str,
        action: str,
        reason: str,
        removal_order_received_at: datetime | str | None = None,
    ) -> Case:
        """Confirm the match, with the action taken (`remove`, `restrict`, `report`) and the reason.

        A removal may carry the receipt time of the removal order that asked for it.
        """
        parsed = CaseAction.parse(action, "action")
        order = self._order_time(removal_order_received_at, "removal_order_received_at")
        if order is not None and parsed is not CaseAction.REMOVE:
            raise InvalidInput.expected(
                "removal_order_received_at", "given only with the action 'remove'", parsed.value
            )
        return self._decide(caller, case_id, CaseMove.CONFIRM, reason, action=parsed, order=order)

    def reject(self, caller: Caller, case_id: UUID | str, reason: str) -> Case:
        """Reject the match as a false positive; the case's signals stop matching for the organization."""
        case = self._decide(caller, case_id, CaseMove.REJECT, reason)
        with self.store.snapshot() as uow:
            signal_ids = sorted({h.signal_id for h in uow.cases.hits(case.id) if h.signal_id is not None})
        for signal_id in signal_ids:
            try:
                self.signals.give_opinion(caller, signal_id, "false_positive", f"review case {case.id}")
            except NotFound:
                continue
        return case

    def escalate(self, caller: Caller, case_id: UUID | str, reason: str) -> Case:
        """Escalate an open case to a senior reviewer."""
        return self._decide(caller, case_id, CaseMove.ESCALATE, reason)

    def complain(self, caller: Caller, case_id: UUID | str, reason: str) -> Case:
        """File the content provider's complaint against a removal; it is due in 14 days."""
        return self._decide(caller, case_id, CaseMove.COMPLAIN, reason)

    def uphold(self, caller: Caller, case_id: UUID | str, reason: str) -> Case:
        """Decide a complaint: the removal stands."""
        return self._decide(caller, case_id, CaseMove.UPHOLD, reason)

    def reinstate(self, caller: Caller, case_id: UUID | str, reason: str) -> Case:
        """Decide a complaint: the item is put back."""
        return self._decide(caller, case_id, CaseMove.REINSTATE, reason)

    def decide(
        self,
        caller: Caller,
        case_id: UUID | str,
        move: str,
        reason: str,
        action: str | None = None,
        removal_order_received_at: datetime | str | None = None,
    ) -> Case:
        """Make the move named by `move` (`confirm`, `reject`, ..., `reinstate`) with its reason."""
        parsed = CaseMove.parse(move, "move")
        if parsed is CaseMove.CONFIRM:
            return self.confirm(caller, case_id, action or "", reason, removal_order_received_at)
        if action is not None:
            raise InvalidInput.expected("action", "given only with the move 'confirm'", action)
        if removal_order_received_at is not None:
            raise InvalidInput.expected(
                "removal_order_received_at", "given only with the move 'confirm'", removal_order_received_at
            )
        handlers = {
            CaseMove.REJECT: self.reject,
            CaseMove.ESCALATE: self.escalate,
            CaseMove.COMPLAIN: self.complain,
            CaseMove.UPHOLD: self.uphold,
            CaseMove.REINSTATE: self.reinstate,
        }
        return handlers[parsed](caller, case_id, reason)

    def _decide(
        self,
        caller: Caller,
        case_id: UUID | str,
        move: CaseMove,
        reason: str,
        *,
        action: CaseAction | None = None,
        order: datetime | None = None,
    ) -> Case:
        require(caller, Action.FILE_CASES if move is CaseMove.COMPLAIN else Action.DECIDE_CASES)
        text = _reason(reason)
        now = self.clock()
        with self.store.transaction() as uow:
            case = self._locked(uow, caller, case_id)
            target = MOVE_TARGETS[move]
            check_status_move(case.status, target, case.action)
            if order is not None and case.removal_order_received_at is not None:
                raise InvalidTransition(
                    f"case {case.id} already has a removal order received at"
                    f" {case.removal_order_received_at.isoformat()}",
                    field="removal_order_received_at",
                )
            updated = replace(case, status=target, updated_at=now)
            if move is CaseMove.CONFIRM:
                updated = replace(
                    updated,
                    action=action,
                    removed_at=now if action is CaseAction.REMOVE else None,
                    removal_order_received_at=order or case.removal_order_received_at,
                )
            if move is CaseMove.COMPLAIN:
                updated = replace(updated, complaint_deadline=now + timedelta(days=COMPLAINT_DAYS))
            uow.cases.save(updated)
            uow.cases.decide(
                CaseDecision(
                    case.id,
                    0,
                    move,
                    case.status,
                    target,
                    action,
                    text,
                    caller.principal.org_id,
                    caller.principal.actor,
                    now,
                )
            )
            details: dict[str, object] = {
                "from": case.status.value,
                "to": target.value,
                "reason_chars": len(text),
            }
            if action is not None:
                details["action"] = action.value
            if updated.minutes_to_removal is not None and move is CaseMove.CONFIRM:
                details["minutes_to_removal"] = updated.minutes_to_removal
            record(uow, caller, self.clock, f"case.{move.value}", _obj(case), details)
            if self.notifier is not None:
                told = {"case_id": str(case.id), "move": move.value, "from": case.status.value}
                self.notifier.emit(uow, case.org_id, WebhookEvent.CASE_DECIDED, {**told, "to": target.value})
        return updated

    def record_removal_order(self, caller: Caller, case_id: UUID | str, received_at: datetime | str) -> Case:
        """Record when a removal order for the item of an undecided case was received (starts the clock)."""
        require(caller, Action.FILE_CASES)
        order = self._order_time(received_at, "received_at")
        if order is None:
            raise InvalidInput.expected("received_at", MOMENT, received_at)
        now = self.clock()
        with self.store.transaction() as uow:
            case = self._locked(uow, caller, case_id)
            if case.status not in UNDECIDED:
                raise InvalidTransition(
                    f"a removal order is recorded on an open or escalated case (case {case.id} is"
                    f" '{case.status.value}'; give it with the confirmation instead)",
                    field="status",
                )
            if case.removal_order_received_at is not None:
                raise InvalidTransition(
                    f"case {case.id} already has a removal order received at"
                    f" {case.removal_order_received_at.isoformat()}",
                    field="received_at",
                )
            updated = replace(case, removal_order_received_at=order, updated_at=now)
            uow.cases.save(updated)
            record(
                uow, caller, self.clock, "case.removal_order", _obj(case), {"received_at": order.isoformat()}
            )
        return updated

    def _order_time(self, raw: datetime | str | None, field: str) -> datetime | None:
        order = parse_moment(raw, field)
        if order is None:
            return None
        now = self.clock()
        if not now - timedelta(days=MAX_ORDER_AGE_DAYS) <= order <= now:
            raise InvalidInput.expected(
                field, f"not in the future and at most {MAX_ORDER_AGE_DAYS} days ago", order.isoformat()
            )
        return order

    # Evidence -------------------------------------------------------------------------------------------

    def attach_evidence(
        self,
        caller: Caller,
        case_id: UUID | str,
        data: bytes,
        media_type: str | None = None,
        reference: str | None = None,
    ) -> Evidence:
        """Keep the removed item's bytes (and where the original is) as evidence of a removal."""
        require(caller, Action.FILE_CASES)
        media = clean_media_type(media_type)
        ref = None if reference is None else clean_text(reference, "reference", max_chars=MAX_REFERENCE_CHARS)
        if not isinstance(data, bytes) or not data:
            raise InvalidInput.expected("file", "a file of at least 1 byte", f"{len(data or b'')} bytes")
        if len(data) > self.max_evidence_bytes:
            raise PayloadTooLarge(
                f"'file' must be at most {self.max_evidence_bytes:,} bytes (got {len(data):,})", field="file"
            )
        now = self.clock()
        with self.store.transaction() as uow:
            case = self._locked(uow, caller, case_id)
            keep_until = case.evidence_keep_until
            if keep_until is None or case.status is CaseStatus.REINSTATED:
                raise InvalidTransition(
                    f"evidence is kept of a removed item: case {case.id} is '{case.status.value}'"
                    f" with action '{case.action.value if case.action else 'none'}'"
                    " (it must be confirmed with 'remove' and not reinstated)",
                    field="status",
                )
            evidence = Evidence(
                uuid4(),
                case.id,
                caller.principal.org_id,
                caller.principal.actor,
                media,
                len(data),
                hashlib.sha256(data).hexdigest(),
                ref,
                True,
                now,
                keep_until,
            )
            uow.cases.add_evidence(evidence, data)
            details = {
                "evidence_id": str(evidence.id),
                "sha256": evidence.sha256,
                "size_bytes": evidence.size_bytes,
                "keep_until": keep_until.isoformat(),
            }
            record(uow, caller, self.clock, "case.evidence.add", _obj(case), details)
        return evidence

    def evidence_item(
        self, caller: Caller, case_id: UUID | str, evidence_id: UUID | str
    ) -> tuple[Evidence, bytes | None]:
        """Return one piece of evidence of a visible case and its bytes (None once purged)."""
        require(caller, Action.READ_CASES)
        ident = (
            evidence_id if isinstance(evidence_id, UUID) else parse_id(evidence_id, "evidence", "evidence_id")
        )
        with self.store.snapshot() as uow:
            case = self._visible(uow, caller, case_id)
            found = uow.cases.evidence_item(case.id, ident)
        if found is None:
            raise NotFound.of("evidence", ident, "evidence_id")
        with self.store.transaction() as uow:
            details = {"evidence_id": str(ident), "sha256": found[0].sha256}
            record(uow, caller, self.clock, "case.evidence.read", _obj(case), details)
        return found

    def purge_evidence(self, caller: Caller, limit: int = PURGE_BATCH) -> list[Evidence]:
        """Drop the bytes of evidence kept past its date (no complaint pending); audit each; return them."""
        require_coalition_admin(caller)
        if not 1 <= limit <= PURGE_BATCH:
            raise InvalidInput.expected("limit", f"an integer from 1 to {PURGE_BATCH}", limit)
        now = self.clock()
        purged = []
        with self.store.transaction() as uow:
            for evidence in uow.cases.purgeable(now, limit):
                uow.cases.purge(evidence.id, now)
                details = {
                    "evidence_id": str(evidence.id),
                    "sha256": evidence.sha256,
                    "size_bytes": evidence.size_bytes,
                    "created_at": evidence.created_at.isoformat(),
                    "keep_until": evidence.keep_until.isoformat(),
                }
                obj = ("case", evidence.case_id, evidence.org_id)
                record(uow, caller, self.clock, "case.evidence.purge", obj, details)
                purged.append(replace(evidence, has_content=False, purged_at=now))
        return purged

    # Reads ----------------------------------------------------------------------------------------------

    def get(self, caller: Caller, case_id: UUID | str) -> CaseDetail:
        """Return a case the caller may see with its hits, history and evidence; NotFound otherwise."""
        require(caller, Action.READ_CASES)
        with self.store.snapshot() as uow:
            case = self._visible(uow, caller, case_id)
            hits = uow.cases.hits(case.id)
            ids = [h.signal_id for h in hits if h.signal_id is not None]
            signals = uow.signals.get_many(sorted(set(ids), key=str))
            shown = tuple(
                h
                if h.signal_id in signals and can_see_signal(caller.principal, signals[h.signal_id])
                else replace(h, signal_id=None)
                for h in hits
            )
            detail = CaseDetail(
                case, shown, tuple(uow.cases.history(case.id)), tuple(uow.cases.evidence(case.id))
            )
        self._record_reads(caller, "case.read", [case])
        return detail

    def page_request(self, limit: int | None, cursor: str | None) -> PageRequest:
        """Return a page request, refusing limits outside 1..page_size_max."""
        size = self.page_default if limit is None else limit
        if not 1 <= size <= self.page_max:
            raise InvalidInput.expected("limit", f"an integer from 1 to {self.page_max}", limit)
        return PageRequest(size, decode_cursor(cursor))

    def find(self, caller: Caller, query: CaseQuery, page: PageRequest) -> Page[Case]:
        """Return one page of the cases matching `query` that the caller may see, oldest first."""
        require(caller, Action.READ_CASES)
        if query.item_id is not None:
            query = replace(query, item_id=clean_text(query.item_id, "item_id", max_chars=MAX_ITEM_ID_CHARS))
        with self.store.snapshot() as uow:
            found = uow.cases.find(query, case_audience(caller.principal), page)
        self._record_reads(caller, "case.list", found.items)
        return found

    # Gate -----------------------------------------------------------------------------------------------

    @staticmethod
    def _visible(uow: UnitOfWork, caller: Caller, case_id: UUID | str) -> Case:
        """Return the case if the caller may see it; otherwise NotFound, as if it did not exist."""
        ident = case_id if isinstance(case_id, UUID) else parse_id(case_id, "case", "case_id")
        case = uow.cases.get(ident)
        if case is None or not may_see_case(case_audience(caller.principal), case):
            raise NotFound.of("case", ident, "case_id")
        return case

    @staticmethod
    def _locked(uow: UnitOfWork, caller: Caller, case_id: UUID | str) -> Case:
        """Lock a case of the caller's own organization for a write; NotFound for any other."""
        ident = case_id if isinstance(case_id, UUID) else parse_id(case_id, "case", "case_id")
        case = uow.cases.lock(ident)
        if case is None or case.org_id != caller.principal.org_id:
            raise NotFound.of("case", ident, "case_id")
        return case

    def _record_reads(self, caller: Caller, action: str, cases: Iterable[Case]) -> None:
        """Record one event per owning organization for the cases just read."""
        by_owner: dict[UUID, list[str]] = {}
        for case in cases:
            by_owner.setdefault(case.org_id, []).append(str(case.id))
        if not by_owner:
            return
        with self.store.transaction() as uow:
            for owner, ids in sorted(by_owner.items()):
                object_id = ids[0] if len(ids) == 1 else None
                record(uow, caller, self.clock, action, ("case", object_id, owner), {"case_ids": ids})
