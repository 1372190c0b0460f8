"""`ctx screen` and `ctx screen-batch`: shapes scripts rely on, validation by line, resumable output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.service.un_xml import Person, un_list

BADRI = Person("QDi.299", "IBRAHIM", "AWWAD IBRAHIM ALI AL-BADRI", "ابراهيم عواد ابراهيم علي البدري", "1971")
SMITH = Person("QDi.300", "JOHN", "SMITH", "", "1950")


@pytest.fixture
def listed(ready: Cli, tmp_path: Path) -> Cli:
    """An initialised exchange with two UN entries."""
    path = tmp_path / "un.xml"
    path.write_bytes(un_list([BADRI, SMITH]))
    assert ready("import", "un-list", str(path)).exit_code == 0
    return ready


def test_screen_one_name(listed: Cli) -> None:
    """ctx screen finds the entry from its Arabic-script name; --json gives the scripted shape."""
    hits = listed.json("screen", "ابراهيم عواد البدري", "--dob", "1971")
    assert hits[0]["external_id"] == "QDi.299"
    assert set(hits[0]) == {"signal_id", "external_id", "name", "score", "match", "explanation"}
    table = listed("screen", "Ibrahim Awwad al-Badri")
    assert table.exit_code == 0
    assert "QDi.299" in table.stdout


def test_screen_refuses_bad_input(listed: Cli) -> None:
    """An impossible date exits 2 naming the field."""
    result = listed("screen", "Ali", "--dob", "1971-02-30")
    assert result.exit_code == 2
    assert "birthDate" in result.stderr


def _batch(tmp_path: Path, suffix: str) -> Path:
    rows = [
        ("q1", "Ibrahim Awwad al-Badri", "1971"),
        ("q2", "John Smith", "1950"),
        ("q3", "Maria Garcia", ""),
    ]
    path = tmp_path / f"queries{suffix}"
    if suffix == ".csv":
        path.write_text(
            "id,name,dob,nationality,document,schema\n" + "".join(f"{i},{n},{d},,,\n" for i, n, d in rows)
        )
    else:
        path.write_text(
            "".join(json.dumps({"id": i, "name": n, "dob": d or None}) + "\n" for i, n, d in rows)
        )
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_batch_writes_one_line_per_query(listed: Cli, tmp_path: Path, suffix: str) -> None:
    """Each query gives one JSON line {id, results}, best first, in input order."""
    result = listed("screen-batch", str(_batch(tmp_path, suffix)))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3"]
    assert lines[0]["results"][0]["external_id"] == "QDi.299"
    assert lines[1]["results"][0]["external_id"] == "QDi.300"
    assert not any(r["match"] for r in lines[2]["results"])


def test_batch_resumes_where_it_stopped(listed: Cli, tmp_path: Path) -> None:
    """With --out, ids already written are skipped and a line cut short is dropped, then completed."""
    source = _batch(tmp_path, ".jsonl")
    out = tmp_path / "out.jsonl"
    assert listed("screen-batch", str(source), "--out", str(out)).exit_code == 0
    complete = out.read_text().splitlines()
    out.write_text(complete[0] + "\n" + complete[1][:15])
    assert listed("screen-batch", str(source), "--out", str(out)).exit_code == 0
    resumed = out.read_text().splitlines()
    assert [json.loads(line)["id"] for line in resumed] == ["q1", "q2", "q3"]
    assert resumed == complete


def test_batch_validates_every_line_first(listed: Cli, tmp_path: Path) -> None:
    """A bad line anywhere stops the run before any screening, naming the line."""
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": "a", "name": "Ali"}\n{"id": "b", "name": "Omar", "dob": "1971-02-30"}\n')
    out = tmp_path / "out.jsonl"
    result = listed("screen-batch", str(source), "--out", str(out))
    assert result.exit_code == 2
    assert "line 2" in result.stderr
    assert not out.exists()


def test_batch_results_are_those_of_single_queries(listed: Cli, tmp_path: Path) -> None:
    """screen-batch screens its queries together; each line holds what `ctx screen` finds alone."""
    lines = [
        json.loads(line) for line in listed("screen-batch", str(_batch(tmp_path, ".csv"))).stdout.splitlines()
    ]
    alone = [
        listed.json("screen", "Ibrahim Awwad al-Badri", "--dob", "1971"),
        listed.json("screen", "John Smith", "--dob", "1950"),
        listed.json("screen", "Maria Garcia"),
    ]
    assert [line["results"] for line in lines] == alone
