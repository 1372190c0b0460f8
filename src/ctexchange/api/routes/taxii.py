"""TAXII 2.1 under /taxii2/: discovery, one API root (`api`), collections, objects, manifest, status.

Decisions:
- The access rules are the REST API's, applied by `ctexchange.service.stix.TaxiiService`: one TAXII
  collection per collection the caller may see; reading objects is an export; AMBER+STRICT and RED never
  leave through TAXII; a collection or object the caller may not see is 404 like an absent one.
- Our API keys authenticate, in `Authorization: Bearer <key>` or `Authorization: Token <key>` (the scheme
  taxii2-client's `TokenAuth` sends). Every request needs one, discovery included.
- Every response, errors included, is `application/taxii+json;version=2.1`. Errors are TAXII error
  resources `{title, description, error_code, http_status, details: {field}}`; `error_code` is the
  REST API's error code. Invalid input is 400 (TAXII's bad request), an oversized body 413.
- `TaxiiRoute` turns every error raised while handling a request (authentication, validation, the service)
  into that resource, and a catch-all route answers unknown paths (404) and methods (405) under /taxii2/
  the same way, so no HTTP error here leaves in the REST envelope. A body declared over
  `max_body_bytes` is refused by the body-limit middleware before any route runs, in the REST envelope:
  clients read the limit from the API root's `max_content_length`.
- An `Accept` header that admits neither TAXII 2.1 nor JSON is 406; a POST body that is not
  `application/taxii+json` (or plain JSON) is 415.
- The routes are left out of /openapi.json (which documents /v1); docs/interop.md documents them.
- The status route answers with and without the trailing slash: taxii2-client polls `.../status/<id>`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from ctexchange import __version__
from ctexchange.api.dependencies import ExchangeDep, RequestIdDep
from ctexchange.api.errors import INTERNAL_MESSAGE, validation_problem
from ctexchange.api.middleware import request_id_of
from ctexchange.errors import (
    Conflict,
    CtxError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    StoreUnavailable,
    Unauthenticated,
)
from ctexchange.service.context import Caller
from ctexchange.service.stix import (
    STIX_MEDIA_TYPE,
    StatusDetail,
    TaxiiCollection,
    TaxiiFilter,
    TaxiiPage,
    TaxiiStatus,
    parse_filter,
    stix_time,
)

log = structlog.get_logger("ctexchange.api")

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
API_ROOT = "api"
TAXII_STATUS: tuple[tuple[type[CtxError], int], ...] = (
    (PayloadTooLarge, 413),
    (InvalidInput, 400),
    (NotFound, 404),
    (Conflict, 409),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (StoreUnavailable, 503),
)
TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    500: "Internal error",
    503: "Store unavailable",
}
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


class MediaTypeRefused(Exception):
    """The request's Accept (406) or Content-Type (415) admits no media type this server speaks."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def taxii_json(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Return a TAXII 2.1 response."""
    return JSONResponse(
        dict(body), status_code=status, media_type=TAXII_MEDIA_TYPE, headers=dict(headers or {})
    )


def taxii_error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    """Return a TAXII error resource."""
    body: dict[str, Any] = {
        "title": TITLES.get(status, "Error"),
        "description": message,
        "error_code": code,
        "http_status": str(status),
    }
    if field is not None:
        body["details"] = {"field": field}
    headers = {"WWW-Authenticate": 'Bearer realm="taxii2"'} if status == 401 else None
    return taxii_json(body, status, headers)


def error_for(exc: CtxError) -> JSONResponse:
    """Return the TAXII error resource of a service error (500 for a class missing from the table)."""
    for kind, status in TAXII_STATUS:
        if isinstance(exc, kind):
            return taxii_error(status, exc.code, exc.message, exc.field)
    return taxii_error(500, "internal", INTERNAL_MESSAGE)


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for part in header.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        values = dict(p.partition("=")[::2] for p in params if "=" in p)
        ranges.append((kind.lower(), {k.strip().lower(): v.strip().strip('"') for k, v in values.items()}))
    return ranges


def _speaks(kind: str, params: Mapping[str, str], wildcards: bool) -> bool:
    if kind == "application/taxii+json":
        return params.get("version", "2.1") == "2.1"
    return kind == "application/json" or (wildcards and kind in ("*/*", "application/*"))


def check_media_types(request: Request) -> None:
    """Raise MediaTypeRefused for an Accept admitting no TAXII 2.1 or JSON, or a POST body of another type."""
    accept = request.headers.get("accept")
    if accept and not any(_speaks(k, p, True) for k, p in _media_ranges(accept)):
        raise MediaTypeRefused(406, f"'Accept' must admit {TAXII_MEDIA_TYPE} (got {accept!r})")
    if request.method == "POST":
        sent = request.headers.get("content-type", "")
        if not any(_speaks(k, p, False) for k, p in _media_ranges(sent)):
            raise MediaTypeRefused(415, f"'Content-Type' must be {TAXII_MEDIA_TYPE} (got {sent!r})")


class TaxiiRoute(APIRoute):
    """A route whose every failure, from authentication to the service, is a TAXII error resource."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                check_media_types(request)
                return await handler(request)
            except MediaTypeRefused as exc:
                code = "not_acceptable" if exc.status == 406 else "unsupported_media_type"
                return taxii_error(exc.status, code, exc.message)
            except CtxError as exc:
                return error_for(exc)
            except RequestValidationError as exc:
                return error_for(validation_problem(exc.errors()))
            except HTTPException as exc:
                return taxii_error(
                    exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail)
                )
            except Exception as exc:  # the REST middleware would answer in its envelope: answer in TAXII's
                log.exception(
                    "request.failed", request_id=request_id_of(request.scope), error=type(exc).__name__
                )
                return taxii_error(500, "internal", INTERNAL_MESSAGE)

        return guarded


router = APIRouter(prefix="/taxii2", include_in_schema=False, route_class=TaxiiRoute)


def taxii_caller(request: Request, exchange: ExchangeDep, request_id: RequestIdDep) -> Caller:
    """Return the caller an API key in `Authorization: Bearer <key>` or `Token <key>` acts as."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    key = token.strip() if scheme.lower() in ("bearer", "token") else None
    return exchange.auth.authenticate(key, request_id)


TaxiiCallerDep = Annotated[Caller, Depends(taxii_caller)]


def taxii_filter(request: Request) -> TaxiiFilter:
    """Return the filter of `added_after` and the `match[id|type|version|spec_version]` parameters."""
    params = request.query_params
    return parse_filter(
        params.get("added_after"),
        params.getlist("match[id]"),
        params.getlist("match[type]"),
        params.getlist("match[version]"),
        params.getlist("match[spec_version]"),
    )


def page_limit(request: Request) -> int | None:
    """Return `limit` as an integer, or None when absent."""
    raw = request.query_params.get("limit")
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise InvalidInput.expected("limit", "a positive integer", raw)
    return int(raw)


FilterDep = Annotated[TaxiiFilter, Depends(taxii_filter)]
LimitDep = Annotated[int | None, Depends(page_limit)]


def root_url(request: Request) -> str:
    """Return the absolute URL of the API root."""
    return f"{str(request.base_url).rstrip('/')}/taxii2/{API_ROOT}/"


@router.get("/")
def discovery(request: Request, caller: TaxiiCallerDep) -> JSONResponse:
    """The discovery resource: one API root."""
    return taxii_json(
        {
            "title": "ctexchange TAXII 2.1",
            "description": "Signals of the counter-terrorism exchange as STIX 2.1, under TLP 2.0 markings.",
            "default": root_url(request),
            "api_roots": [root_url(request)],
        }
    )


@router.get(f"/{API_ROOT}/")
def api_root(caller: TaxiiCallerDep, exchange: ExchangeDep) -> JSONResponse:
    """The API root resource."""
    return taxii_json(
        {
            "title": "ctexchange",
            "description": f"ctexchange {__version__}: one collection per collection you may see.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": exchange.settings.max_body_bytes,
        }
    )


def collection_resource(view: TaxiiCollection) -> dict[str, Any]:
    """Return the TAXII collection resource of a collection."""
    collection = view.collection
    body: dict[str, Any] = {
        "id": str(collection.id),
        "title": collection.name,
        "alias": f"{view.owner_name}/{collection.name}",
        "can_read": view.can_read,
        "can_write": view.can_write,
        "media_types": [STIX_MEDIA_TYPE],
    }
    if collection.description:
        body["description"] = collection.description
    return body


@router.get(f"/{API_ROOT}/collections/")
def collections(caller: TaxiiCallerDep, exchange: ExchangeDep) -> JSONResponse:
    """The collections the caller may see (the key is left out when there are none, as TAXII asks)."""
    found = [collection_resource(v) for v in exchange.stix.taxii.collections(caller)]
    return taxii_json({"collections": found} if found else {})


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/")
def collection(collection_id: str, caller: TaxiiCallerDep, exchange: ExchangeDep) -> JSONResponse:
    """One collection; 404 for one the caller may not see."""
    return taxii_json(collection_resource(exchange.stix.taxii.collection(caller, collection_id)))


def _page_headers(page: TaxiiPage) -> dict[str, str]:
    if not page.entries:
        return {}
    return {
        "X-TAXII-Date-Added-First": stix_time(page.entries[0].date_added),
        "X-TAXII-Date-Added-Last": stix_time(page.entries[-1].date_added),
    }


def _envelope(page: TaxiiPage, key: str, items: Sequence[Any]) -> JSONResponse:
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next
    if items:
        body[key] = list(items)
    return taxii_json(body, headers=_page_headers(page))


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/")
def get_objects(
    collection_id: str,
    request: Request,
    caller: TaxiiCallerDep,
    exchange: ExchangeDep,
    flt: FilterDep,
    limit: LimitDep,
) -> JSONResponse:
    """An envelope of the collection's objects in date-added order, filtered and paginated."""
    page = exchange.stix.taxii.objects(caller, collection_id, flt, limit, request.query_params.get("next"))
    return _envelope(page, "objects", [e.obj for e in page.entries])


@router.post(f"/{API_ROOT}/collections/{{collection_id}}/objects/")
async def add_objects(
    collection_id: str, request: Request, caller: TaxiiCallerDep, exchange: ExchangeDep
) -> JSONResponse:
    """Import an envelope into a collection of the caller's organization; 202 with the status resource."""
    body = await request.body()
    status = await run_in_threadpool(exchange.stix.taxii.add, caller, collection_id, body)
    return taxii_json(status_resource(status), 202)


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
def get_object(
    collection_id: str,
    object_id: str,
    request: Request,
    caller: TaxiiCallerDep,
    exchange: ExchangeDep,
    flt: FilterDep,
    limit: LimitDep,
) -> JSONResponse:
    """An envelope of the versions `match[version]` selects (default: last) of one object."""
    page = exchange.stix.taxii.object(
        caller, collection_id, object_id, flt, limit, request.query_params.get("next")
    )
    return _envelope(page, "objects", [e.obj for e in page.entries])


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/")
def get_versions(
    collection_id: str,
    object_id: str,
    request: Request,
    caller: TaxiiCallerDep,
    exchange: ExchangeDep,
    flt: FilterDep,
    limit: LimitDep,
) -> JSONResponse:
    """The versions of one object, oldest first."""
    page = exchange.stix.taxii.versions(
        caller, collection_id, object_id, flt, limit, request.query_params.get("next")
    )
    return _envelope(page, "versions", [e.version for e in page.entries])


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/manifest/")
def get_manifest(
    collection_id: str,
    request: Request,
    caller: TaxiiCallerDep,
    exchange: ExchangeDep,
    flt: FilterDep,
    limit: LimitDep,
) -> JSONResponse:
    """The manifest of the collection's objects: id, date added, version, media type."""
    page = exchange.stix.taxii.objects(caller, collection_id, flt, limit, request.query_params.get("next"))
    entries = [
        {
            "id": e.obj["id"],
            "date_added": stix_time(e.date_added),
            "version": e.version,
            "media_type": STIX_MEDIA_TYPE,
        }
        for e in page.entries
    ]
    return _envelope(page, "objects", entries)


def _details(details: Sequence[StatusDetail]) -> list[dict[str, str]]:
    return [{"id": d.stix_id, "version": d.version, "message": d.message} for d in details]


def status_resource(status: TaxiiStatus) -> dict[str, Any]:
    """Return the TAXII status resource of a POST."""
    body: dict[str, Any] = {
        "id": str(status.id),
        "status": status.state.value,
        "request_timestamp": stix_time(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": len(status.successes),
        "failure_count": len(status.failures),
        "pending_count": len(status.pendings),
    }
    for key, details in (
        ("successes", status.successes),
        ("failures", status.failures),
        ("pendings", status.pendings),
    ):
        if details:
            body[key] = _details(details)
    return body


@router.get(f"/{API_ROOT}/status/{{status_id}}/")
@router.get(f"/{API_ROOT}/status/{{status_id}}")
def get_status(status_id: str, caller: TaxiiCallerDep, exchange: ExchangeDep) -> JSONResponse:
    """A status resource of the caller's organization; 404 for any other."""
    return taxii_json(status_resource(exchange.stix.taxii.status(caller, status_id)))


def _known_path(path: str) -> bool:
    return any(
        isinstance(r, APIRoute) and r.endpoint is not unknown and r.path_regex.match(path)
        for r in router.routes
    )


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def unknown(request: Request, rest: str) -> JSONResponse:
    """Any other path or method under /taxii2/: a TAXII 404 or 405."""
    if _known_path(request.url.path):
        return taxii_error(
            405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}"
        )
    return taxii_error(404, "not_found", f"no TAXII endpoint {request.method} {request.url.path}")
