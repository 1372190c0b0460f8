"""API key secrets: generation, slow hashing, verification.

A key reads `ctx_<key id>_<secret>`: the 12-hex-digit key id is public and indexes the stored row; the
64-hex-digit secret is never stored, only its scrypt hash (`scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`).
The cost travels with each hash, so raising `key_hash_cost` strengthens new keys without breaking old
ones. scrypt comes with Python's hashlib (OpenSSL): no extra dependency for the one slow hash we need.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PATTERN = re.compile(r"^ctx_([0-9a-f]{12})_([0-9a-f]{64})$")
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: the full text (shown once) and its parts."""

    key_id: str
    secret: str

    @property
    def text(self) -> str:
        """The key as the caller presents it."""
        return f"ctx_{self.key_id}_{self.secret}"


def generate_key() -> NewKey:
    """Return a new random key."""
    return NewKey(secrets.token_hex(6), secrets.token_hex(32))


def split_key(text: str) -> tuple[str, str] | None:
    """Return (key id, secret) of a well-formed key text, or None."""
    match = KEY_PATTERN.match(text.strip())
    return None if match is None else (match.group(1), match.group(2))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(secret: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        secret.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_DKLEN, maxmem=256 * n * r + 2**20
    )


def hash_secret(secret: str, log2_n: int) -> str:
    """Return the storable scrypt hash of a key secret at cost 2**log2_n."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, log2_n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${log2_n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    """Return True when `secret` hashes to `stored`; False for any malformed stored value."""
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(secret, base64.b64decode(salt), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))
