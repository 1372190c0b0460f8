"""Logging in and out of the console: sessions, cookies, CSRF, lockout, expiry, language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from ctexchange.api.console.web import SESSION_COOKIE
from ctexchange.errors import InvalidInput
from ctexchange.service.auth import ConsoleLogins, login_policy, token_hash
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.api.console.conftest import PASSWORD, Console, csrf, log_in, make_user


def _audit_actions(exchange: Exchange) -> list[str]:
    with exchange.store.snapshot() as uow:
        return [e.entry.action for e in uow.audit.walk()]


def test_pages_behind_the_login_redirect_to_it(console: Console) -> None:
    """Without a session, a page sends the browser to the login form with the page to come back to."""
    client = console.client()
    response = client.get("/screening?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fscreening%3Fx%3D1"


def test_htmx_requests_without_a_session_get_hx_redirect(console: Console) -> None:
    """htmx follows HX-Redirect instead of swapping a login page into a fragment."""
    client = console.client()
    response = client.get("/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 204
    assert response.headers["hx-redirect"].startswith("/login")


def test_login_sets_a_strict_session_cookie_and_audits(console: Console, operator: Caller) -> None:
    """A good password starts a session: HttpOnly, SameSite=Strict cookie; only its hash is stored."""
    user = make_user(console.exchange, operator, "coalition", "analyst", "nadia")
    client = console.client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf_token": csrf(page), "next": "/content"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/content"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https adds it
    token = cookie.split(";")[0].split("=", 1)[1]
    with console.exchange.store.snapshot() as uow:
        assert uow.members.session(token) is None  # the token itself is not a key of the table
        assert uow.members.session(token_hash(token)) is not None
    assert "console.login" in _audit_actions(console.exchange)


def test_next_never_leaves_the_site(console: Console, operator: Caller) -> None:
    """`next` pointing elsewhere (//host, /\\host, http://...) goes to the dashboard instead."""
    user = make_user(console.exchange, operator, "coalition", "analyst")
    for target in ("//evil.example/x", "/\\evil.example", "https://evil.example/"):
        client = console.client()
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": user, "password": PASSWORD, "csrf_token": csrf(page), "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_wrong_password_and_unknown_user_look_the_same(console: Console, operator: Caller) -> None:
    """A wrong password, an unknown user and a user without a password get the same page and status."""
    user = make_user(console.exchange, operator, "coalition", "analyst")
    console.exchange.members.create_user(operator, "coalition", "nopassword", "analyst")
    bodies = []
    for name, password in ((user, "wrong password!"), ("nobody-here", "whatever"), ("nopassword", "x" * 12)):
        client = console.client()
        response = log_in(client, name, password)
        assert response.status_code == 401
        bodies.append(re.sub(r"[0-9a-f]{64}", "TOKEN", response.text.replace(name, "NAME")))
        assert SESSION_COOKIE not in client.cookies
    assert bodies[0] == bodies[1] == bodies[2]


def test_lockout_after_repeated_failures(console: Console, operator: Caller) -> None:
    """After the configured failures the right password is refused too, until the lockout ends."""
    exchange = console.exchange
    attempts = exchange.settings.console_lockout_attempts
    user = make_user(exchange, operator, "coalition", "analyst")
    client = console.client()
    for _ in range(attempts):
        assert log_in(client, user, "not the password").status_code == 401
    assert log_in(client, user).status_code == 401  # locked: even the right password
    actions = _audit_actions(exchange)
    assert actions.count("console.login_failed") == attempts - 1
    assert actions.count("console.lockout") == 1
    with exchange.store.snapshot() as uow:
        login = uow.members.login_by_name(user)
    assert login is not None and login.locked_until is not None
    expected = timedelta(minutes=exchange.settings.console_lockout_minutes)
    assert abs((login.locked_until - exchange.clock()) - expected) < timedelta(minutes=1)


def test_lockout_ends_and_a_new_password_lifts_it(console: Console, operator: Caller) -> None:
    """Setting a password clears the lockout; a good login resets the failure count."""
    exchange = console.exchange
    user = make_user(exchange, operator, "coalition", "analyst")
    client = console.client()
    for _ in range(exchange.settings.console_lockout_attempts):
        log_in(client, user, "not the password")
    assert log_in(client, user).status_code == 401
    logins = ConsoleLogins(exchange.store, exchange.clock, login_policy(exchange.settings))
    logins.set_password(operator, user, PASSWORD)
    assert log_in(client, user).status_code == 200


def test_post_without_csrf_token_is_refused(console: Console) -> None:
    """A form post without (or with a wrong) CSRF token is a 403 page and changes nothing."""
    client = console.login_as("admin")
    response = client.post("/admin/users", data={"name": "mallory", "role": "admin"})
    assert response.status_code == 403
    response = client.post("/admin/users", data={"name": "mallory", "role": "admin", "csrf_token": "0" * 64})
    assert response.status_code == 403
    names = [u.name for u in console.exchange.members.users(console.operator)]
    assert "mallory" not in names


def test_login_form_needs_its_csrf_token(console: Console, operator: Caller) -> None:
    """The login form is protected too (login CSRF): no token, no session."""
    user = make_user(console.exchange, operator, "coalition", "analyst")
    client = console.client()
    client.get("/login")
    response = client.post("/login", data={"username": user, "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_logout_ends_the_session_for_good(console: Console) -> None:
    """After logout the old cookie no longer opens a page, even if replayed."""
    client = console.login_as("analyst")
    token = client.cookies[SESSION_COOKIE]
    page = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf(page)}, follow_redirects=False)
    assert response.status_code == 303
    replay = console.client()
    replay.cookies.set(SESSION_COOKIE, token)
    assert replay.get("/", follow_redirects=False).status_code == 303
    assert "console.logout" in _audit_actions(console.exchange)


def test_idle_and_absolute_expiry(console: Console) -> None:
    """A session idle past the limit, or older than the lifetime, is over."""
    exchange = console.exchange
    client = console.login_as("analyst")
    hashed = token_hash(client.cookies[SESSION_COOKIE])
    idle = timedelta(minutes=exchange.settings.console_session_idle_minutes)
    with exchange.store.transaction() as uow:
        uow.members.touch_session(hashed, exchange.clock() - idle - timedelta(seconds=1))
    assert client.get("/", follow_redirects=False).status_code == 303

    other = console.login_as("analyst")
    hashed = token_hash(other.cookies[SESSION_COOKIE])
    with exchange.store.transaction() as uow:
        uow.db.run(
            "UPDATE console_sessions SET expires_at = :at WHERE token_hash = :t",
            {"at": (exchange.clock() - timedelta(seconds=1)).isoformat(), "t": hashed},
        )
    assert other.get("/", follow_redirects=False).status_code == 303


def test_deactivating_a_user_ends_their_sessions(console: Console) -> None:
    """A deactivated user's open session stops at the next request."""
    client = console.login_as("analyst", name="soon-gone")
    assert client.get("/").status_code == 200
    console.exchange.members.set_user_active(console.operator, "soon-gone", False)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_service_accounts_cannot_log_in(console: Console, operator: Caller) -> None:
    """A `service` user has no console password: setting one is refused."""
    with pytest.raises(InvalidInput):
        make_user(console.exchange, operator, "coalition", "service")


def test_language_is_remembered_per_user(console: Console) -> None:
    """Switching to Arabic renders dir=rtl and is stored: a new login is in Arabic too."""
    client = console.login_as("analyst", name="layla")
    page = client.get("/")
    response = client.post("/language", data={"lang": "ar", "csrf_token": csrf(page), "next": "/"})
    assert '<html lang="ar" dir="rtl">' in response.text
    fresh = console.client()
    assert log_in(fresh, "layla").text.count('<html lang="ar" dir="rtl">') == 1
    assert "user.language" in _audit_actions(console.exchange)


def test_unknown_language_is_refused(console: Console) -> None:
    """Only en, ar, ru and zh are offered."""
    client = console.login_as("analyst")
    page = client.get("/")
    response = client.post("/language", data={"lang": "xx", "csrf_token": csrf(page)})
    assert response.status_code == 422


def test_login_page_follows_accept_language(console: Console) -> None:
    """Before login, the browser's language is used."""
    client = console.client()
    response = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh" dir="ltr">' in response.text


def test_pages_carry_security_headers(console: Console) -> None:
    """Pages forbid inline scripts, framing and caching."""
    client = console.login_as("analyst")
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"


def test_console_404_and_api_404_differ(exchange: Exchange) -> None:
    """An unknown page is the console's HTML 404; an unknown API path keeps the JSON envelope."""
    from ctexchange.api.app import create_app

    with TestClient(create_app(exchange.settings, exchange)) as client:
        page = client.get("/no/such/page")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        api = client.get("/v1/no-such-endpoint")
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
        assert client.get("/docs").status_code == 200


def test_unknown_user_failures_are_audited_without_the_name(console: Console) -> None:
    """A failed login for a name that does not exist is an operator event that never holds the name."""
    client = console.client()
    log_in(client, "no-such-person-x", "whatever password")
    with console.exchange.store.snapshot() as uow:
        events = [e.entry for e in uow.audit.walk() if e.entry.action == "console.login_failed"]
    assert len(events) == 1
    operator_org = next(o for o in console.exchange.members.orgs(console.operator) if o.is_operator)
    assert events[0].object_org_id == operator_org.id and events[0].object_id is None
    assert "no-such-person-x" not in repr(events[0])
