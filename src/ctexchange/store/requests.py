"""Requests for assistance in SQL: the request and its subjects, moves, messages and attachments.

Decisions:
- The access rule of `ctexchange.domain.requests.may_see_request` is rendered here as a SQL condition
  (`visible_condition`), so lists and the overdue list never fetch a request the caller may not see; the
  contract suite checks the two agree.
- `lock` is how every write to a request begins: a no-op UPDATE of its row. On PostgreSQL that takes the
  row lock until the transaction ends, so two parties moving the same request at once are serialised and
  the second reads the first one's result; on SQLite writes are serialised already. It needs no
  dialect-specific `SELECT ... FOR UPDATE`.
- Attachment bytes are read only by `attachment`; listings and the per-request total never load them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import Page, PageRequest
from ctexchange.domain.requests import (
    FINISHED,
    AssistanceKind,
    AssistanceRequest,
    Attachment,
    Message,
    Move,
    Outcome,
    RequestAudience,
    RequestMove,
    RequestQuery,
    RequestStatus,
    Side,
    Subject,
    SubjectKind,
    Urgency,
)
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

_EDITABLE = (
    "requested_org_id",
    "title",
    "legal_basis",
    "facts",
    "offence",
    "assistance",
    "assistance_detail",
    "urgency",
    "urgency_justification",
    "deadline",
    "confidentiality",
    "language",
    "reference",
)


def visible_condition(alias: str, audience: RequestAudience) -> tuple[str, Params]:
    """Return a WHERE fragment and its parameters limiting requests of `alias` to `audience`."""
    if audience.is_oversight:
        return "1 = 1", {}
    return (
        f"({alias}.requesting_org_id = :v_org"
        f" OR ({alias}.requested_org_id = :v_org AND {alias}.sent_at IS NOT NULL))",
        {"v_org": str(audience.org_id)},
    )


def _columns(request: AssistanceRequest) -> dict[str, object]:
    return {
        "id": str(request.id),
        "requesting_org_id": str(request.requesting_org_id),
        "requested_org_id": str(request.requested_org_id),
        "title": request.title,
        "legal_basis": request.legal_basis,
        "facts": request.facts,
        "offence": request.offence,
        "assistance": to_json([kind.value for kind in request.assistance]),
        "assistance_detail": request.assistance_detail,
        "urgency": request.urgency.value,
        "urgency_justification": request.urgency_justification,
        "deadline": ts_or_none(request.deadline),
        "confidentiality": request.confidentiality.value,
        "language": request.language,
        "reference": request.reference,
        "status": request.status.value,
        "outcome": None if request.outcome is None else request.outcome.value,
        "reason": request.reason,
        "created_by": request.created_by,
        "created_at": ts(request.created_at),
        "updated_at": ts(request.updated_at),
        "sent_at": ts_or_none(request.sent_at),
    }


def _request(row: Row, subjects: tuple[Subject, ...]) -> AssistanceRequest:
    return AssistanceRequest(
        id=uid(row["id"]),
        requesting_org_id=uid(row["requesting_org_id"]),
        requested_org_id=uid(row["requested_org_id"]),
        title=row["title"],
        legal_basis=row["legal_basis"],
        facts=row["facts"],
        offence=row["offence"],
        assistance=tuple(AssistanceKind(k) for k in from_json(row["assistance"])),
        assistance_detail=row["assistance_detail"],
        subjects=subjects,
        urgency=Urgency(row["urgency"]),
        urgency_justification=row["urgency_justification"],
        deadline=parse_ts_or_none(row["deadline"]),
        confidentiality=Marking(row["confidentiality"]),
        language=row["language"],
        reference=row["reference"],
        status=RequestStatus(row["status"]),
        created_by=row["created_by"],
        created_at=parse_ts(row["created_at"]),
        updated_at=parse_ts(row["updated_at"]),
        sent_at=parse_ts_or_none(row["sent_at"]),
        outcome=None if row["outcome"] is None else Outcome(row["outcome"]),
        reason=row["reason"],
    )


def _subject(row: Row) -> Subject:
    return Subject(
        kind=SubjectKind(row["kind"]),
        name=row["name"],
        reference=row["reference"],
        description=row["description"],
        birth_date=row["birth_date"],
        nationalities=tuple(from_json(row["nationalities"])),
        signal_id=uid_or_none(row["signal_id"]),
    )


def _move(row: Row) -> RequestMove:
    return RequestMove(
        request_id=uid(row["request_id"]),
        seq=int(row["seq"]),
        move=Move(row["move"]),
        from_status=RequestStatus(row["from_status"]),
        to_status=RequestStatus(row["to_status"]),
        org_id=uid(row["org_id"]),
        actor=row["actor"],
        note=row["note"],
        at=parse_ts(row["at"]),
    )


def _attachment(row: Row) -> Attachment:
    return Attachment(
        id=uid(row["id"]),
        request_id=uid(row["request_id"]),
        org_id=uid(row["org_id"]),
        actor=row["actor"],
        filename=row["filename"],
        media_type=row["media_type"],
        size_bytes=int(row["size_bytes"]),
        sha256=row["sha256"],
        created_at=parse_ts(row["created_at"]),
    )


class SqlRequests:
    """Requests for assistance, their subjects, moves, messages and attachments."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, request: AssistanceRequest) -> None:
        """Insert a request and its subjects."""
        columns = _columns(request)
        names = ", ".join(columns)
        values = ", ".join(f":{name}" for name in columns)
        self.db.run(f"INSERT INTO requests ({names}) VALUES ({values})", columns)
        self._put_subjects(request)

    def replace(self, request: AssistanceRequest) -> None:
        """Replace the editable fields and the subjects of a request (a draft being edited)."""
        columns = _columns(request)
        assignments = ", ".join(f"{name} = :{name}" for name in (*_EDITABLE, "updated_at"))
        self.db.run(f"UPDATE requests SET {assignments} WHERE id = :id", columns)
        self.db.run("DELETE FROM request_subjects WHERE request_id = :id", {"id": str(request.id)})
        self._put_subjects(request)

    def _put_subjects(self, request: AssistanceRequest) -> None:
        self.db.run_many(
            "INSERT INTO request_subjects (request_id, position, kind, name, reference, description,"
            " birth_date, nationalities, signal_id) VALUES (:r, :pos, :kind, :name, :ref, :descr, :dob,"
            " :nat, :sig)",
            (
                {
                    "r": str(request.id),
                    "pos": position,
                    "kind": subject.kind.value,
                    "name": subject.name,
                    "ref": subject.reference,
                    "descr": subject.description,
                    "dob": subject.birth_date,
                    "nat": to_json(list(subject.nationalities)),
                    "sig": str_or_none(subject.signal_id),
                }
                for position, subject in enumerate(request.subjects)
            ),
        )

    def _hydrate(self, rows: list[Row]) -> list[AssistanceRequest]:
        """Build requests from rows, loading every subject in one query."""
        if not rows:
            return []
        ids = {f"i{n}": row["id"] for n, row in enumerate(rows)}
        in_list = ", ".join(f":{name}" for name in ids)
        subjects: dict[str, list[Subject]] = {row["id"]: [] for row in rows}
        for r in self.db.rows(
            f"SELECT * FROM request_subjects WHERE request_id IN ({in_list}) ORDER BY request_id, position",
            ids,
        ):
            subjects[r["request_id"]].append(_subject(r))
        return [_request(row, tuple(subjects[row["id"]])) for row in rows]

    def get(self, request_id: UUID) -> AssistanceRequest | None:
        """Return the request with this id, or None (access is the service's to decide)."""
        found = self._hydrate(self.db.rows("SELECT * FROM requests WHERE id = :id", {"id": str(request_id)}))
        return found[0] if found else None

    def lock(self, request_id: UUID) -> AssistanceRequest | None:
        """Lock the request's row for the rest of the transaction and return it, or None."""
        self.db.run("UPDATE requests SET updated_at = updated_at WHERE id = :id", {"id": str(request_id)})
        return self.get(request_id)

    def find(
        self, query: RequestQuery, audience: RequestAudience, page: PageRequest
    ) -> Page[AssistanceRequest]:
        """Return one page of the requests matching `query` that `audience` may see, oldest first."""
        where, params = visible_condition("r", audience)
        fragments = [where]
        filters: dict[str, object] = {}
        if query.status is not None:
            fragments.append("r.status = :f_status")
            filters["f_status"] = query.status.value
        if query.urgency is not None:
            fragments.append("r.urgency = :f_urgency")
            filters["f_urgency"] = query.urgency.value
        if query.side is not None:
            column = "requesting_org_id" if query.side is Side.REQUESTING else "requested_org_id"
            fragments.append(f"r.{column} = :f_org")
            filters["f_org"] = str(audience.org_id)
        if page.after is not None:
            fragments.append("(r.created_at > :p_at OR (r.created_at = :p_at AND r.id > :p_id))")
            filters.update({"p_at": ts(page.after[0]), "p_id": str(page.after[1])})
        rows = self.db.rows(
            f"SELECT r.* FROM requests r WHERE {' AND '.join(fragments)} "
            "ORDER BY r.created_at, r.id LIMIT :p_limit",
            {**params, **filters, "p_limit": page.limit + 1},
        )
        items = self._hydrate(rows[: page.limit])
        more = len(rows) > page.limit
        return Page(items, (items[-1].created_at, items[-1].id) if more and items else None)

    def overdue(self, audience: RequestAudience, now: datetime, limit: int) -> list[AssistanceRequest]:
        """Return up to `limit` visible requests whose deadline passed before `now` and that still wait,
        the longest overdue first."""
        where, params = visible_condition("r", audience)
        finished = {f"done{n}": status.value for n, status in enumerate(sorted(FINISHED))}
        in_list = ", ".join(f":{name}" for name in finished)
        rows = self.db.rows(
            f"SELECT r.* FROM requests r WHERE {where} AND r.deadline IS NOT NULL AND r.deadline < :now"
            f" AND r.status NOT IN ({in_list}) ORDER BY r.deadline, r.id LIMIT :limit",
            {**params, **finished, "now": ts(now), "limit": limit},
        )
        return self._hydrate(rows)

    def move(self, entry: RequestMove, outcome: Outcome | None, reason: str | None) -> RequestMove:
        """Apply a move: append it to the history (numbered next) and set the status; `sent_at` on
        sending, the outcome and the reason when given. Return the move as stored."""
        rid = str(entry.request_id)
        seq = int(
            self.db.scalar(
                "SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM request_moves WHERE request_id = :r", {"r": rid}
            )
        )
        self.db.run(
            "INSERT INTO request_moves (request_id, seq, move, from_status, to_status, org_id, actor, note,"
            " at) VALUES (:r, :seq, :move, :from_status, :to_status, :org, :actor, :note, :at)",
            {
                "r": rid,
                "seq": seq,
                "move": entry.move.value,
                "from_status": entry.from_status.value,
                "to_status": entry.to_status.value,
                "org": str(entry.org_id),
                "actor": entry.actor,
                "note": entry.note,
                "at": ts(entry.at),
            },
        )
        sent = ", sent_at = :at" if entry.to_status is RequestStatus.SENT else ""
        self.db.run(
            f"UPDATE requests SET status = :st, updated_at = :at{sent},"
            " outcome = COALESCE(:outcome, outcome), reason = COALESCE(:reason, reason) WHERE id = :r",
            {
                "st": entry.to_status.value,
                "at": ts(entry.at),
                "outcome": None if outcome is None else outcome.value,
                "reason": reason,
                "r": rid,
            },
        )
        return replace(entry, seq=seq)

    def history(self, request_id: UUID) -> list[RequestMove]:
        """Return the moves of a request, in order."""
        rows = self.db.rows(
            "SELECT * FROM request_moves WHERE request_id = :r ORDER BY seq", {"r": str(request_id)}
        )
        return [_move(r) for r in rows]

    def add_message(self, message: Message) -> None:
        """Insert a message."""
        self.db.run(
            "INSERT INTO request_messages (id, request_id, org_id, actor, body, created_at)"
            " VALUES (:id, :r, :org, :actor, :body, :at)",
            {
                "id": str(message.id),
                "r": str(message.request_id),
                "org": str(message.org_id),
                "actor": message.actor,
                "body": message.body,
                "at": ts(message.created_at),
            },
        )

    def messages(self, request_id: UUID) -> list[Message]:
        """Return the messages of a request, oldest first."""
        rows = self.db.rows(
            "SELECT * FROM request_messages WHERE request_id = :r ORDER BY created_at, id",
            {"r": str(request_id)},
        )
        return [
            Message(
                uid(r["id"]),
                uid(r["request_id"]),
                uid(r["org_id"]),
                r["actor"],
                r["body"],
                parse_ts(r["created_at"]),
            )
            for r in rows
        ]

    def message_count(self, request_id: UUID) -> int:
        """Return how many messages a request has."""
        return int(
            self.db.scalar(
                "SELECT COUNT(*) AS n FROM request_messages WHERE request_id = :r", {"r": str(request_id)}
            )
        )

    def add_attachment(self, attachment: Attachment, content: bytes) -> None:
        """Insert an attachment and its bytes."""
        self.db.run(
            "INSERT INTO request_attachments (id, request_id, org_id, actor, filename, media_type,"
            " size_bytes, sha256, content, created_at) VALUES (:id, :r, :org, :actor, :name, :media, :size,"
            " :sha, :content, :at)",
            {
                "id": str(attachment.id),
                "r": str(attachment.request_id),
                "org": str(attachment.org_id),
                "actor": attachment.actor,
                "name": attachment.filename,
                "media": attachment.media_type,
                "size": attachment.size_bytes,
                "sha": attachment.sha256,
                "content": content,
                "at": ts(attachment.created_at),
            },
        )

    def attachments(self, request_id: UUID) -> list[Attachment]:
        """Return the attachments of a request (without their bytes), oldest first."""
        rows = self.db.rows(
            "SELECT id, request_id, org_id, actor, filename, media_type, size_bytes, sha256, created_at"
            " FROM request_attachments WHERE request_id = :r ORDER BY created_at, id",
            {"r": str(request_id)},
        )
        return [_attachment(r) for r in rows]

    def attachment(self, request_id: UUID, attachment_id: UUID) -> tuple[Attachment, bytes] | None:
        """Return one attachment of a request and its bytes, or None."""
        row = self.db.row(
            "SELECT * FROM request_attachments WHERE request_id = :r AND id = :id",
            {"r": str(request_id), "id": str(attachment_id)},
        )
        return None if row is None else (_attachment(row), bytes(row["content"]))
