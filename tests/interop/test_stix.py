"""The STIX 2.1 mapping: every kind out and back, official TLP 2.0 markings, validation, refusals."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_string

from ctexchange.domain.entities import EntityRecord
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Organization, OrgKind
from ctexchange.domain.sightings import Sighting
from ctexchange.domain.signals import LABELS, Family, JsonValue, Provenance, Signal, SignalStatus
from ctexchange.engines import default_kinds
from ctexchange.errors import InvalidInput, PayloadTooLarge
from ctexchange.interop.stix import (
    EXTENSION_ID,
    MAX_OBJECTS,
    TLP_IDS,
    exchange_identity,
    extension_definition,
    kind_of_pattern,
    links,
    map_labels,
    marking_definition,
    organization_identity,
    parse_objects,
    pattern_for,
    read_stix_document,
    relationship,
    sighting_object,
    signal_id_of,
    signal_object,
    signal_stix_id,
    stix_time,
    without_nulls,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
KINDS = default_kinds()
ORG = Organization(uuid4(), "coalition", OrgKind.INTERGOVERNMENTAL, True, True, T0)
MD5 = "0cc175b9c0f1b6a831c399e269772661"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
FRAME = "0,100," + PDQ + ",0.000"
PERSON = {
    "schema": "Person",
    "names": [
        {"text": "Ahmad Khalayleh", "type": "primary", "quality": "strong"},
        {"text": "أحمد الخلايلة", "type": "original_script", "quality": "strong"},
        {"text": "Abu Musab", "type": "alias", "quality": "low"},
    ],
    "listing": {
        "source": "UN Security Council Consolidated List",
        "reference": "QDi.900",
        "program": "Al-Qaida",
    },
    "birth_dates": [{"kind": "between", "start": "1966", "end": "1967"}],
    "nationalities": ["JO"],
    "documents": [{"type": "passport", "number": "Z123"}],
}
GROUP = {
    "schema": "Organization",
    "names": [{"text": "Example Front"}, {"text": "EF", "type": "alias", "quality": "good"}],
    "listing": {"source": "UN Security Council Consolidated List", "reference": "QDe.115"},
}
# Every kind, as a caller would send it: (kind, raw value).
EVERY_KIND: list[tuple[str, JsonValue]] = [
    ("md5", MD5),
    ("sha256", "a" * 64),
    ("pdq", PDQ),
    ("video", {"md5": MD5, "frames": [FRAME]}),
    ("video", {"frames": [FRAME, "1,90," + "e" * 64 + ",1.000"]}),
    ("text", "The time has come, brothers: join the caravan. " * 4),
    ("url", "https://t.me/example_channel/512"),
    ("url", {"url": "t.me/example_channel", "level": "prefix"}),
    ("url", {"url": "example.com", "level": "domain"}),
    ("url", "https://example.com/it's/a_b?q=1"),
    ("person", PERSON),
    ("organization", GROUP),
]


def make_signal(
    kind: str,
    raw: JsonValue,
    *,
    labels: frozenset[str] = frozenset({"propaganda"}),
    marking: Marking = Marking.GREEN,
    status: SignalStatus = SignalStatus.ACTIVE,
    external_id: str | None = None,
) -> Signal:
    """A signal of the operator organization with the canonical value its kind makes of `raw`."""
    kind_of = KINDS.get(kind)
    checked = kind_of.validate(raw, "value")
    return Signal(
        uuid4(),
        uuid4(),
        ORG.id,
        kind_of.family,
        kind,
        checked.value,
        checked.key,
        labels if kind_of.family is Family.CONTENT else frozenset(),
        marking,
        None,
        status,
        Provenance("user:test", "api", None),
        T0,
        T0 + timedelta(seconds=5),
        external_id,
    )


def validate(objects: list[dict[str, Any]]) -> list[str]:
    """Return the stix2-validator errors of a bundle of `objects` (an empty list when valid)."""
    bundle = {"type": "bundle", "id": f"bundle--{uuid4()}", "objects": objects}
    results = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    return [str(e) for e in results.errors]


def bundle_bytes(objects: list[dict[str, Any]]) -> bytes:
    """A bundle of `objects` as a file holds it."""
    return json.dumps({"type": "bundle", "id": f"bundle--{uuid4()}", "objects": objects}).encode()


@pytest.mark.parametrize(("kind", "raw"), EVERY_KIND, ids=[f"{k}-{i}" for i, (k, _) in enumerate(EVERY_KIND)])
def test_every_kind_validates_and_comes_back_the_same(kind: str, raw: JsonValue) -> None:
    """A signal of every kind is a valid STIX 2.1 object whose draft carries its kind, value, labels,
    marking, status and external id; the kind turns the draft's value into the same canonical value."""
    signal = make_signal(
        kind, raw, marking=Marking.AMBER, status=SignalStatus.DISPUTED, external_id="poster-17"
    )
    obj = signal_object(signal)
    assert validate([marking_definition(Marking.AMBER), organization_identity(ORG), obj]) == []
    [draft] = parse_objects([obj]).drafts
    assert (draft.kind, draft.stix_id, draft.family) == (kind, obj["id"], signal.family)
    assert KINDS.get(kind).validate(draft.value, "value").value == signal.value
    assert set(draft.labels) == set(signal.labels)
    assert (draft.marking, draft.status, draft.external_id) == (
        Marking.AMBER,
        SignalStatus.DISPUTED,
        "poster-17",
    )


@pytest.mark.parametrize(
    ("kind", "raw", "pattern"),
    [
        ("md5", MD5, f"[file:hashes.MD5 = '{MD5}']"),
        ("sha256", "b" * 64, f"[file:hashes.'SHA-256' = '{'b' * 64}']"),
        ("pdq", PDQ, f"[file:hashes.'PDQ' = '{PDQ}']"),
        ("video", {"md5": MD5, "frames": [FRAME]}, f"[file:hashes.MD5 = '{MD5}']"),
        ("text", "hello", "[artifact:mime_type = 'text/plain' AND artifact:payload_bin = b'aGVsbG8=']"),
        ("url", "HTTP://WWW.Example.com:80/a/./b/", "[url:value = 'https://example.com/a/b']"),
        ("url", {"url": "example.com", "level": "domain"}, "[domain-name:value = 'example.com']"),
        ("url", "https://x.com/it's", "[url:value = 'https://x.com/it\\'s']"),
    ],
)
def test_patterns_say_what_other_tools_can_match(kind: str, raw: JsonValue, pattern: str) -> None:
    """Each kind has the documented STIX pattern (custom hash names quoted, quotes escaped)."""
    assert pattern_for(kind, KINDS.get(kind).validate(raw, "value").value) == pattern


def test_a_video_without_its_file_md5_names_the_digest_of_its_frames() -> None:
    """Without the file's MD5 a video's pattern is the SHA-256 of its canonical vPDQ lines."""
    value = KINDS.get("video").validate({"frames": [FRAME]}, "value").value
    assert re.fullmatch(r"\[file:hashes\.'VPDQ-SHA-256' = '[0-9a-f]{64}'\]", pattern_for("video", value))


def _regex_of(pattern: str) -> re.Pattern[str]:
    literal = pattern.split(" MATCHES ", 1)[1].rstrip("]")[1:-1]
    return re.compile(literal.replace("\\'", "'").replace("\\\\", "\\"))


@pytest.mark.parametrize(
    ("rule", "inside", "outside"),
    [
        (
            "t.me/abc",
            ["https://t.me/abc", "https://t.me/abc/123", "https://t.me/abc?x=1"],
            ["https://t.me/abcd"],
        ),
        ("example.com/", ["https://example.com/", "https://example.com/a/b"], ["https://example.co/"]),
        ("x.com/a_b", ["https://x.com/a_b/1"], ["https://x.com/aXb/1", "https://x.com/a_bc"]),
    ],
)
def test_a_prefix_rule_pattern_matches_exactly_what_the_rule_covers(
    rule: str, inside: list[str], outside: list[str]
) -> None:
    """A prefix rule's MATCHES pattern covers the path and what is under it, at segment boundaries."""
    value = KINDS.get("url").validate({"url": rule, "level": "prefix"}, "value").value
    regex = _regex_of(pattern_for("url", value))
    assert all(regex.search(url) for url in inside)
    assert not any(regex.search(url) for url in outside)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (f"[file:hashes.MD5 = '{MD5}']", ("md5", MD5)),
        (f"[file:hashes.'SHA-256' = '{'c' * 64}']", ("sha256", "c" * 64)),
        (f"[file:hashes.'PDQ' = '{PDQ}']", ("pdq", PDQ)),
        ("[url:value = 'https://x.com/it\\'s']", ("url", "https://x.com/it's")),
        ("[domain-name:value = 'example.com']", ("url", {"url": "example.com", "level": "domain"})),
        (f"[file:hashes.MD5 = '{MD5}' OR file:hashes.'SHA-256' = '{'c' * 64}']", None),
        (f"[file:hashes.MD5 = '{MD5}'] AND [url:value = 'https://x.com/']", None),
        ("[url:value LIKE 'https://x.com/%']", None),
        ("[ipv4-addr:value = '198.51.100.1']", None),
        (f"[file:hashes.'SHA-1' = '{'d' * 40}']", None),
    ],
)
def test_patterns_from_elsewhere_map_when_they_are_one_comparison_we_match(
    pattern: str, expected: tuple[str, JsonValue] | None
) -> None:
    """A one-comparison pattern on a hash, URL or domain maps to a kind; anything else does not."""
    assert kind_of_pattern(pattern) == expected


def test_markings_are_the_official_tlp_2_definitions() -> None:
    """The five definitions carry the published ids, names, date and TLP 2.0 extension, and validate."""
    expected = {
        Marking.CLEAR: "94868c89-83c2-464b-929b-a1a8aa3c8487",
        Marking.GREEN: "bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Marking.AMBER: "55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Marking.AMBER_STRICT: "939a9414-2ddd-4d32-a0cd-375ea402b003",
        Marking.RED: "e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
    definitions = [marking_definition(m) for m in Marking]
    for marking, definition in zip(Marking, definitions, strict=True):
        assert definition["id"] == f"marking-definition--{expected[marking]}" == TLP_IDS[marking]
        assert definition["name"] == f"TLP:{marking.value}"
        assert definition["created"] == "2022-10-01T00:00:00.000Z"
        tlp = definition["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]
        assert tlp == {"extension_type": "property-extension", "tlp_2_0": marking.value.lower()}
    assert validate(definitions) == []


def test_a_whole_bundle_validates() -> None:
    """Identities, the extension definition, markings, every kind, a relationship and a sighting validate."""
    signals = [make_signal(k, v, labels=frozenset({"propaganda", "un:QDe.115"})) for k, v in EVERY_KIND]
    group = next(s for s in signals if s.kind == "organization")
    matcher = Organization(uuid4(), "platform", OrgKind.ONLINE_SERVICE, False, True, T0)
    sighting = Sighting(
        uuid4(), signals[0].id, ORG.id, matcher.id, "key:x", "md5", "exact", 0.0, False, "r", T0
    )
    objects = [
        exchange_identity(),
        extension_definition(),
        organization_identity(ORG),
        organization_identity(matcher),
        marking_definition(Marking.GREEN),
        *(signal_object(s) for s in signals),
        relationship(signals[0], group),
        sighting_object(sighting, signals[0]),
    ]
    assert validate(objects) == []


def test_entities_are_threat_actors_with_aliases_and_their_listing() -> None:
    """A person is an individual terrorist threat actor; an organization an organization; names and
    the listing appear as STIX properties, the whole record in the extension (without nulls)."""
    person, group = make_signal("person", PERSON), make_signal("organization", GROUP)
    obj = signal_object(person)
    assert (obj["type"], obj["name"], obj["resource_level"]) == (
        "threat-actor",
        "Ahmad Khalayleh",
        "individual",
    )
    assert obj["threat_actor_types"] == ["terrorist"]
    assert obj["aliases"] == ["أحمد الخلايلة", "Abu Musab"]
    assert obj["external_references"] == [
        {
            "source_name": "UN Security Council Consolidated List",
            "external_id": "QDi.900",
            "description": "Al-Qaida",
        }
    ]
    assert obj["extensions"][EXTENSION_ID]["value"] == without_nulls(person.value)
    assert "null" not in json.dumps(obj)
    assert signal_object(group)["resource_level"] == "organization"


def test_ids_are_the_signal_ids_and_stable() -> None:
    """A signal's STIX id is its own id under its type, the same on every export, and reversible."""
    signal = make_signal("md5", MD5)
    assert signal_stix_id(signal) == f"indicator--{signal.id}" == signal_object(signal)["id"]
    assert signal_object(signal) == signal_object(signal)
    assert signal_id_of(f"indicator--{signal.id}") == (Family.CONTENT, signal.id)
    assert signal_id_of(f"threat-actor--{signal.id}") == (Family.ENTITY, signal.id)
    assert signal_id_of("malware--" + str(signal.id)) is None
    assert signal_id_of("indicator--not-a-uuid") is None


def test_times_keep_microseconds_in_utc() -> None:
    """created and modified are UTC with microseconds: (id, modified) names one version exactly."""
    obj = signal_object(make_signal("md5", MD5))
    assert (obj["created"], obj["modified"]) == ("2026-03-01T12:00:00.123456Z", "2026-03-01T12:00:05.123456Z")
    assert stix_time(datetime(2026, 3, 1, 13, 0, tzinfo=UTC)) == "2026-03-01T13:00:00.000000Z"


def test_links_follow_labels_to_listing_references() -> None:
    """A content label `un:QDe.115` links to the entity whose reference is QDe.115, and to no other."""
    content = make_signal("md5", MD5, labels=frozenset({"propaganda", "un:QDe.115"}))
    other = make_signal("pdq", PDQ, labels=frozenset({"un:QDe.999"}))
    group = make_signal("organization", GROUP)
    person = make_signal("person", PERSON)
    assert links([content, other, group, person]) == [(content, group)]
    rel = relationship(replace(content, marking=Marking.CLEAR), replace(group, marking=Marking.AMBER))
    assert (rel["source_ref"], rel["target_ref"]) == (signal_stix_id(content), signal_stix_id(group))
    assert rel["object_marking_refs"] == [TLP_IDS[Marking.AMBER]]
    assert rel["id"] == relationship(content, group)["id"]


def _indicator(**fields: Any) -> dict[str, Any]:
    """An indicator made by another tool (no ctexchange extension)."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid4()}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": f"[file:hashes.MD5 = '{MD5}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        **fields,
    }


def test_objects_from_elsewhere_are_drafts_context_or_reported() -> None:
    """Nothing is dropped silently: each object is a draft, context, or unmapped with its reason."""
    ta = {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--{uuid4()}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "Example Front",
        "aliases": ["EF", "example front"],
        "resource_level": "individual",
        "external_references": [{"source_name": "National list", "external_id": "NL-7"}],
        "description": "Listed\u202e for propaganda.",
    }
    objects = [
        _indicator(labels=["Propaganda Video", "recruitment", "mitre:T1"]),
        _indicator(pattern=f"[file:hashes.MD5 = '{MD5}'] AND [url:value = 'https://x.com/']"),
        _indicator(revoked=True),
        _indicator(pattern_type="yara", pattern="rule x { condition: true }"),
        ta,
        {
            "type": "malware",
            "spec_version": "2.1",
            "id": f"malware--{uuid4()}",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": "x",
            "is_family": False,
        },
        marking_definition(Marking.RED),
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": f"marking-definition--{uuid4()}",
            "created": "2026-01-01T00:00:00.000Z",
            "definition_type": "statement",
            "definition": {"statement": "Copyright"},
        },
        exchange_identity(),
    ]
    parsed = parse_objects(objects)
    assert [d.index for d in parsed.drafts] == [0, 4]
    indicator, actor = parsed.drafts
    assert indicator.labels == ("stix:propaganda-video", "recruitment", "mitre:T1")
    assert (indicator.kind, indicator.value, indicator.marking) == ("md5", MD5, None)
    record = EntityRecord.from_json(actor.value)
    assert (actor.kind, record.primary_name, record.listing.reference) == ("person", "Example Front", "NL-7")
    assert [n.text for n in record.names] == ["Example Front", "EF"]
    assert record.listing.narrative == "Listed for propaganda."
    reasons = {u.index: u.reason for u in parsed.unmapped}
    assert set(reasons) == {1, 2, 3, 5, 7}
    assert "one comparison" in reasons[1]
    assert reasons[2] == "revoked by its producer"
    assert "pattern_type 'yara'" in reasons[3]
    assert "'malware' has no counterpart" in reasons[5]
    assert "not a TLP marking" in reasons[7]
    assert {c.index for c in parsed.context} == {6, 8}
    assert parsed.total == len(objects)


def test_markings_take_the_most_restrictive_tlp_including_tlp_1() -> None:
    """TLP 1.0 definitions are read (WHITE as CLEAR); several markings give the most restrictive."""
    white = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
    amber1 = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
    objects = [
        _indicator(object_marking_refs=[white]),
        _indicator(object_marking_refs=[white, TLP_IDS[Marking.AMBER_STRICT]]),
        _indicator(
            object_marking_refs=[amber1],
            granular_markings=[{"marking_ref": TLP_IDS[Marking.RED], "selectors": ["pattern"]}],
        ),
    ]
    assert [d.marking for d in parse_objects(objects).drafts] == [
        Marking.CLEAR,
        Marking.AMBER_STRICT,
        Marking.RED,
    ]


def test_the_latest_version_of_an_object_wins() -> None:
    """Two versions of one id: the later `modified` is the draft, the earlier one is context."""
    old = _indicator()
    new = {**old, "modified": "2026-02-01T00:00:00.000Z", "labels": ["threat"]}
    parsed = parse_objects([new, old])
    assert [(d.index, d.labels) for d in parsed.drafts] == [(0, ("threat",))]
    assert [(c.index, c.note) for c in parsed.context] == [
        (1, "superseded by a later version in the same document")
    ]


def test_relationships_carried_by_labels_are_context_others_are_reported() -> None:
    """`indicates` between an indicator and a threat-actor whose reference a label names is context."""
    content = make_signal("md5", MD5, labels=frozenset({"un:QDe.115"}))
    plain = make_signal("pdq", PDQ, labels=frozenset())
    group = make_signal("organization", GROUP)
    objects = [signal_object(s) for s in (content, plain, group)]
    objects += [relationship(content, group), relationship(plain, group)]
    parsed = parse_objects(objects)
    assert [(c.index, c.note) for c in parsed.context] == [(3, "carried by the labels")]
    assert [u.index for u in parsed.unmapped] == [4]


def test_sightings_and_older_stix_are_reported() -> None:
    """A received sighting is reported (sightings come from our own lookups); STIX 2.0 is not read."""
    signal = make_signal("md5", MD5)
    sighting = Sighting(uuid4(), signal.id, ORG.id, ORG.id, "key:x", "md5", "exact", 0.0, True, "r", T0)
    old = {k: v for k, v in _indicator().items() if k != "spec_version"}
    parsed = parse_objects([sighting_object(sighting, signal), old])
    assert [u.reason for u in parsed.unmapped] == [
        "sightings are recorded by this exchange's own lookups; received ones are not kept",
        "spec_version None: only STIX 2.1 is read",
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"\xff\xfe", "file"),
        (b"{not json", "file"),
        (b"[]", "file"),
        (b'{"type": "report", "objects": []}', "file.type"),
        (b'{"objects": [42]}', "objects[0]"),
        (b'{"objects": [{"type": "indicator"}]}', "objects[0].id"),
        (b"[" * 100_000 + b"]" * 100_000, "file"),
    ],
)
def test_malformed_documents_are_refused_naming_the_field(data: bytes, field: str) -> None:
    """Broken JSON, a non-bundle and objects without type or id are refused before anything else."""
    with pytest.raises(InvalidInput) as info:
        parse_objects(read_stix_document(data))
    assert info.value.field == field


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (_indicator(created="2026-02-30T00:00:00Z"), "objects[0]"),
        (_indicator(pattern="[file:hashes.MD5 = 'zz']"), "objects[0]"),
        (_indicator(modified="yesterday"), "objects[0]"),
    ],
)
def test_invalid_stix_is_refused_naming_the_object(obj: dict[str, Any], field: str) -> None:
    """An impossible date or an invalid pattern fails stix2's checks, naming the object."""
    with pytest.raises(InvalidInput) as info:
        parse_objects(read_stix_document(bundle_bytes([obj])))
    assert info.value.field == field
    assert "must be a valid STIX 2.1 indicator" in info.value.message


def test_hidden_characters_in_entity_names_are_refused() -> None:
    """A bidi override in a threat actor's name, or in a name of our extension's record, is refused."""
    bidi = make_signal("organization", GROUP)
    obj = signal_object(bidi)
    obj["extensions"][EXTENSION_ID]["value"]["names"][0]["text"] = "Example\u202eFront"
    with pytest.raises(InvalidInput) as info:
        parse_objects([obj])
    assert info.value.field == "objects[0].ctexchange.value.names[0].text"
    foreign = {k: v for k, v in obj.items() if k != "extensions"} | {"name": "Bad\u200bName"}
    with pytest.raises(InvalidInput) as info:
        parse_objects([foreign])
    assert info.value.field == "objects[0].name"


def test_oversized_documents_are_refused() -> None:
    """More objects than MAX_OBJECTS is refused as too large, before any object is read."""
    data = json.dumps({"objects": [{}] * (MAX_OBJECTS + 1)}).encode()
    with pytest.raises(PayloadTooLarge) as info:
        read_stix_document(data, "body")
    assert info.value.field == "body.objects"


@given(
    digest=st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    labels=st.sets(st.sampled_from([*LABELS, "un:QDe.115", "ns:x-1"]), max_size=5),
    marking=st.sampled_from(list(Marking)),
    status=st.sampled_from(list(SignalStatus)),
)
def test_round_trip_property(digest: str, labels: set[str], marking: Marking, status: SignalStatus) -> None:
    """Any md5 signal's object parses back to its kind, value, labels, marking and status."""
    signal = make_signal("md5", digest, labels=frozenset(labels), marking=marking, status=status)
    [draft] = parse_objects(json.loads(json.dumps([signal_object(signal)]))).drafts
    assert (draft.kind, draft.value, set(draft.labels)) == ("md5", digest, labels)
    assert (draft.marking, draft.status) == (marking, status)


def test_labels_from_elsewhere_are_namespaced() -> None:
    """Taxonomy and `ns:value` labels pass; others become `stix:<label>`, once each."""
    assert map_labels(["propaganda", "un:QDe.115", "Attack Footage", "attack footage", ""]) == (
        "propaganda",
        "un:QDe.115",
        "stix:attack-footage",
    )
    assert map_labels("propaganda") == ()


def test_the_extension_definition_is_fixed() -> None:
    """The extension's id, creator and schema are constants, so every instance writes the same."""
    definition = extension_definition()
    assert definition["id"] == EXTENSION_ID
    assert definition["created_by_ref"] == exchange_identity()["id"]
    assert definition["extension_types"] == ["property-extension"]
    schema = json.loads(definition["schema"])  # the JSON Schema itself, as text: no address to move
    assert schema["properties"]["extension_type"] == {"const": "property-extension"}
    assert set(schema["properties"]["status"]["enum"]) == {"active", "disputed", "expired", "delisted"}
    assert UUID(EXTENSION_ID.split("--")[1]).version == 4


def test_the_schema_describes_every_extension_this_exchange_writes() -> None:
    """Every property our exporter puts in the extension is one the schema names."""
    schema = json.loads(extension_definition()["schema"])
    written = {"extension_type", "kind", "value", "status", "external_id"}
    written |= {"match_type", "distance", "is_visible"}  # on sightings
    assert written == set(schema["properties"])
