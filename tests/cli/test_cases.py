"""`ctx case`: the operator organization's review cases from the command line, and the purge job."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctexchange.service.content import ContentItem, ContentQuery
from tests.cli.conftest import Cli, error_lines

BAD = "a" * 64


@pytest.fixture
def with_cases(ready: Cli) -> Cli:
    """An exchange whose operator organization has a review bank and a pipeline that matched two items."""
    with ready.exchange() as exchange:
        operator = exchange.operator("test")
        exchange.collections.create(operator, "tco", "GREEN", requires_review=True)
        exchange.content.add(operator, "tco", [ContentItem(None, {"sha256": BAD}, ["propaganda"])])
        exchange.members.create_user(operator, None, "pipeline", "service")
        pipeline = exchange.auth.authenticate(
            exchange.members.create_key(operator, "pipeline", "k").text, "t"
        )
        for item in ("item-1", "item-2"):
            exchange.content.match(pipeline, ContentQuery(sha256=BAD, id=item))
    return ready


def test_list_show_and_decide(with_cases: Cli) -> None:
    """Cases list as JSON; a removal under an order shows in the report; a complaint is reinstated."""
    first, second = with_cases.json("case", "list")
    assert [first["item_id"], second["item_id"]] == ["item-1", "item-2"]
    confirmed = with_cases.json(
        "case",
        "confirm",
        first["id"],
        "--action",
        "remove",
        "--reason",
        "propaganda",
        "--order-received",
        first["opened_at"],
    )
    assert confirmed["status"] == "confirmed" and confirmed["is_removed_in_time"] is True
    report = with_cases.json("case", "removal-report")
    assert (report["within_hour"], report["over_hour"], report["not_removed"]) == (1, 0, 0)
    assert with_cases.json("case", "complain", first["id"], "--reason", "satire")["status"] == "complained"
    assert with_cases.json("case", "reinstate", first["id"], "--reason", "satire")["status"] == "reinstated"
    assert with_cases.json("case", "reject", second["id"], "--reason", "news report")["status"] == "rejected"
    detail = with_cases.json("case", "show", first["id"])
    assert [d["move"] for d in detail["history"]] == ["confirm", "complain", "reinstate"]
    table = with_cases("case", "show", second["id"])
    assert table.exit_code == 0 and "news report" in table.stdout


def test_a_decision_needs_a_reason_and_a_legal_move(with_cases: Cli) -> None:
    """Without --reason the command is a usage error; an illegal move exits 4 naming the allowed moves;
    an unknown id exits 3."""
    [case, _] = with_cases.json("case", "list")
    assert with_cases("case", "reject", case["id"]).exit_code == 2
    illegal = with_cases("case", "uphold", case["id"], "--reason", "x")
    assert illegal.exit_code == 4
    assert "it may move to: escalated, confirmed, rejected" in error_lines(illegal)[0]
    missing = with_cases("case", "show", "00000000-0000-4000-8000-000000000000")
    assert missing.exit_code == 3


def test_evidence_is_kept_then_purged_by_the_job(with_cases: Cli, tmp_path: Path) -> None:
    """Evidence attached to a removal is listed; the purge job drops it once its date has passed and
    says so; a second run purges nothing."""
    [case, _] = with_cases.json("case", "list")
    with_cases.json("case", "confirm", case["id"], "--action", "remove", "--reason", "propaganda")
    item = tmp_path / "removed.png"
    item.write_bytes(b"\x89PNG removed")
    evidence = with_cases.json("case", "add-evidence", case["id"], str(item), "--media-type", "image/png")
    assert evidence["size_bytes"] == len(b"\x89PNG removed") and evidence["has_content"] is True
    assert with_cases.json("case", "purge-evidence") == []
    with with_cases.exchange() as exchange, exchange.store.transaction() as uow:
        uow.db.run("UPDATE case_evidence SET keep_until = '2000-01-01T00:00:00.000000+00:00'")
    [purged] = with_cases.json("case", "purge-evidence")
    assert purged["id"] == evidence["id"] and purged["has_content"] is False
    again = with_cases("case", "purge-evidence")
    assert again.exit_code == 0 and "0 pieces of evidence purged" in again.stdout
    assert with_cases.json("case", "show", case["id"])["evidence"][0]["purged_at"] is not None
