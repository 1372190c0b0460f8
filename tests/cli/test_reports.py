"""`ctx report transparency` and `ctx collection create --sighting-policy`: every format, `--out`, and
bad input refused with the field named and exit code 2."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from tests.cli.conftest import Cli, error_lines

TODAY = datetime.now(UTC).date().isoformat()
PERIOD = ("--org", "coalition", "--from", TODAY, "--to", TODAY)


def test_a_collection_takes_a_sighting_policy(ready: Cli) -> None:
    """The flag sets the bank's policy; a bad value is refused naming the field."""
    made = ready.json(
        "collection", "create", "quiet", "--marking", "GREEN", "--sighting-policy", "anonymised"
    )
    assert made["sighting_policy"] == "anonymised"
    assert ready.json("collection", "create", "open", "--marking", "GREEN")["sighting_policy"] == "named"
    bad = ready("collection", "create", "x", "--sighting-policy", "secret")
    assert bad.exit_code == 2 and "sighting_policy" in error_lines(bad)[0]


def test_the_report_prints_json_csv_and_html(ready: Cli) -> None:
    """JSON (the default, or `--json`) is the canonical document; CSV and HTML render the same figures."""
    document = ready.json("report", "transparency", *PERIOD)
    assert document["organization"]["name"] == "coalition"
    assert document["period"] == {"from": TODAY, "to": TODAY}
    assert document["sections"]["removal_orders"]["received"] == 0
    plain = ready("report", "transparency", *PERIOD)
    assert plain.exit_code == 0 and json.loads(plain.stdout)["sections"] == document["sections"]
    as_csv = ready("report", "transparency", *PERIOD, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {"section": "requests", "metric": "sent", "dimension": "", "value": "0", "name": ""} in rows
    html = ready("report", "transparency", *PERIOD, "--format", "html")
    assert html.stdout.startswith("<!DOCTYPE html>") and "<script" not in html.stdout


def test_the_report_goes_to_a_file(ready: Cli, tmp_path: Path) -> None:
    """`--out` writes the whole report and says where on stderr, leaving stdout empty."""
    target = tmp_path / "q2.html"
    done = ready("report", "transparency", *PERIOD, "--format", "html", "--out", str(target))
    assert done.exit_code == 0 and done.stdout == ""
    assert str(target) in done.stderr
    assert "</html>" in target.read_text("utf-8")


def test_bad_periods_and_formats_are_refused(ready: Cli) -> None:
    """An impossible date, a reversed period, an unknown format or organization end with an error line."""
    impossible = ready("report", "transparency", "--org", "coalition", "--from", "2026-02-30", "--to", TODAY)
    assert impossible.exit_code == 2 and "'from'" in error_lines(impossible)[0]
    reversed_ = ready("report", "transparency", "--org", "coalition", "--from", TODAY, "--to", "2000-01-01")
    assert reversed_.exit_code == 2 and "'to'" in error_lines(reversed_)[0]
    fmt = ready("report", "transparency", *PERIOD, "--format", "pdf")
    assert fmt.exit_code == 2 and "'format'" in error_lines(fmt)[0]
    missing = ready("report", "transparency", "--org", "nowhere", "--from", TODAY, "--to", TODAY)
    assert missing.exit_code == 3 and "nowhere" in error_lines(missing)[0]


def test_sightings_and_their_summary(ready: Cli) -> None:
    """The operator's own signals: each lookup's sighting is listed, named for a `named` bank and as
    `member-1` for an `anonymised` one; the summary counts them per day and organization."""
    ready("collection", "create", "open", "--marking", "GREEN")
    ready("collection", "create", "quiet", "--marking", "GREEN", "--sighting-policy", "anonymised")
    assert ready("bank", "add", "open", "--url", "t.me/open_channel").exit_code == 0
    assert ready("bank", "add", "quiet", "--url", "t.me/quiet_channel").exit_code == 0
    for url in ("https://t.me/open_channel", "https://t.me/quiet_channel", "https://t.me/quiet_channel"):
        assert ready("match", "--url", url).exit_code == 0
    listed = ready.json("report", "sightings")
    assert sorted((s["org"], s["is_anonymised"]) for s in listed) == [
        ("coalition", False),
        ("member-1", True),
        ("member-1", True),
    ]
    assert ready("report", "sightings", "--limit", "1").exit_code == 0
    summary = ready.json("report", "sighting-summary", "--bucket", "hour")
    assert summary["total"] == 3 and summary["bucket"] == "hour"
    assert sorted(r["count"] for r in summary["organizations"]) == [1, 2]
    table = ready("report", "sighting-summary")
    assert table.exit_code == 0 and "3 sightings from" in table.stdout
    bad = ready("report", "sighting-summary", "--bucket", "week")
    assert bad.exit_code == 2 and "'bucket'" in error_lines(bad)[0]
    assert ready("report", "sightings", "--limit", "0").exit_code == 2
