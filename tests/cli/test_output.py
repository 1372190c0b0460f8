"""Rendering: the exit code table, one-line error messages, tables that keep ids whole."""

from __future__ import annotations

import pytest

from ctexchange.cli.output import error_message, exit_code_of, print_table, report_error
from ctexchange.errors import (
    Conflict,
    CtxError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PayloadTooLarge,
    StoreUnavailable,
    Unauthenticated,
)

LONG_ID = "0b5f0e4c-1f0e-4a8e-9a43-8e1c3f9b2d11"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInput("x"), 2),
        (PayloadTooLarge("x"), 2),
        (NotFound("x"), 3),
        (Conflict("x"), 4),
        (InvalidTransition("x"), 4),
        (Unauthenticated(), 5),
        (Forbidden("x"), 5),
        (StoreUnavailable("x"), 6),
        (CtxError("x"), 1),
        (RuntimeError("x"), 1),
        (KeyError("x"), 1),
    ],
)
def test_exit_code_table(error: BaseException, code: int) -> None:
    """Each error class maps to its documented exit code; anything else is 1."""
    assert exit_code_of(error) == code


def test_error_message_is_one_line() -> None:
    """A message with line breaks is shown on one line."""
    assert error_message(InvalidInput("bad\nvalue\n  here")) == "bad value here"


def test_unexpected_error_message_hides_the_text() -> None:
    """The text of an unexpected error (which may quote data) is not shown."""
    message = error_message(ValueError("passport 123456"))
    assert "123456" not in message
    assert "ValueError" in message


def test_os_error_names_the_file() -> None:
    """A file-system error names the file and the reason."""
    error = PermissionError(13, "Permission denied", "/srv/ctx-data")
    assert error_message(error) == "Permission denied: '/srv/ctx-data'"


def test_report_error_writes_one_line_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """report_error writes `error: <message>` on stderr only and returns the exit code."""
    code = report_error(NotFound.of("organization", "X"), wants_traceback=False)
    captured = capsys.readouterr()
    assert code == 3
    assert captured.err == "error: organization X not found\n"
    assert captured.out == ""


def test_table_keeps_ids_whole_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """Off a terminal, a wide table is printed at full width: ids and long cells are not folded."""
    description = "a long description " * 8
    print_table(["id", "name", "description"], [[LONG_ID, "bank", description]])
    out = capsys.readouterr().out
    assert LONG_ID in out
    assert description.strip() in out


def test_table_cells_are_not_markup(capsys: pytest.CaptureFixture[str]) -> None:
    """Names that look like Rich markup are printed as typed."""
    print_table(["name"], [["[bold]Org[/bold]"], [None]])
    out = capsys.readouterr().out
    assert "[bold]Org[/bold]" in out
    assert "-" in out
