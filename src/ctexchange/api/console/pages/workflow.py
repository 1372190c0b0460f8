"""Helpers shared by the workflow pages (cases, requests, alerts, signals, audit, reports).

Nothing here decides access: each helper only shapes what a page sends to a service or shows from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ctexchange.domain.roles import Action, is_allowed
from ctexchange.errors import CtxError, InvalidInput
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange

MAX_SHORT = 200
MAX_REASON = 2_000
MAX_LONG = 20_000


def org_names(exchange: Exchange, session: SignedIn) -> dict[UUID, str]:
    """Return the names of the member organizations (known to every member), or {} for a role without it."""
    if not is_allowed(session.caller.principal.role, Action.READ_MEMBERS):
        return {}
    return {o.id: o.name for o in exchange.members.orgs(session.caller)}


def may(session: SignedIn, action: Action) -> bool:
    """True when the session's role grants `action` (what the page offers; the service still decides)."""
    return is_allowed(session.caller.principal.role, action)


def utc_moment(raw: str, field: str) -> datetime | None:
    """Return the UTC time of a `datetime-local` field (`2026-05-01T12:00`, read as UTC), or None if empty.

    A value with an offset keeps it. Anything else is refused naming the field.
    """
    text = raw.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput.expected(field, "a date and time, YYYY-MM-DDTHH:MM (UTC)", raw) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def minutes_between(start: datetime, end: datetime) -> int:
    """Return the whole minutes from `start` to `end` (negative when `end` is earlier)."""
    seconds = (end - start).total_seconds()
    return int(seconds // 60) if seconds >= 0 else -int(-seconds // 60)


@dataclass(frozen=True)
class Refusal:
    """A refused value or move as a page shows it: the service's message and the field it names."""

    message: str
    field: str | None
    status: int

    @classmethod
    def of(cls, exc: CtxError) -> Refusal:
        """Return the refusal of a service error (422 for a value, 409 for a move, 403 for a role)."""
        codes = {"payload_too_large": 413, "invalid_transition": 409, "conflict": 409, "forbidden": 403}
        status = codes.get(exc.code, 422)
        return cls(exc.message, exc.field, status)


def split_list(raw: str) -> list[str]:
    """Return the non-empty items of a comma- or newline-separated field."""
    return [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]


def query_string(params: dict[str, Any]) -> str:
    """Return `params` (empty values left out) as a URL query string, for pagination links."""
    from urllib.parse import urlencode

    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return urlencode(kept)
