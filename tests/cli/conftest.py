"""Fixtures for the `ctx` tests: the command run in-process over a temporary data directory.

Every run gets `CTX_HOME=<tmp>` and a low scrypt cost (`CTX_KEY_HASH_COST=4`), and any other `CTX_*`
variable of the developer's shell is removed so that it cannot leak into a test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ctexchange.cli.main import app
from ctexchange.service.exchange import Exchange, open_exchange
from ctexchange.settings import Settings

TEST_KEY_COST = 4


def clean_env(home: Path) -> dict[str, str | None]:
    """Return environment overrides: no inherited CTX_* variable, this home, a cheap key hash."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("CTX_")}
    env.update({"CTX_HOME": str(home), "CTX_KEY_HASH_COST": str(TEST_KEY_COST)})
    return env


@dataclass
class Cli:
    """Runs `ctx` in-process against one data directory."""

    home: Path
    env: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
        """Run `ctx ARGS...`; return the result (exit code, stdout, stderr)."""
        return CliRunner().invoke(app, list(args), env={**self.env, **(env or {})})

    def json(self, *args: str) -> Any:
        """Run `ctx ARGS... --json`, check it succeeded, and return the parsed document."""
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    @property
    def settings(self) -> Settings:
        """The settings the runs see (without a ctx.toml)."""
        return Settings(home=str(self.home), key_hash_cost=TEST_KEY_COST)

    @contextmanager
    def exchange(self) -> Iterator[Exchange]:
        """Open the exchange the runs work on, directly through the service."""
        opened = open_exchange(self.settings)
        try:
            yield opened
        finally:
            opened.close()


def error_lines(result: Result) -> list[str]:
    """Return the non-empty lines the run wrote on stderr."""
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """`ctx` over an empty, not yet initialised data directory."""
    return Cli(tmp_path, clean_env(tmp_path))


@pytest.fixture
def ready(cli: Cli) -> Cli:
    """`ctx` over a data directory that `ctx init` has initialised (without the bundled UN list)."""
    result = cli("init", "--without-un-list")
    assert result.exit_code == 0, result.output
    return cli
