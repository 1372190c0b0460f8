"""Screening names against the designated entities the caller may see.

The candidate index (`ctexchange.engines.names.index.CandidateIndex`) lives in memory and covers every
active or disputed entity signal, visible or not, each prepared for scoring when it is added. It is
built from the store on first use (at the server's start: `warmup`) and then follows the store's
signal change log before each request, so an import, a delisting or a relisting is seen by the next
screening without a rebuild. A query scores only its candidates, never the whole list, and returns
those that reach the threshold (`score.screen_many` proves the others below it without aligning their
names). A batch of queries is screened together, its bounds computed in one pass: each query gets
the hits it would get alone.

Hits on entities the caller may not see are dropped before anything is returned: no id, no count.
Reads of AMBER, AMBER+STRICT and RED entities are audited; the query itself (a person's name, date of
birth) is never written to the audit log or the logs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ctexchange.domain.access import can_see_signal
from ctexchange.domain.entities import (
    EntityRecord,
    EntitySchema,
    ScreeningQuery,
    check_country,
    check_partial_date,
)
from ctexchange.domain.queries import PageRequest, SignalQuery
from ctexchange.domain.roles import Action
from ctexchange.domain.signals import Family, Signal, SignalStatus, SignalVersion
from ctexchange.domain.text import clean_text
from ctexchange.engines.names.index import CandidateIndex
from ctexchange.engines.names.score import PreparedEntity, PreparedQuery, prepare_query, screen_many
from ctexchange.errors import InvalidInput, NotFound, PayloadTooLarge
from ctexchange.service import heap
from ctexchange.service.access import require, visible_collection, visible_signal
from ctexchange.service.audit import record_reads
from ctexchange.service.context import Caller, Clock
from ctexchange.store.protocol import Store, UnitOfWork

DEFAULT_THRESHOLD = 0.7
MAX_QUERIES = 1000
MAX_RESULTS = 50
CANDIDATES = 20  # considered per query; recall is the same as with 50 on the benchmark (docs/benchmarks.md)
CHANGE_BATCH = 5000
LOAD_PAGE = 1000
MATCHABLE = (SignalStatus.ACTIVE, SignalStatus.DISPUTED)


@dataclass(frozen=True)
class ScreeningHit:
    """One entity scored against one query."""

    signal: Signal
    record: EntityRecord
    score: float
    is_match: bool
    explanation: dict[str, Any]


@dataclass(frozen=True)
class EntityView:
    """An entity with its signal and its earlier values."""

    signal: Signal
    record: EntityRecord
    history: list[SignalVersion]


class EntityCache:
    """The in-memory mirror of entity signals and their candidate index, following the change log."""

    def __init__(self) -> None:
        self.index = CandidateIndex()
        self.entities: dict[UUID, tuple[Signal, EntityRecord]] = {}
        self.seq: int | None = None
        self.lock = threading.Lock()

    def refresh(self, store: Store) -> None:
        """Bring the mirror up to date with the store (a full load the first time).

        After a load of `heap.SETTLE_AT` entities or more, the heap is settled (`heap.settle`), so
        that the garbage collector no longer walks the index.
        """
        with self.lock, store.snapshot() as uow:
            loaded = self._load_all(uow) if self.seq is None else self._follow(uow)
        if loaded >= heap.SETTLE_AT:
            heap.settle()  # its second of collecting holds neither the snapshot nor the lock

    def _load_all(self, uow: UnitOfWork) -> int:
        self.seq = uow.signals.last_change_seq()
        page = PageRequest(LOAD_PAGE)
        loaded = 0
        while True:
            got = uow.signals.find(SignalQuery(family=Family.ENTITY), None, page)
            for signal in got.items:
                self._put(signal)
            loaded += len(got.items)
            if got.next_after is None:
                return loaded
            page = PageRequest(LOAD_PAGE, got.next_after)

    def _follow(self, uow: UnitOfWork) -> int:
        loaded = 0
        while True:
            changes = uow.signals.changes_since(self.seq or 0, CHANGE_BATCH)
            for seq, signal_id, _ in changes:
                self.seq = seq
                signal = uow.signals.get(signal_id)
                if signal is not None and signal.family is Family.ENTITY:
                    self._put(signal)
                    loaded += 1
            if len(changes) < CHANGE_BATCH:
                return loaded

    def _put(self, signal: Signal) -> None:
        key = str(signal.id)
        if signal.id in self.entities:
            self.index.remove(key)
            del self.entities[signal.id]
        if signal.status in MATCHABLE:
            entity = EntityRecord.from_json(signal.value)
            self.entities[signal.id] = (signal, entity)
            self.index.add(key, entity)


class ScreeningService:
    """Screen persons and organizations; read entities."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.cache = EntityCache()

    def warm(self) -> None:
        """Bring the candidate index up to date now (`warmup`), not at the first query."""
        self.cache.refresh(self.store)

    def screen(
        self,
        caller: Caller,
        queries: Sequence[ScreeningQuery],
        collections: Sequence[str] = (),
        threshold: float | None = None,
        limit: int = 10,
    ) -> list[list[ScreeningHit]]:
        """Return, for each query, its visible entities scoring at least the threshold (best first, at most
        `limit`); lower the threshold to see near misses."""
        require(caller, Action.SCREEN)
        _check(queries, threshold, limit)
        scope = self._scope(caller, collections)
        self.cache.refresh(self.store)
        cutoff = DEFAULT_THRESHOLD if threshold is None else threshold
        results = self._many(caller, queries, scope, cutoff, limit)
        record_reads(self.store, caller, self.clock, "entity.screen", [h.signal for r in results for h in r])
        return results

    def _scope(self, caller: Caller, collections: Sequence[str]) -> set[UUID] | None:
        if not collections:
            return None
        with self.store.snapshot() as uow:
            return {visible_collection(uow, caller, ref).id for ref in collections}

    def _many(
        self,
        caller: Caller,
        queries: Sequence[ScreeningQuery],
        scope: set[UUID] | None,
        cutoff: float,
        limit: int,
    ) -> list[list[ScreeningHit]]:
        """Screen the queries together (`score.screen_many`: their bounds are computed in one pass);
        each query's hits are those it would have alone."""
        prepared = [prepare_query(query) for query in queries]
        for query in prepared:  # names prepared before taking the lock other requests wait for
            _ = (
                query.organization_names
                if query.query.schema is EntitySchema.ORGANIZATION
                else query.person_names
            )
        with self.cache.lock:  # another request's refresh may be changing the index and the entities
            index = self.cache.index
            found = [
                [
                    (k, self.cache.entities.get(UUID(k)), index.entity(k))
                    for k in index.candidates(query, CANDIDATES)
                ]
                for query in prepared
            ]
        tasks: list[tuple[PreparedQuery, list[tuple[str, PreparedEntity]]]] = []
        signals: dict[str, tuple[Signal, EntityRecord]] = {}
        for query, candidates in zip(prepared, found, strict=True):
            visible: list[tuple[str, PreparedEntity]] = []
            for key, entry, entity in candidates:
                if entry is None or entity is None:
                    continue
                signal = entry[0]
                if (scope is None or signal.collection_id in scope) and can_see_signal(
                    caller.principal, signal
                ):
                    visible.append((key, entity))
                    signals[key] = entry
            tasks.append((query, visible))
        results = []
        for scored_hits in screen_many(tasks, cutoff):
            hits = []
            for key, scored in scored_hits[:limit]:
                signal, record = signals[key]
                hits.append(
                    ScreeningHit(signal, record, scored.score, scored.is_match, dict(scored.explanation))
                )
            results.append(hits)
        return results

    def entity(self, caller: Caller, signal_id: str) -> EntityView:
        """Return one visible entity with its history; NotFound otherwise (also for non-entity signals)."""
        require(caller, Action.READ_SIGNALS)
        with self.store.snapshot() as uow:
            signal = visible_signal(uow, caller, signal_id)
            if signal.family is not Family.ENTITY:
                raise NotFound.of("entity", signal_id, "entity_id")
            history = uow.signals.history(signal.id)
        record_reads(self.store, caller, self.clock, "entity.read", [signal])
        return EntityView(signal, EntityRecord.from_json(signal.value), history)


MAX_NAMES = 20
MAX_NAME_CHARS = 300


def make_query(
    schema: str,
    names: Sequence[str],
    birth_dates: Sequence[str] = (),
    nationalities: Sequence[str] = (),
    documents: Sequence[str] = (),
    gender: str | None = None,
    field: str = "query",
) -> ScreeningQuery:
    """Validate what a caller typed and return the query; raise InvalidInput naming the field.

    Names in any script are welcome; control, bidi and zero-width characters are refused (they can make
    one name look like another), as are impossible dates and country codes that are not ISO 3166-1.
    """
    if not names or len(names) > MAX_NAMES:
        raise InvalidInput.expected(f"{field}.name", f"1 to {MAX_NAMES} names", list(names))
    cleaned = tuple(
        clean_text(n, f"{field}.name[{i}]", max_chars=MAX_NAME_CHARS) for i, n in enumerate(names)
    )
    dates = tuple(
        check_partial_date(d.strip() if isinstance(d, str) else d, f"{field}.birthDate[{i}]")
        for i, d in enumerate(birth_dates)
    )
    countries = tuple(
        check_country(c.strip().upper() if isinstance(c, str) else c, f"{field}.nationality[{i}]")
        for i, c in enumerate(nationalities)
    )
    docs = tuple(clean_text(d, f"{field}.idNumber[{i}]", max_chars=100) for i, d in enumerate(documents))
    sex = None if gender is None else clean_text(gender, f"{field}.gender", max_chars=20).lower()
    return ScreeningQuery(EntitySchema.parse(schema, f"{field}.schema"), cleaned, dates, countries, docs, sex)


def _check(queries: Sequence[ScreeningQuery], threshold: float | None, limit: int) -> None:
    if not queries:
        raise InvalidInput.expected("queries", "at least one query", [])
    if len(queries) > MAX_QUERIES:
        raise PayloadTooLarge(
            f"'queries' must hold at most {MAX_QUERIES} (got {len(queries)})", field="queries"
        )
    if threshold is not None and not 0.0 < threshold <= 1.0:
        raise InvalidInput.expected("threshold", "a number in (0, 1]", threshold)
    if not 1 <= limit <= MAX_RESULTS:
        raise InvalidInput.expected("limit", f"an integer from 1 to {MAX_RESULTS}", limit)
