"""The state of one `ctx` invocation: its global options, its one Settings object, the operator session.

Settings are built once per invocation with `load_settings` (defaults < ctx.toml in the home < CTX_*
environment < flags), when the command has parsed its own flags (`serve --port`).

Commands that need an initialised exchange open it through `operator_session()`. For the default SQLite
store it first checks that the store file exists: opening a missing one would create an empty data
directory wherever a mistyped `--home` points, and then fail anyway. Both "no store" and "no operator
organization yet" are StoreUnavailable, telling to run `ctx init`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from ctexchange.errors import StoreUnavailable
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange, open_exchange
from ctexchange.settings import ENV_PREFIX, Settings, load_settings

SQLITE_PREFIX = "sqlite:///"


@dataclass
class Invocation:
    """The global options of this run and, once built, its settings."""

    home: str | None = None
    is_debug: bool = False
    settings: Settings | None = None

    def load(self, **flags: object) -> Settings:
        """Return the settings of this run, built on first use from the global options and `flags`."""
        if self.settings is None:
            self.settings = load_settings({"home": self.home, **flags})
        return self.settings

    @property
    def wants_traceback(self) -> bool:
        """True when errors should show their traceback (--debug or log level debug)."""
        if self.settings is not None:
            level = self.settings.log_level
        else:
            level = os.environ.get(f"{ENV_PREFIX}LOG_LEVEL", "")
        return self.is_debug or level.strip().lower() == "debug"


def invocation(ctx: typer.Context) -> Invocation:
    """Return the invocation a command runs in (kept on the root context by the global options)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Invocation):
        root.obj = Invocation()
    return root.obj


def sqlite_file(settings: Settings) -> Path | None:
    """Return the SQLite file the settings name, or None for another backend."""
    url = settings.store_url
    return Path(url.removeprefix(SQLITE_PREFIX)) if url.startswith(SQLITE_PREFIX) else None


def require_store(settings: Settings) -> None:
    """Raise StoreUnavailable when the SQLite store the settings name does not exist yet."""
    path = sqlite_file(settings)
    if path is not None and not path.is_file():
        raise StoreUnavailable(
            f"no exchange in '{settings.home}' (no store at '{path}'): run 'ctx init' first,"
            " or point --home / CTX_HOME at an existing data directory",
            field="home",
        )


def operator_of(exchange: Exchange) -> Caller:
    """Return the local operator (StoreUnavailable when the store has no operator organization yet)."""
    return exchange.operator()


@contextmanager
def operator_session(ctx: typer.Context) -> Iterator[tuple[Exchange, Caller]]:
    """Open the initialised exchange of this run and yield it with the local operator; close it after."""
    settings = invocation(ctx).load()
    require_store(settings)
    exchange = open_exchange(settings)
    try:
        yield exchange, operator_of(exchange)
    finally:
        exchange.close()
