"""The app factory: `create_app(settings, exchange)`.

A test or an embedding process passes a ready `Exchange` and keeps owning it (and delivering its
webhooks). Without one, the app opens its own with `open_exchange(settings)` when its lifespan starts,
builds its in-memory indexes on a background thread (`service.warmup`), runs the webhook delivery
worker beside it (`webhook_deliver_every_s`, 0 to turn off), and stops both at shutdown, so that
importing or building the app touches no database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware

from ctexchange import __version__
from ctexchange.api.console import mount_console
from ctexchange.api.errors import EXCEPTION_HANDLERS
from ctexchange.api.middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from ctexchange.api.routes import ROUTERS
from ctexchange.service.context import Caller, new_request_id
from ctexchange.service.exchange import Exchange, open_exchange
from ctexchange.service.warmup import Warmup
from ctexchange.service.webhooks import WORKER_ACTOR, DeliveryWorker
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
WARMUP_JOIN_S = 60.0


def _opening(settings: Settings) -> Lifespan:
    """Open the exchange for the app's lifespan, build its in-memory indexes in the background
    (`warmup`) and, unless `webhook_deliver_every_s` is 0, run the webhook delivery worker beside it;
    at shutdown stop the worker and wait for the warm-up first, then close the exchange."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        exchange = open_exchange(settings)
        app.state.exchange = exchange

        def worker_caller() -> Caller:
            return Caller(exchange.members.operator_principal(WORKER_ACTOR), new_request_id())

        every_s = settings.webhook_deliver_every_s
        worker = DeliveryWorker(exchange.webhooks, worker_caller, every_s) if every_s > 0 else None
        warmup = app.state.warmup = Warmup(exchange)
        try:
            warmup.start()
            if worker is not None:
                worker.start()
            app.state.webhook_worker = worker
            yield
        finally:
            if worker is not None:
                await asyncio.to_thread(worker.stop)
            # a load in progress ends before the store closes; past the bound, closing the store ends it
            await asyncio.to_thread(warmup.join, WARMUP_JOIN_S)
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
    mount_console(app)  # the analyst console at `/` (docs/console.md); the API docs stay at /docs
    return app
