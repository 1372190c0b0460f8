"""Content: hash a file, match a file or a value (one or a batch), add content to a bank, sightings.

File uploads are multipart (`file` field) and may be as large as `max_upload_bytes`; everything else is
JSON. `POST /v1/match` takes either: a multipart upload, or a JSON lookup by value. Hashing and matching
run in the thread pool, so a large video does not hold up the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile as FormFile

from ctexchange.api.auth import CallerDep
from ctexchange.api.content_schemas import (
    EXAMPLE_PDQ,
    AddedOut,
    ContentAddIn,
    ContentAddOut,
    LookupBatchIn,
    LookupIn,
    MatchBatchOut,
    MatchOut,
    SightingOut,
    SightingSummaryOut,
)
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import ItemList
from ctexchange.errors import InvalidInput
from ctexchange.service.content import ContentItem, ContentQuery, file_hashes_doc

router = APIRouter(prefix="/v1", tags=["content"])

_UPLOAD = {"type": "string", "format": "binary", "description": "The file: an image, a video or any file."}
_LOW = {"type": "boolean", "description": "Use a PDQ hash whose quality is below 50 (default false)."}
_ID = {"type": "string", "maxLength": 200, "description": "Your id for this item, echoed in the result."}
MAX_ID_CHARS = 200
MATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/LookupIn"},
                "example": {"id": "upload-0001", "pdq": EXAMPLE_PDQ},
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": _UPLOAD, "id": _ID, "allow_low_quality": _LOW},
                    "required": ["file"],
                },
            },
        },
    }
}


async def _read_upload(request: Request) -> ContentQuery:
    """Return the lookup of a multipart request: the file's bytes, its `id` and the allow_low_quality flag."""
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, FormFile):
        raise InvalidInput("'file' must be a multipart field holding the file (got none)", field="file")
    flag = str(form.get("allow_low_quality", "false")).strip().lower()
    if flag not in ("true", "false", "1", "0"):
        raise InvalidInput.expected("allow_low_quality", "true or false", flag)
    ident = form.get("id")
    if ident is not None and (not isinstance(ident, str) or len(ident) > MAX_ID_CHARS):
        got = f"{len(ident):,} characters" if isinstance(ident, str) else "a file"
        raise InvalidInput.expected("id", f"text of at most {MAX_ID_CHARS} characters", got)
    return ContentQuery(file=await upload.read(), id=ident, allow_low_quality=flag in ("true", "1"))


@router.post(
    "/hash",
    summary="Hash a file",
    responses=error_responses(401, 403, 413, 422, 503),
)
async def hash_file(
    file: Annotated[UploadFile, File(description="The file: an image, a video or any file.")],
    caller: CallerDep,
    exchange: ExchangeDep,
) -> dict[str, Any]:
    """Return every fingerprint of the file: MD5 and SHA-256 always; for an image its PDQ hash and
    quality (and the raw-grid hash when EXIF rotates it, and one per frame of an animation); for a video
    its frame PDQ hashes in vPDQ lines `frame,quality,hash,timestamp`. Nothing is stored."""
    data = await file.read()
    hashes = await run_in_threadpool(exchange.content.hash_file, caller, data)
    return file_hashes_doc(hashes)


@router.post(
    "/match",
    summary="Match a file or a value",
    responses=error_responses(401, 403, 413, 422, 503),
    openapi_extra=MATCH_BODY,
)
async def match(request: Request, caller: CallerDep, exchange: ExchangeDep) -> MatchOut:
    """Look one item up in every bank: a multipart upload (`file`, and optionally your `id` for it), or
    JSON with exactly one of `text`, `url`, `pdq`, `md5`, `sha256` (and optionally `id`). Hits on signals
    you may not see are left out (or, where their owner asks for it, reported as restricted with the
    organization to contact); their owners get a sighting. A service key's hit in a bank that requires
    review names the case it opened or joined (`case_id`)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        query = await _read_upload(request)
    else:
        query = _lookup_from_json(await request.body()).to_query()
    outcome = await run_in_threadpool(exchange.content.match, caller, query)
    return MatchOut.of(outcome)


def _lookup_from_json(body: bytes) -> LookupIn:
    try:
        return LookupIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


@router.post(
    "/match/batch",
    summary="Match a batch of values",
    responses=error_responses(401, 403, 413, 422, 503),
)
def match_batch(body: LookupBatchIn, caller: CallerDep, exchange: ExchangeDep) -> MatchBatchOut:
    """Look up to 1,000 values up (each exactly one of `text`, `url`, `pdq`, `md5`, `sha256`);
    answers come in the order of the queries, each with the `id` it was given."""
    outcomes = exchange.content.match_many(caller, [q.to_query() for q in body.queries])
    return MatchBatchOut(responses=[MatchOut.of(o) for o in outcomes])


@router.post(
    "/collections/{ref}/content",
    status_code=201,
    summary="Add content to a collection",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
)
def add_content(ref: str, body: ContentAddIn, caller: CallerDep, exchange: ExchangeDep) -> ContentAddOut:
    """Add up to 1,000 items (text, URL rules, PDQ or digest values, vPDQ frame lines) to a collection
    of your organization, in one transaction. A value the collection holds already is reported under
    `present`, not added twice."""
    outcomes = exchange.content.add(caller, ref, [i.to_item() for i in body.items])
    return ContentAddOut(items=[AddedOut.of(o, i.id) for o, i in zip(outcomes, body.items, strict=True)])


@router.post(
    "/collections/{ref}/files",
    status_code=201,
    summary="Add a file to a collection",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
)
async def add_file(
    ref: str,
    file: Annotated[UploadFile, File(description="The file: an image, a video or any file.")],
    caller: CallerDep,
    exchange: ExchangeDep,
    labels: Annotated[list[str], Form(description="Labels; repeat the field for several.")] = [],  # noqa: B006
    marking: Annotated[
        str | None, Form(description="TLP marking; the collection's default if absent.")
    ] = None,
    external_id: Annotated[str | None, Form(description="Your id for the file.")] = None,
    allow_low_quality: Annotated[bool, Form(description="Add a PDQ hash of quality below 50.")] = False,
) -> AddedOut:
    """Hash the file and add its fingerprints to a collection of your organization: MD5 and SHA-256,
    and PDQ for an image (low quality left out unless asked) or frame hashes for a video."""
    item = ContentItem(await file.read(), {}, labels, marking, external_id, allow_low_quality)
    outcomes = await run_in_threadpool(exchange.content.add, caller, ref, [item])
    return AddedOut.of(outcomes[0], external_id)


@router.get(
    "/sightings",
    summary="Sightings of your signals",
    responses=error_responses(401, 403, 404, 422, 503),
)
def sightings(
    caller: CallerDep,
    exchange: ExchangeDep,
    signal: Annotated[str | None, Query(description="Only this signal (id) of yours.")] = None,
    limit: Annotated[int, Query(description="At most this many, newest first (1 to 1,000).")] = 100,
) -> ItemList[SightingOut]:
    """Return who matched your organization's signals, newest first, including organizations that may
    not see them (`is_visible` false): the owner of a signal always learns of its sightings."""
    found = exchange.content.sightings(caller, signal, limit)
    return ItemList(items=[SightingOut.of(s) for s in found])


@router.get(
    "/sightings/summary",
    summary="Sighting counts of your signals over time",
    responses=error_responses(401, 403, 404, 422, 503),
)
def sighting_summary(
    caller: CallerDep,
    exchange: ExchangeDep,
    signal: Annotated[str | None, Query(description="Only this signal (id) of yours.")] = None,
    start: Annotated[
        str | None,
        Query(alias="from", description="From this time, with its offset (default: 30 buckets ago)."),
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description="Until this time, excluded (default: now).")
    ] = None,
    bucket: Annotated[str, Query(description="`hour` or `day`.")] = "day",
) -> SightingSummaryOut:
    """Return how many sightings your organization's signals (or one of them) had per hour or day and per
    matching organization; organizations matching signals of an `anonymised` bank appear by pseudonym."""
    return SightingSummaryOut.of(exchange.reports.sighting_summary(caller, signal, start, end, bucket))
