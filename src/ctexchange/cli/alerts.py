"""`ctx alert`: alerts of the operator organization, issued to others or received from them.

The local operator acts for the operator organization, so `issue` sends from it and `ack` acknowledges
for it. Every rule (recipients, RED named users, the described subject as a screening query, validity,
the state machine) is the service's; this module parses flags, calls it and renders.

Decisions:
- A route stop is one `--stop "PLACE|COUNTRY|DATE"` flag, repeated in order; COUNTRY and DATE may be
  left empty (`--stop "Istanbul||2026-11"`, `--stop "|TR|"`). A '|' separates because place names
  contain commas.
- Validity is `--until` (ISO 8601 with a time zone) or `--days N` from now; one of them is required to
  issue, and to extend.
- `--json` prints the same fields as the API's `AlertOut` (one document, a list for lists); tables add
  organization names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import typer

from ctexchange.cli import output
from ctexchange.cli.members import org_names
from ctexchange.cli.output import JsonFlag, iso, when
from ctexchange.cli.state import operator_session
from ctexchange.domain.alerts import Acknowledgement, AlertContent, AlertKind, AlertVersion
from ctexchange.domain.markings import Marking
from ctexchange.errors import InvalidInput
from ctexchange.service.alerts import (
    AlertChanges,
    AlertView,
    LocationInput,
    NewAlert,
    RecipientStatus,
    StopInput,
    SubjectInput,
)

alert_app = typer.Typer(help="Alerts to and from member organizations.", no_args_is_help=True)

KINDS = "|".join(k.value for k in AlertKind)
MARKINGS = "|".join(m.value for m in Marking)
STOP_PARTS = 3

Stops = Annotated[
    list[str],
    typer.Option(
        "--stop", help="A route stop 'PLACE|COUNTRY|DATE' (country, date optional); repeat in order."
    ),
]
Until = Annotated[str | None, typer.Option("--until", help="End of validity: ISO 8601 with a time zone.")]
Days = Annotated[int | None, typer.Option("--days", help="End of validity: this many days from now.")]
LocationOpt = Annotated[str | None, typer.Option("--location", help="Last known location (free text).")]
CountryOpt = Annotated[str | None, typer.Option("--country", help="Country of the location (ISO 3166-1).")]


# JSON documents ------------------------------------------------------------------------------------------


def ack_doc(ack: Acknowledgement) -> dict[str, Any]:
    """Return an acknowledgement as JSON."""
    return {
        "alert_id": str(ack.alert_id),
        "org_id": str(ack.org_id),
        "version": ack.version,
        "user_id": None if ack.user_id is None else str(ack.user_id),
        "actor": ack.actor,
        "note": ack.note,
        "at": iso(ack.at),
    }


def recipient_doc(status: RecipientStatus) -> dict[str, Any]:
    """Return a recipient's acknowledgement state as JSON."""
    return {
        "org_id": str(status.org_id),
        "state": status.state.value,
        "latest": None if status.latest is None else ack_doc(status.latest),
    }


def content_doc(content: AlertContent) -> dict[str, Any]:
    """Return what a version says as JSON; the described subject in screening-query form."""
    subject = content.subject
    d = subject.description
    return {
        "title": content.title,
        "details": content.details,
        "subject": {
            "signal_id": None if subject.signal_id is None else str(subject.signal_id),
            "description": None
            if d is None
            else {
                "schema": d.schema.value,
                "properties": {
                    "name": list(d.names),
                    "birthDate": list(d.birth_dates),
                    "nationality": list(d.nationalities),
                    "idNumber": list(d.documents),
                    "gender": d.gender,
                },
            },
        },
        "location": None
        if content.location is None
        else {"text": content.location.text, "country": content.location.country},
        "route": [{"place": s.place, "country": s.country, "date": s.date} for s in content.route],
    }


def alert_doc(view: AlertView) -> dict[str, Any]:
    """Return an alert view as JSON (the fields of the API's AlertOut)."""
    a = view.alert
    c = a.cancellation
    return {
        "id": str(a.id),
        "org_id": str(a.org_id),
        "kind": a.kind.value,
        "marking": a.marking.value,
        "state": view.state.value,
        "version": a.version,
        **content_doc(a.content),
        "valid_from": iso(a.valid_from),
        "valid_until": iso(a.valid_until),
        "issued_by": a.issued_by,
        "issued_at": iso(a.issued_at),
        "updated_at": iso(a.updated_at),
        "cancellation": None if c is None else {"actor": c.actor, "reason": c.reason, "at": iso(c.at)},
        "is_issuer": view.is_issuer,
        "my_state": None if view.my_state is None else view.my_state.value,
        "is_pending": view.is_pending,
        "recipients": [recipient_doc(r) for r in view.recipients],
        "recipient_users": sorted(str(u) for u in a.recipient_user_ids),
        "group_ids": sorted(str(g) for g in a.group_ids),
    }


def version_doc(version: AlertVersion) -> dict[str, Any]:
    """Return one version of an alert as JSON."""
    return {
        "version": version.version,
        "change": version.change.value,
        **content_doc(version.content),
        "valid_from": iso(version.valid_from),
        "valid_until": iso(version.valid_until),
        "note": version.note,
        "actor": version.actor,
        "at": iso(version.at),
    }


# Parsing ---------------------------------------------------------------------------------------------


def parse_stops(raw: Sequence[str]) -> list[StopInput]:
    """Return the route stops of `--stop 'PLACE|COUNTRY|DATE'` flags, in order."""
    stops = []
    for index, text in enumerate(raw):
        parts = text.split("|")
        if len(parts) > STOP_PARTS:
            raise InvalidInput.expected(
                f"route[{index}]", "one --stop PLACE|COUNTRY|DATE (country and date may be empty)", text
            )
        place, country, date = [*parts, "", ""][:STOP_PARTS]
        stops.append(StopInput(place or None, country or None, date.strip() or None))
    return stops


def parse_until(until: str | None, days: int | None) -> datetime:
    """Return the end of validity given by `--until` or `--days` (exactly one of them)."""
    if until is not None and days is not None:
        raise InvalidInput("give '--until' or '--days', not both", field="valid_until")
    if days is not None:
        return datetime.now(UTC) + timedelta(days=days)
    if until is None:
        raise InvalidInput(
            "'valid_until' is required: give '--until' or '--days' (got nothing)", field="valid_until"
        )
    return parse_time(until, "valid_until")


def parse_time(text: str, field: str) -> datetime:
    """Return an ISO 8601 time; a time without a zone is refused, as the service refuses it."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput.expected(field, "an ISO 8601 time such as 2026-12-31T23:59:59Z", text) from None
    if moment.tzinfo is None:
        raise InvalidInput.expected(field, "a time with a time zone (…Z or …+01:00)", text)
    return moment


def _subject(
    signal: str | None,
    names: list[str],
    dobs: list[str],
    nationalities: list[str],
    documents: list[str],
    schema: str,
) -> SubjectInput | None:
    if signal is None and not (names or dobs or nationalities or documents):
        return None
    return SubjectInput(signal, schema, names, dobs, nationalities, documents)


def _location(text: str | None, country: str | None) -> LocationInput | None:
    if text is None and country is None:
        return None
    return LocationInput(text or "", country)


# Commands ----------------------------------------------------------------------------------------------


@alert_app.command("issue")
def alert_issue(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="One line, up to 200 characters.")],
    kind: Annotated[str, typer.Option("--kind", help=f"What it is about: {KINDS}.")],
    to: Annotated[list[str], typer.Option("--to", help="A recipient organization (repeatable).")] = [],  # noqa: B006
    group: Annotated[
        list[str], typer.Option("--group", help="A sharing group, resolved to its members now (repeatable).")
    ] = [],  # noqa: B006
    user: Annotated[
        list[str], typer.Option("--user", help="A named recipient user of another organization (RED only).")
    ] = [],  # noqa: B006
    marking: Annotated[str, typer.Option("--marking", help=f"TLP 2.0 marking: {MARKINGS}.")] = "AMBER",
    details: Annotated[str, typer.Option("--details", help="Free text, up to 10,000 characters.")] = "",
    signal: Annotated[str | None, typer.Option("--signal", help="Subject: an entity signal id.")] = None,
    name: Annotated[list[str], typer.Option("--name", help="Subject: a name in any script.")] = [],  # noqa: B006
    dob: Annotated[list[str], typer.Option("--dob", help="Subject: YYYY, YYYY-MM or YYYY-MM-DD.")] = [],  # noqa: B006
    nationality: Annotated[list[str], typer.Option("--nationality", help="Subject: ISO 3166-1 code.")] = [],  # noqa: B006
    document: Annotated[list[str], typer.Option("--document", help="Subject: passport or ID number.")] = [],  # noqa: B006
    schema: Annotated[str, typer.Option("--schema", help="Subject: Person or Organization.")] = "Person",
    location: LocationOpt = None,
    country: CountryOpt = None,
    stop: Stops = [],  # noqa: B006 - Typer reads the default; it is never mutated
    valid_from: Annotated[
        str | None, typer.Option("--from", help="Start of validity (ISO 8601 with a time zone); default now.")
    ] = None,
    until: Until = None,
    days: Days = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue an alert from the operator organization."""
    new = NewAlert(
        title=title,
        kind=kind,
        valid_until=parse_until(until, days),
        details=details,
        subject=_subject(signal, name, dob, nationality, document, schema),
        location=_location(location, country),
        route=parse_stops(stop),
        valid_from=None if valid_from is None else parse_time(valid_from, "valid_from"),
        marking=marking,
        orgs=to,
        groups=group,
        users=user,
    )
    with operator_session(ctx) as (exchange, caller):
        view = exchange.alerts.issue(caller, new)
    if as_json:
        output.emit_json(alert_doc(view))
    else:
        output.say(
            f"issued {view.alert.marking.value} alert to {len(view.recipients)} organization(s)"
            f" until {when(view.alert.valid_until)}: {view.alert.id}"
        )


@alert_app.command("list")
def alert_list(
    ctx: typer.Context,
    box: Annotated[str, typer.Option("--box", help="received|sent|all.")] = "all",
    state: Annotated[str | None, typer.Option("--state", help="issued|expired|cancelled.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=f"{KINDS}.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many (default: settings).")
    ] = None,
    cursor: Annotated[str | None, typer.Option("--cursor", help="Continue after a previous page.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the alerts the operator organization may see: those it must acknowledge first, then newest."""
    with operator_session(ctx) as (exchange, caller):
        found = exchange.alerts.find(caller, box, state, kind, limit, cursor)
        names = org_names(exchange, caller)
    if as_json:
        output.emit_json([alert_doc(v) for v in found.items])
    else:
        columns = ["id", "state", "ack", "kind", "marking", "title", "from", "valid until"]
        output.print_table(columns, (_row(v, names) for v in found.items))
    if found.next_cursor is not None:
        output.note(f"more alerts: --cursor {found.next_cursor}")


def _row(view: AlertView, names: dict[UUID, str]) -> list[object]:
    a = view.alert
    ack = "to do" if view.is_pending else (None if view.my_state is None else view.my_state.value)
    issuer = names.get(a.org_id, str(a.org_id))
    return [
        a.id,
        view.state.value,
        ack,
        a.kind.value,
        a.marking.value,
        a.content.title,
        issuer,
        when(a.valid_until),
    ]


@alert_app.command("show")
def alert_show(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one alert: what it says now, its state, and who acknowledged it."""
    with operator_session(ctx) as (exchange, caller):
        view = exchange.alerts.get(caller, alert_id)
        names = org_names(exchange, caller)
    if as_json:
        output.emit_json(alert_doc(view))
        return
    _print_view(view, names)


def _print_view(view: AlertView, names: dict[UUID, str]) -> None:
    a = view.alert
    c = a.content
    lines = [
        f"{c.title}",
        f"id: {a.id}",
        f"kind: {a.kind.value}  marking: {a.marking.value}  state: {view.state.value}  version: {a.version}",
        f"from: {names.get(a.org_id, a.org_id)} ({a.issued_by}, {when(a.issued_at)})",
        f"valid: {when(a.valid_from)} to {when(a.valid_until)}",
    ]
    if c.details:
        lines.append(f"details: {c.details}")
    if c.subject.signal_id is not None:
        lines.append(f"subject signal: {c.subject.signal_id}")
    d = c.subject.description
    if d is not None:
        facts = [", ".join(d.names), *d.birth_dates, *d.nationalities, *d.documents]
        lines.append(f"subject ({d.schema.value}): {'; '.join(f for f in facts if f)}")
    if c.location is not None:
        lines.append(f"last known location: {c.location.text} {c.location.country or ''}".rstrip())
    if a.cancellation is not None:
        lines.append(
            f"cancelled by {a.cancellation.actor} at {when(a.cancellation.at)}: {a.cancellation.reason}"
        )
    for line in lines:
        output.say(line)
    if c.route:
        output.print_table(
            ["#", "place", "country", "date"],
            ([i + 1, s.place or None, s.country, s.date] for i, s in enumerate(c.route)),
            title="route",
        )
    _print_recipients(view.recipients, names)


def _print_recipients(recipients: Sequence[RecipientStatus], names: dict[UUID, str]) -> None:
    rows = (
        [
            names.get(r.org_id, str(r.org_id)),
            r.state.value,
            None if r.latest is None else r.latest.version,
            None if r.latest is None else r.latest.actor,
            None if r.latest is None else when(r.latest.at),
        ]
        for r in recipients
    )
    output.print_table(["recipient", "state", "version", "by", "at"], rows, title="acknowledgements")


@alert_app.command("update")
def alert_update(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    note: Annotated[str, typer.Option("--note", help="What changed and why.")],
    title: Annotated[str | None, typer.Option("--title", help="A new title.")] = None,
    details: Annotated[str | None, typer.Option("--details", help="New details.")] = None,
    location: LocationOpt = None,
    country: CountryOpt = None,
    stop: Stops = [],  # noqa: B006 - Typer reads the default; it is never mutated
    clear_route: Annotated[bool, typer.Option("--clear-route", help="Remove the route.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Make a new version of an alert the operator organization issued (flags left out are kept)."""
    if clear_route and stop:
        raise InvalidInput("give '--stop' or '--clear-route', not both", field="route")
    route = [] if clear_route else (parse_stops(stop) if stop else None)
    changes = AlertChanges(title, details, None, _location(location, country), route)
    with operator_session(ctx) as (exchange, caller):
        view = exchange.alerts.update(caller, alert_id, changes, note)
    _done(view, f"updated alert {view.alert.id}: version {view.alert.version}", as_json)


@alert_app.command("extend")
def alert_extend(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    note: Annotated[str, typer.Option("--note", help="Why it is extended.")],
    until: Until = None,
    days: Days = None,
    as_json: JsonFlag = False,
) -> None:
    """Move the end of an alert in force to a later time (expired alerts cannot be extended)."""
    valid_until = parse_until(until, days)
    with operator_session(ctx) as (exchange, caller):
        view = exchange.alerts.extend(caller, alert_id, valid_until, note)
    _done(view, f"extended alert {view.alert.id} until {when(view.alert.valid_until)}", as_json)


@alert_app.command("cancel")
def alert_cancel(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled.")],
    as_json: JsonFlag = False,
) -> None:
    """Cancel an alert in force that the operator organization issued."""
    with operator_session(ctx) as (exchange, caller):
        view = exchange.alerts.cancel(caller, alert_id, reason)
    _done(view, f"cancelled alert {view.alert.id}", as_json)


def _done(view: AlertView, message: str, as_json: bool) -> None:
    if as_json:
        output.emit_json(alert_doc(view))
    else:
        output.say(message)


@alert_app.command("ack")
def alert_ack(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    note: Annotated[str, typer.Option("--note", help="Optional note for the issuer.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Acknowledge, for the operator organization, the current version of an alert sent to it."""
    with operator_session(ctx) as (exchange, caller):
        ack = exchange.alerts.acknowledge(caller, alert_id, note)
    if as_json:
        output.emit_json(ack_doc(ack))
    else:
        output.say(f"acknowledged version {ack.version} of alert {ack.alert_id}")


@alert_app.command("acks")
def alert_acks(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show who acknowledged the current version and when (every recipient, for the issuer)."""
    with operator_session(ctx) as (exchange, caller):
        recipients = exchange.alerts.acknowledgements(caller, alert_id)
        names = org_names(exchange, caller)
    if as_json:
        output.emit_json([recipient_doc(r) for r in recipients])
    else:
        _print_recipients(recipients, names)


@alert_app.command("history")
def alert_history(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show every version of an alert, oldest first."""
    with operator_session(ctx) as (exchange, caller):
        versions = exchange.alerts.history(caller, alert_id)
    if as_json:
        output.emit_json([version_doc(v) for v in versions])
        return
    rows = (
        [v.version, v.change.value, v.content.title, when(v.valid_until), v.actor, when(v.at), v.note or None]
        for v in versions
    )
    output.print_table(["version", "change", "title", "valid until", "by", "at", "note"], rows)
