"""Federation between instances over TAXII 2.1: remotes, resumable pulls, checkpointed pushes.

An instance registers another instance's TAXII API root as a remote (`add`), pulls the collections its
key may read there (`pull`) and pushes its own organization's signals to a collection it may write there
(`push`). No custom protocol: the remote is any TAXII 2.1 server; two ctexchange instances speak the one
under /taxii2/.

Decisions (docs/interop.md explains them for users):
- Only admins of the operator organization federate: a pull creates organizations and collections.
  The key is never stored, only the name of the environment variable that holds it (the CLI reads it).
- Pull, per remote collection: objects are asked `added_after` the checkpoint (less `OVERLAP`, so that a
  remote transaction that committed late with an earlier date is not missed; re-reading is a no-op),
  page by page with `next`. Each page's objects and the checkpoint after it are written in ONE
  transaction, so a run killed at any point resumes from the last committed page: no gap, and no
  duplicate (imports are idempotent by STIX id besides). A remote that no longer knows a `next` value
  makes the run start again from its `added_after`.
- Ownership: a pulled signal is owned by a local record of the organization its `created_by_ref` names
  (an inactive organization with no users, listed in `remote_orgs` with the STIX identity; its id is
  derived from the remote and the identity, so one remote cannot write in the name of an organization
  known through another), in
  a local collection per remote collection and owner, whose sharing group is the remote's: AMBER stays
  AMBER and is seen by the pulling organization, never owned by it. An object without `created_by_ref`
  is owned by a record of the remote itself. An object whose `created_by_ref` is one of this exchange's
  own organizations is our own coming back (a remote's copy of what it pulled from us): not taken.
- Markings carry as they are; RED objects are skipped (their recipients are users of the remote), and
  AMBER+STRICT is held for the pulling organization and never leaves again (TAXII and exports refuse it).
- Withdrawals propagate: a newer version with status expired or delisted moves the local signal (the
  import does it); a `revoked` indicator or threat-actor moves its signal to expired or delisted.
- Push, per local collection of the organization: its CLEAR, GREEN and AMBER signals changed since the
  push checkpoint, in (updated_at, id) order, in batches, POSTed with the identities and markings they
  need; the status resource is polled until complete; the checkpoint advances over the batch's leading
  run of accepted objects only, so a refused object is sent again next time (and stops the run).
  AMBER+STRICT and RED never leave, and signals pulled from elsewhere are never pushed (they are not
  the organization's own).
- `Checkpoint`, `Direction` and `Remote` are re-exported for the CLI, which does not import the store.
- Every pull of a collection and every pushed batch is audited (`remote.pull`, `remote.push`), as is
  every organization, collection and signal a pull creates or changes.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4

from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Organization, OrgKind, SharingGroup
from ctexchange.domain.signals import Collection, Family, Signal, SignalStatus, check_status_move
from ctexchange.domain.text import clean_name
from ctexchange.errors import Conflict, InvalidInput, NotFound, StoreUnavailable
from ctexchange.interop.federation_client import Envelope, TaxiiClient, check_root_url
from ctexchange.interop.stix import (
    ParsedStix,
    SignalDraft,
    Unmapped,
    exchange_identity,
    extension_definition,
    marking_definition,
    organization_identity,
    parse_objects,
    parse_stix_time,
    signal_object,
    signal_stix_id,
    split_stix_id,
    stix_time,
)
from ctexchange.service.access import audience, owned_collection, require_coalition_admin
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.service.stix import TAXII_MARKINGS, Outcome, StixImportReport, StixService
from ctexchange.store.protocol import Store, UnitOfWork
from ctexchange.store.remotes import Checkpoint as Checkpoint
from ctexchange.store.remotes import Direction as Direction
from ctexchange.store.remotes import Remote as Remote
from ctexchange.store.taxii import TaxiiQuery

OVERLAP = timedelta(seconds=60)
PAGE_LIMIT_DEFAULT = 100
PAGE_LIMIT_MAX = 1000
PUSH_BATCH = 100
STATUS_POLLS = 120
STATUS_POLL_S = 1.0
MAX_SKIPS_SHOWN = 20
SOURCE = "federation"
REMOTE_NAMESPACE = UUID("3c0f2d41-5a8e-4f1c-9d0b-8f6a1e2c7b55")
_REMOTE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
_WITHDRAWN = frozenset({SignalStatus.EXPIRED, SignalStatus.DELISTED})


class RemoteApi(Protocol):
    """What federation asks of a remote TAXII server (`TaxiiClient`; tests may pass another)."""

    def collections(self) -> list[dict[str, Any]]: ...
    def objects(
        self, collection_id: str, added_after: str | None, next_page: str | None, limit: int
    ) -> Envelope: ...
    def object(self, collection_id: str, object_id: str) -> dict[str, Any] | None: ...
    def add_objects(self, collection_id: str, objects: list[dict[str, Any]]) -> dict[str, Any]: ...
    def status(self, status_id: str) -> dict[str, Any]: ...


ClientFactory = Callable[[str, str, str], RemoteApi]


@dataclass
class CollectionPull:
    """What one pull of one remote collection did."""

    remote_collection: str
    title: str
    pages: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    added_after: str | None = None

    def add(self, outcome: str, n: int = 1) -> None:
        """Count `n` objects with this outcome."""
        self.counts[outcome] = self.counts.get(outcome, 0) + n


@dataclass
class CollectionPush:
    """What one push of one local collection did."""

    collection: str
    remote_collection: str
    batches: int = 0
    sent: int = 0
    accepted: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RemoteView:
    """A remote with its checkpoints and how many pulled objects it holds here."""

    remote: Remote
    checkpoints: tuple[Checkpoint, ...]
    objects: int


def check_remote_name(raw: str) -> str:
    """Return a remote name (lowercase letters, digits, hyphens; up to 40); InvalidInput otherwise."""
    if not isinstance(raw, str) or not _REMOTE_NAME.match(raw):
        raise InvalidInput.expected("name", "lowercase letters, digits and hyphens (up to 40)", raw)
    return raw


def check_key_env(raw: str) -> str:
    """Return the name of an environment variable (`PARTNER_KEY`); InvalidInput otherwise."""
    if not isinstance(raw, str) or not _ENV_NAME.match(raw):
        raise InvalidInput.expected(
            "key_env", "the NAME of an environment variable (A-Z, 0-9, _), not the key", raw
        )
    return raw


class FederationService:
    """Remotes, and pulls and pushes over TAXII 2.1."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        stix: StixService,
        client_factory: ClientFactory = TaxiiClient,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.clock = clock
        self.stix = stix
        self.client_factory = client_factory
        self.sleep = sleep

    # Remotes --------------------------------------------------------------------------------------------

    def add(self, caller: Caller, name: str, url: str, key_env: str) -> Remote:
        """Register a remote API root; its AMBER signals will be seen through a new sharing group."""
        require_coalition_admin(caller)
        name, url, key_env = check_remote_name(name), check_root_url(url), check_key_env(key_env)
        now = self.clock()
        org_id = caller.principal.org_id
        group = SharingGroup(uuid4(), f"remote:{name}", org_id, now, frozenset({org_id}))
        remote = Remote(uuid4(), name, url, key_env, org_id, group.id, now)
        with self.store.transaction() as uow:
            if uow.remotes.by_name(name) is not None:
                raise Conflict(f"a remote named '{name}' exists already", field="name")
            uow.groups.add_group(group)
            uow.remotes.add(remote)
            record(
                uow,
                caller,
                self.clock,
                "group.create",
                ("sharing_group", group.id, org_id),
                {"members": [str(org_id)], "remote": name},
            )
            record(
                uow,
                caller,
                self.clock,
                "remote.add",
                ("remote", remote.id, org_id),
                {"name": name, "url": url, "key_env": key_env},
            )
        return remote

    def remotes(self, caller: Caller) -> list[RemoteView]:
        """Return every remote with its checkpoints."""
        require_coalition_admin(caller)
        with self.store.snapshot() as uow:
            return [
                RemoteView(r, tuple(uow.remotes.checkpoints(r.id)), uow.remotes.object_count(r.id))
                for r in uow.remotes.all()
            ]

    def remote(self, caller: Caller, name: str) -> Remote:
        """Return one remote by name; NotFound otherwise."""
        require_coalition_admin(caller)
        with self.store.snapshot() as uow:
            found = uow.remotes.by_name(name)
        if found is None:
            raise NotFound(f"no remote named '{name}'", field="name")
        return found

    def _client(self, remote: Remote, key: str) -> RemoteApi:
        if not key:
            raise InvalidInput(
                f"the environment variable {remote.key_env} must hold the key of remote '{remote.name}'",
                field="key_env",
            )
        return self.client_factory(remote.name, remote.url, key)

    # Pull -----------------------------------------------------------------------------------------------

    def pull(
        self,
        caller: Caller,
        name: str,
        key: str,
        collections: Sequence[str] = (),
        limit: int = PAGE_LIMIT_DEFAULT,
        *,
        is_full: bool = False,
    ) -> list[CollectionPull]:
        """Pull the remote's readable collections (or those named by id) from their checkpoints.

        `is_full` reads each collection from its start instead (what is held already is `unchanged`).
        """
        remote = self.remote(caller, name)
        if not 1 <= limit <= PAGE_LIMIT_MAX:
            raise InvalidInput.expected("limit", f"an integer from 1 to {PAGE_LIMIT_MAX}", limit)
        client = self._client(remote, key)
        listed = client.collections()
        chosen = _pull_choice(remote, listed, collections)
        return [self._pull_collection(caller, remote, client, c, limit, is_full) for c in chosen]

    def _pull_collection(
        self,
        caller: Caller,
        remote: Remote,
        client: RemoteApi,
        resource: Mapping[str, Any],
        limit: int,
        is_full: bool,
    ) -> CollectionPull:
        scope = str(resource["id"])
        report = CollectionPull(scope, str(resource.get("title", scope)))
        with self.store.snapshot() as uow:
            checkpoint = None if is_full else uow.remotes.checkpoint(remote.id, Direction.PULL, scope)
        base = checkpoint.added_after if checkpoint is not None else None
        run_after: str | None
        next_page: str | None
        run_last: str | None
        if checkpoint is not None and checkpoint.is_running:
            run_after, next_page, run_last = checkpoint.run_after, checkpoint.next_page, checkpoint.run_last
        else:
            run_after, next_page, run_last = _with_overlap(base), None, None
        has_restarted = False
        names: dict[str, object] = {}
        while True:
            try:
                page = client.objects(scope, run_after, next_page, limit)
            except InvalidInput:
                if next_page is None or has_restarted:
                    raise
                next_page, has_restarted = None, True  # the remote forgot its `next`: read the run again
                continue
            run_last = _later(run_last, page.date_added_last)
            is_done = not page.more
            if page.more and page.next is None:  # paging by date only: the next page starts after this one
                if page.date_added_last is None:
                    raise StoreUnavailable(
                        f"remote '{remote.name}' says more objects follow but gives neither 'next' nor"
                        " X-TAXII-Date-Added-Last to ask for them",
                        field="remote",
                    )
                run_after = page.date_added_last
            self._learn_names(client, remote, scope, page.objects, names)
            try:
                with self.store.transaction() as uow:
                    self._apply(uow, caller, remote, resource, page.objects, names, report)
                    uow.remotes.put_checkpoint(
                        Checkpoint(
                            remote.id,
                            Direction.PULL,
                            scope,
                            self.clock(),
                            added_after=(run_last or base) if is_done else base,
                            run_after=None if is_done else run_after,
                            next_page=None if is_done else page.next,
                            run_last=None if is_done else run_last,
                        )
                    )
            except InvalidInput as exc:  # a page the remote got wrong: stop here, the checkpoint stays
                raise InvalidInput(
                    f"remote '{remote.name}', collection {scope}, page {report.pages + 1}: {exc.message}",
                    field=exc.field,
                ) from None
            report.pages += 1
            if is_done:
                report.added_after = run_last or base
                break
            next_page = page.next
        with self.store.transaction() as uow:
            record(
                uow,
                caller,
                self.clock,
                "remote.pull",
                ("remote", remote.id, remote.org_id),
                {
                    "collection": scope,
                    "pages": report.pages,
                    **report.counts,
                    "added_after": report.added_after,
                },
            )
        return report

    def _apply(
        self,
        uow: UnitOfWork,
        caller: Caller,
        remote: Remote,
        resource: Mapping[str, Any],
        objects: Sequence[dict[str, Any]],
        names: Mapping[str, object],
        report: CollectionPull,
    ) -> None:
        """Import one page: drafts grouped by owner into their local collections, revocations applied."""
        parsed = parse_objects(objects)
        by_owner: dict[UUID, list[SignalDraft]] = {}
        for draft in parsed.drafts:
            reason = None
            if draft.marking is Marking.RED:
                reason = "TLP:RED names recipients who are users of the remote exchange: not held here"
            owner = None if reason else self._owner(uow, caller, remote, objects[draft.index], names)
            if reason is None and owner is None:
                reason = "made by an organization of this exchange: our own, coming back"
            if reason is not None or owner is None:
                report.add(Outcome.SKIPPED.value)
                _note(report, draft.stix_id, reason or "")
                continue
            by_owner.setdefault(owner, []).append(draft)
        report.add(Outcome.CONTEXT.value, len(parsed.context))
        for owner, drafts in by_owner.items():
            target = self._collection(uow, caller, remote, resource, owner)
            imported = self.stix.import_parsed(uow, caller, target, ParsedStix(tuple(drafts), (), ()), SOURCE)
            self._remember(uow, remote, imported)
            for outcome in imported.objects:
                report.add(outcome.outcome.value)
                if outcome.outcome is Outcome.SKIPPED:
                    _note(report, outcome.stix_id, outcome.message)
        for item in parsed.unmapped:
            if self._revoke(uow, caller, remote, item):
                report.add("withdrawn")
            else:
                report.add(Outcome.SKIPPED.value)
                _note(report, item.stix_id, item.reason)

    def _learn_names(
        self,
        client: RemoteApi,
        remote: Remote,
        scope: str,
        objects: Sequence[dict[str, Any]],
        names: dict[str, object],
    ) -> None:
        """Remember the names of identities; ask the remote for those the page's objects need but lack.

        Done before the page's transaction, so that no HTTP call runs while the store is locked. An
        organization already held here needs no name.
        """
        names.update((o["id"], o.get("name")) for o in objects if o.get("type") == "identity" and "id" in o)
        wanted = {o.get("created_by_ref") for o in objects} - set(names)
        for ref in sorted(r for r in wanted if isinstance(r, str)):
            parts = split_stix_id(ref)
            if parts is None or parts[0] != "identity":
                continue
            with self.store.snapshot() as uow:
                if uow.members.org(remote_org_id(remote, ref)) is not None:
                    continue
            found = client.object(scope, ref)
            names[ref] = None if found is None else found.get("name")

    def _owner(
        self,
        uow: UnitOfWork,
        caller: Caller,
        remote: Remote,
        obj: Mapping[str, Any],
        names: Mapping[str, object],
    ) -> UUID | None:
        """Return the local record of the object's creator (made on first sight); None for our own."""
        creator = obj.get("created_by_ref")
        parts = split_stix_id(creator) if isinstance(creator, str) else None
        name: object
        if parts is None or parts[0] != "identity":
            stix_id, name = "", remote.name
        else:
            own = uow.members.org(parts[1])
            if own is not None and uow.remotes.org_remote(own.id) is None:
                return None  # one of this exchange's own organizations: our own, coming back
            stix_id, name = str(creator), names.get(str(creator))
        org_id = remote_org_id(remote, stix_id)
        if uow.members.org(org_id) is not None:
            return org_id
        org = Organization(
            org_id, self._org_name(uow, remote, name, org_id), OrgKind.OTHER, False, False, self.clock()
        )
        uow.members.add_org(org)
        uow.remotes.add_org(org_id, remote.id, stix_id, org.created_at)
        record(
            uow,
            caller,
            self.clock,
            "org.create",
            ("organization", org.id, org.id),
            {"name": org.name, "remote": remote.name, "stix_id": stix_id},
        )
        return org_id

    @staticmethod
    def _org_name(uow: UnitOfWork, remote: Remote, raw: object, org_id: UUID) -> str:
        try:
            base = clean_name(raw, "name", max_chars=80) if raw else f"{remote.name} organization"
        except InvalidInput:
            base = f"{remote.name} organization"
        for candidate in (base, f"{base} (via {remote.name})", f"{base} ({str(org_id)[:8]})"):
            if uow.members.org_by_name(candidate) is None:
                return candidate
        return f"{remote.name}:{org_id}"

    def _collection(
        self, uow: UnitOfWork, caller: Caller, remote: Remote, resource: Mapping[str, Any], owner: UUID
    ) -> Collection:
        """Return the local collection of a remote collection and owner (made on first use)."""
        remote_id = str(resource["id"])
        known = uow.remotes.collection_for(remote.id, remote_id, owner)
        found = None if known is None else uow.collections.get(known)
        if found is not None:
            return found
        title = str(resource.get("title") or remote_id).replace("/", "-")
        try:
            base = clean_name(title, "title", max_chars=80)
        except InvalidInput:
            base = remote_id
        name = next(
            n
            for n in (base, f"{base} (via {remote.name})", f"{base} ({remote_id[:8]})", remote_id)
            if uow.collections.by_name(owner, n) is None
        )
        created = Collection(
            uuid4(),
            name,
            owner,
            Marking.AMBER,
            remote.group_id,
            f"pulled from remote {remote.name}, collection {remote_id}",
            {},
            self.clock(),
        )
        uow.collections.add(created)
        uow.remotes.add_collection(remote.id, remote_id, owner, created.id)
        record(
            uow,
            caller,
            self.clock,
            "collection.create",
            ("collection", created.id, owner),
            {"name": name, "marking": created.default_marking.value, "remote": remote.name},
        )
        return created

    @staticmethod
    def _remember(uow: UnitOfWork, remote: Remote, imported: StixImportReport) -> None:
        """Map each pulled STIX id to the signal it is held as (not to a same value from elsewhere)."""
        unchanged = [o.signal_id for o in imported.objects if o.outcome is Outcome.UNCHANGED and o.signal_id]
        held = uow.signals.get_many(unchanged) if unchanged else {}
        for outcome in imported.objects:
            if outcome.signal_id is None:
                continue
            if outcome.outcome is Outcome.UNCHANGED:
                signal = held.get(outcome.signal_id)
                if signal is None or signal.provenance.source_ref != outcome.stix_id:
                    continue
            uow.remotes.put_object(remote.id, outcome.stix_id, outcome.signal_id)

    def _revoke(self, uow: UnitOfWork, caller: Caller, remote: Remote, item: Unmapped) -> bool:
        """Withdraw (content) or delist (entity) the signal a revoked object was pulled as."""
        if item.obj.get("revoked") is not True:
            return False
        signal_id = uow.remotes.object_signal(remote.id, item.stix_id)
        signal = None if signal_id is None else uow.signals.get(signal_id)
        if signal is None:
            return False
        target = SignalStatus.DELISTED if signal.family is Family.ENTITY else SignalStatus.EXPIRED
        if signal.status in _WITHDRAWN:
            return True
        check_status_move(signal.status, target)
        uow.signals.set_status(signal.id, target, self.clock())
        record(
            uow,
            caller,
            self.clock,
            "signal.status",
            ("signal", signal.id, signal.org_id),
            {
                "from": signal.status.value,
                "to": target.value,
                "reason": f"revoked at remote {remote.name}",
                "stix_id": item.stix_id,
            },
        )
        return True

    # Push -----------------------------------------------------------------------------------------------

    def push(
        self,
        caller: Caller,
        name: str,
        key: str,
        to: str | None = None,
        collections: Sequence[str] = (),
    ) -> list[CollectionPush]:
        """Push the organization's own collections (or those named) to a remote collection it may write."""
        remote = self.remote(caller, name)
        client = self._client(remote, key)
        target = _push_target(remote, client.collections(), to)
        with self.store.snapshot() as uow:
            if collections:
                local = [owned_collection(uow, caller, ref) for ref in collections]
            else:
                org_id = caller.principal.org_id
                local = [c for c in uow.collections.visible(audience(caller)) if c.org_id == org_id]
            org = uow.members.org(caller.principal.org_id)
        if org is None:
            raise StoreUnavailable("the operator organization is missing: run 'ctx init'")
        return [self._push_collection(caller, remote, client, org, c, target) for c in local]

    def _push_collection(
        self,
        caller: Caller,
        remote: Remote,
        client: RemoteApi,
        org: Organization,
        collection: Collection,
        target: str,
    ) -> CollectionPush:
        scope = f"{collection.id}>{target}"
        report = CollectionPush(collection.name, target)
        with self.store.snapshot() as uow:
            checkpoint = uow.remotes.checkpoint(remote.id, Direction.PUSH, scope)
        position = None
        if checkpoint is not None and checkpoint.position_at is not None and checkpoint.position_id:
            position = (checkpoint.position_at, checkpoint.position_id)
        query = TaxiiQuery(collection.id, TAXII_MARKINGS)
        while True:
            with self.store.snapshot() as uow:
                found = uow.taxii.signals(query, audience(caller), position, PUSH_BATCH + 1)
            batch = [s for s in found if position is None or (s.updated_at, s.id) > position][:PUSH_BATCH]
            if not batch:
                break
            accepted, failures = self._send(client, org, target, batch)
            report.batches += 1
            report.sent += len(batch)
            leading = list(_leading(batch, accepted))
            report.accepted += len(leading)
            report.failures += failures
            if leading:
                position = (leading[-1].updated_at, leading[-1].id)
            with self.store.transaction() as uow:
                if leading:
                    uow.remotes.put_checkpoint(
                        Checkpoint(
                            remote.id,
                            Direction.PUSH,
                            scope,
                            self.clock(),
                            position_at=position[0] if position else None,
                            position_id=position[1] if position else None,
                        )
                    )
                record(
                    uow,
                    caller,
                    self.clock,
                    "remote.push",
                    ("remote", remote.id, remote.org_id),
                    {
                        "collection_id": str(collection.id),
                        "remote_collection": target,
                        "sent": len(batch),
                        "accepted": len(leading),
                        "failures": len(failures),
                    },
                )
            if len(leading) < len(batch):
                break
        return report

    def _send(
        self, client: RemoteApi, org: Organization, target: str, batch: Sequence[Signal]
    ) -> tuple[set[str], list[tuple[str, str]]]:
        """POST one batch and poll its status until complete; return accepted ids and failures."""
        markings = sorted({s.marking for s in batch}, key=list(Marking).index)
        objects = [
            exchange_identity(),
            extension_definition(),
            organization_identity(org),
            *(marking_definition(m) for m in markings),
            *(signal_object(s) for s in batch),
        ]
        status = client.add_objects(target, objects)
        for _ in range(STATUS_POLLS):
            if status.get("status") == "complete" or not isinstance(status.get("id"), str):
                break
            self.sleep(STATUS_POLL_S)
            status = client.status(status["id"])
        accepted = {str(d.get("id")) for d in _details(status, "successes")}
        failures = [(str(d.get("id")), str(d.get("message", ""))[:300]) for d in _details(status, "failures")]
        if status.get("status") != "complete":
            pending = [
                (str(d.get("id")), "still pending at the remote") for d in _details(status, "pendings")
            ]
            failures += pending
        return accepted, failures


def _details(status: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    found = status.get(key, [])
    return [d for d in found if isinstance(d, Mapping)] if isinstance(found, list) else []


def remote_org_id(remote: Remote, stix_id: str) -> UUID:
    """Return the id of the local record of a remote's organization (`stix_id` "" for the remote itself).

    Derived from the remote and the STIX identity, so that one remote can never write in the name of an
    organization known through another (nor claim one before it arrives).
    """
    return uuid.uuid5(REMOTE_NAMESPACE, f"{remote.id}|{stix_id}")


def _note(report: CollectionPull, stix_id: str, reason: str) -> None:
    if len(report.skipped) < MAX_SKIPS_SHOWN:
        report.skipped.append(f"{stix_id}: {reason}")


def _leading(batch: Sequence[Signal], accepted: set[str]) -> Iterator[Signal]:
    """The signals of a batch up to (not including) the first one the remote did not accept."""
    for signal in batch:
        if signal_stix_id(signal) not in accepted:
            return
        yield signal


def _with_overlap(added_after: str | None) -> str | None:
    if added_after is None:
        return None
    return stix_time(parse_stix_time(added_after, "added_after") - OVERLAP)


def _later(current: str | None, candidate: str | None) -> str | None:
    if candidate is None:
        return current
    if current is None:
        return candidate
    first, second = parse_stix_time(current, "added_after"), parse_stix_time(candidate, "date_added")
    return candidate if second > first else current


def _pull_choice(
    remote: Remote, listed: Sequence[Mapping[str, Any]], wanted: Sequence[str]
) -> list[Mapping[str, Any]]:
    """The collections to pull: those named, else every one the key may read and does not own there."""
    by_id = {str(c["id"]): c for c in listed}
    if wanted:
        chosen = []
        for ref in dict.fromkeys(wanted):
            found = by_id.get(ref)
            if found is None or found.get("can_read") is not True:
                raise NotFound(
                    f"remote '{remote.name}' has no collection '{ref}' you may read", field="collection"
                )
            chosen.append(found)
        return chosen
    # A collection the key may write is its own organization's there: what this exchange pushed.
    return [c for c in listed if c.get("can_read") is True and c.get("can_write") is not True]


def _push_target(remote: Remote, listed: Sequence[Mapping[str, Any]], to: str | None) -> str:
    writable = [str(c["id"]) for c in listed if c.get("can_write") is True]
    if to is not None:
        if to not in writable:
            raise NotFound(f"remote '{remote.name}' has no collection '{to}' you may write", field="to")
        return to
    if len(writable) != 1:
        raise InvalidInput.expected(
            "to", f"one of the collections you may write at remote '{remote.name}'", writable
        )
    return writable[0]
