"""What federation needs from SQL: remotes, checkpoints, and the local records of what was pulled.

Decisions:
- A remote keeps the name of the environment variable that holds its key, never the key.
- A checkpoint row is keyed by (remote, direction, scope): `pull` with the remote collection's id, or
  `push` with `<local collection id>><remote collection id>`. `put_checkpoint` is an upsert, written by
  the service in the same transaction as the objects the checkpoint covers.
- `remote_orgs` marks which local organizations are records of remote ones (with the STIX identity
  and the remote they came through), `remote_collections` which local collection holds what one remote
  collection gave for one owner, `remote_objects` which signal each pulled STIX id became: how
  revocations find their signal and how a pull counts what it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from ctexchange.domain.choices import Choice
from ctexchange.store.codec import parse_ts, parse_ts_or_none, ts, ts_or_none, uid, uid_or_none
from ctexchange.store.db import Db, Row


class Direction(Choice):
    """Which way a checkpoint goes."""

    PULL = "pull"
    PUSH = "push"


@dataclass(frozen=True)
class Remote:
    """Another instance's TAXII 2.1 API root, and who pulls and pushes here with it."""

    id: UUID
    name: str
    url: str
    key_env: str
    org_id: UUID
    group_id: UUID
    created_at: datetime


@dataclass(frozen=True)
class Checkpoint:
    """How far a pull of a remote collection (or a push of a local one) has gone.

    Pull: `added_after` is where the next run starts (the last date added seen, as the remote wrote it);
    during a run, `run_after` is the `added_after` the run asks with, `next_page` the remote's `next` of
    the page to fetch and `run_last` the latest date added seen so far. Push: `position_at` and
    `position_id` name the last local signal the remote accepted, in (updated_at, id) order.
    """

    remote_id: UUID
    direction: Direction
    scope: str
    updated_at: datetime
    added_after: str | None = None
    run_after: str | None = None
    next_page: str | None = None
    run_last: str | None = None
    position_at: datetime | None = None
    position_id: UUID | None = None

    @property
    def is_running(self) -> bool:
        """True when a pull was interrupted half-way (it resumes from `run_after` and `next_page`)."""
        return self.next_page is not None or self.run_after is not None


class RemoteRepo(Protocol):
    """Remotes, their checkpoints and the local records of pulled organizations, collections, objects."""

    def add(self, remote: Remote) -> None: ...
    def by_name(self, name: str) -> Remote | None: ...
    def all(self) -> list[Remote]: ...
    def checkpoint(self, remote_id: UUID, direction: Direction, scope: str) -> Checkpoint | None: ...
    def checkpoints(self, remote_id: UUID) -> list[Checkpoint]: ...
    def put_checkpoint(self, checkpoint: Checkpoint) -> None: ...
    def add_org(self, org_id: UUID, remote_id: UUID, stix_id: str, at: datetime) -> None: ...
    def org_remote(self, org_id: UUID) -> UUID | None: ...
    def collection_for(self, remote_id: UUID, remote_collection: str, org_id: UUID) -> UUID | None: ...
    def add_collection(
        self, remote_id: UUID, remote_collection: str, org_id: UUID, collection_id: UUID
    ) -> None: ...
    def object_signal(self, remote_id: UUID, stix_id: str) -> UUID | None: ...
    def put_object(self, remote_id: UUID, stix_id: str, signal_id: UUID) -> None: ...
    def object_count(self, remote_id: UUID) -> int: ...


def _remote(row: Row) -> Remote:
    return Remote(
        uid(row["id"]),
        row["name"],
        row["url"],
        row["key_env"],
        uid(row["org_id"]),
        uid(row["group_id"]),
        parse_ts(row["created_at"]),
    )


def _checkpoint(row: Row) -> Checkpoint:
    return Checkpoint(
        remote_id=uid(row["remote_id"]),
        direction=Direction(row["direction"]),
        scope=row["scope"],
        updated_at=parse_ts(row["updated_at"]),
        added_after=row["added_after"],
        run_after=row["run_after"],
        next_page=row["next_page"],
        run_last=row["run_last"],
        position_at=parse_ts_or_none(row["position_at"]),
        position_id=uid_or_none(row["position_id"]),
    )


class SqlRemotes:
    """Remotes and federation bookkeeping, in SQL."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, remote: Remote) -> None:
        """Keep a new remote; Conflict when the name is taken."""
        self.db.run(
            "INSERT INTO remotes (id, name, url, key_env, org_id, group_id, created_at)"
            " VALUES (:id, :name, :url, :env, :org, :grp, :at)",
            {
                "id": str(remote.id),
                "name": remote.name,
                "url": remote.url,
                "env": remote.key_env,
                "org": str(remote.org_id),
                "grp": str(remote.group_id),
                "at": ts(remote.created_at),
            },
            conflict=f"a remote named '{remote.name}' exists already",
        )

    def by_name(self, name: str) -> Remote | None:
        """Return the remote with this name, or None."""
        row = self.db.row("SELECT * FROM remotes WHERE name = :n", {"n": name})
        return None if row is None else _remote(row)

    def all(self) -> list[Remote]:
        """Return every remote, by name."""
        return [_remote(r) for r in self.db.rows("SELECT * FROM remotes ORDER BY name")]

    def checkpoint(self, remote_id: UUID, direction: Direction, scope: str) -> Checkpoint | None:
        """Return one checkpoint, or None before the first run."""
        row = self.db.row(
            "SELECT * FROM remote_checkpoints WHERE remote_id = :r AND direction = :d AND scope = :s",
            {"r": str(remote_id), "d": direction.value, "s": scope},
        )
        return None if row is None else _checkpoint(row)

    def checkpoints(self, remote_id: UUID) -> list[Checkpoint]:
        """Return every checkpoint of a remote."""
        rows = self.db.rows(
            "SELECT * FROM remote_checkpoints WHERE remote_id = :r ORDER BY direction, scope",
            {"r": str(remote_id)},
        )
        return [_checkpoint(r) for r in rows]

    def put_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Write a checkpoint (insert or replace)."""
        self.db.run(
            "INSERT INTO remote_checkpoints (remote_id, direction, scope, added_after, run_after,"
            " next_page, run_last, position_at, position_id, updated_at) VALUES (:r, :d, :s, :after,"
            " :run_after, :next, :run_last, :pos_at, :pos_id, :at) ON CONFLICT (remote_id, direction, scope)"
            " DO UPDATE SET added_after = :after, run_after = :run_after, next_page = :next,"
            " run_last = :run_last, position_at = :pos_at, position_id = :pos_id, updated_at = :at",
            {
                "r": str(checkpoint.remote_id),
                "d": checkpoint.direction.value,
                "s": checkpoint.scope,
                "after": checkpoint.added_after,
                "run_after": checkpoint.run_after,
                "next": checkpoint.next_page,
                "run_last": checkpoint.run_last,
                "pos_at": ts_or_none(checkpoint.position_at),
                "pos_id": None if checkpoint.position_id is None else str(checkpoint.position_id),
                "at": ts(checkpoint.updated_at),
            },
        )

    def add_org(self, org_id: UUID, remote_id: UUID, stix_id: str, at: datetime) -> None:
        """Mark a local organization as the record of a remote one."""
        self.db.run(
            "INSERT INTO remote_orgs (org_id, remote_id, stix_id, created_at) VALUES (:o, :r, :s, :at)",
            {"o": str(org_id), "r": str(remote_id), "s": stix_id, "at": ts(at)},
        )

    def org_remote(self, org_id: UUID) -> UUID | None:
        """Return the remote through which a local record of a remote organization came, or None."""
        found = self.db.scalar("SELECT remote_id FROM remote_orgs WHERE org_id = :o", {"o": str(org_id)})
        return None if found is None else uid(found)

    def collection_for(self, remote_id: UUID, remote_collection: str, org_id: UUID) -> UUID | None:
        """Return the local collection holding what a remote collection gave for one owner, or None."""
        found = self.db.scalar(
            "SELECT collection_id FROM remote_collections"
            " WHERE remote_id = :r AND remote_collection = :c AND org_id = :o",
            {"r": str(remote_id), "c": remote_collection, "o": str(org_id)},
        )
        return None if found is None else uid(found)

    def add_collection(
        self, remote_id: UUID, remote_collection: str, org_id: UUID, collection_id: UUID
    ) -> None:
        """Record the local collection of a remote collection and owner."""
        self.db.run(
            "INSERT INTO remote_collections (remote_id, remote_collection, org_id, collection_id)"
            " VALUES (:r, :c, :o, :l)",
            {"r": str(remote_id), "c": remote_collection, "o": str(org_id), "l": str(collection_id)},
        )

    def object_signal(self, remote_id: UUID, stix_id: str) -> UUID | None:
        """Return the signal a pulled STIX id became, or None."""
        found = self.db.scalar(
            "SELECT signal_id FROM remote_objects WHERE remote_id = :r AND stix_id = :s",
            {"r": str(remote_id), "s": stix_id},
        )
        return None if found is None else uid(found)

    def put_object(self, remote_id: UUID, stix_id: str, signal_id: UUID) -> None:
        """Record (or re-point) the signal a pulled STIX id became."""
        self.db.run(
            "INSERT INTO remote_objects (remote_id, stix_id, signal_id) VALUES (:r, :s, :g)"
            " ON CONFLICT (remote_id, stix_id) DO UPDATE SET signal_id = :g",
            {"r": str(remote_id), "s": stix_id, "g": str(signal_id)},
        )

    def object_count(self, remote_id: UUID) -> int:
        """Return how many pulled STIX objects of a remote are held as signals."""
        found = self.db.scalar(
            "SELECT COUNT(*) AS n FROM remote_objects WHERE remote_id = :r", {"r": str(remote_id)}
        )
        return int(found or 0)
