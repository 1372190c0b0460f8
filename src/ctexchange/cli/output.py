"""Rendering for `ctx`: tables for people, JSON for scripts, one line and an exit code per error.

Decisions:
- `--json` prints exactly one JSON document on stdout (a list for list commands) and nothing else; notes
  and warnings go to stderr so that `ctx ... --json | jq` always parses.
- Ids are never shortened: people and scripts copy them. When stdout is not a terminal, tables are as
  wide as they need to be instead of folding ids at 80 columns.
- Every error is one line, `error: <message>`, and the exit code comes from `EXIT_CODES` alone. Errors
  that are not `CtxError`s get a generic message (their text may quote data) and a traceback only when
  asked for with `--debug` or `CTX_LOG_LEVEL=debug`.
- Plain text goes through `typer.echo`, not Rich, so names containing `[brackets]` are never read as
  Rich markup.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ctexchange.errors import (
    Conflict,
    CtxError,
    Forbidden,
    InvalidInput,
    NotFound,
    StoreUnavailable,
    Unauthenticated,
)

EXIT_CODES: tuple[tuple[type[CtxError], int], ...] = (
    (InvalidInput, 2),  # PayloadTooLarge is an InvalidInput
    (NotFound, 3),
    (Conflict, 4),  # InvalidTransition is a Conflict
    (Unauthenticated, 5),
    (Forbidden, 5),
    (StoreUnavailable, 6),
)
"""Exit code per error class; anything else exits 1. Scripts rely on these numbers."""

UNEXPECTED_EXIT = 1
UNBOUNDED_WIDTH = 10_000

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (a list for lists) and nothing else.")
]


def exit_code_of(exc: BaseException) -> int:
    """Return the exit code for an error: from `EXIT_CODES`, else 1."""
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return UNEXPECTED_EXIT


def error_message(exc: BaseException) -> str:
    """Return the one-line message shown for an error; unexpected errors get a generic one."""
    if isinstance(exc, CtxError):
        message = exc.message
    elif isinstance(exc, OSError) and exc.filename is not None:
        message = f"{exc.strerror or 'cannot use'}: '{exc.filename}'"
    else:
        message = f"unexpected {type(exc).__name__}; run again with --debug to see the traceback"
    return " ".join(message.split())


def report_error(exc: BaseException, *, wants_traceback: bool) -> int:
    """Write the error (and its traceback when asked) to stderr; return the exit code."""
    if wants_traceback:
        traceback.print_exception(exc, file=sys.stderr)
    typer.echo(f"error: {error_message(exc)}", err=True)
    return exit_code_of(exc)


def say(text: str) -> None:
    """Print a line for people on stdout."""
    typer.echo(text)


def note(text: str) -> None:
    """Print a line for people on stderr (kept out of stdout, which scripts read)."""
    typer.echo(text, err=True)


def emit_json(document: Any, compact: bool = False) -> None:
    """Print one JSON document on stdout: indented, or on one line (`compact`, for JSON lines)."""
    typer.echo(json.dumps(document, indent=None if compact else 2, ensure_ascii=False))


def iso(moment: datetime | None) -> str | None:
    """Return a time as ISO 8601 for JSON, or None."""
    return None if moment is None else moment.isoformat()


def when(moment: datetime | None) -> str:
    """Return a time for a table cell (UTC, to the second), or '-'."""
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%SZ")


def print_table(columns: Sequence[str], rows: Iterable[Sequence[object]], title: str | None = None) -> None:
    """Print a Rich table on stdout; cells are plain text (never markup); id columns never wrap."""
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name, no_wrap=name == "id" or name.endswith(" id"), overflow="fold")
    for row in rows:
        table.add_row(*(Text("-" if cell is None else str(cell)) for cell in row))
    console = Console(highlight=False)
    if not console.is_terminal:
        needed = console.measure(table, options=console.options.update_width(UNBOUNDED_WIDTH)).maximum
        console = Console(highlight=False, width=max(console.width, needed))
    console.print(table)
