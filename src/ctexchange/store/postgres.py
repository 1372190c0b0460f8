"""The production store: PostgreSQL through psycopg 3 and a connection pool.

Connections run in autocommit mode and every unit of work opens an explicit transaction, so nothing is
left open between requests. Appends to the audit chain take a transaction-scoped advisory lock: the chain
is one sequence even with many API processes writing at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from ctexchange.errors import StoreUnavailable
from ctexchange.store.base import SqlStore
from ctexchange.store.db import Db, Dialect, to_pyformat

AUDIT_LOCK_ID = 0x637478_61756474  # "ctx" "audt"
CONNECT_TIMEOUT_S = 10.0


def _is_unique_violation(exc: Exception) -> bool:
    return isinstance(exc, psycopg.errors.UniqueViolation)


POSTGRES = Dialect(
    name="postgresql",
    translate=to_pyformat,
    is_unique_violation=_is_unique_violation,
    lock_audit_sql=f"SELECT pg_advisory_xact_lock({AUDIT_LOCK_ID})",
    types={
        "BOOL": "BOOLEAN",
        "BIGINT": "BIGINT",
        "SERIAL_PK": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    },
)


def _probe(url: str) -> None:
    """Connect once, so an unreachable server is one clear error instead of a pool's retries.

    libpq's first line says what failed (refused, timed out, authentication) and never holds a password.
    """
    try:
        with psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT_S)):
            pass
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailable(f"cannot connect to PostgreSQL: {reason}", field="database_url") from None


class PostgresStore(SqlStore):
    """A Store in a PostgreSQL database."""

    backend = "postgresql"

    def __init__(self, url: str, *, max_connections: int = 10) -> None:
        _probe(url)
        kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
        self._pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=max_connections, kwargs=kwargs, open=False, timeout=CONNECT_TIMEOUT_S
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # psycopg_pool.PoolTimeout and friends
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {type(exc).__name__}") from None

    @contextmanager
    def _transaction(self, *, read_only: bool) -> Iterator[Db]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            if read_only:
                cursor.execute("SET TRANSACTION READ ONLY, ISOLATION LEVEL REPEATABLE READ")
            yield Db(cursor, POSTGRES)

    @contextmanager
    def _write(self) -> Iterator[Db]:
        with self._transaction(read_only=False) as db:
            yield db

    @contextmanager
    def _read(self) -> Iterator[Db]:
        with self._transaction(read_only=True) as db:
            yield db

    def _is_missing_table(self, exc: Exception) -> bool:
        return isinstance(exc, psycopg.errors.UndefinedTable)

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()
