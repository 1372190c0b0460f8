"""A thin layer over a DB-API connection that both backends share.

SQL is written once, in the `:name` parameter style that SQLite speaks, and translated for psycopg
(`%(name)s`). Only fixed SQL fragments are ever concatenated; every value is a bound parameter. A unique-key
violation becomes `Conflict` with a message the caller chose, so no backend error text (which may quote
values) reaches a user.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ctexchange.errors import Conflict

Row = Mapping[str, Any]
Params = Mapping[str, Any]

_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


def to_pyformat(sql: str) -> str:
    """Translate `:name` parameters to psycopg's `%(name)s`, escaping literal percent signs."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


class Cursor(Protocol):
    """The part of a DB-API cursor used here."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: Any, params: Any, /) -> Any: ...
    def fetchall(self) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Dialect:
    """What differs between the backends, and nothing else."""

    name: str
    translate: Callable[[str], str]
    is_unique_violation: Callable[[Exception], bool]
    lock_audit_sql: str | None
    types: Mapping[str, str]


class Db:
    """Runs SQL on one cursor inside one transaction and returns rows as mappings."""

    def __init__(self, cursor: Cursor, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def run(self, sql: str, params: Params | None = None, *, conflict: str | None = None) -> None:
        """Execute one statement; a unique violation raises Conflict(`conflict`) when given."""
        try:
            self.cursor.execute(self.dialect.translate(sql), params or {})
        except Exception as exc:
            if conflict is not None and self.dialect.is_unique_violation(exc):
                raise Conflict(conflict) from None
            raise

    def run_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Execute one statement for each parameter set."""
        batch = list(rows)
        if batch:
            self.cursor.executemany(self.dialect.translate(sql), batch)

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        """Execute a query and return every row."""
        self.cursor.execute(self.dialect.translate(sql), params or {})
        return [_as_mapping(self.cursor, row) for row in self.cursor.fetchall()]

    def row(self, sql: str, params: Params | None = None) -> Row | None:
        """Execute a query and return its first row, or None."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Params | None = None) -> Any:
        """Execute a query and return the first column of its first row, or None."""
        found = self.row(sql, params)
        return None if found is None else next(iter(found.values()))


def _as_mapping(cursor: Cursor, row: Any) -> Row:
    """Return `row` as a mapping of column name to value, whatever the driver's row type."""
    if isinstance(row, Mapping):
        return row
    names = [column[0] for column in getattr(cursor, "description", None) or ()]
    return dict(zip(names, row, strict=True))
