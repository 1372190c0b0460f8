"""`ctx hash`, `ctx bank add`, `ctx match`, `ctx match-batch`: the shapes scripts rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.media import edited, jpeg, pattern, png

QUOTE = " ".join(f"word{i} of the manifesto that must not spread" for i in range(12))


@pytest.fixture
def banked(ready: Cli, tmp_path: Path) -> Cli:
    """An initialised exchange with the bank `propaganda` holding one image."""
    assert ready("collection", "create", "propaganda", "--marking", "GREEN").exit_code == 0
    (tmp_path / "poster.png").write_bytes(png(pattern(1)))
    result = ready("bank", "add", "propaganda", str(tmp_path / "poster.png"), "--label", "propaganda")
    assert result.exit_code == 0, result.output
    return ready


def test_hash_prints_the_scripted_shape(cli: Cli, tmp_path: Path) -> None:
    """ctx hash --json prints one object per file with path, md5, sha256, pdq and its quality."""
    for n in (1, 2):
        (tmp_path / f"{n}.png").write_bytes(png(pattern(n)))
    result = cli("hash", str(tmp_path / "1.png"), str(tmp_path / "2.png"), "--json")
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["path"] for d in docs] == [str(tmp_path / "1.png"), str(tmp_path / "2.png")]
    assert {"path", "md5", "sha256", "pdq", "pdq_quality"} <= set(docs[0])
    assert docs[0]["pdq_quality"] == 100


def test_hash_refuses_a_corrupt_image(cli: Cli, tmp_path: Path) -> None:
    """A truncated JPEG exits 2 with a message naming the file."""
    (tmp_path / "bad.jpg").write_bytes(jpeg(pattern(1))[:300])
    result = cli("hash", str(tmp_path / "bad.jpg"))
    assert result.exit_code == 2
    assert "bad.jpg" in result.stderr


def test_match_finds_an_edited_copy(banked: Cli, tmp_path: Path) -> None:
    """ctx match FILE --json finds the banked image from an edited copy, with its distance."""
    (tmp_path / "copy.jpg").write_bytes(edited(1))
    found = banked.json("match", str(tmp_path / "copy.jpg"))
    [hit] = found["matches"]
    assert hit["kind"] == "pdq" and hit["collection"] == "propaganda" and 0 < hit["distance"] <= 31
    assert hit["labels"] == ["propaganda"]


def test_bank_add_text_url_and_match(banked: Cli) -> None:
    """--text and --url add one item each; ctx match --text / --url find them."""
    assert banked("bank", "add", "propaganda", "--text", QUOTE).exit_code == 0
    assert (
        banked("bank", "add", "propaganda", "--url", "t.me/example_channel", "--level", "prefix").exit_code
        == 0
    )
    assert banked.json("match", "--text", QUOTE)["matches"][0]["kind"] == "text"
    assert (
        banked.json("match", "--url", "https://t.me/example_channel/9")["matches"][0]["match_type"]
        == "prefix"
    )
    table = banked("match", "--url", "https://t.me/example_channel/9")
    assert table.exit_code == 0 and "prefix" in table.stdout


def test_bank_add_jsonl_is_idempotent(banked: Cli, tmp_path: Path) -> None:
    """A JSON-lines batch adds every item once; running it again adds nothing."""
    (tmp_path / "img.png").write_bytes(png(pattern(5)))
    lines = [
        {"id": "a", "path": "img.png", "labels": ["propaganda"]},
        {"id": "b", "md5": "ab" * 16},
        {"id": "c", "url": "https://example.org/manifesto.pdf"},
    ]
    source = tmp_path / "items.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    first = [
        json.loads(x)
        for x in banked("bank", "add", "propaganda", "--jsonl", str(source), "--json").stdout.splitlines()
    ]
    assert [len(d["added"]) for d in first] == [3, 1, 1]
    again = [
        json.loads(x)
        for x in banked("bank", "add", "propaganda", "--jsonl", str(source), "--json").stdout.splitlines()
    ]
    assert [len(d["added"]) for d in again] == [0, 0, 0]
    assert [len(d["present"]) for d in again] == [3, 1, 1]


def test_match_batch_writes_one_line_per_input_and_resumes(banked: Cli, tmp_path: Path) -> None:
    """match-batch: one line per input with the scripted keys; a rerun into the same file adds nothing."""
    (tmp_path / "copy.jpg").write_bytes(edited(1))
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "x", "path": "copy.jpg"}) + "\n" + json.dumps({"id": "y", "md5": "0" * 32}) + "\n"
    )
    out = tmp_path / "out.jsonl"
    assert banked("match-batch", str(source), "--out", str(out)).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["x", "y"]
    [hit] = rows[0]["matches"]
    assert {"signal_id", "external_id", "collection", "kind", "distance", "match_type", "labels"} <= set(hit)
    assert rows[1]["matches"] == []
    assert banked("match-batch", str(source), "--out", str(out)).exit_code == 0
    assert len(out.read_text().splitlines()) == 2


def test_match_batch_validates_every_line_first(banked: Cli, tmp_path: Path) -> None:
    """A bad line stops the run before anything is matched, naming the line."""
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "x", "md5": "0" * 32}) + "\n" + json.dumps({"id": "y", "colour": 1}) + "\n"
    )
    result = banked("match-batch", str(source))
    assert result.exit_code == 2
    assert "line 2" in result.stderr
    assert result.stdout == ""


def test_match_needs_exactly_one_input(banked: Cli) -> None:
    """Neither a file nor an option is an error (exit 2)."""
    assert banked("match").exit_code == 2
