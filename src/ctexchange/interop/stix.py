"""Signals as STIX 2.1 objects, and STIX 2.1 documents as signal drafts: pure mapping, no store.

Out: `signal_object` turns a signal into an `indicator` (content fingerprints) or a `threat-actor`
(designated entities); `organization_identity`, `marking_definition`, `relationship`, `sighting_object`
and the two fixed objects (`exchange_identity`, `extension_definition`) complete a bundle. In:
`read_stix_document` reads a bundle or a TAXII envelope and `parse_objects` turns its objects into
`SignalDraft`s, `Context` (objects read to understand the others) and `Unmapped` objects, each with the
reason it was not mapped. The service validates drafts through the kinds and writes them.

Decisions (docs/interop.md explains them for users):
- Ids: a signal's STIX id is its own id under its STIX type (`indicator--<signal id>`,
  `threat-actor--<signal id>`); an organization's identity is `identity--<organization id>`; a sighting is
  `sighting--<sighting id>`. Signal ids are random UUIDv4s already, so the STIX ids are stable across
  re-exports, and reversible: a TAXII request for one object id needs no mapping table. A relationship is
  derived, so its id is a UUIDv5 of its two ends under `STIX_NAMESPACE`.
- Times are UTC with microseconds (`2026-11-29T06:17:04.123456Z`): `created` is when the signal was added
  here, `modified` its last change, so (id, modified) names one version exactly.
- Patterns: `file:hashes.MD5`, `file:hashes.'SHA-256'`, `file:hashes.'PDQ'` (a custom hash name; the
  pattern grammar and stix2-validator accept it); a video is `file:hashes.MD5` of its file when known,
  else `file:hashes.'VPDQ-SHA-256'`, the SHA-256 of its vPDQ lines; a text is the artifact with its exact
  bytes; a URL rule is `url:value =` (exact), `url:value MATCHES` a regular expression (prefix: the path and
  everything under it) or `domain-name:value =` (domain, subdomains included). The pattern is for other
  tools; what this exchange matches is in the extension below, and it is what an import reads first.
- One property extension (`EXTENSION_ID`) carries what STIX has no property for: the kind, the canonical
  value (the vPDQ frames, the text, the URL rule's level, the whole entity record), the status and the
  external id. Null members are left out, as STIX asks; the kinds restore them on import.
- Designated entities are `threat-actor` with `threat_actor_types: ["terrorist"]` and `resource_level`
  `individual` (persons) or `organization`: OpenCTI reads that as a Threat Actor Individual or Group, MISP
  as a threat-actor cluster, and STIX 2.1's `identity` has no aliases and stands for the producers of
  intelligence (our members are `identity` objects, as `created_by_ref`).
- Each extension definition carries its JSON Schema as text in `schema` (STIX 2.1 allows "a URL or
  plain text"): a file or feed then stands alone, with no address that could move or that a reader
  must reach. docs/interop.md prints the same schemas.
- Requests for assistance and alerts are new SDOs (`ctexchange-request`, `ctexchange-alert`), each with
  its own extension definition, and registered with the stix2 library (`stix2.v21.CustomObject`), so
  that parsing them checks every property's type instead of passing them through as unknown objects.
- Markings are the official TLP 2.0 marking definitions (`TLP_IDS`); on import the TLP 1.0 definitions
  of the stix2 library are read too (WHITE as CLEAR). Several TLP markings on one object (object or
  granular): the most restrictive wins. An object without a TLP marking takes the collection's default.
- Labels: the taxonomy's and namespaced `ns:value` labels pass as they are; other labels are kept as
  `stix:<label>` (lowercase, spaces as hyphens) so that nothing is lost and the taxonomy stays clean.
- Nothing is dropped silently: every object of a document ends up a draft, context, or unmapped with its
  reason. Earlier versions of an object in the same document are context ("superseded").
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import stix2  # type: ignore[import-untyped]  # stix2 ships no type information
from stix2patterns.v21.pattern import Pattern  # type: ignore[import-untyped]  # nor does stix2-patterns

from ctexchange.domain.entities import EntityName, EntityRecord, EntitySchema, Listing, NameQuality, NameType
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Organization
from ctexchange.domain.sightings import Sighting
from ctexchange.domain.signals import LABELS, Family, JsonValue, Signal, SignalStatus
from ctexchange.errors import InvalidInput, PayloadTooLarge
from ctexchange.interop.lists import clean_free_text, clean_name

SPEC_VERSION = "2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
STIX_NAMESPACE = UUID("92a12559-9d58-4132-8ebf-0db4fe093eda")
EXTENSION_ID = "extension-definition--e1826869-66cc-49d2-b6b8-e533e6df2e23"
EXTENSION_VERSION = "1.0.0"
REQUEST_EXTENSION_ID = "extension-definition--5f1c3a8e-2b7d-4e5a-9c61-0a8d4f2e7b13"
ALERT_EXTENSION_ID = "extension-definition--b2e94c17-8f3a-4d6b-a5e2-7c1f0d9a3e48"
REQUEST_TYPE = "ctexchange-request"
ALERT_TYPE = "ctexchange-alert"
OUR_EXTENSIONS = frozenset({EXTENSION_ID, REQUEST_EXTENSION_ID, ALERT_EXTENSION_ID})
SIGNAL_SCHEMA = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ctexchange signal (property extension on indicator, threat-actor and sighting)",
        "type": "object",
        "required": ["extension_type", "kind"],
        "properties": {
            "extension_type": {"const": "property-extension"},
            "kind": {
                "enum": ["md5", "sha256", "pdq", "video", "text", "url", "person", "organization"],
                "description": "the kind of the signal (on sightings: of the signal sighted)",
            },
            "value": {
                "description": "the canonical value of the kind (required on indicators and threat-actors)"
            },
            "status": {"enum": ["active", "disputed", "expired", "delisted"]},
            "external_id": {"type": "string", "maxLength": 200},
            "match_type": {
                "enum": ["exact", "perceptual", "video", "near_duplicate", "containment", "prefix", "domain"]
            },
            "distance": {"type": "number"},
            "is_visible": {"type": "boolean"},
        },
    },
    sort_keys=True,
)
EXCHANGE_IDENTITY_ID = "identity--f04a7cfb-5a69-4ef9-888a-6240fc757430"
FIXED_CREATED = "2026-01-01T00:00:00.000Z"
TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP_IDS: dict[Marking, str] = {
    Marking.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Marking.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Marking.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Marking.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Marking.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1_IDS: dict[str, Marking] = {
    stix2.TLP_WHITE.id: Marking.CLEAR,
    stix2.TLP_GREEN.id: Marking.GREEN,
    stix2.TLP_AMBER.id: Marking.AMBER,
    stix2.TLP_RED.id: Marking.RED,
}
MARKING_OF: dict[str, Marking] = {**{v: k for k, v in TLP_IDS.items()}, **TLP1_IDS}
MAX_STIX_BYTES = 256 * 1024 * 1024
MAX_OBJECTS = 100_000
STIX_TYPE = {Family.CONTENT: "indicator", Family.ENTITY: "threat-actor"}
ENTITY_KINDS = frozenset({"person", "organization"})
CONTEXT_TYPES = frozenset({"identity", "marking-definition", "extension-definition"})
HASH_KINDS = {"md5": "md5", "sha-256": "sha256", "sha256": "sha256", "pdq": "pdq"}
DESCRIPTIONS = {
    "md5": "MD5 of a file: matches the exact file.",
    "sha256": "SHA-256 of a file: matches the exact file.",
    "pdq": "PDQ perceptual hash of an image: matches images within the collection's Hamming distance.",
    "video": "vPDQ fingerprint of a video (frame PDQ hashes, in the extension): matches copies and clips.",
    "text": "A text, in the extension: matches near-duplicates and passages quoted in longer posts.",
    "url": "A URL rule (exact, prefix or domain, in the extension) over canonicalised URLs.",
}
_NAMESPACED_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}:[^\s]{1,100}$")
_SIGNAL_TYPES = frozenset(STIX_TYPE.values())
_FAMILY_OF = {v: k for k, v in STIX_TYPE.items()}
_ORDER = list(Marking)


def stix_time(moment: datetime) -> str:
    """Return a STIX timestamp in UTC with microseconds (`2026-11-29T06:17:04.123456Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stix_time(raw: object, field: str) -> datetime:
    """Return the aware datetime of a STIX or RFC 3339 timestamp; raise InvalidInput naming `field`."""
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip())
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(UTC)
    raise InvalidInput.expected(field, "a timestamp such as 2026-11-29T06:17:04.123Z", raw)


def signal_stix_id(signal: Signal) -> str:
    """Return the STIX id of a signal: `indicator--<id>` or `threat-actor--<id>`."""
    return f"{STIX_TYPE[signal.family]}--{signal.id}"


def organization_ref(org_id: UUID) -> str:
    """Return the STIX id of a member organization's identity."""
    return f"identity--{org_id}"


def split_stix_id(stix_id: str) -> tuple[str, UUID] | None:
    """Return the type and UUID of a STIX id, or None when it is not one."""
    stix_type, sep, ident = stix_id.partition("--")
    if not sep or not stix_type:
        return None
    try:
        return stix_type, UUID(ident)
    except ValueError:
        return None


def signal_id_of(stix_id: str) -> tuple[Family, UUID] | None:
    """Return the family and signal id a STIX id names (`indicator--<id>`...), or None."""
    parts = split_stix_id(stix_id)
    family = None if parts is None else _FAMILY_OF.get(parts[0])
    return None if parts is None or family is None else (family, parts[1])


# Out ------------------------------------------------------------------------------------------------------


def exchange_identity() -> dict[str, Any]:
    """Return the identity of the ctexchange software, the creator of its extension definition."""
    return {
        "type": "identity",
        "spec_version": SPEC_VERSION,
        "id": EXCHANGE_IDENTITY_ID,
        "created": FIXED_CREATED,
        "modified": FIXED_CREATED,
        "name": "ctexchange",
        "description": "The counter-terrorism signal exchange (software), creator of its STIX extension.",
        "identity_class": "system",
    }


def extension_definition() -> dict[str, Any]:
    """Return the definition of the property extension that carries what STIX has no property for."""
    return {
        "type": "extension-definition",
        "spec_version": SPEC_VERSION,
        "id": EXTENSION_ID,
        "created_by_ref": EXCHANGE_IDENTITY_ID,
        "created": FIXED_CREATED,
        "modified": FIXED_CREATED,
        "name": "ctexchange signal",
        "description": (
            "A ctexchange signal: its kind (md5, sha256, pdq, video, text, url, person, organization), "
            "canonical value, status and external id; on sightings, the match type and distance."
        ),
        "schema": SIGNAL_SCHEMA,
        "version": EXTENSION_VERSION,
        "extension_types": ["property-extension"],
    }


def marking_definition(marking: Marking) -> dict[str, Any]:
    """Return the official TLP 2.0 marking definition of `marking`."""
    return {
        "type": "marking-definition",
        "spec_version": SPEC_VERSION,
        "id": TLP_IDS[marking],
        "created": TLP2_CREATED,
        "name": f"TLP:{marking.value}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": marking.value.lower()}
        },
    }


def organization_identity(org: Organization) -> dict[str, Any]:
    """Return the identity of a member organization (the `created_by_ref` of what it owns)."""
    return {
        "type": "identity",
        "spec_version": SPEC_VERSION,
        "id": organization_ref(org.id),
        "created": stix_time(org.created_at),
        "modified": stix_time(org.created_at),
        "name": org.name,
        "identity_class": "organization",
    }


def signal_object(signal: Signal) -> dict[str, Any]:
    """Return the STIX object of a signal: an indicator (content) or a threat-actor (entity)."""
    if signal.family is Family.ENTITY:
        return threat_actor(signal)
    return indicator(signal)


def _common(signal: Signal) -> dict[str, Any]:
    extension: dict[str, Any] = {
        "extension_type": "property-extension",
        "kind": signal.kind,
        "value": without_nulls(signal.value),
        "status": signal.status.value,
    }
    if signal.external_id is not None:
        extension["external_id"] = signal.external_id
    common: dict[str, Any] = {
        "type": STIX_TYPE[signal.family],
        "spec_version": SPEC_VERSION,
        "id": signal_stix_id(signal),
        "created_by_ref": organization_ref(signal.org_id),
        "created": stix_time(signal.created_at),
        "modified": stix_time(signal.updated_at),
        "object_marking_refs": [TLP_IDS[signal.marking]],
        "extensions": {EXTENSION_ID: extension},
    }
    if signal.labels:
        common["labels"] = sorted(signal.labels)
    return common


def indicator(signal: Signal) -> dict[str, Any]:
    """Return the indicator of a content signal, with a pattern other tools can evaluate."""
    return {
        **_common(signal),
        "name": f"{signal.kind} {signal.value_key}"[:200],
        "description": DESCRIPTIONS.get(signal.kind, f"A {signal.kind} fingerprint."),
        "indicator_types": ["malicious-activity"],
        "pattern": pattern_for(signal.kind, signal.value),
        "pattern_type": "stix",
        "pattern_version": SPEC_VERSION,
        "valid_from": stix_time(signal.created_at),
    }


def threat_actor(signal: Signal) -> dict[str, Any]:
    """Return the threat-actor of a designated person or organization, with aliases and its listing."""
    record = EntityRecord.from_json(signal.value)
    primary = record.primary_name
    aliases = list(dict.fromkeys(n.text for n in record.names if n.text != primary))
    listing = record.listing
    reference: dict[str, Any] = {"source_name": listing.source, "external_id": listing.reference}
    if listing.program:
        reference["description"] = listing.program
    obj: dict[str, Any] = {
        **_common(signal),
        "name": primary,
        "description": listing.narrative
        or f"Designated under {listing.source}, reference {listing.reference}.",
        "threat_actor_types": ["terrorist"],
        "resource_level": "individual" if record.schema is EntitySchema.PERSON else "organization",
        "external_references": [reference],
    }
    if aliases:
        obj["aliases"] = aliases
    return obj


def pattern_for(kind: str, value: JsonValue) -> str:
    """Return the STIX pattern of a content signal's canonical value."""
    if kind == "md5":
        return f"[file:hashes.MD5 = '{value}']"
    if kind == "sha256":
        return f"[file:hashes.'SHA-256' = '{value}']"
    if kind == "pdq":
        return f"[file:hashes.'PDQ' = '{value}']"
    if kind == "video":
        if value.get("md5"):
            return f"[file:hashes.MD5 = '{value['md5']}']"
        digest = hashlib.sha256("\n".join(value["frames"]).encode()).hexdigest()
        return f"[file:hashes.'VPDQ-SHA-256' = '{digest}']"
    if kind == "text":
        payload = base64.b64encode(str(value).encode()).decode("ascii")
        return f"[artifact:mime_type = 'text/plain' AND artifact:payload_bin = b'{payload}']"
    if kind == "url":
        return _url_pattern(value["url"], value["level"])
    raise ValueError(f"kind {kind!r} has no STIX pattern")


def _url_pattern(url: str, level: str) -> str:
    scheme_end = url.index("://") + 3
    path_start = url.find("/", scheme_end)
    host = url[scheme_end:] if path_start < 0 else url[scheme_end:path_start]
    if level == "domain":
        return f"[domain-name:value = {_literal(host)}]"
    if level == "prefix":
        is_root = path_start < 0 or url[path_start:] == "/"
        tail = "" if is_root else "(?:[/?#]|$)"
        return f"[url:value MATCHES {_literal('^' + re.escape(url) + tail)}]"
    return f"[url:value = {_literal(url)}]"


def _literal(text: str) -> str:
    """Return `text` as a STIX pattern string literal (backslash and quote escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def without_nulls(value: Any) -> Any:
    """Return `value` without null members of objects (STIX forbids null property values)."""
    if isinstance(value, Mapping):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [without_nulls(v) for v in value]
    return value


def relationship_id(source_ref: str, target_ref: str) -> str:
    """Return the derived id of an `indicates` relationship between two STIX ids."""
    return f"relationship--{uuid.uuid5(STIX_NAMESPACE, f'{source_ref}|indicates|{target_ref}')}"


def relationship(content: Signal, entity: Signal) -> dict[str, Any]:
    """Return `content indicates entity`: the content signal's label names the entity's reference."""
    source, target = signal_stix_id(content), signal_stix_id(entity)
    return {
        "type": "relationship",
        "spec_version": SPEC_VERSION,
        "id": relationship_id(source, target),
        "created_by_ref": organization_ref(content.org_id),
        "created": stix_time(max(content.created_at, entity.created_at)),
        "modified": stix_time(max(content.updated_at, entity.updated_at)),
        "relationship_type": "indicates",
        "source_ref": source,
        "target_ref": target,
        "object_marking_refs": [TLP_IDS[most_restrictive([content.marking, entity.marking])]],
    }


def linked_references(signal: Signal) -> set[str]:
    """Return the listing references a content signal's namespaced labels name (`un:QDe.115` → QDe.115)."""
    if signal.family is not Family.CONTENT:
        return set()
    return {label.partition(":")[2] for label in signal.labels if ":" in label}


def links(signals: Iterable[Signal]) -> list[tuple[Signal, Signal]]:
    """Return (content, entity) pairs where a content signal's label names the entity's reference."""
    chosen = list(signals)
    entities: dict[str, list[Signal]] = {}
    for signal in chosen:
        if signal.family is Family.ENTITY:
            entities.setdefault(signal.value_key, []).append(signal)
    return [
        (signal, entity)
        for signal in chosen
        for reference in sorted(linked_references(signal))
        for entity in entities.get(reference, [])
    ]


def sighting_object(sighting: Sighting, signal: Signal) -> dict[str, Any]:
    """Return a sighting of a signal by a member organization (for the signal's owner only)."""
    at = stix_time(sighting.at)
    return {
        "type": "sighting",
        "spec_version": SPEC_VERSION,
        "id": f"sighting--{sighting.id}",
        "created_by_ref": organization_ref(signal.org_id),
        "created": at,
        "modified": at,
        "first_seen": at,
        "last_seen": at,
        "count": 1,
        "sighting_of_ref": signal_stix_id(signal),
        "where_sighted_refs": [organization_ref(sighting.org_id)],
        "object_marking_refs": [TLP_IDS[signal.marking]],
        "extensions": {
            EXTENSION_ID: {
                "extension_type": "property-extension",
                "kind": sighting.kind,
                "match_type": sighting.match_type,
                "distance": sighting.distance,
                "is_visible": sighting.is_visible,
            }
        },
    }


def most_restrictive(markings: Iterable[Marking]) -> Marking:
    """Return the most restrictive of some markings (RED over AMBER+STRICT over ... over CLEAR)."""
    return max(markings, key=_ORDER.index)


def new_bundle_id() -> str:
    """Return a fresh bundle id (a bundle is a transient wrapper; its objects keep their own ids)."""
    return f"bundle--{uuid.uuid4()}"


# In -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalDraft:
    """What one STIX object says a signal is; the service validates it through the kinds."""

    index: int
    stix_id: str
    stix_type: str
    version: str
    kind: str
    value: JsonValue
    labels: tuple[str, ...]
    marking: Marking | None
    status: SignalStatus
    external_id: str | None
    value_field: str

    @property
    def field(self) -> str:
        """The name of the object in error messages: `objects[3]`."""
        return f"objects[{self.index}]"

    @property
    def family(self) -> Family:
        """The family the STIX type stands for."""
        return Family.ENTITY if self.stix_type == "threat-actor" else Family.CONTENT


@dataclass(frozen=True)
class Context:
    """An object read to understand the others (identity, marking, extension, earlier version, link)."""

    index: int
    stix_id: str
    stix_type: str
    version: str
    note: str


@dataclass(frozen=True)
class Unmapped:
    """An object this exchange cannot hold, with the reason; `obj` is kept for other parts to take."""

    index: int
    stix_id: str
    stix_type: str
    version: str
    reason: str
    obj: Mapping[str, Any]


@dataclass(frozen=True)
class ParsedStix:
    """Every object of a document, sorted into drafts, context and unmapped objects."""

    drafts: tuple[SignalDraft, ...]
    context: tuple[Context, ...]
    unmapped: tuple[Unmapped, ...]

    @property
    def total(self) -> int:
        """How many objects the document held."""
        return len(self.drafts) + len(self.context) + len(self.unmapped)


def read_stix_document(data: bytes, field: str = "file") -> list[Any]:
    """Return the objects of a STIX bundle or TAXII envelope; raise InvalidInput naming `field`."""
    if len(data) > MAX_STIX_BYTES:
        raise PayloadTooLarge(
            f"'{field}' must be at most {MAX_STIX_BYTES} bytes (got {len(data)})", field=field
        )
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput(
            f"'{field}' must be STIX 2.1 JSON in UTF-8 ({type(exc).__name__})", field=field
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("objects", []), list):
        raise InvalidInput.expected(field, "a STIX bundle or TAXII envelope with an 'objects' list", document)
    if "type" in document and document["type"] != "bundle":
        raise InvalidInput.expected(
            f"{field}.type", "'bundle' (or no type, for a TAXII envelope)", document["type"]
        )
    objects: list[Any] = document.get("objects", [])
    if len(objects) > MAX_OBJECTS:
        raise PayloadTooLarge(
            f"'{field}.objects' must hold at most {MAX_OBJECTS} objects (got {len(objects)})",
            field=f"{field}.objects",
        )
    return objects


def parse_objects(objects: Sequence[Any]) -> ParsedStix:
    """Sort a document's objects into drafts, context and unmapped; raise InvalidInput for bad STIX."""
    latest = _latest_versions(objects)
    drafts: list[SignalDraft] = []
    context: list[Context] = []
    unmapped: list[Unmapped] = []
    for index, obj in enumerate(objects):
        if latest[obj["id"]] != index:
            context.append(_context(index, obj, "superseded by a later version in the same document"))
            continue
        outcome = _map(index, obj)
        if isinstance(outcome, SignalDraft):
            drafts.append(outcome)
        elif isinstance(outcome, Context):
            context.append(outcome)
        else:
            unmapped.append(outcome)
    linked = _linked_relationships(drafts, unmapped)
    return ParsedStix(
        tuple(drafts),
        tuple(sorted([*context, *linked], key=lambda c: c.index)),
        tuple(u for u in unmapped if u.index not in {c.index for c in linked}),
    )


def _latest_versions(objects: Sequence[Any]) -> dict[str, int]:
    """Check every object's shape; return, per id, the index of its latest version in the document."""
    latest: dict[str, tuple[datetime, int]] = {}
    for index, obj in enumerate(objects):
        field = f"objects[{index}]"
        if not isinstance(obj, dict):
            raise InvalidInput.expected(field, "a STIX object", obj)
        for key in ("type", "id"):
            if not isinstance(obj.get(key), str) or not obj[key]:
                raise InvalidInput.expected(f"{field}.{key}", "a non-empty string", obj.get(key))
        _validate(obj, field)
        version = parse_stix_time(obj.get("modified", obj.get("created", FIXED_CREATED)), f"{field}.modified")
        seen = latest.get(obj["id"])
        if seen is None or version >= seen[0]:
            latest[obj["id"]] = (version, index)
    return {stix_id: index for stix_id, (_, index) in latest.items()}


def _validate(obj: Mapping[str, Any], field: str) -> None:
    """Check one object against STIX 2.1 with the stix2 library (custom content allowed)."""
    if obj.get("spec_version") != SPEC_VERSION:
        return  # reported as unmapped: only STIX 2.1 is read
    try:
        stix2.parse(dict(obj), allow_custom=True, version=SPEC_VERSION)
    except Exception as exc:  # stix2 raises STIXError, ValueError and others for invalid content
        detail = " ".join(str(exc).split())[:300]
        raise InvalidInput(
            f"'{field}' must be a valid STIX 2.1 {obj['type']} ({detail})", field=field
        ) from None


def _context(index: int, obj: Mapping[str, Any], note: str) -> Context:
    return Context(index, obj["id"], obj["type"], _version(obj), note)


def _unmapped(index: int, obj: Mapping[str, Any], reason: str) -> Unmapped:
    return Unmapped(index, obj["id"], obj["type"], _version(obj), reason, obj)


def _version(obj: Mapping[str, Any]) -> str:
    return str(obj.get("modified", obj.get("created", "")))


def _map(index: int, obj: Mapping[str, Any]) -> SignalDraft | Context | Unmapped:
    stix_type = obj["type"]
    if obj.get("spec_version") != SPEC_VERSION:
        return _unmapped(index, obj, f"spec_version {obj.get('spec_version')!r}: only STIX 2.1 is read")
    if stix_type in CONTEXT_TYPES:
        return _map_context(index, obj)
    if stix_type in _SIGNAL_TYPES:
        if obj.get("revoked") is True:
            return _unmapped(index, obj, "revoked by its producer")
        if stix_type == "indicator":
            return _map_indicator(index, obj)
        return _map_threat_actor(index, obj)
    if stix_type in (REQUEST_TYPE, ALERT_TYPE):
        return _unmapped(
            index, obj, "requests and alerts are records between their parties here; they are not imported"
        )
    if stix_type == "sighting":
        return _unmapped(
            index, obj, "sightings are recorded by this exchange's own lookups; received ones are not kept"
        )
    return _unmapped(index, obj, f"type {stix_type!r} has no counterpart among signals")


def _map_context(index: int, obj: Mapping[str, Any]) -> Context | Unmapped:
    stix_type = obj["type"]
    if stix_type == "marking-definition":
        marking = MARKING_OF.get(obj["id"])
        if marking is None:
            return _unmapped(
                index, obj, "not a TLP marking: objects marked only with it take the collection's"
            )
        return _context(index, obj, f"TLP:{marking.value}")
    if stix_type == "extension-definition" and obj["id"] not in OUR_EXTENSIONS:
        return _context(index, obj, "an extension this exchange does not read: its properties are ignored")
    return _context(index, obj, "read as context (an author or our extension), not stored as a signal")


def _extension(obj: Mapping[str, Any], field: str) -> Mapping[str, Any] | None:
    extensions = obj.get("extensions", {})
    found = extensions.get(EXTENSION_ID) if isinstance(extensions, Mapping) else None
    if found is None:
        return None
    if not isinstance(found, Mapping) or not isinstance(found.get("kind"), str) or "value" not in found:
        raise InvalidInput.expected(f"{field}.ctexchange", "an object with 'kind' and 'value'", found)
    return found


def _draft(index: int, obj: Mapping[str, Any], kind: str, value: JsonValue, value_field: str) -> SignalDraft:
    field = f"objects[{index}]"
    extension = _extension(obj, field) or {}
    external = extension.get("external_id")
    return SignalDraft(
        index=index,
        stix_id=obj["id"],
        stix_type=obj["type"],
        version=_version(obj),
        kind=kind,
        value=value,
        labels=map_labels(obj.get("labels", [])),
        marking=_marking(obj),
        status=SignalStatus.parse(extension.get("status", "active"), f"{field}.ctexchange.status"),
        external_id=None if external is None else str(external),
        value_field=value_field,
    )


def _map_indicator(index: int, obj: Mapping[str, Any]) -> SignalDraft | Unmapped:
    field = f"objects[{index}]"
    extension = _extension(obj, field)
    if extension is not None:
        return _draft(index, obj, extension["kind"], extension["value"], f"{field}.ctexchange.value")
    if obj.get("pattern_type") != "stix":
        return _unmapped(index, obj, f"pattern_type {obj.get('pattern_type')!r}: only STIX patterns are read")
    found = kind_of_pattern(obj["pattern"])
    if found is None:
        return _unmapped(
            index,
            obj,
            "the pattern is not one comparison this exchange matches (file:hashes.MD5, 'SHA-256' or 'PDQ', "
            "url:value or domain-name:value with =)",
        )
    return _draft(index, obj, found[0], found[1], f"{field}.pattern")


def kind_of_pattern(pattern: str) -> tuple[str, JsonValue] | None:
    """Return the (kind, raw value) of a one-comparison STIX pattern this exchange matches, else None."""
    inspected = Pattern(pattern).inspect()
    comparisons = [(t, p, op, v) for t, found in inspected.comparisons.items() for p, op, v in found]
    if len(comparisons) != 1 or inspected.observation_ops or inspected.qualifiers:
        return None
    object_type, path, operator, literal = comparisons[0]
    if operator != "=" or not (literal.startswith("'") and literal.endswith("'")):
        return None
    text = literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    if object_type == "file" and len(path) == 2 and path[0] == "hashes":
        kind = HASH_KINDS.get(str(path[1]).lower())
        return None if kind is None else (kind, text)
    if object_type == "url" and path == ["value"]:
        return "url", text
    if object_type == "domain-name" and path == ["value"]:
        return "url", {"url": text, "level": "domain"}
    return None


def _map_threat_actor(index: int, obj: Mapping[str, Any]) -> SignalDraft:
    field = f"objects[{index}]"
    extension = _extension(obj, field)
    if extension is not None:
        value = extension["value"]
        if extension["kind"] in ENTITY_KINDS:
            value = checked_entity(value, f"{field}.ctexchange.value")
        return _draft(index, obj, extension["kind"], value, f"{field}.ctexchange.value")
    record = _entity_from_stix(obj, field)
    kind = "person" if record.schema is EntitySchema.PERSON else "organization"
    return _draft(index, obj, kind, record.to_json(), field)


def _entity_from_stix(obj: Mapping[str, Any], field: str) -> EntityRecord:
    """Build an entity record from a threat-actor made elsewhere (name, aliases, first external reference)."""
    names = [EntityName(clean_name(obj["name"], f"{field}.name"))]
    for i, alias in enumerate(obj.get("aliases", [])):
        text = clean_name(alias, f"{field}.aliases[{i}]")
        if text and text.casefold() not in {n.text.casefold() for n in names}:
            names.append(EntityName(text, NameType.ALIAS, NameQuality.GOOD))
    references = [r for r in obj.get("external_references", []) if r.get("external_id")]
    source = references[0]["source_name"] if references else "STIX"
    listing = Listing(
        source=clean_name(source, f"{field}.external_references[0].source_name"),
        reference=clean_name(references[0]["external_id"], f"{field}.external_references[0].external_id")
        if references
        else obj["id"],
        narrative=clean_free_text(obj.get("description")),
    )
    schema = EntitySchema.PERSON if obj.get("resource_level") == "individual" else EntitySchema.ORGANIZATION
    return EntityRecord(schema, tuple(names), listing)


def checked_entity(raw: JsonValue, field: str) -> JsonValue:
    """Return an entity record's JSON with its names checked for hidden characters and free text cleaned."""
    record = EntityRecord.from_json(raw, field)
    names = tuple(
        EntityName(clean_name(n.text, f"{field}.names[{i}].text"), n.type, n.quality)
        for i, n in enumerate(record.names)
    )
    listing = record.listing
    cleaned = Listing(
        source=clean_name(listing.source, f"{field}.listing.source"),
        reference=clean_name(listing.reference, f"{field}.listing.reference"),
        program=clean_free_text(listing.program),
        list_type=clean_free_text(listing.list_type),
        listed_on=listing.listed_on,
        legal_basis=clean_free_text(listing.legal_basis),
        narrative=clean_free_text(listing.narrative),
    )
    addresses = tuple(clean_free_text(a) for a in record.addresses)
    places = tuple(clean_free_text(p) for p in record.birth_places)
    return EntityRecord(
        record.schema,
        names,
        cleaned,
        record.birth_dates,
        places,
        record.nationalities,
        record.unmapped_countries,
        record.documents,
        addresses,
        record.gender,
        record.titles,
        record.designations,
    ).to_json()


def map_labels(raw: object) -> tuple[str, ...]:
    """Return labels as this exchange writes them: ours as they are, others as `stix:<label>`."""
    if not isinstance(raw, list):
        return ()
    labels = []
    for item in raw:
        text = str(item).strip()
        if text in LABELS or _NAMESPACED_LABEL.match(text):
            labels.append(text)
        elif text:
            labels.append("stix:" + "-".join(text.lower().split())[:100])
    return tuple(dict.fromkeys(labels))


def _marking(obj: Mapping[str, Any]) -> Marking | None:
    refs = list(obj.get("object_marking_refs", []))
    refs += [g.get("marking_ref") for g in obj.get("granular_markings", []) if isinstance(g, Mapping)]
    found = [MARKING_OF[r] for r in refs if r in MARKING_OF]
    return most_restrictive(found) if found else None


def _linked_relationships(drafts: Sequence[SignalDraft], unmapped: Sequence[Unmapped]) -> list[Context]:
    """Relationships `indicator indicates threat-actor` already carried by the indicator's labels."""
    by_id = {d.stix_id: d for d in drafts}
    found = []
    for item in unmapped:
        obj = item.obj
        if obj["type"] != "relationship" or obj.get("relationship_type") != "indicates":
            continue
        source, target = by_id.get(obj.get("source_ref", "")), by_id.get(obj.get("target_ref", ""))
        if source is None or target is None or not isinstance(target.value, Mapping):
            continue
        reference = target.value.get("listing", {}).get("reference")
        if any(label.partition(":")[2] == reference for label in source.labels if ":" in label):
            found.append(
                Context(item.index, item.stix_id, item.stix_type, item.version, "carried by the labels")
            )
    return found
