"""The analyst console: server-rendered pages at `/` over the same services as the API.

Pages are Jinja2 templates rendered on the server, with htmx (vendored, `static/vendor/`) for the few
live parts (screening results, batch progress, content lookups) and no build step; every text comes
from the catalogs in `i18n/` (en, ar, ru, zh). A page acts as the signed-in user's `Caller`, so the
access rules are the API's. See docs/console.md.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ctexchange.api.console.pages import ROUTERS
from ctexchange.api.console.web import SAFE_METHODS, SECURITY_HEADERS, error_page

API_PREFIXES = ("/v1/", "/v1", "/taxii2", "/openapi.json", "/docs", "/redoc", "/static/")

HttpHandler = Callable[[Request, Any], Response | Awaitable[Response]]


def console_not_found(api_handler: HttpHandler) -> Callable[[Request, Any], Awaitable[Response]]:
    """Wrap the API's HTTP error handler: a GET of an unknown page gets the console's 404 page (in the
    user's language); the API's paths, other methods and other statuses keep the JSON envelope."""

    async def handle(request: Request, exc: HTTPException) -> Response:
        path = request.url.path
        if exc.status_code == 404 and request.method in SAFE_METHODS and not path.startswith(API_PREFIXES):
            page = await error_page(request, 404)
            page.headers.update(SECURITY_HEADERS)
            return page
        answer = api_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    return handle


def static_dir() -> Path:
    """The directory of the console's static files (CSS, JavaScript, vendored htmx)."""
    return Path(str(resources.files("ctexchange.api.console").joinpath("static")))


def mount_console(app: FastAPI) -> None:
    """Add the console's pages, its static files and its 404 page to the app (after the API's routes)."""
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    for router in ROUTERS:
        app.include_router(router)
    api_handler: HttpHandler = app.exception_handlers[HTTPException]
    app.add_exception_handler(HTTPException, console_not_found(api_handler))
