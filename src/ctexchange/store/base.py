"""What the SQLite and PostgreSQL stores share: units of work over the SQL repositories, and migrations.

Migrations are numbered SQL files in `migrations/`, written once for both backends with a few type
placeholders. Each runs in its own transaction together with its row in `schema_migrations`, so a
migration is either fully applied or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from ctexchange.errors import StoreUnavailable
from ctexchange.store.alerts import SqlAlerts
from ctexchange.store.audit import SqlAudit
from ctexchange.store.cases import SqlCases
from ctexchange.store.codec import ts
from ctexchange.store.db import Db
from ctexchange.store.members import SqlGroups, SqlMembers
from ctexchange.store.remotes import SqlRemotes
from ctexchange.store.reports import SqlReports
from ctexchange.store.requests import SqlRequests
from ctexchange.store.sightings import SqlSightings
from ctexchange.store.signals import SqlCollections, SqlSignals
from ctexchange.store.taxii import SqlTaxii
from ctexchange.store.webhooks import SqlWebhooks

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SqlUnit:
    """One transaction's repositories."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.members = SqlMembers(db)
        self.groups = SqlGroups(db)
        self.collections = SqlCollections(db)
        self.signals = SqlSignals(db)
        self.audit = SqlAudit(db)
        self.sightings = SqlSightings(db)
        self.requests = SqlRequests(db)
        self.alerts = SqlAlerts(db)
        self.taxii = SqlTaxii(db)
        self.cases = SqlCases(db)
        self.reports = SqlReports(db)
        self.webhooks = SqlWebhooks(db)
        self.remotes = SqlRemotes(db)


@dataclass(frozen=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str

    def statements(self, types: dict[str, str]) -> list[str]:
        """Return the migration's statements with the dialect's types filled in."""
        body = "\n".join(line for line in self.sql.splitlines() if not line.lstrip().startswith("--"))
        for placeholder, sql_type in types.items():
            body = body.replace("{" + placeholder + "}", sql_type)
        return [part.strip() for part in body.split(";") if part.strip()]


def bundled_migrations() -> list[Migration]:
    """Return the migrations shipped with the package, in order."""
    found = []
    for entry in resources.files("ctexchange.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


class SqlStore:
    """Base of both stores; subclasses provide `_write()` and `_read()` yielding a Db in a transaction."""

    backend = "sql"

    def _write(self) -> AbstractContextManager[Db]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Db]:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[SqlUnit]:
        """A write transaction over every repository; refuses to run on an unmigrated store."""
        with self._write() as db:
            yield SqlUnit(db)

    @contextmanager
    def snapshot(self) -> Iterator[SqlUnit]:
        """A read-only transaction over every repository."""
        with self._read() as db:
            yield SqlUnit(db)

    def _ensure_table(self) -> None:
        with self._write() as db:
            db.run(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )

    def _applied(self) -> set[int]:
        """Return the applied versions; none when the bookkeeping table does not exist yet (read-only)."""
        try:
            with self._read() as db:
                return {int(r["version"]) for r in db.rows("SELECT version FROM schema_migrations")}
        except Exception as exc:
            if self._is_missing_table(exc):
                return set()
            raise

    def _is_missing_table(self, exc: Exception) -> bool:
        raise NotImplementedError

    def pending_migrations(self) -> Sequence[str]:
        """Return the names of bundled migrations not yet applied (reads only)."""
        applied = self._applied()
        return [f"{m.version:04d}_{m.name}" for m in bundled_migrations() if m.version not in applied]

    def migrate(self) -> Sequence[str]:
        """Apply every pending migration, each in its own transaction; return their names."""
        self._ensure_table()
        done = []
        for migration in bundled_migrations():
            with self._write() as db:
                if db.row(
                    "SELECT 1 AS x FROM schema_migrations WHERE version = :v", {"v": migration.version}
                ):
                    continue
                for statement in migration.statements(dict(db.dialect.types)):
                    db.run(statement)
                db.run(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :at)",
                    {"v": migration.version, "n": migration.name, "at": ts(datetime.now(UTC))},
                )
            done.append(f"{migration.version:04d}_{migration.name}")
        return done

    def check_migrated(self) -> None:
        """Raise StoreUnavailable when migrations are pending (run `ctx init` or `ctx migrate`)."""
        pending = self.pending_migrations()
        if pending:
            raise StoreUnavailable(
                f"the store needs migrations {', '.join(pending)}: run 'ctx init' or 'ctx migrate'"
            )
