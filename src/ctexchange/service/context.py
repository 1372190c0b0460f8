"""Who is calling and in which request, and the clock the services read."""

from __future__ import annotations

import getpass
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ctexchange.domain.members import Principal

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, aware and in UTC."""
    return datetime.now(UTC)


def new_request_id() -> str:
    """Return a fresh request id (16 hex digits)."""
    return secrets.token_hex(8)


def local_actor_name() -> str:
    """Return the audit name of a person acting through the CLI on this machine."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@dataclass(frozen=True)
class Caller:
    """A principal acting in one request; `request_id` ties audit events to logs."""

    principal: Principal
    request_id: str
