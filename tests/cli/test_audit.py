"""`ctx audit verify`: exit 0 on an intact log, 1 on each kind of tampering, 2 on a malformed anchor.

After `ctx init` and one `ctx org add` the log holds five events: org.create, user.create, key.create
(the bootstrap), user.password (init's one-time console password) and org.create. The tampering tests
change the SQLite file directly, as an attacker with access to the database would.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager

import pytest

from tests.cli.conftest import Cli


@pytest.fixture
def logged(ready: Cli) -> Cli:
    """An initialised exchange with five audit events."""
    assert ready("org", "add", "Platform").exit_code == 0
    return ready


@contextmanager
def database(cli: Cli) -> Iterator[sqlite3.Connection]:
    """The SQLite store of `cli`, opened behind the exchange's back; commits on exit."""
    with closing(sqlite3.connect(cli.home / "ctx.sqlite3")) as conn, conn:
        yield conn


def event_id(cli: Cli, seq: int) -> str:
    """Return the id of the event with this seq."""
    with database(cli) as conn:
        return str(conn.execute("SELECT id FROM audit_events WHERE seq = ?", (seq,)).fetchone()[0])


def test_verify_intact_log_exits_0_and_prints_the_anchor(logged: Cli) -> None:
    """An intact log exits 0 and prints the events checked and the head seq and hash to record."""
    result = logged("audit", "verify")
    assert result.exit_code == 0, result.output
    with database(logged) as conn:
        head_hash = conn.execute("SELECT hash FROM audit_events WHERE seq = 5").fetchone()[0]
    assert "5 events checked" in result.stdout
    assert f"record this anchor elsewhere: 5:{head_hash}" in result.stdout


def test_verify_json_reports_intact(logged: Cli) -> None:
    """--json prints the whole report as one object with "intact"."""
    report = logged.json("audit", "verify")
    assert report["intact"] is True
    assert report["checked"] == 5
    assert report["head_seq"] == 5
    assert len(report["head_hash"]) == 64
    assert report["bad_seq"] is None
    assert report["problem"] is None


def test_verify_with_recorded_anchor(logged: Cli) -> None:
    """A recorded anchor verifies later; a wrong hash for that seq exits 1 naming the anchor."""
    first = logged.json("audit", "verify")
    anchor = f"{first['head_seq']}:{first['head_hash']}"
    logged("org", "add", "Agency")
    assert logged("audit", "verify", "--anchor", anchor).exit_code == 0
    forged = anchor[:-1] + ("0" if anchor[-1] != "0" else "1")
    result = logged("audit", "verify", "--anchor", forged)
    assert result.exit_code == 1
    assert "anchor" in result.stdout
    assert "seq 4" in result.stdout


def test_verify_malformed_anchor_exits_2(logged: Cli) -> None:
    """An anchor that is not SEQ:HASH is a usage error (exit 2) naming the field."""
    result = logged("audit", "verify", "--anchor", "4:abc")
    assert result.exit_code == 2
    assert "'anchor' must be SEQ:HASH" in result.stderr


def test_verify_detects_an_edited_event(logged: Cli) -> None:
    """Editing one event's details exits 1 and names that event's seq and id as edited."""
    with database(logged) as conn:
        conn.execute("UPDATE audit_events SET details = ? WHERE seq = 2", ('{"role": "auditor"}',))
    result = logged("audit", "verify")
    assert result.exit_code == 1
    assert "BROKEN at event seq 2" in result.stdout
    assert event_id(logged, 2) in result.stdout
    assert "edited: event 2 does not match its hash" in result.stdout
    report = json.loads(logged("audit", "verify", "--json").stdout)
    assert report["intact"] is False
    assert (report["bad_seq"], report["bad_id"]) == (2, event_id(logged, 2))
    assert report["checked"] == 1


def test_verify_detects_a_deleted_event(logged: Cli) -> None:
    """Deleting one event exits 1 and names the missing seq."""
    with database(logged) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq = 2")
    result = logged("audit", "verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["intact"] is False
    assert report["problem"].startswith("deleted: event 2 is missing")
    assert report["checked"] == 1
    human = logged("audit", "verify")
    assert human.exit_code == 1
    assert "deleted: event 2 is missing" in human.stdout


def test_verify_detects_swapped_events(logged: Cli) -> None:
    """Swapping the seq of two events exits 1 and names the first moved event as reordered."""
    moved = event_id(logged, 3)
    with database(logged) as conn:
        conn.execute("UPDATE audit_events SET seq = -1 WHERE seq = 2")
        conn.execute("UPDATE audit_events SET seq = 2 WHERE seq = 3")
        conn.execute("UPDATE audit_events SET seq = 3 WHERE seq = -1")
    result = logged("audit", "verify")
    assert result.exit_code == 1
    assert "BROKEN at event seq 2" in result.stdout
    assert moved in result.stdout
    assert "reordered" in result.stdout
    report = json.loads(logged("audit", "verify", "--json").stdout)
    assert (report["bad_seq"], report["bad_id"]) == (2, moved)
