"""The aggregates of a transparency report, in SQL: one organization, one period `[start, end)`.

Decisions:
- **Events, not cohorts.** Each figure counts what happened in the period: cases opened, decisions
  taken, removal orders received, requests sent, answers and refusals given. A case opened in March and
  confirmed in April counts as matched in March and actioned in April.
- **Labels come from the hit signals.** A case counts once per label of the signals it hit (a case
  hitting two signals labelled `propaganda` counts once for `propaganda`); namespaced labels (`un:QDe.115`)
  are how a content signal names the designated entity it belongs to.
- **Times are compared as text**: the stored fixed-width ISO 8601 UTC text sorts as time does, on SQLite
  and PostgreSQL alike, so every bound is a plain `>=`/`<` on the column.
- Durations are computed by the service from the two times this store returns, not in SQL (date
  arithmetic differs between the backends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ctexchange.domain.signals import SightingPolicy
from ctexchange.store.codec import parse_ts, parse_ts_or_none, ts, uid
from ctexchange.store.db import Db


@dataclass(frozen=True)
class Timing:
    """When something was due to start and when it ended: an order's receipt and the removal, or a
    request's deadline and its answer (None when there was none yet)."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class OwnerSightings:
    """How many sightings one organization made of an owner's signals held in banks of one policy."""

    org_id: UUID
    policy: SightingPolicy
    count: int


class SqlReports:
    """Read-only aggregates for transparency reports."""

    def __init__(self, db: Db) -> None:
        self.db = db

    @staticmethod
    def _span(org_id: UUID, start: datetime, end: datetime) -> dict[str, object]:
        return {"org": str(org_id), "start": ts(start), "end": ts(end)}

    def _count(self, sql: str, org_id: UUID, start: datetime, end: datetime) -> int:
        return int(self.db.scalar(sql, self._span(org_id, start, end)) or 0)

    def cases_opened(self, org_id: UUID, start: datetime, end: datetime) -> int:
        """Return how many review cases the organization opened in the period."""
        return self._count(
            "SELECT COUNT(*) AS n FROM cases"
            " WHERE org_id = :org AND opened_at >= :start AND opened_at < :end",
            org_id,
            start,
            end,
        )

    def lookups_with_hits(self, org_id: UUID, start: datetime, end: datetime) -> int:
        """Return how many of the organization's lookups (requests) hit at least one signal in the period."""
        return self._count(
            "SELECT COUNT(DISTINCT request_id) AS n FROM sightings"
            " WHERE org_id = :org AND at >= :start AND at < :end",
            org_id,
            start,
            end,
        )

    def matched_by_label(self, org_id: UUID, start: datetime, end: datetime) -> dict[str, int]:
        """Return, per label of the hit signals, how many cases the organization opened in the period."""
        rows = self.db.rows(
            "SELECT l.label, COUNT(DISTINCT c.id) AS n FROM cases c"
            " JOIN case_hits h ON h.case_id = c.id JOIN signal_labels l ON l.signal_id = h.signal_id"
            " WHERE c.org_id = :org AND c.opened_at >= :start AND c.opened_at < :end"
            " GROUP BY l.label ORDER BY l.label",
            self._span(org_id, start, end),
        )
        return {r["label"]: int(r["n"]) for r in rows}

    def actioned_by_label(self, org_id: UUID, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
        """Return, per (action, label), how many of the organization's cases were confirmed in the period."""
        rows = self.db.rows(
            "SELECT d.action, l.label, COUNT(DISTINCT c.id) AS n FROM case_decisions d"
            " JOIN cases c ON c.id = d.case_id JOIN case_hits h ON h.case_id = c.id"
            " JOIN signal_labels l ON l.signal_id = h.signal_id"
            " WHERE c.org_id = :org AND d.move = 'confirm' AND d.at >= :start AND d.at < :end"
            " GROUP BY d.action, l.label ORDER BY d.action, l.label",
            self._span(org_id, start, end),
        )
        return {(r["action"], r["label"]): int(r["n"]) for r in rows}

    def decisions(self, org_id: UUID, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
        """Return, per (move, action or ''), how many decisions were taken on the organization's cases."""
        rows = self.db.rows(
            "SELECT d.move, COALESCE(d.action, '') AS action, COUNT(*) AS n FROM case_decisions d"
            " JOIN cases c ON c.id = d.case_id"
            " WHERE c.org_id = :org AND d.at >= :start AND d.at < :end"
            " GROUP BY d.move, COALESCE(d.action, '') ORDER BY d.move",
            self._span(org_id, start, end),
        )
        return {(r["move"], r["action"]): int(r["n"]) for r in rows}

    def removal_orders(self, org_id: UUID, start: datetime, end: datetime) -> list[Timing]:
        """Return the receipt and removal times of the removal orders the organization received."""
        rows = self.db.rows(
            "SELECT removal_order_received_at, removed_at FROM cases WHERE org_id = :org"
            " AND removal_order_received_at >= :start AND removal_order_received_at < :end"
            " ORDER BY removal_order_received_at, id",
            self._span(org_id, start, end),
        )
        return [
            Timing(parse_ts(r["removal_order_received_at"]), parse_ts_or_none(r["removed_at"])) for r in rows
        ]

    def requests_sent(self, org_id: UUID, start: datetime, end: datetime) -> int:
        """Return how many requests for assistance the organization sent in the period."""
        return self._count(
            "SELECT COUNT(*) AS n FROM requests"
            " WHERE requesting_org_id = :org AND sent_at >= :start AND sent_at < :end",
            org_id,
            start,
            end,
        )

    def requests_received(self, org_id: UUID, start: datetime, end: datetime) -> int:
        """Return how many requests for assistance were sent to the organization in the period."""
        return self._count(
            "SELECT COUNT(*) AS n FROM requests"
            " WHERE requested_org_id = :org AND sent_at >= :start AND sent_at < :end",
            org_id,
            start,
            end,
        )

    def replies(self, org_id: UUID, move: str, start: datetime, end: datetime) -> list[Timing]:
        """Return (deadline, time) of each `move` (`answer` or `decline`) the organization made as the
        requested side in the period."""
        rows = self.db.rows(
            "SELECT r.deadline, m.at FROM request_moves m JOIN requests r ON r.id = m.request_id"
            " WHERE r.requested_org_id = :org AND m.move = :move AND m.at >= :start AND m.at < :end"
            " ORDER BY m.at, r.id",
            {**self._span(org_id, start, end), "move": move},
        )
        return [Timing(parse_ts_or_none(r["deadline"]), parse_ts(r["at"])) for r in rows]

    def sightings_of_owner(self, owner_id: UUID, start: datetime, end: datetime) -> list[OwnerSightings]:
        """Return how many sightings each organization made of the owner's signals in the period, per
        sighting policy of the signals' banks."""
        rows = self.db.rows(
            "SELECT x.org_id, c.sighting_policy, COUNT(*) AS n FROM sightings x"
            " JOIN signals s ON s.id = x.signal_id JOIN collections c ON c.id = s.collection_id"
            " WHERE x.signal_org_id = :org AND x.at >= :start AND x.at < :end"
            " GROUP BY x.org_id, c.sighting_policy ORDER BY x.org_id, c.sighting_policy",
            self._span(owner_id, start, end),
        )
        return [
            OwnerSightings(uid(r["org_id"]), SightingPolicy(r["sighting_policy"]), int(r["n"])) for r in rows
        ]
