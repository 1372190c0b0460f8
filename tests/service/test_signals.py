"""Signals through the service: validation, all-or-nothing batches, status moves, opinions."""

from __future__ import annotations

import itertools

import pytest

from ctexchange.domain.queries import SignalQuery
from ctexchange.domain.signals import STATUS_MOVES, SignalStatus
from ctexchange.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.signals import NewSignal

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture
def bank(exchange: Exchange, operator: Caller) -> str:
    """A GREEN collection of the operator organization."""
    exchange.collections.create(operator, "bank", "GREEN")
    return "bank"


@pytest.fixture
def member(exchange: Exchange, operator: Caller) -> Caller:
    """An analyst of another member organization."""
    exchange.members.create_org(operator, "agency", "national-agency")
    exchange.members.create_user(operator, "agency", "agency-analyst", "analyst")
    return exchange.auth.authenticate(exchange.members.create_key(operator, "agency-analyst", "k").text, "t")


def test_add_canonicalises_the_value(exchange: Exchange, operator: Caller, bank: str) -> None:
    """An uppercase digest is stored lowercase with its labels, marking, provenance and status."""
    s = exchange.signals.add(operator, bank, NewSignal("md5", MD5.upper(), ["propaganda", "un:QDe.115"]))
    assert (s.value, s.kind, s.family.value, s.status) == (MD5, "md5", "content", SignalStatus.ACTIVE)
    assert s.labels == {"propaganda", "un:QDe.115"}
    assert s.marking.value == "GREEN"
    assert s.provenance.source == "api"
    with pytest.raises(Conflict):
        exchange.signals.add(operator, bank, NewSignal("md5", MD5))


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (NewSignal("pdq-but-not-registered", MD5), "kind"),
        (NewSignal("md5", "xyz"), "value"),
        (NewSignal("md5", 42), "value"),
        (NewSignal("md5", MD5, ["gore"]), "labels[0]"),
        (NewSignal("md5", MD5, ["propaganda\u202e"]), "labels[0]"),
        (NewSignal("md5", MD5, marking="WHITE"), "marking"),
        (NewSignal("md5", MD5, recipients=["admin"]), "recipients"),
        (NewSignal("md5", MD5, recipients=["nobody"], marking="RED"), "recipients"),
    ],
)
def test_bad_items_name_their_field(
    exchange: Exchange, operator: Caller, bank: str, item: NewSignal, field: str
) -> None:
    """Each invalid item is refused with the field it broke, and nothing is stored."""
    with pytest.raises((InvalidInput, NotFound)) as info:
        exchange.signals.add(operator, bank, item)
    assert info.value.field == field
    assert exchange.signals.count(operator, SignalQuery()) == 0


def test_batch_is_all_or_nothing(exchange: Exchange, operator: Caller, bank: str) -> None:
    """One bad item in a batch refuses the batch, naming its index; nothing of it is stored."""
    items = [NewSignal("md5", f"{i:032x}") for i in range(5)] + [NewSignal("md5", "bad")]
    with pytest.raises(InvalidInput) as info:
        exchange.signals.add_many(operator, bank, items)
    assert info.value.field == "signals[5].value"
    assert exchange.signals.count(operator, SignalQuery()) == 0
    assert len(exchange.signals.add_many(operator, bank, items[:5])) == 5


def test_only_owners_add_to_a_collection(exchange: Exchange, member: Caller, bank: str) -> None:
    """A member that can see a GREEN collection still cannot add to it."""
    with pytest.raises(Forbidden):
        exchange.signals.add(member, "coalition/bank", NewSignal("md5", MD5))


@pytest.mark.parametrize(("start", "target"), list(itertools.product(SignalStatus, SignalStatus)))
def test_status_moves(
    exchange: Exchange, operator: Caller, bank: str, start: SignalStatus, target: SignalStatus
) -> None:
    """Every move in STATUS_MOVES is allowed and audited; every other is refused naming both states."""
    s = exchange.signals.add(operator, bank, NewSignal("md5", MD5))
    with exchange.store.transaction() as uow:
        uow.signals.set_status(s.id, start, exchange.clock())
    if target in STATUS_MOVES[start]:
        moved = exchange.signals.set_status(operator, s.id, target.value, "reviewed")
        assert moved.status is target
    else:
        with pytest.raises(InvalidTransition) as info:
            exchange.signals.set_status(operator, s.id, target.value, "reviewed")
        assert f"'{start.value}' to '{target.value}'" in info.value.message


def test_status_needs_a_reason_and_the_owner(
    exchange: Exchange, operator: Caller, member: Caller, bank: str
) -> None:
    """A status change without a reason, or by another organization, is refused."""
    s = exchange.signals.add(operator, bank, NewSignal("md5", MD5))
    with pytest.raises(InvalidInput, match="reason"):
        exchange.signals.set_status(operator, s.id, "expired", "  ")
    with pytest.raises(Forbidden):
        exchange.signals.set_status(member, s.id, "expired", "not ours")


def test_opinions(exchange: Exchange, operator: Caller, member: Caller, bank: str) -> None:
    """A member's opinion is recorded once per organization, the latest replacing the earlier."""
    s = exchange.signals.add(operator, bank, NewSignal("md5", MD5))
    exchange.signals.give_opinion(member, s.id, "agree")
    exchange.signals.give_opinion(member, s.id, "false-positive", "news footage")
    opinions = exchange.signals.opinions(operator, s.id)
    assert [(o.verdict.value, o.note) for o in opinions] == [("false_positive", "news footage")]
    with pytest.raises(InvalidInput, match="verdict"):
        exchange.signals.give_opinion(member, s.id, "maybe")


def test_page_limits(exchange: Exchange) -> None:
    """A page size outside 1..page_size_max and a forged cursor are refused."""
    with pytest.raises(InvalidInput, match="limit"):
        exchange.signals.page_request(0, None)
    with pytest.raises(InvalidInput, match="limit"):
        exchange.signals.page_request(10_000, None)
    with pytest.raises(InvalidInput, match="cursor"):
        exchange.signals.page_request(10, "not-a-cursor")


def test_enough_disagreement_disputes_a_signal(exchange: Exchange, operator: Caller) -> None:
    """Two organizations other than the owner disagreeing make an active signal disputed, audited."""
    from ctexchange.domain.queries import AuditQuery

    exchange.collections.create(operator, "shared", "GREEN")
    signal = exchange.signals.add(operator, "shared", NewSignal("md5", "5" * 32))
    callers = []
    for name in ("agency-a", "agency-b"):
        exchange.members.create_org(operator, name, "national-agency")
        exchange.members.create_user(operator, name, f"{name}-analyst", "analyst")
        key = exchange.members.create_key(operator, f"{name}-analyst", "k").text
        callers.append(exchange.auth.authenticate(key, "t"))
    exchange.signals.give_opinion(operator, signal.id, "disagree", "the owner's own view does not count")
    exchange.signals.give_opinion(callers[0], signal.id, "disagree", "not terrorist content")
    assert exchange.signals.get(operator, signal.id).status.value == "active"
    exchange.signals.give_opinion(callers[1], signal.id, "false_positive", "a news photo")
    assert exchange.signals.get(operator, signal.id).status.value == "disputed"
    with exchange.store.snapshot() as uow:
        events = uow.audit.events(AuditQuery(action="signal.disputed"))
    assert [e.entry.details["organizations_against"] for e in events] == [2]
