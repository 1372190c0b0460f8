"""The audit log in SQL: appends extend the hash chain under a lock, nothing updates or deletes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import uuid4

from ctexchange.domain.audit import GENESIS_HASH, AuditEntry, AuditEvent, event_digest
from ctexchange.domain.queries import AuditQuery
from ctexchange.store.codec import from_json, parse_ts, str_or_none, to_json, ts, uid, uid_or_none
from ctexchange.store.db import Db, Row

WALK_BATCH = 1000


def _event(row: Row) -> AuditEvent:
    entry = AuditEntry(
        actor=row["actor"],
        org_id=uid_or_none(row["org_id"]),
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        request_id=row["request_id"],
        object_org_id=uid_or_none(row["object_org_id"]),
        details=from_json(row["details"]),
    )
    return AuditEvent(
        seq=int(row["seq"]),
        id=uid(row["id"]),
        at=parse_ts(row["at"]),
        entry=entry,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class SqlAudit:
    """Append and read audit events."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def append(self, entry: AuditEntry, at: datetime) -> AuditEvent:
        """Append `entry` after the current head of the chain and return the stored event."""
        if self.db.dialect.lock_audit_sql is not None:
            self.db.run(self.db.dialect.lock_audit_sql)
        head = self.db.row("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        seq = 1 if head is None else int(head["seq"]) + 1
        prev_hash = GENESIS_HASH if head is None else str(head["hash"])
        # Round-trip the time and details through their stored forms so the hash covers stored bytes.
        at = parse_ts(ts(at))
        entry = AuditEntry(**{**entry.__dict__, "details": from_json(to_json(dict(entry.details)))})
        event_id = uuid4()
        digest = event_digest(seq, event_id, at, entry, prev_hash)
        self.db.run(
            "INSERT INTO audit_events (seq, id, at, actor, org_id, action, object_type, object_id,"
            " object_org_id, request_id, details, prev_hash, hash) VALUES (:seq, :id, :at, :actor, :org,"
            " :action, :otype, :oid, :oorg, :rid, :details, :prev, :hash)",
            {
                "seq": seq,
                "id": str(event_id),
                "at": ts(at),
                "actor": entry.actor,
                "org": str_or_none(entry.org_id),
                "action": entry.action,
                "otype": entry.object_type,
                "oid": entry.object_id,
                "oorg": str_or_none(entry.object_org_id),
                "rid": entry.request_id,
                "details": to_json(entry.details),
                "prev": prev_hash,
                "hash": digest,
            },
        )
        return AuditEvent(seq, event_id, at, entry, prev_hash, digest)

    def events(self, query: AuditQuery) -> list[AuditEvent]:
        """Return events after `query.after_seq`, oldest first, for one organization or all."""
        fragments = ["seq > :after"]
        params: dict[str, object] = {"after": query.after_seq, "limit": query.limit}
        if query.org_id is not None:
            fragments.append("(org_id = :org OR object_org_id = :org)")
            params["org"] = str(query.org_id)
        if query.action is not None:
            fragments.append("action = :action")
            params["action"] = query.action
        if query.object_id is not None:
            fragments.append("object_id = :oid")
            params["oid"] = query.object_id
        sql = f"SELECT * FROM audit_events WHERE {' AND '.join(fragments)} ORDER BY seq LIMIT :limit"
        return [_event(r) for r in self.db.rows(sql, params)]

    def walk(self) -> Iterator[AuditEvent]:
        """Yield every event in sequence order, in batches, for verification."""
        after = 0
        while True:
            rows = self.db.rows(
                "SELECT * FROM audit_events WHERE seq > :after ORDER BY seq LIMIT :n",
                {"after": after, "n": WALK_BATCH},
            )
            if not rows:
                return
            for row in rows:
                yield _event(row)
            after = int(rows[-1]["seq"])
