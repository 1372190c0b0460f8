"""`ctx alert`: issue, list, show, update, extend, cancel, history, acknowledgements, exit codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ctexchange.service.alerts import NewAlert
from tests.cli.conftest import Cli, error_lines

ISSUE = [
    "alert",
    "issue",
    "Fighter reported travelling",
    "--kind",
    "fighter-travel",
    "--to",
    "agency-b",
    "--name",
    "أبو محمد الشامي",
    "--name",
    "Abu Mohammed al-Shami",
    "--dob",
    "1994-03",
    "--nationality",
    "sy",
    "--location",
    "Gaziantep bus station",
    "--country",
    "tr",
    "--stop",
    "Idlib|SY|2026-11-20",
    "--stop",
    "Istanbul||",
    "--days",
    "7",
]


@pytest.fixture
def peers(ready: Cli) -> Cli:
    """An initialised exchange with member organization agency-b."""
    assert ready("org", "add", "agency-b").exit_code == 0
    return ready


def test_issue_and_list(peers: Cli) -> None:
    """issue --json gives the alert with its subject, location and route; list shows it."""
    alert = peers.json(*ISSUE)
    assert (alert["state"], alert["version"], alert["marking"], alert["is_issuer"]) == (
        "issued",
        1,
        "AMBER",
        True,
    )
    assert alert["subject"]["description"]["properties"]["name"] == [
        "أبو محمد الشامي",
        "Abu Mohammed al-Shami",
    ]
    assert alert["subject"]["description"]["properties"]["nationality"] == ["SY"]
    assert alert["location"] == {"text": "Gaziantep bus station", "country": "TR"}
    assert alert["route"] == [
        {"place": "Idlib", "country": "SY", "date": "2026-11-20"},
        {"place": "Istanbul", "country": None, "date": None},
    ]
    assert [r["state"] for r in alert["recipients"]] == ["pending"]
    assert [a["id"] for a in peers.json("alert", "list")] == [alert["id"]]
    table = peers("alert", "list")
    assert table.exit_code == 0
    for shown in (alert["id"], "issued", "fighter-travel", "AMBER", "coalition"):
        assert shown in table.stdout


def test_human_issue_and_show(peers: Cli) -> None:
    """Without --json, issue prints one line ending in the id; show prints the alert and its recipients.
    --from and --until take ISO 8601 times in any zone."""
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    end = start + timedelta(days=30)
    local = start.astimezone(timezone(timedelta(hours=2))).isoformat()
    result = peers(*ISSUE[:-2], "--until", end.isoformat().replace("+00:00", "Z"), "--from", local)
    assert result.exit_code == 0, result.output
    [listed] = peers.json("alert", "list")
    assert result.stdout.strip() == (
        f"issued AMBER alert to 1 organization(s) until {end:%Y-%m-%d %H:%M:%S}Z: {listed['id']}"
    )
    assert datetime.fromisoformat(listed["valid_from"]) == start
    shown = peers("alert", "show", listed["id"])
    assert shown.exit_code == 0, shown.output
    for text in ("Fighter reported travelling", "Gaziantep bus station", "Idlib", "agency-b", "pending"):
        assert text in shown.stdout


def test_update_extend_cancel_and_history(peers: Cli) -> None:
    """update makes version 2, extend version 3, cancel closes it; history lists the three; a second
    cancel exits 4 naming the state."""
    alert_id = peers.json(*ISSUE)["id"]
    updated = peers.json("alert", "update", alert_id, "--note", "seen", "--location", "Istanbul airport")
    assert (updated["version"], updated["location"]["text"]) == (2, "Istanbul airport")
    cleared = peers.json("alert", "update", alert_id, "--note", "route unknown", "--clear-route")
    assert cleared["route"] == []
    extended = peers.json("alert", "extend", alert_id, "--days", "30", "--note", "continues")
    assert extended["version"] == 4
    cancelled = peers.json("alert", "cancel", alert_id, "--reason", "arrested")
    assert (cancelled["state"], cancelled["cancellation"]["reason"]) == ("cancelled", "arrested")
    history = peers.json("alert", "history", alert_id)
    assert [(v["version"], v["change"]) for v in history] == [
        (1, "issue"),
        (2, "update"),
        (3, "update"),
        (4, "extend"),
    ]
    again = peers("alert", "cancel", alert_id, "--reason", "twice")
    assert again.exit_code == 4
    assert error_lines(again) == [
        "error: cannot cancel an alert that is 'cancelled'"
        " (an alert that is 'cancelled' allows: nothing (a closed alert is read-only))"
    ]


def _alert_from_agency_b(cli: Cli) -> str:
    """Issue an alert from agency-b to the operator organization, through the service."""
    with cli.exchange() as ex:
        operator = ex.operator("t")
        user = ex.members.create_user(operator, "agency-b", "bob", "analyst")
        bob = ex.auth.authenticate(ex.members.create_key(operator, str(user.id), "k").text, "r")
        new = NewAlert("Campaign", "content-campaign", ex.clock() + timedelta(days=3), orgs=["coalition"])
        return str(ex.alerts.issue(bob, new).alert.id)


def test_acknowledge_an_alert_received(peers: Cli) -> None:
    """ack acknowledges for the operator organization; the received list shows it acknowledged; a
    second ack exits 4; acks shows the receipt."""
    alert_id = _alert_from_agency_b(peers)
    [pending] = peers.json("alert", "list", "--box", "received")
    assert (pending["id"], pending["is_pending"], pending["my_state"]) == (alert_id, True, "pending")
    ack = peers.json("alert", "ack", alert_id, "--note", "passed on")
    assert (ack["version"], ack["note"]) == (1, "passed on")
    [done] = peers.json("alert", "list", "--box", "received")
    assert (done["is_pending"], done["my_state"]) == (False, "acknowledged")
    again = peers("alert", "ack", alert_id)
    assert again.exit_code == 4
    assert "from 'acknowledged' to 'acknowledged'" in error_lines(again)[0]
    [receipt] = peers.json("alert", "acks", alert_id)
    assert (receipt["state"], receipt["latest"]["note"]) == ("acknowledged", "passed on")
    assert "acknowledged" in peers("alert", "acks", alert_id).stdout
    refused = peers("alert", "update", alert_id, "--note", "x", "--title", "mine")
    assert refused.exit_code == 5


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--stop", "a|b|c|d"], 2, "'route[2]' must be one --stop PLACE|COUNTRY|DATE"),
        (["--until", "2030-01-01T00:00:00"], 2, "'valid_until' must be a time with a time zone"),
        (["--until", "soon"], 2, "'valid_until' must be an ISO 8601 time"),
        (["--until", "2030-01-01T00:00:00Z", "--days", "3"], 2, "give '--until' or '--days', not both"),
        (["--kind", "rumour"], 2, "'kind' must be one of fighter-travel"),
        (["--dob", "1994-02-30"], 2, "'subject.properties.birthDate[1]' must be a day that exists"),
        (["--to", "nobody"], 3, "organization nobody not found"),
        (["--marking", "RED"], 2, "'recipients.orgs' must be empty for a RED alert"),
    ],
)
def test_bad_issues_exit_with_their_code(peers: Cli, args: list[str], code: int, message: str) -> None:
    """Each bad issue exits with its code and one line naming the field; nothing is stored."""
    base: list[Any] = ISSUE[:-2] if "--until" in args else list(ISSUE)
    result = peers(*base, *args)
    assert result.exit_code == code, result.output
    [line] = error_lines(result)
    assert message in line
    assert peers.json("alert", "list") == []


def test_issue_needs_a_validity(peers: Cli) -> None:
    """Without --until or --days, issue exits 2 saying so."""
    result = peers(*ISSUE[:-2])
    assert result.exit_code == 2
    assert error_lines(result) == [
        "error: 'valid_until' is required: give '--until' or '--days' (got nothing)"
    ]


def test_unknown_alert_exits_3(peers: Cli) -> None:
    """show, acks and history of an id that does not exist exit 3 with the not-found line."""
    missing = "00000000-0000-4000-8000-000000000000"
    for command in ("show", "acks", "history"):
        result = peers("alert", command, missing)
        assert result.exit_code == 3
        assert error_lines(result) == [f"error: alert {missing} not found"]
