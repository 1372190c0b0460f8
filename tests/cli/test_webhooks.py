"""`ctx webhook`: add (secret once), list, remove, deliveries and deliver against a real receiver; exit
codes of refusals."""

from __future__ import annotations

from datetime import timedelta

from ctexchange.service.alerts import NewAlert
from tests.cli.conftest import Cli, error_lines
from tests.service.test_webhooks import Receiver
from tests.service.test_webhooks import receiver as receiver  # the fixture, used by name


def _alert_to_coalition(ready: Cli) -> str:
    """Have a new member organization issue an alert to the operator organization; return its id."""
    with ready.exchange() as exchange:
        operator = exchange.operator("test")
        exchange.members.create_org(operator, "agency-b", "national-agency")
        exchange.members.create_user(operator, "agency-b", "bob", "analyst")
        bob = exchange.auth.authenticate(exchange.members.create_key(operator, "bob", "k").text, "t")
        new = NewAlert(
            title="Campaign",
            kind="content-campaign",
            valid_until=exchange.clock() + timedelta(days=7),
            orgs=["coalition"],
        )
        return str(exchange.alerts.issue(bob, new).alert.id)


def test_add_list_deliver_remove(ready: Cli, receiver: Receiver) -> None:
    """The operator subscribes its organization, the worker delivers an alert event, and removal sticks."""
    added = ready.json("webhook", "add", receiver.url("/hook"), "--event", "alert.received")
    assert added["secret"].startswith("whsec_") and added["is_active"] is True
    listed = ready.json("webhook", "list")
    assert [s["id"] for s in listed] == [added["id"]] and "secret" not in listed[0]
    alert_id = _alert_to_coalition(ready)
    [pending] = ready.json("webhook", "deliveries")
    assert (pending["status"], pending["payload"]["data"]["alert_id"]) == ("pending", alert_id)
    [done] = ready.json("webhook", "deliver")
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("delivered", 1, 200)
    [got] = receiver.on("/hook")
    assert got.payload["type"] == "alert.received"
    assert ready.json("webhook", "deliver") == []
    removed = ready.json("webhook", "remove", added["id"])
    assert removed["is_active"] is False
    table = ready("webhook", "list")
    assert table.exit_code == 0 and "removed" in table.stdout


def test_add_prints_the_secret_once(ready: Cli) -> None:
    """Without --json, add prints the id and the secret with a warning; list never shows it."""
    result = ready("webhook", "add", "https://hooks.example.org/x", "--event", "case.opened")
    assert result.exit_code == 0, result.output
    secret = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("secret "))
    assert secret not in ready("webhook", "list").stdout


def test_refusals_have_their_exit_codes(ready: Cli) -> None:
    """A bad URL is 2 naming the field; an unknown subscription 3; a second removal 4; an unknown
    organization 3; a bad --every 2."""
    bad = ready("webhook", "add", "http://hooks.example.org/", "--event", "case.opened")
    assert bad.exit_code == 2 and "'url' must be" in error_lines(bad)[0]
    assert ready("webhook", "remove", "00000000-0000-4000-8000-000000000000").exit_code == 3
    added = ready.json("webhook", "add", "https://hooks.example.org/x", "--event", "case.opened")
    assert ready("webhook", "remove", added["id"]).exit_code == 0
    assert ready("webhook", "remove", added["id"]).exit_code == 4
    assert ready("webhook", "list", "--org", "nobody").exit_code == 3
    assert ready("webhook", "deliver", "--every", "0").exit_code == 2
