"""Administration of the coalition: organizations, users, API keys and sharing groups.

Coalition-wide changes (new organizations) are for admins of the operator organization. Each
organization's admins manage its own users and keys. Any organization's admin may create a sharing group
(it owns it) and add members to the groups it owns. Users and keys of other organizations are not
listed to anyone but the operator's admins: user names can be personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID, uuid4

from ctexchange.domain.members import ApiKey, Organization, OrgKind, Principal, SharingGroup, User
from ctexchange.domain.roles import Action, Role
from ctexchange.domain.text import clean_name
from ctexchange.errors import Conflict, Forbidden, InvalidInput, NotFound, StoreUnavailable
from ctexchange.service.access import require, require_coalition_admin, require_org_admin
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.service.keys import generate_key, hash_secret
from ctexchange.store.protocol import Store, UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class IssuedKey:
    """A key just created: the stored record and the full key text, which is shown only this once."""

    key: ApiKey
    text: str


@dataclass(frozen=True)
class Bootstrap:
    """What `ctx init` created: the operator organization, its first admin and that admin's key."""

    org: Organization
    admin: User
    key: IssuedKey


def _by_id_or_name(
    ref: str, by_id: Callable[[UUID], T | None], by_name: Callable[[str], T | None]
) -> T | None:
    try:
        return by_id(UUID(ref))
    except ValueError:
        return by_name(ref.strip())


def find_org(uow: UnitOfWork, ref: str) -> Organization:
    """Return the organization named by id or name; NotFound otherwise."""
    found = _by_id_or_name(ref, uow.members.org, uow.members.org_by_name)
    if found is None:
        raise NotFound.of("organization", ref, "org")
    return found


def find_user(uow: UnitOfWork, ref: str, field: str = "user") -> User:
    """Return the user named by id or name; NotFound otherwise."""
    found = _by_id_or_name(ref, uow.members.user, uow.members.user_by_name)
    if found is None:
        raise NotFound.of("user", ref, field)
    return found


def find_group(uow: UnitOfWork, ref: str) -> SharingGroup:
    """Return the sharing group named by id or name; NotFound otherwise."""
    found = _by_id_or_name(ref, uow.groups.group, uow.groups.group_by_name)
    if found is None:
        raise NotFound.of("sharing group", ref, "group")
    return found


class MemberService:
    """Organizations, users, keys and sharing groups."""

    def __init__(self, store: Store, clock: Clock, key_hash_cost: int) -> None:
        self.store = store
        self.clock = clock
        self.key_hash_cost = key_hash_cost

    def bootstrap(self, caller: Caller, org_name: str, admin_name: str) -> Bootstrap:
        """Create the operator organization, its admin user and key, in an empty store only."""
        with self.store.transaction() as uow:
            if uow.members.orgs():
                raise Conflict("the exchange is initialised already")
            org = Organization(
                uuid4(), clean_name(org_name, "org"), OrgKind.INTERGOVERNMENTAL, True, True, self.clock()
            )
            uow.members.add_org(org)
            boot = Principal(org.id, Role.ADMIN, None, caller.principal.name, True)
            boot_caller = Caller(boot, caller.request_id)
            record(
                uow,
                boot_caller,
                self.clock,
                "org.create",
                ("organization", org.id, org.id),
                {"name": org.name, "operator": True},
            )
            admin = self._add_user(uow, boot_caller, org, admin_name, Role.ADMIN)
            issued = self._issue_key(uow, boot_caller, admin, "initial admin key", None)
        return Bootstrap(org, admin, issued)

    def create_org(self, caller: Caller, name: str, kind: str = "other") -> Organization:
        """Create a member organization (operator admins only)."""
        require_coalition_admin(caller)
        kind_ = OrgKind.parse(kind, "kind")
        org = Organization(uuid4(), clean_name(name, "name"), kind_, False, True, self.clock())
        with self.store.transaction() as uow:
            uow.members.add_org(org)
            record(
                uow, caller, self.clock, "org.create", ("organization", org.id, org.id), {"name": org.name}
            )
        return org

    def orgs(self, caller: Caller) -> list[Organization]:
        """Return the member organizations (the membership of the coalition is known to its members)."""
        require(caller, Action.READ_MEMBERS)
        with self.store.snapshot() as uow:
            return uow.members.orgs()

    def org(self, caller: Caller, ref: str) -> Organization:
        """Return one member organization."""
        require(caller, Action.READ_MEMBERS)
        with self.store.snapshot() as uow:
            return find_org(uow, ref)

    def create_user(self, caller: Caller, org_ref: str | None, name: str, role: str) -> User:
        """Create a user in an organization (the caller's own unless an operator admin names another)."""
        parsed_role = Role.parse(role, "role")
        with self.store.transaction() as uow:
            org = self._target_org(uow, caller, org_ref)
            return self._add_user(uow, caller, org, name, parsed_role)

    def _target_org(self, uow: UnitOfWork, caller: Caller, org_ref: str | None) -> Organization:
        org = find_org(uow, org_ref) if org_ref else uow.members.org(caller.principal.org_id)
        if org is None:
            raise NotFound.of("organization", caller.principal.org_id, "org")
        require_org_admin(caller, org.id)
        return org

    def _add_user(self, uow: UnitOfWork, caller: Caller, org: Organization, name: str, role: Role) -> User:
        user = User(uuid4(), org.id, clean_name(name, "name"), role, True, self.clock())
        uow.members.add_user(user)
        record(uow, caller, self.clock, "user.create", ("user", user.id, org.id), {"role": role.value})
        return user

    def set_org_active(self, caller: Caller, org_ref: str, is_active: bool) -> Organization:
        """Deactivate (or reactivate) a member organization: every key of its users stops (or resumes)."""
        require_coalition_admin(caller)
        with self.store.transaction() as uow:
            org = find_org(uow, org_ref)
            if org.is_operator and not is_active:
                raise Conflict("the operator organization cannot be deactivated")
            uow.members.set_org_active(org.id, is_active)
            action = "org.activate" if is_active else "org.deactivate"
            record(uow, caller, self.clock, action, ("organization", org.id, org.id))
            return find_org(uow, str(org.id))

    def set_user_active(self, caller: Caller, user_ref: str, is_active: bool) -> User:
        """Deactivate (or reactivate) a user of an organization the caller administers."""
        with self.store.transaction() as uow:
            user = find_user(uow, user_ref)
            if user.org_id != caller.principal.org_id and not self._is_operator_admin(caller):
                raise NotFound.of("user", user_ref, "user")
            require_org_admin(caller, user.org_id)
            if user.id == caller.principal.user_id and not is_active:
                raise Conflict("you cannot deactivate yourself: ask another admin")
            uow.members.set_user_active(user.id, is_active)
            action = "user.activate" if is_active else "user.deactivate"
            record(uow, caller, self.clock, action, ("user", user.id, user.org_id))
            return find_user(uow, str(user.id))

    def users(self, caller: Caller, org_ref: str | None = None) -> list[User]:
        """Return the users of the caller's organization, or of any (or all) for operator admins."""
        require(caller, Action.READ_MEMBERS)
        with self.store.snapshot() as uow:
            if org_ref is None and self._is_operator_admin(caller):
                return uow.members.users(None)
            org = find_org(uow, org_ref) if org_ref else None
            org_id = caller.principal.org_id if org is None else org.id
            if org_id != caller.principal.org_id and not self._is_operator_admin(caller):
                raise Forbidden("users of other organizations are listed to operator admins only")
            return uow.members.users(org_id)

    @staticmethod
    def _is_operator_admin(caller: Caller) -> bool:
        return caller.principal.is_operator_org and caller.principal.role is Role.ADMIN

    def create_key(
        self, caller: Caller, user_ref: str, name: str, expires_at: datetime | None = None
    ) -> IssuedKey:
        """Create a key for a user; the returned text is the only time the secret is visible."""
        with self.store.transaction() as uow:
            user = find_user(uow, user_ref)
            require_org_admin(caller, user.org_id)
            if not user.is_active:
                raise InvalidInput(f"user '{user.name}' is deactivated", field="user")
            if expires_at is not None and expires_at.tzinfo is None:
                raise InvalidInput.expected("expires_at", "a time with a time zone", expires_at.isoformat())
            if expires_at is not None and expires_at <= self.clock():
                raise InvalidInput.expected("expires_at", "a time in the future", expires_at.isoformat())
            return self._issue_key(uow, caller, user, name, expires_at)

    def _issue_key(
        self, uow: UnitOfWork, caller: Caller, user: User, name: str, expires_at: datetime | None
    ) -> IssuedKey:
        new = generate_key()
        key = ApiKey(
            new.key_id,
            user.id,
            user.org_id,
            clean_name(name, "name"),
            hash_secret(new.secret, self.key_hash_cost),
            self.clock(),
            expires_at,
        )
        uow.members.add_key(key)
        record(
            uow,
            caller,
            self.clock,
            "key.create",
            ("api_key", key.key_id, user.org_id),
            {"user_id": str(user.id), "expires_at": None if expires_at is None else expires_at.isoformat()},
        )
        return IssuedKey(key, new.text)

    def keys(self, caller: Caller) -> list[ApiKey]:
        """Return the keys of the caller's organization (all keys for operator admins)."""
        require(caller, Action.MANAGE_MEMBERS)
        scope = None if self._is_operator_admin(caller) else caller.principal.org_id
        with self.store.snapshot() as uow:
            return uow.members.keys(scope)

    def revoke_key(self, caller: Caller, key_id: str) -> ApiKey:
        """Revoke a key at once; it can never be used again."""
        with self.store.transaction() as uow:
            key = uow.members.key(key_id.strip())
            if key is None or not (self._is_operator_admin(caller) or key.org_id == caller.principal.org_id):
                raise NotFound.of("API key", key_id, "key_id")
            require_org_admin(caller, key.org_id)
            uow.members.revoke_key(key.key_id, self.clock())
            record(uow, caller, self.clock, "key.revoke", ("api_key", key.key_id, key.org_id))
            revoked = uow.members.key(key.key_id)
        if revoked is None:
            raise NotFound.of("API key", key_id, "key_id")
        return revoked

    def create_group(self, caller: Caller, name: str, member_refs: list[str] | None = None) -> SharingGroup:
        """Create a sharing group owned by the caller's organization, which is always a member."""
        require(caller, Action.MANAGE_MEMBERS)
        with self.store.transaction() as uow:
            members = {caller.principal.org_id} | {find_org(uow, ref).id for ref in member_refs or []}
            group = SharingGroup(
                uuid4(), clean_name(name, "name"), caller.principal.org_id, self.clock(), frozenset(members)
            )
            uow.groups.add_group(group)
            record(
                uow,
                caller,
                self.clock,
                "group.create",
                ("sharing_group", group.id, group.owner_org_id),
                {"members": sorted(str(m) for m in members)},
            )
        return group

    def add_group_member(self, caller: Caller, group_ref: str, org_ref: str) -> SharingGroup:
        """Add an organization to a group the caller's organization owns (or any, for operator admins)."""
        return self._change_membership(caller, group_ref, org_ref, is_added=True)

    def remove_group_member(self, caller: Caller, group_ref: str, org_ref: str) -> SharingGroup:
        """Remove an organization from a group; its access through the group ends at its next request."""
        return self._change_membership(caller, group_ref, org_ref, is_added=False)

    def _change_membership(
        self, caller: Caller, group_ref: str, org_ref: str, is_added: bool
    ) -> SharingGroup:
        require(caller, Action.MANAGE_MEMBERS)
        with self.store.transaction() as uow:
            group = self._visible_group(uow, caller, group_ref)
            if group.owner_org_id != caller.principal.org_id and not self._is_operator_admin(caller):
                raise Forbidden("only the organization that owns a sharing group changes its members")
            org = find_org(uow, org_ref)
            if is_added:
                uow.groups.add_member(group.id, org.id, self.clock())
            elif org.id == group.owner_org_id:
                raise Conflict("the organization that owns a sharing group cannot leave it")
            elif not uow.groups.remove_member(group.id, org.id):
                raise NotFound(f"organization {org_ref} is not a member of this group", field="org")
            action = "group.add_member" if is_added else "group.remove_member"
            target = ("sharing_group", group.id, group.owner_org_id)
            record(uow, caller, self.clock, action, target, {"org_id": str(org.id)})
            return find_group(uow, str(group.id))

    def _visible_group(self, uow: UnitOfWork, caller: Caller, ref: str) -> SharingGroup:
        group = find_group(uow, ref)
        if caller.principal.org_id not in group.member_org_ids and not self._is_operator_admin(caller):
            raise NotFound.of("sharing group", ref, "group")
        return group

    def groups(self, caller: Caller) -> list[SharingGroup]:
        """Return the groups the caller's organization belongs to (every group for operator admins)."""
        require(caller, Action.READ_MEMBERS)
        with self.store.snapshot() as uow:
            every = uow.groups.groups()
        if self._is_operator_admin(caller):
            return every
        return [g for g in every if caller.principal.org_id in g.member_org_ids]

    def group(self, caller: Caller, ref: str) -> SharingGroup:
        """Return one group the caller's organization belongs to."""
        require(caller, Action.READ_MEMBERS)
        with self.store.snapshot() as uow:
            return self._visible_group(uow, caller, ref)

    def principal_for_key(self, uow: UnitOfWork, key: ApiKey) -> Principal | None:
        """Return the principal a usable key acts as, or None when its user or organization is inactive."""
        user = uow.members.user(key.user_id)
        org = uow.members.org(key.org_id)
        if user is None or org is None or not user.is_active or not org.is_active:
            return None
        return Principal(
            org.id, user.role, user.id, user.name, org.is_operator, uow.groups.groups_of(org.id), key.key_id
        )

    def operator_principal(self, name: str) -> Principal:
        """Return the principal of the local operator (CLI on the store's machine)."""
        with self.store.snapshot() as uow:
            operator = next((o for o in uow.members.orgs() if o.is_operator), None)
            if operator is None:
                raise StoreUnavailable("the exchange is not initialised: run 'ctx init'", field="home")
            return Principal(operator.id, Role.ADMIN, None, name, True, uow.groups.groups_of(operator.id))
