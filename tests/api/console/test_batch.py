"""Reading the CSV of a batch screening: every row checked before anything is screened."""

from __future__ import annotations

import pytest

from ctexchange.api.console.batch import MAX_ROWS, parse_csv
from ctexchange.errors import InvalidInput, PayloadTooLarge


def test_rows_become_queries_or_errors() -> None:
    """Good rows become queries (ids kept, defaults filled); a bad row keeps its error and field."""
    data = (
        "\ufeffID,Name,Birth_Date,Nationality,Schema\n"
        "A1,Иван Петров,1970,RU,Person\n"
        ",Acme Ltd,,,Organization\n"
        "A3,Bad,1970-13-40,,\n"
    )
    rows = parse_csv(data.encode("utf-8"))
    assert [r.id for r in rows] == ["A1", "2", "A3"]
    first, second, third = rows
    assert first.query is not None and first.query.names == ("Иван Петров",)
    assert first.query.nationalities == ("RU",)
    assert second.query is not None and second.query.schema.value == "Organization"
    assert third.query is None and third.error is not None
    assert third.error.field == "row[3].birthDate[0]"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xfe\x00n", "UTF-8"),
        (b"id,surname\n1,x\n", "'name' column"),
        (b"name\n", "at least one row"),
    ],
)
def test_unusable_files_are_refused(data: bytes, expected: str) -> None:
    """A file that is not UTF-8, has no name column or no rows is refused naming the file."""
    with pytest.raises(InvalidInput) as caught:
        parse_csv(data)
    assert caught.value.field == "file" and expected in caught.value.message


def test_too_many_rows_are_refused() -> None:
    """More than MAX_ROWS rows is too large, before anything is screened."""
    data = "name\n" + "x\n" * (MAX_ROWS + 1)
    with pytest.raises(PayloadTooLarge):
        parse_csv(data.encode())
