"""The webhook delivery worker inside the served app: the lifespan starts it with the app's own exchange,
it posts what is due to a real loopback receiver (signed), keeps delivering while the app serves, and
stops with the app; `webhook_deliver_every_s = 0` turns it off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from ctexchange.api.app import create_app
from ctexchange.domain.queries import AuditQuery
from ctexchange.domain.webhooks import DeliveryStatus
from ctexchange.errors import InvalidInput
from ctexchange.service.alerts import NewAlert, SubjectInput
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.webhooks import WORKER_ACTOR, DeliveryWorker
from tests.api.factories import Member
from tests.receiver import Receiver, running_receiver

SUBJECT = SubjectInput(names=["Abu Example"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver, shut down after the test."""
    with running_receiver() as state:
        yield state


def _analyst(exchange: Exchange, operator: Caller) -> Caller:
    """An analyst of `agency`, which issues alerts to the coalition."""
    exchange.members.create_org(operator, "agency", "national-agency")
    exchange.members.create_user(operator, "agency", "ana", "analyst")
    return exchange.auth.authenticate(exchange.members.create_key(operator, "ana", "k").text, "t")


def _alert(exchange: Exchange, analyst: Caller, title: str) -> None:
    until = exchange.clock() + timedelta(days=7)
    exchange.alerts.issue(
        analyst,
        NewAlert(title=title, kind="fighter-travel", valid_until=until, subject=SUBJECT, orgs=["coalition"]),
    )


def _statuses(exchange: Exchange, operator: Caller) -> list[DeliveryStatus]:
    return [d.status for d in reversed(exchange.webhooks.deliveries(operator))]


def test_the_served_app_delivers_while_it_runs_and_stops_with_it(
    exchange: Exchange, operator: Caller, admin: Member, receiver: Receiver
) -> None:
    """An event waiting when the app starts and one made while it serves both reach the receiver, signed
    with the subscription's secret and audited as the worker's runs; after shutdown the worker's thread
    is gone and a new event waits in the outbox."""
    secret = exchange.webhooks.add(operator, receiver.url("/soc"), ["alert.received"]).secret
    analyst = _analyst(exchange, operator)
    _alert(exchange, analyst, "Before the server starts")
    app = create_app(replace(exchange.settings, webhook_deliver_every_s=1))
    with TestClient(app) as client:
        worker = app.state.webhook_worker
        assert isinstance(worker, DeliveryWorker) and worker.is_running
        first = receiver.wait_for(1)
        _alert(exchange, analyst, "While it serves")
        both = receiver.wait_for(2)
        listed = client.get("/v1/webhooks/deliveries", headers=admin.headers).json()["items"]
    assert len(first) >= 1 and len(both) == 2
    assert all(got.is_signed_with(secret) and got.path == "/soc" for got in both)
    assert [got.payload["type"] for got in both] == ["alert.received"] * 2
    assert {d["status"] for d in listed} <= {"delivered", "pending"}
    assert not worker.is_running
    assert _statuses(exchange, operator) == [DeliveryStatus.DELIVERED] * 2
    runs = exchange.audit.events(_auditor(exchange, operator), AuditQuery(action="webhook.deliver"))
    assert runs and {e.entry.actor for e in runs} == {WORKER_ACTOR}
    _alert(exchange, analyst, "After shutdown")
    assert _statuses(exchange, operator)[-1] is DeliveryStatus.PENDING
    assert len(receiver.got) == 2


def test_a_setting_of_zero_turns_the_worker_off(
    exchange: Exchange, operator: Caller, receiver: Receiver
) -> None:
    """With `webhook_deliver_every_s = 0` the app runs no worker: what is due stays in the outbox for
    `ctx webhook deliver`."""
    exchange.webhooks.add(operator, receiver.url("/soc"), ["alert.received"])
    _alert(exchange, _analyst(exchange, operator), "Nobody delivers this")
    app = create_app(replace(exchange.settings, webhook_deliver_every_s=0))
    with TestClient(app) as client:
        assert app.state.webhook_worker is None
        assert client.get("/v1/health").status_code == 200
    assert _statuses(exchange, operator) == [DeliveryStatus.PENDING]
    assert receiver.got == []


def test_a_stopped_worker_hands_back_what_it_claimed(
    exchange: Exchange, operator: Caller, receiver: Receiver
) -> None:
    """A run asked to stop before its first post tries nothing and leaves its claimed deliveries due at
    once, as they were, instead of leased for five minutes."""
    exchange.webhooks.add(operator, receiver.url("/soc"), ["alert.received"])
    _alert(exchange, _analyst(exchange, operator), "Claimed then handed back")
    [before] = exchange.webhooks.deliveries(operator)
    stop = threading.Event()
    stop.set()
    assert exchange.webhooks.deliver_due(operator, stop=stop) == []
    [after] = exchange.webhooks.deliveries(operator)
    assert after == before
    assert receiver.got == []


def test_a_worker_refuses_a_period_that_is_not_positive(exchange: Exchange, operator: Caller) -> None:
    """The worker's period must be above zero (zero means no worker at all, decided by the app)."""
    with pytest.raises(InvalidInput, match="'webhook_deliver_every_s' must be a number of seconds above 0"):
        DeliveryWorker(exchange.webhooks, lambda: operator, 0)


def _auditor(exchange: Exchange, operator: Caller) -> Caller:
    exchange.members.create_user(operator, "coalition", "overseer", "auditor")
    return exchange.auth.authenticate(exchange.members.create_key(operator, "overseer", "k").text, "t")
