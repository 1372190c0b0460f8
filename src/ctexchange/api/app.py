"""The app factory: `create_app(settings, exchange)`.

A test or an embedding process passes a ready `Exchange` and keeps owning it. Without one, the app opens
its own with `open_exchange(settings)` when its lifespan starts and closes it at shutdown, so that
importing or building the app touches no database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.middleware import Middleware

from ctexchange import __version__
from ctexchange.api.errors import EXCEPTION_HANDLERS
from ctexchange.api.middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from ctexchange.api.routes import ROUTERS
from ctexchange.service.exchange import Exchange, open_exchange
from ctexchange.settings import Settings

DESCRIPTION = """\
The counter-terrorism signal exchange: members pool signals (content fingerprints and designated
entities), share them under TLP 2.0 markings and act on matches under human review.

Every request but `/v1/health` needs an API key: `Authorization: Bearer ctx_<key id>_<secret>`.
Every error is `{"error": {"code", "message", "field"}}`. Send `X-Request-ID` to tie a request to the
audit events it writes; the response echoes it (or the id the server made).
"""

TAGS = [
    {"name": "health", "description": "Is the service up."},
    {"name": "members", "description": "Organizations, users, API keys and sharing groups."},
    {"name": "collections", "description": "Banks of signals owned by one organization."},
    {"name": "signals", "description": "Content fingerprints and designated entities."},
    {"name": "screening", "description": "Names in any script against designated entities, explained."},
    {"name": "audit", "description": "The tamper-evident audit log."},
]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _opening(settings: Settings) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        exchange = open_exchange(settings)
        app.state.exchange = exchange
        try:
            yield
        finally:
            exchange.close()

    return lifespan


def create_app(settings: Settings, exchange: Exchange | None = None) -> FastAPI:
    """Return the API app over `exchange`, or over one it opens from `settings` for its lifespan."""
    app = FastAPI(
        title="ctexchange",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=_opening(settings) if exchange is None else None,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(AccessLogMiddleware),
            Middleware(UnhandledErrorMiddleware),
            Middleware(
                BodyLimitMiddleware,
                max_bytes=settings.max_body_bytes,
                max_upload_bytes=settings.max_upload_bytes,
            ),
        ],
    )
    if exchange is not None:
        app.state.exchange = exchange
    for router in ROUTERS:
        app.include_router(router)
    app.add_api_route("/", _to_docs, include_in_schema=False)
    return app


async def _to_docs() -> RedirectResponse:
    """Send people to the API docs until the web console arrives."""
    return RedirectResponse("/docs", status_code=307)
