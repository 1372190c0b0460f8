"""Turning a presented API key into a principal.

The scrypt check costs tens of milliseconds by design, too slow to pay on every request of an upload
pipeline. A key that verified once is remembered (by the SHA-256 of the whole key text, never the text
itself) for the life of the process; revocation, expiry and deactivation are still read from the store on
every request, so they take effect at once. `last_used_at` is written at most once a minute per key.
Every failure raises the same Unauthenticated error; the reason goes to the operators' log (`auth.refused`
with the public key id, never the secret).

The analyst console's logins live here too (`ConsoleLogins`): passwords hashed with the same scrypt helper
as keys (after an NFC + SHA-256 step, since passwords are typed in any script), server-side sessions of
which only the SHA-256 of the cookie's random token is stored, idle and absolute expiry, a CSRF token
derived from the session token (an HMAC only the cookie's holder can know), and a lockout after
`console_lockout_attempts` consecutive failures. Logins, failures, lockouts and logouts are audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import structlog

from ctexchange.domain.members import ApiKey, ConsoleSession, Login, Organization, Principal, User
from ctexchange.domain.roles import Role
from ctexchange.errors import InvalidInput, NotFound, Unauthenticated
from ctexchange.service.access import require_org_admin
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.service.keys import hash_secret, split_key, verify_secret
from ctexchange.service.members import MemberService, find_user
from ctexchange.settings import Settings
from ctexchange.store.base import SqlStore
from ctexchange.store.protocol import Store

log = structlog.get_logger("ctexchange.auth")

VERIFIED_CACHE_SIZE = 10_000
TOUCH_INTERVAL = timedelta(seconds=60)


class Authenticator:
    """Checks API keys."""

    def __init__(self, store: Store, members: MemberService, clock: Clock) -> None:
        self.store = store
        self.members = members
        self.clock = clock
        self._verified: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def authenticate(self, key_text: str | None, request_id: str) -> Caller:
        """Return the caller a key acts as; raise Unauthenticated for anything unusable."""
        parts = split_key(key_text or "")
        if parts is None:
            raise self._refused(request_id, None, "malformed")
        key_id, secret = parts
        with self.store.snapshot() as uow:
            key = uow.members.key(key_id)
            principal = None if key is None else self.members.principal_for_key(uow, key)
        if key is None:
            raise self._refused(request_id, key_id, "unknown key")
        if principal is None or not key.is_usable(self.clock()):
            raise self._refused(request_id, key_id, "revoked, expired or deactivated")
        if not self._is_verified(key, key_text or "", secret):
            raise self._refused(request_id, key_id, "wrong secret")
        self._touch(key)
        return Caller(principal, request_id)

    @staticmethod
    def _refused(request_id: str, key_id: str | None, reason: str) -> Unauthenticated:
        """Log why a key was refused (the caller only learns that it was); return the error to raise."""
        log.warning("auth.refused", request_id=request_id, key_id=key_id, reason=reason)
        return Unauthenticated()

    def _is_verified(self, key: ApiKey, key_text: str, secret: str) -> bool:
        fingerprint = hashlib.sha256(key_text.strip().encode("ascii")).hexdigest()
        with self._lock:
            if self._verified.get(fingerprint) == key.key_id:
                self._verified.move_to_end(fingerprint)
                return True
        if not verify_secret(secret, key.secret_hash):
            return False
        with self._lock:
            self._verified[fingerprint] = key.key_id
            while len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return True

    def _touch(self, key: ApiKey) -> None:
        now = self.clock()
        if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
            with self.store.transaction() as uow:
                uow.members.touch_key(key.key_id, now)


# --- The analyst console: passwords, sessions and lockout -------------------------------------------------

CONSOLE_LANGUAGES = ("en", "ar", "ru", "zh")
MAX_PASSWORD_CHARS = 1024  # a longer "password" is an attack on the hash, not a password
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
SESSION_TOKEN_BYTES = 32
SESSION_KEPT_AFTER_EXPIRY = timedelta(days=1)  # then the row goes (the audit log keeps the login)
UNAUTHENTICATED_ACTOR = "console:unauthenticated"
NO_USER = UUID(int=0)


@dataclass(frozen=True)
class LoginPolicy:
    """The console's login rules, from the settings (`console_*`, `key_hash_cost`)."""

    idle: timedelta
    lifetime: timedelta
    max_failed_logins: int
    lockout: timedelta
    min_password_chars: int
    hash_cost: int


def login_policy(settings: Settings) -> LoginPolicy:
    """Return the login rules the settings describe."""
    return LoginPolicy(
        idle=timedelta(minutes=settings.console_session_idle_minutes),
        lifetime=timedelta(hours=settings.console_session_hours),
        max_failed_logins=max(1, settings.console_lockout_attempts),
        lockout=timedelta(minutes=settings.console_lockout_minutes),
        min_password_chars=settings.console_password_min_chars,
        hash_cost=settings.key_hash_cost,
    )


@dataclass(frozen=True)
class SignedIn:
    """A live console session: who acts in it, the CSRF token of its forms, the language chosen."""

    caller: Caller
    user: User
    org: Organization
    csrf_token: str
    language: str | None


@dataclass(frozen=True)
class NewSession:
    """A session just started: the token for the cookie (shown only here) and the signed-in view."""

    token: str
    signed_in: SignedIn


def token_hash(token: str) -> str:
    """Return the stored form of a session token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def csrf_token_for(token: str) -> str:
    """Return the CSRF token of the session (or pre-login cookie) `token`: an HMAC only its holder knows."""
    return hmac.new(token.encode("ascii", "replace"), b"ctexchange console csrf", hashlib.sha256).hexdigest()


def is_csrf_valid(token: str, presented: str | None) -> bool:
    """True when `presented` is the CSRF token of `token` (compared in constant time)."""
    return presented is not None and hmac.compare_digest(csrf_token_for(token), presented)


def _prehash(password: str) -> str:
    """Return the ASCII text the scrypt helper hashes: SHA-256 of the NFC form in UTF-8.

    Passwords are typed in any script; `hash_secret` takes ASCII. NFC makes the same password typed on two
    keyboards (composed or decomposed letters) the same secret.
    """
    return hashlib.sha256(unicodedata.normalize("NFC", password).encode("utf-8")).hexdigest()


def check_password(password: object, min_chars: int) -> str:
    """Return the password if it is acceptable; raise InvalidInput naming the rule otherwise."""
    if not isinstance(password, str):
        raise InvalidInput.expected("password", "a string", password)
    length = len(password)
    if length > MAX_PASSWORD_CHARS:
        raise InvalidInput(f"'password' must be at most {MAX_PASSWORD_CHARS} characters", field="password")
    if length < min_chars or not password.strip():
        raise InvalidInput(
            f"'password' must be at least {min_chars} characters, not all spaces (got {length})",
            field="password",
        )
    return password


class ConsoleLogins:
    """Passwords, console sessions and lockout.

    Every refusal of a login raises the same Unauthenticated error, whatever the reason (no such user, no
    password set, wrong password, locked, deactivated, a machine account): the console shows one message,
    so user names cannot be probed. The reason goes to the operators' log and, for known users, to the
    audit log (`console.login_failed`, `console.lockout`). A refused login of an unknown user still pays
    for one scrypt check, so timing does not tell either.
    """

    def __init__(self, store: SqlStore, clock: Clock, policy: LoginPolicy) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self._dummy_hash = hash_secret(_prehash(secrets.token_hex(16)), policy.hash_cost)

    def set_password(self, caller: Caller, user_ref: str, password: str) -> User:
        """Set a user's console password (own organization's admins, operator admins, the local operator).

        Ends the user's open sessions and clears a lockout. Service accounts never log in to the console.
        """
        check_password(password, self.policy.min_password_chars)
        hashed = hash_secret(_prehash(password), self.policy.hash_cost)
        with self.store.transaction() as uow:
            user = find_user(uow, user_ref)
            is_operator_admin = caller.principal.is_operator_org and caller.principal.role is Role.ADMIN
            if user.org_id != caller.principal.org_id and not is_operator_admin:
                raise NotFound.of("user", user_ref, "user")
            require_org_admin(caller, user.org_id)
            if user.role is Role.SERVICE:
                raise InvalidInput(f"user '{user.name}' is a service account: it uses API keys", field="user")
            uow.members.set_password_hash(user.id, hashed)
            uow.members.end_sessions_of(user.id, self.clock())
            record(uow, caller, self.clock, "user.password", ("user", user.id, user.org_id))
        return user

    def login(self, name: str, password: str, request_id: str) -> NewSession:
        """Check a user name and password; start a session or raise Unauthenticated (one error for all)."""
        now = self.clock()
        with self.store.snapshot() as uow:
            login = uow.members.login_by_name(name.strip()) if len(name) <= MAX_PASSWORD_CHARS else None
            org = None if login is None else uow.members.org(login.user.org_id)
        if login is None or org is None:
            verify_secret(_prehash(password), self._dummy_hash)
            self._failed_unknown(request_id)
            raise self._refused(request_id, None, "unknown user")
        if login.is_locked(now):
            verify_secret(_prehash(password), self._dummy_hash)
            raise self._refused(request_id, login.user, "locked")
        stored = login.password_hash or self._dummy_hash
        if not verify_secret(_prehash(password[:MAX_PASSWORD_CHARS]), stored):
            self._failed(login, org, request_id, now)
            raise self._refused(request_id, login.user, "wrong password")
        if login.password_hash is None or not self._may_log_in(login.user, org):
            raise self._refused(request_id, login.user, "no password, deactivated or machine account")
        return self._start(login, org, request_id, now)

    @staticmethod
    def _may_log_in(user: User, org: Organization) -> bool:
        return user.is_active and org.is_active and user.role is not Role.SERVICE

    def _failed(self, login: Login, org: Organization, request_id: str, now: datetime) -> None:
        anonymous = Caller(Principal(org.id, login.user.role, None, UNAUTHENTICATED_ACTOR), request_id)
        target = ("user", login.user.id, org.id)
        with self.store.transaction() as uow:
            failed = uow.members.add_failed_login(login.user.id)  # atomic: parallel guesses all count
            if failed >= self.policy.max_failed_logins:
                uow.members.set_failed_logins(login.user.id, 0, now + self.policy.lockout)
                details = {"failed_logins": failed, "minutes": self.policy.lockout.total_seconds() // 60}
                record(uow, anonymous, self.clock, "console.lockout", target, details)
            else:
                uow.members.set_failed_logins(login.user.id, failed, None)
                record(uow, anonymous, self.clock, "console.login_failed", target, {"failed_logins": failed})

    def _failed_unknown(self, request_id: str) -> None:
        """Record a failed login of an unknown user name as the operator's event (never the name typed),
        with the same writes as for a known user, so that the answer's timing does not tell them apart."""
        with self.store.transaction() as uow:
            operator = next((o for o in uow.members.orgs() if o.is_operator), None)
            uow.members.add_failed_login(NO_USER)  # no such row: the same statement, nothing changed
            if operator is not None:
                anonymous = Caller(
                    Principal(operator.id, Role.AUDITOR, None, UNAUTHENTICATED_ACTOR), request_id
                )
                target = ("user", None, operator.id)
                record(uow, anonymous, self.clock, "console.login_failed", target, {"failed_logins": None})

    def _start(self, login: Login, org: Organization, request_id: str, now: datetime) -> NewSession:
        token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
        session = ConsoleSession(token_hash(token), login.user.id, now, now, now + self.policy.lifetime)
        with self.store.transaction() as uow:
            uow.members.set_failed_logins(login.user.id, 0, None)
            uow.members.purge_sessions(now - SESSION_KEPT_AFTER_EXPIRY)
            uow.members.add_session(session)
            caller = Caller(self._principal(uow.groups.groups_of(org.id), login.user, org), request_id)
            record(uow, caller, self.clock, "console.login", ("user", login.user.id, org.id))
        signed_in = SignedIn(caller, login.user, org, csrf_token_for(token), login.language)
        return NewSession(token, signed_in)

    @staticmethod
    def _principal(groups: frozenset[UUID], user: User, org: Organization) -> Principal:
        return Principal(org.id, user.role, user.id, user.name, org.is_operator, groups)

    @staticmethod
    def _refused(request_id: str, user: User | None, reason: str) -> Unauthenticated:
        user_id = None if user is None else str(user.id)
        log.warning("console.login_refused", request_id=request_id, user_id=user_id, reason=reason)
        return Unauthenticated()

    def resume(self, token: str | None, request_id: str) -> SignedIn | None:
        """Return the live session of a cookie's token; None when absent, ended, idle, expired or stopped."""
        if not token or len(token) > 2 * SESSION_TOKEN_BYTES:
            return None
        hashed = token_hash(token)
        now = self.clock()
        with self.store.snapshot() as uow:
            session = uow.members.session(hashed)
            login = None if session is None else uow.members.login(session.user_id)
            org = None if login is None else uow.members.org(login.user.org_id)
            groups = frozenset[UUID]() if org is None else uow.groups.groups_of(org.id)
        if session is None or login is None or org is None or not self._is_live(session, now):
            return None
        if not self._may_log_in(login.user, org):
            return None
        if now - session.last_seen_at >= SESSION_TOUCH_INTERVAL:
            with self.store.transaction() as uow:
                uow.members.touch_session(hashed, now)
        caller = Caller(self._principal(groups, login.user, org), request_id)
        return SignedIn(caller, login.user, org, csrf_token_for(token), login.language)

    def _is_live(self, session: ConsoleSession, now: datetime) -> bool:
        if session.ended_at is not None or now >= session.expires_at:
            return False
        return now - session.last_seen_at < self.policy.idle

    def logout(self, signed_in: SignedIn, token: str) -> None:
        """End the session of `token` (the one `signed_in` came from) and audit it."""
        caller = signed_in.caller
        with self.store.transaction() as uow:
            uow.members.end_session(token_hash(token), self.clock())
            record(uow, caller, self.clock, "console.logout", ("user", signed_in.user.id, signed_in.org.id))

    def set_language(self, caller: Caller, language: str) -> str:
        """Remember the interface language of the calling user; return it."""
        if language not in CONSOLE_LANGUAGES:
            raise InvalidInput.expected("language", f"one of {', '.join(CONSOLE_LANGUAGES)}", language)
        if caller.principal.user_id is None:
            raise InvalidInput("the local operator has no console language", field="language")
        with self.store.transaction() as uow:
            uow.members.set_language(caller.principal.user_id, language)
            target = ("user", caller.principal.user_id, caller.principal.org_id)
            record(uow, caller, self.clock, "user.language", target, {"language": language})
        return language
