"""The one error tree of ctexchange.

Every failure a caller can cause or meet is one of these; the API maps them to HTTP in one table
(`ctexchange.api.errors`) and the CLI to exit codes (`ctexchange.cli.output`). Nothing below the adapters
knows about HTTP status codes.

    CtxError
     ├── InvalidInput        a value broke a rule: names the field, the expectation and what came
     │    └── PayloadTooLarge   a body, file or batch over its size cap
     ├── NotFound            no such object, or one the caller may not know exists (same message)
     ├── Conflict            the object exists already, or a concurrent change won
     │    └── InvalidTransition  a state machine refused a move
     ├── Unauthenticated     no key, a wrong key, a revoked or expired key: one message for all
     ├── Forbidden           the caller's role may not do this to an object it can see
     └── StoreUnavailable    the database cannot be reached or is not migrated

Messages never carry raw signal values or personal data: they name fields, ids and expectations.
"""

from __future__ import annotations

from typing import Any

MAX_SHOWN_CHARS = 60


def shown(value: Any) -> str:
    """Return a short, printable rendering of a rejected value for an error message."""
    text = repr(value)
    if len(text) > MAX_SHOWN_CHARS:
        text = text[: MAX_SHOWN_CHARS - 3] + "..."
    return f"{text} ({type(value).__name__})"


class CtxError(Exception):
    """Base of every ctexchange error; `code` is stable and machine-readable."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(CtxError):
    """A value broke a rule of its field."""

    code = "invalid_input"

    @classmethod
    def expected(cls, field: str, expectation: str, got: Any) -> InvalidInput:
        """Build the standard message: `'field' must be <expectation> (got <value> (type)).`"""
        return cls(f"'{field}' must be {expectation} (got {shown(got)})", field=field)


class PayloadTooLarge(InvalidInput):
    """A body, file or batch is over its cap."""

    code = "payload_too_large"


class NotFound(CtxError):
    """The object does not exist, or the caller may not know that it exists."""

    code = "not_found"

    @classmethod
    def of(cls, what: str, ident: object, field: str | None = None) -> NotFound:
        """Build the one message used for absent and invisible objects alike."""
        return cls(f"{what} {ident!s} not found", field=field)


class Conflict(CtxError):
    """The object exists already, or the store refused a concurrent change."""

    code = "conflict"


class InvalidTransition(Conflict):
    """A state machine refused a move."""

    code = "invalid_transition"


class Unauthenticated(CtxError):
    """No usable API key. The message is the same whatever the reason, so keys cannot be probed."""

    code = "unauthenticated"

    def __init__(self) -> None:
        super().__init__("a valid API key is required: 'Authorization: Bearer <key>'")


class Forbidden(CtxError):
    """The caller's role or organization may not perform this action."""

    code = "forbidden"


class StoreUnavailable(CtxError):
    """The store cannot be reached, or its schema is not the one this version expects."""

    code = "store_unavailable"
