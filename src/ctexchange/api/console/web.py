"""The console's plumbing: sessions from cookies, CSRF, rendering in the user's language, error pages.

Every console route is declared on a `ConsoleRouter` (an `APIRouter` whose routes are `ConsoleRoute`):
- its errors never reach the API's JSON handlers: a `CtxError` becomes an HTML page in the user's
  language (404 for anything the caller may not see, with the same text as an absent object; 403 when
  the role may not do it), a missing session a redirect to `/login?next=...` (`HX-Redirect` for htmx);
- its responses carry the console's security headers: a strict Content-Security-Policy (scripts and
  styles from `/static` only: no inline code), no framing, no caching of pages, no referrer;
- a state-changing method (anything but GET/HEAD) must carry the CSRF token of its session (form field
  `csrf_token`, or header `X-CSRF-Token` which `console.js` adds to every htmx request), else 403.

The session is read from the `ctx_session` cookie through the service (`ConsoleLogins.resume`), which
decides expiry and deactivation; the `Caller` it returns is what every page passes to the services, so
pages obey exactly the API's access rules.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute, APIRouter
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException

from ctexchange import __version__
from ctexchange.api.console.i18n import LANGUAGES, has_text, language_of, negotiate, translate
from ctexchange.api.console.nav import NAV, NavEntry
from ctexchange.api.dependencies import get_exchange
from ctexchange.api.errors import validation_problem
from ctexchange.api.middleware import request_id_of
from ctexchange.domain.roles import is_allowed
from ctexchange.errors import CtxError, Forbidden, InvalidInput, NotFound, PayloadTooLarge, Unauthenticated
from ctexchange.service.auth import ConsoleLogins, SignedIn, csrf_token_for, is_csrf_valid, login_policy
from ctexchange.service.exchange import Exchange

log = structlog.get_logger("ctexchange.console")

SESSION_COOKIE = "ctx_session"
ANON_COOKIE = "ctx_anon"  # the pre-login token the login form's CSRF token derives from
LANG_COOKIE = "ctx_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

templates = Environment(
    loader=PackageLoader("ctexchange.api.console", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class LoginRequired(Exception):
    """No live session: the browser is sent to the login page."""


class CsrfRejected(Exception):
    """A state-changing request without the CSRF token of its session."""


def logins_of(request: Request, exchange: Exchange) -> ConsoleLogins:
    """Return the console's login service for the app's exchange (built once per exchange)."""
    held: ConsoleLogins | None = getattr(request.app.state, "console_logins", None)
    if held is None or held.store is not exchange.store:
        held = ConsoleLogins(exchange.store, exchange.clock, login_policy(exchange.settings))
        request.app.state.console_logins = held
    return held


async def current_session(request: Request) -> SignedIn | None:
    """Return the live session of the request's cookie, or None (resolved once per request)."""
    if hasattr(request.state, "signed_in"):
        found: SignedIn | None = request.state.signed_in
        return found
    exchange = await get_exchange(request)
    token = request.cookies.get(SESSION_COOKIE)
    found = None
    if token:  # store reads (and a write a minute): off the event loop
        resume = logins_of(request, exchange).resume
        found = await run_in_threadpool(resume, token, request_id_of(request.scope))
    request.state.signed_in = found
    return found


async def signed_in(request: Request) -> SignedIn:
    """The dependency of every page behind the login: the live session, or a redirect to log in."""
    found = await current_session(request)
    if found is None:
        raise LoginRequired
    return found


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


async def csrf_checked(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token is not that of its session (or login cookie)."""
    if request.method in SAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    # A live session's token when there is one; the pre-login cookie's only without a session.
    is_live = await current_session(request) is not None
    token = request.cookies.get(SESSION_COOKIE if is_live else ANON_COOKIE)
    if not token or not is_csrf_valid(token, presented):
        raise CsrfRejected


CsrfDep = Annotated[None, Depends(csrf_checked)]


def is_https(request: Request) -> bool:
    """True when the browser reached us over https (cookies then get `Secure`)."""
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age_s: int | None) -> None:
    """Set a console cookie: HttpOnly, SameSite=Strict, path /, Secure over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def language_for(request: Request, session: SignedIn | None) -> str:
    """Return the language of this request: the user's choice, the cookie, the browser's, or English."""
    if session is not None and session.language:
        return session.language
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in {lang.code for lang in LANGUAGES}:
        return str(cookie)
    return negotiate(request.headers.get("accept-language")) or "en"


@dataclass(frozen=True)
class Ui:
    """What every template gets as `ui`: language, texts, the user, the CSRF token, the navigation."""

    lang: str
    direction: str
    session: SignedIn | None
    csrf_token: str
    path: str
    nav: tuple[NavEntry, ...]
    version: str = __version__

    def t(self, key: str, **params: Any) -> str:
        """Return the text of `key` in the page's language."""
        return translate(self.lang, key, **params)

    def t_or(self, key: str, fallback: str) -> str:
        """Return the text of `key`, or `fallback` (data shown as it is) when no catalog has the key."""
        return translate(self.lang, key) if has_text(self.lang, key) else fallback

    @property
    def languages(self) -> tuple[Any, ...]:
        """The languages the switch offers."""
        return LANGUAGES

    def static(self, path: str) -> str:
        """Return the URL of a static file, versioned so that a new release is fetched anew."""
        return f"/static/{path}?v={self.version}"

    def is_current(self, entry: NavEntry) -> bool:
        """True when `entry` is the page being shown (or one under it)."""
        if entry.path == "/":
            return self.path == "/"
        return self.path == entry.path or self.path.startswith(entry.path + "/")


def nav_for(session: SignedIn | None) -> tuple[NavEntry, ...]:
    """Return the navigation entries the session's role may use."""
    if session is None:
        return ()
    role = session.caller.principal.role
    return tuple(e for e in NAV if e.action is None or is_allowed(role, e.action))


def ui_for(request: Request, session: SignedIn | None, page_path: str | None = None) -> Ui:
    """Return the `ui` object of a page for this request."""
    lang = language_of(language_for(request, session))
    token = request.cookies.get(ANON_COOKIE)
    csrf = session.csrf_token if session is not None else (csrf_token_for(token) if token else "")
    path = page_path or request.url.path
    return Ui(lang.code, lang.direction, session, csrf, path, nav_for(session))


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    session: SignedIn | None = None,
    page_path: str | None = None,
) -> HTMLResponse:
    """Render a template for this request (the session found by the dependency, or read again).

    `page_path` is the page a POST's answer stands for (where the language switch comes back to);
    without a session, a pre-login cookie is set so that the page's forms carry a CSRF token.
    """
    found = session if session is not None else getattr(request.state, "signed_in", None)
    new_anon = None
    if found is None and not request.cookies.get(ANON_COOKIE):
        new_anon = secrets.token_urlsafe(32)
        request.cookies[ANON_COOKIE] = new_anon
    ui = ui_for(request, found, page_path)
    html = templates.get_template(template).render(ui=ui, t=ui.t, **(context or {}))
    response = HTMLResponse(html, status_code=status_code)
    if new_anon is not None:
        set_cookie(response, request, ANON_COOKIE, new_anon, None)
    return response


def is_htmx(request: Request) -> bool:
    """True for a request htmx made (it wants a fragment, and redirects through `HX-Redirect`)."""
    return request.headers.get("hx-request") == "true"


def redirect(request: Request, url: str) -> Response:
    """Send the browser to `url`: a 303 for a form post, `HX-Redirect` for htmx."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def safe_next(raw: str | None) -> str:
    """Return a local path to go to after login (never another site: `//host` and `/\\host` are refused)."""
    if not raw or not raw.startswith("/") or raw.startswith(("//", "/\\")) or len(raw) > 500:
        return "/"
    return raw


ERROR_TEXTS: dict[int, tuple[str, str]] = {
    403: ("error.forbidden.title", "error.forbidden.body"),
    404: ("error.not_found.title", "error.not_found.body"),
    409: ("error.conflict.title", "error.conflict.body"),
    413: ("error.too_large.title", "error.too_large.body"),
    422: ("error.invalid.title", "error.invalid.body"),
    503: ("error.unavailable.title", "error.unavailable.body"),
}


def error_status(exc: CtxError) -> int:
    """Return the status of a service error on a console page."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, PayloadTooLarge):
        return 413
    if isinstance(exc, InvalidInput):
        return 422
    if exc.code in ("conflict", "invalid_transition"):
        return 409
    return 503 if exc.code == "store_unavailable" else 500


async def error_page(request: Request, status: int, detail: str | None = None) -> HTMLResponse:
    """Render the error page of `status` in the user's language.

    404 and 403 show fixed texts only: nothing tells whether the object exists. 409 and 422 add the
    service's message (it names the field and the expectation, never hidden data).
    """
    try:
        session = await current_session(request)
    except CtxError:
        session = None
    title, body = ERROR_TEXTS.get(status, ("error.internal.title", "error.internal.body"))
    context = {"status": status, "title_key": title, "body_key": body, "detail": detail}
    return render(request, "error.html", context, status_code=status, session=session)


class ConsoleRoute(APIRoute):
    """A console route: HTML error pages, login redirects, CSRF refusals and security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler of this route."""
        handle = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            response = await self._answer(handle, request)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return console_handler

    @staticmethod
    async def _answer(
        handle: Callable[[Request], Coroutine[Any, Any, Response]], request: Request
    ) -> Response:
        try:
            return await handle(request)
        except LoginRequired:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect(request, f"/login?next={quote(target, safe='')}")
        except CsrfRejected:
            return await error_page(request, 403)
        except Unauthenticated:
            return redirect(request, "/login")
        except RequestValidationError as exc:
            return await error_page(request, 422, validation_problem(exc.errors()).message)
        except CtxError as exc:
            status = error_status(exc)
            detail = exc.message if status in (409, 413, 422) else None
            return await error_page(request, status, detail)
        except HTTPException:  # the API's own 404/405 (see the console's fallback route)
            raise
        except Exception:  # a bug: logged with the request id, the page says nothing of it
            log.exception("console.error", request_id=request_id_of(request.scope), path=request.url.path)
            return await error_page(request, 500)


class ConsoleRouter(APIRouter):
    """An APIRouter for console pages: `ConsoleRoute`s, left out of the OpenAPI document."""

    def __init__(self) -> None:
        super().__init__(route_class=ConsoleRoute, include_in_schema=False)


ExchangeDep = Annotated[Exchange, Depends(get_exchange)]
