"""Settings: defaults < ctx.toml < CTX_* environment < flags; secrets stay out of files and output."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ctexchange.errors import InvalidInput
from ctexchange.settings import SETTINGS, Settings, load_settings, redacted


def test_defaults_match_the_table() -> None:
    """The Settings dataclass and the declarative table name the same settings and defaults."""
    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert fields == {s.name: s.default for s in SETTINGS}


def test_precedence(tmp_path: Path) -> None:
    """Each layer overrides the one below it."""
    (tmp_path / "ctx.toml").write_text("port = 8100\npage_size_max = 100\nlog_level = 'debug'\n")
    env = {"CTX_HOME": str(tmp_path), "CTX_PORT": "8200", "CTX_PAGE_SIZE_MAX": "200"}
    got = load_settings({"port": 8300}, env)
    assert (got.port, got.page_size_max, got.log_level, got.host) == (8300, 200, "debug", "127.0.0.1")
    assert load_settings({}, env).port == 8200
    assert load_settings({}, {"CTX_HOME": str(tmp_path)}).port == 8100


def test_default_store_is_sqlite_in_home(tmp_path: Path) -> None:
    """Without CTX_DATABASE_URL the store is ctx.sqlite3 in the data directory."""
    got = load_settings({"home": str(tmp_path)}, {})
    assert got.store_url == f"sqlite:///{tmp_path / 'ctx.sqlite3'}"


def test_secret_refused_in_toml(tmp_path: Path) -> None:
    """A database URL in ctx.toml is refused: secrets come from the environment."""
    (tmp_path / "ctx.toml").write_text("database_url = 'postgresql://u:p@h/db'\n")
    with pytest.raises(InvalidInput, match="CTX_DATABASE_URL"):
        load_settings({"home": str(tmp_path)}, {})


@pytest.mark.parametrize(
    ("content", "field"), [("port = 'eighty'\n", "port"), ("colour = 1\n", "ctx.toml: colour")]
)
def test_bad_values_name_the_setting(tmp_path: Path, content: str, field: str) -> None:
    """A wrong type or an unknown key names the setting."""
    (tmp_path / "ctx.toml").write_text(content)
    with pytest.raises(InvalidInput) as info:
        load_settings({"home": str(tmp_path)}, {})
    assert info.value.field == field


def test_redaction() -> None:
    """Passwords in database URLs never appear in `config show`."""
    shown = redacted(Settings(database_url="postgresql://ctx:hunter2@db.internal/ctx"))
    assert "hunter2" not in str(shown)
    assert shown["database_url"] == "postgresql://ctx:***@db.internal/ctx"
