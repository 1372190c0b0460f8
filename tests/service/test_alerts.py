"""Alerts through the service: validation before storage, the audience fixed at issue, the access
matrix on every read path, the state machine action by action with its audit events, acknowledgements
per version, "my alerts" ordering and redaction of what recipients see."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from ctexchange.domain.alerts import AckState, AlertAction, AlertChange, AlertState, AlertVersion
from ctexchange.domain.audit import AuditEvent
from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import AuditQuery
from ctexchange.domain.roles import Role
from ctexchange.errors import CtxError, Forbidden, InvalidInput, InvalidTransition, NotFound, PayloadTooLarge
from ctexchange.service.alerts import (
    AlertChanges,
    AlertView,
    LocationInput,
    NewAlert,
    StopInput,
    SubjectInput,
)
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.signals import NewSignal

ORGS = ("agency-a", "agency-b", "agency-c")
READERS = (Role.ADMIN, Role.ANALYST, Role.REVIEWER, Role.AUDITOR)


@dataclass
class World:
    """agency-a issues, agency-b receives, agency-c is a third party; a caller per org and role, the
    operator's auditor, and the local operator (an admin of the operator organization)."""

    exchange: Exchange
    callers: dict[tuple[str, Role], Caller]
    org_ids: dict[str, UUID]
    operator: Caller
    op_auditor: Caller

    def __getitem__(self, key: tuple[str, Role]) -> Caller:
        return self.callers[key]

    @property
    def a(self) -> Caller:
        """The issuer's analyst."""
        return self.callers["agency-a", Role.ANALYST]

    @property
    def b(self) -> Caller:
        """The recipient's analyst (the named user of RED alerts)."""
        return self.callers["agency-b", Role.ANALYST]

    @property
    def c(self) -> Caller:
        """A third party's analyst."""
        return self.callers["agency-c", Role.ANALYST]

    def new(self, marking: str = "AMBER", **fields: Any) -> NewAlert:
        """A valid alert from agency-a to agency-b (RED: to agency-b's analyst by name)."""
        recipients: dict[str, Any] = (
            {"users": ["agency-b-analyst"]} if marking == "RED" else {"orgs": ["agency-b"]}
        )
        base: dict[str, Any] = {
            "title": "Fighter reported travelling",
            "kind": "fighter-travel",
            "valid_until": self.exchange.clock() + timedelta(days=7),
            "subject": SubjectInput(names=["أبو محمد الشامي"], birth_dates=["1994-03"], nationalities=["sy"]),
            "location": LocationInput("Gaziantep bus station", "tr"),
            "route": [StopInput("Idlib", "SY", "2026-11-20"), StopInput("Gaziantep", "TR", "2026-11-27")],
            "marking": marking,
            **recipients,
            **fields,
        }
        return NewAlert(**base)

    def issue(self, marking: str = "AMBER", **fields: Any) -> AlertView:
        """Issue `new(...)` as agency-a's analyst."""
        return self.exchange.alerts.issue(self.a, self.new(marking, **fields))

    def events(self, action: str) -> list[AuditEvent]:
        """The audit events of one action, oldest first."""
        with self.exchange.store.snapshot() as uow:
            return uow.audit.events(AuditQuery(action=action, limit=1000))


@pytest.fixture
def world(exchange: Exchange, operator: Caller) -> World:
    """Three member organizations with a user of every role, and the operator's auditor."""
    callers = {}
    org_ids = {}
    for name in ORGS:
        org_ids[name] = exchange.members.create_org(operator, name, "national-agency").id
        for role in Role:
            user = exchange.members.create_user(operator, name, f"{name}-{role.value}", role.value)
            key = exchange.members.create_key(operator, str(user.id), "k").text
            callers[name, role] = exchange.auth.authenticate(key, f"req-{name}-{role.value}")
    exchange.members.create_user(operator, None, "op-auditor", "auditor")
    op_auditor = exchange.auth.authenticate(
        exchange.members.create_key(operator, "op-auditor", "k").text, "r"
    )
    return World(exchange, callers, org_ids, operator, op_auditor)


def expire(exchange: Exchange, alert_id: UUID) -> None:
    """Make an alert's validity end two days ago, through the repository (the service refuses that)."""
    past = exchange.clock() - timedelta(days=3)
    with exchange.store.transaction() as uow:
        alert = uow.alerts.get(alert_id)
        assert alert is not None
        uow.alerts.add_version(
            AlertVersion(
                alert.id,
                alert.version + 1,
                AlertChange.EXTEND,
                alert.content,
                past,
                past + timedelta(days=1),
                "test: lapsed",
                "test",
                exchange.clock(),
            )
        )


# Issuing ------------------------------------------------------------------------------------------------


def test_issue_stores_the_alert_and_audits_it(world: World) -> None:
    """An issued alert has its canonical content, version 1, the recipient pending, and one audit event
    with ids, kind, marking and validity but no text."""
    view = world.issue()
    alert = view.alert
    assert (view.state, view.is_issuer, view.my_state, view.is_pending) == (
        AlertState.ISSUED,
        True,
        None,
        False,
    )
    assert alert.content.subject.description is not None
    assert alert.content.subject.description.nationalities == ("SY",)
    assert alert.content.location is not None and alert.content.location.country == "TR"
    assert alert.recipient_org_ids == {world.org_ids["agency-b"]}
    assert [(r.org_id, r.state) for r in view.recipients] == [(world.org_ids["agency-b"], AckState.PENDING)]
    [event] = world.events("alert.issue")
    assert (event.entry.object_id, event.entry.object_org_id) == (str(alert.id), world.org_ids["agency-a"])
    assert event.entry.details["recipient_org_ids"] == [str(world.org_ids["agency-b"])]
    assert event.entry.details["kind"] == "fighter-travel"
    assert "Gaziantep" not in str(event.entry.details)
    assert "أبو" not in str(event.entry.details)


BAD: list[tuple[str, dict[str, Any], type[CtxError], str | None]] = [
    ("empty title", {"title": "  "}, InvalidInput, "title"),
    ("long title", {"title": "x" * 201}, PayloadTooLarge, "title"),
    ("bidi title", {"title": "Fighter\u202e travelling"}, InvalidInput, "title"),
    ("two-line title", {"title": "a\nb"}, InvalidInput, "title"),
    ("long details", {"details": "x" * 10_001}, PayloadTooLarge, "details"),
    ("unknown kind", {"kind": "rumour"}, InvalidInput, "kind"),
    ("unknown marking", {"marking": "WHITE"}, InvalidInput, "marking"),
    (
        "zero-width name",
        {"subject": SubjectInput(names=["Abu\u200bMohammed"])},
        InvalidInput,
        "subject.properties.name[0]",
    ),
    (
        "impossible dob",
        {"subject": SubjectInput(names=["A"], birth_dates=["1994-02-30"])},
        InvalidInput,
        "subject.properties.birthDate[0]",
    ),
    (
        "country name",
        {"subject": SubjectInput(names=["A"], nationalities=["Syria"])},
        InvalidInput,
        "subject.properties.nationality[0]",
    ),
    (
        "description without name",
        {"subject": SubjectInput(birth_dates=["1994"])},
        InvalidInput,
        "subject.properties.name",
    ),
    ("no subject for fighter travel", {"subject": None}, InvalidInput, "subject"),
    (
        "absent subject signal",
        {"subject": SubjectInput(signal_id=str(uuid4()))},
        NotFound,
        "subject.signal_id",
    ),
    (
        "bad location country",
        {"location": LocationInput("Gaziantep", "TUR")},
        InvalidInput,
        "location.country",
    ),
    (
        "route back in time",
        {"route": [StopInput("A", None, "2026-11"), StopInput("B", None, "2026-10")]},
        InvalidInput,
        "route[1].date",
    ),
    ("empty stop", {"route": [StopInput()]}, InvalidInput, "route[0].place"),
    ("no recipients", {"orgs": []}, InvalidInput, "recipients"),
    ("own organization", {"orgs": ["agency-a"]}, InvalidInput, "recipients.orgs[0]"),
    ("unknown organization", {"orgs": ["agency-b", "nobody"]}, NotFound, "recipients.orgs[1]"),
    ("users without RED", {"users": ["agency-b-analyst"]}, InvalidInput, "recipients.users"),
    ("group not a member of", {"groups": ["nope"]}, NotFound, "recipients.groups[0]"),
]
BAD_RED: list[tuple[str, dict[str, Any], type[CtxError], str | None]] = [
    ("RED to an organization", {"orgs": ["agency-b"]}, InvalidInput, "recipients.orgs"),
    ("RED without users", {"users": []}, InvalidInput, "recipients.users"),
    ("RED to own user", {"users": ["agency-a-reviewer"]}, InvalidInput, "recipients.users[0]"),
    ("RED to a service account", {"users": ["agency-b-service"]}, InvalidInput, "recipients.users[0]"),
    ("RED to nobody", {"users": ["nobody"]}, NotFound, "recipients.users[0]"),
]


@pytest.mark.parametrize(("case", "fields", "error", "field"), BAD)
def test_bad_alerts_name_their_field_and_store_nothing(
    world: World, case: str, fields: dict[str, Any], error: type[CtxError], field: str
) -> None:
    """Each invalid alert is refused with the field it broke, and nothing is stored or audited."""
    with pytest.raises(error) as info:
        world.issue(**fields)
    assert info.value.field == field, case
    assert world.exchange.alerts.find(world.a).items == []
    assert world.events("alert.issue") == []


@pytest.mark.parametrize(("case", "fields", "error", "field"), BAD_RED)
def test_bad_red_audiences_are_refused(
    world: World, case: str, fields: dict[str, Any], error: type[CtxError], field: str
) -> None:
    """RED alerts go to named, alert-reading users of other organizations, and only to them."""
    with pytest.raises(error) as info:
        world.issue("RED", **fields)
    assert info.value.field == field, case
    assert world.exchange.alerts.find(world.a).items == []


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "field"),
    [
        (None, timedelta(days=-1), "valid_until"),
        (timedelta(days=1), timedelta(hours=1), "valid_until"),
        (None, timedelta(days=366), "valid_until"),
        (timedelta(days=400), timedelta(days=401), "valid_from"),
    ],
)
def test_impossible_validity_is_refused(
    world: World, valid_from: timedelta | None, valid_until: timedelta, field: str
) -> None:
    """An end in the past or before the start, a window over 365 days, a start over a year ahead."""
    now = world.exchange.clock()
    start = None if valid_from is None else now + valid_from
    with pytest.raises(InvalidInput) as info:
        world.issue(valid_from=start, valid_until=now + valid_until)
    assert info.value.field == field


def test_subject_signal_must_be_a_visible_entity(world: World) -> None:
    """A signal the issuer cannot see is NotFound with the message of an absent id; a content signal
    is refused as not an entity."""
    ex = world.exchange
    ex.collections.create(world["agency-c", Role.ANALYST], "c-bank", "AMBER")
    hidden = ex.signals.add(world.c, "c-bank", NewSignal("md5", "0" * 32))
    absent = uuid4()
    with pytest.raises(NotFound) as seen:
        world.issue(subject=SubjectInput(signal_id=str(hidden.id)))
    with pytest.raises(NotFound) as missing:
        world.issue(subject=SubjectInput(signal_id=str(absent)))
    assert seen.value.message == f"signal {hidden.id} not found"
    assert missing.value.message == f"signal {absent} not found"
    ex.collections.create(world.a, "a-bank", "GREEN")
    content = ex.signals.add(world.a, "a-bank", NewSignal("md5", "1" * 32))
    with pytest.raises(InvalidInput, match="an entity signal"):
        world.issue(subject=SubjectInput(signal_id=str(content.id)))


def entity(name: str, reference: str) -> NewSignal:
    """A person signal."""
    value = {
        "schema": "Person",
        "names": [{"text": name}],
        "listing": {"source": "national", "reference": reference},
    }
    return NewSignal("person", value)


def test_subject_signal_is_shown_only_to_those_who_may_see_it(world: World) -> None:
    """The issuer references its own AMBER entity (no group) and a GREEN one; the recipient is shown
    the GREEN one's id and null for the AMBER one, in the alert and in its history."""
    ex = world.exchange
    ex.collections.create(world.a, "watch", "AMBER")
    ex.collections.create(world.a, "public", "GREEN")
    private = ex.signals.add(world.a, "watch", entity("Abu Mohammed", "W-1"))
    public = ex.signals.add(world.a, "public", entity("Abu Ali", "P-1"))
    secret = world.issue(subject=SubjectInput(signal_id=str(private.id)))
    open_ = world.issue(subject=SubjectInput(signal_id=str(public.id)))
    assert ex.alerts.get(world.a, secret.alert.id).alert.content.subject.signal_id == private.id
    assert ex.alerts.get(world.b, secret.alert.id).alert.content.subject.signal_id is None
    assert ex.alerts.get(world.b, open_.alert.id).alert.content.subject.signal_id == public.id
    assert [v.content.subject.signal_id for v in ex.alerts.history(world.b, secret.alert.id)] == [None]


# The audience -------------------------------------------------------------------------------------------


def test_groups_are_resolved_at_issue_and_never_again(world: World) -> None:
    """An alert to a group reaches its members at issue; an organization added later does not see it,
    and one removed later still does."""
    ex = world.exchange
    admin_a = world["agency-a", Role.ADMIN]
    ex.members.create_group(admin_a, "border", ["agency-b"])
    view = world.issue(orgs=[], groups=["border"])
    assert view.alert.recipient_org_ids == {world.org_ids["agency-b"]}
    assert view.alert.group_ids == {ex.members.group(admin_a, "border").id}
    ex.members.add_group_member(admin_a, "border", "agency-c")
    ex.members.remove_group_member(admin_a, "border", "agency-b")
    c = ex.auth.authenticate(ex.members.create_key(world.operator, "agency-c-analyst", "k2").text, "r2")
    b = ex.auth.authenticate(ex.members.create_key(world.operator, "agency-b-analyst", "k2").text, "r3")
    with pytest.raises(NotFound):
        ex.alerts.get(c, view.alert.id)
    assert ex.alerts.find(c).items == []
    assert ex.alerts.get(b, view.alert.id).alert.id == view.alert.id


def test_recipients_see_only_themselves(world: World) -> None:
    """With two recipients, each sees itself alone and no groups; the issuer and the operator's
    auditor see both."""
    ex = world.exchange
    view = world.issue(orgs=["agency-b", "agency-c"])
    both = {world.org_ids["agency-b"], world.org_ids["agency-c"]}
    for caller, expected in ((world.b, {world.org_ids["agency-b"]}), (world.c, {world.org_ids["agency-c"]})):
        seen = ex.alerts.get(caller, view.alert.id)
        assert seen.alert.recipient_org_ids == expected
        assert {r.org_id for r in seen.recipients} == expected
        assert {r.org_id for r in ex.alerts.acknowledgements(caller, view.alert.id)} == expected
    for caller in (world.a, world.op_auditor):
        assert {r.org_id for r in ex.alerts.get(caller, view.alert.id).recipients} == both


def expected_visible(org: str, role: Role, marking: Marking) -> bool:
    """docs/alerts.md: the issuer; the recipient (RED: its named analyst); the recipient's auditors."""
    if org == "agency-a":
        return True
    if org == "agency-b":
        return marking is not Marking.RED or role in (Role.ANALYST, Role.AUDITOR)
    return False


def test_access_matrix(world: World) -> None:
    """Every reader of every organization x every marking, on get, list, acknowledgements and history;
    a denied get has exactly the message of an absent id; the service role reads nothing; the
    operator's auditor sees everything and the operator's admin nothing it was not sent."""
    ex = world.exchange
    alerts = {m: world.issue(m.value).alert for m in Marking}
    absent = uuid4()
    for (org, role), caller in world.callers.items():
        if role is Role.SERVICE:
            with pytest.raises(Forbidden):
                ex.alerts.find(caller)
            continue
        listed = {v.alert.id for v in ex.alerts.find(caller).items}
        for marking, alert in alerts.items():
            visible = expected_visible(org, role, marking)
            assert (alert.id in listed) is visible, (org, role, marking)
            for read in (ex.alerts.get, ex.alerts.acknowledgements, ex.alerts.history):
                if visible:
                    read(caller, alert.id)
                    continue
                with pytest.raises(NotFound) as denied:
                    read(caller, alert.id)
                with pytest.raises(NotFound) as missing:
                    read(caller, absent)
                assert denied.value.message == missing.value.message.replace(str(absent), str(alert.id))
    assert {v.alert.id for v in ex.alerts.find(world.op_auditor).items} == {a.id for a in alerts.values()}
    assert ex.alerts.find(world.operator).items == []


# The state machine --------------------------------------------------------------------------------------


def _prepare(world: World, state: AlertState) -> UUID:
    alert_id = world.issue().alert.id
    if state is AlertState.EXPIRED:
        expire(world.exchange, alert_id)
    elif state is AlertState.CANCELLED:
        world.exchange.alerts.cancel(world.a, alert_id, "wrong person")
    return alert_id


def _act(world: World, action: AlertAction, alert_id: UUID) -> None:
    ex = world.exchange
    if action is AlertAction.UPDATE:
        ex.alerts.update(world.a, alert_id, AlertChanges(title="Fighter seen at the airport"), "seen")
    elif action is AlertAction.EXTEND:
        ex.alerts.extend(world.a, alert_id, ex.clock() + timedelta(days=30), "still travelling")
    elif action is AlertAction.CANCEL:
        ex.alerts.cancel(world.a, alert_id, "arrested")
    else:
        ex.alerts.acknowledge(world.b, alert_id, "border police told")


@pytest.mark.parametrize(("state", "action"), list(itertools.product(AlertState, AlertAction)))
def test_every_action_from_every_state(world: World, state: AlertState, action: AlertAction) -> None:
    """From `issued` every action succeeds and writes its event; from `expired` and `cancelled` every
    action is refused naming the state, and nothing is written."""
    alert_id = _prepare(world, state)
    event = f"alert.{action.value}"
    before = len(world.events(event))
    if state is AlertState.ISSUED:
        _act(world, action, alert_id)
        [*_, last] = world.events(event)
        assert len(world.events(event)) == before + 1
        assert last.entry.object_id == str(alert_id)
        assert last.entry.object_org_id == world.org_ids["agency-a"]
        expected = AlertState.CANCELLED if action is AlertAction.CANCEL else AlertState.ISSUED
        assert world.exchange.alerts.get(world.a, alert_id).state is expected
        return
    with pytest.raises(InvalidTransition) as info:
        _act(world, action, alert_id)
    assert f"cannot {action.value} an alert that is '{state.value}'" in info.value.message
    assert len(world.events(event)) == before
    assert world.exchange.alerts.get(world.a, alert_id).state is state


def test_updates_keep_history_and_ask_for_new_acknowledgements(world: World) -> None:
    """An update is version 2 with the note and changed fields audited; the recipient that acknowledged
    version 1 is pending again; the issuer sees its version-1 receipt."""
    ex = world.exchange
    alert_id = world.issue().alert.id
    ex.alerts.acknowledge(world.b, alert_id, "seen")
    assert ex.alerts.get(world.b, alert_id).my_state is AckState.ACKNOWLEDGED
    changes = AlertChanges(location=LocationInput("Istanbul airport", "TR"), route=[])
    updated = ex.alerts.update(world.a, alert_id, changes, "seen at the airport")
    assert updated.alert.version == 2
    assert updated.alert.content.route == ()
    assert updated.alert.content.title == "Fighter reported travelling"
    [status] = updated.recipients
    assert status.state is AckState.PENDING
    assert status.latest is not None and status.latest.version == 1
    assert ex.alerts.get(world.b, alert_id).is_pending
    history = ex.alerts.history(world.b, alert_id)
    assert [(v.version, v.change, v.note) for v in history] == [
        (1, AlertChange.ISSUE, ""),
        (2, AlertChange.UPDATE, "seen at the airport"),
    ]
    [event] = world.events("alert.update")
    assert event.entry.details == {"version": 2, "changed": ["location", "route"]}
    ex.alerts.acknowledge(world.b, alert_id)
    assert [
        (r.state, r.latest and r.latest.version) for r in ex.alerts.acknowledgements(world.a, alert_id)
    ] == [(AckState.ACKNOWLEDGED, 2)]


def test_update_rules(world: World) -> None:
    """A no-op update, an update without a note, by the recipient, by a third party or by the issuer's
    reviewer is refused, each with its own error."""
    ex = world.exchange
    alert_id = world.issue().alert.id
    with pytest.raises(InvalidInput, match="at least one of"):
        ex.alerts.update(world.a, alert_id, AlertChanges(title="Fighter reported travelling"), "same")
    with pytest.raises(InvalidInput) as note:
        ex.alerts.update(world.a, alert_id, AlertChanges(title="x"), " ")
    assert note.value.field == "note"
    with pytest.raises(Forbidden):
        ex.alerts.update(world.b, alert_id, AlertChanges(title="x"), "mine now")
    with pytest.raises(NotFound):
        ex.alerts.update(world.c, alert_id, AlertChanges(title="x"), "who")
    with pytest.raises(Forbidden):
        ex.alerts.update(world["agency-a", Role.REVIEWER], alert_id, AlertChanges(title="x"), "role")
    with pytest.raises(InvalidInput) as subject:
        ex.alerts.update(world.a, alert_id, AlertChanges(subject=SubjectInput()), "no subject")
    assert subject.value.field == "subject"


def test_extend_rules(world: World) -> None:
    """An extension must be later than the current end and within 365 days of valid_from; the audit
    event holds the old and new ends."""
    ex = world.exchange
    view = world.issue()
    current = view.alert.valid_until
    with pytest.raises(InvalidInput, match="later than the current"):
        ex.alerts.extend(world.a, view.alert.id, current - timedelta(hours=1), "shorter")
    with pytest.raises(InvalidInput, match="at most 365 days"):
        ex.alerts.extend(world.a, view.alert.id, view.alert.valid_from + timedelta(days=366), "too long")
    later = current + timedelta(days=10)
    extended = ex.alerts.extend(world.a, view.alert.id, later, "continues")
    assert (extended.alert.valid_until, extended.alert.version) == (later, 2)
    [event] = world.events("alert.extend")
    assert event.entry.details == {"version": 2, "from": current.isoformat(), "to": later.isoformat()}


def test_acknowledgement_rules(world: World) -> None:
    """Only recipients' admins and analysts acknowledge, once per version; the issuer, auditors,
    reviewers, a RED colleague and third parties cannot."""
    ex = world.exchange
    amber = world.issue().alert.id
    red = world.issue("RED").alert.id
    with pytest.raises(Forbidden, match="sent to"):
        ex.alerts.acknowledge(world.a, amber)
    for role in (Role.AUDITOR, Role.REVIEWER):
        with pytest.raises(Forbidden):
            ex.alerts.acknowledge(world["agency-b", role], amber)
    with pytest.raises(NotFound):
        ex.alerts.acknowledge(world.c, amber)
    with pytest.raises(NotFound):
        ex.alerts.acknowledge(world["agency-b", Role.ADMIN], red)
    with pytest.raises(InvalidInput) as note:
        ex.alerts.acknowledge(world.b, amber, "x" * 2001)
    assert note.value.field == "note"
    ack = ex.alerts.acknowledge(world["agency-b", Role.ADMIN], amber, "passed to border police")
    assert (ack.version, ack.org_id, ack.note) == (1, world.org_ids["agency-b"], "passed to border police")
    with pytest.raises(InvalidTransition, match="from 'acknowledged' to 'acknowledged'"):
        ex.alerts.acknowledge(world.b, amber)
    assert ex.alerts.acknowledge(world.b, red).version == 1
    assert len(world.events("alert.acknowledge")) == 2


# Lists and reads ----------------------------------------------------------------------------------------


def test_my_alerts_put_unacknowledged_first(world: World) -> None:
    """The recipient's list shows what it must acknowledge first (newest first), then the rest; boxes
    and states filter."""
    ex = world.exchange
    first, second, third = (world.issue(title=f"alert {n}").alert.id for n in range(3))
    ex.alerts.acknowledge(world.b, second)
    sent = ex.alerts.issue(world.b, replace(world.new(), orgs=["agency-c"])).alert.id
    assert [v.alert.id for v in ex.alerts.find(world.b).items] == [third, first, sent, second]
    assert [v.is_pending for v in ex.alerts.find(world.b).items] == [True, True, False, False]
    assert [v.alert.id for v in ex.alerts.find(world.b, box="sent").items] == [sent]
    assert {v.alert.id for v in ex.alerts.find(world.b, box="received").items} == {first, second, third}
    ex.alerts.cancel(world.a, first, "resolved")
    expire(ex, third)
    assert [v.alert.id for v in ex.alerts.find(world.b, state="cancelled").items] == [first]
    assert [v.alert.id for v in ex.alerts.find(world.b, state="expired").items] == [third]
    assert [v.alert.id for v in ex.alerts.find(world.b, box="received", state="issued").items] == [second]


def test_pages_and_bad_list_arguments(world: World) -> None:
    """Pages of one follow the cursor to the end; bad box, state, kind, limit and cursor are refused."""
    ex = world.exchange
    made = [world.issue(title=f"alert {n}").alert.id for n in range(3)]
    seen, cursor = [], None
    while True:
        page = ex.alerts.find(world.b, limit=1, cursor=cursor)
        seen.extend(v.alert.id for v in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(made))
    for kwargs, field in (
        ({"box": "inbox"}, "box"),
        ({"state": "open"}, "state"),
        ({"kind": "rumour"}, "kind"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"cursor": "forged"}, "cursor"),
    ):
        with pytest.raises(InvalidInput) as info:
            ex.alerts.find(world.b, **kwargs)
        assert info.value.field == field


def test_reads_of_sensitive_alerts_are_audited(world: World) -> None:
    """Reading an AMBER alert records `alert.read` for the issuer; a GREEN one records nothing; lists,
    histories and acknowledgement reads are recorded too."""
    ex = world.exchange
    amber = world.issue().alert.id
    green = world.issue("GREEN").alert.id
    ex.alerts.get(world.b, green)
    assert world.events("alert.read") == []
    ex.alerts.get(world.b, amber)
    [read] = world.events("alert.read")
    assert (read.entry.org_id, read.entry.object_org_id) == (
        world.org_ids["agency-b"],
        world.org_ids["agency-a"],
    )
    assert read.entry.details == {"alert_ids": [str(amber)]}
    ex.alerts.find(world.b)
    ex.alerts.history(world.b, amber)
    ex.alerts.acknowledgements(world.b, amber)
    for action in ("alert.list", "alert.history.read", "alert.acknowledgements.read"):
        assert len(world.events(action)) == 1, action


def test_red_alerts_reach_named_users_only(world: World) -> None:
    """The named analyst sees and acknowledges a RED alert; its admin colleague does not see it; the
    issuer sees the named user; the recipient's auditor sees the alert."""
    ex = world.exchange
    view = world.issue("RED")
    named = world.b.principal.user_id
    assert view.alert.recipient_user_ids == {named}
    assert ex.alerts.get(world.b, view.alert.id).alert.recipient_user_ids == {named}
    assert ex.alerts.find(world["agency-b", Role.ADMIN]).items == []
    assert ex.alerts.get(world["agency-b", Role.AUDITOR], view.alert.id).alert.recipient_user_ids == set()


def test_the_whole_flow_on_both_backends(any_exchange: Exchange) -> None:
    """Issue to a group, list pending first, acknowledge, update, re-acknowledge, extend, cancel: the
    same on SQLite and PostgreSQL, with the audit chain intact."""
    ex = any_exchange
    operator = ex.operator("t")
    callers = {}
    for name in ("issuer", "recipient"):
        ex.members.create_org(operator, name, "national-agency")
        ex.members.create_user(operator, name, f"{name}-analyst", "analyst")
        callers[name] = ex.auth.authenticate(
            ex.members.create_key(operator, f"{name}-analyst", "k").text, "r"
        )
    issuer, recipient = callers["issuer"], callers["recipient"]
    ex.members.create_group(operator, "partners", ["issuer", "recipient"])
    until = ex.clock() + timedelta(days=5)
    new = NewAlert("Campaign on a video platform", "content-campaign", until, groups=["partners"])
    first = ex.alerts.issue(issuer, new).alert.id
    second = ex.alerts.issue(issuer, replace(new, title="Second campaign", marking="GREEN")).alert.id
    ex.alerts.acknowledge(recipient, first)
    assert [v.alert.id for v in ex.alerts.find(recipient).items] == [second, first]
    assert {r.org_id for r in ex.alerts.get(issuer, first).recipients} == {
        recipient.principal.org_id,
        operator.principal.org_id,
    }
    ex.alerts.update(issuer, first, AlertChanges(details="Now on two platforms."), "spread")
    assert [v.alert.id for v in ex.alerts.find(recipient).items] == [second, first]
    assert ex.alerts.get(recipient, first).my_state is AckState.PENDING
    ex.alerts.acknowledge(recipient, first)
    ex.alerts.extend(issuer, first, until + timedelta(days=5), "continues")
    cancelled = ex.alerts.cancel(issuer, first, "taken down")
    assert cancelled.state is AlertState.CANCELLED
    assert cancelled.alert.cancellation is not None and cancelled.alert.cancellation.reason == "taken down"
    assert [v.version for v in ex.alerts.history(recipient, first)] == [1, 2, 3]
    assert ex.audit.verify(operator).is_intact
