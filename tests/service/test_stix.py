"""STIX export and import through the service, and the TAXII use cases: lossless, idempotent, checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import stix2  # type: ignore[import-untyped]
from stix2validator import ValidationOptions, validate_string

from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import AuditQuery, SignalQuery
from ctexchange.domain.signals import Signal, SignalStatus
from ctexchange.errors import Forbidden, InvalidInput, NotFound
from ctexchange.interop.ftm import parse_ftm
from ctexchange.interop.stix import EXTENSION_ID, TLP_IDS, signal_stix_id
from ctexchange.service.alerts import NewAlert, SubjectInput
from ctexchange.service.content import ContentQuery
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.imports import ListFormat
from ctexchange.service.requests import RequestDraft, SubjectIn
from ctexchange.service.signals import NewSignal
from ctexchange.service.stix import Outcome, TaxiiFilter, TaxiiPage, decode_next, parse_filter
from ctexchange.store.taxii import TaxiiState
from tests.service.un_xml import Person, un_list

MD5 = "0cc175b9c0f1b6a831c399e269772661"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
FRAME = "0,100," + PDQ + ",0.000"
GROUP_ENTITY = {
    "schema": "Organization",
    "names": [{"text": "Example Front"}, {"text": "EF", "type": "alias", "quality": "good"}],
    "listing": {"source": "UN Security Council Consolidated List", "reference": "QDe.115"},
}
PERSON = Person("QDi.900", "AHMAD", "KHALAYLEH", "أحمد الخلايلة", "1966")


@dataclass
class World:
    """An exchange with two organizations, a sharing group and signals of every kind and marking."""

    exchange: Exchange
    operator: Caller
    partner: Caller
    outsider: Caller
    strict: Signal
    red: Signal


def _caller(exchange: Exchange, operator: Caller, org: str, user: str, role: str) -> Caller:
    orgs = {o.name for o in exchange.members.orgs(operator)}
    if org not in orgs:
        exchange.members.create_org(operator, org, "national-agency")
    exchange.members.create_user(operator, org, user, role)
    return exchange.auth.authenticate(exchange.members.create_key(operator, user, "k").text, "t")


def build_world(exchange: Exchange) -> World:
    """Fill an exchange: content of every kind (GREEN bank), an AMBER shared bank, entities (CLEAR)."""
    operator = exchange.operator("test")
    exchange.members.create_org(operator, "agency", "national-agency")
    exchange.members.create_group(operator, "partners", ["agency"])
    partner = _caller(exchange, operator, "agency", "agency-analyst", "analyst")
    outsider = _caller(exchange, operator, "platform", "platform-analyst", "analyst")
    exchange.collections.create(operator, "bank", "GREEN")
    exchange.collections.create(operator, "shared", "AMBER", "partners")
    exchange.collections.create(operator, "entities", "CLEAR")
    added = exchange.signals.add_many(
        operator,
        "bank",
        [
            NewSignal("md5", MD5, ["propaganda", "un:QDe.115"], external_id="poster-17"),
            NewSignal("sha256", "a" * 64, ["attack-footage"]),
            NewSignal("pdq", PDQ, ["propaganda"], marking="CLEAR"),
            NewSignal("video", {"md5": None, "frames": [FRAME]}, ["attack-footage"]),
            NewSignal("text", "The time has come, brothers: join the caravan. " * 4, ["recruitment"]),
            NewSignal("url", {"url": "t.me/example_channel", "level": "prefix"}, ["recruitment"]),
            NewSignal("url", {"url": "example.com", "level": "domain"}),
            NewSignal("url", "https://x.com/it's/a_b?q=1"),
            NewSignal("md5", "1" * 32, marking="AMBER+STRICT"),
            NewSignal("md5", "2" * 32, marking="RED", recipients=["agency-analyst"]),
        ],
    )
    exchange.signals.add(operator, "shared", NewSignal("md5", "3" * 32, ["threat"]))
    exchange.signals.add(operator, "entities", NewSignal("organization", GROUP_ENTITY))
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([PERSON]), "entities")
    exchange.signals.set_status(operator, str(added[1].id), "disputed", "two members disagree")
    exchange.signals.set_status(operator, str(added[3].id), "expired", "the video is gone")
    return World(exchange, operator, partner, outsider, added[8], added[9])


@pytest.fixture
def world(any_exchange: Exchange) -> World:
    """The world, on SQLite and on PostgreSQL."""
    return build_world(any_exchange)


def export(exchange: Exchange, caller: Caller, *collections: str, sightings: bool = False) -> dict[str, Any]:
    """A bundle of the caller's export."""
    objects = list(exchange.stix.export(caller, list(collections), sightings))
    return {"type": "bundle", "id": "bundle--44444444-4444-4444-8444-444444444444", "objects": objects}


def errors_of(bundle: dict[str, Any]) -> list[str]:
    """The stix2-validator errors of a bundle."""
    return [str(e) for e in validate_string(json.dumps(bundle), ValidationOptions(version="2.1")).errors]


def by_key(exchange: Exchange, caller: Caller, collection: str) -> dict[tuple[str, str], Signal]:
    """The signals of a collection by (kind, value key)."""
    coll = exchange.collections.get(caller, collection)
    page = exchange.signals.find(
        caller, SignalQuery(collection_id=coll.id), exchange.signals.page_request(500, None)
    )
    return {(s.kind, s.value_key): s for s in page.items}


def test_export_then_import_is_lossless(world: World) -> None:
    """Every kind, label, marking, status and external id survives export and import, on both stores;
    the export validates with stix2-validator."""
    any_exchange = world.exchange
    bundle = export(any_exchange, world.operator)
    assert errors_of(bundle) == []
    report = any_exchange.stix.import_document(world.operator, json.dumps(bundle).encode(), "copy")
    originals = {
        **by_key(any_exchange, world.operator, "bank"),
        **by_key(any_exchange, world.operator, "shared"),
    }
    originals |= by_key(any_exchange, world.operator, "entities")
    copies = by_key(any_exchange, world.operator, "copy")
    assert report.count(Outcome.ADDED) == len(originals) == len(copies) == 13
    for key, original in originals.items():
        copy = copies[key]
        assert (copy.kind, copy.value, copy.labels, copy.marking) == (
            original.kind,
            original.value,
            original.labels,
            original.marking,
        ), key
        assert (copy.status, copy.external_id) == (original.status, original.external_id), key
        assert (copy.provenance.source, copy.provenance.source_ref) == ("stix", signal_stix_id(original))
    assert report.count(Outcome.SKIPPED) == 0
    assert report.count(Outcome.CONTEXT) == len(bundle["objects"]) - 13


def test_reimport_is_idempotent(world: World) -> None:
    """The same bundle again changes nothing and writes no signal events."""
    data = json.dumps(export(world.exchange, world.operator, "bank")).encode()
    first = world.exchange.stix.import_document(world.operator, data)
    creates = len(
        world.exchange.audit.events(_auditor(world), AuditQuery(action="signal.create", limit=1000))
    )
    again = world.exchange.stix.import_document(world.operator, data)
    assert first.collection == again.collection == "stix-import"
    assert again.count(Outcome.ADDED) == 0
    assert again.count(Outcome.UNCHANGED) == first.count(Outcome.ADDED) == 10
    assert {o.message for o in again.objects if o.outcome is Outcome.UNCHANGED} == {
        "imported from this object before; nothing changed"
    }
    assert (
        len(world.exchange.audit.events(_auditor(world), AuditQuery(action="signal.create", limit=1000)))
        == creates
    )


def _auditor(world: World) -> Caller:
    ex, op = world.exchange, world.operator
    if "auditor" not in {u.name for u in ex.members.users(op)}:
        ex.members.create_user(op, "coalition", "auditor", "auditor")
    return ex.auth.authenticate(ex.members.create_key(op, "auditor", "k").text, "t")


def _object(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(
        o for o in bundle["objects"] if o.get("extensions", {}).get(EXTENSION_ID, {}).get("kind") == kind
    )


def test_a_later_version_updates_the_signal_it_made(world: World) -> None:
    """A newer version of an imported object moves the status (through active when it must) and, for
    an entity, replaces the value keeping the old one in the history; each change is audited."""
    bundle = export(world.exchange, world.operator, "bank", "entities")
    world.exchange.stix.import_document(world.operator, json.dumps(bundle).encode(), "copy")
    video = _object(bundle, "video")  # expired: expired -> disputed has no direct move
    video["extensions"][EXTENSION_ID]["status"] = "disputed"
    entity = _object(bundle, "organization")
    entity["extensions"][EXTENSION_ID]["value"]["names"].append({"text": "Front of Example", "type": "alias"})
    for obj in (video, entity):
        obj["modified"] = "2030-01-01T00:00:00.000000Z"
    report = world.exchange.stix.import_document(world.operator, json.dumps(bundle).encode(), "copy")
    updated = {o.stix_id: o.message for o in report.objects if o.outcome is Outcome.UPDATED}
    assert updated == {video["id"]: "updated: status disputed", entity["id"]: "updated: value"}
    copies = by_key(world.exchange, world.operator, "copy")
    copy = copies[("organization", "QDe.115")]
    assert copy.value["names"][-1]["text"] == "Front of Example"
    assert len(world.exchange.screening.entity(world.operator, str(copy.id)).history) == 1
    moves = world.exchange.audit.events(_auditor(world), AuditQuery(action="signal.status", limit=1000))
    video_moves = [
        (e.entry.details["from"], e.entry.details["to"])
        for e in moves
        if e.entry.object_id == str(next(s.id for (k, _), s in copies.items() if k == "video"))
    ]
    assert video_moves == [("active", "expired"), ("expired", "active"), ("active", "disputed")]


def test_a_value_added_elsewhere_is_left_alone(world: World) -> None:
    """A value the collection holds already, not from this STIX object, is unchanged whatever its status."""
    bundle = export(world.exchange, world.operator, "bank")
    _object(bundle, "sha256")["extensions"][EXTENSION_ID]["status"] = "delisted"
    report = world.exchange.stix.import_document(world.operator, json.dumps(bundle).encode(), "bank")
    assert report.count(Outcome.UNCHANGED) == 10
    assert {o.message for o in report.objects if o.outcome is Outcome.UNCHANGED} == {
        "the collection holds this value already"
    }
    assert (
        by_key(world.exchange, world.operator, "bank")[("sha256", "a" * 64)].status is SignalStatus.DISPUTED
    )


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda o: o["extensions"][EXTENSION_ID].update(value="not-a-digest"), "ctexchange.value"),
        (lambda o: o.update(labels=["propaganda", "un:QDe.115\u200b"]), "labels[1]"),
        (lambda o: o["extensions"][EXTENSION_ID].update(kind="person"), "ctexchange.kind"),
        (lambda o: o["extensions"][EXTENSION_ID].update(status="lost"), "ctexchange.status"),
        (lambda o: o["extensions"][EXTENSION_ID].update(external_id="x" * 201), "external_id"),
    ],
)
def test_one_bad_object_refuses_the_whole_import(world: World, mutate: Any, field: str) -> None:
    """A bad value, hidden character, wrong family, unknown status or oversized id refuses everything,
    naming the object and the field; no collection is created and no signal stored."""
    bundle = export(world.exchange, world.operator, "bank")
    target = _object(bundle, "md5")
    mutate(target)
    index = bundle["objects"].index(target)
    with pytest.raises(InvalidInput) as info:
        world.exchange.stix.import_document(world.operator, json.dumps(bundle).encode(), "copy")
    assert info.value.field == f"objects[{index}].{field}"
    assert "copy" not in {c.name for c in world.exchange.collections.list(world.operator)}


def test_objects_that_are_not_signals_are_reported(world: World) -> None:
    """Sightings, unknown types and kinds this exchange does not have are skipped with their reason."""
    bundle = export(world.exchange, world.operator, "bank")
    odd = dict(_object(bundle, "md5"), id="indicator--11111111-1111-4111-8111-111111111111")
    odd["extensions"] = {EXTENSION_ID: {"extension_type": "property-extension", "kind": "tmk", "value": "x"}}
    note = {
        "type": "note",
        "spec_version": "2.1",
        "id": "note--22222222-2222-4222-8222-222222222222",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "content": "a request for assistance would come as a note",
        "object_refs": [odd["id"]],
    }
    data = json.dumps({"objects": [odd, note]}).encode()
    report = world.exchange.stix.import_document(world.operator, data, "copy")
    assert [(o.outcome, o.message) for o in report.objects] == [
        (Outcome.SKIPPED, "kind 'tmk' is not one this exchange matches"),
        (Outcome.SKIPPED, "type 'note' has no counterpart among signals"),
    ]


def _exported(exchange: Exchange, caller: Caller, *collections: str) -> set[str]:
    return {o["id"] for o in export(exchange, caller, *collections)["objects"] if o["type"] == "indicator"}


def test_exports_follow_the_access_rules(world: World) -> None:
    """The partner gets GREEN, CLEAR and the group's AMBER; the outsider no AMBER; neither AMBER+STRICT
    nor RED (the partner is RED's named recipient, yet an export is forwarding); the owner gets all."""
    ex = world.exchange
    strict, red = signal_stix_id(world.strict), signal_stix_id(world.red)
    partner, outsider, owner = (_exported(ex, c) for c in (world.partner, world.outsider, world.operator))
    assert len(owner) == 11 and {strict, red} <= owner
    assert partner == owner - {strict, red}
    assert len(outsider) == 8 and not outsider & {strict, red}
    with pytest.raises(NotFound) as info:
        list(ex.stix.export(world.outsider, ["coalition/shared"]))
    assert info.value.message == "collection coalition/shared not found"


@pytest.mark.parametrize("role", ["reviewer", "auditor", "service"])
def test_only_exporting_roles_export(world: World, role: str) -> None:
    """Reviewers, auditors and service keys may not export; the error comes before any object."""
    caller = _caller(world.exchange, world.operator, "agency", f"agency-{role}", role)
    with pytest.raises(Forbidden):
        world.exchange.stix.export(caller)


def test_import_needs_a_writing_role_and_an_own_collection(world: World) -> None:
    """An auditor may not import; a collection is always one of the importer's organization."""
    data = json.dumps(export(world.exchange, world.operator, "bank")).encode()
    with pytest.raises(Forbidden):
        world.exchange.stix.import_document(_auditor(world), data)
    with pytest.raises(InvalidInput) as info:
        world.exchange.stix.import_document(world.partner, data, "coalition/bank")
    assert info.value.field == "collection"
    report = world.exchange.stix.import_document(world.partner, data, "bank")
    assert report.count(Outcome.ADDED) == 10
    assert (
        world.exchange.collections.get(world.partner, "agency/bank").org_id == world.partner.principal.org_id
    )


def test_relationships_are_written_when_both_ends_are_exported(world: World) -> None:
    """The md5 labelled un:QDe.115 indicates the QDe.115 threat actor when both are in the bundle."""

    def relationships(*collections: str) -> list[dict[str, Any]]:
        return [
            o
            for o in export(world.exchange, world.operator, *collections)["objects"]
            if o["type"] == "relationship"
        ]

    [rel] = relationships()
    assert rel["relationship_type"] == "indicates"
    assert rel["source_ref"].startswith("indicator--") and rel["target_ref"].startswith("threat-actor--")
    assert relationships("bank") == []


def test_sightings_only_when_asked_and_only_to_the_owner(world: World) -> None:
    """After a partner's lookup hits an md5, the owner's export with sightings carries one sighting by
    the partner; without asking, or for the partner, none."""
    world.exchange.content.match(world.partner, ContentQuery(md5=MD5))
    bundle = export(world.exchange, world.operator, "bank", sightings=True)
    [sighting] = [o for o in bundle["objects"] if o["type"] == "sighting"]
    assert sighting["where_sighted_refs"] == [f"identity--{world.partner.principal.org_id}"]
    assert sighting["extensions"][EXTENSION_ID]["match_type"] == "exact"
    assert errors_of(bundle) == []
    assert not [
        o for o in export(world.exchange, world.operator, "bank")["objects"] if o["type"] == "sighting"
    ]
    partner = export(world.exchange, world.partner, "coalition/bank", sightings=True)
    assert not [o for o in partner["objects"] if o["type"] == "sighting"]


def test_the_import_is_audited(world: World) -> None:
    """An import writes `import.stix` with its counts and `signal.create` naming each STIX id."""
    data = json.dumps(export(world.exchange, world.operator, "shared")).encode()
    report = world.exchange.stix.import_document(world.operator, data, "copy")
    auditor = _auditor(world)
    [event] = world.exchange.audit.events(auditor, AuditQuery(action="import.stix"))
    assert event.entry.details == {"source": "stix", **report.counts}
    creates = world.exchange.audit.events(auditor, AuditQuery(action="signal.create", limit=1000))
    assert creates[-1].entry.details["stix_id"] == report.objects[-1].stix_id


# TAXII ---------------------------------------------------------------------------------------------------


def _collection_id(world: World, name: str) -> str:
    return str(world.exchange.collections.get(world.operator, name).id)


def pages(world: World, caller: Caller, name: str, flt: TaxiiFilter, limit: int) -> Iterator[TaxiiPage]:
    """Every page of a TAXII read, following `next`."""
    taxii, cid, cursor = world.exchange.stix.taxii, _collection_id(world, name), None
    while True:
        page = taxii.objects(caller, cid, flt, limit, cursor)
        yield page
        if not page.more:
            return
        cursor = page.next


def ids_of(world: World, caller: Caller, name: str, flt: TaxiiFilter, limit: int = 500) -> list[str]:
    """The object ids of a whole TAXII read, in order."""
    return [e.obj["id"] for p in pages(world, caller, name, flt, limit) for e in p.entries]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_taxii_pages_cover_every_object_once(world: World, limit: int) -> None:
    """Whatever the page size, following `next` yields every object exactly once in date-added order,
    and every page but the last is full."""
    everything = ids_of(world, world.operator, "bank", TaxiiFilter())
    paged = list(pages(world, world.operator, "bank", TaxiiFilter(), limit))
    assert [e.obj["id"] for p in paged for e in p.entries] == everything
    assert all(len(p.entries) == limit for p in paged[:-1])
    dates = [e.date_added for p in paged for e in p.entries]
    assert dates == sorted(dates)


def test_taxii_never_serves_amber_strict_or_red(world: World) -> None:
    """Not even the owner reads AMBER+STRICT or RED signals through TAXII; the context objects carry
    only the markings that may leave."""
    served = ids_of(world, world.operator, "bank", TaxiiFilter())
    assert signal_stix_id(world.strict) not in served and signal_stix_id(world.red) not in served
    assert len([i for i in served if i.startswith("indicator--")]) == 8
    assert {i for i in served if i.startswith("marking-definition--")} == {
        TLP_IDS[m] for m in TLP_IDS if m.value in ("CLEAR", "GREEN", "AMBER")
    }
    with pytest.raises(NotFound):
        world.exchange.stix.taxii.object(
            world.operator,
            _collection_id(world, "bank"),
            signal_stix_id(world.red),
            TaxiiFilter(),
            None,
            None,
        )


def test_taxii_filters(world: World) -> None:
    """match[type], match[id], match[spec_version] and added_after narrow the objects."""
    flt = parse_filter(None, [], ["indicator"], [], [])
    indicators = ids_of(world, world.operator, "bank", flt)
    assert len(indicators) == 8 and all(i.startswith("indicator--") for i in indicators)
    two = indicators[:2]
    assert ids_of(world, world.operator, "bank", parse_filter(None, [",".join(two)], [], [], [])) == two
    assert ids_of(world, world.operator, "bank", parse_filter(None, [], [], [], ["2.0"])) == []
    everything = next(pages(world, world.operator, "bank", TaxiiFilter(), 500)).entries
    cut = everything[-3].date_added
    later = ids_of(world, world.operator, "bank", TaxiiFilter(added_after=cut))
    assert later == [e.obj["id"] for e in everything if e.date_added > cut]
    assert ids_of(world, world.operator, "bank", parse_filter(None, [], ["threat-actor"], [], [])) == []


def test_taxii_versions_follow_the_signal_history(world: World) -> None:
    """An entity whose listing changed has two versions: first, last, all and an exact version select them."""
    world.exchange.imports.import_list(
        world.operator,
        ListFormat.UN_LIST,
        un_list([Person("QDi.900", "AHMAD", "KHALAYLA", "", "1966")]),
        "entities",
    )
    taxii, cid = world.exchange.stix.taxii, _collection_id(world, "entities")
    person = next(
        e.obj["id"]
        for e in taxii.objects(world.operator, cid, TaxiiFilter(types=("threat-actor",)), None, None).entries
        if e.obj["resource_level"] == "individual"
    )
    versions = [
        e.version for e in taxii.versions(world.operator, cid, person, TaxiiFilter(), None, None).entries
    ]
    assert len(versions) == 2 and versions == sorted(versions)

    def names(word: str) -> list[str]:
        flt = parse_filter(None, [], [], [word], [])
        return [e.obj["name"] for e in taxii.object(world.operator, cid, person, flt, None, None).entries]

    assert names("first") == ["AHMAD KHALAYLEH"]
    assert names("last") == ["AHMAD KHALAYLA"]
    assert names("all") == ["AHMAD KHALAYLEH", "AHMAD KHALAYLA"]
    assert names(versions[0]) == ["AHMAD KHALAYLEH"]


def test_taxii_collections_follow_visibility_and_roles(world: World) -> None:
    """One TAXII collection per visible collection; can_read needs the export role, can_write ownership."""
    taxii = world.exchange.stix.taxii
    mine = {v.collection.name: (v.can_read, v.can_write) for v in taxii.collections(world.operator)}
    assert mine == {"bank": (True, True), "shared": (True, True), "entities": (True, True)}
    theirs = {v.collection.name: (v.can_read, v.can_write) for v in taxii.collections(world.outsider)}
    assert theirs == {"bank": (True, False), "entities": (True, False)}
    reviewer = _caller(world.exchange, world.operator, "agency", "agency-reviewer", "reviewer")
    assert {v.can_read for v in taxii.collections(reviewer)} == {False}
    with pytest.raises(Forbidden):
        taxii.objects(reviewer, _collection_id(world, "bank"), TaxiiFilter(), None, None)
    shared = _collection_id(world, "shared")
    with pytest.raises(NotFound) as info:
        taxii.collection(world.outsider, shared)
    assert info.value.message == f"collection {shared} not found"
    with pytest.raises(NotFound) as absent:
        taxii.collection(world.outsider, "00000000-0000-4000-8000-000000000000")
    assert absent.value.message == "collection 00000000-0000-4000-8000-000000000000 not found"


def test_taxii_post_imports_and_keeps_a_status(world: World) -> None:
    """A POST imports into the owner's collection and keeps a complete status only its organization reads;
    a non-owner is refused; an envelope refused as a whole is a status whose every object failed."""
    taxii = world.exchange.stix.taxii
    objects = export(world.exchange, world.operator, "bank")["objects"]
    target = world.exchange.collections.create(world.operator, "inbox", "AMBER")
    status = taxii.add(world.operator, str(target.id), json.dumps({"objects": objects}).encode())
    assert (status.state, status.total_count, len(status.failures)) == (TaxiiState.COMPLETE, len(objects), 0)
    assert taxii.status(world.operator, str(status.id)) == status
    with pytest.raises(NotFound):
        taxii.status(world.partner, str(status.id))
    with pytest.raises(Forbidden):
        taxii.add(world.partner, _collection_id(world, "bank"), json.dumps({"objects": objects}).encode())
    objects[5] = dict(objects[5], pattern="[file:hashes.MD5 = 'zz']")
    refused = taxii.add(world.operator, str(target.id), json.dumps({"objects": objects}).encode())
    assert len(refused.failures) == len(objects) and not refused.successes
    assert refused.failures[5].message.startswith("'objects[5]' must be a valid STIX 2.1 indicator")
    assert refused.failures[0].message.startswith("not added: the envelope is all or nothing")
    with pytest.raises(InvalidInput) as info:
        taxii.add(world.operator, str(target.id), b"[]")
    assert info.value.field == "body"


def test_taxii_next_is_opaque_and_checked(world: World) -> None:
    """A `next` this server did not issue, and a limit below 1, are refused naming the parameter."""
    taxii, cid = world.exchange.stix.taxii, _collection_id(world, "bank")
    page = taxii.objects(world.operator, cid, TaxiiFilter(), 2, None)
    assert page.next is not None and decode_next(page.next) is not None
    for bad in ("nope", "WyJ4Il0", page.next[:-3]):
        with pytest.raises(InvalidInput) as info:
            taxii.objects(world.operator, cid, TaxiiFilter(), 2, bad)
        assert info.value.field == "next"
    with pytest.raises(InvalidInput) as limit:
        taxii.objects(world.operator, cid, TaxiiFilter(), 0, None)
    assert limit.value.field == "limit"
    with pytest.raises(InvalidInput) as version:
        parse_filter(None, [], [], ["2026-02-30T00:00:00Z"], [])
    assert version.value.field == "match[version]"


def test_ftm_export_follows_the_access_rules_and_round_trips(world: World) -> None:
    """`export_ftm` gives each caller the active entities it may export (a party and a Sanction each):
    the partner also the AMBER one shared with it, the outsider not; never an AMBER+STRICT or a
    delisted one; our FtM importer reads the parties back with their names and listings."""
    ex, operator = world.exchange, world.operator
    amber = dict(GROUP_ENTITY, names=[{"text": "Shared Front"}], listing={"source": "X", "reference": "X.1"})
    strict = dict(GROUP_ENTITY, names=[{"text": "Strict Front"}], listing={"source": "X", "reference": "X.2"})
    gone = dict(GROUP_ENTITY, names=[{"text": "Gone Front"}], listing={"source": "X", "reference": "X.3"})
    ex.signals.add(operator, "shared", NewSignal("organization", amber))
    ex.signals.add(operator, "entities", NewSignal("organization", strict, marking="AMBER+STRICT"))
    delisted = ex.signals.add(operator, "entities", NewSignal("organization", gone))
    ex.signals.set_status(operator, str(delisted.id), "delisted", "removed from the list")

    def parties(caller: Caller) -> dict[str, dict[str, Any]]:
        entities = list(ex.stix.export_ftm(caller))
        assert sum(e["schema"] == "Sanction" for e in entities) * 2 == len(entities)
        return {e["id"]: e for e in entities if e["schema"] != "Sanction"}

    # QDe.115 was delisted by the UN list import of the world, X.3 by hand: neither leaves.
    assert set(parties(world.partner)) == {"QDi.900", "X.1"}
    assert set(parties(world.outsider)) == {"QDi.900"}
    assert set(parties(operator)) == {"QDi.900", "X.1", "X.2"}  # the owner exports its own
    entities = list(ex.stix.export_ftm(world.partner, ["entities", "shared"], dataset="partner_feed"))
    assert {e["datasets"][0] for e in entities} == {"partner_feed"}
    data = "\n".join(json.dumps(e, ensure_ascii=False) for e in entities).encode("utf-8")
    back = {r.listing.reference: r for r in parse_ftm(data, "UN").records}
    assert {n.text for n in back["X.1"].names} == {"Shared Front"}
    assert {n.text for n in back["QDi.900"].names} >= {"أحمد الخلايلة"}
    assert back["QDi.900"].birth_dates[0].start == "1966"
    with pytest.raises(InvalidInput, match="dataset"):
        ex.stix.export_ftm(world.partner, dataset="Bad Name")
    with pytest.raises(Forbidden):
        ex.stix.export_ftm(_auditor(world))


def test_requests_and_alerts_are_registered_sdos_for_their_parties(world: World) -> None:
    """With requests and alerts asked for, the partner's bundle holds the AMBER request it received and
    the alert addressed to it, as `ctexchange-request` and `ctexchange-alert` objects with their
    extension definitions; it validates with stix2-validator and each object parses with the stix2
    library's registered class. The AMBER+STRICT request and the alert to another organization are not
    in it, and neither is anything without the flags."""
    ex, operator = world.exchange, world.operator
    subject = SubjectIn(name="Abu Example", birth_date="1994", nationalities=("TJ",))
    shared = ex.requests.create(
        operator,
        RequestDraft(
            requested_org="agency",
            title="Identify the admin of a recruitment channel",
            legal_basis="UNSCR 2396 (2017), para. 13",
            facts="The channel posts recruitment videos.",
            offence="Recruitment for a terrorist organization",
            assistance=("identify",),
            subjects=(subject,),
            deadline="2027-06-30",
            confidentiality="AMBER",
        ),
    )
    ex.requests.send(operator, shared.id)
    strict = ex.requests.create(
        operator,
        RequestDraft(
            requested_org="agency",
            title="Preserve data",
            legal_basis="UNSCR 2396 (2017)",
            facts="Facts.",
            offence="Financing",
            assistance=("preserve_data",),
            subjects=(subject,),
        ),
    )
    ex.requests.send(operator, strict.id)
    until = ex.clock() + timedelta(days=7)
    to_partner = ex.alerts.issue(
        operator,
        NewAlert(
            "Threat to a venue",
            "imminent-threat",
            until,
            subject=SubjectInput(names=["أبو محمد الشامي"], birth_dates=["1994-03"], nationalities=["sy"]),
            orgs=["agency"],
        ),
    )
    ex.alerts.issue(operator, NewAlert("Campaign", "content-campaign", until, orgs=["platform"]))
    plain = export(ex, world.partner, "bank")
    assert not [o for o in plain["objects"] if o["type"].startswith("ctexchange-")]
    objects = list(ex.stix.export(world.partner, ["bank"], with_requests=True, with_alerts=True))
    bundle = {"type": "bundle", "id": "bundle--44444444-4444-4444-8444-444444444444", "objects": objects}
    assert errors_of(bundle) == []
    by_type: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        by_type.setdefault(obj["type"], []).append(obj)
    assert [o["id"] for o in by_type["ctexchange-request"]] == [f"ctexchange-request--{shared.id}"]
    assert [o["id"] for o in by_type["ctexchange-alert"]] == [f"ctexchange-alert--{to_partner.alert.id}"]
    request = by_type["ctexchange-request"][0]
    assert request["requested_ref"] == f"identity--{world.partner.principal.org_id}"
    assert request["subjects"] == [
        {"kind": "person", "name": "Abu Example", "birth_date": "1994", "nationalities": ["TJ"]}
    ]
    assert request["object_marking_refs"] == [TLP_IDS[Marking.AMBER]]
    definitions = {o["id"]: o for o in by_type["extension-definition"]}
    for obj in (request, by_type["ctexchange-alert"][0]):
        [ext_id] = obj["extensions"]
        assert definitions[ext_id]["extension_types"] == ["new-sdo"]
        assert json.loads(definitions[ext_id]["schema"])["type"] == "object"
        assert stix2.parse(obj, version="2.1").type == obj["type"]  # registered: parsed and checked
    with pytest.raises(stix2.exceptions.InvalidValueError):
        stix2.parse(dict(request, deadline="not a time"), version="2.1")
    assert {o["id"] for o in by_type["identity"]} >= {request["requesting_ref"], request["requested_ref"]}
