"""`ctx import`: counts of what an import changed, idempotence, and clear errors on bad files."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli, error_lines
from tests.interop.ftm_sample import sample_ftm
from tests.service.un_xml import Person, un_list

A = Person("QDi.900", "AHMAD", "KHALAYLEH", "أحمد الخلايلة", "1966")
B = Person("QDi.901", "IBRAHIM", "AWWAD", "", "1971")


def test_un_list_import_reports_counts_and_is_idempotent(ready: Cli, tmp_path: Path) -> None:
    """The first import adds, the same file again changes nothing, a newer one delists the missing."""
    path = tmp_path / "un.xml"
    path.write_bytes(un_list([A, B]))
    first = ready.json("import", "un-list", str(path))
    assert (first["added"], first["collection"]) == (2, "UN-SC")
    again = ready.json("import", "un-list", str(path))
    assert (again["added"], again["changed"], again["unchanged"], again["delisted"]) == (0, 0, 2, 0)
    path.write_bytes(un_list([B]))
    human = ready("import", "un-list", str(path))
    assert human.exit_code == 0, human.output
    assert "0 added, 0 changed, 1 unchanged, 1 delisted, 0 relisted" in human.stdout


def test_bundled_list_and_argument_rules(ready: Cli) -> None:
    """--bundled loads the shipped UN list; a file and --bundled together, or neither, exit 2."""
    report = ready.json("import", "un-list", "--bundled", "--collection", "un-copy")
    assert report["added"] == 879
    assert ready("import", "un-list").exit_code == 2
    assert ready("import", "un-list", "x.xml", "--bundled").exit_code == 2


def test_ftm_import_into_a_named_collection(ready: Cli, tmp_path: Path) -> None:
    """FollowTheMoney lines load into the collection named, created AMBER."""
    path = tmp_path / "list.jsonl"
    path.write_bytes(sample_ftm())
    report = ready.json("import", "ftm", str(path), "--collection", "national", "--source", "Sample list")
    assert report["added"] == 2
    [national] = [c for c in ready.json("collection", "list") if c["name"] == "national"]
    assert national["default_marking"] == "AMBER"


def test_bad_files_are_one_line_and_change_nothing(ready: Cli, tmp_path: Path) -> None:
    """A hostile XML file, a missing file and an empty file each exit 2 with one error line."""
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><l>&b;</l>')
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    for args in (["un-list", str(bomb)], ["un-list", str(tmp_path / "missing.xml")], ["un-list", str(empty)]):
        result = ready("import", *args)
        assert result.exit_code == 2, result.output
        assert len(error_lines(result)) == 1
    assert ready.json("collection", "list") == []
