"""The console's navigation: one entry per page, in the order shown.

An entry names its path, the catalog key of its label and the action a role needs to see it (None: every
signed-in user). Hiding an entry is a courtesy; the page itself still goes through the service, which
refuses what the role may not do. Adding a page adds one line here (docs/console.md, "Adding a page").
"""

from __future__ import annotations

from dataclasses import dataclass

from ctexchange.domain.roles import Action


@dataclass(frozen=True)
class NavEntry:
    """One link of the navigation."""

    key: str
    path: str
    label: str
    action: Action | None = None


NAV: tuple[NavEntry, ...] = (
    NavEntry("dashboard", "/", "nav.dashboard"),
    NavEntry("screening", "/screening", "nav.screening", Action.SCREEN),
    NavEntry("content", "/content", "nav.content", Action.MATCH),
    NavEntry("cases", "/cases", "nav.cases", Action.READ_CASES),
    NavEntry("requests", "/requests", "nav.requests", Action.READ_REQUESTS),
    NavEntry("alerts", "/alerts", "nav.alerts", Action.READ_ALERTS),
    NavEntry("signals", "/signals", "nav.signals", Action.READ_SIGNALS),
    NavEntry("collections", "/collections", "nav.collections", Action.READ_COLLECTIONS),
    NavEntry("admin", "/admin", "nav.admin", Action.MANAGE_MEMBERS),
    NavEntry("audit", "/audit", "nav.audit", Action.READ_AUDIT),
    NavEntry("reports", "/reports", "nav.reports", Action.READ_AUDIT),  # auditors ...
    NavEntry("reports", "/reports", "nav.reports", Action.MANAGE_MEMBERS),  # ... and admins (none has both)
)
