"""The `ctx` application: help, version, `python -m ctexchange`, and how errors end a run."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ctexchange.service.members import MemberService
from tests.cli.conftest import Cli, error_lines

COMMANDS = (
    "init",
    "migrate",
    "serve",
    "config",
    "org",
    "user",
    "key",
    "group",
    "collection",
    "audit",
    "import",
    "screen",
    "screen-batch",
)


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTX_")}
    env.update(CTX_HOME=str(home), CTX_KEY_HASH_COST="4")
    command = [sys.executable, "-m", "ctexchange", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_help_lists_every_command(cli: Cli) -> None:
    """ctx --help names every command and command group."""
    result = cli("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_version(cli: Cli) -> None:
    """ctx --version prints the package version."""
    from ctexchange import __version__

    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ctx {__version__}"


def test_python_m_ctexchange_help(tmp_path: Path) -> None:
    """`python -m ctexchange --help` runs the ctx command in a real process."""
    result = _run("--help", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "collection" in result.stdout
    assert "Usage: ctx" in result.stdout


def test_init_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    """`python -m ctexchange init` creates a private home and key file; a second process reads the store."""
    home = tmp_path / "data"
    first = _run("init", home=home)
    assert first.returncode == 0, first.stderr
    key_path = home / "admin.key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert str(key_path) in first.stdout
    assert "loaded the bundled UN Consolidated List into 'UN-SC': 879 entries" in first.stdout
    again = _run("init", home=home)
    assert again.returncode == 0, again.stderr
    assert "already initialised" in again.stdout
    orgs = _run("org", "list", "--json", home=home)
    assert orgs.returncode == 0, orgs.stderr
    assert [o["name"] for o in json.loads(orgs.stdout)] == ["coalition"]


def test_known_error_in_a_subprocess_is_one_line_without_traceback(tmp_path: Path) -> None:
    """A command before init, in a real process: exit 6, one stderr line telling to run ctx init."""
    result = _run("org", "list", home=tmp_path)
    assert result.returncode == 6
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "ctx init" in lines[0]
    assert "Traceback" not in result.stderr


def _explode(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("internal detail: alice@example.org")


def test_unexpected_error_is_generic_exit_1(ready: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error that is not a CtxError exits 1 with a generic line: no traceback, no detail."""
    monkeypatch.setattr(MemberService, "orgs", _explode)
    result = ready("org", "list")
    assert result.exit_code == 1
    assert error_lines(result) == [
        "error: unexpected RuntimeError; run again with --debug to see the traceback"
    ]
    assert "alice@example.org" not in result.output


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--debug", "org", "list"], {}), (["org", "list"], {"CTX_LOG_LEVEL": "debug"})],
    ids=["flag", "env"],
)
def test_debug_shows_the_traceback(
    ready: Cli, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str]
) -> None:
    """--debug or CTX_LOG_LEVEL=debug adds the traceback before the error line."""
    monkeypatch.setattr(MemberService, "orgs", _explode)
    result = ready(*args, env=env)
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "internal detail" in result.stderr
    assert error_lines(result)[-1].startswith("error: unexpected RuntimeError")


def test_unknown_command_is_a_usage_error(cli: Cli) -> None:
    """An unknown command exits 2 (click's usage error), distinct from a broken audit chain (1)."""
    result = cli("frobnicate")
    assert result.exit_code == 2
    assert result.stdout == ""
