"""`ctx webhook`: subscriptions of member organizations, their deliveries, and the delivery worker.

The local operator is an admin of the operator organization, so it manages the operator organization's
subscriptions by default and any organization's with `--org`. `deliver` is the delivery worker: run it
from cron (every minute) or in a loop (`--every SECONDS`); it posts what is due and prints the outcomes.

Decisions:
- The secret is printed by `add` only, once; `list --json` has no secret field.
- `--json` prints the same fields as the API (`SubscriptionOut`, `DeliveryOut`; `add` adds `secret`).
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag, iso, when
from ctexchange.cli.state import operator_session
from ctexchange.domain.webhooks import Delivery, Subscription, WebhookEvent
from ctexchange.errors import InvalidInput

webhook_app = typer.Typer(
    help="Webhook subscriptions, deliveries and the delivery worker.", no_args_is_help=True
)

EVENTS = "|".join(e.value for e in WebhookEvent)
OrgOpt = Annotated[
    str | None, typer.Option("--org", help="The organization (id or name); default: the operator's.")
]


def subscription_doc(sub: Subscription) -> dict[str, Any]:
    """Return a subscription as JSON (never with its secret)."""
    return {
        "id": str(sub.id),
        "org_id": str(sub.org_id),
        "url": sub.url,
        "events": sorted(e.value for e in sub.events),
        "is_active": sub.is_active,
        "created_by": sub.created_by,
        "created_at": iso(sub.created_at),
        "removed_at": iso(sub.removed_at),
    }


def delivery_doc(delivery: Delivery) -> dict[str, Any]:
    """Return a delivery as JSON, with its payload."""
    return {
        "id": str(delivery.id),
        "event_id": str(delivery.event_id),
        "subscription_id": str(delivery.subscription_id),
        "event": delivery.event.value,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at),
        "created_at": iso(delivery.created_at),
        "last_attempt_at": iso(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": iso(delivery.delivered_at),
        "payload": json.loads(delivery.body),
    }


@webhook_app.command("add")
def webhook_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The receiver: https:// (http:// only to a loopback host).")],
    events: Annotated[list[str], typer.Option("--event", help=f"{EVENTS}; repeat for several.")],
    org: OrgOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Subscribe an organization to events at URL; prints the signing secret once."""
    with operator_session(ctx) as (exchange, caller):
        created = exchange.webhooks.add(caller, url, events, org)
    if as_json:
        output.emit_json({**subscription_doc(created.subscription), "secret": created.secret})
    else:
        output.say(f"subscription {created.subscription.id}")
        output.say(f"secret {created.secret}")
        output.note("keep the secret now: it is not shown again")


@webhook_app.command("list")
def webhook_list(ctx: typer.Context, org: OrgOpt = None, as_json: JsonFlag = False) -> None:
    """List an organization's subscriptions, removed ones included."""
    with operator_session(ctx) as (exchange, caller):
        subs = exchange.webhooks.subscriptions(caller, org)
    if as_json:
        output.emit_json([subscription_doc(s) for s in subs])
        return
    rows = (
        [
            str(s.id),
            "active" if s.is_active else "removed",
            s.url,
            ", ".join(sorted(s.events)),
            when(s.created_at),
        ]
        for s in subs
    )
    output.print_table(["id", "state", "url", "events", "created"], rows)


@webhook_app.command("remove")
def webhook_remove(
    ctx: typer.Context,
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Remove a subscription for good; its undelivered events are cancelled."""
    with operator_session(ctx) as (exchange, caller):
        sub = exchange.webhooks.remove(caller, subscription_id)
    if as_json:
        output.emit_json(subscription_doc(sub))
    else:
        output.say(f"removed subscription {sub.id}")


@webhook_app.command("deliveries")
def webhook_deliveries(
    ctx: typer.Context,
    org: OrgOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List an organization's newest deliveries with their attempts and last outcome."""
    with operator_session(ctx) as (exchange, caller):
        found = exchange.webhooks.deliveries(caller, org, limit)
    _print_deliveries(found, as_json)


@webhook_app.command("deliver")
def webhook_deliver(
    ctx: typer.Context,
    every: Annotated[
        int | None, typer.Option("--every", help="Keep running, delivering every SECONDS (1 to 3600).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Post every delivery that is due now and record the outcomes (the delivery worker)."""
    if every is not None and not 1 <= every <= 3600:
        raise InvalidInput.expected("every", "from 1 to 3600 seconds", every)
    while True:
        with operator_session(ctx) as (exchange, caller):
            done = exchange.webhooks.deliver_due(caller)
        _print_deliveries(done, as_json)
        if every is None:
            return
        time.sleep(every)


def _print_deliveries(found: list[Delivery], as_json: bool) -> None:
    if as_json:
        output.emit_json([delivery_doc(d) for d in found])
        return
    rows = (
        [
            str(d.id),
            d.event.value,
            d.status.value,
            d.attempts,
            "" if d.last_status_code is None else d.last_status_code,
            d.last_error or "",
            when(d.next_attempt_at) if d.next_attempt_at else "",
        ]
        for d in found
    )
    output.print_table(["id", "event", "status", "attempts", "code", "error", "next attempt"], rows)
