"""Conversions between domain values and the columns that hold them.

Times are stored as fixed-width ISO 8601 text in UTC (`2026-11-29T06:17:04.000000+00:00`): the same bytes
on both backends, sortable as text, and exactly what the audit chain hashes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def ts(moment: datetime) -> str:
    """Return the stored text of an aware datetime (converted to UTC)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def ts_or_none(moment: datetime | None) -> str | None:
    """Return the stored text of an optional datetime."""
    return None if moment is None else ts(moment)


def parse_ts(text: str) -> datetime:
    """Return the aware UTC datetime of stored text."""
    return datetime.fromisoformat(text).astimezone(UTC)


def parse_ts_or_none(text: str | None) -> datetime | None:
    """Return the datetime of optional stored text."""
    return None if text is None else parse_ts(text)


def uid(text: str) -> UUID:
    """Return the UUID of stored text."""
    return UUID(text)


def uid_or_none(text: str | None) -> UUID | None:
    """Return the UUID of optional stored text."""
    return None if text is None else UUID(text)


def str_or_none(value: UUID | None) -> str | None:
    """Return the stored text of an optional UUID."""
    return None if value is None else str(value)


def to_json(value: Any) -> str:
    """Return canonical JSON text (sorted keys, UTF-8 kept) for a stored document."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def from_json(text: str) -> Any:
    """Return the value of stored JSON text."""
    return json.loads(text)
