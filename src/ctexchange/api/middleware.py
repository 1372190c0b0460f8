"""Pure ASGI middlewares: request ids, the access log, the last-resort 500 and the body size limit.

Pure ASGI rather than `BaseHTTPMiddleware`, which runs the app in another task, buffers streaming
responses badly and hides the scope changes (the matched route) from outer layers. From outside in:

1. `RequestIdMiddleware` takes a well-formed incoming X-Request-ID or makes one, stores it in
   `scope["state"]["request_id"]` (the auth dependency passes it to the service as `Caller.request_id`,
   so audit events carry it) and echoes it on every response, error responses included.
2. `AccessLogMiddleware` writes one `request.done` line: method, route template, status, ms, request id.
   Never a body, a key, a query string or a path with values in it.
3. `UnhandledErrorMiddleware` turns any exception that escaped the app into the 500 envelope and logs
   it with the request id. If the response had started (a failing export stream) it re-raises, so the
   server aborts the connection and the client sees a broken stream, not a complete one.
4. `BodyLimitMiddleware` refuses a declared Content-Length over the limit before the app runs, and counts
   the bytes of every body as they arrive, so a chunked body without Content-Length is refused as soon as
   it passes the limit.
"""

from __future__ import annotations

import re
import time

import structlog
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ctexchange.api.errors import internal_error, response_for
from ctexchange.errors import PayloadTooLarge
from ctexchange.service.context import new_request_id

log = structlog.get_logger("ctexchange.api")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def header(scope: Scope, name: str) -> str | None:
    """Return the first value of a request header, or None."""
    wanted = name.lower().encode("latin-1")
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def request_id_of(scope: Scope) -> str:
    """Return the request id `RequestIdMiddleware` stored, or a fresh one if it did not run."""
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if not isinstance(rid, str):
        rid = state["request_id"] = new_request_id()
    return rid


def route_template(scope: Scope) -> str:
    """Return the path template of the route that handled the request (`/v1/signals/{signal_id}`).

    FastAPI records API routes in `scope["route"]`; plain routes (/docs, /openapi.json) are found by
    their endpoint. A request that matched nothing is `unmatched`: its raw path may carry values.
    """
    route = scope.get("route")
    if route is None and "endpoint" in scope:
        routes = getattr(scope.get("router"), "routes", [])
        route = next((r for r in routes if getattr(r, "endpoint", None) is scope["endpoint"]), None)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestIdMiddleware:
    """Give every request an id, keep it in the scope state and echo it in X-Request-ID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, REQUEST_ID_HEADER)
        rid = incoming if incoming and _REQUEST_ID.fullmatch(incoming) else new_request_id()
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        await self.app(scope, receive, send_with_id)


class AccessLogMiddleware:
    """Write one structured line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            log.info(
                "request.done",
                method=scope["method"],
                route=route_template(scope),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
                request_id=request_id_of(scope),
            )


class UnhandledErrorMiddleware:
    """Answer an exception that escaped the app with the generic 500 envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal is_started
            is_started = is_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as exc:
            log.exception("request.failed", request_id=request_id_of(scope), error=type(exc).__name__)
            if is_started:
                raise
            await internal_error()(scope, receive, send)


class BodyTooLarge(HTTPException):
    """A request body passed the limit while it was being read."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body must be at most {max_bytes} bytes (got more)")


UPLOAD_PATHS = re.compile(
    r"^/v1/(hash|match|collections/[^/]+/files|requests/[^/]+/attachments|cases/[^/]+/evidence)$"
    r"|^/(content|screening/batch|admin/imports)$"  # the console's uploads (docs/console.md)
)


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` (`max_upload_bytes` on file uploads), declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_bytes if max_upload_bytes is None else max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if UPLOAD_PATHS.match(scope.get("path", "")) else self.max_bytes
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = header(scope, "content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            message = f"the request body must be at most {limit} bytes (got {int(declared)})"
            await response_for(PayloadTooLarge(message))(scope, receive, send)
            return
        received = 0
        is_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI passes an HTTPException raised while reading the body on to the handlers.
                    raise BodyTooLarge(limit)
            return message

        async def send_noting_start(message: Message) -> None:
            nonlocal is_started
            is_started = is_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, send_noting_start)
        except BodyTooLarge as exc:
            if is_started:
                raise
            await response_for(PayloadTooLarge(str(exc.detail)))(scope, receive, send)
