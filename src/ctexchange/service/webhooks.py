"""Webhooks: organizations subscribe to events; the exchange signs and posts them, retrying with back-off.

Two halves:
- `Notifier.emit(uow, org_id, event, data)` is called by the other services inside the transaction of the
  change it tells of, and writes one outbox row per matching active subscription of that organization.
  A crash therefore never loses an event whose change committed, nor invents one whose change rolled
  back. The caller of `emit` decides who is told, and tells only an organization that may see the thing
  (the case's own organization, the other party of a request, a recipient organization of an alert, the
  organization that made a lookup).
- `WebhookService.deliver_due` (run by `DeliveryWorker` on a thread of `ctx serve`, or by
  `ctx webhook deliver` from cron or a loop) leases the due rows, posts each with a short timeout and
  records the outcome: 2xx delivers; anything else (another status, a timeout, a refused connection, a
  redirect, which is never followed) schedules the next attempt by `ctexchange.domain.webhooks.BACKOFF`
  until `MAX_ATTEMPTS`, then fails for good.

Decisions:
- **Payloads carry ids, never content**: `{id, type, created_at, organization, data}` with the ids, states
  and kinds a receiver needs to fetch the rest through the API under its own access rules. The body is
  fixed when the event is written, so every retry sends (and signs) the same bytes.
- **Matches** are told through the content service's observer seam, which runs inside the transaction
  that writes the lookup's sightings and review cases: `match.hit` goes to the organization that made
  the lookup, for its visible hits only, each with the id of the review case it opened or joined (or
  null). Like every other event it is committed with its change or not at all. Sightings of one's own
  signals are not sent.
- **RED alerts are not sent**: their audience is named users, not organizations, and a receiver is an
  organization's machine.
- **Administration**: admins manage their own organization's subscriptions (`webhooks.manage`); admins
  of the operator organization may manage any organization's. The delivery worker is run by the
  operator and records one `webhook.deliver` event per run that attempted anything.
- **Audit**: `webhook.add` and `webhook.remove` name the subscription, its events and the URL's scheme
  and host (a URL's path or query may hold a receiver's token), never the secret.
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import structlog

from ctexchange.domain.roles import Action, Role
from ctexchange.domain.signals import JsonValue
from ctexchange.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SECRET_PREFIX,
    SIGNATURE_HEADER,
    Delivery,
    DeliveryStatus,
    Subscription,
    WebhookEvent,
    after_failure,
    check_delivery_move,
    check_url,
    parse_events,
    sign,
)
from ctexchange.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ctexchange.service.access import parse_id, require, require_coalition_admin
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.service.members import find_org
from ctexchange.store.protocol import Store, UnitOfWork

if TYPE_CHECKING:  # the content service imports the services that import this module
    from ctexchange.service.content import MatchObserver, MatchOutcome

DEFAULT_TIMEOUT_S = 5.0
LEASE = timedelta(minutes=5)
DELIVER_BATCH = 100
MAX_LIST = 500
MAX_ERROR_CHARS = 200
WORKER_ACTOR = "serve:webhook-worker"
"""The audit name of the delivery worker that `ctx serve` runs."""

log = structlog.get_logger("ctexchange.webhooks")

# A poster sends one signed body: (url, body, headers, timeout_s) -> HTTP status; OSError when no answer.
Poster = Callable[[str, bytes, Mapping[str, str], float], int]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse to follow redirects: a receiver may not send the exchange's posts somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_http(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
    """POST `body` to `url` with `headers`; return the status (a 4xx/5xx/3xx too); OSError if no answer."""
    # S310: only http(s) URLs reach here, checked by `check_url` when the subscription was made.
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@dataclass(frozen=True)
class CreatedSubscription:
    """A new subscription and its secret, which is shown this once."""

    subscription: Subscription
    secret: str


def _payload(event_id: UUID, event: WebhookEvent, at: datetime, org_id: UUID, data: JsonValue) -> str:
    document = {
        "id": str(event_id),
        "type": event.value,
        "created_at": at.isoformat(),
        "organization": str(org_id),
        "data": data,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Notifier:
    """Writes events to the outbox of the organization's matching subscriptions (see the module doc)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def emit(self, uow: UnitOfWork, org_id: UUID, event: WebhookEvent, data: dict[str, JsonValue]) -> int:
        """Write one delivery of `event` per active subscription of `org_id` that wants it; return how many.

        Call it inside the transaction of the change, only for an organization that may see what
        `data` names.
        """
        subs = [s for s in uow.webhooks.subscriptions(org_id, active_only=True) if s.wants(event)]
        if not subs:
            return 0
        now = self.clock()
        event_id = uuid4()
        body = _payload(event_id, event, now, org_id, data)
        for sub in subs:
            uow.webhooks.add_delivery(
                Delivery(uuid4(), event_id, sub.id, org_id, event, body, DeliveryStatus.PENDING, 0, now, now)
            )
        return len(subs)

    def matched(
        self, uow: UnitOfWork, caller: Caller, outcomes: Sequence[MatchOutcome]
    ) -> list[MatchOutcome]:
        """Tell the organization that made the lookups of their visible hits (`match.hit`), in the
        transaction that writes their sightings; return the outcomes unchanged."""
        for outcome in outcomes:
            if not outcome.hits:
                continue
            hits: list[JsonValue] = [
                {
                    "signal_id": str(h.signal.id),
                    "collection_id": str(h.collection.id),
                    "kind": h.signal.kind,
                    "match_type": h.match_type,
                    "case_id": None if h.case_id is None else str(h.case_id),
                }
                for h in outcome.hits
            ]
            data: dict[str, JsonValue] = {"lookup_id": outcome.id, "request_id": caller.request_id}
            data["hits"] = hits
            self.emit(uow, caller.principal.org_id, WebhookEvent.MATCH_HIT, data)
        return list(outcomes)


class Observers:
    """Several match observers behind the one `ContentService.observer` slot, told in order, each given
    the outcomes the one before returned (review cases first, so that `match.hit` names the cases)."""

    def __init__(self, *observers: MatchObserver) -> None:
        self.observers = observers

    def matched(
        self, uow: UnitOfWork, caller: Caller, outcomes: Sequence[MatchOutcome]
    ) -> list[MatchOutcome]:
        """Tell every observer, in the one transaction."""
        told = list(outcomes)
        for observer in self.observers:
            told = observer.matched(uow, caller, told)
        return told


def _url_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _error_text(exc: OSError) -> str:
    reason = getattr(exc, "reason", None)
    text = f"{type(exc).__name__}: {reason if reason is not None else exc}"
    return text[:MAX_ERROR_CHARS]


class WebhookService:
    """Manage subscriptions, list deliveries, and deliver what is due."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        poster: Poster = post_http,
    ) -> None:
        self.store = store
        self.clock = clock
        self.timeout_s = timeout_s
        self.poster = poster

    # Subscriptions ------------------------------------------------------------------------------------

    def add(
        self, caller: Caller, url: str, events: Sequence[str], org: str | None = None
    ) -> CreatedSubscription:
        """Subscribe the caller's organization (or, for operator admins, `org`) to `events` at `url`."""
        require(caller, Action.MANAGE_WEBHOOKS)
        checked_url = check_url(url)
        wanted = parse_events(list(events))
        now = self.clock()
        secret = SECRET_PREFIX + secrets.token_hex(32)
        with self.store.transaction() as uow:
            org_id = self._org(uow, caller, org)
            sub = Subscription(uuid4(), org_id, checked_url, wanted, True, caller.principal.actor, now)
            uow.webhooks.add_subscription(sub, secret)
            details = {"events": sorted(e.value for e in wanted), "origin": _url_origin(checked_url)}
            record(uow, caller, self.clock, "webhook.add", ("webhook", sub.id, org_id), details)
        return CreatedSubscription(sub, secret)

    def subscriptions(self, caller: Caller, org: str | None = None) -> list[Subscription]:
        """Return the organization's subscriptions, removed ones included, oldest first."""
        require(caller, Action.MANAGE_WEBHOOKS)
        with self.store.snapshot() as uow:
            org_id = self._org(uow, caller, org)
            return uow.webhooks.subscriptions(org_id, active_only=False)

    def remove(self, caller: Caller, subscription_id: UUID | str) -> Subscription:
        """Deactivate a subscription for good; its undelivered events are cancelled when next due."""
        require(caller, Action.MANAGE_WEBHOOKS)
        now = self.clock()
        with self.store.transaction() as uow:
            sub = self._visible(uow, caller, subscription_id)
            if not sub.is_active:
                raise InvalidTransition(
                    f"subscription {sub.id} was removed already (a removed subscription stays removed)",
                    field="subscription_id",
                )
            uow.webhooks.remove_subscription(sub.id, now)
            details = {"events": sorted(e.value for e in sub.events), "origin": _url_origin(sub.url)}
            record(uow, caller, self.clock, "webhook.remove", ("webhook", sub.id, sub.org_id), details)
        return replace(sub, is_active=False, removed_at=now)

    def deliveries(self, caller: Caller, org: str | None = None, limit: int = 50) -> list[Delivery]:
        """Return the organization's newest deliveries first, with their attempts and outcome."""
        require(caller, Action.MANAGE_WEBHOOKS)
        if not 1 <= limit <= MAX_LIST:
            raise InvalidInput.expected("limit", f"from 1 to {MAX_LIST}", limit)
        with self.store.snapshot() as uow:
            org_id = self._org(uow, caller, org)
            return uow.webhooks.deliveries(org_id, limit)

    def _org(self, uow: UnitOfWork, caller: Caller, ref: str | None) -> UUID:
        """Return the organization acted for: the caller's, or any for an operator admin."""
        own = caller.principal.org_id
        if ref is None:
            return own
        org = find_org(uow, ref)
        if org.id != own and not (caller.principal.is_operator_org and caller.principal.role is Role.ADMIN):
            raise Forbidden("admins manage the webhooks of their own organization only")
        return org.id

    def _visible(self, uow: UnitOfWork, caller: Caller, subscription_id: UUID | str) -> Subscription:
        """Return a subscription the caller manages; NotFound as for an absent id otherwise."""
        ident = (
            subscription_id
            if isinstance(subscription_id, UUID)
            else parse_id(subscription_id, "subscription", "subscription_id")
        )
        sub = uow.webhooks.subscription(ident)
        principal = caller.principal
        is_operator_admin = principal.is_operator_org and principal.role is Role.ADMIN
        if sub is None or (sub.org_id != principal.org_id and not is_operator_admin):
            raise NotFound.of("subscription", ident, "subscription_id")
        return sub

    # Delivery -----------------------------------------------------------------------------------------

    def deliver_due(
        self,
        caller: Caller,
        now: datetime | None = None,
        limit: int = DELIVER_BATCH,
        stop: threading.Event | None = None,
    ) -> list[Delivery]:
        """Post every delivery due at `now` (default: the clock), record each outcome; return them.

        When `stop` is set between two posts, the deliveries not yet tried are handed back as they were
        (due again at once) instead of waiting for their lease to run out.
        """
        require_coalition_admin(caller)
        at = self.clock() if now is None else now
        with self.store.transaction() as uow:
            claimed = uow.webhooks.claim(at, at + LEASE, limit)
            subs = {d.subscription_id: uow.webhooks.subscription(d.subscription_id) for d in claimed}
            keys = {sid: uow.webhooks.secret_of(sid) for sid in subs}
        done = []
        for index, delivery in enumerate(claimed):
            if stop is not None and stop.is_set():
                with self.store.transaction() as uow:
                    for untried in claimed[index:]:
                        uow.webhooks.record_attempt(untried)
                break
            sub, secret = subs[delivery.subscription_id], keys[delivery.subscription_id]
            if sub is None or secret is None or not sub.is_active:
                outcome = self._moved(delivery, DeliveryStatus.CANCELLED, next_at=None)
            else:
                outcome = self._attempt(sub, secret, delivery, at)
            with self.store.transaction() as uow:
                uow.webhooks.record_attempt(outcome)
            done.append(outcome)
        if done:
            counts: dict[str, int] = {}
            for d in done:
                counts[d.status.value] = counts.get(d.status.value, 0) + 1
            with self.store.transaction() as uow:
                details = {"counts": counts, "delivery_ids": [str(d.id) for d in done]}
                record(uow, caller, self.clock, "webhook.deliver", ("webhook", None, None), details)
        return done

    def _attempt(self, sub: Subscription, secret: str, delivery: Delivery, at: datetime) -> Delivery:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ctexchange-webhooks",
            SIGNATURE_HEADER: sign(secret, int(at.timestamp()), body),
            EVENT_HEADER: str(delivery.event_id),
            DELIVERY_HEADER: str(delivery.id),
        }
        attempts = delivery.attempts + 1
        tried = replace(delivery, attempts=attempts, last_attempt_at=at)
        try:
            code: int | None = self.poster(sub.url, body, headers, self.timeout_s)
            error = None if code is not None and 200 <= code < 300 else f"HTTP {code}"
        except OSError as exc:
            code, error = None, _error_text(exc)
        tried = replace(tried, last_status_code=code, last_error=error)
        if error is None:
            return replace(self._moved(tried, DeliveryStatus.DELIVERED, next_at=None), delivered_at=at)
        status, next_at = after_failure(attempts, at)
        return self._moved(tried, status, next_at=next_at)

    @staticmethod
    def _moved(delivery: Delivery, target: DeliveryStatus, *, next_at: datetime | None) -> Delivery:
        check_delivery_move(delivery.status, target)
        return replace(delivery, status=target, next_attempt_at=next_at)


class DeliveryWorker:
    """Runs `WebhookService.deliver_due` on a background thread every `every_s` seconds until stopped.

    `ctx serve` runs one in the API's lifespan. A run that fails (the store briefly unreachable) is
    logged and the worker carries on at its next tick; a full batch is followed at once by the next one.
    `stop` wakes the thread, lets the post in flight finish (it is bounded by the service's timeout),
    hands back what it had claimed but not tried, and joins.
    """

    def __init__(self, service: WebhookService, caller: Callable[[], Caller], every_s: float) -> None:
        if every_s <= 0:
            raise InvalidInput.expected("webhook_deliver_every_s", "a number of seconds above 0", every_s)
        self.service = service
        self.caller = caller
        self.every_s = every_s
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ctx-webhook-worker", daemon=True)

    @property
    def is_running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the thread; its first run is at once."""
        self._thread.start()
        log.info("webhook.worker.started", every_s=self.every_s)

    def stop(self) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * self.service.timeout_s + self.every_s)
        log.info("webhook.worker.stopped", runs=self.runs, is_alive=self._thread.is_alive())

    def _loop(self) -> None:
        while not self._stop.is_set():
            done: list[Delivery] = []
            try:
                done = self.service.deliver_due(self.caller(), stop=self._stop)
            except Exception as exc:  # a worker outlives a failed run: the next tick retries
                log.warning("webhook.worker.failed", error=type(exc).__name__)
            self.runs += 1
            if done:
                counts: dict[str, int] = {}
                for d in done:
                    counts[d.status.value] = counts.get(d.status.value, 0) + 1
                log.info("webhook.worker.delivered", **counts)
            if len(done) < DELIVER_BATCH:
                self._stop.wait(self.every_s)
