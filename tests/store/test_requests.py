"""The request repository behaves the same on SQLite and PostgreSQL (each test runs on both backends)."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import PageRequest
from ctexchange.domain.requests import (
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
    may_see_request,
)
from ctexchange.store.base import SqlStore
from tests.store import factories as f

S = RequestStatus


def make_request(
    requesting: UUID,
    requested: UUID,
    n: int = 0,
    *,
    status: RequestStatus = S.DRAFT,
    subjects: tuple[Subject, ...] = (),
    deadline_h: int | None = None,
    urgency: Urgency = Urgency.ROUTINE,
) -> AssistanceRequest:
    """The n-th request, created n seconds after T0; `sent_at` is set for any status but draft."""
    at = f.T0 + timedelta(seconds=n)
    return AssistanceRequest(
        id=uuid4(),
        requesting_org_id=requesting,
        requested_org_id=requested,
        title=f"request {n}",
        legal_basis="UNSCR 2396 (2017)",
        facts="Facts\nin two lines, مع نص عربي",
        offence="recruitment",
        assistance=(AssistanceKind.IDENTIFY, AssistanceKind.PRESERVE_DATA),
        assistance_detail="subscriber data",
        subjects=subjects,
        urgency=urgency,
        urgency_justification="",
        deadline=None if deadline_h is None else f.T0 + timedelta(hours=deadline_h),
        confidentiality=Marking.AMBER_STRICT,
        language="ar",
        reference=f"REF-{n}",
        status=status,
        created_by="user:test",
        created_at=at,
        updated_at=at,
        sent_at=None if status is S.DRAFT else at,
    )


@pytest.fixture
def orgs(store: SqlStore) -> tuple[UUID, UUID, UUID]:
    """Three organizations: a requester, a requested one and a third party."""
    made = [f.org(name) for name in ("requester", "requested", "third")]
    with store.transaction() as uow:
        for org in made:
            uow.members.add_org(org)
    return made[0].id, made[1].id, made[2].id


def test_round_trip_with_subjects_and_replace(store: SqlStore, orgs: tuple[UUID, UUID, UUID]) -> None:
    """A request and its subjects (a linked signal among them) read back equal, through get and lock;
    replace changes the editable fields and the subjects and nothing else."""
    a, b, c = orgs
    coll = f.collection(a, "entities")
    sig = f.signal(coll, 1)
    linked = Subject(SubjectKind.ORGANIZATION, "Example Front", "QDe.999", "", None, (), sig.id)
    described = Subject(SubjectKind.PERSON, "عبد الله", None, "admin of the channel", "1990-02", ("SY", "IQ"))
    original = make_request(a, b, subjects=(linked, described), deadline_h=48)
    with store.transaction() as uow:
        uow.collections.add(coll)
        uow.signals.add(sig)
        uow.requests.add(original)
    with store.snapshot() as uow:
        assert uow.requests.get(original.id) == original
        assert uow.requests.get(uuid4()) is None
    edited = replace(
        original,
        requested_org_id=c,
        title="edited",
        subjects=(described,),
        urgency=Urgency.EMERGENCY,
        urgency_justification="life at risk",
        deadline=None,
        updated_at=f.T0 + timedelta(hours=1),
    )
    with store.transaction() as uow:
        assert uow.requests.lock(original.id) == original
        uow.requests.replace(replace(edited, status=S.CLOSED, created_by="someone else"))
    with store.snapshot() as uow:
        assert uow.requests.get(original.id) == edited


def test_moves_keep_history_sent_at_outcome_and_reason(
    store: SqlStore, orgs: tuple[UUID, UUID, UUID]
) -> None:
    """Each move is numbered in order; sending sets sent_at; the outcome and the reason stay once set."""
    a, b, _ = orgs
    draft = make_request(a, b)
    with store.transaction() as uow:
        uow.requests.add(draft)
    path = [
        (Move.SEND, S.DRAFT, S.SENT, a, None, None),
        (Move.ACKNOWLEDGE, S.SENT, S.ACKNOWLEDGED, b, None, None),
        (Move.START, S.ACKNOWLEDGED, S.IN_PROGRESS, b, None, None),
        (Move.ANSWER, S.IN_PROGRESS, S.ANSWERED, b, Outcome.PARTIAL, None),
        (Move.CLOSE, S.ANSWERED, S.CLOSED, a, None, None),
    ]
    stored = []
    for n, (move, before, after, org, outcome, reason) in enumerate(path, start=1):
        entry = RequestMove(
            draft.id, 0, move, before, after, org, "user:x", f"note {n}", f.T0 + timedelta(hours=n)
        )
        with store.transaction() as uow:
            stored.append(uow.requests.move(entry, outcome, reason))
    assert [m.seq for m in stored] == [1, 2, 3, 4, 5]
    with store.snapshot() as uow:
        assert uow.requests.history(draft.id) == stored
        final = uow.requests.get(draft.id)
    assert final is not None
    assert final.status is S.CLOSED
    assert final.sent_at == f.T0 + timedelta(hours=1)
    assert final.updated_at == f.T0 + timedelta(hours=5)
    assert final.outcome is Outcome.PARTIAL
    assert final.reason == ""
    other = make_request(a, b, 1, status=S.SENT)
    with store.transaction() as uow:
        uow.requests.add(other)
        entry = RequestMove(other.id, 0, Move.DECLINE, S.SENT, S.DECLINED, b, "user:y", "no", f.T0)
        uow.requests.move(entry, None, "outside our jurisdiction")
        uow.requests.move(
            replace(entry, move=Move.CLOSE, from_status=S.DECLINED, to_status=S.CLOSED), None, None
        )
    with store.snapshot() as uow:
        closed = uow.requests.get(other.id)
    assert closed is not None
    assert (closed.status, closed.reason, closed.sent_at) == (
        S.CLOSED,
        "outside our jurisdiction",
        other.sent_at,
    )


def test_lists_follow_the_access_rule(store: SqlStore, orgs: tuple[UUID, UUID, UUID]) -> None:
    """find returns, for every audience, exactly what may_see_request allows, with the filters applied,
    page by page in creation order."""
    a, b, c = orgs
    made = []
    for n, (status, pair, urgency) in enumerate(
        itertools.product(
            [S.DRAFT, S.SENT, S.WITHDRAWN, S.CLOSED],
            [(a, b), (b, a), (c, a)],
            [Urgency.ROUTINE, Urgency.URGENT],
        )
    ):
        made.append(make_request(*pair, n, status=status, urgency=urgency))
    never_sent = replace(
        made[-1], id=uuid4(), status=S.WITHDRAWN, sent_at=None, created_at=f.T0 + timedelta(days=1)
    )
    made.append(never_sent)
    with store.transaction() as uow:
        for r in made:
            uow.requests.add(r)
    audiences = [RequestAudience(o) for o in (a, b, c, uuid4())] + [RequestAudience(a, is_oversight=True)]
    queries = [
        RequestQuery(),
        RequestQuery(status=S.SENT),
        RequestQuery(side=Side.REQUESTED),
        RequestQuery(side=Side.REQUESTING, urgency=Urgency.URGENT),
    ]
    for audience, query in itertools.product(audiences, queries):
        expected = [
            r.id
            for r in made
            if may_see_request(audience, r)
            and (query.status is None or r.status is query.status)
            and (query.urgency is None or r.urgency is query.urgency)
            and (query.side is None or r.side_of(audience.org_id) is query.side)
        ]
        got: list[UUID] = []
        page = PageRequest(4)
        while True:
            with store.snapshot() as uow:
                found = uow.requests.find(query, audience, page)
            got.extend(r.id for r in found.items)
            if found.next_after is None:
                break
            page = PageRequest(4, found.next_after)
        assert got == expected, (audience, query)


def test_overdue_list(store: SqlStore, orgs: tuple[UUID, UUID, UUID]) -> None:
    """overdue returns visible requests past their deadline that still wait, the longest overdue first."""
    a, b, c = orgs
    waiting = [
        make_request(a, b, n, status=s, deadline_h=h)
        for n, (s, h) in enumerate([(S.SENT, 5), (S.IN_PROGRESS, 2)])
    ]
    draft = make_request(a, b, 3, deadline_h=1)
    done = [
        make_request(a, b, 4 + n, status=s, deadline_h=1) for n, s in enumerate(sorted(FINISHED_STATUSES))
    ]
    future = make_request(a, b, 9, status=S.SENT, deadline_h=100)
    undated = make_request(a, b, 10, status=S.SENT)
    theirs = make_request(c, b, 11, status=S.ACKNOWLEDGED, deadline_h=3)
    with store.transaction() as uow:
        for r in [*waiting, draft, *done, future, undated, theirs]:
            uow.requests.add(r)
    now = f.T0 + timedelta(hours=10)
    with store.snapshot() as uow:
        mine = uow.requests.overdue(RequestAudience(a), now, 100)
        received = uow.requests.overdue(RequestAudience(b), now, 100)
        everything = uow.requests.overdue(RequestAudience(c, is_oversight=True), now, 2)
    assert [r.id for r in mine] == [draft.id, waiting[1].id, waiting[0].id]
    assert [r.id for r in received] == [waiting[1].id, theirs.id, waiting[0].id]
    assert [r.id for r in everything] == [draft.id, waiting[1].id]


FINISHED_STATUSES = {S.ANSWERED, S.DECLINED, S.WITHDRAWN, S.CLOSED}


def test_messages_and_attachment_bytes(store: SqlStore, orgs: tuple[UUID, UUID, UUID]) -> None:
    """Messages read back in order; attachment bytes (every byte value, NUL included, and 3 MiB) come
    back exactly, listings carry no bytes, and an attachment is found only under its own request."""
    a, b, _ = orgs
    request, other = make_request(a, b, status=S.SENT), make_request(a, b, 1, status=S.SENT)
    small = bytes(range(256)) * 4
    large = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32)
    files = []
    for n, data in enumerate([small, large]):
        digest = hashlib.sha256(data).hexdigest()
        at = f.T0 + timedelta(minutes=n)
        files.append(
            (
                Attachment(
                    uuid4(),
                    request.id,
                    a,
                    "user:x",
                    f"f{n}.bin",
                    "application/octet-stream",
                    len(data),
                    digest,
                    at,
                ),
                data,
            )
        )
    messages = [
        Message(uuid4(), request.id, org, "user:x", f"message {n}\nلسطر الثاني", f.T0 + timedelta(minutes=n))
        for n, org in enumerate([a, b, a])
    ]
    with store.transaction() as uow:
        uow.requests.add(request)
        uow.requests.add(other)
        for attachment, data in files:
            uow.requests.add_attachment(attachment, data)
        for message in reversed(messages):
            uow.requests.add_message(message)
    with store.snapshot() as uow:
        assert uow.requests.messages(request.id) == messages
        assert uow.requests.message_count(request.id) == 3
        assert uow.requests.message_count(other.id) == 0
        assert uow.requests.attachments(request.id) == [att for att, _ in files]
        for attachment, data in files:
            assert uow.requests.attachment(request.id, attachment.id) == (attachment, data)
            assert uow.requests.attachment(other.id, attachment.id) is None
        assert uow.requests.attachments(other.id) == []
