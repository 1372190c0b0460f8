"""Setting an exchange up and running it: `ctx init`, `ctx migrate`, `ctx serve`, `ctx config show`.

`init` is idempotent and is also what `serve` runs first. The admin key is written exactly once:
- whether the store is initialised is checked first, and an initialised store only reports where the key
  file is;
- otherwise the key file is reserved with O_CREAT|O_EXCL and mode 0600 *before* the bootstrap commits, so
  a stale key file from an earlier store refuses the run (Conflict) instead of losing the new key, and a
  key is never written over another;
- if the bootstrap fails (or another process won the race), the reserved empty file is removed.

Migrations go through the service (`open_exchange(..., migrate=True)`, `migrate_store`): adapters do not
import the store.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from uuid import uuid4

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag
from ctexchange.cli.state import invocation
from ctexchange.domain.members import Principal
from ctexchange.domain.roles import Role
from ctexchange.errors import Conflict, StoreUnavailable
from ctexchange.service import heap
from ctexchange.service.auth import ConsoleLogins, login_policy
from ctexchange.service.context import Caller, local_actor_name, new_request_id
from ctexchange.service.exchange import Exchange, migrate_store, open_exchange
from ctexchange.service.imports import ImportReport
from ctexchange.settings import SETTINGS, Settings, redacted

DEFAULT_ORG = "coalition"
DEFAULT_ADMIN = "admin"
HOME_MODE = 0o700
KEY_FILE_MODE = 0o600

config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)

HostFlag = Annotated[str | None, typer.Option("--host", help="Address to listen on (CTX_HOST).")]
PortFlag = Annotated[int | None, typer.Option("--port", help="Port to listen on (CTX_PORT).")]


@dataclass(frozen=True)
class Initialised:
    """The outcome of `initialise`: whether this run created the exchange, and where its key file is."""

    is_new: bool
    key_path: Path
    un_list: ImportReport | None = None


def initialise(settings: Settings, org_name: str, admin_name: str, with_un_list: bool = True) -> Initialised:
    """Create the data directory, apply pending migrations and bootstrap the operator if needed.

    A new exchange also gets the bundled UN Consolidated List in collection UN-SC (unless told not to).
    """
    make_home(settings)
    exchange = open_exchange(settings, migrate=True)
    try:
        is_new = _bootstrap(exchange, org_name, admin_name)
        loaded = (
            exchange.imports.import_bundled_un_list(exchange.operator()) if is_new and with_un_list else None
        )
    finally:
        exchange.close()
    return Initialised(is_new, settings.admin_key_path, loaded)


def make_home(settings: Settings) -> None:
    """Create the data directory, readable by its owner only, unless it exists."""
    settings.home_path.mkdir(mode=HOME_MODE, parents=True, exist_ok=True)


def _is_initialised(exchange: Exchange) -> bool:
    try:
        exchange.operator()
    except StoreUnavailable:
        return False
    return True


def _reserve_key_file(path: Path) -> int:
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:
        raise Conflict(
            f"'{path}' exists but the store has no operator organization yet:"
            " move the old key file away, then run 'ctx init' again",
            field="home",
        ) from None


def _discard(descriptor: int, path: Path) -> None:
    os.close(descriptor)
    path.unlink(missing_ok=True)


def _bootstrap(exchange: Exchange, org_name: str, admin_name: str) -> bool:
    """Bootstrap an empty store and write its admin key; return False when it was initialised already."""
    if _is_initialised(exchange):
        return False
    path = exchange.settings.admin_key_path
    descriptor = _reserve_key_file(path)
    boot = Caller(Principal(uuid4(), Role.ADMIN, None, local_actor_name()), new_request_id())
    try:
        created = exchange.members.bootstrap(boot, org_name, admin_name)
    except Conflict:  # another `ctx init` bootstrapped the store meanwhile
        _discard(descriptor, path)
        return False
    except BaseException:
        _discard(descriptor, path)
        raise
    with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
        key_file.write(created.key.text + "\n")
        key_file.flush()
        os.fsync(key_file.fileno())
    return True


def init(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="Name of the operator organization.")] = DEFAULT_ORG,
    admin: Annotated[str, typer.Option("--admin", help="Name of the first admin user.")] = DEFAULT_ADMIN,
    without_un_list: Annotated[
        bool, typer.Option("--without-un-list", help="Do not load the bundled UN list into UN-SC.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create the store, the operator organization, its admin and the admin key file, and load the
    bundled UN Consolidated List into collection UN-SC (idempotent: an initialised store is left as is)."""
    settings = invocation(ctx).load()
    done = initialise(settings, org, admin, with_un_list=not without_un_list)
    if as_json:  # scripts set console passwords with `ctx user passwd NAME --password-env VAR`
        output.emit_json(
            {
                "created": done.is_new,
                "home": settings.home,
                "admin_key_path": str(done.key_path),
                "un_list_loaded": None if done.un_list is None else done.un_list.added,
            }
        )
        return
    password = _first_console_password(settings, admin) if done.is_new else None
    if done.is_new:
        output.say(f"initialised the exchange in '{settings.home}': organization '{org}', admin '{admin}'")
        output.say(f"admin key written to {done.key_path} (readable by you only; it is not shown again)")
        if done.un_list is not None:
            output.say(
                f"loaded the bundled UN Consolidated List into '{done.un_list.collection}':"
                f" {done.un_list.added} entries (list of {done.un_list.generated_at})"
            )
    else:
        missing = "" if done.key_path.exists() else " (no longer there: it was moved or deleted)"
        output.say(f"already initialised; admin key file: {done.key_path}{missing}")
    console = _url(settings.host, settings.port) + "/"
    if password is not None:
        output.say(
            f"web console: {console} - log in as '{admin}' with the one-time password {password}"
            f" (shown only now; choose your own with 'ctx user passwd {admin}')"
        )
    else:
        output.say(f"web console: {console} - set a user's password with 'ctx user passwd NAME'")


def _first_console_password(settings: Settings, admin: str) -> str:
    """Give the first admin a random console password and return it (printed once by `init`)."""
    password = secrets.token_urlsafe(max(12, settings.console_password_min_chars))
    exchange = open_exchange(settings)
    try:
        logins = ConsoleLogins(exchange.store, exchange.clock, login_policy(settings))
        logins.set_password(exchange.operator(), admin, password)
    finally:
        exchange.close()
    return password


def migrate(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Apply pending schema migrations and name them."""
    settings = invocation(ctx).load()
    make_home(settings)
    applied = list(migrate_store(settings))
    if as_json:
        output.emit_json({"applied": applied})
    elif applied:
        output.say(f"applied migrations {', '.join(applied)}: the store schema is up to date")
    else:
        output.say("no pending migrations: the store schema is up to date")


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(ctx: typer.Context, host: HostFlag = None, port: PortFlag = None) -> None:
    """Initialise if needed, then serve the HTTP API (one process, no reload) and deliver webhooks every
    `webhook_deliver_every_s` seconds (0: not at all) until interrupted."""
    import uvicorn

    from ctexchange.api.app import create_app  # imported here: the CLI works without the API loaded

    settings = invocation(ctx).load(host=host, port=port)
    done = initialise(settings, DEFAULT_ORG, DEFAULT_ADMIN)
    app = create_app(settings)
    base = _url(settings.host, settings.port)
    output.say(f"serving the exchange at {base}")
    output.say(f"web console: {base}/ (passwords: 'ctx user passwd NAME')")
    output.say(f"API docs: {base}{app.docs_url or app.openapi_url}")
    output.say(f"admin key file: {done.key_path}")
    every = settings.webhook_deliver_every_s
    output.say(
        f"webhook deliveries: every {every} s"
        if every
        else "webhook deliveries: off (run 'ctx webhook deliver')"
    )
    # uvicorn's own access log prints raw paths and query strings (search text, names being screened):
    # the API's structured `request.done` line, which logs route templates only, replaces it.
    with heap.tuned():  # a long-running process holding the screening index: see `service.heap`
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=False,
            workers=1,
            reload=False,
        )


@config_app.command("show")
def show(ctx: typer.Context, as_json: JsonFlag = False, host: HostFlag = None, port: PortFlag = None) -> None:
    """Print every effective setting (secrets redacted); --host/--port preview `ctx serve`'s flags."""
    values = redacted(invocation(ctx).load(host=host, port=port))
    if as_json:
        output.emit_json(values)
        return
    helps = {s.name: s.help for s in SETTINGS}
    helps["store_url"] = "The store in use: database_url, or ctx.sqlite3 in the data directory."
    output.print_table(["setting", "value", "meaning"], ([k, v, helps.get(k, "")] for k, v in values.items()))
