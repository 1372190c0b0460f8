"""Administration: organizations, users (with console passwords), API keys, sharing groups, list imports.

Each section is a page under `/admin/...` whose forms post back to it; the page then shows the outcome
(a new key's text appears once, as with `POST /v1/keys`). Every action is the `MemberService` or
`ImportService` call the API and the CLI make, as the signed-in admin, so the same rules hold: an
organization's admins manage their own users, keys and groups; coalition-wide changes (organizations,
other organizations' users) are for the operator's admins. A refused value shows its message on the
page (422, 409); an object the admin may not see is the console's 404 page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.web import (
    ConsoleRouter,
    CsrfDep,
    ExchangeDep,
    SignedInDep,
    logins_of,
    render,
)
from ctexchange.domain.members import OrgKind
from ctexchange.domain.queries import SignalQuery
from ctexchange.domain.roles import Action, Role
from ctexchange.domain.signals import Family, SignalStatus
from ctexchange.errors import Conflict, InvalidInput, NotFound
from ctexchange.service.access import require
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange
from ctexchange.service.imports import ImportReport, ListFormat

router = ConsoleRouter()
SECTIONS = ("orgs", "users", "keys", "groups", "imports")
MAX_NAME = 200


def _base(exchange: Exchange, session: SignedIn) -> dict[str, Any]:
    caller = session.caller
    principal = caller.principal
    return {
        "sections": SECTIONS,
        "is_operator_admin": principal.is_operator_org and principal.role is Role.ADMIN,
        "org_names": {o.id: o.name for o in exchange.members.orgs(caller)},
        "roles": [r.value for r in Role],
        "kinds": [k.value for k in OrgKind],
    }


def _section(exchange: Exchange, session: SignedIn, section: str) -> dict[str, Any]:
    """Gather what one section shows, through the services, as the signed-in admin."""
    caller = session.caller
    require(caller, Action.MANAGE_MEMBERS)
    context = _base(exchange, session)
    if section == "orgs":
        context["orgs"] = exchange.members.orgs(caller)
    elif section == "users":
        context["users"] = exchange.members.users(caller)
    elif section == "keys":
        context["keys"] = exchange.members.keys(caller)
        context["user_names"] = {u.id: u.name for u in exchange.members.users(caller)}
        context["users"] = [u for u in exchange.members.users(caller) if u.is_active]
    elif section == "groups":
        context["groups"] = exchange.members.groups(caller)
    elif section == "imports":
        context["lists"] = _entity_collections(exchange, session)
        context["formats"] = [f.value for f in ListFormat]
    return context


def _entity_collections(exchange: Exchange, session: SignedIn) -> list[dict[str, Any]]:
    """The organization's collections of designated entities with their active and delisted counts."""
    caller = session.caller
    rows = []
    for coll in exchange.collections.list(caller):
        if coll.org_id != caller.principal.org_id:
            continue
        base = SignalQuery(collection_id=coll.id, family=Family.ENTITY)
        total = exchange.signals.count(caller, base)
        if not total:
            continue
        delisted = exchange.signals.count(
            caller, SignalQuery(coll.id, family=Family.ENTITY, status=SignalStatus.DELISTED)
        )
        rows.append({"collection": coll, "total": total, "delisted": delisted})
    return rows


async def _page(
    request: Request,
    exchange: Exchange,
    session: SignedIn,
    section: str,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = await run_in_threadpool(_section, exchange, session, section)
    context.update({"section": section, "notice": None, "error": None, **(extra or {})})
    page = f"/admin/{section}"
    return render(request, f"admin/{section}.html", context, status_code, session, page_path=page)


async def _act(
    request: Request, exchange: Exchange, session: SignedIn, section: str, action: Any
) -> Response:
    """Run an admin action; show the section with its outcome (or the refused value's message)."""
    try:
        outcome = await run_in_threadpool(action)
    except (InvalidInput, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return await _page(request, exchange, session, section, {"error": exc}, status)
    return await _page(request, exchange, session, section, outcome)


@router.get("/admin")
async def admin_home(request: Request, session: SignedInDep, exchange: ExchangeDep) -> Response:
    """The organizations section (the first of the administration pages)."""
    return await _page(request, exchange, session, "orgs")


@router.get("/admin/{section}")
async def admin_section(
    request: Request, session: SignedInDep, exchange: ExchangeDep, section: str
) -> Response:
    """One section of the administration pages."""
    if section not in SECTIONS:
        raise NotFound.of("page", section, "section")
    return await _page(request, exchange, session, section)


Text = Annotated[str, Form(max_length=MAX_NAME)]


@router.post("/admin/orgs")
async def create_org(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    name: Text,
    kind: Text = "other",
) -> Response:
    """Create a member organization (operator admins)."""

    def act() -> dict[str, Any]:
        org = exchange.members.create_org(session.caller, name, kind)
        return {"notice": ("admin.orgs.created", {"name": org.name})}

    return await _act(request, exchange, session, "orgs", act)


@router.post("/admin/orgs/{ref}/active")
async def set_org_active(
    request: Request, session: SignedInDep, exchange: ExchangeDep, _: CsrfDep, ref: str, active: Text
) -> Response:
    """Deactivate or reactivate an organization (operator admins)."""

    def act() -> dict[str, Any]:
        org = exchange.members.set_org_active(session.caller, ref, active == "true")
        key = "admin.activated" if org.is_active else "admin.deactivated"
        return {"notice": (key, {"name": org.name})}

    return await _act(request, exchange, session, "orgs", act)


@router.post("/admin/users")
async def create_user(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    name: Text,
    role: Text,
    org: Text = "",
) -> Response:
    """Create a user in the admin's organization (or, for operator admins, the one named)."""

    def act() -> dict[str, Any]:
        user = exchange.members.create_user(session.caller, org or None, name, role)
        return {"notice": ("admin.users.created", {"name": user.name})}

    return await _act(request, exchange, session, "users", act)


@router.post("/admin/users/{ref}/active")
async def set_user_active(
    request: Request, session: SignedInDep, exchange: ExchangeDep, _: CsrfDep, ref: str, active: Text
) -> Response:
    """Deactivate or reactivate a user: their keys and console sessions stop at once."""

    def act() -> dict[str, Any]:
        user = exchange.members.set_user_active(session.caller, ref, active == "true")
        key = "admin.activated" if user.is_active else "admin.deactivated"
        return {"notice": (key, {"name": user.name})}

    return await _act(request, exchange, session, "users", act)


@router.post("/admin/users/{ref}/password")
async def set_password(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    ref: str,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Set a user's console password (their open sessions end)."""
    logins = logins_of(request, exchange)

    def act() -> dict[str, Any]:
        user = logins.set_password(session.caller, ref, password)
        return {"notice": ("admin.users.password_set", {"name": user.name})}

    return await _act(request, exchange, session, "users", act)


@router.post("/admin/keys")
async def create_key(
    request: Request, session: SignedInDep, exchange: ExchangeDep, _: CsrfDep, user: Text, name: Text
) -> Response:
    """Create an API key for a user; its text is shown on this one page."""

    def act() -> dict[str, Any]:
        issued = exchange.members.create_key(session.caller, user, name)
        return {"notice": ("admin.keys.created", {"key_id": issued.key.key_id}), "new_key": issued.text}

    return await _act(request, exchange, session, "keys", act)


@router.post("/admin/keys/{key_id}/revoke")
async def revoke_key(
    request: Request, session: SignedInDep, exchange: ExchangeDep, _: CsrfDep, key_id: str
) -> Response:
    """Revoke an API key at once."""

    def act() -> dict[str, Any]:
        key = exchange.members.revoke_key(session.caller, key_id)
        return {"notice": ("admin.keys.revoked", {"key_id": key.key_id})}

    return await _act(request, exchange, session, "keys", act)


@router.post("/admin/groups")
async def create_group(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    name: Text,
    members: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create a sharing group owned by the admin's organization."""

    def act() -> dict[str, Any]:
        group = exchange.members.create_group(session.caller, name, members or [])
        return {"notice": ("admin.groups.created", {"name": group.name})}

    return await _act(request, exchange, session, "groups", act)


@router.post("/admin/groups/{ref}/members")
async def change_group(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    ref: str,
    org: Text,
    change: Text = "add",
) -> Response:
    """Add an organization to a group, or remove it."""

    def act() -> dict[str, Any]:
        if change == "remove":
            group = exchange.members.remove_group_member(session.caller, ref, org)
        else:
            group = exchange.members.add_group_member(session.caller, ref, org)
        return {"notice": ("admin.groups.changed", {"name": group.name})}

    return await _act(request, exchange, session, "groups", act)


@router.post("/admin/imports")
async def import_list(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    format: Text = ListFormat.UN_LIST.value,
    collection: Text = "",
    bundled: Text = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import a list file (or the bundled UN list): added, changed, delisted and relisted counts."""
    data = b"" if file is None else await file.read()

    def act() -> dict[str, Any]:
        report = _import(exchange, session, format, collection, bundled == "true", data)
        return {"report": report}

    return await _act(request, exchange, session, "imports", act)


def _import(
    exchange: Exchange, session: SignedIn, fmt: str, collection: str, is_bundled: bool, data: bytes
) -> ImportReport:
    if is_bundled:
        return exchange.imports.import_bundled_un_list(session.caller, collection or None)
    try:
        parsed = ListFormat(fmt)
    except ValueError:
        raise InvalidInput.expected(
            "format", f"one of {', '.join(f.value for f in ListFormat)}", fmt
        ) from None
    if not data:
        raise InvalidInput.expected("file", "a list file", "nothing")
    return exchange.imports.import_list(session.caller, parsed, data, collection or None)
