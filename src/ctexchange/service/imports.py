"""Loading designated-entity lists: the UN Consolidated List, FollowTheMoney JSON lines, OFAC SDN.

An import is one transaction: it either completes or changes nothing. It is aware of differences:
- an entry whose reference is new is added (kind `person` or `organization`, marking of the collection);
- an entry whose content changed is updated in place, the earlier value kept in the signal's history;
- an entry no longer in the file is marked `delisted` (the change's time is the delisting date);
- a delisted entry that comes back is made `active` again (relisted);
so importing the same file twice changes nothing the second time.

The file is parsed completely (and refused with a precise error if it is malformed or hostile) before the
store is touched. The collection is created when missing: public lists (UN, OFAC) as CLEAR, other lists
(a national list converted to FollowTheMoney) as AMBER, owned by the importing organization.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from uuid import uuid4

from ctexchange.domain.entities import EntityRecord, EntitySchema
from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import PageRequest, SignalQuery
from ctexchange.domain.roles import Action
from ctexchange.domain.signals import Collection, Family, Provenance, Signal, SignalStatus
from ctexchange.domain.text import clean_name
from ctexchange.errors import InvalidInput, PayloadTooLarge
from ctexchange.interop.ftm import parse_ftm
from ctexchange.interop.lists import ParsedList
from ctexchange.interop.ofac_sdn import parse_ofac_sdn
from ctexchange.interop.un_list import bundled_un_list, parse_un_list
from ctexchange.service.access import require
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.store.protocol import Store, UnitOfWork

MAX_LIST_BYTES = 256 * 1024 * 1024
LOAD_PAGE = 1000


class ListFormat(StrEnum):
    """The list formats the exchange reads."""

    UN_LIST = "un-list"
    FTM = "ftm"
    OFAC_SDN = "ofac-sdn"


DEFAULTS: dict[ListFormat, tuple[str | None, Marking]] = {
    ListFormat.UN_LIST: ("UN-SC", Marking.CLEAR),
    ListFormat.FTM: (None, Marking.AMBER),
    ListFormat.OFAC_SDN: ("OFAC-SDN", Marking.CLEAR),
}

KIND_OF = {EntitySchema.PERSON: "person", EntitySchema.ORGANIZATION: "organization"}


@dataclass(frozen=True)
class ImportReport:
    """What an import did, by count."""

    source: str
    collection: str
    generated_at: str | None
    added: int
    changed: int
    unchanged: int
    delisted: int
    relisted: int


def parse_list(fmt: ListFormat, data: bytes, source: str | None) -> ParsedList:
    """Parse a list file of the given format; raise InvalidInput (naming the entry) or PayloadTooLarge."""
    if len(data) > MAX_LIST_BYTES:
        raise PayloadTooLarge(
            f"'file' must be at most {MAX_LIST_BYTES} bytes (got {len(data)})", field="file"
        )
    if not data.strip():
        raise InvalidInput("'file' is empty", field="file")
    parsers: dict[ListFormat, Callable[[bytes], ParsedList]] = {
        ListFormat.UN_LIST: parse_un_list,
        ListFormat.OFAC_SDN: parse_ofac_sdn,
        ListFormat.FTM: lambda raw: parse_ftm(raw, source or "FollowTheMoney import"),
    }
    return parsers[fmt](data)


class ImportService:
    """Diff-aware, transactional imports of designated-entity lists."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def import_list(
        self,
        caller: Caller,
        fmt: ListFormat,
        data: bytes,
        collection: str | None = None,
        source: str | None = None,
    ) -> ImportReport:
        """Parse `data` and bring the collection in line with it, in one transaction."""
        require(caller, Action.IMPORT_LISTS)
        name, marking = DEFAULTS[fmt]
        target = collection or name
        if target is None:
            raise InvalidInput("'collection' is required for this format", field="collection")
        parsed = parse_list(fmt, data, source)
        with self.store.transaction() as uow:
            coll = self._collection(uow, caller, clean_name(target, "collection"), marking)
            report = _Sync(uow, caller, self.clock, coll, parsed).run()
            record(
                uow,
                caller,
                self.clock,
                f"import.{fmt.value}",
                ("collection", coll.id, coll.org_id),
                {"source": parsed.source, "generated_at": parsed.generated_at, **_counts(report)},
            )
        return report

    def import_bundled_un_list(self, caller: Caller, collection: str | None = None) -> ImportReport:
        """Import the copy of the UN Consolidated List shipped with ctexchange."""
        return self.import_list(caller, ListFormat.UN_LIST, bundled_un_list(), collection)

    def _collection(self, uow: UnitOfWork, caller: Caller, name: str, marking: Marking) -> Collection:
        existing = uow.collections.by_name(caller.principal.org_id, name)
        if existing is not None:
            return existing  # the caller's own organization's: visible and owned by construction
        require(caller, Action.WRITE_COLLECTIONS)
        created = Collection(
            uuid4(),
            name,
            caller.principal.org_id,
            marking,
            None,
            "designated entities loaded from a list",
            {},
            self.clock(),
        )
        uow.collections.add(created)
        record(
            uow,
            caller,
            self.clock,
            "collection.create",
            ("collection", created.id, created.org_id),
            {"name": name, "marking": marking.value},
        )
        return created


def _counts(report: ImportReport) -> dict[str, int]:
    return {
        "added": report.added,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "delisted": report.delisted,
        "relisted": report.relisted,
    }


class _Sync:
    """One import's comparison of a parsed list with a collection, and the writes it implies."""

    def __init__(self, uow: UnitOfWork, caller: Caller, clock: Clock, coll: Collection, parsed: ParsedList):
        self.uow, self.caller, self.clock, self.coll, self.parsed = uow, caller, clock, coll, parsed
        self.counts = {"added": 0, "changed": 0, "unchanged": 0, "delisted": 0, "relisted": 0}

    def run(self) -> ImportReport:
        existing = self._existing()
        seen = set()
        for entry in self.parsed.records:
            key = entry.listing.reference
            seen.add(key)
            current = existing.get(key)
            if current is None:
                self._add(entry)
            else:
                self._update(current, entry)
        for key, signal in existing.items():
            if key not in seen and signal.status is not SignalStatus.DELISTED:
                self._status(signal, SignalStatus.DELISTED, "signal.delist")
                self.counts["delisted"] += 1
        return ImportReport(self.parsed.source, self.coll.name, self.parsed.generated_at, **self.counts)

    def _existing(self) -> dict[str, Signal]:
        found: dict[str, Signal] = {}
        page = PageRequest(LOAD_PAGE)
        query = SignalQuery(collection_id=self.coll.id, family=Family.ENTITY)
        while True:
            got = self.uow.signals.find(query, None, page)
            found.update((s.value_key, s) for s in got.items)
            if got.next_after is None:
                return found
            page = PageRequest(LOAD_PAGE, got.next_after)

    def _add(self, entry: EntityRecord) -> None:
        now = self.clock()
        signal = Signal(
            uuid4(),
            self.coll.id,
            self.coll.org_id,
            Family.ENTITY,
            KIND_OF[entry.schema],
            entry.to_json(),
            entry.listing.reference,
            frozenset(),
            self.coll.default_marking,
            self.coll.sharing_group_id,
            SignalStatus.ACTIVE,
            Provenance(self.caller.principal.actor, f"import:{self.parsed.source}", self.parsed.generated_at),
            now,
            now,
            entry.listing.reference,
        )
        self.uow.signals.add(signal)
        record(
            self.uow,
            self.caller,
            self.clock,
            "signal.create",
            ("signal", signal.id, signal.org_id),
            {"collection_id": str(self.coll.id), "kind": signal.kind, "reference": entry.listing.reference},
        )
        self.counts["added"] += 1

    def _update(self, current: Signal, entry: EntityRecord) -> None:
        value = entry.to_json()
        if current.status is SignalStatus.DELISTED:
            self._status(current, SignalStatus.ACTIVE, "signal.relist")
            self.counts["relisted"] += 1
        if current.value == value:
            self.counts["unchanged"] += 1
            return
        self.uow.signals.replace_value(current.id, value, self.clock())
        record(
            self.uow,
            self.caller,
            self.clock,
            "signal.update",
            ("signal", current.id, current.org_id),
            {"reference": entry.listing.reference},
        )
        self.counts["changed"] += 1

    def _status(self, signal: Signal, status: SignalStatus, action: str) -> None:
        self.uow.signals.set_status(signal.id, status, self.clock())
        record(
            self.uow,
            self.caller,
            self.clock,
            action,
            ("signal", signal.id, signal.org_id),
            {"reference": signal.value_key, "from": signal.status.value, "to": status.value},
        )
