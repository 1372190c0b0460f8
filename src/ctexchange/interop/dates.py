"""Dates as the lists write them ("11 Apr. 1963", "Nov. 1973", "Sept"), turned into partial ISO dates.

`EntityRecord` keeps dates of birth as `YYYY`, `YYYY-MM` or `YYYY-MM-DD` with their precision; the lists
write English month names, abbreviated with or without a dot. Validity (a day that exists in its month)
is checked by `ctexchange.domain.entities.check_partial_date`, which names the field.
"""

from __future__ import annotations

from ctexchange.domain.entities import check_partial_date

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MIN_MONTH_CHARS = 3  # "Jan", "Sept."; two letters would make "Ma" ambiguous


def month_number(word: str) -> int | None:
    """Return 1-12 for an English month name or its abbreviation ("Sep.", "Sept", "September"), else None."""
    folded = word.strip().rstrip(".").casefold()
    if len(folded) < MIN_MONTH_CHARS:
        return None
    for number, name in enumerate(MONTHS, start=1):
        if name.startswith(folded):
            return number
    return None


def partial_date(year: str, month: int | None = None, day: str | None = None, *, field_name: str) -> str:
    """Return `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; raise InvalidInput naming the field if it cannot exist."""
    text = year
    if month is not None:
        text += f"-{month:02d}"
        if day is not None:
            text += f"-{int(day):02d}"
    return check_partial_date(text, field_name)
