"""Collections (banks): create one, list those the caller may see, read one by id or `ORG/NAME`.

The `{ref:path}` converter lets a reference contain its '/' as typed (`/v1/collections/coalition/UN-1267`);
names never contain '/', so `ORG/NAME` is unambiguous. `%2F` works as well.
"""

from __future__ import annotations

from fastapi import APIRouter

from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import CollectionIn, CollectionOut, ItemList

router = APIRouter(prefix="/v1", tags=["collections"])


@router.post(
    "/collections",
    status_code=201,
    summary="Create a collection",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
)
def create_collection(body: CollectionIn, caller: CallerDep, exchange: ExchangeDep) -> CollectionOut:
    """Create a collection owned by the caller's organization, with its default marking, sharing group
    (one the organization belongs to) and per-kind settings."""
    created = exchange.collections.create(
        caller,
        body.name,
        body.marking,
        body.group,
        body.description,
        body.kind_settings,
        body.hit_policy,
        body.purpose,
        body.requires_review,
        body.sighting_policy,
    )
    return CollectionOut.of(created)


@router.get("/collections", summary="List collections", responses=error_responses(401, 403, 503))
def list_collections(caller: CallerDep, exchange: ExchangeDep) -> ItemList[CollectionOut]:
    """Return every collection the caller may see under the marking rules."""
    return ItemList(items=[CollectionOut.of(c) for c in exchange.collections.list(caller)])


@router.get(
    "/collections/{ref:path}",
    summary="Read a collection",
    responses=error_responses(401, 403, 404, 422, 503),
)
def get_collection(ref: str, caller: CallerDep, exchange: ExchangeDep) -> CollectionOut:
    """Return one collection by id, `ORG/NAME` (the '/' may be typed as is) or NAME (the caller's own,
    else the one visible collection of that name). A collection the caller may not see is 404."""
    return CollectionOut.of(exchange.collections.get(caller, ref))
