"""Turning a presented API key into a principal.

The scrypt check costs tens of milliseconds by design, too slow to pay on every request of an upload
pipeline. A key that verified once is remembered (by the SHA-256 of the whole key text, never the text
itself) for the life of the process; revocation, expiry and deactivation are still read from the store on
every request, so they take effect at once. `last_used_at` is written at most once a minute per key.
Every failure raises the same Unauthenticated error; the reason goes to the operators' log (`auth.refused`
with the public key id, never the secret).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import timedelta

import structlog

from ctexchange.domain.members import ApiKey
from ctexchange.errors import Unauthenticated
from ctexchange.service.context import Caller, Clock
from ctexchange.service.keys import split_key, verify_secret
from ctexchange.service.members import MemberService
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
