"""`ctx org`, `ctx user`, `ctx key` and `ctx group`: administering the members of the coalition.

Choices (organization kind, role) are passed to the service as typed, which parses them and names the
field and the choices when one is wrong; the CLI keeps no second copy of those lists. JSON documents carry
ids; tables add names, so people need not look ids up. Key secrets are shown only by `key create`, once,
and hashes never.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag, iso, when
from ctexchange.cli.state import operator_session
from ctexchange.domain.members import ApiKey, Organization, OrgKind, SharingGroup, User
from ctexchange.domain.roles import Role
from ctexchange.errors import InvalidInput
from ctexchange.service.auth import ConsoleLogins, login_policy
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange

org_app = typer.Typer(help="Member organizations.", no_args_is_help=True)
user_app = typer.Typer(help="Users of member organizations.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
group_app = typer.Typer(help="Sharing groups (the audience of AMBER signals).", no_args_is_help=True)

KINDS = "|".join(k.value for k in OrgKind)
ROLES = "|".join(r.value for r in Role)
DEFAULT_KEY_NAME = "ctx key create"


def org_doc(org: Organization) -> dict[str, Any]:
    """Return an organization as JSON."""
    return {
        "id": str(org.id),
        "name": org.name,
        "kind": org.kind.value,
        "is_operator": org.is_operator,
        "is_active": org.is_active,
        "created_at": iso(org.created_at),
    }


def user_doc(user: User) -> dict[str, Any]:
    """Return a user as JSON."""
    return {
        "id": str(user.id),
        "org_id": str(user.org_id),
        "name": user.name,
        "role": user.role.value,
        "is_active": user.is_active,
        "created_at": iso(user.created_at),
    }


def key_doc(key: ApiKey) -> dict[str, Any]:
    """Return an API key's public record as JSON (never its secret or hash)."""
    return {
        "key_id": key.key_id,
        "name": key.name,
        "user_id": str(key.user_id),
        "org_id": str(key.org_id),
        "created_at": iso(key.created_at),
        "expires_at": iso(key.expires_at),
        "revoked_at": iso(key.revoked_at),
        "last_used_at": iso(key.last_used_at),
    }


def group_doc(group: SharingGroup) -> dict[str, Any]:
    """Return a sharing group as JSON."""
    return {
        "id": str(group.id),
        "name": group.name,
        "owner_org_id": str(group.owner_org_id),
        "member_org_ids": sorted(str(m) for m in group.member_org_ids),
        "created_at": iso(group.created_at),
    }


Activate = Callable[[Exchange, Caller, str, bool], Organization | User]
Render = Callable[[Any], dict[str, Any]]


def org_names(exchange: Exchange, caller: Caller) -> dict[UUID, str]:
    """Return the name of every organization by id, for tables."""
    return {org.id: org.name for org in exchange.members.orgs(caller)}


@org_app.command("add")
def org_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the organization.")],
    kind: Annotated[str, typer.Option("--kind", help=f"What it is: {KINDS}.")] = "other",
    as_json: JsonFlag = False,
) -> None:
    """Add a member organization."""
    with operator_session(ctx) as (exchange, caller):
        org = exchange.members.create_org(caller, name, kind)
    if as_json:
        output.emit_json(org_doc(org))
    else:
        output.say(f"created organization '{org.name}' ({org.kind.value}): {org.id}")


@org_app.command("list")
def org_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the member organizations."""
    with operator_session(ctx) as (exchange, caller):
        orgs = exchange.members.orgs(caller)
    if as_json:
        output.emit_json([org_doc(o) for o in orgs])
        return
    rows = (
        [o.id, o.name, o.kind.value, _yes(o.is_operator), _yes(o.is_active), when(o.created_at)] for o in orgs
    )
    output.print_table(["id", "name", "kind", "operator", "active", "created"], rows)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the user (unique in the exchange).")],
    org: Annotated[str, typer.Option("--org", help="Organization (name or id).")],
    role: Annotated[str, typer.Option("--role", help=f"Role: {ROLES}.")],
    as_json: JsonFlag = False,
) -> None:
    """Add a user to an organization."""
    with operator_session(ctx) as (exchange, caller):
        user = exchange.members.create_user(caller, org, name, role)
    if as_json:
        output.emit_json(user_doc(user))
    else:
        output.say(f"created user '{user.name}' ({user.role.value}) in '{org}': {user.id}")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option("--org", help="Only this organization (name or id).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List users, of every organization or of one."""
    with operator_session(ctx) as (exchange, caller):
        users = exchange.members.users(caller, org)
        names = org_names(exchange, caller)
    if as_json:
        output.emit_json([user_doc(u) for u in users])
        return
    rows = (
        [u.id, u.name, names.get(u.org_id), u.role.value, _yes(u.is_active), when(u.created_at)]
        for u in users
    )
    output.print_table(["id", "name", "organization", "role", "active", "created"], rows)


@user_app.command("passwd")
def user_passwd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user (name or id).")],
    password_env: Annotated[
        str | None,
        typer.Option("--password-env", help="Read the password from this environment variable (no prompt)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Set a user's password for the web console (prompted twice unless --password-env is given).

    The user's open console sessions end and a lockout is lifted.
    """
    password = _password_from(password_env)
    with operator_session(ctx) as (exchange, caller):
        logins = ConsoleLogins(exchange.store, exchange.clock, login_policy(exchange.settings))
        user = logins.set_password(caller, name, password)
    if as_json:
        output.emit_json({**user_doc(user), "password_set": True})
    else:
        output.say(f"console password set for user '{user.name}'; their open console sessions were ended")


def _password_from(variable: str | None) -> str:
    if variable is None:
        entered: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        return entered
    value = os.environ.get(variable)
    if value is None:
        raise InvalidInput(f"environment variable '{variable}' is not set", field="password_env")
    return value


def _activation(app: typer.Typer, noun: str, change: Activate, render: Render, stops: str) -> None:
    """Register `deactivate` and `activate` on `app` for one kind of member (organization or user)."""

    def run(ctx: typer.Context, ref: str, is_active: bool, as_json: bool) -> None:
        with operator_session(ctx) as (exchange, caller):
            changed = change(exchange, caller, ref, is_active)
        if as_json:
            output.emit_json(render(changed))
        else:
            output.say(f"{noun} '{changed.name}' is {'active' if is_active else 'deactivated: ' + stops}")

    # A default-value Argument, not Annotated: the annotations of these local functions are strings
    # (PEP 563) that Typer resolves in the module's namespace, where a local alias would not exist.
    ref_help = f"The {noun} (name or id)."
    article = "an" if noun[0] in "aeiou" else "a"

    @app.command("deactivate", help=f"Deactivate {article} {noun}: {stops}, at once.")
    def deactivate(
        ctx: typer.Context, ref: str = typer.Argument(metavar="REF", help=ref_help), as_json: JsonFlag = False
    ) -> None:
        run(ctx, ref, False, as_json)

    @app.command("activate", help=f"Reactivate {article} {noun}.")
    def activate(
        ctx: typer.Context, ref: str = typer.Argument(metavar="REF", help=ref_help), as_json: JsonFlag = False
    ) -> None:
        run(ctx, ref, True, as_json)


_activation(
    org_app,
    "organization",
    lambda ex, c, ref, on: ex.members.set_org_active(c, ref, on),
    org_doc,
    "every key of its users stops working",
)
_activation(
    user_app,
    "user",
    lambda ex, c, ref, on: ex.members.set_user_active(c, ref, on),
    user_doc,
    "every key of the user stops working",
)


@key_app.command("create")
def key_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="User the key acts as (name or id).")],
    name: Annotated[str, typer.Option("--name", help="Label to recognise the key by.")] = DEFAULT_KEY_NAME,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", help="Days until the key expires (default: never).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API key; its text is printed once and cannot be shown again."""
    if expires_days is not None and expires_days < 1:
        raise InvalidInput.expected("expires_days", "a whole number of days, at least 1", expires_days)
    with operator_session(ctx) as (exchange, caller):
        expires_at = None if expires_days is None else exchange.clock() + timedelta(days=expires_days)
        issued = exchange.members.create_key(caller, user, name, expires_at)
    key = issued.key
    output.note(f"warning: key {key.key_id} is shown only this once and cannot be recovered: store it now")
    if as_json:
        document = {"key_id": key.key_id, "key": issued.text, "user_id": str(key.user_id)}
        output.emit_json({**document, "org_id": str(key.org_id), "expires_at": iso(key.expires_at)})
    else:
        output.say(issued.text)


@key_app.command("list")
def key_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List API keys (ids, owners and dates; never secrets)."""
    with operator_session(ctx) as (exchange, caller):
        keys = exchange.members.keys(caller)
        users = {u.id: u.name for u in exchange.members.users(caller)}
        names = org_names(exchange, caller)
    if as_json:
        output.emit_json([key_doc(k) for k in keys])
        return
    columns = ["key id", "name", "user", "organization", "created", "expires", "revoked", "last used"]
    output.print_table(columns, (_key_row(k, users, names) for k in keys))


def _key_row(key: ApiKey, users: dict[UUID, str], orgs: dict[UUID, str]) -> list[object]:
    times = [key.created_at, key.expires_at, key.revoked_at, key.last_used_at]
    return [key.key_id, key.name, users.get(key.user_id), orgs.get(key.org_id), *map(when, times)]


@key_app.command("revoke")
def key_revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key id (the 12 hex digits after 'ctx_').")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key at once; it can never be used again."""
    with operator_session(ctx) as (exchange, caller):
        key = exchange.members.revoke_key(caller, key_id)
    if as_json:
        output.emit_json(key_doc(key))
    else:
        output.say(f"revoked key {key.key_id} at {when(key.revoked_at)}")


@group_app.command("create")
def group_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the sharing group.")],
    member: Annotated[
        list[str] | None, typer.Option("--member", help="Member organization (repeat for more).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a sharing group owned by the operator organization (always a member)."""
    with operator_session(ctx) as (exchange, caller):
        group = exchange.members.create_group(caller, name, member or [])
        names = org_names(exchange, caller)
    _show_group(group, names, as_json, "created")


@group_app.command("add-member")
def group_add_member(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="Sharing group (name or id).")],
    org: Annotated[str, typer.Argument(help="Organization to add (name or id).")],
    as_json: JsonFlag = False,
) -> None:
    """Add an organization to a sharing group."""
    with operator_session(ctx) as (exchange, caller):
        updated = exchange.members.add_group_member(caller, group, org)
        names = org_names(exchange, caller)
    _show_group(updated, names, as_json, "updated")


@group_app.command("remove-member")
def group_remove_member(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="Sharing group (name or id).")],
    org: Annotated[str, typer.Argument(help="Organization to remove (name or id).")],
    as_json: JsonFlag = False,
) -> None:
    """Remove an organization from a sharing group: it stops seeing the group's AMBER signals."""
    with operator_session(ctx) as (exchange, caller):
        updated = exchange.members.remove_group_member(caller, group, org)
        names = org_names(exchange, caller)
    _show_group(updated, names, as_json, "updated")


@group_app.command("list")
def group_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List sharing groups and their members."""
    with operator_session(ctx) as (exchange, caller):
        groups = exchange.members.groups(caller)
        names = org_names(exchange, caller)
    if as_json:
        output.emit_json([group_doc(g) for g in groups])
        return
    rows = ([g.id, g.name, names.get(g.owner_org_id), _members(g, names), when(g.created_at)] for g in groups)
    output.print_table(["id", "name", "owner", "members", "created"], rows)


def _show_group(group: SharingGroup, names: dict[UUID, str], as_json: bool, verb: str) -> None:
    if as_json:
        output.emit_json(group_doc(group))
    else:
        output.say(f"{verb} sharing group '{group.name}': {group.id}; members: {_members(group, names)}")


def _members(group: SharingGroup, names: dict[UUID, str]) -> str:
    return ", ".join(sorted(names.get(m, str(m)) for m in group.member_org_ids))


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
