"""`ctx remote`: add, list, pull and push against a real instance served on loopback; clear failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctexchange.service.signals import NewSignal
from tests.api.factories import md5_of
from tests.cli.conftest import Cli, error_lines
from tests.service.test_federation import Instance, _partner, _start


@pytest.fixture
def bravo(tmp_path: Path) -> Iterator[Instance]:
    """Another instance with a GREEN bank of three signals, a member organization for this one and an
    inbox that organization owns there."""
    for instance in _start("bravo", tmp_path / "bravo", "Bravo Agency"):
        ex, op = instance.exchange, instance.operator
        ex.collections.create(op, "open-bank", "GREEN")
        ex.signals.add_many(op, "open-bank", [NewSignal("md5", md5_of(n)) for n in range(3)])
        _partner(instance, "Coalition at Bravo")
        assert instance.partner is not None
        ex.collections.create(instance.partner, "inbox", "GREEN")
        yield instance


def test_add_list_pull_push(ready: Cli, bravo: Instance) -> None:
    """A remote is added with the NAME of its key's variable (never the key), pulled (three signals),
    pulled again (nothing new), pulled in full (all unchanged) and pushed to (the operator's own bank);
    list shows the checkpoints."""
    added = ready.json("remote", "add", "bravo", bravo.root, "--key-env", "BRAVO_KEY")
    assert (added["name"], added["url"], added["key_env"]) == ("bravo", bravo.root, "BRAVO_KEY")
    assert bravo.partner_key not in json.dumps(added)
    env = {"BRAVO_KEY": bravo.partner_key}
    pulled = ready("remote", "pull", "bravo", "--limit", "2", "--json", env=env)
    assert pulled.exit_code == 0, pulled.output
    [bank] = [p for p in json.loads(pulled.stdout) if p["title"] == "open-bank"]
    assert bank["counts"]["added"] == 3 and bank["pages"] >= 4
    again = ready("remote", "pull", "bravo", env=env)
    assert again.exit_code == 0, again.output
    assert "open-bank" in again.stdout and "added" not in again.stdout
    full = ready("remote", "pull", "bravo", "--full", "--json", env=env)
    assert full.exit_code == 0, full.output
    [bank] = [p for p in json.loads(full.stdout) if p["title"] == "open-bank"]
    assert (bank["counts"].get("added", 0), bank["counts"]["unchanged"]) == (0, 3)
    assert ready("collection", "create", "mine", "--marking", "GREEN").exit_code == 0
    with ready.exchange() as exchange:
        exchange.signals.add_many(exchange.operator("t"), "mine", [NewSignal("md5", md5_of(40))])
    pushed = ready("remote", "push", "bravo", "--collection", "mine", env=env)
    assert pushed.exit_code == 0, pushed.output
    assert "mine -> " in pushed.stdout and "1 sent, 1 accepted" in pushed.stdout
    [listed] = ready.json("remote", "list")
    assert listed["pulled_objects"] == 3
    assert {c["direction"] for c in listed["checkpoints"]} == {"pull", "push"}
    assert not any(c["in_progress"] for c in listed["checkpoints"])


def test_failures_are_clear(ready: Cli, bravo: Instance) -> None:
    """A key in --key-env, an http URL to another host, a missing variable, a wrong key and an unknown
    remote are refused with one line each and their exit codes."""
    bad_env = ready("remote", "add", "bravo", bravo.root, "--key-env", bravo.partner_key)
    assert (
        bad_env.exit_code == 2 and "'key_env' must be the NAME of an environment variable" in bad_env.stderr
    )
    assert bravo.partner_key not in bad_env.stderr.replace(bravo.partner_key[:20] + "...", "")
    plain = ready("remote", "add", "far", "http://taxii.example.org/api/", "--key-env", "K")
    assert plain.exit_code == 2 and "'url' must be an https:// URL" in plain.stderr
    assert ready("remote", "add", "bravo", bravo.root, "--key-env", "BRAVO_KEY").exit_code == 0
    twice = ready("remote", "add", "bravo", bravo.root, "--key-env", "BRAVO_KEY")
    assert twice.exit_code == 4
    missing = ready("remote", "pull", "bravo", env={"BRAVO_KEY": None})
    assert missing.exit_code == 2 and "BRAVO_KEY must hold the key" in missing.stderr
    wrong = ready("remote", "pull", "bravo", env={"BRAVO_KEY": "ctx_000000000000_" + "0" * 64})
    assert wrong.exit_code == 5 and error_lines(wrong) == [
        "error: remote 'bravo' answered 401: a valid API key is required: 'Authorization: Bearer <key>'"
    ]
    unknown = ready("remote", "push", "nowhere")
    assert unknown.exit_code == 3 and "no remote named 'nowhere'" in unknown.stderr
