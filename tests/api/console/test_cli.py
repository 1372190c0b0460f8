"""`ctx user passwd` and the login line of `ctx init`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ctexchange.api.app import create_app
from tests.api.console.conftest import log_in
from tests.cli.conftest import Cli, clean_env, error_lines


@pytest.fixture
def ready(tmp_path: Path) -> Cli:
    """`ctx` over a data directory that `ctx init` has initialised (without the bundled UN list)."""
    cli = Cli(tmp_path, clean_env(tmp_path))
    result = cli("init", "--without-un-list")
    assert result.exit_code == 0, result.output
    return cli


def test_init_prints_a_one_time_admin_password_that_logs_in(tmp_path: Path) -> None:
    """A new exchange's init prints the console address and a password the admin can log in with."""
    cli = Cli(tmp_path, clean_env(tmp_path))
    result = cli("init", "--without-un-list")
    assert result.exit_code == 0, result.output
    found = re.search(
        r"web console: (\S+) - log in as 'admin' with the one-time password (\S+) ", result.stdout
    )
    assert found is not None, result.stdout
    assert found.group(1) == "http://127.0.0.1:8000/"
    with cli.exchange() as exchange, TestClient(create_app(exchange.settings, exchange)) as client:
        assert "<h1>Dashboard</h1>" in log_in(client, "admin", found.group(2)).text
    again = cli("init")
    assert "ctx user passwd NAME" in again.stdout and found.group(2) not in again.stdout


def test_passwd_from_the_environment(ready: Cli) -> None:
    """`--password-env` reads the password from a variable; the user can then log in."""
    assert ready("user", "add", "rania", "--org", "coalition", "--role", "analyst").exit_code == 0
    result = ready(
        "user", "passwd", "rania", "--password-env", "NEW_PW", env={"NEW_PW": "مرحبا كلمة سر طويلة"}
    )
    assert result.exit_code == 0, result.output
    with ready.exchange() as exchange, TestClient(create_app(exchange.settings, exchange)) as client:
        assert log_in(client, "rania", "مرحبا كلمة سر طويلة").status_code == 200


def test_passwd_prompts_twice(ready: Cli) -> None:
    """Without `--password-env` the password is prompted and confirmed."""
    from typer.testing import CliRunner

    from ctexchange.cli.main import app

    typed = "a prompted password\na prompted password\n"
    result = CliRunner().invoke(app, ["user", "passwd", "admin"], input=typed, env=ready.env)
    assert result.exit_code == 0, result.output
    assert "console password set for user 'admin'" in result.stdout


def test_passwd_refuses_short_passwords_and_unset_variables(ready: Cli) -> None:
    """A short password and a missing variable are refused with the field named."""
    short = ready("user", "passwd", "admin", "--password-env", "PW", env={"PW": "short"})
    assert short.exit_code != 0 and "'password' must be at least 12 characters" in "\n".join(
        error_lines(short)
    )
    unset = ready("user", "passwd", "admin", "--password-env", "NOT_SET_ANYWHERE")
    assert unset.exit_code != 0 and "NOT_SET_ANYWHERE" in "\n".join(error_lines(unset))
