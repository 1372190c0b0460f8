"""Settings: one declarative table, one immutable object per entry point.

Precedence, lowest first: the defaults in `SETTINGS` < `ctx.toml` in the data directory < `CTX_*`
environment variables < command-line flags. The data directory itself comes from `--home` or `CTX_HOME`
(default `./ctx-data`), since the TOML file lives inside it. Secrets (marked `secret`) are read from the
environment or flags only, never from the TOML file, and are redacted by `ctx config show`.
`tests/test_docs.py` fails when a setting here is missing from docs/configuration.md.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ctexchange.errors import InvalidInput

CONFIG_FILE = "ctx.toml"
ENV_PREFIX = "CTX_"
MIN_KEY_COST = 1  # tests only; production keeps the default
MAX_KEY_COST = 20  # 2**20 * 8 * 128 bytes = 1 GiB per check: beyond that is a mistake


def _parse_int(raw: object, field: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidInput.expected(field, "an integer", raw)
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput.expected(field, "an integer", raw) from None
    if value < 0:
        raise InvalidInput.expected(field, "a non-negative integer", raw)
    return value


def _parse_cost(raw: object, field: str) -> int:
    value = _parse_int(raw, field)
    if not MIN_KEY_COST <= value <= MAX_KEY_COST:
        raise InvalidInput.expected(field, f"an integer from {MIN_KEY_COST} to {MAX_KEY_COST}", raw)
    return value


def _parse_str(raw: object, field: str) -> str:
    if not isinstance(raw, str):
        raise InvalidInput.expected(field, "a string", raw)
    return raw


def _parse_level(raw: object, field: str) -> str:
    levels = ("debug", "info", "warning", "error")
    if not isinstance(raw, str) or raw.lower() not in levels:
        raise InvalidInput.expected(field, f"one of {', '.join(levels)}", raw)
    return raw.lower()


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, parser, help text and whether it is a secret."""

    name: str
    default: Any
    parse: Callable[[object, str], Any]
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "./ctx-data", _parse_str, "Data directory: the SQLite store, admin key, indexes."),
    Setting(
        "database_url",
        "",
        _parse_str,
        "Store URL: sqlite:///PATH or postgresql://USER@HOST/DB. Empty: ctx.sqlite3 in the data directory.",
        secret=True,
    ),
    Setting("host", "127.0.0.1", _parse_str, "Address `ctx serve` listens on."),
    Setting("port", 8000, _parse_int, "Port `ctx serve` listens on."),
    Setting("max_body_bytes", 1_048_576, _parse_int, "Largest accepted HTTP request body, in bytes."),
    Setting(
        "max_upload_bytes",
        209_715_200,
        _parse_int,
        "Largest accepted file upload (hash, match, add a file), in bytes.",
    ),
    Setting(
        "dispute_threshold",
        2,
        _parse_int,
        "Organizations (other than the owner) whose disagreement makes an active signal disputed.",
    ),
    Setting(
        "flood_hits_per_hour",
        100,
        _parse_int,
        "Sightings of one signal by one organization in an hour above which its cases are quarantined.",
    ),
    Setting("page_size_default", 50, _parse_int, "Items per page when a list request names no limit."),
    Setting("page_size_max", 500, _parse_int, "Largest page a list request may ask for."),
    Setting("key_hash_cost", 14, _parse_cost, "log2 of the scrypt cost for new API key hashes (N)."),
    Setting(
        "log_level", "info", _parse_level, "Least severe log level written: debug, info, warning, error."
    ),
    # The analyst console (docs/console.md): sessions, lockout, passwords.
    Setting(
        "console_session_idle_minutes", 30, _parse_int, "Console session ends after this many idle minutes."
    ),
    Setting("console_session_hours", 12, _parse_int, "Console session ends this many hours after login."),
    Setting("console_lockout_attempts", 5, _parse_int, "Consecutive failed console logins that lock a user."),
    Setting("console_lockout_minutes", 15, _parse_int, "How long a console lockout lasts, in minutes."),
    Setting("console_password_min_chars", 12, _parse_int, "Shortest console password accepted."),
    # Coalition workflows: the webhook delivery worker that `ctx serve` runs (docs/webhooks.md).
    Setting(
        "webhook_deliver_every_s",
        15,
        _parse_int,
        "Seconds between runs of the webhook delivery worker inside `ctx serve`; 0 turns it off.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The effective settings of one entry point."""

    home: str = "./ctx-data"
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 209_715_200
    dispute_threshold: int = 2
    flood_hits_per_hour: int = 100
    page_size_default: int = 50
    page_size_max: int = 500
    key_hash_cost: int = 14
    log_level: str = "info"
    # The analyst console (docs/console.md).
    console_session_idle_minutes: int = 30
    console_session_hours: int = 12
    console_lockout_attempts: int = 5
    console_lockout_minutes: int = 15
    console_password_min_chars: int = 12
    # Coalition workflows: the webhook delivery worker that `ctx serve` runs (docs/webhooks.md).
    webhook_deliver_every_s: int = 15

    @property
    def home_path(self) -> Path:
        """The data directory as a path."""
        return Path(self.home)

    @property
    def store_url(self) -> str:
        """The database URL, defaulting to the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.home_path / 'ctx.sqlite3'}"

    @property
    def admin_key_path(self) -> Path:
        """Where `ctx init` writes the first admin key (readable by the owner only)."""
        return self.home_path / "admin.key"


def _from_toml(home: Path) -> dict[str, Any]:
    path = home / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"'{path}' must be valid UTF-8 TOML ({exc})", field=CONFIG_FILE) from None
    known = {s.name: s for s in SETTINGS}
    for key in data:
        if key not in known or key == "home":
            raise InvalidInput.expected(f"{CONFIG_FILE}: {key}", f"one of {', '.join(sorted(known))}", key)
        if known[key].secret:
            raise InvalidInput(
                f"'{key}' is a secret: set it in the environment as {ENV_PREFIX}{key.upper()},"
                f" not in {CONFIG_FILE}",
                field=key,
            )
    return data


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {s.name: env[ENV_PREFIX + s.name.upper()] for s in SETTINGS if ENV_PREFIX + s.name.upper() in env}


def load_settings(flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Return the effective settings; flags whose value is None are treated as not given."""
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = dict(os.environ if env is None else env)
    layers_env = _from_env(environ)
    home = str(given.get("home") or layers_env.get("home") or "./ctx-data")
    merged: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    merged.update(_from_toml(Path(home)))
    merged.update(layers_env)
    merged.update(given)
    merged["home"] = home
    table = {s.name: s for s in SETTINGS}
    values = {name: table[name].parse(raw, name) for name, raw in merged.items()}
    return Settings(**values)


_URL_PASSWORD = re.compile(r"(://[^:/@]+:)([^@]+)(@)")


def redacted(settings: Settings) -> dict[str, Any]:
    """Return every setting by name, with passwords in secret values replaced by '***'."""
    table = {s.name: s for s in SETTINGS}
    shown: dict[str, Any] = {}
    for item in fields(settings):
        value = getattr(settings, item.name)
        if table[item.name].secret and isinstance(value, str):
            value = _URL_PASSWORD.sub(r"\1***\3", value)
            if "password=" in value:
                value = re.sub(r"password=[^&\s]+", "password=***", value)
        shown[item.name] = value
    shown["store_url"] = _URL_PASSWORD.sub(r"\1***\3", settings.store_url)
    return shown
