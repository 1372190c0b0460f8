"""`ctx request`: the operator organization's requests for assistance, both as requester and requested."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ctexchange.service.context import Caller
from ctexchange.service.requests import RequestDraft
from tests.cli.conftest import Cli, error_lines

OPTIONS = [
    "--to", "platform",
    "--title", "Preserve subscriber data of a recruitment channel",
    "--legal-basis", "UNSCR 2396 (2017), para. 13",
    "--facts", "Since January the channel posts recruitment videos.",
    "--offence", "Recruitment for a terrorist organization",
    "--assistance", "preserve_data", "--assistance", "identify",
    "--subject", "Abu Example",
    "--deadline", "2027-06-30",
]  # fmt: skip


@pytest.fixture
def partner(ready: Cli) -> str:
    """Organization `platform` with an analyst; returns the analyst's key."""
    assert ready("org", "add", "platform", "--kind", "online-service").exit_code == 0
    assert ready("user", "add", "platform-analyst", "--org", "platform", "--role", "analyst").exit_code == 0
    key: str = ready.json("key", "create", "--user", "platform-analyst")["key"]
    return key


def _partner_call(ready: Cli, key: str, action: str, request_id: str, *args: Any) -> Any:
    """Run one service call as the partner's analyst."""
    with ready.exchange() as exchange:
        caller: Caller = exchange.auth.authenticate(key, "test")
        return getattr(exchange.requests, action)(caller, request_id, *args)


def test_operator_requests_from_draft_to_closed(ready: Cli, partner: str) -> None:
    """create, show, send as the operator; the partner acknowledges, starts and answers; close; the
    history, list and JSON documents follow each step."""
    created = ready.json("request", "create", *OPTIONS)
    assert (created["status"], created["side"], created["assistance"]) == (
        "draft",
        "requesting",
        ["identify", "preserve_data"],
    )
    rid = created["id"]
    assert ready.json("request", "show", rid)["subjects"][0]["name"] == "Abu Example"
    human = ready("request", "send", rid, "--note", "urgent please")
    assert human.stdout.strip() == f"request {rid} is now sent"
    _partner_call(ready, partner, "acknowledge", rid)
    _partner_call(ready, partner, "start", rid)
    _partner_call(ready, partner, "answer", rid, "full", "data attached")
    closed = ready.json("request", "close", rid)
    assert (closed["status"], closed["outcome"]) == ("closed", "full")
    detail = ready.json("request", "show", rid)
    assert [m["move"] for m in detail["history"]] == ["send", "acknowledge", "start", "answer", "close"]
    assert detail["history"][0]["note"] == "urgent please"
    table = ready("request", "show", rid)
    for shown in ("Preserve subscriber data", "closed (full)", "history", "acknowledge", "platform"):
        assert shown in table.stdout
    assert [r["id"] for r in ready.json("request", "list", "--status", "closed")] == [rid]
    assert ready.json("request", "list", "--side", "requested") == []
    assert rid in ready("request", "list").stdout


def test_operator_answers_a_request_with_messages_and_files(ready: Cli, partner: str, tmp_path: Path) -> None:
    """A request sent to the operator is acknowledged, started and partly answered through the CLI,
    with a message and an attachment the requester can download; download never overwrites."""
    with ready.exchange() as exchange:
        caller = exchange.auth.authenticate(partner, "test")
        fields = dict(zip(OPTIONS[0::2], OPTIONS[1::2], strict=True))
        request = exchange.requests.create(
            caller,
            RequestDraft(
                requested_org="coalition",
                title=fields["--title"],
                legal_basis=fields["--legal-basis"],
                facts=fields["--facts"],
                offence=fields["--offence"],
                assistance=("confirm_identity",),
            ),
        )
        exchange.requests.send(caller, request.id)
    rid = str(request.id)
    [received] = ready.json("request", "list", "--side", "requested")
    assert (received["id"], received["side"]) == (rid, "requested")
    ready.json("request", "acknowledge", rid)
    ready.json("request", "start", rid, "--note", "checking")
    bare = ready("request", "answer", rid, "--outcome", "partial")
    assert bare.exit_code == 2
    assert error_lines(bare)[0].startswith("error: 'note' must be what the partial answer leaves out")
    message = ready.json("request", "message", rid, "Confirmed for one of two names.")
    assert ready.json("request", "messages", rid) == [message]
    evidence = tmp_path / "match report.pdf"
    evidence.write_bytes(b"%PDF-1.7 report")
    attached = ready.json("request", "attach", rid, str(evidence))
    assert (attached["media_type"], attached["sha256"]) == (
        "application/pdf",
        hashlib.sha256(b"%PDF-1.7 report").hexdigest(),
    )
    answered = ready.json("request", "answer", rid, "--outcome", "partial", "--note", "second name unknown")
    assert (answered["status"], answered["outcome"]) == ("answered", "partial")
    assert ready.json("request", "attachments", rid) == [attached]
    out = tmp_path / "copy.pdf"
    written = ready.json("request", "download", rid, attached["id"], "--out", str(out))
    assert out.read_bytes() == b"%PDF-1.7 report"
    assert written["path"] == str(out)
    again = ready("request", "download", rid, attached["id"], "--out", str(out))
    assert again.exit_code == 2
    assert error_lines(again) == [f"error: '{out}' exists already: choose a new file name"]
    with ready.exchange() as exchange:
        caller = exchange.auth.authenticate(partner, "test")
        assert exchange.requests.attachment(caller, rid, attached["id"])[1] == b"%PDF-1.7 report"


def test_drafts_from_a_json_file(ready: Cli, partner: str, tmp_path: Path) -> None:
    """--file takes the API's JSON body; update --file replaces a draft; options beside --file, unknown
    fields and missing ones are refused in one line naming them."""
    body = {
        "requested_org": "platform",
        "title": "Locate a subject",
        "legal_basis": "MoU 2021",
        "facts": "Long facts.\nSecond line.",
        "offence": "Financing of terrorism",
        "assistance": ["locate"],
        "subjects": [{"name": "Abu Example", "nationalities": ["TJ"], "description": "admin"}],
        "urgency": "emergency",
        "urgency_justification": "Imminent travel",
        "language": "fr",
    }
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(body), "utf-8")
    created = ready.json("request", "create", "--file", str(path))
    assert (created["urgency"], created["language"], created["subjects"][0]["nationalities"]) == (
        "emergency",
        "fr",
        ["TJ"],
    )
    path.write_text(json.dumps({**body, "title": "Locate two subjects"}), "utf-8")
    assert (
        ready.json("request", "update", created["id"], "--file", str(path))["title"] == "Locate two subjects"
    )
    mixed = ready("request", "create", "--file", str(path), "--title", "x")
    assert (mixed.exit_code, error_lines(mixed)) == (
        2,
        ["error: give the draft either with --file or with options, not both"],
    )
    path.write_text(json.dumps({**body, "lables": []}), "utf-8")
    unknown = ready("request", "create", "--file", str(path))
    assert (unknown.exit_code, error_lines(unknown)) == (2, ["error: 'lables' is not a field of a request"])
    path.write_text(json.dumps({k: v for k, v in body.items() if k != "offence"}), "utf-8")
    missing = ready("request", "create", "--file", str(path))
    assert (missing.exit_code, error_lines(missing)) == (2, ["error: 'offence' is required (got nothing)"])


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--deadline", "2027-02-30"], 2, "error: 'deadline' must be a date YYYY-MM-DD"),
        (["--urgency", "emergency"], 2, "error: 'urgency_justification' must be a justification"),
        (["--language", "xx"], 2, "error: 'language' must be an ISO 639-1 language code"),
        (["--to", "nobody"], 3, "error: organization nobody not found"),
        (["--to", "coalition"], 2, "error: 'requested_org' must be another organization than yours"),
    ],
)
def test_bad_options_exit_with_their_code(
    ready: Cli, partner: str, args: list[str], code: int, message: str
) -> None:
    """A bad option is one line on stderr naming the field, with the exit code of its error class; no
    draft is stored."""
    options = list(OPTIONS)
    for flag, value in zip(args[0::2], args[1::2], strict=True):
        if flag in options:
            options[options.index(flag) + 1] = value
        else:
            options += [flag, value]
    result = ready("request", "create", *options)
    assert result.exit_code == code
    [line] = error_lines(result)
    assert line.startswith(message)
    assert ready.json("request", "list") == []


def test_refused_moves_exit_3_4_and_5(ready: Cli, partner: str) -> None:
    """An unknown request exits 3, a move the state machine refuses 4, the other side's move 5; a
    missing required option exits 2 naming it."""
    rid = ready.json("request", "create", *OPTIONS)["id"]
    unknown = ready("request", "show", "00000000-0000-0000-0000-000000000000")
    assert (unknown.exit_code, error_lines(unknown)) == (
        3,
        ["error: request 00000000-0000-0000-0000-000000000000 not found"],
    )
    early = ready("request", "close", rid)
    assert early.exit_code == 4
    assert error_lines(early) == [
        "error: a request cannot move from 'draft' to 'closed' (from 'draft' it may move to: sent, withdrawn)"
    ]
    wrong = ready("request", "acknowledge", rid)
    assert wrong.exit_code == 5
    no_title = ready("request", "create", "--to", "platform")
    assert no_title.exit_code == 2
    assert error_lines(no_title) == [
        "error: 'title' is required: give --title (or the whole draft with --file)"
    ]


def test_overdue_lists(ready: Cli, partner: str) -> None:
    """overdue is empty while deadlines lie ahead: an empty JSON list, and a titled table."""
    ready.json("request", "create", *OPTIONS)
    assert ready.json("request", "overdue") == []
    table = ready("request", "overdue")
    assert table.exit_code == 0
    assert "overdue requests" in table.stdout
