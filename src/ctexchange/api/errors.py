"""Errors as HTTP responses: one table, one envelope.

Every error response, whatever raised it, has the body `{"error": {"code", "message", "field"}}`.

- `HANDLERS` maps each `CtxError` class to its status (and headers). A class is looked up along its MRO,
  so `PayloadTooLarge` (an `InvalidInput`) is 413 and a `CtxError` missing from the table is a 500.
- FastAPI's `RequestValidationError` becomes `invalid_input`, naming the first field at fault in dotted
  form without its `body`/`query`/`path` source (`signals[2].value`), what was expected and what came.
- Starlette's `HTTPException` (no such route, method not allowed, a body over the limit) keeps its status
  and gets a code from `HTTP_CODES`.
- Any other exception is a 500 `internal` with a generic message, written by `UnhandledErrorMiddleware`:
  Starlette runs handlers of plain `Exception` outside the user middlewares, where the response would miss
  its X-Request-ID header.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from ctexchange.api.schemas import ErrorResponse
from ctexchange.errors import (
    Conflict,
    CtxError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PayloadTooLarge,
    StoreUnavailable,
    Unauthenticated,
    shown,
)

HANDLERS: dict[type[CtxError], tuple[int, Mapping[str, str]]] = {
    InvalidInput: (422, {}),
    PayloadTooLarge: (413, {}),
    NotFound: (404, {}),
    Conflict: (409, {}),
    InvalidTransition: (409, {}),
    Unauthenticated: (401, {"WWW-Authenticate": "Bearer"}),
    Forbidden: (403, {}),
    StoreUnavailable: (503, {}),
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}

INTERNAL_MESSAGE = "an internal error occurred; quote the X-Request-ID header when reporting it"

ERROR_DESCRIPTIONS = {
    401: "No usable API key.",
    403: "The caller's role or organization may not do this.",
    404: "No such object, or one the caller may not see.",
    409: "The object exists already, or the move is not allowed from its state.",
    413: "The body, or a value or batch in it, is over its size limit.",
    422: "A value broke a rule: `field` names it.",
    503: "The store cannot be reached.",
}

_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})


def error_json(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> JSONResponse:
    """Return an error response in the envelope."""
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def response_for(exc: CtxError) -> JSONResponse:
    """Return the response for a service error, by the first class of its MRO in `HANDLERS`."""
    for cls in type(exc).__mro__:
        if cls in HANDLERS:
            status, headers = HANDLERS[cls]
            return error_json(status, exc.code, exc.message, exc.field, **headers)
    return internal_error()


def internal_error() -> JSONResponse:
    """Return the generic 500 response: it never carries the text of the exception."""
    return error_json(500, "internal", INTERNAL_MESSAGE)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI `responses` entries of these error statuses, all with the envelope model."""
    return {s: {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[s]} for s in statuses}


def dotted(loc: Sequence[int | str]) -> str | None:
    """Return `signals[2].value` for a pydantic location, without its source; None for the whole body."""
    parts = list(loc[1:] if loc and loc[0] in _SOURCES else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text or None


def validation_problem(errors: Sequence[Any]) -> InvalidInput:
    """Return the InvalidInput that describes the first of FastAPI's validation errors."""
    first = errors[0]
    kind, msg = str(first.get("type", "")), str(first.get("msg", ""))
    field = None if kind == "json_invalid" else dotted(first.get("loc", ()))
    others = len(errors) - 1
    more = "" if not others else f" (and {others} more problem{'s' if others > 1 else ''})"
    if kind == "json_invalid":
        reason = first.get("ctx", {}).get("error", "not JSON")
        return InvalidInput(f"the request body must be valid JSON ({reason})")
    if field is None:
        got = type(first.get("input")).__name__
        return InvalidInput(
            f"the request body must be a JSON object sent as 'Content-Type: application/json' (got {got})"
        )
    if kind == "missing":
        return InvalidInput(f"'{field}' is required (got nothing){more}", field=field)
    if kind == "extra_forbidden":
        return InvalidInput(f"'{field}' is not a field of this request{more}", field=field)
    got = shown(first.get("input"))
    if msg.startswith("Input should "):
        expectation = msg.removeprefix("Input should ")
        return InvalidInput(f"'{field}' must {expectation} (got {got}){more}", field=field)
    return InvalidInput(f"'{field}' is invalid: {msg} (got {got}){more}", field=field)


async def _on_ctx_error(_: Request, exc: CtxError) -> JSONResponse:
    return response_for(exc)


async def _on_validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    return response_for(validation_problem(exc.errors()))


async def _on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    if exc.status_code == 404:
        message = f"no endpoint {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return error_json(exc.status_code, code, message, None, **dict(exc.headers or {}))


EXCEPTION_HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    CtxError: _on_ctx_error,
    RequestValidationError: _on_validation_error,
    HTTPException: _on_http_error,
}
"""The handlers `create_app` registers: service errors, validation errors and HTTP errors."""
