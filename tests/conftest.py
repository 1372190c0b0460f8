"""Fixtures shared by the whole suite: settings, stores on both backends, an exchange, callers.

PostgreSQL: tests marked `postgres` use CTX_TEST_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test) and get a schema of their own, dropped afterwards. When the
server cannot be reached the PostgreSQL half is skipped on a developer's machine, and fails when CI=true:
CI never passes without it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange, build_exchange
from ctexchange.settings import Settings
from ctexchange.store import open_store
from ctexchange.store.base import SqlStore

PG_URL = os.environ.get("CTX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_KEY_COST = 4  # scrypt N = 16: keys stay slow-hashed in form, fast in tests


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def require_postgres() -> None:
    """Skip (developer machine) or fail (CI=true) when PostgreSQL is unreachable."""
    problem = _pg_reachable()
    if problem is None:
        return
    message = f"PostgreSQL at {PG_URL} is unreachable ({problem})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; CI must run the PostgreSQL half of the suite")
    pytest.skip(message)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    require_postgres()
    schema = f"ctx_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def sqlite_url(home: Path) -> str:
    """The URL of the SQLite store in `home`."""
    return f"sqlite:///{home / 'ctx.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """A migrated, empty store on each backend."""
    opened = open_store(store_url)
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a SQLite exchange in a temporary data directory."""
    return Settings(home=str(tmp_path), key_hash_cost=TEST_KEY_COST)


def initialised(settings: Settings, store: SqlStore) -> Exchange:
    """An exchange over `store` with its operator organization and admin created."""
    exchange = build_exchange(settings, store)
    exchange.members.bootstrap(exchange_boot_caller(), "coalition", "admin")
    return exchange


def exchange_boot_caller() -> Caller:
    """The caller that runs `bootstrap` (it only names the actor in the first audit events)."""
    from uuid import uuid4

    from ctexchange.domain.members import Principal
    from ctexchange.domain.roles import Role

    return Caller(Principal(uuid4(), Role.ADMIN, None, "cli:test"), "boot")


@pytest.fixture
def exchange(settings: Settings) -> Iterator[Exchange]:
    """An initialised exchange on SQLite (operator org `coalition`, admin `admin`)."""
    opened = open_store(settings.store_url)
    opened.migrate()
    ex = initialised(settings, opened)
    yield ex
    ex.close()


@pytest.fixture
def any_exchange(store: SqlStore, tmp_path: Path) -> Exchange:
    """An initialised exchange on each backend."""
    return initialised(Settings(home=str(tmp_path), key_hash_cost=TEST_KEY_COST), store)


@pytest.fixture
def operator(exchange: Exchange) -> Caller:
    """The local operator of `exchange`."""
    return exchange.operator("test")
