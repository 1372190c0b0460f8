"""Alerts in SQL: the header, every version, the audience fixed at issue, and acknowledgements.

The rule of `ctexchange.domain.alerts.can_see_alert` is rendered here as a SQL condition (`visible_alerts`)
so that lists never fetch an alert the caller may not see; the contract suite checks the two agree.

Lists are ordered "needs my acknowledgement first, then newest": `pending` is computed in SQL for the
caller's organization at the time given, and pages are keyset-based on (pending, issued_at, id), all
descending. An alert whose pending flag changes between two pages (acknowledged, or expired meanwhile)
may move across the page boundary; no alert is ever returned twice on one page.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ctexchange.domain.alerts import (
    Acknowledgement,
    Alert,
    AlertAudience,
    AlertBox,
    AlertChange,
    AlertKind,
    AlertPage,
    AlertPageRequest,
    AlertQuery,
    AlertState,
    AlertVersion,
    Cancellation,
    content_from_json,
    content_to_json,
)
from ctexchange.domain.markings import Marking
from ctexchange.store.codec import (
    from_json,
    parse_ts,
    str_or_none,
    to_json,
    ts,
    uid,
    uid_or_none,
)
from ctexchange.store.db import Db, Params, Row

_SELECT = (
    "SELECT a.*, v.content AS content FROM alerts a"
    " JOIN alert_versions v ON v.alert_id = a.id AND v.version = a.version"
)


def visible_alerts(audience: AlertAudience | None) -> tuple[str, Params]:
    """Return a WHERE fragment over alias `a` limiting alerts to those `audience` may see."""
    if audience is None or audience.sees_all:
        return "1 = 1", {}
    params = {
        "v_org": str(audience.org_id),
        "v_user": str_or_none(audience.user_id),
        "v_red": Marking.RED.value,
    }
    recipient = "EXISTS (SELECT 1 FROM alert_recipients r WHERE r.alert_id = a.id AND r.org_id = :v_org)"
    if audience.is_auditor:
        return f"(a.org_id = :v_org OR {recipient})", params
    named = "EXISTS (SELECT 1 FROM alert_recipient_users u WHERE u.alert_id = a.id AND u.user_id = :v_user)"
    return f"(a.org_id = :v_org OR ({recipient} AND (a.marking <> :v_red OR {named})))", params


def _filters(query: AlertQuery, org: str | None, now: datetime) -> tuple[list[str], Params]:
    fragments: list[str] = []
    params: dict[str, object] = {"q_now": ts(now), "q_org": org, "q_issued": AlertState.ISSUED.value}
    if query.box is AlertBox.RECEIVED:
        fragments.append(
            "EXISTS (SELECT 1 FROM alert_recipients b WHERE b.alert_id = a.id AND b.org_id = :q_org)"
        )
    elif query.box is AlertBox.SENT:
        fragments.append("a.org_id = :q_org")
    if query.state is AlertState.ISSUED:
        fragments.append("a.status = :q_issued AND a.valid_until > :q_now")
    elif query.state is AlertState.EXPIRED:
        fragments.append("a.status = :q_issued AND a.valid_until <= :q_now")
    elif query.state is AlertState.CANCELLED:
        fragments.append("a.status = :q_cancelled")
        params["q_cancelled"] = AlertState.CANCELLED.value
    if query.kind is not None:
        fragments.append("a.kind = :q_kind")
        params["q_kind"] = query.kind.value
    return fragments, params


_PENDING = (
    "CASE WHEN a.status = :q_issued AND a.valid_until > :q_now"
    " AND EXISTS (SELECT 1 FROM alert_recipients pr WHERE pr.alert_id = a.id AND pr.org_id = :q_org)"
    " AND NOT EXISTS (SELECT 1 FROM alert_acks k"
    " WHERE k.alert_id = a.id AND k.org_id = :q_org AND k.version = a.version)"
    " THEN 1 ELSE 0 END"
)


class SqlAlerts:
    """Alerts, their versions, audience and acknowledgements."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, alert: Alert) -> None:
        """Insert a new alert with its audience and its first version (made by its issuer at issue).

        A cancellation or acknowledgements on `alert` are not written: they happen later, through
        `cancel` and `acknowledge`.
        """
        self.db.run(
            "INSERT INTO alerts (id, org_id, kind, marking, status, version, valid_from, valid_until,"
            " group_ids, issued_by, issued_at, updated_at) VALUES (:id, :org, :kind, :marking, :status,"
            " :version, :vfrom, :vuntil, :groups, :by, :at, :updated)",
            {
                "id": str(alert.id),
                "org": str(alert.org_id),
                "kind": alert.kind.value,
                "marking": alert.marking.value,
                "status": AlertState.ISSUED.value,
                "version": alert.version,
                "vfrom": ts(alert.valid_from),
                "vuntil": ts(alert.valid_until),
                "groups": to_json(sorted(str(g) for g in alert.group_ids)),
                "by": alert.issued_by,
                "at": ts(alert.issued_at),
                "updated": ts(alert.updated_at),
            },
            conflict="an alert with this id exists already",
        )
        aid = str(alert.id)
        self.db.run_many(
            "INSERT INTO alert_recipients (alert_id, org_id) VALUES (:a, :o)",
            ({"a": aid, "o": str(o)} for o in sorted(alert.recipient_org_ids, key=str)),
        )
        self.db.run_many(
            "INSERT INTO alert_recipient_users (alert_id, user_id) VALUES (:a, :u)",
            ({"a": aid, "u": str(u)} for u in sorted(alert.recipient_user_ids, key=str)),
        )
        self._insert_version(
            AlertVersion(
                alert.id,
                alert.version,
                AlertChange.ISSUE,
                alert.content,
                alert.valid_from,
                alert.valid_until,
                "",
                alert.issued_by,
                alert.issued_at,
            )
        )

    def _insert_version(self, version: AlertVersion) -> None:
        self.db.run(
            "INSERT INTO alert_versions (alert_id, version, change, content, valid_from, valid_until, note,"
            " actor, at) VALUES (:a, :v, :change, :content, :vfrom, :vuntil, :note, :actor, :at)",
            {
                "a": str(version.alert_id),
                "v": version.version,
                "change": version.change.value,
                "content": to_json(content_to_json(version.content)),
                "vfrom": ts(version.valid_from),
                "vuntil": ts(version.valid_until),
                "note": version.note,
                "actor": version.actor,
                "at": ts(version.at),
            },
            conflict=f"alert {version.alert_id} has a version {version.version} already",
        )

    def get(self, alert_id: UUID) -> Alert | None:
        """Return the alert with this id, or None (access is the service's to decide)."""
        found = self._hydrate(self.db.rows(f"{_SELECT} WHERE a.id = :id", {"id": str(alert_id)}))
        return found[0] if found else None

    def find(
        self, query: AlertQuery, audience: AlertAudience | None, page: AlertPageRequest, now: datetime
    ) -> AlertPage:
        """Return one page of the alerts matching `query` that `audience` may see, as of `now`.

        Alerts the audience's organization still has to acknowledge come first, then the newest.
        """
        org = None if audience is None else str(audience.org_id)
        if org is None and query.box is not AlertBox.ALL:
            raise ValueError("a received or sent box needs an audience")
        fragments, params = _filters(query, org, now)
        where, vis_params = visible_alerts(audience)
        fragments.append(where)
        outer = "1 = 1"
        if page.after is not None:
            outer = (
                "(x.pending < :p_pending OR (x.pending = :p_pending AND"
                " (x.issued_at < :p_at OR (x.issued_at = :p_at AND x.id < :p_id))))"
            )
            params = {
                **params,
                "p_pending": page.after[0],
                "p_at": ts(page.after[1]),
                "p_id": str(page.after[2]),
            }
        sql = (
            f"SELECT x.* FROM (SELECT a.*, v.content AS content, {_PENDING} AS pending FROM alerts a"
            " JOIN alert_versions v ON v.alert_id = a.id AND v.version = a.version"
            f" WHERE {' AND '.join(fragments)}) x WHERE {outer}"
            " ORDER BY x.pending DESC, x.issued_at DESC, x.id DESC LIMIT :p_limit"
        )
        rows = self.db.rows(sql, {**params, **vis_params, "p_limit": page.limit + 1})
        shown = rows[: page.limit]
        items = self._hydrate(shown)
        if len(rows) <= page.limit or not shown:
            return AlertPage(items, None)
        last = shown[-1]
        return AlertPage(items, (int(last["pending"]), parse_ts(last["issued_at"]), uid(last["id"])))

    def add_version(self, version: AlertVersion) -> None:
        """Append a version and make it the alert's current content and validity."""
        self._insert_version(version)
        self.db.run(
            "UPDATE alerts SET version = :v, valid_from = :vfrom, valid_until = :vuntil, updated_at = :at"
            " WHERE id = :id",
            {
                "v": version.version,
                "vfrom": ts(version.valid_from),
                "vuntil": ts(version.valid_until),
                "at": ts(version.at),
                "id": str(version.alert_id),
            },
        )

    def cancel(self, alert_id: UUID, cancellation: Cancellation) -> None:
        """Mark an alert cancelled, with who, why and when."""
        self.db.run(
            "UPDATE alerts SET status = :status, cancelled_by = :by, cancel_reason = :reason,"
            " cancelled_at = :at, updated_at = :at WHERE id = :id",
            {
                "status": AlertState.CANCELLED.value,
                "by": cancellation.actor,
                "reason": cancellation.reason,
                "at": ts(cancellation.at),
                "id": str(alert_id),
            },
        )

    def versions(self, alert_id: UUID) -> list[AlertVersion]:
        """Return every version of an alert, oldest first."""
        rows = self.db.rows(
            "SELECT * FROM alert_versions WHERE alert_id = :a ORDER BY version", {"a": str(alert_id)}
        )
        return [
            AlertVersion(
                alert_id=uid(r["alert_id"]),
                version=int(r["version"]),
                change=AlertChange(r["change"]),
                content=content_from_json(from_json(r["content"])),
                valid_from=parse_ts(r["valid_from"]),
                valid_until=parse_ts(r["valid_until"]),
                note=r["note"],
                actor=r["actor"],
                at=parse_ts(r["at"]),
            )
            for r in rows
        ]

    def acknowledge(self, ack: Acknowledgement) -> None:
        """Record a recipient organization's acknowledgement of one version (once per version)."""
        self.db.run(
            "INSERT INTO alert_acks (alert_id, org_id, version, user_id, actor, note, at)"
            " VALUES (:a, :o, :v, :u, :actor, :note, :at)",
            {
                "a": str(ack.alert_id),
                "o": str(ack.org_id),
                "v": ack.version,
                "u": str_or_none(ack.user_id),
                "actor": ack.actor,
                "note": ack.note,
                "at": ts(ack.at),
            },
            conflict=f"your organization has acknowledged version {ack.version} of this alert already",
        )

    def _hydrate(self, rows: list[Row]) -> list[Alert]:
        """Build alerts from rows, loading recipients, named users and acknowledgements in three queries."""
        if not rows:
            return []
        ids = {f"i{n}": row["id"] for n, row in enumerate(rows)}
        in_list = ", ".join(f":{name}" for name in ids)
        orgs: dict[str, set[UUID]] = {row["id"]: set() for row in rows}
        users: dict[str, set[UUID]] = {row["id"]: set() for row in rows}
        acks: dict[str, list[Acknowledgement]] = {row["id"]: [] for row in rows}
        for r in self.db.rows(
            f"SELECT alert_id, org_id FROM alert_recipients WHERE alert_id IN ({in_list})", ids
        ):
            orgs[r["alert_id"]].add(uid(r["org_id"]))
        for r in self.db.rows(
            f"SELECT alert_id, user_id FROM alert_recipient_users WHERE alert_id IN ({in_list})", ids
        ):
            users[r["alert_id"]].add(uid(r["user_id"]))
        for r in self.db.rows(
            f"SELECT * FROM alert_acks WHERE alert_id IN ({in_list}) ORDER BY at, org_id, version", ids
        ):
            acks[r["alert_id"]].append(_ack(r))
        return [_alert(row, orgs[row["id"]], users[row["id"]], acks[row["id"]]) for row in rows]


def _ack(row: Row) -> Acknowledgement:
    return Acknowledgement(
        alert_id=uid(row["alert_id"]),
        org_id=uid(row["org_id"]),
        version=int(row["version"]),
        user_id=uid_or_none(row["user_id"]),
        actor=row["actor"],
        note=row["note"],
        at=parse_ts(row["at"]),
    )


def _alert(row: Row, orgs: set[UUID], users: set[UUID], acks: list[Acknowledgement]) -> Alert:
    cancellation = None
    if row["status"] == AlertState.CANCELLED.value:
        cancellation = Cancellation(row["cancelled_by"], row["cancel_reason"], parse_ts(row["cancelled_at"]))
    return Alert(
        id=uid(row["id"]),
        org_id=uid(row["org_id"]),
        kind=AlertKind(row["kind"]),
        marking=Marking(row["marking"]),
        content=content_from_json(from_json(row["content"])),
        valid_from=parse_ts(row["valid_from"]),
        valid_until=parse_ts(row["valid_until"]),
        version=int(row["version"]),
        issued_by=row["issued_by"],
        issued_at=parse_ts(row["issued_at"]),
        updated_at=parse_ts(row["updated_at"]),
        recipient_org_ids=frozenset(orgs),
        recipient_user_ids=frozenset(users),
        group_ids=frozenset(uid(g) for g in from_json(row["group_ids"])),
        cancellation=cancellation,
        acknowledgements=tuple(acks),
    )
