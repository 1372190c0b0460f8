"""The embedded store: one SQLite file under the data directory.

WAL mode lets readers run beside the one writer. Writes from this process are serialised by a lock and
each takes `BEGIN IMMEDIATE`, so a write never fails half-way on "database is locked"; other processes
(a CLI command beside the server) wait on the busy timeout. `synchronous=FULL` because the audit log is a
record of decisions: a committed event survives a power cut, not only a killed process.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ctexchange.store.base import SqlStore
from ctexchange.store.db import Db, Dialect

BUSY_TIMEOUT_S = 30.0


def _is_unique_violation(exc: Exception) -> bool:
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


SQLITE = Dialect(
    name="sqlite",
    translate=lambda sql: sql,
    is_unique_violation=_is_unique_violation,
    lock_audit_sql=None,
    types={"BOOL": "INTEGER", "BIGINT": "INTEGER", "SERIAL_PK": "INTEGER PRIMARY KEY AUTOINCREMENT"},
)


class SqliteStore(SqlStore):
    """A Store in one SQLite file, one connection per thread."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Db]:
        conn = self._connection()
        if conn.in_transaction:
            raise RuntimeError("nested store transactions are not supported")
        cursor = conn.cursor()
        cursor.execute(begin)
        try:
            yield Db(cursor, SQLITE)
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cursor.close()

    @contextmanager
    def _write(self) -> Iterator[Db]:
        with self._write_lock, self._transaction("BEGIN IMMEDIATE") as db:
            yield db

    @contextmanager
    def _read(self) -> Iterator[Db]:
        with self._transaction("BEGIN") as db:
            yield db

    def _is_missing_table(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc)

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
