"""The JSON of screening: queries in FollowTheMoney's property style, results with explanations."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ctexchange.domain.entities import ScreeningQuery
from ctexchange.service.screening import EntityView, ScreeningHit, make_query

QUERY_EXAMPLE: dict[str, Any] = {
    "id": "passenger-0001",
    "schema": "Person",
    "properties": {
        "name": ["محمد عبد الله", "Mohammed Abdullah"],
        "birthDate": ["1971"],
        "nationality": ["SY"],
        "idNumber": ["N123456"],
    },
}


class QueryProperties(BaseModel):
    """What is known of the person or organization screened (FollowTheMoney property names)."""

    model_config = ConfigDict(extra="forbid")

    name: list[str] = Field(min_length=1, description="Names in any script; at least one.")
    birthDate: list[str] = Field(default=[], description="YYYY, YYYY-MM or YYYY-MM-DD.")  # noqa: N815
    nationality: list[str] = Field(default=[], description="ISO 3166-1 alpha-2 codes.")
    idNumber: list[str] = Field(default=[], description="Passport or identity document numbers.")  # noqa: N815
    gender: str | None = Field(default=None, description="male or female.")


class QueryIn(BaseModel):
    """One query: an id the caller chooses (echoed in the result), a schema and properties."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [QUERY_EXAMPLE]})

    id: str | None = Field(default=None, max_length=200)
    schema_: str = Field(default="Person", alias="schema", description="Person or Organization.")
    properties: QueryProperties

    def to_query(self, index: int) -> ScreeningQuery:
        """Validate through the service's rules (scripts, hidden characters, dates, countries)."""
        p = self.properties
        return make_query(
            self.schema_,
            p.name,
            p.birthDate,
            p.nationality,
            p.idNumber,
            p.gender,
            field=f"queries[{index}].properties",
        )


class ScreenIn(BaseModel):
    """A batch of queries, with an optional threshold, collections to search and result limit."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"queries": [QUERY_EXAMPLE], "threshold": 0.7, "collections": ["UN-SC"]}]
        },
    )

    queries: list[QueryIn] = Field(min_length=1, max_length=1000)
    threshold: float | None = Field(default=None, description="Match threshold in (0, 1]; default 0.7.")
    collections: list[str] = Field(default=[], description="Collections to search (default: all visible).")
    limit: int = Field(default=10, description="Results per query, best first (1-50).")


class ListingOut(BaseModel):
    """Where a designation comes from and on what legal basis."""

    source: str
    reference: str
    program: str
    list_type: str
    listed_on: str | None
    legal_basis: str
    narrative: str


class HitOut(BaseModel):
    """One entity scored against a query, with the explanation of its score."""

    signal_id: UUID
    external_id: str | None
    collection_id: UUID
    entity_schema: str = Field(serialization_alias="schema", description="Person or Organization.")
    name: str
    score: float
    match: bool
    status: str
    listing: ListingOut
    explanation: dict[str, Any]

    @classmethod
    def of(cls, hit: ScreeningHit) -> HitOut:
        """Render a hit."""
        listing = hit.record.listing
        return cls(
            signal_id=hit.signal.id,
            external_id=hit.signal.external_id,
            collection_id=hit.signal.collection_id,
            entity_schema=hit.record.schema.value,
            name=hit.record.primary_name,
            score=round(hit.score, 4),
            match=hit.is_match,
            status=hit.signal.status.value,
            listing=ListingOut(**vars(listing)),
            explanation=hit.explanation,
        )


class ResultOut(BaseModel):
    """The results of one query, best first."""

    id: str | None
    results: list[HitOut]


class ScreenOut(BaseModel):
    """The results of every query, in the order sent."""

    responses: list[ResultOut]


class VersionOut(BaseModel):
    """An earlier value of the entry and when it held."""

    version: int
    value: Any
    status: str
    valid_from: datetime
    valid_to: datetime


class EntityOut(BaseModel):
    """A designated entity with its listing, status and history."""

    id: UUID
    collection_id: UUID
    external_id: str | None
    kind: str
    status: str
    marking: str
    entity: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    history: list[VersionOut]

    @classmethod
    def of(cls, view: EntityView) -> EntityOut:
        """Render an entity."""
        s = view.signal
        return cls(
            id=s.id,
            collection_id=s.collection_id,
            external_id=s.external_id,
            kind=s.kind,
            status=s.status.value,
            marking=s.marking.value,
            entity=view.record.to_json(),
            created_at=s.created_at,
            updated_at=s.updated_at,
            history=[
                VersionOut(
                    version=v.version,
                    value=v.value,
                    status=v.status.value,
                    valid_from=v.valid_from,
                    valid_to=v.valid_to,
                )
                for v in view.history
            ],
        )
