"""Signals: add one or a batch, list, count and export with filters, read one, change status, opinions.

List, count and export share one set of query filters (`signal_query`). Export streams NDJSON from the
service's generator; the first item is pulled before the response starts, so that an error the service
raises up front (a role without export, a bad filter) still leaves as the JSON error envelope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import (
    BatchOut,
    CountOut,
    ItemList,
    OpinionIn,
    OpinionOut,
    SignalBatchIn,
    SignalIn,
    SignalOut,
    StatusIn,
)
from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import SignalQuery
from ctexchange.domain.signals import Family, Signal, SignalStatus
from ctexchange.service.context import Caller
from ctexchange.service.pages import encode_cursor

router = APIRouter(prefix="/v1", tags=["signals"])

READ = error_responses(401, 403, 404, 422, 503)
WRITE = error_responses(401, 403, 404, 409, 413, 422, 503)
NDJSON = "application/x-ndjson"


def signal_query(
    caller: CallerDep,
    exchange: ExchangeDep,
    collection: Annotated[str | None, Query(description="Collection id, `ORG/NAME` or NAME.")] = None,
    kind: Annotated[str | None, Query(description="A registered kind (`md5`...).")] = None,
    family: Family | None = None,
    status: SignalStatus | None = None,
    marking: Annotated[str | None, Query(description="TLP marking; write '+' as %2B.")] = None,
    label: str | None = None,
    external_id: str | None = None,
    q: Annotated[str | None, Query(description="Text within the value or the external id.")] = None,
    created_after: AwareDatetime | None = None,
    created_before: AwareDatetime | None = None,
) -> SignalQuery:
    """Return the query the filters describe; a collection the caller may not see is 404."""
    return SignalQuery(
        collection_id=None if collection is None else exchange.collections.get(caller, collection).id,
        family=family,
        kind=None if kind is None else exchange.kinds.get(kind, "kind").name,
        status=status,
        marking=None if marking is None else Marking.parse(marking, "marking"),
        label=label,
        external_id=external_id,
        text=q,
        created_after=created_after,
        created_before=created_before,
    )


QueryDep = Annotated[SignalQuery, Depends(signal_query)]


@router.post("/signals", status_code=201, summary="Add a signal", responses=WRITE)
def add_signal(body: SignalIn, caller: CallerDep, exchange: ExchangeDep) -> SignalOut:
    """Add one signal to a collection of the caller's organization; its marking defaults to the
    collection's, and a RED signal may name recipient users."""
    signal = exchange.signals.add(caller, body.collection, body.to_new())
    return SignalOut.of(signal, caller)


@router.post("/signals/batch", status_code=201, summary="Add signals in one transaction", responses=WRITE)
def add_signals(body: SignalBatchIn, caller: CallerDep, exchange: ExchangeDep) -> BatchOut[SignalOut]:
    """Add up to 10,000 signals to one collection: all of them or none. An error names the item at
    fault as `signals[i].field`."""
    added = exchange.signals.add_many(caller, body.collection, [s.to_new() for s in body.signals])
    return BatchOut(items=[SignalOut.of(s, caller) for s in added])


@router.get("/signals", summary="List signals", responses=READ)
def list_signals(
    caller: CallerDep,
    exchange: ExchangeDep,
    query: QueryDep,
    limit: Annotated[int | None, Query(description="Items per page (default and maximum: settings).")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> ItemList[SignalOut]:
    """Return one page of the signals matching the filters that the caller may see, oldest first."""
    page = exchange.signals.find(caller, query, exchange.signals.page_request(limit, cursor))
    return ItemList(
        items=[SignalOut.of(s, caller) for s in page.items], next_cursor=encode_cursor(page.next_after)
    )


@router.get("/signals/count", summary="Count signals", responses=READ)
def count_signals(caller: CallerDep, exchange: ExchangeDep, query: QueryDep) -> CountOut:
    """Return how many signals match the filters, among those the caller may see."""
    return CountOut(count=exchange.signals.count(caller, query))


def _ndjson(first: Signal | None, rest: Iterator[Signal], caller: Caller) -> Iterator[str]:
    if first is None:
        return
    yield SignalOut.of(first, caller).model_dump_json() + "\n"
    for signal in rest:
        yield SignalOut.of(signal, caller).model_dump_json() + "\n"


@router.get(
    "/signals/export",
    summary="Export signals as NDJSON",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One signal JSON object per line.",
            "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/SignalOut"}}},
        },
        **READ,
    },
)
def export_signals(caller: CallerDep, exchange: ExchangeDep, query: QueryDep) -> StreamingResponse:
    """Stream every signal matching the filters that may leave the exchange for the caller, one JSON
    object per line. AMBER+STRICT and RED signals are exported to their owner only."""
    signals = exchange.signals.export(caller, query)
    first = next(signals, None)
    return StreamingResponse(_ndjson(first, signals, caller), media_type=NDJSON)


@router.get("/signals/{signal_id}", summary="Read a signal", responses=READ)
def get_signal(signal_id: str, caller: CallerDep, exchange: ExchangeDep) -> SignalOut:
    """Return one signal. A signal the caller may not see is 404, exactly as one that does not exist."""
    return SignalOut.of(exchange.signals.get(caller, signal_id), caller)


@router.post("/signals/{signal_id}/status", summary="Change a signal's status", responses=WRITE)
def set_status(signal_id: str, body: StatusIn, caller: CallerDep, exchange: ExchangeDep) -> SignalOut:
    """Move a signal of the caller's organization to another status, with the reason; a move the
    status machine refuses is 409."""
    signal = exchange.signals.set_status(caller, signal_id, body.status, body.reason)
    return SignalOut.of(signal, caller)


@router.post(
    "/signals/{signal_id}/opinions", status_code=201, summary="Give an opinion on a signal", responses=WRITE
)
def give_opinion(signal_id: str, body: OpinionIn, caller: CallerDep, exchange: ExchangeDep) -> OpinionOut:
    """Record the caller's organization's verdict on a signal it can see, replacing an earlier one."""
    return OpinionOut.of(exchange.signals.give_opinion(caller, signal_id, body.verdict, body.note))


@router.get("/signals/{signal_id}/opinions", summary="List opinions on a signal", responses=READ)
def list_opinions(signal_id: str, caller: CallerDep, exchange: ExchangeDep) -> ItemList[OpinionOut]:
    """Return every organization's opinion of a signal the caller may see."""
    return ItemList(items=[OpinionOut.of(o) for o in exchange.signals.opinions(caller, signal_id)])
