"""STIX 2.1 export and import of signals, and the use cases behind the TAXII 2.1 server.

Export (`StixService.export`) streams what `SignalService.export` lets leave for the caller (AMBER+STRICT
and RED only to their owner), collection by collection, each signal preceded the first time by its
owner's identity and its TLP 2.0 marking definition, then the `indicates` relationships whose two ends
are both in the export (a file stands alone). Sightings are added only when asked (`with_sightings`) and
only for the caller's own signals: they say which organization matched what, which an export file must
not carry by default.

Requests for assistance and alerts (`with_requests`, `with_alerts`) are added after the signals, for
the ones the caller's organization is a party to (requester or requested; issuer or recipient), read
through the request and alert services so that their masking, redaction and read audit apply, and only
when their marking may leave (CLEAR, GREEN, AMBER): the `ctexchange-request` and `ctexchange-alert`
SDOs of `ctexchange.interop.stix_workflows`, each type preceded once by its extension definition.

Import (`StixService.import_document`) reads a whole bundle (refused with a precise error before anything
is stored), then in one transaction: every draft is validated by its kind exactly as the REST API
validates a signal, added with the audit event `signal.create` (provenance source `stix` or `taxii`,
source_ref the STIX id) and moved to its status when that is not `active`; a value the collection holds
already is `unchanged`, unless it came from the same STIX object, whose new status (and, for entities,
new value) is applied: a re-import is idempotent and a later version updates. Objects that are not
signals are reported, never dropped silently; requests and alerts received are reported as skipped
(they are records between their parties, which are organizations of one exchange).

TAXII (`TaxiiService`): one TAXII collection per collection the caller may see; reading objects is an
export (role `signals.export`) and never serves AMBER+STRICT or RED, not even to the owner, because a TAXII
feed is how instances forward to each other. A collection's objects are its fixed context objects
(identities, our extension, the TLP definitions that may leave) dated at the collection's creation, then
its signals by date added (their last change), each in the versions `match[version]` asks for; pages end
at a position inside that order (`next`, opaque). A POST imports the envelope into the collection (owner
only) through the import above and stores a status resource in the same transaction; an envelope refused
as a whole is stored as a status whose every object failed, naming the reason.

The names imported `as` themselves (`STIX_MEDIA_TYPE`, `stix_time`, `new_bundle_id`, `TaxiiStatus`,
`StatusDetail`) are re-exported for the adapters, which import neither interop nor the store.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from ctexchange.domain.choices import Choice
from ctexchange.domain.entities import EntityRecord
from ctexchange.domain.kinds import KindRegistry, KindValue
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Organization
from ctexchange.domain.queries import PageRequest, SignalQuery
from ctexchange.domain.requests import AssistanceRequest, RequestQuery
from ctexchange.domain.roles import Action, is_allowed
from ctexchange.domain.signals import (
    STATUS_MOVES,
    Collection,
    Family,
    Provenance,
    Signal,
    SignalStatus,
    SignalVersion,
    check_status_move,
)
from ctexchange.domain.text import clean_name, clean_text
from ctexchange.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from ctexchange.interop.ftm import ftm_entities, ftm_party_id
from ctexchange.interop.stix import STIX_MEDIA_TYPE as STIX_MEDIA_TYPE
from ctexchange.interop.stix import (
    STIX_TYPE,
    ParsedStix,
    SignalDraft,
    exchange_identity,
    extension_definition,
    links,
    marking_definition,
    organization_identity,
    parse_objects,
    parse_stix_time,
    read_stix_document,
    relationship,
    sighting_object,
    signal_id_of,
    signal_object,
)
from ctexchange.interop.stix import new_bundle_id as new_bundle_id
from ctexchange.interop.stix import stix_time as stix_time
from ctexchange.interop.stix_workflows import (
    alert_extension_definition,
    alert_object,
    request_extension_definition,
    request_object,
)
from ctexchange.service.access import audience, owned_collection, parse_id, require, visible_collection
from ctexchange.service.alerts import AlertService, AlertView
from ctexchange.service.audit import record, record_reads
from ctexchange.service.context import Caller, Clock
from ctexchange.service.reports import mask_sightings
from ctexchange.service.requests import RequestService
from ctexchange.service.signals import SignalService, clean_labels
from ctexchange.store.protocol import Store, UnitOfWork
from ctexchange.store.taxii import StatusDetail as StatusDetail
from ctexchange.store.taxii import TaxiiQuery, TaxiiState
from ctexchange.store.taxii import TaxiiStatus as TaxiiStatus

DEFAULT_COLLECTION = "stix-import"
DEFAULT_FTM_DATASET = "ctexchange"
_DATASET_NAME = re.compile(r"^[a-z0-9_]{1,64}$")
MAX_SIGHTINGS_PER_SIGNAL = 1000
MAX_MATCH_VALUES = 100
TAXII_MARKINGS = frozenset({Marking.CLEAR, Marking.GREEN, Marking.AMBER})
VERSION_WORDS = frozenset({"first", "last", "all"})


class Outcome(Choice):
    """What an import did with one object."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CONTEXT = "context"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ObjectOutcome:
    """One object of an imported document: what happened to it, and why."""

    index: int
    stix_id: str
    stix_type: str
    version: str
    outcome: Outcome
    message: str
    signal_id: UUID | None = None


@dataclass(frozen=True)
class StixImportReport:
    """What an import did, object by object."""

    collection: str
    collection_id: UUID
    objects: tuple[ObjectOutcome, ...]

    def count(self, outcome: Outcome) -> int:
        """How many objects had this outcome."""
        return sum(1 for o in self.objects if o.outcome is outcome)

    @property
    def counts(self) -> dict[str, int]:
        """The number of objects per outcome."""
        return {o.value: self.count(o) for o in Outcome}


class StixService:
    """Export signals as a STIX 2.1 bundle; import a bundle into a collection."""

    def __init__(
        self,
        store: Store,
        kinds: KindRegistry,
        clock: Clock,
        signals: SignalService,
        page_default: int,
        page_max: int,
    ) -> None:
        self.store = store
        self.kinds = kinds
        self.clock = clock
        self.signals = signals
        self.taxii = TaxiiService(self, page_default, page_max)

    def export(
        self,
        caller: Caller,
        collections: Sequence[str] = (),
        with_sightings: bool = False,
        *,
        with_requests: bool = False,
        with_alerts: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Return an iterator over the objects of a bundle of what may leave for the caller.

        `collections` (ids, `ORG/NAME` or NAME) limit it; none means every visible collection. The role
        and the collections are checked now, so errors come before the first object. `with_requests`
        and `with_alerts` add the requests for assistance and alerts the caller's organization is a
        party to (CLEAR, GREEN and AMBER only), as the `ctexchange-request` and `ctexchange-alert` SDOs.
        """
        require(caller, Action.EXPORT_SIGNALS)
        with self.store.snapshot() as uow:
            ids = list(dict.fromkeys(visible_collection(uow, caller, ref).id for ref in collections))
            orgs = {o.id: o for o in uow.members.orgs()}
        export = _Export(self, caller, orgs, with_sightings)
        signals = export.objects(ids or [None])
        if not (with_requests or with_alerts):
            return signals
        return itertools.chain(signals, export.workflows(with_requests, with_alerts))

    def export_ftm(
        self, caller: Caller, collections: Sequence[str] = (), dataset: str = DEFAULT_FTM_DATASET
    ) -> Iterator[dict[str, Any]]:
        """Return an iterator over FollowTheMoney entities of the active and disputed designated entities
        that may leave for the caller (every visible collection, or those named): a party and its
        Sanction each. The role, the collections and the dataset name are checked now."""
        require(caller, Action.EXPORT_SIGNALS)
        if not isinstance(dataset, str) or not _DATASET_NAME.match(dataset):
            raise InvalidInput.expected("dataset", "lowercase letters, digits and _ (up to 64)", dataset)
        with self.store.snapshot() as uow:
            ids = list(dict.fromkeys(visible_collection(uow, caller, ref).id for ref in collections))
        return self._ftm(caller, ids or [None], dataset)

    def _ftm(
        self, caller: Caller, collection_ids: Sequence[UUID | None], dataset: str
    ) -> Iterator[dict[str, Any]]:
        used: set[str] = set()
        for collection_id in collection_ids:
            for status in (SignalStatus.ACTIVE, SignalStatus.DISPUTED):
                query = SignalQuery(collection_id=collection_id, family=Family.ENTITY, status=status)
                for signal in self.signals.export(caller, query):
                    record = EntityRecord.from_json(signal.value)
                    party_id = ftm_party_id(record.listing.reference, str(signal.id), used)
                    yield from ftm_entities(
                        record, party_id, dataset, stix_time(signal.created_at), stix_time(signal.updated_at)
                    )

    def import_document(
        self, caller: Caller, data: bytes, collection: str | None = None, source: str = "stix"
    ) -> StixImportReport:
        """Import a STIX 2.1 bundle (or TAXII envelope) into a collection of the caller's organization.

        The collection is named by `collection` (created, marking AMBER, when the organization has none of
        that name; default `stix-import`). Everything is validated before the store is touched, and
        applied in one transaction: all of it or none.
        """
        require(caller, Action.WRITE_SIGNALS)
        parsed = parse_objects(read_stix_document(data))
        name = clean_name(collection or DEFAULT_COLLECTION, "collection")
        with self.store.transaction() as uow:
            target = self._own_or_new(uow, caller, name)
            return self.import_parsed(uow, caller, target, parsed, source)

    def import_parsed(
        self, uow: UnitOfWork, caller: Caller, target: Collection, parsed: ParsedStix, source: str
    ) -> StixImportReport:
        """Apply parsed objects to `target` inside the caller's transaction, audited as `import.stix`."""
        report = _Import(self, uow, caller, target, source).run(parsed)
        record(
            uow,
            caller,
            self.clock,
            "import.stix",
            ("collection", target.id, target.org_id),
            {"source": source, **report.counts},
        )
        return report

    def _own_or_new(self, uow: UnitOfWork, caller: Caller, name: str) -> Collection:
        existing = uow.collections.by_name(caller.principal.org_id, name)
        if existing is not None:
            return existing
        require(caller, Action.WRITE_COLLECTIONS)
        created = Collection(
            uuid4(),
            name,
            caller.principal.org_id,
            Marking.AMBER,
            None,
            "signals imported from STIX",
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
            {"name": name, "marking": created.default_marking.value},
        )
        return created


class _Export:
    """One export: the objects of a bundle, each supporting object once, relationships at the end."""

    def __init__(
        self, service: StixService, caller: Caller, orgs: dict[UUID, Organization], with_sightings: bool
    ):
        self.service, self.caller, self.orgs, self.with_sightings = service, caller, orgs, with_sightings
        self.emitted: set[str] = set()
        self.linkable: list[Signal] = []

    def objects(self, collection_ids: Sequence[UUID | None]) -> Iterator[dict[str, Any]]:
        yield exchange_identity()
        yield extension_definition()
        for collection_id in collection_ids:
            for signal in self.service.signals.export(self.caller, SignalQuery(collection_id=collection_id)):
                yield from self._supporting(signal.org_id, signal.marking)
                yield signal_object(signal)
                if signal.family is Family.ENTITY or any(":" in label for label in signal.labels):
                    self.linkable.append(signal)
                if self.with_sightings and signal.org_id == self.caller.principal.org_id:
                    yield from self._sightings(signal)
        for content, entity in links(self.linkable):
            yield relationship(content, entity)

    def workflows(self, with_requests: bool, with_alerts: bool) -> Iterator[dict[str, Any]]:
        """The requests and alerts the caller's organization is a party to, each preceded by the
        extension definition of its type and the identities and markings it needs."""
        service, caller, own = self.service, self.caller, self.caller.principal.org_id
        page_max = service.taxii.page_max
        if with_requests:
            requests = RequestService(service.store, service.clock, page_max, page_max)
            for request in _all_requests(requests, caller):
                if request.side_of(own) is None or request.confidentiality not in TAXII_MARKINGS:
                    continue
                yield from self._once(request_extension_definition())
                for org_id in (request.requesting_org_id, request.requested_org_id):
                    yield from self._supporting(org_id, request.confidentiality)
                yield request_object(request)
        if with_alerts:
            alerts = AlertService(service.store, service.clock, page_max, page_max)
            for view in _all_alerts(alerts, caller):
                alert = view.alert
                is_party = view.is_issuer or view.my_state is not None
                if not is_party or alert.marking not in TAXII_MARKINGS:
                    continue
                yield from self._once(alert_extension_definition())
                for org_id in sorted({alert.org_id, *alert.recipient_org_ids}, key=str):
                    yield from self._supporting(org_id, alert.marking)
                yield alert_object(alert, view.state.value)

    def _once(self, obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if obj["id"] not in self.emitted:
            self.emitted.add(obj["id"])
            yield obj

    def _supporting(self, org_id: UUID, marking: Marking) -> Iterator[dict[str, Any]]:
        org = self.orgs.get(org_id)
        for obj in (None if org is None else organization_identity(org), marking_definition(marking)):
            if obj is not None and obj["id"] not in self.emitted:
                self.emitted.add(obj["id"])
                yield obj

    def _sightings(self, signal: Signal) -> Iterator[dict[str, Any]]:
        with self.service.store.snapshot() as uow:
            # Anonymised banks name no matching organization, in an export as anywhere else.
            found = mask_sightings(
                uow, uow.sightings.of_owner(signal.org_id, signal.id, None, MAX_SIGHTINGS_PER_SIGNAL)
            )
        for sighting in found:
            yield from self._supporting(sighting.org_id, signal.marking)
            yield sighting_object(sighting, signal)


def _all_requests(service: RequestService, caller: Caller) -> Iterator[AssistanceRequest]:
    """Every request the caller may see, through the request service (masking and read audit)."""
    page = service.page_request(None, None)
    while True:
        found = service.find(caller, RequestQuery(), page)
        yield from found.items
        if found.next_after is None:
            return
        page = PageRequest(page.limit, found.next_after)


def _all_alerts(service: AlertService, caller: Caller) -> Iterator[AlertView]:
    """Every alert the caller may see, through the alert service (redaction and read audit)."""
    cursor = None
    while True:
        found = service.find(caller, limit=service.page_max, cursor=cursor)
        yield from found.items
        if found.next_cursor is None:
            return
        cursor = found.next_cursor


class _Import:
    """One import's drafts checked against the kinds and the collection, and the writes they imply."""

    def __init__(
        self, service: StixService, uow: UnitOfWork, caller: Caller, target: Collection, source: str
    ):
        self.kinds, self.clock = service.kinds, service.clock
        self.uow, self.caller, self.target, self.source = uow, caller, target, source
        self.seen: dict[tuple[str, str], int] = {}

    def run(self, parsed: ParsedStix) -> StixImportReport:
        outcomes = [
            *(
                ObjectOutcome(c.index, c.stix_id, c.stix_type, c.version, Outcome.CONTEXT, c.note)
                for c in parsed.context
            ),
            *(
                ObjectOutcome(u.index, u.stix_id, u.stix_type, u.version, Outcome.SKIPPED, u.reason)
                for u in parsed.unmapped
            ),
            *(self._draft(d) for d in parsed.drafts),
        ]
        return StixImportReport(
            self.target.name, self.target.id, tuple(sorted(outcomes, key=lambda o: o.index))
        )

    def _outcome(
        self, draft: SignalDraft, outcome: Outcome, message: str, signal_id: UUID | None
    ) -> ObjectOutcome:
        return ObjectOutcome(
            draft.index, draft.stix_id, draft.stix_type, draft.version, outcome, message, signal_id
        )

    def _draft(self, draft: SignalDraft) -> ObjectOutcome:
        if draft.kind not in self.kinds:
            return self._outcome(
                draft, Outcome.SKIPPED, f"kind {draft.kind!r} is not one this exchange matches", None
            )
        kind = self.kinds.get(draft.kind)
        if kind.family is not draft.family:
            raise InvalidInput.expected(
                f"{draft.field}.ctexchange.kind",
                f"a kind of the {draft.family.value} family for a {draft.stix_type}",
                draft.kind,
            )
        checked = kind.validate(draft.value, draft.value_field)
        if len(checked.key) > 512:
            raise PayloadTooLarge(
                f"'{draft.value_field}' has a key over 512 characters", field=draft.value_field
            )
        first = self.seen.setdefault((kind.name, checked.key), draft.index)
        if first != draft.index:
            return self._outcome(draft, Outcome.UNCHANGED, f"the same value as objects[{first}]", None)
        existing = self.uow.signals.by_key(self.target.id, kind.name, checked.key)
        if existing is not None:
            return self._update(draft, existing, checked)
        return self._add(draft, kind.family, kind.name, checked)

    def _add(self, draft: SignalDraft, family: Family, kind: str, checked: KindValue) -> ObjectOutcome:
        now = self.clock()
        external = draft.external_id
        if external is not None:
            external = clean_text(external, f"{draft.field}.external_id", max_chars=200)
        signal = Signal(
            uuid4(),
            self.target.id,
            self.target.org_id,
            family,
            kind,
            checked.value,
            checked.key,
            clean_labels(draft.labels, f"{draft.field}.labels"),
            draft.marking or self.target.default_marking,
            self.target.sharing_group_id,
            SignalStatus.ACTIVE,
            Provenance(self.caller.principal.actor, self.source, draft.stix_id),
            now,
            now,
            external,
        )
        self.uow.signals.add(signal)
        record(
            self.uow,
            self.caller,
            self.clock,
            "signal.create",
            ("signal", signal.id, signal.org_id),
            {
                "collection_id": str(self.target.id),
                "kind": kind,
                "marking": signal.marking.value,
                "stix_id": draft.stix_id,
            },
        )
        self._move(signal, draft.status)
        return self._outcome(draft, Outcome.ADDED, f"added as a {kind} signal", signal.id)

    def _update(self, draft: SignalDraft, existing: Signal, checked: KindValue) -> ObjectOutcome:
        if existing.provenance.source_ref != draft.stix_id:
            return self._outcome(
                draft, Outcome.UNCHANGED, "the collection holds this value already", existing.id
            )
        changed = []
        if existing.family is Family.ENTITY and existing.value != checked.value:
            self.uow.signals.replace_value(existing.id, checked.value, self.clock())
            record(
                self.uow,
                self.caller,
                self.clock,
                "signal.update",
                ("signal", existing.id, existing.org_id),
                {"stix_id": draft.stix_id},
            )
            changed.append("value")
        if existing.status is not draft.status:
            self._move(existing, draft.status)
            changed.append(f"status {draft.status.value}")
        if not changed:
            return self._outcome(
                draft, Outcome.UNCHANGED, "imported from this object before; nothing changed", existing.id
            )
        return self._outcome(draft, Outcome.UPDATED, "updated: " + ", ".join(changed), existing.id)

    def _move(self, signal: Signal, target: SignalStatus) -> None:
        """Move a signal to `target` by legal moves (through `active` when there is no direct one)."""
        current = signal.status
        if target is current:
            return
        path = [target] if target in STATUS_MOVES[current] else [SignalStatus.ACTIVE, target]
        for step in path:
            check_status_move(current, step)
            self.uow.signals.set_status(signal.id, step, self.clock())
            record(
                self.uow,
                self.caller,
                self.clock,
                "signal.status",
                ("signal", signal.id, signal.org_id),
                {"from": current.value, "to": step.value, "reason": f"imported from {self.source.upper()}"},
            )
            current = step


# TAXII -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxiiCollection:
    """A collection as a TAXII collection resource sees it."""

    collection: Collection
    owner_name: str
    can_read: bool
    can_write: bool


@dataclass(frozen=True)
class TaxiiFilter:
    """The filters of a TAXII read: `added_after` and the `match[...]` parameters, already split."""

    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaxiiEntry:
    """One object version in a TAXII answer, with its date added."""

    obj: dict[str, Any]
    date_added: datetime
    version: str


@dataclass(frozen=True)
class TaxiiPage:
    """One page of a TAXII answer: entries in date-added order, and where the next page starts."""

    entries: tuple[TaxiiEntry, ...]
    more: bool
    next: str | None


@dataclass(frozen=True)
class Position:
    """Where a page ended: a context object (`index`), or a signal and how many of its versions were sent."""

    is_context: bool
    index: int = 0
    at: datetime | None = None
    signal_id: UUID | None = None
    sent: int = 0


def encode_next(position: Position) -> str:
    """Return the opaque `next` text of a position in a collection's object order."""
    if position.is_context:
        plain: list[Any] = ["c", position.index]
    else:
        plain = [
            "s",
            None if position.at is None else position.at.isoformat(),
            str(position.signal_id),
            position.sent,
        ]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode("ascii").rstrip("=")


def decode_next(text: str | None) -> Position | None:
    """Return the position a `next` text names; InvalidInput for one this server did not issue."""
    if not text:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if plain[0] == "c" and len(plain) == 2 and isinstance(plain[1], int):
            return Position(True, index=plain[1])
        if plain[0] == "s" and len(plain) == 4 and isinstance(plain[3], int):
            return Position(
                False, at=parse_stix_time(plain[1], "next"), signal_id=UUID(plain[2]), sent=plain[3]
            )
    except (ValueError, TypeError, IndexError, KeyError, binascii.Error, InvalidInput):
        pass
    raise InvalidInput.expected("next", "the 'next' value of a previous page", text)


def parse_filter(
    added_after: str | None,
    ids: Sequence[str],
    types: Sequence[str],
    versions: Sequence[str],
    specs: Sequence[str],
) -> TaxiiFilter:
    """Return the filter of TAXII query values (each list item may hold comma-separated values)."""
    return TaxiiFilter(
        added_after=None if added_after is None else parse_stix_time(added_after, "added_after"),
        ids=_split(ids, "match[id]"),
        types=_split(types, "match[type]"),
        versions=_check_versions(_split(versions, "match[version]")) or ("last",),
        spec_versions=_split(specs, "match[spec_version]"),
    )


def _split(values: Sequence[str], field: str) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))
    if len(found) > MAX_MATCH_VALUES:
        raise InvalidInput.expected(field, f"at most {MAX_MATCH_VALUES} values", len(found))
    return found


def _check_versions(versions: tuple[str, ...]) -> tuple[str, ...]:
    for value in versions:
        if value not in VERSION_WORDS:
            parse_stix_time(value, "match[version]")
    return versions


class TaxiiService:
    """The TAXII 2.1 use cases: collections, objects, manifests, versions, POST and status."""

    def __init__(self, stix: StixService, page_default: int, page_max: int) -> None:
        self.stix = stix
        self.store = stix.store
        self.clock = stix.clock
        self.page_default = page_default
        self.page_max = page_max

    def collections(self, caller: Caller) -> list[TaxiiCollection]:
        """Return a TAXII collection for each collection the caller may see."""
        require(caller, Action.READ_COLLECTIONS)
        with self.store.snapshot() as uow:
            return [self._view(uow, caller, c) for c in uow.collections.visible(audience(caller))]

    def collection(self, caller: Caller, collection_id: str) -> TaxiiCollection:
        """Return one TAXII collection by id; NotFound for one the caller may not see."""
        require(caller, Action.READ_COLLECTIONS)
        with self.store.snapshot() as uow:
            return self._view(uow, caller, self._visible(uow, caller, collection_id))

    @staticmethod
    def _visible(uow: UnitOfWork, caller: Caller, collection_id: str) -> Collection:
        ident = parse_id(collection_id, "collection", "collection_id")
        return visible_collection(uow, caller, str(ident))

    @staticmethod
    def _view(uow: UnitOfWork, caller: Caller, collection: Collection) -> TaxiiCollection:
        principal = caller.principal
        owner = uow.members.org(collection.org_id)
        is_owner = collection.org_id == principal.org_id
        return TaxiiCollection(
            collection,
            "" if owner is None else owner.name,
            is_allowed(principal.role, Action.EXPORT_SIGNALS),
            is_owner and is_allowed(principal.role, Action.WRITE_SIGNALS),
        )

    def objects(
        self, caller: Caller, collection_id: str, flt: TaxiiFilter, limit: int | None, next_text: str | None
    ) -> TaxiiPage:
        """Return one page of a collection's objects (and manifest entries) in date-added order."""
        require(caller, Action.EXPORT_SIGNALS)
        size = self._limit(limit)
        position = decode_next(next_text)
        with self.store.snapshot() as uow:
            collection = self._visible(uow, caller, collection_id)
            owner = uow.members.org(collection.org_id)
        return self._page(caller, collection, owner, flt, size, position)

    def object(
        self,
        caller: Caller,
        collection_id: str,
        object_id: str,
        flt: TaxiiFilter,
        limit: int | None,
        next_text: str | None,
    ) -> TaxiiPage:
        """Return the versions `flt` asks for of one object; NotFound when the collection has none."""
        page = self.objects(caller, collection_id, replace(flt, ids=(object_id,)), limit, next_text)
        if not page.entries and next_text is None:
            raise NotFound.of("object", object_id, "object_id")
        return page

    def versions(
        self,
        caller: Caller,
        collection_id: str,
        object_id: str,
        flt: TaxiiFilter,
        limit: int | None,
        next_text: str | None,
    ) -> TaxiiPage:
        """Return every version of one object (their entries); NotFound when the collection has none."""
        return self.object(
            caller, collection_id, object_id, replace(flt, versions=("all",)), limit, next_text
        )

    def _limit(self, limit: int | None) -> int:
        if limit is None:
            return self.page_default
        if limit < 1:
            raise InvalidInput.expected("limit", "a positive integer", limit)
        return min(limit, self.page_max)

    def _page(
        self,
        caller: Caller,
        collection: Collection,
        owner: Organization | None,
        flt: TaxiiFilter,
        size: int,
        position: Position | None,
    ) -> TaxiiPage:
        entries: list[TaxiiEntry] = []
        read: dict[UUID, Signal] = {}
        last: Position | None = None
        more = False
        for here, entry, signal in _Stream(self, caller, collection, owner, flt, size).entries(position):
            if len(entries) == size:
                more = True
                break
            entries.append(entry)
            last = here
            if signal is not None:
                read[signal.id] = signal
        record_reads(self.store, caller, self.clock, "signal.export", list(read.values()))
        return TaxiiPage(tuple(entries), more, encode_next(last) if more and last is not None else None)

    def add(self, caller: Caller, collection_id: str, data: bytes) -> TaxiiStatus:
        """Import a TAXII envelope into a collection of the caller's organization; return its status."""
        require(caller, Action.WRITE_SIGNALS)
        ident = parse_id(collection_id, "collection", "collection_id")
        with self.store.snapshot() as uow:
            target = owned_collection(uow, caller, str(ident))
        objects = read_stix_document(data, "body")
        requested = self.clock()
        try:
            parsed = parse_objects(objects)
            with self.store.transaction() as uow:
                report = self.stix.import_parsed(uow, caller, target, parsed, "taxii")
                status = _status_of(report, caller, target, requested)
                uow.taxii.add_status(status)
                self._record_status(uow, caller, status)
        except (InvalidInput, Conflict) as exc:
            status = _refused(objects, exc, caller, target, requested)
            with self.store.transaction() as uow:
                uow.taxii.add_status(status)
                self._record_status(uow, caller, status)
        return status

    def _record_status(self, uow: UnitOfWork, caller: Caller, status: TaxiiStatus) -> None:
        record(
            uow,
            caller,
            self.clock,
            "taxii.status.create",
            ("taxii_status", status.id, status.org_id),
            {
                "collection_id": str(status.collection_id),
                "successes": len(status.successes),
                "failures": len(status.failures),
            },
        )

    def status(self, caller: Caller, status_id: str) -> TaxiiStatus:
        """Return a status resource of the caller's organization; NotFound for any other."""
        require(caller, Action.READ_COLLECTIONS)
        ident = parse_id(status_id, "status", "status_id")
        with self.store.snapshot() as uow:
            found = uow.taxii.status(ident)
        if found is None or found.org_id != caller.principal.org_id:
            raise NotFound.of("status", ident, "status_id")
        return found


def _status_of(report: StixImportReport, caller: Caller, target: Collection, at: datetime) -> TaxiiStatus:
    def detail(o: ObjectOutcome) -> StatusDetail:
        return StatusDetail(o.stix_id, o.version, o.message)

    return TaxiiStatus(
        uuid4(),
        target.id,
        caller.principal.org_id,
        caller.principal.actor,
        TaxiiState.COMPLETE,
        at,
        tuple(detail(o) for o in report.objects if o.outcome is not Outcome.SKIPPED),
        tuple(detail(o) for o in report.objects if o.outcome is Outcome.SKIPPED),
    )


def _refused(
    objects: Sequence[Any], exc: InvalidInput | Conflict, caller: Caller, target: Collection, at: datetime
) -> TaxiiStatus:
    """The status of an envelope refused as a whole: every object failed, the one at fault says why."""
    failures = []
    for index, obj in enumerate(objects):
        is_object = isinstance(obj, dict)
        stix_id = obj.get("id") if is_object and isinstance(obj.get("id"), str) else f"objects[{index}]"
        version = str(obj.get("modified", obj.get("created", ""))) if is_object else ""
        at_fault = exc.field is not None and (
            exc.field == f"objects[{index}]" or exc.field.startswith(f"objects[{index}].")
        )
        message = (
            exc.message
            if at_fault or exc.field is None
            else f"not added: the envelope is all or nothing ({exc.message})"
        )
        failures.append(StatusDetail(str(stix_id), version, message))
    return TaxiiStatus(
        uuid4(),
        target.id,
        caller.principal.org_id,
        caller.principal.actor,
        TaxiiState.COMPLETE,
        at,
        (),
        tuple(failures),
    )


class _Stream:
    """A collection's objects in TAXII order from a position: context objects, then signal versions."""

    def __init__(
        self,
        service: TaxiiService,
        caller: Caller,
        collection: Collection,
        owner: Organization | None,
        flt: TaxiiFilter,
        size: int,
    ) -> None:
        self.service, self.caller, self.collection, self.owner, self.flt = (
            service,
            caller,
            collection,
            owner,
            flt,
        )
        self.batch = size + 1
        self.is_current = flt.spec_versions == () or "2.1" in flt.spec_versions

    def entries(self, position: Position | None) -> Iterator[tuple[Position, TaxiiEntry, Signal | None]]:
        if not self.is_current:
            return
        if position is None or position.is_context:
            yield from self._context(0 if position is None else position.index + 1)
            position = None
        yield from self._signals(position)

    def _context_objects(self) -> list[dict[str, Any]]:
        found = [exchange_identity(), extension_definition()]
        if self.owner is not None:
            found.append(organization_identity(self.owner))
        return found + [marking_definition(m) for m in (Marking.CLEAR, Marking.GREEN, Marking.AMBER)]

    def _context(self, start: int) -> Iterator[tuple[Position, TaxiiEntry, Signal | None]]:
        added = self.collection.created_at
        if self.flt.added_after is not None and added <= self.flt.added_after:
            return
        for index, obj in enumerate(self._context_objects()):
            version = obj.get("modified", obj["created"])
            if index < start or not self._context_matches(obj, version):
                continue
            yield Position(True, index=index), TaxiiEntry(obj, added, version), None

    def _context_matches(self, obj: dict[str, Any], version: str) -> bool:
        flt = self.flt
        if flt.ids and obj["id"] not in flt.ids:
            return False
        if flt.types and obj["type"] not in flt.types:
            return False
        words = {"first", "last", "all"} & set(flt.versions)
        stamps = {parse_stix_time(v, "match[version]") for v in flt.versions if v not in VERSION_WORDS}
        return bool(words) or parse_stix_time(version, "version") in stamps

    def _query(self) -> TaxiiQuery | None:
        flt = self.flt
        families = None
        if flt.types:
            families = frozenset(f for f, t in STIX_TYPE.items() if t in flt.types)
        signal_ids = None
        if flt.ids:
            named = [signal_id_of(i) for i in flt.ids]
            signal_ids = frozenset(
                n[1] for n in named if n is not None and (families is None or n[0] in families)
            )
        if families == frozenset() or signal_ids == frozenset():
            return None
        return TaxiiQuery(self.collection.id, TAXII_MARKINGS, families, signal_ids, flt.added_after)

    def _signals(self, position: Position | None) -> Iterator[tuple[Position, TaxiiEntry, Signal | None]]:
        query = self._query()
        if query is None:
            return
        start = None
        if position is not None and position.at is not None and position.signal_id is not None:
            start = (position.at, position.signal_id)
        skip = 0 if position is None else position.sent
        previous: tuple[datetime, UUID] | None = None
        while True:
            with self.service.store.snapshot() as uow:
                batch = uow.taxii.signals(query, audience(self.caller), start, self.batch)
                histories = {s.id: uow.signals.history(s.id) for s in batch} if self._needs_history else {}
            for signal in batch:
                here = (signal.updated_at, signal.id)
                if previous is not None and here <= previous:
                    continue
                done = skip if start is not None and here == start else 0
                versions = self._versions(signal, histories.get(signal.id, []))
                for number, entry in enumerate(versions[done:], done + 1):
                    yield (
                        Position(False, at=signal.updated_at, signal_id=signal.id, sent=number),
                        entry,
                        signal,
                    )
                previous = here
            if len(batch) < self.batch:
                return
            start = previous

    @property
    def _needs_history(self) -> bool:
        return self.flt.versions != ("last",)

    def _versions(self, signal: Signal, history: Sequence[SignalVersion]) -> list[TaxiiEntry]:
        """The entries of a signal's versions that `match[version]` selects, oldest first."""
        all_versions = [
            replace(signal, value=v.value, status=v.status, updated_at=v.valid_from) for v in history
        ]
        by_time = {v.updated_at: v for v in [*all_versions, signal]}
        ordered = [by_time[t] for t in sorted(by_time)]
        chosen: dict[datetime, Signal] = {}
        for word in self.flt.versions:
            if word == "all":
                chosen.update((v.updated_at, v) for v in ordered)
            elif word in ("first", "last"):
                pick = ordered[0] if word == "first" else ordered[-1]
                chosen[pick.updated_at] = pick
            else:
                stamp = parse_stix_time(word, "match[version]")
                if stamp in by_time:
                    chosen[stamp] = by_time[stamp]
        return [
            TaxiiEntry(signal_object(v), v.updated_at, stix_time(v.updated_at))
            for _, v in sorted(chosen.items())
        ]
