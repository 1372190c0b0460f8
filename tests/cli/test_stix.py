"""`ctx export stix` and `ctx import stix`: a bundle out and back in, summaries, and clear failures."""

from __future__ import annotations

import json
from pathlib import Path

from stix2validator import ValidationOptions, validate_string

from ctexchange.service.signals import NewSignal
from tests.cli.conftest import Cli, error_lines

MD5 = "0cc175b9c0f1b6a831c399e269772661"


def _bank(ready: Cli) -> None:
    """A GREEN bank of the operator with three md5 signals, one labelled with a UN reference."""
    assert ready("collection", "create", "bank", "--marking", "GREEN").exit_code == 0
    with ready.exchange() as exchange:
        caller = exchange.operator("t")
        exchange.signals.add_many(
            caller,
            "bank",
            [NewSignal("md5", MD5, ["propaganda", "un:QDe.115"])]
            + [NewSignal("md5", f"{n:032x}", ["recruitment"]) for n in range(2)],
        )


def test_export_to_a_file_then_import_it(ready: Cli, tmp_path: Path) -> None:
    """The bundle written with --out validates; importing it adds the three signals; again, none."""
    _bank(ready)
    out = tmp_path / "bank.json"
    summary = ready.json("export", "stix", "--collection", "bank", "--out", str(out))
    assert summary["out"] == str(out)
    assert summary["types"]["indicator"] == 3
    assert summary["objects"] == sum(summary["types"].values())
    assert not (tmp_path / "bank.json.part").exists()
    results = validate_string(out.read_text("utf-8"), ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    report = ready.json("import", "stix", str(out), "--collection", "copy")
    assert (report["collection"], report["added"], report["skipped"]) == ("copy", 3, 0)
    assert {o["outcome"] for o in report["objects"]} == {"added", "context"}
    again = ready("import", "stix", str(out), "--collection", "copy")
    assert again.exit_code == 0, again.output
    assert "imported into 'copy': 0 added, 0 updated, 3 unchanged" in again.stdout


def test_export_to_stdout_is_the_bundle(ready: Cli, tmp_path: Path) -> None:
    """Without --out, stdout is exactly the bundle and the summary goes to stderr."""
    _bank(ready)
    result = ready("export", "stix")
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.stdout)
    assert bundle["type"] == "bundle"
    assert [o["type"] for o in bundle["objects"]].count("indicator") == 3
    assert result.stderr.startswith("exported ")
    human = ready("export", "stix", "--out", str(tmp_path / "all.json"))
    assert human.exit_code == 0, human.output
    assert human.stdout.strip().endswith(f"to {tmp_path / 'all.json'}")


def test_import_reports_what_it_skipped(ready: Cli, tmp_path: Path) -> None:
    """Objects that are not signals are listed with their reason; the signals are still added."""
    path = tmp_path / "mixed.json"
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--11111111-1111-4111-8111-111111111111",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": f"[file:hashes.MD5 = '{MD5}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }
    malware = {
        "type": "malware",
        "spec_version": "2.1",
        "id": "malware--22222222-2222-4222-8222-222222222222",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "dropper",
        "is_family": False,
    }
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [indicator, malware]}))
    result = ready("import", "stix", str(path))
    assert result.exit_code == 0, result.output
    assert "imported into 'stix-import': 1 added" in result.stdout
    assert "skipped objects[1] malware--22222222-2222-4222-8222-222222222222: type 'malware'" in result.stdout


def test_bad_input_is_one_line_and_changes_nothing(ready: Cli, tmp_path: Path) -> None:
    """A missing file, broken JSON or an invalid object exit 2 with one error line; an unknown collection
    to export exits 3; nothing is created."""
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    invalid = tmp_path / "invalid.json"
    bad = {"type": "indicator", "spec_version": "2.1", "id": "indicator--x", "pattern": "[", "created": "x"}
    invalid.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [bad]}))
    for path in (tmp_path / "missing.json", broken, invalid):
        result = ready("import", "stix", str(path))
        assert result.exit_code == 2, result.output
        assert len(error_lines(result)) == 1
    unknown = ready("export", "stix", "--collection", "nope")
    assert unknown.exit_code == 3
    assert error_lines(unknown) == ["error: collection nope not found"]
    assert ready.json("collection", "list") == []


def test_export_ftm_writes_json_lines_that_our_importer_reads(ready: Cli, tmp_path: Path) -> None:
    """`ctx export ftm --out` writes a party and its Sanction per entity and reports the counts; the
    file loads back through `ctx import ftm`; without --out, stdout is the JSON lines."""
    assert ready("collection", "create", "designated", "--marking", "GREEN").exit_code == 0
    person = {
        "schema": "Person",
        "names": [{"text": "Abu Example"}, {"text": "أبو مثال", "type": "original_script"}],
        "listing": {"source": "UN", "reference": "QDi.901", "program": "Al-Qaida"},
        "birth_dates": [{"kind": "exact", "start": "1980-02-01"}],
        "nationalities": ["SY"],
    }
    with ready.exchange() as exchange:
        exchange.signals.add(exchange.operator("t"), "designated", NewSignal("person", person))
    out = tmp_path / "designated.ftm.json"
    summary = ready.json(
        "export", "ftm", "--collection", "designated", "--out", str(out), "--dataset", "coalition"
    )
    assert summary == {"out": str(out), "entities": 2, "schemas": {"Person": 1, "Sanction": 1}}
    party, sanction = (json.loads(line) for line in out.read_text("utf-8").splitlines())
    assert (party["id"], party["datasets"], party["properties"]["birthDate"]) == (
        "QDi.901",
        ["coalition"],
        ["1980-02-01"],
    )
    assert sanction["properties"]["entity"] == ["QDi.901"]
    loaded = ready("import", "ftm", str(out), "--collection", "copy", "--source", "UN")
    assert loaded.exit_code == 0, loaded.output
    streamed = ready("export", "ftm", "--collection", "designated")
    assert streamed.exit_code == 0, streamed.output
    assert [json.loads(line)["schema"] for line in streamed.stdout.splitlines()] == ["Person", "Sanction"]
    assert "exported 2 entities" in streamed.stderr
