"""The JSON of content: hashes of a file, lookups and their hits, items added to a bank, sightings."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ctexchange.domain.sightings import Sighting
from ctexchange.domain.signals import JsonValue
from ctexchange.service.content import (
    MAX_BATCH,
    AddOutcome,
    ContentHit,
    ContentItem,
    ContentQuery,
    MatchOutcome,
    RestrictedHit,
)
from ctexchange.service.reports import SightingSummary, is_anonymised

EXAMPLE_PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
LOOKUP_FIELDS = ("text", "url", "pdq", "md5", "sha256")


def _request(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class LookupIn(BaseModel):
    """One lookup by value: exactly one of `text`, `url`, `pdq`, `md5`, `sha256`."""

    model_config = _request({"id": "upload-0001", "pdq": EXAMPLE_PDQ})

    id: str | None = Field(None, max_length=200, description="Your id for this lookup, echoed in the result.")
    text: str | None = Field(None, description="Text in any script (at most 100,000 characters).")
    url: str | None = Field(None, description="A URL; canonicalised before lookup.")
    pdq: str | None = Field(None, description="A PDQ hash: 64 hex digits.")
    md5: str | None = Field(None, description="An MD5 digest: 32 hex digits.")
    sha256: str | None = Field(None, description="A SHA-256 digest: 64 hex digits.")

    def to_query(self) -> ContentQuery:
        """Return the service's query."""
        return ContentQuery(
            text=self.text, url=self.url, pdq=self.pdq, md5=self.md5, sha256=self.sha256, id=self.id
        )


class LookupBatchIn(BaseModel):
    """Up to 1,000 lookups by value, answered in order."""

    model_config = _request(
        {
            "queries": [
                {"id": "post-1", "text": "…"},
                {"id": "link-1", "url": "https://t.me/example_channel/123"},
                {"id": "img-1", "pdq": EXAMPLE_PDQ},
            ]
        }
    )

    queries: list[LookupIn] = Field(min_length=1, max_length=MAX_BATCH)


class ContentHitOut(BaseModel):
    """A hit: the signal, its bank, how close (`distance` for PDQ, else `score`) and why."""

    signal_id: UUID
    external_id: str | None = Field(description="The id given when the signal was added.")
    collection: str
    collection_id: UUID
    kind: str
    match_type: str = Field(
        description="exact, perceptual, video, near_duplicate, containment, prefix or domain."
    )
    distance: int | None = Field(None, description="PDQ: bits that differ (lower is closer).")
    score: float | None = Field(None, description="Other kinds: similarity in [0, 1] (1 for exact).")
    labels: list[str]
    marking: str
    status: str
    explanation: dict[str, Any]
    case_id: UUID | None = Field(
        None,
        description="The review case this hit opened or joined (a service key's hit in a bank that"
        " requires review); null otherwise.",
    )

    @classmethod
    def of(cls, hit: ContentHit) -> ContentHitOut:
        """Render a hit."""
        return cls(
            signal_id=hit.signal.id,
            external_id=hit.signal.external_id,
            collection=hit.collection.name,
            collection_id=hit.collection.id,
            kind=hit.signal.kind,
            match_type=hit.match_type,
            labels=sorted(hit.signal.labels),
            marking=hit.signal.marking.value,
            status=hit.signal.status.value,
            explanation=hit.explanation,
            distance=int(hit.distance) if "distance" in hit.measure else None,
            score=hit.measure.get("score"),
            case_id=hit.case_id,
        )


class RestrictedOut(BaseModel):
    """A hit on a signal you may not see, in a bank whose owner asks to be contacted."""

    owner: str = Field(description="The organization to contact.")
    kind: str
    message: str

    @classmethod
    def of(cls, hit: RestrictedHit) -> RestrictedOut:
        """Render a restricted hit."""
        message = f"a restricted {hit.kind} signal matched: contact {hit.owner}"
        return cls(owner=hit.owner, kind=hit.kind, message=message)


class MatchOut(BaseModel):
    """What one lookup found (best first) and the hashes computed from it."""

    id: str | None
    hashes: dict[str, Any]
    matches: list[ContentHitOut]
    restricted: list[RestrictedOut]
    notes: list[str]
    case_ids: list[UUID] = Field(
        default_factory=list, description="The review cases this lookup's hits opened or joined."
    )

    @classmethod
    def of(cls, outcome: MatchOutcome) -> MatchOut:
        """Render one lookup's outcome."""
        return cls(
            id=outcome.id,
            hashes=outcome.hashes,
            matches=[ContentHitOut.of(h) for h in outcome.hits],
            restricted=[RestrictedOut.of(r) for r in outcome.restricted],
            notes=outcome.notes,
            case_ids=outcome.case_ids,
        )


class MatchBatchOut(BaseModel):
    """The lookups' outcomes, in the order of the queries."""

    responses: list[MatchOut]


class ContentItemIn(BaseModel):
    """One item for a bank: exactly one of `text`, `url` (a string, or an object with a level),
    `pdq`, `md5`, `sha256` or `vpdq` (frame lines `frame,quality,hash,timestamp`)."""

    model_config = _request(
        {"id": "item-1", "url": {"url": "t.me/example_channel", "level": "prefix"}, "labels": ["propaganda"]}
    )

    id: str | None = Field(
        None, max_length=200, description="Your id for the item (the signal's external id)."
    )
    text: str | None = None
    url: str | dict[str, Any] | None = None
    pdq: str | None = None
    md5: str | None = None
    sha256: str | None = None
    vpdq: list[str] | None = None
    labels: list[str] = Field(default_factory=list)
    marking: str | None = Field(None, description="TLP marking; the collection's default when absent.")

    def to_item(self) -> ContentItem:
        """Return the service's item."""
        raw = {
            "text": self.text,
            "url": self.url,
            "pdq": self.pdq,
            "md5": self.md5,
            "sha256": self.sha256,
            "vpdq": self.vpdq,
        }
        values: dict[str, JsonValue] = {k: v for k, v in raw.items() if v is not None}
        return ContentItem(None, values, self.labels, self.marking, self.id)


class ContentAddIn(BaseModel):
    """Up to 1,000 items added to one bank in one transaction."""

    model_config = _request(
        {
            "items": [
                {"id": "item-1", "pdq": EXAMPLE_PDQ, "labels": ["propaganda"]},
                {"id": "item-2", "url": {"url": "t.me/example_channel", "level": "prefix"}},
            ]
        }
    )

    items: list[ContentItemIn] = Field(min_length=1, max_length=MAX_BATCH)


class AddedOut(BaseModel):
    """What adding one item did."""

    external_id: str | None
    added: list[UUID] = Field(description="Signals created.")
    added_kinds: list[str]
    present: list[UUID] = Field(description="Signals the collection held already (not added twice).")
    notes: list[str]
    hashes: dict[str, Any]

    @classmethod
    def of(cls, outcome: AddOutcome, external_id: str | None) -> AddedOut:
        """Render one item's outcome."""
        return cls(
            external_id=external_id,
            added=[s.id for s in outcome.added],
            added_kinds=[s.kind for s in outcome.added],
            present=[s.id for s in outcome.present],
            notes=outcome.notes,
            hashes=outcome.hashes,
        )


class ContentAddOut(BaseModel):
    """The items' outcomes, in order."""

    items: list[AddedOut]


class SightingOut(BaseModel):
    """One hit on one of your signals: who matched it, when, and whether they could see it."""

    id: UUID
    signal_id: UUID
    org_id: UUID = Field(description="The organization whose lookup matched.")
    kind: str
    match_type: str
    distance: float
    is_visible: bool = Field(description="Whether that organization may see the signal.")
    is_anonymised: bool = Field(
        description="The signal's bank is `anonymised`: `org_id` is a pseudonym's id, not the organization's."
    )
    pseudonym: str | None = Field(
        description="`member-N`: the N-th organization to have matched this signal (anonymised banks only)."
    )
    at: datetime

    @classmethod
    def of(cls, sighting: Sighting) -> SightingOut:
        """Render a sighting."""
        return cls(
            id=sighting.id,
            signal_id=sighting.signal_id,
            org_id=sighting.org_id,
            kind=sighting.kind,
            match_type=sighting.match_type,
            distance=sighting.distance,
            is_visible=sighting.is_visible,
            is_anonymised=is_anonymised(sighting),
            pseudonym=sighting.actor if is_anonymised(sighting) else None,
            at=sighting.at,
        )


class SightingCountOut(BaseModel):
    """How many sightings one organization (or pseudonym) made in one bucket."""

    bucket: str = Field(description="The hour (`2026-11-29T06`) or day (`2026-11-29`), UTC.")
    org: str = Field(
        description="The organization's id, or `SIGNAL_ID/member-N` for one that matched a signal of an"
        " anonymised bank."
    )
    is_anonymised: bool
    count: int


class BucketOut(BaseModel):
    """How many sightings there were in one bucket."""

    bucket: str
    count: int


class SightingSummaryOut(BaseModel):
    """Sighting counts of your signals (or one of them) over time."""

    signal_id: UUID | None
    start: datetime = Field(description="The first moment counted.")
    end: datetime = Field(description="The first moment no longer counted.")
    bucket: str = Field(description="`hour` or `day`.")
    total: int
    buckets: list[BucketOut] = Field(description="Buckets with at least one sighting, oldest first.")
    organizations: list[SightingCountOut] = Field(description="Per bucket and matching organization.")

    @classmethod
    def of(cls, summary: SightingSummary) -> SightingSummaryOut:
        """Render a summary."""
        return cls(
            signal_id=summary.signal_id,
            start=summary.start,
            end=summary.end,
            bucket=summary.bucket,
            total=summary.total,
            buckets=[BucketOut(bucket=b, count=n) for b, n in summary.per_bucket],
            organizations=[
                SightingCountOut(bucket=c.bucket, org=c.org, is_anonymised=c.is_anonymised, count=c.count)
                for c in summary.per_org
            ],
        )
