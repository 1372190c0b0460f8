"""Content: hashing files, adding content to banks, matching uploads against every bank.

A lookup is matched against every active or disputed content signal (`ContentIndexes`), visible to the
caller or not. Then, per DESIGN.md's hidden-hit rule:
- a hit on a signal the caller may see is returned with its signal, collection, kind, labels, distance or
  score and an explanation;
- a hit on a signal it may not see is dropped without a trace, unless the signal's collection says
  `hit_policy = notify`, in which case the caller learns only that a restricted signal matched and which
  organization to contact;
- either way, the owner gets a sighting.
The sightings of a lookup, the review cases its hits open or join and the `match.hit` webhook event are
written in one transaction (the `MatchObserver` seam runs inside it): a crash can neither lose the case
or the notification of a committed sighting, nor leave a case or a notification whose sighting rolled
back. A hit filed into a review case carries the case's id back to the caller that opened or joined it.
The work done for a lookup does not depend on whether its hits are visible: every hit is hydrated, sighted
and then filtered.

Adding content turns each item into signals (a file gives md5, sha256 and pdq, or md5, sha256 and video)
and adds them in one transaction; values already in the collection are reported, not added twice, so that
re-running a bank load is harmless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID, uuid4

from ctexchange.domain.access import can_see_signal
from ctexchange.domain.kinds import KindRegistry
from ctexchange.domain.roles import Action
from ctexchange.domain.sightings import Sighting
from ctexchange.domain.signals import BankPurpose, Collection, HitPolicy, JsonValue, Signal
from ctexchange.engines.content.media import MediaType, sniff
from ctexchange.engines.content.pdq import DEFAULT_DISTANCE, MIN_QUALITY, ImageHashes, hash_image
from ctexchange.engines.content.text import MAX_TEXT_CHARS
from ctexchange.engines.content.text_index import DEFAULT as DEFAULT_TEXT
from ctexchange.engines.content.text_index import TextMatch, TextMatchSettings, fingerprint
from ctexchange.engines.content.url import canonicalize_url
from ctexchange.engines.content.video import (
    VideoHashes,
    VideoMatch,
    format_vpdq,
    hash_video,
    is_video_match,
)
from ctexchange.errors import InvalidInput, PayloadTooLarge
from ctexchange.service.access import owned_signal, require, visible_collection
from ctexchange.service.audit import record_reads
from ctexchange.service.content_index import FRAME_BITS, MATCHABLE, ContentIndexes, unique_good_frames
from ctexchange.service.context import Caller, Clock
from ctexchange.service.reports import mask_sightings
from ctexchange.service.signals import NewSignal, SignalService
from ctexchange.store.protocol import Store, UnitOfWork

MAX_BATCH = 1000
BENIGN_NOTE = "the item matches known benign content (a negative bank): no hit is returned for it"
MAX_HITS = 100
PROBE_FIELDS = ("text", "url", "pdq", "md5", "sha256")


@dataclass(frozen=True)
class FileHashes:
    """Every fingerprint of one file."""

    media_type: str
    format: str
    md5: str
    sha256: str
    image: ImageHashes | None = None
    video: VideoHashes | None = None


@dataclass(frozen=True)
class ContentQuery:
    """One lookup: exactly one of a file's bytes or a `text`, `url`, `pdq`, `md5` or `sha256` value."""

    file: bytes | None = None
    text: str | None = None
    url: str | None = None
    pdq: str | None = None
    md5: str | None = None
    sha256: str | None = None
    id: str | None = None
    allow_low_quality: bool = False


@dataclass(frozen=True)
class ContentItem:
    """One item to add to a bank: a file, or one value (`text`, `url`, `pdq`, `md5`, `sha256`, `vpdq`)."""

    file: bytes | None = None
    values: dict[str, JsonValue] = field(default_factory=dict)
    labels: Sequence[str] = ()
    marking: str | None = None
    external_id: str | None = None
    allow_low_quality: bool = False


@dataclass(frozen=True)
class Probe:
    """One fingerprint of a lookup, looked up in the index of its kind."""

    kind: str
    value: str = ""
    quality: int | None = None
    variant: str = ""
    frames: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RawHit:
    """A hit before access rules: the label, how close, and why."""

    label: int
    kind: str
    match_type: str
    distance: float
    explanation: dict[str, Any]
    pairs: tuple[tuple[int, int, int], ...] = ()  # video: (query frame, bank frame label, distance)
    query_quality: int | None = None
    text_match: TextMatch | None = None


@dataclass(frozen=True)
class ContentHit:
    """A hit the caller may see; `case_id` is the review case the hit opened or joined, if any."""

    signal: Signal
    collection: Collection
    match_type: str
    distance: float
    explanation: dict[str, Any]
    case_id: UUID | None = None

    @property
    def measure(self) -> dict[str, int | float]:
        """`{"distance": bits}` for PDQ, else `{"score": x}` in [0, 1] (1 for exact hits)."""
        kind = self.signal.kind
        if kind == "pdq":
            return {"distance": int(self.distance)}
        if kind == "text":
            return {"score": float(self.explanation["score"])}
        if kind == "video":
            return {"score": round(float(self.explanation["query_match_pct"]) / 100.0, 4)}
        return {"score": 1.0}


@dataclass(frozen=True)
class RestrictedHit:
    """A hit the caller may not see, in a collection whose owner asks to be contacted."""

    owner: str
    kind: str


@dataclass(frozen=True)
class MatchOutcome:
    """What one lookup found, and what was computed from it."""

    id: str | None
    hashes: dict[str, JsonValue]
    hits: list[ContentHit]
    restricted: list[RestrictedHit]
    notes: list[str]

    @property
    def case_ids(self) -> list[UUID]:
        """The review cases this lookup's hits opened or joined, in the order of the hits."""
        return list(dict.fromkeys(h.case_id for h in self.hits if h.case_id is not None))


class MatchObserver(Protocol):
    """Told of every batch of lookups with hits, inside the transaction that writes their sightings
    (review cases and webhooks subscribe here)."""

    def matched(
        self, uow: UnitOfWork, caller: Caller, outcomes: Sequence[MatchOutcome]
    ) -> list[MatchOutcome]:
        """React to the visible hits of a batch of lookups made by `caller`, writing through `uow`;
        return the outcomes, with the hits' `case_id` set where a case now holds them."""
        ...


@dataclass(frozen=True)
class AddOutcome:
    """What adding one item did: the signals created and the kinds already present."""

    added: list[Signal]
    present: list[Signal]
    notes: list[str]
    hashes: dict[str, JsonValue]


class ContentService:
    """Hash files, add content to banks, match content."""

    def __init__(
        self,
        store: Store,
        kinds: KindRegistry,
        clock: Clock,
        signals: SignalService,
        index_dir: Path | None = None,
        store_id: str = "",
    ) -> None:
        self.store = store
        self.kinds = kinds
        self.clock = clock
        self.signals = signals
        self.indexes = ContentIndexes(index_dir, store_id)
        self.observer: MatchObserver | None = None

    # -- hashing -------------------------------------------------------------------------------------

    def hash_file(self, caller: Caller, data: bytes, field_name: str = "file") -> FileHashes:
        """Return every fingerprint of a file (digests always; PDQ for images; frame PDQ for videos)."""
        require(caller, Action.MATCH)
        return hash_file(data, field_name)

    # -- adding --------------------------------------------------------------------------------------

    def add(
        self, caller: Caller, collection_ref: str, items: Sequence[ContentItem], source: str = "api"
    ) -> list[AddOutcome]:
        """Add items to a collection of the caller's organization in one transaction.

        Errors name the item at fault as `items[i].field`.
        """
        require(caller, Action.WRITE_SIGNALS)
        if len(items) > MAX_BATCH:
            raise PayloadTooLarge(f"'items' must hold at most {MAX_BATCH} (got {len(items)})", field="items")
        planned = [self._plan(item, f"items[{i}]") for i, item in enumerate(items)]
        with self.store.snapshot() as uow:
            collection_id = visible_collection(uow, caller, collection_ref).id
            present = [_present(uow, collection_id, plan) for plan in planned]
        fresh = _unique_new(planned, present)
        new = [s for group in fresh for s in group]
        added = iter(self.signals.add_many(caller, collection_ref, new, source) if new else [])
        return [
            AddOutcome([next(added) for _ in group], found, plan.notes, plan.hashes)
            for group, found, plan in zip(fresh, present, planned, strict=True)
        ]

    def _plan(self, item: ContentItem, prefix: str) -> Plan:
        """Turn an item into the signals it makes (with their keys), notes and the hashes computed."""
        given = [name for name in (*PROBE_FIELDS, "vpdq") if name in item.values]
        if (item.file is None) == (not given) or len(given) > 1:
            expected = "exactly one of file, text, url, pdq, md5, sha256, vpdq"
            raise InvalidInput.expected(
                prefix, expected, sorted(item.values) + (["file"] if item.file else [])
            )
        if item.file is None:
            kind = "video" if given[0] == "vpdq" else given[0]
            value = {"md5": None, "frames": item.values["vpdq"]} if kind == "video" else item.values[kind]
            values: list[tuple[str, JsonValue]] = [(kind, value)]
            notes: list[str] = []
            hashes: dict[str, JsonValue] = {}
            field_of = {kind: f"{prefix}.{given[0]}"}
        else:
            found = hash_file(item.file, f"{prefix}.file")
            values, notes = _file_values(found, item.allow_low_quality)
            hashes, field_of = file_hashes_doc(found), {}
        signals = []
        for kind, value in values:
            key = self.kinds.get(kind).validate(value, field_of.get(kind, f"{prefix}.file")).key
            new = NewSignal(kind, value, tuple(item.labels), item.marking, item.external_id)
            signals.append((new, key))
        return Plan(signals, notes, hashes)

    # -- matching ------------------------------------------------------------------------------------

    def match(self, caller: Caller, query: ContentQuery) -> MatchOutcome:
        """Look one item up in every bank; return the hits the caller may see (best first)."""
        return self.match_many(caller, [query])[0]

    def warm(self) -> None:
        """Bring the content indexes up to date now (`warmup`), not at the first lookup."""
        self.indexes.refresh(self.store)

    def match_many(self, caller: Caller, queries: Sequence[ContentQuery]) -> list[MatchOutcome]:
        """Look items up; errors name the item at fault as `queries[i].field` when there are several."""
        require(caller, Action.MATCH)
        if not queries:
            raise InvalidInput.expected("queries", "at least one query", [])
        if len(queries) > MAX_BATCH:
            raise PayloadTooLarge(
                f"'queries' must hold at most {MAX_BATCH} (got {len(queries)})", field="queries"
            )
        single = len(queries) == 1
        prepared = [self._probes(q, "" if single else f"queries[{i}].") for i, q in enumerate(queries)]
        self.indexes.refresh(self.store)
        loosest = self._loosest()
        raw = [self._lookup(probes, loosest) for probes, _, _ in prepared]
        return self._resolve(caller, queries, prepared, raw)

    def _loosest(self) -> Loosest:
        """Return the loosest PDQ distance and text thresholds any collection uses.

        The indexes are asked with these; each hit is then held to its own collection's settings.
        """
        with self.store.snapshot() as uow:
            collections = uow.collections.visible(None)
        radius = max(
            [DEFAULT_DISTANCE, *(int(_setting(c, "pdq", "distance", DEFAULT_DISTANCE)) for c in collections)]
        )
        text = [TextMatchSettings.from_settings(c.kind_settings.get("text", {})) for c in collections]
        loosest_text = TextMatchSettings(
            min([DEFAULT_TEXT.min_similarity, *(t.min_similarity for t in text)]),
            min([DEFAULT_TEXT.min_containment, *(t.min_containment for t in text)]),
            min([DEFAULT_TEXT.min_quote_words, *(t.min_quote_words for t in text)]),
        )
        return Loosest(radius, loosest_text)

    def _resolve(
        self,
        caller: Caller,
        queries: Sequence[ContentQuery],
        prepared: list[tuple[list[Probe], dict[str, JsonValue], list[str]]],
        raw: list[list[RawHit]],
    ) -> list[MatchOutcome]:
        """Apply each collection's settings, negative banks, the caller's suppression list and the access
        rules; write the sightings and let the observer file cases and notify in the same transaction;
        audit the reads."""
        found = self._hydrate(caller, {hit.label for hits in raw for hit in hits})
        sightings: list[Sighting] = []
        outcomes = []
        for query, (probes, hashes, notes), hits in zip(queries, prepared, raw, strict=True):
            judged = [
                j for h in hits if (j := self._judge(h, found, probes, query.allow_low_quality)) is not None
            ]
            benign = [j for j in judged if j.collection.purpose is BankPurpose.NEGATIVE]
            if benign:
                judged, notes = benign, [*notes, BENIGN_NOTE]
            judged = [j for j in judged if j.signal.id not in found.suppressed]
            visible, restricted = [], []
            for hit in judged:
                is_visible = can_see_signal(caller.principal, hit.signal)
                sightings.append(self._sighting(caller, hit, is_visible))
                if is_visible and not benign:
                    visible.append(hit)
                elif not is_visible and hit.collection.hit_policy is HitPolicy.NOTIFY and not benign:
                    restricted.append(RestrictedHit(found.owners[hit.signal.org_id], hit.signal.kind))
            visible.sort(key=lambda h: (h.distance, str(h.signal.id)))
            outcomes.append(
                MatchOutcome(query.id, hashes, visible[:MAX_HITS], sorted(set(restricted), key=str), notes)
            )
        if sightings:
            with self.store.transaction() as uow:
                uow.sightings.add_many(sightings)
                if self.observer is not None:
                    outcomes = self.observer.matched(uow, caller, outcomes)
        record_reads(
            self.store, caller, self.clock, "content.match", [h.signal for o in outcomes for h in o.hits]
        )
        return outcomes

    def _hydrate(self, caller: Caller, labels: set[int]) -> Hydrated:
        with self.indexes.lock:
            found_refs = {label: self.indexes.ref(label) for label in labels}
            refs = {label: ref for label, ref in found_refs.items() if ref is not None}
            sizes = {label: len(self.indexes.video_frames.get(label, ())) for label in refs}
        with self.store.snapshot() as uow:
            signals = uow.signals.get_many([ref.signal_id for ref in refs.values()])
            collections = {
                cid: c
                for cid in {s.collection_id for s in signals.values()}
                if (c := uow.collections.get(cid)) is not None
            }
            owners = {
                oid: org.name
                for oid in {s.org_id for s in signals.values()}
                if (org := uow.members.org(oid)) is not None
            }
            suppressed = uow.signals.false_positives_of(caller.principal.org_id, list(signals))
        by_label = {label: signals[ref.signal_id] for label, ref in refs.items() if ref.signal_id in signals}
        return Hydrated(by_label, collections, owners, sizes, suppressed)

    def _judge(self, hit: RawHit, found: Hydrated, probes: list[Probe], allow_low: bool) -> ContentHit | None:
        """Return the hit as the caller's result if it passes its collection's settings, else None."""
        signal = found.signals.get(hit.label)
        collection = None if signal is None else found.collections.get(signal.collection_id)
        if signal is None or collection is None or signal.status not in MATCHABLE:
            return None
        if hit.kind == "pdq":
            return _judge_pdq(hit, signal, collection, allow_low)
        if hit.kind == "text":
            return _judge_text(hit, signal, collection)
        if hit.kind == "video":
            query_frames = next((len(p.frames) for p in probes if p.kind == "video"), 0)
            return _judge_video(hit, signal, collection, query_frames, found.video_sizes.get(hit.label, 0))
        return ContentHit(signal, collection, hit.match_type, hit.distance, hit.explanation)

    def _sighting(self, caller: Caller, hit: ContentHit, is_visible: bool) -> Sighting:
        return Sighting(
            uuid4(),
            hit.signal.id,
            hit.signal.org_id,
            caller.principal.org_id,
            caller.principal.actor,
            hit.signal.kind,
            hit.match_type,
            hit.distance,
            is_visible,
            caller.request_id,
            self.clock(),
        )

    def _probes(
        self, query: ContentQuery, prefix: str
    ) -> tuple[list[Probe], dict[str, JsonValue], list[str]]:
        given = [name for name in PROBE_FIELDS if getattr(query, name) is not None]
        if (query.file is None) == (not given) or len(given) > 1:
            raise InvalidInput.expected(
                prefix + "query", "exactly one of file, text, url, pdq, md5, sha256", given
            )
        if query.file is not None:
            return _file_probes(hash_file(query.file, prefix + "file"), query.allow_low_quality)
        name = given[0]
        raw = getattr(query, name)
        if name == "text":
            if not isinstance(raw, str) or len(raw) > MAX_TEXT_CHARS:
                raise InvalidInput.expected(
                    prefix + "text", f"text of at most {MAX_TEXT_CHARS:,} characters", _size(raw)
                )
            self.kinds.get("text").validate(raw, prefix + "text")
            return [Probe("text", raw)], {}, []
        if name == "url":
            canonical = canonicalize_url(raw, prefix + "url")
            return [Probe("url", canonical.url)], {"url": canonical.url}, []
        value = self.kinds.get(name).validate(raw, prefix + name).key
        return [Probe(name, value)], {name: value}, []

    def _lookup(self, probes: list[Probe], loosest: Loosest) -> list[RawHit]:
        with self.indexes.lock:
            hits = [hit for probe in probes for hit in self._lookup_one(probe, loosest)]
        best: dict[int, RawHit] = {}
        for hit in hits:
            if hit.label not in best or hit.distance < best[hit.label].distance:
                best[hit.label] = hit
        return sorted(best.values(), key=lambda h: (h.distance, h.label))

    def _lookup_one(self, probe: Probe, loosest: Loosest) -> list[RawHit]:
        idx = self.indexes
        if probe.kind in ("md5", "sha256"):
            labels = sorted(idx.exact[probe.kind].get(probe.value, ()))
            return [RawHit(label, probe.kind, "exact", 0, {"digest": probe.kind}) for label in labels]
        if probe.kind == "pdq":
            return [
                RawHit(
                    label, "pdq", "perceptual", d, {"distance": d, "hash": probe.variant}, (), probe.quality
                )
                for label, d in idx.pdq.query(probe.value, loosest.pdq_distance)
            ]
        if probe.kind == "video":
            return self._lookup_video(probe.frames)
        if probe.kind == "text":
            return [
                RawHit(
                    label, "text", m.match_type, round(1.0 - m.score, 6), _text_explanation(m), text_match=m
                )
                for label, m in idx.text.query(fingerprint(probe.value), loosest.text, limit=MAX_HITS)
            ]
        found = idx.url.query(canonicalize_url(probe.value))
        return [
            RawHit(h.label, "url", h.level.value, float(rank), {"level": h.level.value, "rule": h.rule})
            for rank, h in enumerate(found)
        ]

    def _lookup_video(self, frames: dict[str, int]) -> list[RawHit]:
        """Find the bank videos sharing frames with the query; keep every frame pair for the verdict."""
        hashes = list(frames)
        pairs: dict[int, list[tuple[int, int, int]]] = {}
        for pdq, found in zip(hashes, self.indexes.frames.query_many(hashes, DEFAULT_DISTANCE), strict=True):
            for frame_label, d in found:
                pairs.setdefault(frame_label >> FRAME_BITS, []).append((frames[pdq], frame_label, d))
        return [
            RawHit(label, "video", "video", 0.0, {"query_frames": len(frames)}, tuple(found))
            for label, found in sorted(pairs.items())
        ]

    # -- sightings -----------------------------------------------------------------------------------

    def sightings(self, caller: Caller, signal_ref: str | None = None, limit: int = 100) -> list[Sighting]:
        """Return the newest sightings of the caller's organization's signals (owners only); the
        organizations that matched signals of an `anonymised` bank are shown by pseudonym."""
        require(caller, Action.READ_SIGNALS)
        if not 1 <= limit <= 1000:
            raise InvalidInput.expected("limit", "an integer from 1 to 1000", limit)
        with self.store.snapshot() as uow:
            signal_id = None if signal_ref is None else owned_signal(uow, caller, signal_ref).id
            found = uow.sightings.of_owner(caller.principal.org_id, signal_id, None, limit)
            return mask_sightings(uow, found)

    def save_indexes(self) -> None:
        """Persist the content indexes (after a bulk load, and when a server stops)."""
        self.indexes.save()


@dataclass(frozen=True)
class Plan:
    """The signals one item makes, each with its exact key; notes for the caller; hashes computed."""

    signals: list[tuple[NewSignal, str]]
    notes: list[str]
    hashes: dict[str, JsonValue]


def _present(uow: UnitOfWork, collection_id: UUID, plan: Plan) -> list[Signal]:
    """Return the signals of the plan that the collection holds already."""
    found = (uow.signals.by_key(collection_id, new.kind, key) for new, key in plan.signals)
    return [s for s in found if s is not None]


@dataclass(frozen=True)
class Loosest:
    """The loosest settings any collection uses, for asking the indexes."""

    pdq_distance: int
    text: TextMatchSettings


@dataclass(frozen=True)
class Hydrated:
    """The signals, collections and owner names behind a set of hit labels."""

    signals: dict[int, Signal]
    collections: dict[UUID, Collection]
    owners: dict[UUID, str]
    video_sizes: dict[int, int]
    suppressed: set[UUID]


def _setting(collection: Collection, kind: str, name: str, default: Any) -> Any:
    return collection.kind_settings.get(kind, {}).get(name, default)


def _judge_pdq(hit: RawHit, signal: Signal, collection: Collection, allow_low: bool) -> ContentHit | None:
    limit = int(_setting(collection, "pdq", "distance", DEFAULT_DISTANCE))
    min_quality = int(_setting(collection, "pdq", "min_quality", MIN_QUALITY))
    quality = MIN_QUALITY if hit.query_quality is None else hit.query_quality
    if hit.distance > limit or (quality < min_quality and not allow_low):
        return None
    explanation = {**hit.explanation, "threshold": limit, "query_quality": hit.query_quality}
    return ContentHit(signal, collection, hit.match_type, hit.distance, explanation)


def _judge_text(hit: RawHit, signal: Signal, collection: Collection) -> ContentHit | None:
    """Judge a text hit found with the loosest thresholds again, exactly, with its collection's own."""
    settings = TextMatchSettings.from_settings(collection.kind_settings.get("text", {}))
    match = None if hit.text_match is None else hit.text_match.under(settings)
    if match is None:
        return None
    return ContentHit(
        signal, collection, match.match_type, round(1.0 - match.score, 6), _text_explanation(match)
    )


def _judge_video(
    hit: RawHit, signal: Signal, collection: Collection, query_frames: int, bank_frames: int
) -> ContentHit | None:
    """Apply vPDQ's verdict with the collection's settings to the frame pairs the index found."""
    limit = int(_setting(collection, "video", "distance", DEFAULT_DISTANCE))
    close = [(q, b) for q, b, d in hit.pairs if d <= limit]
    match = VideoMatch(
        100.0 * len({q for q, _ in close}) / max(query_frames, 1),
        100.0 * len({b for _, b in close}) / max(bank_frames, 1),
        len({q for q, _ in close}),
        len({b for _, b in close}),
    )
    query_pct = float(_setting(collection, "video", "query_match_pct", 80.0))
    index_pct = float(_setting(collection, "video", "index_match_pct", 0.0))
    if not close or not is_video_match(match, query_pct, index_pct):
        return None
    explanation = {
        "query_match_pct": round(match.query_match_pct, 2),
        "index_match_pct": round(match.index_match_pct, 2),
        "matched_query_frames": match.matched_query_frames,
        "matched_index_frames": match.matched_index_frames,
        "query_frames": query_frames,
        "index_frames": bank_frames,
        "distance": limit,
        "thresholds": {"query_match_pct": query_pct, "index_match_pct": index_pct},
    }
    return ContentHit(signal, collection, "video", round(100.0 - match.query_match_pct, 4), explanation)


def _text_explanation(match: TextMatch) -> dict[str, Any]:
    return {
        "match_type": match.match_type,
        "score": round(match.score, 4),
        "overlap_words": match.overlap_words,
        "query_coverage": round(match.query_coverage, 4),
        "document_coverage": round(match.document_coverage, 4),
    }


def hash_file(data: bytes, field_name: str = "file") -> FileHashes:
    """Return every fingerprint of a file; refuse empty, corrupt, hostile or oversized media."""
    sniffed = sniff(data, field_name)
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    sha256 = hashlib.sha256(data).hexdigest()
    image = hash_image(data, field_name) if sniffed.media_type is MediaType.IMAGE else None
    video = hash_video(data, field=field_name) if sniffed.media_type is MediaType.VIDEO else None
    return FileHashes(sniffed.media_type.value, sniffed.format, md5, sha256, image, video)


def file_hashes_doc(hashes: FileHashes) -> dict[str, JsonValue]:
    """Render a file's fingerprints as `ctx hash --json` and `POST /v1/hash` print them."""
    doc: dict[str, JsonValue] = {
        "media_type": hashes.media_type,
        "format": hashes.format,
        "md5": hashes.md5,
        "sha256": hashes.sha256,
        "pdq": None if hashes.image is None else hashes.image.pdq.hex,
        "pdq_quality": None if hashes.image is None else hashes.image.pdq.quality,
    }
    if hashes.image is not None and hashes.image.raw_pdq is not None:
        doc["raw_pdq"] = hashes.image.raw_pdq.hex
        doc["raw_pdq_quality"] = hashes.image.raw_pdq.quality
    if hashes.image is not None and len(hashes.image.frames) > 1:
        doc["animation_frames"] = [f.hex for f in hashes.image.frames]
    if hashes.video is not None:
        doc["frames"] = list(format_vpdq(hashes.video.frames))
        doc["duration_s"] = round(hashes.video.duration_s, 3)
    return doc


def _low_quality_note(quality: int) -> str:
    return (
        f"the PDQ quality is {quality}, below {MIN_QUALITY}: PDQ was not used"
        " (allow_low_quality uses it anyway)"
    )


def _file_values(hashes: FileHashes, allow_low: bool) -> tuple[list[tuple[str, JsonValue]], list[str]]:
    """Return the signals a file makes in a bank (kind, value) and notes on what was left out."""
    values: list[tuple[str, JsonValue]] = [("md5", hashes.md5), ("sha256", hashes.sha256)]
    notes: list[str] = []
    if hashes.image is not None:
        image = hashes.image
        if image.pdq.quality >= MIN_QUALITY or allow_low:
            values.append(("pdq", image.pdq.hex))
            if image.raw_pdq is not None and image.raw_pdq.hex != image.pdq.hex:
                values.append(("pdq", image.raw_pdq.hex))
        else:
            notes.append(_low_quality_note(image.pdq.quality))
    if hashes.video is not None:
        values.append(("video", {"md5": hashes.md5, "frames": list(format_vpdq(hashes.video.frames))}))
    return values, notes


def _file_probes(hashes: FileHashes, allow_low: bool) -> tuple[list[Probe], dict[str, JsonValue], list[str]]:
    """Return the lookups a file makes: its digests and its perceptual hashes of usable quality."""
    probes = [Probe("md5", hashes.md5), Probe("sha256", hashes.sha256)]
    notes: list[str] = []
    if hashes.image is not None:
        image = hashes.image
        variants = [("pdq", image.pdq)]
        if image.raw_pdq is not None:
            variants.append(("raw_pdq", image.raw_pdq))
        variants += [(f"frame_{i}", f) for i, f in enumerate(image.frames[1:], start=1)]
        usable = [(name, h) for name, h in variants if h.quality >= MIN_QUALITY or allow_low]
        probes += [Probe("pdq", h.hex, h.quality, name) for name, h in usable]
        if not usable:
            notes.append(_low_quality_note(image.pdq.quality))
    if hashes.video is not None:
        frames = unique_good_frames(hashes.video.frames)
        probes.append(Probe("video", frames=frames))
        if not frames:
            notes.append("no frame of the video has a PDQ quality of 50 or more: only its digests were used")
    return probes, file_hashes_doc(hashes), notes


def _unique_new(planned: list[Plan], present: list[list[Signal]]) -> list[list[NewSignal]]:
    """Drop the values a collection holds already, and repeats within the same request."""
    seen = {(s.kind, s.value_key) for group in present for s in group}
    fresh = []
    for plan in planned:
        group = []
        for new, key in plan.signals:
            if (new.kind, key) not in seen:
                seen.add((new.kind, key))
                group.append(new)
        fresh.append(group)
    return fresh


def _size(value: object) -> str:
    return f"{len(value):,} characters" if isinstance(value, str) else f"a {type(value).__name__}"
