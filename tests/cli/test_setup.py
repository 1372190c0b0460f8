"""`ctx init`, `ctx migrate`, `ctx serve` and `ctx config show`."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from ctexchange.domain.roles import Role
from tests.cli.conftest import Cli, clean_env, error_lines


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_the_store_and_an_owner_only_key_file(tmp_path: Path) -> None:
    """init creates the data directory (0700), the store and the admin key file (0600)."""
    home = tmp_path / "data"
    cli = Cli(home, clean_env(home))
    result = cli("init")
    assert result.exit_code == 0, result.output
    key_path = home / "admin.key"
    assert (home / "ctx.sqlite3").is_file()
    assert _mode(home) == 0o700
    assert _mode(key_path) == 0o600
    assert str(key_path) in result.stdout
    assert key_path.read_text("ascii").strip() not in result.output


def test_init_is_idempotent_and_keeps_the_key_file(ready: Cli) -> None:
    """A second init exits 0, says so and leaves the key file exactly as it was."""
    key_path = ready.home / "admin.key"
    before = key_path.read_bytes()
    result = ready("init")
    assert result.exit_code == 0, result.output
    assert f"already initialised; admin key file: {key_path}" in result.stdout
    assert key_path.read_bytes() == before
    assert len(ready.json("org", "list")) == 1


def test_init_key_authenticates_as_the_operator_admin(ready: Cli) -> None:
    """The key written by init is a working admin key of the operator organization."""
    text = (ready.home / "admin.key").read_text("ascii").strip()
    with ready.exchange() as exchange:
        caller = exchange.auth.authenticate(text, "t")
    assert caller.principal.role is Role.ADMIN
    assert caller.principal.is_operator_org
    assert caller.principal.name == "admin"


def test_init_json_and_custom_names(cli: Cli) -> None:
    """init --json reports what it did; --org and --admin name the operator organization and admin."""
    document = cli.json("init", "--org", "UN CTED", "--admin", "root")
    assert document == {
        "created": True,
        "home": str(cli.home),
        "admin_key_path": str(cli.home / "admin.key"),
        "un_list_loaded": 879,
    }
    [un_sc] = cli.json("collection", "list")
    assert (un_sc["name"], un_sc["default_marking"]) == ("UN-SC", "CLEAR")
    orgs = cli.json("org", "list")
    assert [(o["name"], o["is_operator"]) for o in orgs] == [("UN CTED", True)]
    assert [u["name"] for u in cli.json("user", "list")] == ["root"]
    assert cli.json("init") == {
        "created": False,
        "home": str(cli.home),
        "admin_key_path": str(cli.home / "admin.key"),
        "un_list_loaded": None,
    }


def test_init_refuses_a_stale_key_file_of_an_empty_store(cli: Cli) -> None:
    """init never writes over a key file: with one left from an old store it exits 4 and changes nothing."""
    stale = cli.home / "admin.key"
    stale.write_text("old key\n")
    result = cli("init")
    assert result.exit_code == 4
    assert "move the old key file away" in result.stderr
    assert stale.read_text() == "old key\n"
    stale.unlink()
    assert cli("init").exit_code == 0
    assert stale.read_text().startswith("ctx_")


def test_init_with_a_bad_name_leaves_no_key_file(cli: Cli) -> None:
    """A refused bootstrap (invalid organization name) exits 2 and removes the reserved key file."""
    result = cli("init", "--org", "a/b")
    assert result.exit_code == 2
    assert "'org'" in result.stderr
    assert not (cli.home / "admin.key").exists()
    assert cli("init").exit_code == 0


def test_migrate_applies_then_reports_nothing_pending(cli: Cli) -> None:
    """migrate on a new store applies the migrations; a second run has nothing to do."""
    first = cli("migrate")
    assert first.exit_code == 0, first.output
    assert "applied migrations 0001_initial" in first.stdout
    assert cli.json("migrate") == {"applied": []}
    assert "no pending migrations" in cli("migrate").stdout


def test_config_show_lists_every_setting(cli: Cli) -> None:
    """config show prints every effective setting, as a table and as JSON, without needing a store."""
    document = cli.json("config", "show")
    assert document["home"] == str(cli.home)
    assert document["port"] == 8000
    assert document["store_url"] == f"sqlite:///{cli.home / 'ctx.sqlite3'}"
    table = cli("config", "show")
    assert table.exit_code == 0
    for name in document:
        assert name in table.stdout
    assert not (cli.home / "ctx.sqlite3").exists()


@pytest.mark.parametrize(
    ("toml_port", "env_port", "flag_port", "expected"),
    [
        (None, None, None, 8000),
        ("8100", None, None, 8100),
        ("8100", "8200", None, 8200),
        ("8100", "8200", "8300", 8300),
        (None, None, "8300", 8300),
    ],
)
def test_config_show_precedence(
    cli: Cli, toml_port: str | None, env_port: str | None, flag_port: str | None, expected: int
) -> None:
    """Settings layer as default < ctx.toml in the home < CTX_* environment < flag."""
    if toml_port is not None:
        (cli.home / "ctx.toml").write_text(f"port = {toml_port}\n")
    flags = [] if flag_port is None else ["--port", flag_port]
    result = cli("config", "show", "--json", *flags, env={"CTX_PORT": env_port})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["port"] == expected


def test_config_show_home_flag_beats_the_environment(cli: Cli, tmp_path: Path) -> None:
    """--home wins over CTX_HOME, and the ctx.toml read is the one in that home."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "ctx.toml").write_text('log_level = "warning"\n')
    document = cli.json("--home", str(other), "config", "show")
    assert document["home"] == str(other)
    assert document["log_level"] == "warning"


def test_config_show_redacts_the_database_password(cli: Cli) -> None:
    """A password inside CTX_DATABASE_URL is shown as *** in the table and the JSON."""
    env = {"CTX_DATABASE_URL": "postgresql://ctx:s3cr3t-pw@db.internal:5432/ctx"}
    table = cli("config", "show", env=env)
    document = cli("config", "show", "--json", env=env)
    for result in (table, document):
        assert result.exit_code == 0, result.output
        assert "s3cr3t-pw" not in result.output
    parsed = json.loads(document.stdout)
    assert parsed["database_url"] == "postgresql://ctx:***@db.internal:5432/ctx"
    assert parsed["store_url"] == "postgresql://ctx:***@db.internal:5432/ctx"
    assert "ctx:***@db.internal" in table.stdout


def test_config_errors_are_one_line_exit_2(cli: Cli) -> None:
    """A secret in ctx.toml or a malformed CTX_ value is refused with one line and exit 2."""
    (cli.home / "ctx.toml").write_text('database_url = "sqlite:///x"\n')
    secret = cli("config", "show")
    assert secret.exit_code == 2
    assert len(error_lines(secret)) == 1
    assert "CTX_DATABASE_URL" in secret.stderr
    (cli.home / "ctx.toml").unlink()
    bad_port = cli("config", "show", env={"CTX_PORT": "eighty"})
    assert bad_port.exit_code == 2
    assert "'port' must be an integer" in bad_port.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(
    importlib.util.find_spec("ctexchange.api.app") is None,
    reason="ctexchange.api.app (create_app) is not written yet; serve has nothing to start",
)
def test_serve_initialises_and_answers_health(tmp_path: Path) -> None:
    """serve initialises the home and answers health on the --port flag's port (not env's or ctx.toml's)."""
    home = tmp_path / "data"
    home.mkdir()
    port = _free_port()
    (home / "ctx.toml").write_text(f"port = {_free_port()}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTX_")}
    env.update(CTX_HOME=str(home), CTX_KEY_HASH_COST="4", CTX_PORT=str(_free_port()))
    command = [sys.executable, "-m", "ctexchange", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # a liveness bound, not a timing: the first start imports the bundled UN list, slow on a busy machine
        status = _wait_for_health(server, f"http://127.0.0.1:{port}/v1/health", timeout_s=60.0)
    finally:
        server.terminate()
        try:
            stdout, stderr = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            stdout, stderr = server.communicate()
    assert status == 200, stderr
    assert f"http://127.0.0.1:{port}" in stdout
    assert str(home / "admin.key") in stdout
    assert "webhook deliveries: every 15 s" in stdout
    assert (home / "admin.key").is_file()


def _wait_for_health(server: subprocess.Popen[str], url: str, timeout_s: float) -> int | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and server.poll() is None:
        try:
            response = httpx2.get(url, timeout=1.0)
        except httpx2.TransportError:
            time.sleep(0.1)
            continue
        if response.status_code == 200:
            return 200
        time.sleep(0.1)
    return None
