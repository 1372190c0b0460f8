"""Screening: one query with its explained result, and a CSV batch with live progress.

One query goes to `ScreeningService.screen` as the signed-in caller, exactly like `POST /v1/screen`; the
result shows each hit's score, the contribution of every feature and the aligned name pairs, with each
listed name in its original script next to its Latin form. With htmx the result replaces `#result`;
without JavaScript the same form posts and the whole page comes back with it.

A batch (`console.batch`) runs in the background; its progress fragment polls itself every second
until the job ends, then offers the results as a JSON lines download.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.batch import BatchJobs, Screen, parse_csv
from ctexchange.api.console.web import (
    ConsoleRouter,
    CsrfDep,
    ExchangeDep,
    SignedInDep,
    is_htmx,
    render,
)
from ctexchange.domain.entities import EntityRecord, NameType, ScreeningQuery
from ctexchange.domain.roles import Action
from ctexchange.errors import InvalidInput
from ctexchange.service.access import require
from ctexchange.service.auth import SignedIn
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.screening import ScreeningHit, make_query

router = ConsoleRouter()
SCHEMAS = ("Person", "Organization")
RESULTS_SHOWN = 10


def jobs_of(request: Request, exchange: Exchange) -> BatchJobs:
    """Return the app's batch jobs (made on first use)."""
    jobs: BatchJobs | None = getattr(request.app.state, "console_batches", None)
    if jobs is None:
        jobs = BatchJobs(exchange.clock)
        request.app.state.console_batches = jobs
    return jobs


def names_of(record: EntityRecord) -> tuple[str, str]:
    """Return the entity's main Latin name and its name in the original script ('' when none)."""
    primary = next((n.text for n in record.names if n.type is NameType.PRIMARY), record.names[0].text)
    original = next((n.text for n in record.names if n.type is NameType.ORIGINAL_SCRIPT), "")
    return primary, original


def aliases_of(record: EntityRecord) -> list[str]:
    """Return the aliases of an entity, for the result's detail."""
    return [n.text for n in record.names if n.type is NameType.ALIAS]


@router.get("/screening")
async def screening_page(request: Request, session: SignedInDep) -> Response:
    """The screening form (one query) and the batch upload form."""
    require(session.caller, Action.SCREEN)
    return render(request, "screening.html", _context({}, None, None), session=session)


def _context(
    form: dict[str, str], hits: list[ScreeningHit] | None, error: InvalidInput | None
) -> dict[str, Any]:
    return {
        "form": form,
        "hits": hits,
        "error": error,
        "schemas": SCHEMAS,
        "names_of": names_of,
        "aliases_of": aliases_of,
    }


def _screen_one(exchange: Exchange, session: SignedIn, form: dict[str, str]) -> list[ScreeningHit]:
    query = make_query(
        form["schema"] or "Person",
        [form["name"]] if form["name"] else [],
        [form["birth_date"]] if form["birth_date"] else [],
        [form["nationality"]] if form["nationality"] else [],
        field="query",
    )
    threshold = _threshold(form["threshold"])
    return exchange.screening.screen(session.caller, [query], (), threshold, RESULTS_SHOWN)[0]


def _threshold(raw: str) -> float | None:
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput.expected("threshold", "a number in (0, 1]", raw) from None


@router.post("/screening")
async def screen(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    name: Annotated[str, Form(max_length=300)] = "",
    entity_schema: Annotated[str, Form(alias="schema", max_length=40)] = "Person",
    birth_date: Annotated[str, Form(max_length=40)] = "",
    nationality: Annotated[str, Form(max_length=40)] = "",
    threshold: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Screen one query and show its explained result (the fragment for htmx, else the whole page)."""
    form = {
        "name": name,
        "schema": entity_schema,
        "birth_date": birth_date,
        "nationality": nationality,
        "threshold": threshold,
    }
    hits: list[ScreeningHit] | None = None
    error: InvalidInput | None = None
    try:
        hits = await run_in_threadpool(_screen_one, exchange, session, form)
    except InvalidInput as exc:
        error = exc
    template = "screening_result.html" if is_htmx(request) else "screening.html"
    status = 422 if error is not None and not is_htmx(request) else 200  # htmx swaps 2xx only
    return render(request, template, _context(form, hits, error), status_code=status, session=session)


@router.post("/screening/batch")
async def start_batch(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Start screening an uploaded CSV file; answer with its progress (which then polls itself)."""
    require(session.caller, Action.SCREEN)
    rows = parse_csv(await file.read())
    jobs = jobs_of(request, exchange)
    job = jobs.start(session.caller, file.filename or "batch.csv", rows, _screen_call(exchange))
    template = "batch_progress.html" if is_htmx(request) else "batch_page.html"
    return render(request, template, {"job": job}, session=session, page_path="/screening")


def _screen_call(exchange: Exchange) -> Screen:
    def call(caller: Caller, queries: list[ScreeningQuery]) -> list[list[ScreeningHit]]:
        return exchange.screening.screen(caller, queries, (), None, RESULTS_SHOWN)

    return call


@router.get("/screening/batch/{job_id}")
async def batch_progress(
    request: Request, session: SignedInDep, exchange: ExchangeDep, job_id: str
) -> Response:
    """The progress of a batch (a fragment for htmx's polling, else a page)."""
    job = jobs_of(request, exchange).get(session.caller, job_id)
    template = "batch_progress.html" if is_htmx(request) else "batch_page.html"
    return render(request, template, {"job": job}, session=session)


@router.get("/screening/batch/{job_id}/results.jsonl")
async def batch_results(
    request: Request, session: SignedInDep, exchange: ExchangeDep, job_id: str
) -> Response:
    """The results of a batch so far, one JSON object per row, as a download."""
    job = jobs_of(request, exchange).get(session.caller, job_id)
    headers = {"Content-Disposition": f'attachment; filename="screening-{job.id[:8]}.jsonl"'}
    return Response(job.jsonl(), media_type="application/x-ndjson; charset=utf-8", headers=headers)
