"""SQL repositories for collections, signals and opinions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from ctexchange.domain.access import Audience
from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import Page, PageRequest, SignalQuery
from ctexchange.domain.signals import (
    BankPurpose,
    Collection,
    Family,
    HitPolicy,
    JsonValue,
    Opinion,
    Provenance,
    SightingPolicy,
    Signal,
    SignalStatus,
    SignalVersion,
    Verdict,
)
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
from ctexchange.store.visibility import visible_condition

_IN_BATCH = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def _collection(row: Row) -> Collection:
    return Collection(
        id=uid(row["id"]),
        name=row["name"],
        org_id=uid(row["org_id"]),
        default_marking=Marking(row["default_marking"]),
        sharing_group_id=uid_or_none(row["sharing_group_id"]),
        description=row["description"],
        kind_settings=from_json(row["kind_settings"]),
        created_at=parse_ts(row["created_at"]),
        hit_policy=HitPolicy(row["hit_policy"]),
        purpose=BankPurpose(row["purpose"]),
        requires_review=bool(row["requires_review"]),
        sighting_policy=SightingPolicy(row["sighting_policy"]),
    )


class SqlCollections:
    """Collections in SQL."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, collection: Collection) -> None:
        """Insert a collection; a name its organization uses already is a Conflict."""
        self.db.run(
            "INSERT INTO collections (id, name, org_id, default_marking, sharing_group_id, description,"
            " kind_settings, created_at, hit_policy, purpose, requires_review, sighting_policy) VALUES (:id,"
            " :name, :org, :marking, :grp, :descr, :settings, :at, :policy, :purpose, :review, :sightings)",
            {
                "id": str(collection.id),
                "name": collection.name,
                "org": str(collection.org_id),
                "marking": collection.default_marking.value,
                "grp": str_or_none(collection.sharing_group_id),
                "descr": collection.description,
                "settings": to_json(collection.kind_settings),
                "at": ts(collection.created_at),
                "policy": collection.hit_policy.value,
                "purpose": collection.purpose.value,
                "review": collection.requires_review,
                "sightings": collection.sighting_policy.value,
            },
            conflict=f"your organization has a collection named '{collection.name}' already",
        )

    def get(self, collection_id: UUID) -> Collection | None:
        """Return the collection with this id, or None."""
        row = self.db.row("SELECT * FROM collections WHERE id = :id", {"id": str(collection_id)})
        return None if row is None else _collection(row)

    def by_name(self, org_id: UUID, name: str) -> Collection | None:
        """Return an organization's collection with this name, or None."""
        row = self.db.row(
            "SELECT * FROM collections WHERE org_id = :o AND name = :n", {"o": str(org_id), "n": name}
        )
        return None if row is None else _collection(row)

    def named(self, name: str, audience: Audience | None) -> list[Collection]:
        """Return the collections called `name` that `audience` may see."""
        where, params = visible_condition("c", audience, has_recipients=False)
        rows = self.db.rows(
            f"SELECT c.* FROM collections c WHERE c.name = :n AND {where} ORDER BY c.created_at",
            {**params, "n": name},
        )
        return [_collection(r) for r in rows]

    def visible(self, audience: Audience | None) -> list[Collection]:
        """Return the collections `audience` may see, by name."""
        where, params = visible_condition("c", audience, has_recipients=False)
        rows = self.db.rows(f"SELECT c.* FROM collections c WHERE {where} ORDER BY c.name, c.id", params)
        return [_collection(r) for r in rows]


def _filters(query: SignalQuery) -> tuple[list[str], Params]:
    """Return the WHERE fragments and parameters of a signal query (without access rules)."""
    fragments: list[str] = []
    params: dict[str, object] = {}
    exact = {
        "collection_id": str_or_none(query.collection_id),
        "org_id": str_or_none(query.org_id),
        "family": None if query.family is None else query.family.value,
        "kind": query.kind,
        "status": None if query.status is None else query.status.value,
        "marking": None if query.marking is None else query.marking.value,
        "external_id": query.external_id,
    }
    for column, value in exact.items():
        if value is not None:
            fragments.append(f"s.{column} = :f_{column}")
            params[f"f_{column}"] = value
    if query.label is not None:
        fragments.append(
            "EXISTS (SELECT 1 FROM signal_labels l WHERE l.signal_id = s.id AND l.label = :f_label)"
        )
        params["f_label"] = query.label
    if query.text is not None:
        escaped = query.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        fragments.append(
            "(LOWER(s.value_key) LIKE :f_text ESCAPE '\\' OR LOWER(s.external_id) LIKE :f_text ESCAPE '\\')"
        )
        params["f_text"] = f"%{escaped}%"
    if query.created_after is not None:
        fragments.append("s.created_at > :f_after")
        params["f_after"] = ts(query.created_after)
    if query.created_before is not None:
        fragments.append("s.created_at < :f_before")
        params["f_before"] = ts(query.created_before)
    return fragments, params


class SqlSignals:
    """Signals, their labels and recipients, opinions and the change log, in SQL."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, signal: Signal) -> None:
        """Insert a signal, its labels and recipients; a value already in its collection is a Conflict."""
        self.db.run(
            "INSERT INTO signals (id, collection_id, org_id, family, kind, value, value_key, external_id,"
            " marking, sharing_group_id, status, added_by, source, source_ref, label_count,"
            " recipient_count, created_at, updated_at) VALUES (:id, :coll, :org, :family, :kind, :value,"
            " :key, :ext, :marking, :grp, :status, :by, :source, :ref, :nlabels, :nrecipients, :at, :at)",
            {
                "id": str(signal.id),
                "coll": str(signal.collection_id),
                "org": str(signal.org_id),
                "family": signal.family.value,
                "kind": signal.kind,
                "value": to_json(signal.value),
                "key": signal.value_key,
                "ext": signal.external_id,
                "marking": signal.marking.value,
                "grp": str_or_none(signal.sharing_group_id),
                "status": signal.status.value,
                "by": signal.provenance.added_by,
                "source": signal.provenance.source,
                "ref": signal.provenance.source_ref,
                "nlabels": len(signal.labels),
                "nrecipients": len(signal.recipient_ids),
                "at": ts(signal.created_at),
            },
            conflict=f"this {signal.kind} value is in the collection already",
        )
        sid = str(signal.id)
        self.db.run_many(
            "INSERT INTO signal_labels (signal_id, label) VALUES (:s, :l)",
            ({"s": sid, "l": label} for label in sorted(signal.labels)),
        )
        self.db.run_many(
            "INSERT INTO signal_recipients (signal_id, user_id) VALUES (:s, :u)",
            ({"s": sid, "u": str(user)} for user in sorted(signal.recipient_ids)),
        )
        self._log_change(signal.id, "add", signal.created_at)

    def _log_change(self, signal_id: UUID, change: str, at: datetime) -> None:
        self.db.run(
            "INSERT INTO signal_changes (signal_id, change, at) VALUES (:s, :c, :at)",
            {"s": str(signal_id), "c": change, "at": ts(at)},
        )

    def _hydrate(self, rows: list[Row]) -> list[Signal]:
        """Build signals from rows, loading labels and recipients in two queries."""
        if not rows:
            return []
        ids = {f"i{n}": row["id"] for n, row in enumerate(rows)}
        in_list = ", ".join(f":{name}" for name in ids)
        labels: dict[str, set[str]] = {row["id"]: set() for row in rows}
        recipients: dict[str, set[UUID]] = {row["id"]: set() for row in rows}
        for r in self.db.rows(
            f"SELECT signal_id, label FROM signal_labels WHERE signal_id IN ({in_list})", ids
        ):
            labels[r["signal_id"]].add(r["label"])
        for r in self.db.rows(
            f"SELECT signal_id, user_id FROM signal_recipients WHERE signal_id IN ({in_list})", ids
        ):
            recipients[r["signal_id"]].add(uid(r["user_id"]))
        return [_signal(row, labels[row["id"]], recipients[row["id"]]) for row in rows]

    def get(self, signal_id: UUID) -> Signal | None:
        """Return the signal with this id, or None (access is the service's to decide)."""
        rows = self.db.rows("SELECT s.* FROM signals s WHERE s.id = :id", {"id": str(signal_id)})
        found = self._hydrate(rows)
        return found[0] if found else None

    def get_many(self, signal_ids: Sequence[UUID]) -> dict[UUID, Signal]:
        """Return the signals with these ids that exist, by id."""
        found: dict[UUID, Signal] = {}
        unique = sorted({str(i) for i in signal_ids})
        for start in range(0, len(unique), _IN_BATCH):
            chunk = {f"i{n}": v for n, v in enumerate(unique[start : start + _IN_BATCH])}
            in_list = ", ".join(f":{name}" for name in chunk)
            rows = self.db.rows(f"SELECT s.* FROM signals s WHERE s.id IN ({in_list})", chunk)
            found.update((s.id, s) for s in self._hydrate(rows))
        return found

    def by_key(self, collection_id: UUID, kind: str, value_key: str) -> Signal | None:
        """Return the signal of this kind and exact key in a collection, or None."""
        rows = self.db.rows(
            "SELECT s.* FROM signals s WHERE s.collection_id = :c AND s.kind = :k AND s.value_key = :v",
            {"c": str(collection_id), "k": kind, "v": value_key},
        )
        found = self._hydrate(rows)
        return found[0] if found else None

    def find(self, query: SignalQuery, audience: Audience | None, page: PageRequest) -> Page[Signal]:
        """Return one page of the signals matching `query` that `audience` may see, oldest first."""
        fragments, params = _filters(query)
        where, vis_params = visible_condition("s", audience, has_recipients=True)
        fragments.append(where)
        if page.after is not None:
            fragments.append("(s.created_at > :p_at OR (s.created_at = :p_at AND s.id > :p_id))")
            params = {**params, "p_at": ts(page.after[0]), "p_id": str(page.after[1])}
        sql = (
            f"SELECT s.* FROM signals s WHERE {' AND '.join(fragments)} "
            "ORDER BY s.created_at, s.id LIMIT :p_limit"
        )
        rows = self.db.rows(sql, {**params, **vis_params, "p_limit": page.limit + 1})
        items = self._hydrate(rows[: page.limit])
        more = len(rows) > page.limit
        return Page(items, (items[-1].created_at, items[-1].id) if more and items else None)

    def count(self, query: SignalQuery, audience: Audience | None) -> int:
        """Return how many signals match `query` among those `audience` may see."""
        fragments, params = _filters(query)
        where, vis_params = visible_condition("s", audience, has_recipients=True)
        fragments.append(where)
        sql = f"SELECT COUNT(*) AS n FROM signals s WHERE {' AND '.join(fragments)}"
        return int(self.db.scalar(sql, {**params, **vis_params}))

    def set_status(self, signal_id: UUID, status: SignalStatus, at: datetime) -> None:
        """Change a signal's status and log the change."""
        self.db.run(
            "UPDATE signals SET status = :st, updated_at = :at WHERE id = :id",
            {"st": status.value, "at": ts(at), "id": str(signal_id)},
        )
        self._log_change(signal_id, f"status:{status.value}", at)

    def replace_value(self, signal_id: UUID, value: JsonValue, at: datetime) -> None:
        """Replace a signal's value, keeping the one it had (and since when) as a version."""
        current = self.db.row(
            "SELECT value, status, updated_at FROM signals WHERE id = :id", {"id": str(signal_id)}
        )
        if current is None:
            return
        version = self.db.scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 AS v FROM signal_versions WHERE signal_id = :id",
            {"id": str(signal_id)},
        )
        self.db.run(
            "INSERT INTO signal_versions (signal_id, version, value, status, valid_from, valid_to) "
            "VALUES (:id, :v, :value, :status, :since, :at)",
            {
                "id": str(signal_id),
                "v": int(version),
                "value": current["value"],
                "status": current["status"],
                "since": current["updated_at"],
                "at": ts(at),
            },
        )
        self.db.run(
            "UPDATE signals SET value = :value, updated_at = :at WHERE id = :id",
            {"value": to_json(value), "at": ts(at), "id": str(signal_id)},
        )
        self._log_change(signal_id, "value", at)

    def history(self, signal_id: UUID) -> list[SignalVersion]:
        """Return the earlier values of a signal, oldest first."""
        rows = self.db.rows(
            "SELECT * FROM signal_versions WHERE signal_id = :id ORDER BY version", {"id": str(signal_id)}
        )
        return [
            SignalVersion(
                uid(r["signal_id"]),
                int(r["version"]),
                from_json(r["value"]),
                SignalStatus(r["status"]),
                parse_ts(r["valid_from"]),
                parse_ts(r["valid_to"]),
            )
            for r in rows
        ]

    def put_opinion(self, opinion: Opinion) -> None:
        """Record an organization's opinion, replacing its earlier one on the same signal."""
        self.db.run(
            "DELETE FROM opinions WHERE signal_id = :s AND org_id = :o",
            {"s": str(opinion.signal_id), "o": str(opinion.org_id)},
        )
        self.db.run(
            "INSERT INTO opinions (signal_id, org_id, user_id, verdict, note, created_at) "
            "VALUES (:s, :o, :u, :v, :n, :at)",
            {
                "s": str(opinion.signal_id),
                "o": str(opinion.org_id),
                "u": str_or_none(opinion.user_id),
                "v": opinion.verdict.value,
                "n": opinion.note,
                "at": ts(opinion.created_at),
            },
        )

    def false_positives_of(self, org_id: UUID, signal_ids: Sequence[UUID]) -> set[UUID]:
        """Return which of these signals the organization judged a false positive (its suppression list)."""
        found: set[UUID] = set()
        unique = sorted({str(i) for i in signal_ids})
        for start in range(0, len(unique), _IN_BATCH):
            chunk = {f"i{n}": v for n, v in enumerate(unique[start : start + _IN_BATCH])}
            in_list = ", ".join(f":{name}" for name in chunk)
            rows = self.db.rows(
                "SELECT signal_id FROM opinions WHERE org_id = :org AND verdict = :fp"
                f" AND signal_id IN ({in_list})",
                {**chunk, "org": str(org_id), "fp": Verdict.FALSE_POSITIVE.value},
            )
            found.update(uid(r["signal_id"]) for r in rows)
        return found

    def opinions(self, signal_id: UUID) -> list[Opinion]:
        """Return the opinions on a signal, oldest first."""
        rows = self.db.rows(
            "SELECT * FROM opinions WHERE signal_id = :s ORDER BY created_at, org_id", {"s": str(signal_id)}
        )
        return [
            Opinion(
                signal_id=uid(r["signal_id"]),
                org_id=uid(r["org_id"]),
                user_id=uid_or_none(r["user_id"]),
                verdict=Verdict(r["verdict"]),
                note=r["note"],
                created_at=parse_ts(r["created_at"]),
            )
            for r in rows
        ]

    def last_change_seq(self) -> int:
        """Return the sequence number of the latest change (0 when there is none)."""
        return int(self.db.scalar("SELECT COALESCE(MAX(seq), 0) AS s FROM signal_changes") or 0)

    def changes_since(self, seq: int, limit: int) -> list[tuple[int, UUID, str]]:
        """Return up to `limit` entries of the signal change log after `seq`: (seq, signal id, change)."""
        rows = self.db.rows(
            "SELECT seq, signal_id, change FROM signal_changes WHERE seq > :q ORDER BY seq LIMIT :n",
            {"q": seq, "n": limit},
        )
        return [(int(r["seq"]), uid(r["signal_id"]), r["change"]) for r in rows]


def _signal(row: Row, labels: set[str], recipients: set[UUID]) -> Signal:
    return Signal(
        id=uid(row["id"]),
        collection_id=uid(row["collection_id"]),
        org_id=uid(row["org_id"]),
        family=Family(row["family"]),
        kind=row["kind"],
        value=from_json(row["value"]),
        value_key=row["value_key"],
        labels=frozenset(labels),
        marking=Marking(row["marking"]),
        sharing_group_id=uid_or_none(row["sharing_group_id"]),
        status=SignalStatus(row["status"]),
        provenance=Provenance(row["added_by"], row["source"], row["source_ref"]),
        created_at=parse_ts(row["created_at"]),
        updated_at=parse_ts(row["updated_at"]),
        external_id=row["external_id"],
        recipient_ids=frozenset(recipients),
    )
