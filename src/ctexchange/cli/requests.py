"""`ctx request`: requests for assistance of the operator organization, from draft to closed.

The CLI acts as the local operator, so the operator organization is the party: it drafts, sends,
withdraws and closes its own requests, and acknowledges, starts, answers and declines those sent to it.

Decisions:
- A draft is written either with options (one-line fields; `--facts-file` for long facts; `--subject`
  for a described person, `--subject-signal` for a linked entity) or whole with `--file DRAFT.json` in
  the JSON form of `POST /v1/requests`. The two are not mixed: options given beside `--file` are refused
  rather than silently ignored. `update` takes `--file` only, since an edit replaces every field.
- `--json` documents carry the fields of the API's JSON, with ids; tables add organization names.
- `download` never overwrites a file: it writes a new one and checks the bytes against the stored
  SHA-256 first.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from ctexchange.cli import output
from ctexchange.cli.members import org_names
from ctexchange.cli.output import JsonFlag, iso, when
from ctexchange.cli.state import operator_session
from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import PageRequest
from ctexchange.domain.requests import (
    AssistanceKind,
    AssistanceRequest,
    Attachment,
    Message,
    Move,
    Outcome,
    RequestDetail,
    RequestMove,
    RequestQuery,
    RequestStatus,
    Side,
    Subject,
    Urgency,
)
from ctexchange.errors import InvalidInput, StoreUnavailable
from ctexchange.service.context import Caller
from ctexchange.service.requests import RequestDraft, SubjectIn

request_app = typer.Typer(help="Requests for assistance between member organizations.", no_args_is_help=True)

ASSISTANCE = "|".join(k.value for k in AssistanceKind)
URGENCIES = "|".join(u.value for u in Urgency)
STATUSES = "|".join(s.value for s in RequestStatus)
MAX_DRAFT_FILE_BYTES = 1_048_576
DRAFT_FIELDS = frozenset(
    {
        "requested_org",
        "title",
        "legal_basis",
        "facts",
        "offence",
        "assistance",
        "assistance_detail",
        "subjects",
        "urgency",
        "urgency_justification",
        "deadline",
        "confidentiality",
        "language",
        "reference",
    }
)
REQUIRED_FIELDS = frozenset({"requested_org", "title", "legal_basis", "facts", "offence", "assistance"})
SUBJECT_FIELDS = frozenset(
    {"signal_id", "name", "kind", "reference", "description", "birth_date", "nationalities"}
)

RequestId = Annotated[str, typer.Argument(help="The request's id.")]
Note = Annotated[str, typer.Option("--note", help="A note recorded with the move.")]


# Documents -----------------------------------------------------------------------------------------------


def subject_doc(subject: Subject) -> dict[str, Any]:
    """Return a subject as JSON."""
    return {
        "kind": subject.kind.value,
        "name": subject.name,
        "reference": subject.reference,
        "description": subject.description,
        "birth_date": subject.birth_date,
        "nationalities": list(subject.nationalities),
        "signal_id": None if subject.signal_id is None else str(subject.signal_id),
    }


def request_doc(request: AssistanceRequest, caller: Caller, now: datetime) -> dict[str, Any]:
    """Return a request as JSON, as the API renders it."""
    side = request.side_of(caller.principal.org_id)
    return {
        "id": str(request.id),
        "requesting_org_id": str(request.requesting_org_id),
        "requested_org_id": str(request.requested_org_id),
        "side": None if side is None else side.value,
        "title": request.title,
        "reference": request.reference,
        "legal_basis": request.legal_basis,
        "facts": request.facts,
        "offence": request.offence,
        "assistance": [k.value for k in request.assistance],
        "assistance_detail": request.assistance_detail,
        "subjects": [subject_doc(s) for s in request.subjects],
        "urgency": request.urgency.value,
        "urgency_justification": request.urgency_justification,
        "deadline": iso(request.deadline),
        "is_overdue": request.is_overdue(now),
        "confidentiality": request.confidentiality.value,
        "language": request.language,
        "status": request.status.value,
        "outcome": None if request.outcome is None else request.outcome.value,
        "reason": request.reason,
        "created_by": request.created_by,
        "created_at": iso(request.created_at),
        "updated_at": iso(request.updated_at),
        "sent_at": iso(request.sent_at),
    }


def move_doc(move: RequestMove) -> dict[str, Any]:
    """Return one move of a request's history as JSON."""
    return {
        "seq": move.seq,
        "move": move.move.value,
        "from_status": move.from_status.value,
        "to_status": move.to_status.value,
        "org_id": str(move.org_id),
        "actor": move.actor,
        "note": move.note,
        "at": iso(move.at),
    }


def attachment_doc(attachment: Attachment) -> dict[str, Any]:
    """Return an attachment's metadata as JSON."""
    return {
        "id": str(attachment.id),
        "request_id": str(attachment.request_id),
        "org_id": str(attachment.org_id),
        "actor": attachment.actor,
        "filename": attachment.filename,
        "media_type": attachment.media_type,
        "size_bytes": attachment.size_bytes,
        "sha256": attachment.sha256,
        "created_at": iso(attachment.created_at),
    }


def message_doc(message: Message) -> dict[str, Any]:
    """Return a message as JSON."""
    return {
        "id": str(message.id),
        "request_id": str(message.request_id),
        "org_id": str(message.org_id),
        "actor": message.actor,
        "body": message.body,
        "created_at": iso(message.created_at),
    }


def detail_doc(detail: RequestDetail, caller: Caller, now: datetime) -> dict[str, Any]:
    """Return a request with its history, attachments and message count as JSON."""
    return {
        **request_doc(detail.request, caller, now),
        "history": [move_doc(m) for m in detail.history],
        "attachments": [attachment_doc(a) for a in detail.attachments],
        "message_count": detail.message_count,
    }


# Drafts -----------------------------------------------------------------------------------------------


def read_draft(path: Path) -> RequestDraft:
    """Return the draft in a JSON file shaped like the body of `POST /v1/requests`."""
    if not path.is_file():
        raise InvalidInput(f"'{path}' is not a readable file", field="file")
    if path.stat().st_size > MAX_DRAFT_FILE_BYTES:
        raise InvalidInput(f"'{path}' is over {MAX_DRAFT_FILE_BYTES:,} bytes", field="file")
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"'{path}' must be a UTF-8 JSON object ({exc})", field="file") from None
    return draft_from_doc(doc)


def draft_from_doc(doc: object) -> RequestDraft:
    """Return the draft a JSON document describes; unknown fields are refused, by name."""
    if not isinstance(doc, dict):
        raise InvalidInput.expected("file", "a JSON object with the fields of a request", doc)
    _refuse_unknown(doc, DRAFT_FIELDS, "")
    missing = sorted(REQUIRED_FIELDS - set(doc))
    if missing:
        raise InvalidInput(f"'{missing[0]}' is required (got nothing)", field=missing[0])
    raw_subjects = doc.get("subjects", [])
    if not isinstance(raw_subjects, list):
        raise InvalidInput.expected("subjects", "a list", raw_subjects)
    subjects = []
    for i, raw in enumerate(raw_subjects):
        if not isinstance(raw, dict):
            raise InvalidInput.expected(f"subjects[{i}]", "an object", raw)
        _refuse_unknown(raw, SUBJECT_FIELDS, f"subjects[{i}].")
        nationalities = raw.get("nationalities", [])
        listed = tuple(nationalities) if isinstance(nationalities, list) else nationalities
        subjects.append(SubjectIn(**{**raw, "nationalities": listed}))
    assistance: Any = doc["assistance"]
    return RequestDraft(
        **{k: v for k, v in doc.items() if k not in ("subjects", "assistance")},
        assistance=tuple(assistance) if isinstance(assistance, list) else assistance,
        subjects=tuple(subjects),
    )


def _refuse_unknown(doc: dict[str, Any], known: frozenset[str], prefix: str) -> None:
    for key in doc:
        if key not in known:
            raise InvalidInput(f"'{prefix}{key}' is not a field of a request", field=f"{prefix}{key}")


def _required(value: str | None, option: str, field: str) -> str:
    if value is None:
        raise InvalidInput(
            f"'{field}' is required: give {option} (or the whole draft with --file)", field=field
        )
    return value


def _facts(facts: str | None, facts_file: Path | None) -> str:
    if facts is not None and facts_file is not None:
        raise InvalidInput("'facts' comes from --facts or --facts-file, not both", field="facts")
    if facts_file is None:
        return _required(facts, "--facts or --facts-file", "facts")
    if not facts_file.is_file():
        raise InvalidInput(f"'{facts_file}' is not a readable file", field="facts")
    try:
        return facts_file.read_text("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"'{facts_file}' must be UTF-8 text", field="facts") from None


@request_app.command("create")
def request_create(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help="The organization asked (name or id).")] = None,
    title: Annotated[str | None, typer.Option("--title", help="One line, up to 200 characters.")] = None,
    legal_basis: Annotated[
        str | None, typer.Option("--legal-basis", help="The law, resolution or agreement relied on.")
    ] = None,
    facts: Annotated[str | None, typer.Option("--facts", help="Summary of the facts.")] = None,
    facts_file: Annotated[
        Path | None, typer.Option("--facts-file", help="Read the summary of the facts from a UTF-8 file.")
    ] = None,
    offence: Annotated[str | None, typer.Option("--offence", help="The offence under investigation.")] = None,
    assistance: Annotated[
        list[str], typer.Option("--assistance", help=f"What is asked (repeatable): {ASSISTANCE}.")
    ] = [],  # noqa: B006 - Typer reads the default; it is never mutated
    detail: Annotated[
        str, typer.Option("--detail", help="Details of the assistance; needed with other.")
    ] = "",
    subject: Annotated[
        list[str], typer.Option("--subject", help="A person described by name (repeatable).")
    ] = [],  # noqa: B006
    subject_signal: Annotated[
        list[str], typer.Option("--subject-signal", help="A designated-entity signal id (repeatable).")
    ] = [],  # noqa: B006
    urgency: Annotated[str | None, typer.Option("--urgency", help=f"{URGENCIES} (default routine).")] = None,
    justification: Annotated[
        str, typer.Option("--justification", help="Why it is urgent; needed for emergency.")
    ] = "",
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="YYYY-MM-DD (end of day, UTC) or a time with an offset.")
    ] = None,
    confidentiality: Annotated[
        str | None, typer.Option("--confidentiality", help="TLP marking for handling (default AMBER+STRICT).")
    ] = None,
    language: Annotated[str | None, typer.Option("--language", help="ISO 639-1 code (default en).")] = None,
    reference: Annotated[str | None, typer.Option("--reference", help="Your own file number.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="The whole draft as JSON (the body of POST /v1/requests).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Draft a request for assistance from the operator organization to another member."""
    if file is not None:
        given = [to, title, legal_basis, facts, facts_file, offence, reference, deadline, urgency]
        given += [confidentiality, language, detail or None, justification or None, *assistance, *subject]
        if any(v is not None for v in given) or subject_signal:
            raise InvalidInput("give the draft either with --file or with options, not both", field="file")
        draft = read_draft(file)
    else:
        subjects = [SubjectIn(name=name) for name in subject] + [
            SubjectIn(signal_id=s) for s in subject_signal
        ]
        draft = RequestDraft(
            requested_org=_required(to, "--to", "requested_org"),
            title=_required(title, "--title", "title"),
            legal_basis=_required(legal_basis, "--legal-basis", "legal_basis"),
            facts=_facts(facts, facts_file),
            offence=_required(offence, "--offence", "offence"),
            assistance=tuple(assistance),
            subjects=tuple(subjects),
            assistance_detail=detail,
            urgency=urgency or Urgency.ROUTINE.value,
            urgency_justification=justification,
            deadline=deadline,
            confidentiality=confidentiality or Marking.AMBER_STRICT.value,
            language=language or "en",
            reference=reference,
        )
    with operator_session(ctx) as (exchange, caller):
        created = exchange.requests.create(caller, draft)
        names = org_names(exchange, caller)
        now = exchange.clock()
    if as_json:
        output.emit_json(request_doc(created, caller, now))
        return
    output.say(
        f"drafted request to {names.get(created.requested_org_id, created.requested_org_id)}: {created.id}"
    )


@request_app.command("update")
def request_update(
    ctx: typer.Context,
    request_id: RequestId,
    file: Annotated[Path, typer.Option("--file", help="The whole draft as JSON; replaces every field.")],
    as_json: JsonFlag = False,
) -> None:
    """Replace every field of a draft with the JSON draft in --file."""
    draft = read_draft(file)
    with operator_session(ctx) as (exchange, caller):
        updated = exchange.requests.update(caller, request_id, draft)
        now = exchange.clock()
    if as_json:
        output.emit_json(request_doc(updated, caller, now))
        return
    output.say(f"updated draft {updated.id}")


# Reads ------------------------------------------------------------------------------------------------


def _rows(requests: Sequence[AssistanceRequest], names: dict[UUID, str], now: datetime) -> list[list[object]]:
    return [
        [
            r.id,
            r.title,
            names.get(r.requesting_org_id, r.requesting_org_id),
            names.get(r.requested_org_id, r.requested_org_id),
            r.status.value,
            r.urgency.value,
            when(r.deadline) + (" OVERDUE" if r.is_overdue(now) else ""),
            when(r.created_at),
        ]
        for r in requests
    ]


COLUMNS = ["id", "title", "from", "to", "status", "urgency", "deadline", "created"]


@request_app.command("list")
def request_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=f"Only this status: {STATUSES}.")] = None,
    side: Annotated[
        str | None, typer.Option("--side", help="Only those sent (requesting) or received (requested).")
    ] = None,
    urgency: Annotated[str | None, typer.Option("--urgency", help=f"Only this urgency: {URGENCIES}.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the requests the operator organization is party to, oldest first."""
    query = RequestQuery(
        status=None if status is None else RequestStatus.parse(status, "status"),
        side=None if side is None else Side.parse(side, "side"),
        urgency=None if urgency is None else Urgency.parse(urgency, "urgency"),
    )
    found: list[AssistanceRequest] = []
    with operator_session(ctx) as (exchange, caller):
        page = PageRequest(exchange.requests.page_max)
        while True:
            batch = exchange.requests.find(caller, query, page)
            found.extend(batch.items)
            if batch.next_after is None:
                break
            page = PageRequest(page.limit, batch.next_after)
        names = org_names(exchange, caller)
        now = exchange.clock()
    if as_json:
        output.emit_json([request_doc(r, caller, now) for r in found])
        return
    output.print_table(COLUMNS, _rows(found, names, now))


@request_app.command("overdue")
def request_overdue(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the requests past their deadline that are not answered, declined, withdrawn or closed."""
    with operator_session(ctx) as (exchange, caller):
        found = exchange.requests.overdue(caller)
        names = org_names(exchange, caller)
        now = exchange.clock()
    if as_json:
        output.emit_json([request_doc(r, caller, now) for r in found])
        return
    output.print_table(COLUMNS, _rows(found, names, now), title="overdue requests, longest overdue first")


@request_app.command("show")
def request_show(ctx: typer.Context, request_id: RequestId, as_json: JsonFlag = False) -> None:
    """Show a request with its subjects, history and attachments."""
    with operator_session(ctx) as (exchange, caller):
        detail = exchange.requests.get(caller, request_id)
        names = org_names(exchange, caller)
        now = exchange.clock()
    if as_json:
        output.emit_json(detail_doc(detail, caller, now))
        return
    _say_detail(detail, names, now)


def _also(text: str, lead: str = " ") -> str:
    """Return `text` to append to a line, in parentheses after a space or after `lead` (': ')."""
    if not text:
        return ""
    return f"{lead}{text}" if lead.strip() else f" ({text})"


def _say_detail(detail: RequestDetail, names: dict[UUID, str], now: datetime) -> None:
    r = detail.request
    overdue = " (OVERDUE)" if r.is_overdue(now) else ""
    outcome = f" ({r.outcome.value})" if r.outcome else ""
    lines = [
        f"request {r.id}: {r.title}",
        f"from {names.get(r.requesting_org_id)} to {names.get(r.requested_org_id)}",
        f"reference: {r.reference or '-'}",
        f"status: {r.status.value}{outcome}" + _also(r.reason, ": "),
        f"urgency: {r.urgency.value}" + _also(r.urgency_justification),
        f"deadline: {when(r.deadline)}{overdue}",
        f"confidentiality: {r.confidentiality.value}; language: {r.language}",
        f"assistance: {', '.join(k.value for k in r.assistance)}" + _also(r.assistance_detail),
        f"legal basis: {r.legal_basis}",
        f"offence: {r.offence}",
        f"facts: {r.facts}",
        f"messages: {detail.message_count}",
    ]
    for line in lines:
        output.say(line)
    subjects = [
        [
            s.kind.value,
            s.name,
            s.reference,
            s.birth_date,
            ", ".join(s.nationalities) or None,
            s.signal_id,
            s.description or None,
        ]
        for s in r.subjects
    ]
    if subjects:
        output.print_table(
            ["kind", "name", "reference", "born", "nationality", "signal id", "description"],
            subjects,
            title="subjects",
        )
    history = [
        [m.seq, m.move.value, m.to_status.value, names.get(m.org_id), m.actor, m.note or None, when(m.at)]
        for m in detail.history
    ]
    if history:
        output.print_table(["#", "move", "status", "by", "actor", "note", "at"], history, title="history")
    files = [
        [a.id, a.filename, a.media_type, a.size_bytes, a.sha256, names.get(a.org_id), when(a.created_at)]
        for a in detail.attachments
    ]
    if files:
        output.print_table(
            ["id", "file", "media type", "bytes", "sha256", "by", "added"], files, title="attachments"
        )


# Moves ------------------------------------------------------------------------------------------------


def _moved(
    ctx: typer.Context, request_id: str, move: Move, note: str, outcome: str | None, as_json: bool
) -> None:
    with operator_session(ctx) as (exchange, caller):
        moved = exchange.requests.move(caller, request_id, move.value, note, outcome)
        now = exchange.clock()
    if as_json:
        output.emit_json(request_doc(moved, caller, now))
        return
    extra = "" if moved.outcome is None or move is not Move.ANSWER else f" ({moved.outcome.value})"
    output.say(f"request {moved.id} is now {moved.status.value}{extra}")


@request_app.command("send")
def request_send(
    ctx: typer.Context, request_id: RequestId, note: Note = "", as_json: JsonFlag = False
) -> None:
    """Send a draft: the requested organization sees it from now on."""
    _moved(ctx, request_id, Move.SEND, note, None, as_json)


@request_app.command("acknowledge")
def request_acknowledge(
    ctx: typer.Context, request_id: RequestId, note: Note = "", as_json: JsonFlag = False
) -> None:
    """Acknowledge a request sent to the operator organization."""
    _moved(ctx, request_id, Move.ACKNOWLEDGE, note, None, as_json)


@request_app.command("start")
def request_start(
    ctx: typer.Context, request_id: RequestId, note: Note = "", as_json: JsonFlag = False
) -> None:
    """Mark an acknowledged request as in progress."""
    _moved(ctx, request_id, Move.START, note, None, as_json)


@request_app.command("answer")
def request_answer(
    ctx: typer.Context,
    request_id: RequestId,
    outcome: Annotated[str, typer.Option("--outcome", help="full|partial.")],
    note: Annotated[str, typer.Option("--note", help="The answer in short; needed when partial.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Answer a request in progress, fully or partly."""
    _moved(ctx, request_id, Move.ANSWER, note, Outcome.parse(outcome, "outcome").value, as_json)


@request_app.command("decline")
def request_decline(
    ctx: typer.Context,
    request_id: RequestId,
    reason: Annotated[str, typer.Option("--reason", help="Why the request is declined.")],
    as_json: JsonFlag = False,
) -> None:
    """Decline a request sent to the operator organization, with the reason."""
    _moved(ctx, request_id, Move.DECLINE, reason, None, as_json)


@request_app.command("withdraw")
def request_withdraw(
    ctx: typer.Context,
    request_id: RequestId,
    reason: Annotated[str, typer.Option("--reason", help="Why the request is withdrawn.")],
    as_json: JsonFlag = False,
) -> None:
    """Withdraw a request of the operator organization, with the reason."""
    _moved(ctx, request_id, Move.WITHDRAW, reason, None, as_json)


@request_app.command("close")
def request_close(
    ctx: typer.Context, request_id: RequestId, note: Note = "", as_json: JsonFlag = False
) -> None:
    """Close an answered, declined or withdrawn request; closed is final."""
    _moved(ctx, request_id, Move.CLOSE, note, None, as_json)


# Messages and attachments -----------------------------------------------------------------------------


@request_app.command("message")
def request_message(
    ctx: typer.Context,
    request_id: RequestId,
    body: Annotated[str, typer.Argument(help="The message.")],
    as_json: JsonFlag = False,
) -> None:
    """Write a message to the other party of a sent request."""
    with operator_session(ctx) as (exchange, caller):
        message = exchange.requests.post_message(caller, request_id, body)
    if as_json:
        output.emit_json(message_doc(message))
        return
    output.say(f"message {message.id} written")


@request_app.command("messages")
def request_messages(ctx: typer.Context, request_id: RequestId, as_json: JsonFlag = False) -> None:
    """Show the messages of a request, oldest first."""
    with operator_session(ctx) as (exchange, caller):
        messages = exchange.requests.messages(caller, request_id)
        names = org_names(exchange, caller)
    if as_json:
        output.emit_json([message_doc(m) for m in messages])
        return
    rows = [[when(m.created_at), names.get(m.org_id), m.actor, m.body] for m in messages]
    output.print_table(["at", "from", "actor", "message"], rows)


@request_app.command("attach")
def request_attach(
    ctx: typer.Context,
    request_id: RequestId,
    path: Annotated[Path, typer.Argument(help="The file to attach (at most 10 MiB).")],
    media_type: Annotated[
        str | None, typer.Option("--media-type", help="Its media type (default: guessed from the name).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Attach a file to a request, stored with its SHA-256."""
    if not path.is_file():
        raise InvalidInput(f"'{path}' is not a readable file", field="file")
    with operator_session(ctx) as (exchange, caller):
        if path.stat().st_size > exchange.requests.max_attachment_bytes:
            size = path.stat().st_size
            limit = exchange.requests.max_attachment_bytes
            raise InvalidInput(f"'{path}' must be at most {limit:,} bytes (got {size:,})", field="file")
        guessed = media_type or mimetypes.guess_type(path.name)[0]
        attachment = exchange.requests.attach(caller, request_id, path.name, path.read_bytes(), guessed)
    if as_json:
        output.emit_json(attachment_doc(attachment))
        return
    added = f"{attachment.size_bytes:,} bytes"
    output.say(f"attached {attachment.filename} ({added}, sha256 {attachment.sha256}): {attachment.id}")


@request_app.command("attachments")
def request_attachments(ctx: typer.Context, request_id: RequestId, as_json: JsonFlag = False) -> None:
    """List the attachments of a request."""
    with operator_session(ctx) as (exchange, caller):
        found = exchange.requests.attachments(caller, request_id)
        names = org_names(exchange, caller)
    if as_json:
        output.emit_json([attachment_doc(a) for a in found])
        return
    rows = [
        [a.id, a.filename, a.media_type, a.size_bytes, a.sha256, names.get(a.org_id), when(a.created_at)]
        for a in found
    ]
    output.print_table(["id", "file", "media type", "bytes", "sha256", "by", "added"], rows)


@request_app.command("download")
def request_download(
    ctx: typer.Context,
    request_id: RequestId,
    attachment_id: Annotated[str, typer.Argument(help="The attachment's id.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write it (must not exist).")],
    as_json: JsonFlag = False,
) -> None:
    """Write an attachment to a new file, after checking its SHA-256."""
    if out.exists():
        raise InvalidInput(f"'{out}' exists already: choose a new file name", field="out")
    with operator_session(ctx) as (exchange, caller):
        attachment, data = exchange.requests.attachment(caller, request_id, attachment_id)
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise StoreUnavailable(
            f"attachment {attachment.id} does not match its stored SHA-256", field="attachment_id"
        )
    with out.open("xb") as handle:
        handle.write(data)
    if as_json:
        output.emit_json({**attachment_doc(attachment), "path": str(out)})
        return
    output.say(f"wrote {attachment.size_bytes:,} bytes to {out} (sha256 {attachment.sha256} checked)")
