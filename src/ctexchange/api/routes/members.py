"""Members of the exchange: who am I, organizations, users, API keys and sharing groups.

Who may do what is the service's business (`ctexchange.service.members`): coalition-wide changes are for
admins of the operator organization, each organization's admins manage its own users and keys.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import (
    GroupIn,
    GroupMemberIn,
    GroupOut,
    ItemList,
    KeyCreatedOut,
    KeyIn,
    KeyOut,
    OrgIn,
    OrgOut,
    UserIn,
    UserOut,
    WhoAmIOut,
)

router = APIRouter(prefix="/v1", tags=["members"])

READ = error_responses(401, 403, 503)
READ_ONE = error_responses(401, 403, 404, 422, 503)
WRITE = error_responses(401, 403, 404, 409, 413, 422, 503)


@router.get("/whoami", summary="Who the key acts as", responses=READ)
def whoami(caller: CallerDep) -> WhoAmIOut:
    """Return the organization, user, name and role the presented API key acts as."""
    return WhoAmIOut.of(caller.principal)


@router.post("/orgs", status_code=201, summary="Create an organization", responses=WRITE)
def create_org(body: OrgIn, caller: CallerDep, exchange: ExchangeDep) -> OrgOut:
    """Add a member organization to the coalition. Admins of the operator organization only."""
    return OrgOut.of(exchange.members.create_org(caller, body.name, body.kind))


@router.get("/orgs", summary="List organizations", responses=READ)
def list_orgs(caller: CallerDep, exchange: ExchangeDep) -> ItemList[OrgOut]:
    """Return every member organization: the membership of the coalition is known to its members."""
    return ItemList(items=[OrgOut.of(o) for o in exchange.members.orgs(caller)])


@router.get("/orgs/{ref}", summary="Read an organization", responses=READ_ONE)
def get_org(ref: str, caller: CallerDep, exchange: ExchangeDep) -> OrgOut:
    """Return one organization by id or name."""
    return OrgOut.of(exchange.members.org(caller, ref))


Activation = Literal["activate", "deactivate"]


@router.post("/orgs/{ref}/{action}", summary="Deactivate or reactivate an organization", responses=WRITE)
def set_org_active(ref: str, action: Activation, caller: CallerDep, exchange: ExchangeDep) -> OrgOut:
    """`deactivate` stops every key of the organization's users at once; `activate` lets them work
    again. Admins of the operator organization only; the operator organization cannot be deactivated."""
    return OrgOut.of(exchange.members.set_org_active(caller, ref, action == "activate"))


@router.post("/users", status_code=201, summary="Create a user", responses=WRITE)
def create_user(body: UserIn, caller: CallerDep, exchange: ExchangeDep) -> UserOut:
    """Add a user to the caller's organization, or to the one named (operator admins)."""
    return UserOut.of(exchange.members.create_user(caller, body.org, body.name, body.role))


@router.get("/users", summary="List users", responses=READ_ONE)
def list_users(
    caller: CallerDep,
    exchange: ExchangeDep,
    org: Annotated[str | None, Query(description="Organization id or name.")] = None,
) -> ItemList[UserOut]:
    """Return the users of the caller's organization; operator admins may name another, or see all."""
    return ItemList(items=[UserOut.of(u) for u in exchange.members.users(caller, org)])


@router.post("/users/{ref}/{action}", summary="Deactivate or reactivate a user", responses=WRITE)
def set_user_active(ref: str, action: Activation, caller: CallerDep, exchange: ExchangeDep) -> UserOut:
    """`deactivate` stops every key of the user at once; `activate` lets them work again. Admins of the
    user's organization, or of the operator organization; nobody deactivates themselves."""
    return UserOut.of(exchange.members.set_user_active(caller, ref, action == "activate"))


@router.post("/keys", status_code=201, summary="Create an API key", responses=WRITE)
def create_key(body: KeyIn, caller: CallerDep, exchange: ExchangeDep, response: Response) -> KeyCreatedOut:
    """Issue a key for a user. The response holds the full key text: the only time it is ever shown."""
    response.headers["Cache-Control"] = "no-store"
    return KeyCreatedOut.issued(exchange.members.create_key(caller, body.user, body.name, body.expires_at))


@router.get("/keys", summary="List API keys", responses=READ)
def list_keys(caller: CallerDep, exchange: ExchangeDep) -> ItemList[KeyOut]:
    """Return the key records of the caller's organization (all for operator admins), never secrets."""
    return ItemList(items=[KeyOut.of(k) for k in exchange.members.keys(caller)])


@router.post("/keys/{key_id}/revoke", summary="Revoke an API key", responses=READ_ONE)
def revoke_key(key_id: str, caller: CallerDep, exchange: ExchangeDep) -> KeyOut:
    """Revoke a key at once; it can never be used again. Returns the key record."""
    return KeyOut.of(exchange.members.revoke_key(caller, key_id))


@router.post("/groups", status_code=201, summary="Create a sharing group", responses=WRITE)
def create_group(body: GroupIn, caller: CallerDep, exchange: ExchangeDep) -> GroupOut:
    """Create a sharing group owned by the caller's organization, which is always one of its members."""
    return GroupOut.of(exchange.members.create_group(caller, body.name, body.members))


@router.get("/groups", summary="List sharing groups", responses=READ)
def list_groups(caller: CallerDep, exchange: ExchangeDep) -> ItemList[GroupOut]:
    """Return the groups the caller's organization belongs to (every group for operator admins)."""
    return ItemList(items=[GroupOut.of(g) for g in exchange.members.groups(caller)])


@router.get("/groups/{ref}", summary="Read a sharing group", responses=READ_ONE)
def get_group(ref: str, caller: CallerDep, exchange: ExchangeDep) -> GroupOut:
    """Return one group, by id or name, that the caller's organization belongs to."""
    return GroupOut.of(exchange.members.group(caller, ref))


@router.post("/groups/{ref}/members", summary="Add an organization to a group", responses=WRITE)
def add_group_member(ref: str, body: GroupMemberIn, caller: CallerDep, exchange: ExchangeDep) -> GroupOut:
    """Add an organization to a group the caller's organization owns (any group, for operator admins)."""
    return GroupOut.of(exchange.members.add_group_member(caller, ref, body.org))


@router.delete("/groups/{ref}/members/{org}", summary="Remove an organization from a group", responses=WRITE)
def remove_group_member(ref: str, org: str, caller: CallerDep, exchange: ExchangeDep) -> GroupOut:
    """Remove an organization from a group the caller's organization owns; it stops seeing the group's
    AMBER signals from its next request. The owner cannot leave its own group."""
    return GroupOut.of(exchange.members.remove_group_member(caller, ref, org))
