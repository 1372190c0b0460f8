"""Requests for assistance through the service: every transition by every side, access, validation,
linked subjects, messages, attachments, the overdue list and the audit trail."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ctexchange.domain.queries import AuditQuery, PageRequest
from ctexchange.domain.requests import (
    MAX_ATTACHMENT_BYTES,
    MOVE_RULES,
    STATUS_MOVES,
    Move,
    RequestQuery,
    RequestStatus,
    Side,
)
from ctexchange.errors import (
    CtxError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PayloadTooLarge,
)
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.requests import RequestDraft, RequestService, SubjectIn
from ctexchange.service.signals import NewSignal

S = RequestStatus
PATHS: dict[RequestStatus, list[Move]] = {
    S.DRAFT: [],
    S.SENT: [Move.SEND],
    S.ACKNOWLEDGED: [Move.SEND, Move.ACKNOWLEDGE],
    S.IN_PROGRESS: [Move.SEND, Move.ACKNOWLEDGE, Move.START],
    S.ANSWERED: [Move.SEND, Move.ACKNOWLEDGE, Move.START, Move.ANSWER],
    S.DECLINED: [Move.SEND, Move.DECLINE],
    S.WITHDRAWN: [Move.SEND, Move.WITHDRAW],
    S.CLOSED: [Move.SEND, Move.WITHDRAW, Move.CLOSE],
}


def entity(name: str, reference: str) -> dict[str, object]:
    """The JSON value of a designated person signal."""
    return {
        "schema": "Person",
        "names": [{"text": name}],
        "listing": {"source": "UN", "reference": reference, "program": "ISIL (Da'esh) and Al-Qaida"},
    }


def draft(**changes: object) -> RequestDraft:
    """A complete, valid draft from the caller to `platform`, with `changes`."""
    base = RequestDraft(
        requested_org="platform",
        title="Preserve subscriber data of a recruitment channel",
        legal_basis="UNSCR 2396 (2017), para. 13",
        facts="Since January the channel posts recruitment videos.\nIt names an admin.",
        offence="Recruitment for a terrorist organization",
        assistance=("preserve_data", "identify"),
        subjects=(SubjectIn(name="Abu Example", birth_date="1994", nationalities=("TJ",)),),
        deadline="2027-06-30",
        reference="RATS/2026/0147",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass
class World:
    """The exchange, and callers of the requesting agency, the requested platform and others."""

    ex: Exchange
    operator: Caller
    rats: Caller
    rats_reviewer: Caller
    platform: Caller
    platform_auditor: Caller
    outsider: Caller
    oversight: Caller
    service_key: Caller

    @property
    def svc(self) -> RequestService:
        """The request service."""
        return self.ex.requests

    def caller_of(self, side: Side) -> Caller:
        """The analyst of the requesting (rats) or requested (platform) side."""
        return self.rats if side is Side.REQUESTING else self.platform

    def make(self, move: Move, request_id: UUID) -> None:
        """Make `move` as the side it belongs to."""
        caller = self.caller_of(MOVE_RULES[move].side)
        outcome = "full" if move is Move.ANSWER else None
        self.svc.move(caller, request_id, move.value, "because", outcome)

    def refresh(self) -> None:
        """Read the requesting analyst's sharing groups again, as its next request would."""
        with self.ex.store.snapshot() as uow:
            groups = uow.groups.groups_of(self.rats.principal.org_id)
        self.rats = replace(self.rats, principal=replace(self.rats.principal, group_ids=groups))

    def reach(self, status: RequestStatus, **changes: object) -> UUID:
        """Create a request from rats to platform and bring it to `status` by the shortest legal path."""
        request = self.svc.create(self.rats, draft(**changes))
        for move in PATHS[status]:
            self.make(move, request.id)
        return request.id


def _member(ex: Exchange, operator: Caller, org: str, user: str, role: str) -> Caller:
    if org not in {o.name for o in ex.members.orgs(operator)}:
        ex.members.create_org(operator, org, "national-agency")
    ex.members.create_user(operator, org, user, role)
    return ex.auth.authenticate(ex.members.create_key(operator, user, "k").text, "test")


def build_world(ex: Exchange) -> World:
    """Every party of the tests, in one exchange."""
    op = ex.operator("test")
    return World(
        ex=ex,
        operator=op,
        rats=_member(ex, op, "rats", "rats-analyst", "analyst"),
        rats_reviewer=_member(ex, op, "rats", "rats-reviewer", "reviewer"),
        platform=_member(ex, op, "platform", "platform-analyst", "analyst"),
        platform_auditor=_member(ex, op, "platform", "platform-auditor", "auditor"),
        outsider=_member(ex, op, "outsider", "outsider-analyst", "analyst"),
        oversight=_member(ex, op, "coalition", "coalition-auditor", "auditor"),
        service_key=_member(ex, op, "rats", "rats-pipeline", "service"),
    )


@pytest.fixture
def world(exchange: Exchange) -> World:
    """The parties, on SQLite."""
    return build_world(exchange)


@pytest.fixture
def any_world(any_exchange: Exchange) -> World:
    """The parties, on each backend."""
    return build_world(any_exchange)


def _request_events(
    ex: Exchange, request_id: UUID
) -> list[tuple[str, UUID | None, UUID | None, dict[str, object]]]:
    with ex.store.snapshot() as uow:
        events = uow.audit.events(AuditQuery(object_id=str(request_id), limit=1000))
    return [(e.entry.action, e.entry.org_id, e.entry.object_org_id, dict(e.entry.details)) for e in events]


def test_lifecycle_from_draft_to_closed(any_world: World) -> None:
    """A request goes draft → sent → acknowledged → in_progress → answered → closed; each move is in its
    history and audited once, owned by the other party once sent (by the requester while a draft)."""
    w = any_world
    created = w.svc.create(w.rats, draft())
    assert (created.status, created.sent_at, created.outcome) == (S.DRAFT, None, None)
    rats_id, platform_id = w.rats.principal.org_id, w.platform.principal.org_id
    sent = w.svc.send(w.rats, created.id, "please treat as urgent")
    assert sent.status is S.SENT and sent.sent_at is not None
    w.svc.acknowledge(w.platform, created.id)
    w.svc.start(w.platform, created.id, "assigned to the cyber unit")
    answered = w.svc.answer(w.platform, created.id, "partial", "IP logs before March are gone")
    assert (answered.status, answered.outcome) == (S.ANSWERED, "partial")
    closed = w.svc.close(w.rats, created.id, "thank you")
    assert closed.status is S.CLOSED
    detail = w.svc.get(w.platform, created.id)
    assert [(m.seq, m.move, m.to_status, m.org_id) for m in detail.history] == [
        (1, Move.SEND, S.SENT, rats_id),
        (2, Move.ACKNOWLEDGE, S.ACKNOWLEDGED, platform_id),
        (3, Move.START, S.IN_PROGRESS, platform_id),
        (4, Move.ANSWER, S.ANSWERED, platform_id),
        (5, Move.CLOSE, S.CLOSED, rats_id),
    ]
    assert detail.history[3].note == "IP logs before March are gone"
    writes = [e for e in _request_events(w.ex, created.id) if not e[0].endswith((".read", ".list"))]
    assert [(a, org, owner) for a, org, owner, _ in writes] == [
        ("request.create", rats_id, rats_id),
        ("request.send", rats_id, platform_id),
        ("request.acknowledge", platform_id, rats_id),
        ("request.start", platform_id, rats_id),
        ("request.answer", platform_id, rats_id),
        ("request.close", rats_id, platform_id),
    ]
    assert writes[4][3] == {"from": "in_progress", "to": "answered", "seq": 4, "outcome": "partial"}


@pytest.mark.parametrize(("status", "move"), list(itertools.product(S, Move)))
def test_every_move_from_every_status(world: World, status: RequestStatus, move: Move) -> None:
    """From each status, each move by its own side succeeds exactly when the state machine allows it,
    else InvalidTransition names the state and the target; the other side is refused (Forbidden); the
    requested side facing a draft, which it cannot see, gets NotFound; nothing changes on a refusal."""
    rid = world.reach(status)
    rule = MOVE_RULES[move]
    other = Side.REQUESTED if rule.side is Side.REQUESTING else Side.REQUESTING
    expected_other: type[CtxError] = NotFound if status is S.DRAFT and other is Side.REQUESTED else Forbidden
    with pytest.raises(expected_other):
        world.svc.move(
            world.caller_of(other), rid, move.value, "because", "full" if move is Move.ANSWER else None
        )
    if rule.target in STATUS_MOVES[status]:
        world.make(move, rid)
        assert world.svc.get(world.rats, rid).request.status is rule.target
        return
    if status is S.DRAFT and rule.side is Side.REQUESTED:
        with pytest.raises(NotFound):
            world.make(move, rid)
    else:
        with pytest.raises(InvalidTransition) as info:
            world.make(move, rid)
        assert f"a request cannot move from '{status.value}' to '{rule.target.value}'" in info.value.message
    detail = world.svc.get(world.rats, rid)
    assert detail.request.status is status
    assert len(detail.history) == len(PATHS[status])


def test_decline_and_withdraw_need_a_reason_and_keep_it(world: World) -> None:
    """Declining and withdrawing without a reason is refused naming 'reason'; the reason is kept."""
    declined, withdrawn = world.reach(S.SENT), world.reach(S.DRAFT)
    for call in (
        lambda: world.svc.decline(world.platform, declined, "  "),
        lambda: world.svc.withdraw(world.rats, withdrawn, ""),
    ):
        with pytest.raises(InvalidInput) as info:
            call()
        assert info.value.field == "reason"
    assert world.svc.decline(world.platform, declined, "outside our jurisdiction").reason == (
        "outside our jurisdiction"
    )
    abandoned = world.svc.withdraw(world.rats, withdrawn, "handled nationally")
    assert (abandoned.status, abandoned.sent_at) == (S.WITHDRAWN, None)
    with pytest.raises(NotFound):
        world.svc.get(world.platform, withdrawn)


def test_answers_name_their_outcome(world: World) -> None:
    """An answer must be full or partial, and a partial one must say what it leaves out."""
    rid = world.reach(S.IN_PROGRESS)
    with pytest.raises(InvalidInput) as bad:
        world.svc.answer(world.platform, rid, "mostly")
    assert bad.value.field == "outcome"
    with pytest.raises(InvalidInput) as bare:
        world.svc.answer(world.platform, rid, "partial", "")
    assert bare.value.field == "note"
    with pytest.raises(InvalidInput) as stray:
        world.svc.move(world.platform, rid, "start", outcome="full")
    assert stray.value.field == "outcome"
    assert world.svc.answer(world.platform, rid, "FULL").outcome == "full"


def _every_call(
    world: World, caller: Caller, target: UUID, attachment_id: UUID
) -> list[Callable[[], object]]:
    """Every read and write of the service on one request, made by `caller`."""
    svc = world.svc
    return [
        lambda: svc.get(caller, target),
        lambda: svc.messages(caller, target),
        lambda: svc.attachments(caller, target),
        lambda: svc.attachment(caller, target, attachment_id),
        lambda: svc.post_message(caller, target, "hello"),
        lambda: svc.attach(caller, target, "b.txt", b"x"),
        lambda: svc.withdraw(caller, target, "mine now"),
        lambda: svc.update(caller, target, draft()),
    ]


def test_third_parties_get_exactly_the_not_found_of_an_absent_id(world: World) -> None:
    """Every read and write of another pair's request answers a third organization, and the operator's
    own admin, NotFound with the message an absent id gets."""
    rid = world.reach(S.IN_PROGRESS)
    attachment = world.svc.attach(world.rats, rid, "a.txt", b"data")
    absent = uuid4()
    for caller, target in itertools.product((world.outsider, world.operator), (rid, absent)):
        for call in _every_call(world, caller, target, attachment.id):
            with pytest.raises(NotFound) as info:
                call()
            assert info.value.message == f"request {target} not found"
            assert info.value.field == "request_id"
    assert world.svc.find(world.outsider, RequestQuery(), PageRequest(50)).items == []
    with pytest.raises(NotFound) as bad_id:
        world.svc.get(world.outsider, "not-an-id")
    assert bad_id.value.message == "request not-an-id not found"


def test_drafts_are_the_requesters_alone_until_sent(world: World) -> None:
    """The requested side cannot see a draft, in a get or a list, and sees it once sent."""
    rid = world.reach(S.DRAFT)
    with pytest.raises(NotFound):
        world.svc.get(world.platform, rid)
    assert world.svc.find(world.platform, RequestQuery(), PageRequest(50)).items == []
    world.svc.send(world.rats, rid)
    [seen] = world.svc.find(world.platform, RequestQuery(side=Side.REQUESTED), PageRequest(50)).items
    assert seen.id == rid
    assert world.svc.find(world.platform, RequestQuery(side=Side.REQUESTING), PageRequest(50)).items == []


def test_auditors_read_and_oversee_but_never_write(world: World) -> None:
    """The requested party's auditor reads its sent requests; the operator's auditors read every request,
    drafts included; neither may write; a reviewer reads, a service key may not even read."""
    sent, other_draft = world.reach(S.SENT), world.reach(S.DRAFT)
    assert world.svc.get(world.platform_auditor, sent).request.id == sent
    with pytest.raises(NotFound):
        world.svc.get(world.platform_auditor, other_draft)
    seen = {r.id for r in world.svc.find(world.oversight, RequestQuery(), PageRequest(50)).items}
    assert seen == {sent, other_draft}
    assert (
        world.svc.get(world.oversight, other_draft).request.side_of(world.oversight.principal.org_id) is None
    )
    assert world.svc.get(world.rats_reviewer, sent).request.id == sent
    for caller in (world.platform_auditor, world.oversight, world.rats_reviewer):
        with pytest.raises(Forbidden, match=r"may not do 'requests\.write'"):
            world.svc.post_message(caller, sent, "hello")
    with pytest.raises(Forbidden, match=r"may not do 'requests\.read'"):
        world.svc.get(world.service_key, sent)


def test_each_party_audits_its_requests(world: World) -> None:
    """Each party's auditor finds every write on a sent request in its organization's audit events; a
    third organization's auditor finds none, and reads are audited too. No event carries the facts,
    names or message text."""
    rid = world.reach(S.ACKNOWLEDGED)
    world.svc.post_message(world.platform, rid, "Which time zone? Abu Example")
    third_auditor = _member(world.ex, world.operator, "outsider", "outsider-auditor", "auditor")
    rats_auditor = _member(world.ex, world.operator, "rats", "rats-auditor", "auditor")

    def actions(auditor: Caller) -> list[str]:
        return [
            e.entry.action for e in world.ex.audit.events(auditor, AuditQuery(object_id=str(rid), limit=500))
        ]

    writes = ["request.create", "request.send", "request.acknowledge", "request.message"]
    assert [a for a in actions(rats_auditor) if a in writes] == writes
    assert [a for a in actions(world.platform_auditor) if a in writes] == writes[1:]
    assert actions(third_auditor) == []
    world.svc.get(world.platform, rid)
    assert actions(world.platform_auditor)[-1] == "request.read"
    everything = json.dumps([e[3] for e in _request_events(world.ex, rid)], ensure_ascii=False)
    for secret in ("Abu Example", "recruitment videos", "time zone", "RATS/2026/0147"):
        assert secret not in everything


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"title": "Preserve\u202edata"}, "title", InvalidInput),
        ({"title": "two\nlines"}, "title", InvalidInput),
        ({"title": ""}, "title", InvalidInput),
        ({"facts": "x" * 20_001}, "facts", PayloadTooLarge),
        ({"legal_basis": 42}, "legal_basis", InvalidInput),
        ({"assistance": ()}, "assistance", InvalidInput),
        ({"assistance": ("identify", "wiretap")}, "assistance[1]", InvalidInput),
        ({"assistance": ("other",)}, "assistance_detail", InvalidInput),
        ({"urgency": "asap"}, "urgency", InvalidInput),
        ({"urgency": "emergency"}, "urgency_justification", InvalidInput),
        ({"deadline": "2027-02-30"}, "deadline", InvalidInput),
        ({"deadline": "2027-06-30T12:00:00"}, "deadline", InvalidInput),
        ({"deadline": "soon"}, "deadline", InvalidInput),
        ({"deadline": "2020-01-01"}, "deadline", InvalidInput),
        ({"deadline": "2099-01-01"}, "deadline", InvalidInput),
        ({"confidentiality": "SECRET"}, "confidentiality", InvalidInput),
        ({"language": "xx"}, "language", InvalidInput),
        ({"language": "english"}, "language", InvalidInput),
        ({"reference": "A\u200bB"}, "reference", InvalidInput),
        ({"requested_org": "rats"}, "requested_org", InvalidInput),
        ({"requested_org": "nobody"}, "requested_org", NotFound),
        (
            {"subjects": (SubjectIn(name="X", birth_date="1990-02-30"),)},
            "subjects[0].birth_date",
            InvalidInput,
        ),
        ({"subjects": (SubjectIn(name="X", birth_date="2999"),)}, "subjects[0].birth_date", InvalidInput),
        (
            {"subjects": (SubjectIn(name="X", nationalities=("Syria",)),)},
            "subjects[0].nationalities[0]",
            InvalidInput,
        ),
        ({"subjects": (SubjectIn(name="X", kind="ship"),)}, "subjects[0].kind", InvalidInput),
        ({"subjects": (SubjectIn(name="X\u2066Y"),)}, "subjects[0].name", InvalidInput),
        ({"subjects": (SubjectIn(),)}, "subjects[0].name", InvalidInput),
        ({"subjects": (SubjectIn(signal_id=str(uuid4()), name="X"),)}, "subjects[0].name", InvalidInput),
        ({"subjects": (SubjectIn(signal_id=str(uuid4())),)}, "subjects[0].signal_id", NotFound),
        ({"subjects": tuple(SubjectIn(name=f"p{n}") for n in range(101))}, "subjects", InvalidInput),
    ],
)
def test_bad_drafts_are_refused_before_anything_is_stored(
    world: World, changes: dict[str, object], field: str, error: type[CtxError]
) -> None:
    """Each bad field is refused with its name (and of the expectation), and nothing is stored or audited."""
    with pytest.raises(error) as info:
        world.svc.create(world.rats, draft(**changes))
    assert type(info.value) is error
    assert info.value.field == field
    assert f"'{field}'" in info.value.message or " not found" in info.value.message
    assert world.svc.find(world.rats, RequestQuery(), PageRequest(50)).items == []
    with world.ex.store.snapshot() as uow:
        assert uow.audit.events(AuditQuery(action="request.create")) == []


def test_deactivated_and_unknown_organizations(world: World) -> None:
    """A deactivated organization cannot be asked, nor sent a draft written before it was deactivated."""
    rid = world.reach(S.DRAFT)
    world.ex.members.set_org_active(world.operator, "platform", False)
    with pytest.raises(InvalidInput, match="an active organization") as created:
        world.svc.create(world.rats, draft())
    assert created.value.field == "requested_org"
    with pytest.raises(InvalidInput, match="an active organization"):
        world.svc.send(world.rats, rid)


def test_editing_a_draft(world: World) -> None:
    """The requesting side replaces every field of a draft; a sent request cannot be edited (409); the
    requested side cannot edit at all."""
    rid = world.reach(S.DRAFT)
    edited = world.svc.update(
        world.rats, rid, draft(title="Identify the admin", urgency="urgent", subjects=())
    )
    assert (edited.title, edited.urgency, edited.subjects) == ("Identify the admin", "urgent", ())
    assert world.svc.get(world.rats, rid).request == edited
    world.svc.send(world.rats, rid)
    with pytest.raises(InvalidTransition, match="only a draft can be edited"):
        world.svc.update(world.rats, rid, draft())
    with pytest.raises(Forbidden):
        world.svc.update(world.platform, rid, draft())


@pytest.fixture
def entities(world: World) -> dict[str, str]:
    """Person signals: rats' own AMBER one, the operator's GREEN one, outsider's AMBER one shared with
    rats only through group `g`, and outsider's md5 signal visible to all."""
    ex = world.ex
    ex.collections.create(world.rats, "rats-persons", "AMBER")
    ex.collections.create(world.operator, "un", "GREEN")
    admin = _member(ex, world.operator, "outsider", "outsider-admin", "admin")
    ex.members.create_group(admin, "g", ["rats"])
    ex.collections.create(world.outsider, "shared", "AMBER", "g")
    ex.collections.create(world.outsider, "hashes", "GREEN")
    made = {
        "own": ex.signals.add(world.rats, "rats-persons", NewSignal("person", entity("Abu Own", "RATS-1"))),
        "green": ex.signals.add(world.operator, "un", NewSignal("person", entity("Abu Green", "QDi.001"))),
        "shared": ex.signals.add(world.outsider, "shared", NewSignal("person", entity("Abu Shared", "X-9"))),
        "md5": ex.signals.add(world.outsider, "hashes", NewSignal("md5", "d41d8cd98f00b204e9800998ecf8427e")),
    }
    world.refresh()
    return {name: str(s.id) for name, s in made.items()}


def test_linked_subjects_copy_name_and_reference(world: World, entities: dict[str, str]) -> None:
    """A linked subject takes the signal's primary name, kind and listing reference; the requested side
    reads them, and sees the signal id only for a signal it may see itself."""
    subjects = (
        SubjectIn(signal_id=entities["own"], description="the admin"),
        SubjectIn(signal_id=entities["green"], birth_date="1971"),
    )
    rid = world.svc.create(world.rats, draft(subjects=subjects)).id
    world.svc.send(world.rats, rid)
    mine = world.svc.get(world.rats, rid).request.subjects
    theirs = world.svc.get(world.platform, rid).request.subjects
    assert [(s.name, s.reference, s.kind, s.description) for s in theirs] == [
        ("Abu Own", "RATS-1", "person", "the admin"),
        ("Abu Green", "QDi.001", "person", ""),
    ]
    assert [str(s.signal_id) for s in mine] == [entities["own"], entities["green"]]
    assert [None if s.signal_id is None else str(s.signal_id) for s in theirs] == [None, entities["green"]]
    assert [
        str(s.signal_id)
        for s in world.svc.find(world.platform, RequestQuery(), PageRequest(9)).items[0].subjects
        if s.signal_id
    ] == [entities["green"]]


def test_links_that_would_disclose_are_refused(world: World, entities: dict[str, str]) -> None:
    """A non-owner may not link a signal the requested organization may not see; an invisible signal is
    NotFound and a content signal is no subject; all name the subject's field. A signal shared with the
    requester may be linked in a request to its owner, and such a draft cannot be sent once the
    requester no longer sees the signal."""
    cases = [
        ("shared", Forbidden),
        ("md5", InvalidInput),
    ]
    for name, error in cases:
        with pytest.raises(error) as info:
            world.svc.create(world.rats, draft(subjects=(SubjectIn(signal_id=entities[name]),)))
        assert info.value.field == "subjects[0].signal_id"
    with pytest.raises(NotFound) as hidden:
        world.svc.create(
            world.platform, draft(requested_org="outsider", subjects=(SubjectIn(signal_id=entities["own"]),))
        )
    assert hidden.value.message == f"signal {entities['own']} not found"
    linked = world.svc.create(
        world.rats, draft(requested_org="outsider", subjects=(SubjectIn(signal_id=entities["shared"]),))
    )
    world.ex.members.remove_group_member(
        _member(world.ex, world.operator, "outsider", "outsider-admin2", "admin"), "g", "rats"
    )
    world.refresh()
    with pytest.raises(NotFound):
        world.svc.send(world.rats, linked.id)


def test_send_rechecks_a_link_the_requested_side_lost(world: World, entities: dict[str, str]) -> None:
    """A shared signal linked while the requested organization could see it cannot be sent after that
    organization left the signal's group."""
    admin = _member(world.ex, world.operator, "outsider", "outsider-admin3", "admin")
    world.ex.members.add_group_member(admin, "g", "platform")
    rid = world.svc.create(world.rats, draft(subjects=(SubjectIn(signal_id=entities["shared"]),))).id
    world.ex.members.remove_group_member(admin, "g", "platform")
    with pytest.raises(Forbidden) as info:
        world.svc.send(world.rats, rid)
    assert info.value.field == "subjects[0].signal_id"
    assert world.svc.get(world.rats, rid).request.status is S.DRAFT


def test_messages_from_sent_until_closed(world: World) -> None:
    """Both parties write once a request is sent; a draft or a closed request takes no message."""
    draft_id, closed_id, rid = world.reach(S.DRAFT), world.reach(S.CLOSED), world.reach(S.SENT)
    for target in (draft_id, closed_id):
        with pytest.raises(InvalidTransition, match="can take messages from 'sent' until 'closed'"):
            world.svc.post_message(world.rats, target, "hello")
    first = world.svc.post_message(world.platform, rid, "Which account exactly?")
    second = world.svc.post_message(world.rats, rid, "The one named in the facts.\nThanks.")
    assert world.svc.messages(world.rats, rid) == [first, second]
    assert world.svc.get(world.platform, rid).message_count == 2
    with pytest.raises(PayloadTooLarge):
        world.svc.post_message(world.rats, rid, "x" * 20_001)


def test_attachments_are_stored_with_their_digest(world: World) -> None:
    """A draft takes its requester's files; both parties add files until closed; each reads back with
    its SHA-256, and bad files are refused by field before anything is stored."""
    rid = world.reach(S.DRAFT)
    order = world.svc.attach(
        world.rats, rid, "court order.pdf", b"%PDF-1.7 order", "application/pdf; charset=x"
    )
    assert (order.media_type, order.size_bytes) == ("application/pdf", 14)
    assert order.sha256 == hashlib.sha256(b"%PDF-1.7 order").hexdigest()
    world.svc.send(world.rats, rid)
    answer = world.svc.attach(world.platform, rid, "données.csv", b"a,b\n1,2\n", None)
    assert answer.media_type == "application/octet-stream"
    assert world.svc.attachments(world.rats, rid) == [order, answer]
    assert world.svc.attachment(world.rats, rid, answer.id) == (answer, b"a,b\n1,2\n")
    with pytest.raises(NotFound) as missing:
        world.svc.attachment(world.rats, rid, uuid4())
    assert missing.value.field == "attachment_id"
    bad = [
        (("", b"x", None), "filename"),
        (("../etc/passwd", b"x", None), "filename"),
        (("a\u202etxt.exe", b"x", None), "filename"),
        (("a.txt", b"", None), "file"),
        (("a.txt", b"x", "not a type"), "media_type"),
        (("big.bin", b"\0" * (MAX_ATTACHMENT_BYTES + 1), None), "file"),
    ]
    for (name, data, media), field in bad:
        with pytest.raises(InvalidInput) as info:
            world.svc.attach(world.rats, rid, name, data, media)
        assert info.value.field == field
    assert len(world.svc.attachments(world.rats, rid)) == 2
    closed = world.reach(S.CLOSED)
    with pytest.raises(InvalidTransition):
        world.svc.attach(world.rats, closed, "late.txt", b"x")


def test_the_per_request_attachment_cap(world: World) -> None:
    """Attachments of one request together stay under the request's cap; the refusal says how much is
    used; another request has its own allowance."""
    small = RequestService(
        world.ex.store, world.ex.clock, 50, 500, max_attachment_bytes=10, max_request_bytes=25
    )
    first, second = world.reach(S.SENT), world.reach(S.SENT)
    small.attach(world.rats, first, "a", b"x" * 10)
    small.attach(world.platform, first, "b", b"x" * 10)
    with pytest.raises(PayloadTooLarge) as info:
        small.attach(world.rats, first, "c", b"x" * 6)
    assert (
        info.value.message == "'file' must fit the request's attachment cap of 25 bytes (20 used; got 6 more)"
    )
    small.attach(world.rats, first, "c", b"x" * 5)
    with pytest.raises(PayloadTooLarge, match="at most 10 bytes"):
        small.attach(world.rats, second, "d", b"x" * 11)
    small.attach(world.rats, second, "d", b"x" * 10)


class Clock:
    """A clock the test moves."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_overdue_requests(world: World) -> None:
    """Past its deadline a waiting request is overdue for both parties (a draft for its requester only),
    longest overdue first; an answered, declined or withdrawn one is not; a draft past its deadline
    cannot be sent."""
    clock = Clock(datetime.now(UTC))
    svc = RequestService(world.ex.store, clock, 50, 500)
    soon = (clock.now + timedelta(days=1)).isoformat()
    later = (clock.now + timedelta(days=2)).isoformat()
    sent = svc.create(world.rats, draft(deadline=later))
    svc.send(world.rats, sent.id)
    late_draft = svc.create(world.rats, draft(deadline=soon))
    answered = svc.create(world.rats, draft(deadline=soon))
    for move in PATHS[S.ANSWERED]:
        caller = world.caller_of(MOVE_RULES[move].side)
        svc.move(caller, answered.id, move.value, "because", "full" if move is Move.ANSWER else None)
    undated = svc.create(world.rats, draft(deadline=None))
    svc.send(world.rats, undated.id)
    assert svc.overdue(world.rats) == []
    clock.now += timedelta(days=3)
    assert [r.id for r in svc.overdue(world.rats)] == [late_draft.id, sent.id]
    assert [r.id for r in svc.overdue(world.platform)] == [sent.id]
    assert [r.id for r in svc.overdue(world.oversight, limit=1)] == [late_draft.id]
    assert svc.overdue(world.outsider) == []
    with pytest.raises(InvalidInput, match="in the future when the request is sent") as info:
        svc.send(world.rats, late_draft.id)
    assert info.value.field == "deadline"
    with pytest.raises(InvalidInput):
        svc.overdue(world.rats, limit=0)


def _race(barrier: threading.Barrier, call: Callable[[], object], outcomes: list[str]) -> None:
    """Wait for the other thread, make the call, note how it ended."""
    barrier.wait()
    try:
        call()
        outcomes.append("ok")
    except (InvalidTransition, Forbidden) as exc:
        outcomes.append(type(exc).__name__)


def test_concurrent_moves_one_wins(any_world: World) -> None:
    """Two parties moving the same request at the same moment are serialised: exactly one of a decline
    and a withdrawal lands, the other meets the new state; the history stays numbered 1, 2."""
    w = any_world
    for _ in range(3):
        rid = w.reach(S.SENT)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        calls = [
            lambda r=rid: w.svc.decline(w.platform, r, "no"),
            lambda r=rid: w.svc.withdraw(w.rats, r, "moot"),
        ]
        threads = [threading.Thread(target=_race, args=(barrier, call, outcomes)) for call in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["InvalidTransition", "ok"]
        detail = w.svc.get(w.rats, rid)
        assert [m.seq for m in detail.history] == [1, 2]
        assert detail.history[1].to_status is detail.request.status
        assert detail.request.status in (S.DECLINED, S.WITHDRAWN)
