"""`parse_moment`: aware times in, UTC out; anything else refused naming the field and what was expected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ctexchange.domain.moments import MOMENT, parse_moment
from ctexchange.errors import InvalidInput


def test_text_and_datetimes_come_back_in_utc() -> None:
    """An offset is applied, a datetime passes, None stays None."""
    assert parse_moment("2026-05-01T14:00:00+02:00", "at") == datetime(2026, 5, 1, 12, tzinfo=UTC)
    east = datetime(2026, 5, 1, 12, tzinfo=timezone(timedelta(hours=3)))
    assert parse_moment(east, "at") == datetime(2026, 5, 1, 9, tzinfo=UTC)
    assert parse_moment(None, "at") is None


@pytest.mark.parametrize("raw", ["yesterday", "2026-02-30T10:00:00+00:00", "2026-05-01T10:00:00"])
def test_bad_text_names_the_field_and_the_expectation(raw: str) -> None:
    """No time, an impossible date and a naive time are refused with the caller's wording."""
    with pytest.raises(InvalidInput) as caught:
        parse_moment(raw, "received_at")
    assert str(caught.value) == f"'received_at' must be {MOMENT} (got {raw!r} (str))"
    with pytest.raises(InvalidInput, match="'from' must be an ISO 8601 time"):
        parse_moment(raw, "from", "an ISO 8601 time with its UTC offset")
