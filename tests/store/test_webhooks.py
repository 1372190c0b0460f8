"""The webhook repository on SQLite and PostgreSQL: subscriptions with their secret kept apart, the
outbox, claiming due deliveries with a lease, recording attempts, removal, and a rolled-back
transaction leaving no delivery behind."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ctexchange.domain.webhooks import Delivery, DeliveryStatus, Subscription, WebhookEvent
from ctexchange.store.base import SqlStore
from tests.store import factories as f


def _sub(org_id: UUID, *events: WebhookEvent, n: int = 0) -> Subscription:
    return Subscription(
        uuid4(),
        org_id,
        f"https://hooks.example.org/{n}",
        frozenset(events or (WebhookEvent.CASE_OPENED,)),
        True,
        "user:test",
        f.T0 + timedelta(minutes=n),
    )


def _delivery(sub: Subscription, n: int = 0) -> Delivery:
    at = f.T0 + timedelta(minutes=n)
    return Delivery(
        uuid4(),
        uuid4(),
        sub.id,
        sub.org_id,
        WebhookEvent.CASE_OPENED,
        f'{{"n":{n}}}',
        DeliveryStatus.PENDING,
        0,
        at,
        at,
    )


@pytest.fixture
def org_ids(store: SqlStore) -> tuple[UUID, UUID]:
    """Two organizations in the store."""
    a, b = f.org("a"), f.org("b")
    with store.transaction() as uow:
        uow.members.add_org(a)
        uow.members.add_org(b)
    return a.id, b.id


def test_subscription_round_trip_and_secret(store: SqlStore, org_ids: tuple[UUID, UUID]) -> None:
    """A subscription reads back equal; its secret only through `secret_of`; lists are per organization."""
    a, b = org_ids
    first = _sub(a, WebhookEvent.CASE_OPENED, WebhookEvent.MATCH_HIT)
    second = _sub(a, n=1)
    other = _sub(b)
    with store.transaction() as uow:
        uow.webhooks.add_subscription(first, "whsec_1")
        uow.webhooks.add_subscription(second, "whsec_2")
        uow.webhooks.add_subscription(other, "whsec_3")
    with store.snapshot() as uow:
        assert uow.webhooks.subscription(first.id) == first
        assert uow.webhooks.secret_of(first.id) == "whsec_1"
        assert uow.webhooks.secret_of(uuid4()) is None
        assert uow.webhooks.subscription(uuid4()) is None
        assert uow.webhooks.subscriptions(a, active_only=False) == [first, second]
        assert uow.webhooks.subscriptions(b, active_only=True) == [other]


def test_remove_keeps_the_row(store: SqlStore, org_ids: tuple[UUID, UUID]) -> None:
    """A removed subscription is inactive with its time, and left out of the active list."""
    sub = _sub(org_ids[0])
    with store.transaction() as uow:
        uow.webhooks.add_subscription(sub, "whsec_1")
        uow.webhooks.remove_subscription(sub.id, f.T0 + timedelta(days=1))
    with store.snapshot() as uow:
        assert uow.webhooks.subscription(sub.id) == replace(
            sub, is_active=False, removed_at=f.T0 + timedelta(days=1)
        )
        assert uow.webhooks.subscriptions(sub.org_id, active_only=True) == []


def test_claim_leases_due_deliveries(store: SqlStore, org_ids: tuple[UUID, UUID]) -> None:
    """Claim returns the due deliveries oldest first and pushes them past the lease; undue and final
    ones stay where they are."""
    sub = _sub(org_ids[0])
    due = [_delivery(sub, n) for n in range(3)]
    later = _delivery(sub, 60)
    with store.transaction() as uow:
        uow.webhooks.add_subscription(sub, "whsec_1")
        for d in [*due, later]:
            uow.webhooks.add_delivery(d)
        uow.webhooks.record_attempt(replace(due[2], status=DeliveryStatus.DELIVERED, attempts=1))
    now = f.T0 + timedelta(minutes=5)
    lease = now + timedelta(minutes=5)
    with store.transaction() as uow:
        claimed = uow.webhooks.claim(now, lease, 10)
    assert claimed == due[:2]
    with store.transaction() as uow:
        assert uow.webhooks.claim(now, lease, 10) == []
        assert {d.id for d in uow.webhooks.claim(lease, lease, 10)} == {due[0].id, due[1].id}


def test_record_attempt_and_newest_first(store: SqlStore, org_ids: tuple[UUID, UUID]) -> None:
    """An attempt's outcome reads back; an organization's deliveries list newest first, with a limit."""
    sub = _sub(org_ids[0])
    made = [_delivery(sub, n) for n in range(3)]
    with store.transaction() as uow:
        uow.webhooks.add_subscription(sub, "whsec_1")
        for d in made:
            uow.webhooks.add_delivery(d)
    tried = replace(
        made[0],
        status=DeliveryStatus.RETRYING,
        attempts=1,
        next_attempt_at=f.T0 + timedelta(seconds=30),
        last_attempt_at=f.T0,
        last_status_code=500,
        last_error="HTTP 500",
    )
    with store.transaction() as uow:
        uow.webhooks.record_attempt(tried)
    with store.snapshot() as uow:
        assert uow.webhooks.delivery(made[0].id) == tried
        assert uow.webhooks.delivery(uuid4()) is None
        assert [d.id for d in uow.webhooks.deliveries(sub.org_id, 2)] == [made[2].id, made[1].id]
        assert uow.webhooks.deliveries(org_ids[1], 10) == []


def test_rolled_back_transaction_leaves_no_delivery(store: SqlStore, org_ids: tuple[UUID, UUID]) -> None:
    """The outbox row goes with its transaction: a failure after writing it leaves nothing."""
    sub = _sub(org_ids[0])
    with store.transaction() as uow:
        uow.webhooks.add_subscription(sub, "whsec_1")
    delivery = _delivery(sub)
    with pytest.raises(RuntimeError), store.transaction() as uow:
        uow.webhooks.add_delivery(delivery)
        raise RuntimeError("the change failed")
    with store.snapshot() as uow:
        assert uow.webhooks.delivery(delivery.id) is None


def test_two_workers_claiming_at_once_never_share_a_delivery(
    store: SqlStore, org_ids: tuple[UUID, UUID]
) -> None:
    """Two claims racing over the same due rows (one holding its transaction open while the other reads,
    as a served worker and a cron job would) take disjoint deliveries that together are all of them."""
    sub = _sub(org_ids[0])
    rows = [_delivery(sub, n) for n in range(6)]
    with store.transaction() as uow:
        uow.webhooks.add_subscription(sub, "whsec_1")
        for row in rows:
            uow.webhooks.add_delivery(row)
    now, lease = f.T0 + timedelta(hours=1), f.T0 + timedelta(hours=2)
    first_claimed, second_started = threading.Event(), threading.Event()
    taken: dict[str, list[UUID]] = {}

    def first() -> None:
        with store.transaction() as uow:
            taken["first"] = [d.id for d in uow.webhooks.claim(now, lease, 10)]
            first_claimed.set()
            second_started.wait(timeout=30)
            time.sleep(0.2)  # let the second claim reach its read and its updates before this commits

    def second() -> None:
        first_claimed.wait(timeout=30)
        second_started.set()
        with store.transaction() as uow:
            taken["second"] = [d.id for d in uow.webhooks.claim(now, lease, 10)]

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not set(taken["first"]) & set(taken["second"])
    assert sorted(taken["first"] + taken["second"]) == sorted(r.id for r in rows)
