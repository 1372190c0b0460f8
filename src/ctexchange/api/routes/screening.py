"""Screening: `POST /v1/screen` and `GET /v1/entities/{id}`."""

from __future__ import annotations

from fastapi import APIRouter

from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.screening_schemas import EntityOut, HitOut, ResultOut, ScreenIn, ScreenOut

router = APIRouter(prefix="/v1", tags=["screening"])


@router.post(
    "/screen",
    summary="Screen persons and organizations",
    responses=error_responses(401, 403, 404, 413, 422, 503),
)
def screen(body: ScreenIn, caller: CallerDep, exchange: ExchangeDep) -> ScreenOut:
    """Score each query against the designated entities the caller may see (names in any script,
    date of birth, nationality, document number, gender) and return the best results first, each with
    a score in [0, 1], a match flag at the threshold and an explanation of every feature."""
    queries = [q.to_query(i) for i, q in enumerate(body.queries)]
    results = exchange.screening.screen(caller, queries, body.collections, body.threshold, body.limit)
    return ScreenOut(
        responses=[
            ResultOut(id=q.id, results=[HitOut.of(h) for h in hits])
            for q, hits in zip(body.queries, results, strict=True)
        ]
    )


@router.get(
    "/entities/{entity_id}",
    summary="Read a designated entity",
    responses=error_responses(401, 403, 404, 422, 503),
)
def get_entity(entity_id: str, caller: CallerDep, exchange: ExchangeDep) -> EntityOut:
    """Return one designated entity with its listing (source, reference, program, legal basis), status
    and earlier values. An entity the caller may not see is 404, exactly as one that does not exist."""
    return EntityOut.of(exchange.screening.entity(caller, entity_id))
