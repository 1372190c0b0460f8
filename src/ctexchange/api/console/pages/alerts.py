"""Alerts: the organization's alerts (received, sent, all), issuing one, acknowledging one.

- `/alerts?box=received|sent|all&state=issued|expired|cancelled`: the alerts the user may see, those
  the organization must still acknowledge first (the service's order), with their validity, marking
  and standing; an acknowledge button on each alert in force the organization has not acknowledged.
- `/alerts/{id}`: the alert with its subject, last known location, route, versions and the
  acknowledgements the user may see (every recipient's for the issuer, its own for a recipient);
  acknowledge (recipients) or cancel with a reason (issuer).
- The issue form: title, kind, details, subject (a designated-entity signal and/or a described name),
  last known location, validity, marking and recipients (organizations and sharing groups; named users of
  other organizations for RED).

Everything is `AlertService` as the signed-in caller: an alert the user may not see is the console's
404 page; refused values and moves (a second acknowledgement, an expired alert) are shown on the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.pages.workflow import (
    MAX_LONG,
    MAX_REASON,
    MAX_SHORT,
    Refusal,
    may,
    org_names,
    query_string,
    split_list,
    utc_moment,
)
from ctexchange.api.console.web import ConsoleRouter, CsrfDep, ExchangeDep, SignedInDep, redirect, render
from ctexchange.domain.alerts import AlertBox, AlertKind, AlertState
from ctexchange.domain.markings import Marking
from ctexchange.domain.roles import Action
from ctexchange.errors import Conflict, Forbidden, InvalidInput, NotFound
from ctexchange.service.access import require
from ctexchange.service.alerts import LocationInput, NewAlert, SubjectInput
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange

router = ConsoleRouter()
PAGE_SIZE = 50
DONE = ("issue", "acknowledge", "cancel")


def _list_context(
    exchange: Exchange, session: SignedIn, box: str, state: str, cursor: str | None
) -> dict[str, Any]:
    found = exchange.alerts.find(session.caller, box, state or None, None, PAGE_SIZE, cursor)
    context: dict[str, Any] = {
        "views": found.items,
        "next_cursor": found.next_cursor,
        "org_names": org_names(exchange, session),
    }
    context.update(_issue_context(exchange, session))
    return context


def _issue_context(exchange: Exchange, session: SignedIn) -> dict[str, Any]:
    if not may(session, Action.WRITE_ALERTS):
        return {"may_issue": False}
    own = session.caller.principal.org_id
    return {
        "may_issue": True,
        "orgs": [o for o in exchange.members.orgs(session.caller) if o.is_active and o.id != own],
        "groups": [g for g in exchange.members.groups(session.caller) if own in g.member_org_ids],
        "kinds": [k.value for k in AlertKind],
        "markings": [m.value for m in Marking],
    }


async def _list_page(
    request: Request,
    exchange: Exchange,
    session: SignedIn,
    box: str,
    state: str,
    cursor: str | None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    require(session.caller, Action.READ_ALERTS)
    context = await run_in_threadpool(_list_context, exchange, session, box, state, cursor)
    filters = {"box": box, "state": state}
    context.update(
        box=box,
        boxes=[b.value for b in AlertBox],
        states=[s.value for s in AlertState],
        filters=filters,
        next_query=query_string({**filters, "cursor": context["next_cursor"]}),
        error=None,
        done=None,
        form={},
    )
    context.update(extra or {})
    return render(request, "alerts.html", context, status_code, session, page_path="/alerts")


@router.get("/alerts")
async def alerts_page(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    box: Annotated[str, Query(max_length=10)] = "all",
    state: Annotated[str, Query(max_length=10)] = "issued",
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The alerts list (active ones by default) and the issue form."""
    extra = {"done": done if done in DONE else None}
    return await _list_page(request, exchange, session, box, state, cursor, extra)


def _alert_context(exchange: Exchange, session: SignedIn, alert_id: str) -> dict[str, Any]:
    view = exchange.alerts.get(session.caller, alert_id)
    history = exchange.alerts.history(session.caller, view.alert.id)
    return {
        "view": view,
        "a": view.alert,
        "history": history,
        "org_names": org_names(exchange, session),
        "may_write": may(session, Action.WRITE_ALERTS),
    }


async def _alert_page(
    request: Request,
    exchange: Exchange,
    session: SignedIn,
    alert_id: str,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = await run_in_threadpool(_alert_context, exchange, session, alert_id)
    context.update({"error": None, "done": None, **(extra or {})})
    page = f"/alerts/{context['a'].id}"
    return render(request, "alert.html", context, status_code, session, page_path=page)


@router.get("/alerts/{alert_id}")
async def alert_page(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    alert_id: str,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One alert with its versions and acknowledgements."""
    return await _alert_page(request, exchange, session, alert_id, {"done": done if done in DONE else None})


Short = Annotated[str, Form(max_length=MAX_SHORT)]
Reason = Annotated[str, Form(max_length=MAX_REASON + 100)]


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    alert_id: str,
    note: Reason = "",
    back: Short = "",
) -> Response:
    """Acknowledge the current version for the user's organization."""
    try:
        ack = await run_in_threadpool(exchange.alerts.acknowledge, session.caller, alert_id, note)
    except (InvalidInput, Conflict, Forbidden) as exc:
        refusal = Refusal.of(exc)
        return await _alert_page(request, exchange, session, alert_id, {"error": refusal}, refusal.status)
    target = "/alerts?done=acknowledge" if back == "list" else f"/alerts/{ack.alert_id}?done=acknowledge"
    return redirect(request, target)


@router.post("/alerts/{alert_id}/cancel")
async def cancel(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    alert_id: str,
    reason: Reason = "",
) -> Response:
    """Cancel an alert the user's organization issued, with the reason."""
    try:
        view = await run_in_threadpool(exchange.alerts.cancel, session.caller, alert_id, reason)
    except (InvalidInput, Conflict, Forbidden) as exc:
        refusal = Refusal.of(exc)
        return await _alert_page(request, exchange, session, alert_id, {"error": refusal}, refusal.status)
    return redirect(request, f"/alerts/{view.alert.id}?done=cancel")


@router.post("/alerts")
async def issue(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    title: Short = "",
    kind: Short = "",
    details: Annotated[str, Form(max_length=MAX_LONG)] = "",
    subject_signal: Short = "",
    subject_names: Short = "",
    subject_schema: Short = "Person",
    subject_birth: Short = "",
    subject_nationality: Short = "",
    location: Short = "",
    location_country: Short = "",
    valid_until: Short = "",
    marking: Short = "AMBER",
    orgs: Annotated[list[str] | None, Form()] = None,
    groups: Annotated[list[str] | None, Form()] = None,
    users: Short = "",
) -> Response:
    """Issue an alert from the user's organization; the list then shows it among the sent ones."""
    require(session.caller, Action.WRITE_ALERTS)  # the role first, as the service checks it
    form: dict[str, Any] = {
        "title": title,
        "kind": kind,
        "details": details,
        "subject_signal": subject_signal,
        "subject_names": subject_names,
        "subject_schema": subject_schema,
        "subject_birth": subject_birth,
        "subject_nationality": subject_nationality,
        "location": location,
        "location_country": location_country,
        "valid_until": valid_until,
        "marking": marking,
        "orgs": orgs or [],
        "groups": groups or [],
        "users": users,
    }

    def act() -> str:
        until = utc_moment(valid_until, "valid_until")
        if until is None:
            raise InvalidInput.expected("valid_until", "the date and time the alert expires (UTC)", "")
        names = split_list(subject_names)
        subject = SubjectInput(
            signal_id=subject_signal.strip() or None,
            schema=subject_schema,
            names=names,
            birth_dates=[subject_birth.strip()] if subject_birth.strip() else [],
            nationalities=[subject_nationality.strip().upper()] if subject_nationality.strip() else [],
        )
        has_subject = subject.signal_id is not None or subject.is_described
        new = NewAlert(
            title=title,
            kind=kind,
            valid_until=until,
            details=details,
            subject=subject if has_subject else None,
            location=LocationInput(location, location_country.strip().upper() or None)
            if location.strip()
            else None,
            marking=marking,
            orgs=orgs or [],
            groups=groups or [],
            users=split_list(users),
        )
        return str(exchange.alerts.issue(session.caller, new).alert.id)

    try:
        created = await run_in_threadpool(act)
    except (InvalidInput, Conflict, Forbidden, NotFound) as exc:
        refusal = Refusal.of(exc)
        extra = {"error": refusal, "form": form}
        status = 422 if refusal.status == 404 else refusal.status
        return await _list_page(request, exchange, session, "all", "issued", None, extra, status)
    return redirect(request, f"/alerts/{created}?done=issue")
