"""Storage: the `Store` protocol and its SQLite and PostgreSQL implementations.

`open_store(url)` picks the backend from the URL: `sqlite:///path/to/file` or `postgresql://...`.
"""

from __future__ import annotations

from pathlib import Path

from ctexchange.errors import InvalidInput
from ctexchange.store.base import SqlStore


def open_store(url: str) -> SqlStore:
    """Return the store for a database URL; raise InvalidInput for an unknown scheme."""
    if url.startswith("sqlite:///"):
        from ctexchange.store.sqlite import SqliteStore

        return SqliteStore(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("postgresql://", "postgres://")):
        from ctexchange.store.postgres import PostgresStore

        return PostgresStore(url)
    raise InvalidInput.expected("database_url", "a sqlite:///PATH or postgresql:// URL", url.split(":")[0])
