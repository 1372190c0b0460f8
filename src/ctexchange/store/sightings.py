"""Sightings in SQL: appended in bulk by lookups, read by the signal's owner, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from ctexchange.domain.sightings import Sighting
from ctexchange.store.codec import parse_ts, ts, uid
from ctexchange.store.db import Db, Row


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
