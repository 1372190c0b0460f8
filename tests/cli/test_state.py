"""The invocation: settings once per run, and refusing to work on a store that `ctx init` has not made."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctexchange.cli.state import Invocation, require_store, sqlite_file
from ctexchange.errors import StoreUnavailable
from ctexchange.settings import Settings
from tests.cli.conftest import Cli, error_lines


def test_command_before_init_exits_6_and_creates_nothing(tmp_path: Path) -> None:
    """A command on a home without a store exits 6 telling to run ctx init, and creates no file."""
    home = tmp_path / "typo"
    cli = Cli(home, {"CTX_HOME": str(home), "CTX_KEY_HASH_COST": "4", "CTX_DATABASE_URL": None})
    result = cli("org", "list")
    assert result.exit_code == 6
    [line] = error_lines(result)
    assert "run 'ctx init'" in line
    assert not home.exists()


def test_command_after_migrate_but_before_init_exits_6(cli: Cli) -> None:
    """A migrated store without an operator organization is not initialised: exit 6, run ctx init."""
    assert cli("migrate").exit_code == 0
    result = cli("collection", "list")
    assert result.exit_code == 6
    assert "ctx init" in result.stderr


def test_settings_are_built_once_per_invocation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """load() builds the settings from the global options once and returns the same object after."""
    monkeypatch.delenv("CTX_PORT", raising=False)
    run = Invocation(home=str(tmp_path))
    first = run.load(port=9001)
    assert first.home == str(tmp_path)
    assert first.port == 9001
    assert run.load(port=9002) is first


def test_sqlite_file_and_require_store(tmp_path: Path) -> None:
    """The SQLite file is found from the settings and must exist; another backend is not checked on disk."""
    settings = Settings(home=str(tmp_path))
    assert sqlite_file(settings) == tmp_path / "ctx.sqlite3"
    with pytest.raises(StoreUnavailable, match="run 'ctx init'"):
        require_store(settings)
    postgres = Settings(home=str(tmp_path), database_url="postgresql://ctx@db/ctx")
    assert sqlite_file(postgres) is None
    require_store(postgres)
