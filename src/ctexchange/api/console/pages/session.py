"""Logging in and out, and choosing the interface language.

The login form is protected against CSRF by a pre-login cookie (`ctx_anon`, random, HttpOnly,
SameSite=Strict) from which the form's token derives. A successful login starts a server-side session
(`ctx_session` cookie: HttpOnly, SameSite=Strict, Secure over https, no Max-Age so that it dies with the
browser; the server ends it after the idle and absolute limits) and sends the user to the page asked
for first. A refused login shows one message whatever the reason.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.i18n import BY_CODE
from ctexchange.api.console.web import (
    ANON_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    ConsoleRouter,
    CsrfDep,
    ExchangeDep,
    current_session,
    logins_of,
    redirect,
    render,
    safe_next,
    set_cookie,
)
from ctexchange.api.middleware import request_id_of
from ctexchange.errors import InvalidInput, Unauthenticated

router = ConsoleRouter()
LANG_COOKIE_AGE_S = 365 * 24 * 3600
MAX_USERNAME_CHARS = 200


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    """The login form (a signed-in user goes straight on)."""
    if await current_session(request) is not None:
        return redirect(request, safe_next(next))
    return _form(request, safe_next(next), "", is_failed=False)


def _form(request: Request, next_path: str, username: str, is_failed: bool) -> Response:
    context = {"next": next_path, "username": username, "failed": is_failed}
    return render(request, "login.html", context, status_code=401 if is_failed else 200, page_path="/login")


@router.post("/login")
async def login(
    request: Request,
    exchange: ExchangeDep,
    _: CsrfDep,
    username: Annotated[str, Form(max_length=MAX_USERNAME_CHARS)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the user name and password; start a session, or show the form again with one message."""
    logins = logins_of(request, exchange)
    try:
        started = await run_in_threadpool(logins.login, username, password, request_id_of(request.scope))
    except Unauthenticated:
        return _form(request, safe_next(next), username, is_failed=True)
    response = redirect(request, safe_next(next))
    set_cookie(response, request, SESSION_COOKIE, started.token, None)
    response.delete_cookie(ANON_COOKIE, path="/")
    if started.signed_in.language is None and request.cookies.get(LANG_COOKIE) in BY_CODE:
        await run_in_threadpool(logins.set_language, started.signed_in.caller, request.cookies[LANG_COOKIE])
    return response


@router.post("/logout")
async def logout(request: Request, exchange: ExchangeDep, _: CsrfDep) -> Response:
    """End the session and go back to the login page."""
    session = await current_session(request)
    token = request.cookies.get(SESSION_COOKIE)
    if session is not None and token:
        await run_in_threadpool(logins_of(request, exchange).logout, session, token)
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
async def choose_language(
    request: Request,
    exchange: ExchangeDep,
    _: CsrfDep,
    lang: Annotated[str, Form(max_length=8)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Switch the interface language: stored for a signed-in user, in a cookie for everyone."""
    if lang not in BY_CODE:
        raise InvalidInput.expected("lang", f"one of {', '.join(BY_CODE)}", lang)
    session = await current_session(request)
    if session is not None:
        await run_in_threadpool(logins_of(request, exchange).set_language, session.caller, lang)
    response = redirect(request, safe_next(next))
    set_cookie(response, request, LANG_COOKIE, lang, LANG_COOKIE_AGE_S)
    return response
