"""Sightings in SQL: appended in bulk by lookups, read by the signal's owner, newest first.

Counts over time are grouped in SQL by a prefix of the stored time text (`substr(at, 1, 13)` is the
hour, `substr(at, 1, 10)` the day): times are fixed-width ISO 8601 text in UTC on both backends, so the
same query buckets the same way on SQLite and PostgreSQL. Each count carries its collection's sighting
policy; masking anonymised organizations is the service's job, with `first_seen` giving the order that
numbers their pseudonyms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ctexchange.domain.sightings import Sighting
from ctexchange.domain.signals import SightingPolicy
from ctexchange.store.codec import parse_ts, ts, uid
from ctexchange.store.db import Db, Row

_IN_BATCH = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


BUCKET_CHARS = {"hour": 13, "day": 10}
"""How many leading characters of the stored time text name each bucket size."""


@dataclass(frozen=True)
class SightingCount:
    """How many sightings one organization made of one signal in one bucket (`2026-11-29T06` or
    `2026-11-29`), with the sighting policy of the signal's collection."""

    bucket: str
    signal_id: UUID
    org_id: UUID
    policy: SightingPolicy
    count: int


def _sighting(row: Row) -> Sighting:
    return Sighting(
        id=uid(row["id"]),
        signal_id=uid(row["signal_id"]),
        signal_org_id=uid(row["signal_org_id"]),
        org_id=uid(row["org_id"]),
        actor=row["actor"],
        kind=row["kind"],
        match_type=row["match_type"],
        distance=float(row["distance"]),
        is_visible=bool(row["is_visible"]),
        request_id=row["request_id"],
        at=parse_ts(row["at"]),
    )


class SqlSightings:
    """Sightings of signals."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add_many(self, sightings: Sequence[Sighting]) -> None:
        """Append sightings."""
        self.db.run_many(
            "INSERT INTO sightings (id, signal_id, signal_org_id, org_id, actor, kind, match_type, distance,"
            " is_visible, request_id, at) VALUES (:id, :sig, :owner, :org, :actor, :kind, :mt, :d, :vis,"
            " :req, :at)",
            (
                {
                    "id": str(s.id),
                    "sig": str(s.signal_id),
                    "owner": str(s.signal_org_id),
                    "org": str(s.org_id),
                    "actor": s.actor,
                    "kind": s.kind,
                    "mt": s.match_type,
                    "d": s.distance,
                    "vis": s.is_visible,
                    "req": s.request_id,
                    "at": ts(s.at),
                }
                for s in sightings
            ),
        )

    def of_owner(
        self, owner_id: UUID, signal_id: UUID | None, since: datetime | None, limit: int
    ) -> list[Sighting]:
        """Return the newest sightings of an organization's signals (optionally of one signal)."""
        where = ["signal_org_id = :owner"]
        params: dict[str, object] = {"owner": str(owner_id), "limit": limit}
        if signal_id is not None:
            where.append("signal_id = :sig")
            params["sig"] = str(signal_id)
        if since is not None:
            where.append("at >= :since")
            params["since"] = ts(since)
        rows = self.db.rows(
            f"SELECT * FROM sightings WHERE {' AND '.join(where)} ORDER BY at DESC, id LIMIT :limit", params
        )
        return [_sighting(r) for r in rows]

    def count_for(self, org_id: UUID, signal_id: UUID, since: datetime) -> int:
        """Return how many sightings organization `org_id` made of a signal at or after `since`."""
        return int(
            self.db.scalar(
                "SELECT COUNT(*) AS n FROM sightings"
                " WHERE org_id = :org AND signal_id = :sig AND at >= :since",
                {"org": str(org_id), "sig": str(signal_id), "since": ts(since)},
            )
        )

    def counts(
        self, owner_id: UUID, signal_id: UUID | None, start: datetime, end: datetime, bucket: str
    ) -> list[SightingCount]:
        """Return the sightings of an organization's signals in [start, end) counted per bucket (`hour` or
        `day`), signal and matching organization, oldest bucket first."""
        chars = BUCKET_CHARS[bucket]
        where = ["x.signal_org_id = :owner", "x.at >= :start", "x.at < :end"]
        params: dict[str, object] = {"owner": str(owner_id), "start": ts(start), "end": ts(end)}
        if signal_id is not None:
            where.append("x.signal_id = :sig")
            params["sig"] = str(signal_id)
        bucket_sql = f"substr(x.at, 1, {chars})"
        rows = self.db.rows(
            f"SELECT {bucket_sql} AS bucket, x.signal_id, x.org_id, c.sighting_policy, COUNT(*) AS n"
            " FROM sightings x JOIN signals s ON s.id = x.signal_id"
            " JOIN collections c ON c.id = s.collection_id"
            f" WHERE {' AND '.join(where)} GROUP BY {bucket_sql}, x.signal_id, x.org_id, c.sighting_policy"
            " ORDER BY bucket, x.signal_id, x.org_id",
            params,
        )
        return [
            SightingCount(
                r["bucket"],
                uid(r["signal_id"]),
                uid(r["org_id"]),
                SightingPolicy(r["sighting_policy"]),
                int(r["n"]),
            )
            for r in rows
        ]

    def first_seen(self, signal_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        """Return, per signal, the organizations that ever matched it in order of their first sighting."""
        found: dict[UUID, list[UUID]] = {}
        unique = sorted({str(i) for i in signal_ids})
        for start in range(0, len(unique), _IN_BATCH):
            chunk = {f"i{n}": v for n, v in enumerate(unique[start : start + _IN_BATCH])}
            in_list = ", ".join(f":{name}" for name in chunk)
            rows = self.db.rows(
                "SELECT signal_id, org_id, MIN(at) AS first FROM sightings"
                f" WHERE signal_id IN ({in_list}) GROUP BY signal_id, org_id"
                " ORDER BY signal_id, first, org_id",
                chunk,
            )
            for r in rows:
                found.setdefault(uid(r["signal_id"]), []).append(uid(r["org_id"]))
        return found
