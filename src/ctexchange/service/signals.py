"""Signals: adding them to a collection, reading them, changing their status, opinions on them.

Every read goes through `ctexchange.service.access`: single reads check visibility and answer NotFound for
what the caller may not see; lists, counts, searches and exports are filtered by the store. Reads of
sensitive markings are audited. Adding many signals is one transaction: all of them or none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from ctexchange.domain.kinds import KindRegistry
from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import Page, PageRequest, SignalQuery
from ctexchange.domain.roles import Action
from ctexchange.domain.signals import (
    LABELS,
    Collection,
    JsonValue,
    Opinion,
    Provenance,
    Signal,
    SignalStatus,
    Verdict,
    check_status_move,
)
from ctexchange.domain.text import clean_text
from ctexchange.errors import InvalidInput, PayloadTooLarge
from ctexchange.service.access import (
    audience,
    exportable,
    owned_collection,
    owned_signal,
    require,
    visible_signal,
)
from ctexchange.service.audit import record, record_reads
from ctexchange.service.context import Caller, Clock
from ctexchange.service.members import find_user
from ctexchange.service.pages import decode_cursor
from ctexchange.store.protocol import Store, UnitOfWork

MAX_LABELS = 32
MAX_BATCH = 10_000
_NAMESPACED_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}:[^\s]{1,100}$")


@dataclass(frozen=True)
class NewSignal:
    """What a caller gives to add one signal; `marking` defaults to the collection's."""

    kind: str
    value: JsonValue
    labels: Sequence[str] = ()
    marking: str | None = None
    external_id: str | None = None
    recipients: Sequence[str] = field(default_factory=tuple)
    source_ref: str | None = None


def clean_labels(raw: Sequence[str], field_name: str = "labels") -> frozenset[str]:
    """Return valid labels: the taxonomy's, or namespaced `ns:value` (e.g. `un:QDe.115`)."""
    if isinstance(raw, str) or len(raw) > MAX_LABELS:
        raise InvalidInput.expected(field_name, f"a list of at most {MAX_LABELS} labels", raw)
    labels = set()
    for index, item in enumerate(raw):
        label = clean_text(item, f"{field_name}[{index}]", max_chars=140)
        if label not in LABELS and not _NAMESPACED_LABEL.match(label):
            raise InvalidInput.expected(
                f"{field_name}[{index}]", f"one of {', '.join(LABELS)} or a namespaced 'ns:value'", item
            )
        labels.add(label)
    return frozenset(labels)


class SignalService:
    """Add, read, list, count, export signals; change their status; give opinions."""

    def __init__(
        self,
        store: Store,
        kinds: KindRegistry,
        clock: Clock,
        page_default: int,
        page_max: int,
        dispute_threshold: int = 2,
    ):
        self.store = store
        self.dispute_threshold = dispute_threshold
        self.kinds = kinds
        self.clock = clock
        self.page_default = page_default
        self.page_max = page_max

    def add(self, caller: Caller, collection_ref: str, item: NewSignal, source: str = "api") -> Signal:
        """Add one signal to a collection of the caller's organization (errors name plain fields)."""
        return self._add(caller, collection_ref, [item], source, is_batch=False)[0]

    def add_many(
        self, caller: Caller, collection_ref: str, items: Sequence[NewSignal], source: str = "api"
    ) -> list[Signal]:
        """Add signals to one collection in one transaction: every one of them, or none.

        Errors name the item at fault as `signals[i].field`.
        """
        return self._add(caller, collection_ref, items, source, is_batch=True)

    def _add(
        self, caller: Caller, collection_ref: str, items: Sequence[NewSignal], source: str, is_batch: bool
    ) -> list[Signal]:
        require(caller, Action.WRITE_SIGNALS)
        if len(items) > MAX_BATCH:
            raise PayloadTooLarge(
                f"'signals' must hold at most {MAX_BATCH} items (got {len(items)})", field="signals"
            )
        with self.store.transaction() as uow:
            collection = owned_collection(uow, caller, collection_ref)
            added = [
                self._build(uow, caller, collection, item, source, f"signals[{i}]." if is_batch else "")
                for i, item in enumerate(items)
            ]
            for signal in added:
                uow.signals.add(signal)
                record(
                    uow,
                    caller,
                    self.clock,
                    "signal.create",
                    ("signal", signal.id, signal.org_id),
                    {
                        "collection_id": str(collection.id),
                        "kind": signal.kind,
                        "marking": signal.marking.value,
                    },
                )
        return added

    def _build(
        self,
        uow: UnitOfWork,
        caller: Caller,
        collection: Collection,
        item: NewSignal,
        source: str,
        prefix: str,
    ) -> Signal:
        kind = self.kinds.get(item.kind, prefix + "kind")
        checked = kind.validate(item.value, prefix + "value")
        if len(checked.key) > 512:
            raise PayloadTooLarge(f"'{prefix}value' has a key over 512 characters", field=prefix + "value")
        marking = (
            collection.default_marking
            if item.marking is None
            else Marking.parse(item.marking, prefix + "marking")
        )
        recipients = frozenset(find_user(uow, ref, prefix + "recipients").id for ref in item.recipients)
        if recipients and marking is not Marking.RED:
            raise InvalidInput.expected(
                prefix + "recipients", "empty unless the marking is RED", list(item.recipients)
            )
        now = self.clock()
        external = (
            None
            if item.external_id is None
            else clean_text(item.external_id, prefix + "external_id", max_chars=200)
        )
        ref = (
            None
            if item.source_ref is None
            else clean_text(item.source_ref, prefix + "source_ref", max_chars=500)
        )
        return Signal(
            uuid4(),
            collection.id,
            collection.org_id,
            kind.family,
            kind.name,
            checked.value,
            checked.key,
            clean_labels(item.labels, prefix + "labels"),
            marking,
            collection.sharing_group_id,
            SignalStatus.ACTIVE,
            Provenance(caller.principal.actor, source, ref),
            now,
            now,
            external,
            recipients,
        )

    def get(self, caller: Caller, signal_id: UUID | str) -> Signal:
        """Return one signal the caller may see; NotFound otherwise."""
        require(caller, Action.READ_SIGNALS)
        with self.store.snapshot() as uow:
            signal = visible_signal(uow, caller, signal_id)
        record_reads(self.store, caller, self.clock, "signal.read", [signal])
        return signal

    def page_request(self, limit: int | None, cursor: str | None) -> PageRequest:
        """Return a page request, refusing limits outside 1..page_size_max."""
        size = self.page_default if limit is None else limit
        if not 1 <= size <= self.page_max:
            raise InvalidInput.expected("limit", f"an integer from 1 to {self.page_max}", limit)
        return PageRequest(size, decode_cursor(cursor))

    def find(self, caller: Caller, query: SignalQuery, page: PageRequest) -> Page[Signal]:
        """Return one page of the signals matching `query` that the caller may see."""
        require(caller, Action.READ_SIGNALS)
        with self.store.snapshot() as uow:
            found = uow.signals.find(query, audience(caller), page)
        record_reads(self.store, caller, self.clock, "signal.list", found.items)
        return found

    def count(self, caller: Caller, query: SignalQuery) -> int:
        """Return how many signals match `query` among those the caller may see."""
        require(caller, Action.READ_SIGNALS)
        with self.store.snapshot() as uow:
            return uow.signals.count(query, audience(caller))

    def export(self, caller: Caller, query: SignalQuery) -> Iterator[Signal]:
        """Return an iterator over every exportable signal matching `query`; the role is checked now."""
        require(caller, Action.EXPORT_SIGNALS)
        return self._export_pages(caller, query)

    def _export_pages(self, caller: Caller, query: SignalQuery) -> Iterator[Signal]:
        """Yield the exportable signals page by page, recording each page in the audit log."""
        page = PageRequest(self.page_max)
        while True:
            with self.store.snapshot() as uow:
                found = uow.signals.find(query, audience(caller), page)
            items = exportable(caller, found.items)
            record_reads(self.store, caller, self.clock, "signal.export", items)
            yield from items
            if found.next_after is None:
                return
            page = PageRequest(page.limit, found.next_after)

    def set_status(self, caller: Caller, signal_id: UUID | str, status: str, reason: str) -> Signal:
        """Move a signal of the caller's organization to `status`, with a reason."""
        require(caller, Action.CHANGE_STATUS)
        target = SignalStatus.parse(status, "status")
        why = clean_text(reason, "reason", max_chars=2000, multiline=True)
        with self.store.transaction() as uow:
            signal = owned_signal(uow, caller, signal_id)
            check_status_move(signal.status, target)
            uow.signals.set_status(signal.id, target, self.clock())
            record(
                uow,
                caller,
                self.clock,
                "signal.status",
                ("signal", signal.id, signal.org_id),
                {"from": signal.status.value, "to": target.value, "reason": why},
            )
            return visible_signal(uow, caller, signal.id)

    def give_opinion(self, caller: Caller, signal_id: UUID | str, verdict: str, note: str = "") -> Opinion:
        """Record the caller's organization's opinion of a signal it can see (replacing an earlier one).

        A `false_positive` opinion also puts the signal on the organization's suppression list: it stops
        matching for that organization alone. When `dispute_threshold` organizations other than the owner
        disagree (disagree or false_positive), an active signal becomes `disputed` (audited, with the count).
        """
        require(caller, Action.GIVE_OPINION)
        parsed = Verdict.parse(verdict, "verdict")
        text = clean_text(note, "note", max_chars=2000, allow_empty=True, multiline=True)
        with self.store.transaction() as uow:
            signal = visible_signal(uow, caller, signal_id)
            opinion = Opinion(
                signal.id, caller.principal.org_id, caller.principal.user_id, parsed, text, self.clock()
            )
            uow.signals.put_opinion(opinion)
            record(
                uow,
                caller,
                self.clock,
                "signal.opinion",
                ("signal", signal.id, signal.org_id),
                {"verdict": parsed.value},
            )
            self._dispute_if_contested(uow, caller, signal)
        return opinion

    def _dispute_if_contested(self, uow: UnitOfWork, caller: Caller, signal: Signal) -> None:
        against = {
            o.org_id
            for o in uow.signals.opinions(signal.id)
            if o.verdict is not Verdict.AGREE and o.org_id != signal.org_id
        }
        if signal.status is not SignalStatus.ACTIVE or len(against) < self.dispute_threshold:
            return
        uow.signals.set_status(signal.id, SignalStatus.DISPUTED, self.clock())
        record(
            uow,
            caller,
            self.clock,
            "signal.disputed",
            ("signal", signal.id, signal.org_id),
            {"from": signal.status.value, "to": "disputed", "organizations_against": len(against)},
        )

    def opinions(self, caller: Caller, signal_id: UUID | str) -> list[Opinion]:
        """Return the opinions on a signal the caller may see."""
        require(caller, Action.READ_SIGNALS)
        with self.store.snapshot() as uow:
            signal = visible_signal(uow, caller, signal_id)
            opinions = uow.signals.opinions(signal.id)
        record_reads(self.store, caller, self.clock, "signal.opinions.read", [signal])
        return opinions
