"""Moments given as input: aware datetimes, or ISO 8601 text with its UTC offset.

One rule for every service that takes a time from people (removal orders, report periods): text that
is no time, a date that cannot exist and a time without an offset are refused, naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ctexchange.errors import InvalidInput

MOMENT = "a date and time with a UTC offset (2026-05-01T12:00:00+00:00)"


def parse_moment(raw: datetime | str | None, field: str, expected: str = MOMENT) -> datetime | None:
    """Return an aware UTC datetime from a datetime or ISO 8601 text with an offset; None stays None.

    Raises InvalidInput naming `field` and `expected` for anything else.
    """
    if raw is None:
        return None
    moment: object = raw
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise InvalidInput.expected(field, expected, raw) from None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput.expected(field, expected, raw)
    return moment.astimezone(UTC)
