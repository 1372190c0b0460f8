"""What the TAXII 2.1 server needs from SQL: status resources, and a collection's signals by date added.

Decisions:
- A TAXII collection is read in the order of TAXII's `date_added`, which for a signal is the time of its
  last change (`updated_at`: added, status changed, value replaced), then by id; `signals` returns one
  page from a position, inclusive, because a page can end inside one signal's objects (its versions).
  Only markings the caller names are read (the TAXII server never serves AMBER+STRICT or RED), filtered
  in SQL together with the access rule, so a page never fetches what it may not return.
- A status resource belongs to the organization that posted: only it reads the status back. Imports
  run synchronously, so a status is written once, `complete`, in the same transaction as the import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ctexchange.domain.access import Audience
from ctexchange.domain.choices import Choice
from ctexchange.domain.markings import Marking
from ctexchange.domain.signals import Family, Signal
from ctexchange.store.codec import from_json, parse_ts, to_json, ts, uid
from ctexchange.store.db import Db, Row
from ctexchange.store.signals import SqlSignals
from ctexchange.store.visibility import visible_condition


class TaxiiState(Choice):
    """The state of a TAXII status resource (imports here are synchronous: always complete)."""

    PENDING = "pending"
    COMPLETE = "complete"


@dataclass(frozen=True)
class StatusDetail:
    """What happened to one object of a TAXII POST: its id, version and a message."""

    stix_id: str
    version: str
    message: str


@dataclass(frozen=True)
class TaxiiStatus:
    """The outcome of one TAXII POST, kept for its organization to poll."""

    id: UUID
    collection_id: UUID
    org_id: UUID
    actor: str
    state: TaxiiState
    request_timestamp: datetime
    successes: tuple[StatusDetail, ...]
    failures: tuple[StatusDetail, ...]
    pendings: tuple[StatusDetail, ...] = ()

    @property
    def total_count(self) -> int:
        """How many objects the POST held."""
        return len(self.successes) + len(self.failures) + len(self.pendings)


@dataclass(frozen=True)
class TaxiiQuery:
    """Which signals of one collection a TAXII read covers, before access rules."""

    collection_id: UUID
    markings: frozenset[Marking]
    families: frozenset[Family] | None = None
    signal_ids: frozenset[UUID] | None = None
    added_after: datetime | None = None


def _details(text: str) -> tuple[StatusDetail, ...]:
    return tuple(StatusDetail(d["id"], d["version"], d["message"]) for d in from_json(text))


def _json_details(details: Sequence[StatusDetail]) -> str:
    return to_json([{"id": d.stix_id, "version": d.version, "message": d.message} for d in details])


def _status(row: Row) -> TaxiiStatus:
    return TaxiiStatus(
        id=uid(row["id"]),
        collection_id=uid(row["collection_id"]),
        org_id=uid(row["org_id"]),
        actor=row["actor"],
        state=TaxiiState(row["status"]),
        request_timestamp=parse_ts(row["request_timestamp"]),
        successes=_details(row["successes"]),
        failures=_details(row["failures"]),
        pendings=_details(row["pendings"]),
    )


class SqlTaxii:
    """TAXII status resources and the date-added order of a collection's signals, in SQL."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add_status(self, status: TaxiiStatus) -> None:
        """Keep the status resource of a POST."""
        self.db.run(
            "INSERT INTO taxii_statuses (id, collection_id, org_id, actor, status, request_timestamp,"
            " successes, failures, pendings) VALUES (:id, :coll, :org, :actor, :status, :at, :ok, :bad,"
            " :pending)",
            {
                "id": str(status.id),
                "coll": str(status.collection_id),
                "org": str(status.org_id),
                "actor": status.actor,
                "status": status.state.value,
                "at": ts(status.request_timestamp),
                "ok": _json_details(status.successes),
                "bad": _json_details(status.failures),
                "pending": _json_details(status.pendings),
            },
        )

    def status(self, status_id: UUID) -> TaxiiStatus | None:
        """Return the status resource with this id, or None (who may read it is the service's to decide)."""
        row = self.db.row("SELECT * FROM taxii_statuses WHERE id = :id", {"id": str(status_id)})
        return None if row is None else _status(row)

    def signals(
        self, query: TaxiiQuery, audience: Audience | None, start: tuple[datetime, UUID] | None, limit: int
    ) -> list[Signal]:
        """Return up to `limit` signals of the query that `audience` may see, by (updated_at, id),
        starting at `start` inclusive."""
        fragments, params = self._filters(query)
        where, vis_params = visible_condition("s", audience, has_recipients=True)
        fragments.append(where)
        if start is not None:
            fragments.append("(s.updated_at > :p_at OR (s.updated_at = :p_at AND s.id >= :p_id))")
            params.update({"p_at": ts(start[0]), "p_id": str(start[1])})
        where = " AND ".join(fragments)
        sql = f"SELECT s.id FROM signals s WHERE {where} ORDER BY s.updated_at, s.id LIMIT :n"
        rows = self.db.rows(sql, {**params, **vis_params, "n": limit})
        ids = [uid(r["id"]) for r in rows]
        found = SqlSignals(self.db).get_many(ids)
        return [found[i] for i in ids if i in found]

    @staticmethod
    def _filters(query: TaxiiQuery) -> tuple[list[str], dict[str, object]]:
        markings = sorted(m.value for m in query.markings)
        params: dict[str, object] = {"f_coll": str(query.collection_id)}
        params.update({f"f_m{i}": m for i, m in enumerate(markings)})
        fragments = ["s.collection_id = :f_coll", f"s.marking IN ({_in_list('f_m', len(markings))})"]
        if query.families is not None:
            families = sorted(f.value for f in query.families)
            params.update({f"f_f{i}": f for i, f in enumerate(families)})
            fragments.append(f"s.family IN ({_in_list('f_f', len(families))})")
        if query.signal_ids is not None:
            ids = sorted(str(i) for i in query.signal_ids)
            params.update({f"f_i{i}": v for i, v in enumerate(ids)})
            fragments.append(f"s.id IN ({_in_list('f_i', len(ids))})")
        if query.added_after is not None:
            fragments.append("s.updated_at > :f_after")
            params["f_after"] = ts(query.added_after)
        return fragments, params


def _in_list(prefix: str, count: int) -> str:
    """Return `:p0, :p1, ...`, or NULL for an empty list (which then matches nothing)."""
    return ", ".join(f":{prefix}{i}" for i in range(count)) or "NULL"
