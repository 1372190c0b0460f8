"""Collections and signals: the banks the user may see, signal search with filters, one signal with its
marking, labels and the organizations' opinions (agree, disagree, false positive, with a note).

- `/collections`: every collection the user may see, with owner, default marking (a TLP 2.0 badge whose
  text names the marking, so colour is never the only cue), purpose, review and sighting policies, and
  how many of its signals the user may see.
- `/signals`: search by collection, family, kind, status, marking, label and text (value or external id),
  newest pages by cursor; only signals the user may see are listed or counted (`SignalService.find`).
- `/signals/{id}`: the signal and its opinions; the opinion form replaces the organization's earlier
  opinion (a false positive also stops the signal matching for the organization).

A signal or collection the user may not see is the console's 404 page, as for one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.pages.workflow import MAX_REASON, MAX_SHORT, Refusal, may, org_names, query_string
from ctexchange.api.console.web import ConsoleRouter, CsrfDep, ExchangeDep, SignedInDep, redirect, render
from ctexchange.domain.entities import EntityRecord, NameType
from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import SignalQuery
from ctexchange.domain.roles import Action
from ctexchange.domain.signals import LABELS, Family, Signal, SignalStatus, Verdict
from ctexchange.errors import Conflict, Forbidden, InvalidInput
from ctexchange.service.access import require
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange
from ctexchange.service.pages import encode_cursor

router = ConsoleRouter()
PAGE_SIZE = 50
MAX_VALUE_CHARS = 120


def shown_value(signal: Signal) -> dict[str, str | None]:
    """Return what a list shows of a signal's value: an entity's names (Latin and original script), or the
    value itself cut to a line."""
    if signal.family is Family.ENTITY:
        try:
            record = EntityRecord.from_json(signal.value)
        except InvalidInput:
            return {"latin": None, "original": None, "text": str(signal.value_key)}
        original = next((n.text for n in record.names if n.type is NameType.ORIGINAL_SCRIPT), None)
        return {"latin": record.primary_name, "original": original, "text": None}
    text = signal.value if isinstance(signal.value, str) else signal.value_key
    text = str(text)
    cut = text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
    return {"latin": None, "original": None, "text": cut}


def _collections(exchange: Exchange, session: SignedIn) -> dict[str, Any]:
    caller = session.caller
    rows = []
    for coll in exchange.collections.list(caller):
        count = exchange.signals.count(caller, SignalQuery(collection_id=coll.id))
        rows.append({"c": coll, "count": count})
    return {"rows": rows, "org_names": org_names(exchange, session)}


@router.get("/collections")
async def collections_page(request: Request, session: SignedInDep, exchange: ExchangeDep) -> Response:
    """The collections the user may see."""
    require(session.caller, Action.READ_COLLECTIONS)
    context = await run_in_threadpool(_collections, exchange, session)
    return render(request, "collections.html", context, session=session)


def _search(
    exchange: Exchange, session: SignedIn, filters: dict[str, str], cursor: str | None
) -> dict[str, Any]:
    caller = session.caller
    collections = exchange.collections.list(caller)
    coll = filters["collection"]
    query = SignalQuery(
        collection_id=exchange.collections.get(caller, coll).id if coll else None,
        family=Family(filters["family"]) if filters["family"] in {f.value for f in Family} else None,
        kind=exchange.kinds.get(filters["kind"], "kind").name if filters["kind"] else None,
        status=SignalStatus.parse(filters["status"], "status") if filters["status"] else None,
        marking=Marking.parse(filters["marking"], "marking") if filters["marking"] else None,
        label=filters["label"] or None,
        text=filters["q"] or None,
    )
    if filters["family"] and query.family is None:
        raise InvalidInput.expected("family", "content or entity", filters["family"])
    page = exchange.signals.find(caller, query, exchange.signals.page_request(PAGE_SIZE, cursor))
    return {
        "signals": [(s, shown_value(s)) for s in page.items],
        "next_cursor": encode_cursor(page.next_after),
        "collections": collections,
        "collection_names": {c.id: c.name for c in collections},
        "org_names": org_names(exchange, session),
        "kinds": sorted(k.name for k in exchange.kinds),
    }


@router.get("/signals")
async def signals_page(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    collection: Annotated[str, Query(max_length=MAX_SHORT)] = "",
    family: Annotated[str, Query(max_length=20)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    marking: Annotated[str, Query(max_length=20)] = "",
    label: Annotated[str, Query(max_length=100)] = "",
    q: Annotated[str, Query(max_length=MAX_SHORT)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Signal search with filters."""
    require(session.caller, Action.READ_SIGNALS)
    filters = {
        "collection": collection.strip(),
        "family": family,
        "kind": kind.strip(),
        "status": status,
        "marking": marking,
        "label": label.strip(),
        "q": q.strip(),
    }
    context = await run_in_threadpool(_search, exchange, session, filters, cursor)
    context.update(
        filters=filters,
        families=[f.value for f in Family],
        statuses=[s.value for s in SignalStatus],
        markings=[m.value for m in Marking],
        labels=LABELS,
        next_query=query_string({**filters, "cursor": context["next_cursor"]}),
    )
    return render(request, "signals.html", context, session=session)


def _signal_context(exchange: Exchange, session: SignedIn, signal_id: str) -> dict[str, Any]:
    caller = session.caller
    signal = exchange.signals.get(caller, signal_id)
    opinions = exchange.signals.opinions(caller, signal.id)
    collections = {c.id: c for c in exchange.collections.list(caller)}
    own = next((o for o in opinions if o.org_id == caller.principal.org_id), None)
    return {
        "s": signal,
        "shown": shown_value(signal),
        "opinions": opinions,
        "own_opinion": own,
        "collection": collections.get(signal.collection_id),
        "org_names": org_names(exchange, session),
        "verdicts": [v.value for v in Verdict],
        "may_opine": may(session, Action.GIVE_OPINION),
    }


async def _signal_page(
    request: Request,
    exchange: Exchange,
    session: SignedIn,
    signal_id: str,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = await run_in_threadpool(_signal_context, exchange, session, signal_id)
    context.update({"error": None, "done": False, "form": {}, **(extra or {})})
    page = f"/signals/{context['s'].id}"
    return render(request, "signal.html", context, status_code, session, page_path=page)


@router.get("/signals/{signal_id}")
async def signal_page(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    signal_id: str,
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """One signal with its opinions."""
    return await _signal_page(request, exchange, session, signal_id, {"done": done == "opinion"})


@router.post("/signals/{signal_id}/opinions")
async def give_opinion(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    signal_id: str,
    verdict: Annotated[str, Form(max_length=30)] = "",
    note: Annotated[str, Form(max_length=MAX_REASON + 100)] = "",
) -> Response:
    """Record the organization's opinion of the signal (replacing an earlier one)."""
    try:
        opinion = await run_in_threadpool(
            exchange.signals.give_opinion, session.caller, signal_id, verdict, note
        )
    except (InvalidInput, Conflict, Forbidden) as exc:
        refusal = Refusal.of(exc)
        extra = {"error": refusal, "form": {"verdict": verdict, "note": note}}
        return await _signal_page(request, exchange, session, signal_id, extra, refusal.status)
    return redirect(request, f"/signals/{opinion.signal_id}?done=opinion")
