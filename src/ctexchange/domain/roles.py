"""Roles and what each may do.

Roles gate *actions*; markings gate *objects*. A role that lacks an action gets Forbidden (403), because
the action, not the object, is refused. Whether an object is visible is decided by the marking rules in
`ctexchange.domain.access`, and an invisible object is NotFound (404).

Decisions:
- Auditors read everything an ordinary member of their organization may read, plus the audit log, and
  change nothing. Admins do not read the audit log: oversight is separated from administration.
- `service` keys are machines in a platform's upload pipeline: they add to their own banks and match, but
  cannot browse signals.
- Coalition-wide administration (creating organizations, managing any organization's members) belongs to
  admins of the operator organization, the one created by `ctx init`; `MANAGE_COALITION` is checked
  together with that membership. Any admin may create sharing groups, which its organization then owns.
"""

from __future__ import annotations

from enum import StrEnum

from ctexchange.domain.choices import Choice


class Role(Choice):
    """The role of a user (and so of every key of that user)."""

    ADMIN = "admin"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    SERVICE = "service"


class Action(StrEnum):
    """Something a caller may be allowed to do."""

    READ_SIGNALS = "signals.read"
    WRITE_SIGNALS = "signals.write"
    CHANGE_STATUS = "signals.status"
    GIVE_OPINION = "signals.opinion"
    EXPORT_SIGNALS = "signals.export"
    READ_COLLECTIONS = "collections.read"
    WRITE_COLLECTIONS = "collections.write"
    READ_MEMBERS = "members.read"
    MANAGE_MEMBERS = "members.write"
    MANAGE_COALITION = "coalition.write"
    READ_AUDIT = "audit.read"
    MATCH = "content.match"
    SCREEN = "entities.screen"
    IMPORT_LISTS = "entities.import"
    READ_REQUESTS = "requests.read"
    WRITE_REQUESTS = "requests.write"
    READ_ALERTS = "alerts.read"
    WRITE_ALERTS = "alerts.write"
    READ_CASES = "cases.read"
    DECIDE_CASES = "cases.decide"
    FILE_CASES = "cases.file"
    MANAGE_WEBHOOKS = "webhooks.manage"


_READER = frozenset(
    {
        Action.READ_SIGNALS,
        Action.READ_COLLECTIONS,
        Action.READ_MEMBERS,
        Action.READ_REQUESTS,
        Action.READ_ALERTS,
        Action.READ_CASES,
    }
)

GRANTS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: _READER
    | {
        Action.WRITE_SIGNALS,
        Action.CHANGE_STATUS,
        Action.GIVE_OPINION,
        Action.EXPORT_SIGNALS,
        Action.WRITE_COLLECTIONS,
        Action.MANAGE_MEMBERS,
        Action.MANAGE_COALITION,
        Action.MATCH,
        Action.SCREEN,
        Action.IMPORT_LISTS,
        Action.WRITE_REQUESTS,
        Action.WRITE_ALERTS,
        Action.DECIDE_CASES,
        Action.FILE_CASES,
        Action.MANAGE_WEBHOOKS,
    },
    Role.ANALYST: _READER
    | {
        Action.WRITE_SIGNALS,
        Action.CHANGE_STATUS,
        Action.GIVE_OPINION,
        Action.EXPORT_SIGNALS,
        Action.WRITE_COLLECTIONS,
        Action.MATCH,
        Action.SCREEN,
        Action.IMPORT_LISTS,
        Action.WRITE_REQUESTS,
        Action.WRITE_ALERTS,
        Action.DECIDE_CASES,
        Action.FILE_CASES,
    },
    Role.REVIEWER: _READER
    | {Action.CHANGE_STATUS, Action.GIVE_OPINION, Action.MATCH, Action.SCREEN}
    | {Action.DECIDE_CASES, Action.FILE_CASES},
    Role.AUDITOR: _READER | {Action.READ_AUDIT},
    Role.SERVICE: frozenset({Action.READ_COLLECTIONS, Action.WRITE_SIGNALS, Action.MATCH, Action.SCREEN})
    | {Action.READ_CASES, Action.FILE_CASES},
}


def is_allowed(role: Role, action: Action) -> bool:
    """Return True when `role` grants `action`."""
    return action in GRANTS[role]
