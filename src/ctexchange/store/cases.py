"""Review cases in SQL: the case, its hits, its decisions and its evidence.

Decisions:
- The access rule of `ctexchange.domain.cases.may_see_case` is rendered here as a SQL condition
  (`visible_condition`), so lists never fetch a case the caller may not see.
- `lock` begins every write to a case with a no-op UPDATE of its row, as requests do: on PostgreSQL it
  holds the row lock until the transaction ends, so two reviewers deciding at once are serialised and the
  second meets the first one's result.
- Evidence bytes are read only by `evidence_item`; the purge sets them to NULL and keeps the row.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from ctexchange.domain.cases import (
    UNDECIDED,
    Case,
    CaseAction,
    CaseAudience,
    CaseDecision,
    CaseHit,
    CaseMove,
    CaseQuery,
    CaseStatus,
    Evidence,
)
from ctexchange.domain.queries import Page, PageRequest
from ctexchange.store.codec import (
    from_json,
    parse_ts,
    parse_ts_or_none,
    str_or_none,
    to_json,
    ts,
    ts_or_none,
    uid,
    uid_or_none,
)
from ctexchange.store.db import Db, Params, Row

_UNDECIDED = {f"u{n}": status.value for n, status in enumerate(sorted(UNDECIDED))}
_UNDECIDED_IN = ", ".join(f":{name}" for name in _UNDECIDED)
_EVIDENCE_COLUMNS = (
    "id, case_id, org_id, actor, media_type, size_bytes, sha256, reference, created_at, keep_until,"
    " purged_at, content IS NOT NULL AS has_content"
)


def visible_condition(alias: str, audience: CaseAudience) -> tuple[str, Params]:
    """Return a WHERE fragment and its parameters limiting cases of `alias` to `audience`."""
    if audience.is_oversight:
        return "1 = 1", {}
    return f"{alias}.org_id = :v_org", {"v_org": str(audience.org_id)}


def _case(row: Row) -> Case:
    return Case(
        id=uid(row["id"]),
        org_id=uid(row["org_id"]),
        item_id=row["item_id"],
        status=CaseStatus(row["status"]),
        opened_by=row["opened_by"],
        opened_at=parse_ts(row["opened_at"]),
        updated_at=parse_ts(row["updated_at"]),
        is_quarantined=bool(row["is_quarantined"]),
        quarantine_signal_id=uid_or_none(row["quarantine_signal_id"]),
        action=None if row["action"] is None else CaseAction(row["action"]),
        removal_order_received_at=parse_ts_or_none(row["removal_order_received_at"]),
        removed_at=parse_ts_or_none(row["removed_at"]),
        complaint_deadline=parse_ts_or_none(row["complaint_deadline"]),
    )


def _hit(row: Row) -> CaseHit:
    return CaseHit(
        case_id=uid(row["case_id"]),
        seq=int(row["seq"]),
        item_id=row["item_id"],
        signal_id=uid(row["signal_id"]),
        collection_id=uid(row["collection_id"]),
        kind=row["kind"],
        match_type=row["match_type"],
        distance=float(row["distance"]),
        measure=from_json(row["measure"]),
        hashes=from_json(row["hashes"]),
        at=parse_ts(row["at"]),
    )


def _decision(row: Row) -> CaseDecision:
    return CaseDecision(
        case_id=uid(row["case_id"]),
        seq=int(row["seq"]),
        move=CaseMove(row["move"]),
        from_status=CaseStatus(row["from_status"]),
        to_status=CaseStatus(row["to_status"]),
        action=None if row["action"] is None else CaseAction(row["action"]),
        reason=row["reason"],
        org_id=uid(row["org_id"]),
        actor=row["actor"],
        at=parse_ts(row["at"]),
    )


def _evidence(row: Row) -> Evidence:
    return Evidence(
        id=uid(row["id"]),
        case_id=uid(row["case_id"]),
        org_id=uid(row["org_id"]),
        actor=row["actor"],
        media_type=row["media_type"],
        size_bytes=int(row["size_bytes"]),
        sha256=row["sha256"],
        reference=row["reference"],
        has_content=bool(row["has_content"]),
        created_at=parse_ts(row["created_at"]),
        keep_until=parse_ts(row["keep_until"]),
        purged_at=parse_ts_or_none(row["purged_at"]),
    )


class SqlCases:
    """Review cases, their hits, decisions and evidence."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, case: Case) -> None:
        """Insert a case (without hits)."""
        self.db.run(
            "INSERT INTO cases (id, org_id, item_id, status, is_quarantined, quarantine_signal_id, action,"
            " removal_order_received_at, removed_at, complaint_deadline, opened_by, opened_at, updated_at)"
            " VALUES (:id, :org, :item, :status, :quarantined, :qsig, :action, :order, :removed,"
            " :deadline, :by, :opened, :updated)",
            {
                "id": str(case.id),
                "org": str(case.org_id),
                "item": case.item_id,
                "status": case.status.value,
                "quarantined": case.is_quarantined,
                "qsig": str_or_none(case.quarantine_signal_id),
                "action": None if case.action is None else case.action.value,
                "order": ts_or_none(case.removal_order_received_at),
                "removed": ts_or_none(case.removed_at),
                "deadline": ts_or_none(case.complaint_deadline),
                "by": case.opened_by,
                "opened": ts(case.opened_at),
                "updated": ts(case.updated_at),
            },
        )

    def save(self, case: Case) -> None:
        """Write the changeable state of a case: status, action, removal order and times, deadline."""
        self.db.run(
            "UPDATE cases SET status = :status, action = :action, removal_order_received_at = :order,"
            " removed_at = :removed, complaint_deadline = :deadline, updated_at = :updated WHERE id = :id",
            {
                "id": str(case.id),
                "status": case.status.value,
                "action": None if case.action is None else case.action.value,
                "order": ts_or_none(case.removal_order_received_at),
                "removed": ts_or_none(case.removed_at),
                "deadline": ts_or_none(case.complaint_deadline),
                "updated": ts(case.updated_at),
            },
        )

    def get(self, case_id: UUID) -> Case | None:
        """Return the case with this id, or None (access is the service's to decide)."""
        row = self.db.row("SELECT * FROM cases WHERE id = :id", {"id": str(case_id)})
        return None if row is None else _case(row)

    def lock(self, case_id: UUID) -> Case | None:
        """Lock the case's row for the rest of the transaction and return it, or None."""
        self.db.run("UPDATE cases SET updated_at = updated_at WHERE id = :id", {"id": str(case_id)})
        return self.get(case_id)

    def undecided_for_item(self, org_id: UUID, item_id: str) -> Case | None:
        """Return the organization's undecided, not quarantined case of an item, or None."""
        row = self.db.row(
            "SELECT * FROM cases WHERE org_id = :org AND item_id = :item AND is_quarantined = :no"
            f" AND status IN ({_UNDECIDED_IN}) ORDER BY opened_at, id LIMIT 1",
            {"org": str(org_id), "item": item_id, "no": False, **_UNDECIDED},
        )
        return None if row is None else _case(row)

    def undecided_quarantine(self, org_id: UUID, signal_id: UUID) -> Case | None:
        """Return the organization's undecided quarantined case of a signal, or None."""
        row = self.db.row(
            "SELECT * FROM cases WHERE org_id = :org AND quarantine_signal_id = :sig"
            f" AND status IN ({_UNDECIDED_IN}) ORDER BY opened_at, id LIMIT 1",
            {"org": str(org_id), "sig": str(signal_id), **_UNDECIDED},
        )
        return None if row is None else _case(row)

    def add_hits(self, hits: list[CaseHit]) -> list[CaseHit]:
        """Append hits to their case, numbered after its last one; return them as stored."""
        stored = []
        for hit in hits:
            seq = int(
                self.db.scalar(
                    "SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM case_hits WHERE case_id = :c",
                    {"c": str(hit.case_id)},
                )
            )
            self.db.run(
                "INSERT INTO case_hits (case_id, seq, item_id, signal_id, collection_id, kind, match_type,"
                " distance, measure, hashes, at) VALUES (:c, :seq, :item, :sig, :col, :kind, :mt, :d, :m,"
                " :h, :at)",
                {
                    "c": str(hit.case_id),
                    "seq": seq,
                    "item": hit.item_id,
                    "sig": str_or_none(hit.signal_id),
                    "col": str(hit.collection_id),
                    "kind": hit.kind,
                    "mt": hit.match_type,
                    "d": hit.distance,
                    "m": to_json(hit.measure),
                    "h": to_json(hit.hashes),
                    "at": ts(hit.at),
                },
            )
            stored.append(replace(hit, seq=seq))
        return stored

    def hits(self, case_id: UUID) -> list[CaseHit]:
        """Return the hits of a case, in order."""
        rows = self.db.rows("SELECT * FROM case_hits WHERE case_id = :c ORDER BY seq", {"c": str(case_id)})
        return [_hit(r) for r in rows]

    def find(self, query: CaseQuery, audience: CaseAudience, page: PageRequest) -> Page[Case]:
        """Return one page of the cases matching `query` that `audience` may see, oldest first."""
        where, params = visible_condition("c", audience)
        fragments = [where]
        filters: dict[str, object] = {}
        if query.status is not None:
            fragments.append("c.status = :f_status")
            filters["f_status"] = query.status.value
        if query.is_quarantined is not None:
            fragments.append("c.is_quarantined = :f_q")
            filters["f_q"] = query.is_quarantined
        if query.item_id is not None:
            fragments.append("c.item_id = :f_item")
            filters["f_item"] = query.item_id
        if query.has_removal_order is not None:
            is_null = "IS NOT NULL" if query.has_removal_order else "IS NULL"
            fragments.append(f"c.removal_order_received_at {is_null}")
        if page.after is not None:
            fragments.append("(c.opened_at > :p_at OR (c.opened_at = :p_at AND c.id > :p_id))")
            filters.update({"p_at": ts(page.after[0]), "p_id": str(page.after[1])})
        rows = self.db.rows(
            f"SELECT c.* FROM cases c WHERE {' AND '.join(fragments)}"
            " ORDER BY c.opened_at, c.id LIMIT :p_limit",
            {**params, **filters, "p_limit": page.limit + 1},
        )
        items = [_case(r) for r in rows[: page.limit]]
        more = len(rows) > page.limit
        return Page(items, (items[-1].opened_at, items[-1].id) if more and items else None)

    def decide(self, entry: CaseDecision) -> CaseDecision:
        """Append a decision to the case's history, numbered next; return it as stored."""
        cid = str(entry.case_id)
        seq = int(
            self.db.scalar(
                "SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM case_decisions WHERE case_id = :c", {"c": cid}
            )
        )
        self.db.run(
            "INSERT INTO case_decisions (case_id, seq, move, from_status, to_status, action, reason, org_id,"
            " actor, at) VALUES (:c, :seq, :move, :from_status, :to_status, :action, :reason, :org, :actor,"
            " :at)",
            {
                "c": cid,
                "seq": seq,
                "move": entry.move.value,
                "from_status": entry.from_status.value,
                "to_status": entry.to_status.value,
                "action": None if entry.action is None else entry.action.value,
                "reason": entry.reason,
                "org": str(entry.org_id),
                "actor": entry.actor,
                "at": ts(entry.at),
            },
        )
        return replace(entry, seq=seq)

    def history(self, case_id: UUID) -> list[CaseDecision]:
        """Return the decisions of a case, in order."""
        rows = self.db.rows(
            "SELECT * FROM case_decisions WHERE case_id = :c ORDER BY seq", {"c": str(case_id)}
        )
        return [_decision(r) for r in rows]

    def add_evidence(self, evidence: Evidence, content: bytes) -> None:
        """Insert evidence and its bytes."""
        self.db.run(
            "INSERT INTO case_evidence (id, case_id, org_id, actor, media_type, size_bytes, sha256,"
            " reference, content, created_at, keep_until, purged_at) VALUES (:id, :c, :org, :actor, :media,"
            " :size, :sha, :ref, :content, :at, :keep, NULL)",
            {
                "id": str(evidence.id),
                "c": str(evidence.case_id),
                "org": str(evidence.org_id),
                "actor": evidence.actor,
                "media": evidence.media_type,
                "size": evidence.size_bytes,
                "sha": evidence.sha256,
                "ref": evidence.reference,
                "content": content,
                "at": ts(evidence.created_at),
                "keep": ts(evidence.keep_until),
            },
        )

    def evidence(self, case_id: UUID) -> list[Evidence]:
        """Return the evidence of a case (without bytes), oldest first."""
        rows = self.db.rows(
            f"SELECT {_EVIDENCE_COLUMNS} FROM case_evidence WHERE case_id = :c ORDER BY created_at, id",
            {"c": str(case_id)},
        )
        return [_evidence(r) for r in rows]

    def evidence_item(self, case_id: UUID, evidence_id: UUID) -> tuple[Evidence, bytes | None] | None:
        """Return one piece of evidence of a case and its bytes (None once purged), or None."""
        row = self.db.row(
            f"SELECT {_EVIDENCE_COLUMNS}, content FROM case_evidence WHERE case_id = :c AND id = :id",
            {"c": str(case_id), "id": str(evidence_id)},
        )
        if row is None:
            return None
        return _evidence(row), None if row["content"] is None else bytes(row["content"])

    def purgeable(self, now: datetime, limit: int) -> list[Evidence]:
        """Return up to `limit` unpurged evidence kept until before `now`, whose case has no pending
        complaint; the longest expired first."""
        rows = self.db.rows(
            f"SELECT {', '.join('e.' + c.strip() for c in _EVIDENCE_COLUMNS.split(',')[:-1])},"
            " e.content IS NOT NULL AS has_content FROM case_evidence e JOIN cases c ON c.id = e.case_id"
            " WHERE e.purged_at IS NULL AND e.keep_until <= :now AND c.status <> :pending"
            " ORDER BY e.keep_until, e.id LIMIT :limit",
            {"now": ts(now), "pending": CaseStatus.COMPLAINED.value, "limit": limit},
        )
        return [_evidence(r) for r in rows]

    def purge(self, evidence_id: UUID, at: datetime) -> None:
        """Drop the bytes of one piece of evidence and mark it purged."""
        self.db.run(
            "UPDATE case_evidence SET content = NULL, purged_at = :at WHERE id = :id",
            {"id": str(evidence_id), "at": ts(at)},
        )
