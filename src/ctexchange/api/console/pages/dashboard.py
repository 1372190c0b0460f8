"""The dashboard: what needs the user's attention, in four cards.

- recent matches: the newest sightings of the organization's own signals (who matched them: the owner
  always learns it), with the organizations as the owner may see them (pseudonyms for anonymised banks);
- open cases: the organization's undecided review cases, oldest first;
- requests due: incoming requests for assistance not yet answered, nearest deadline first, overdue marked;
- active alerts: alerts in force the organization received, those still to acknowledge first.

Each card asks its service as the signed-in caller. A card whose action the role lacks is left out (the
service would refuse it with Forbidden); nothing is counted that the caller may not see, since every
list comes from the same access-filtered service calls as the API's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.web import ConsoleRouter, ExchangeDep, SignedInDep, render
from ctexchange.domain.cases import CaseQuery, CaseStatus
from ctexchange.domain.requests import FINISHED, RequestQuery, Side
from ctexchange.domain.roles import Action, is_allowed
from ctexchange.domain.signals import Signal
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange

router = ConsoleRouter()
SHOWN = 5  # items listed per card
COUNTED = 100  # items counted per card; more shows as "100+"


@dataclass
class Card:
    """One card: its count (None when the role may not see it) and the first items."""

    count: int | None = None
    items: list[Any] = field(default_factory=list)
    is_more: bool = False

    def fill(self, found: list[Any]) -> None:
        """Count what was found (capped) and keep the first items."""
        self.count = min(len(found), COUNTED)
        self.is_more = len(found) >= COUNTED
        self.items = found[:SHOWN]


@dataclass
class Dashboard:
    """The four cards and the names needed to show them."""

    matches: Card = field(default_factory=Card)
    cases: Card = field(default_factory=Card)
    requests: Card = field(default_factory=Card)
    alerts: Card = field(default_factory=Card)
    org_names: dict[Any, str] = field(default_factory=dict)
    signals: dict[UUID, Signal] = field(default_factory=dict)
    now: datetime | None = None


def build_dashboard(exchange: Exchange, session: SignedIn) -> Dashboard:
    """Fill the cards the session's role may see, through the services."""
    caller = session.caller
    role = caller.principal.role
    board = Dashboard(now=exchange.clock())
    board.org_names = {o.id: o.name for o in exchange.members.orgs(caller)}
    if is_allowed(role, Action.READ_SIGNALS):
        board.matches.fill(exchange.content.sightings(caller, None, COUNTED))
        for sighting in board.matches.items:  # the organization's own signals: visible to it
            if sighting.signal_id not in board.signals:
                board.signals[sighting.signal_id] = exchange.signals.get(caller, sighting.signal_id)
    if is_allowed(role, Action.READ_CASES):
        for status in (CaseStatus.OPEN, CaseStatus.ESCALATED):
            page = exchange.cases.find(
                caller, CaseQuery(status=status), exchange.cases.page_request(COUNTED, None)
            )
            board.cases.items.extend(page.items)
        board.cases.fill(sorted(board.cases.items, key=lambda c: c.opened_at))
    if is_allowed(role, Action.READ_REQUESTS):
        page_req = exchange.requests.page_request(COUNTED, None)
        found = exchange.requests.find(caller, RequestQuery(side=Side.REQUESTED), page_req).items
        due = [r for r in found if r.status not in FINISHED]
        board.requests.fill(sorted(due, key=lambda r: (r.deadline is None, r.deadline or r.created_at)))
    if is_allowed(role, Action.READ_ALERTS):
        alerts = exchange.alerts.find(caller, box="received", state="issued", limit=COUNTED).items
        board.alerts.fill(alerts)
    return board


@router.get("/")
async def dashboard(request: Request, session: SignedInDep, exchange: ExchangeDep) -> Response:
    """The dashboard of the signed-in user."""
    board = await run_in_threadpool(build_dashboard, exchange, session)
    return render(request, "dashboard.html", {"board": board}, session=session)
