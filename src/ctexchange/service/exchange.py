"""The exchange: every service wired to one store, one kind registry, one clock and one settings object.

Adapters build one `Exchange` per process with `open_exchange(settings)` and pass callers to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ctexchange.domain.kinds import KindRegistry
from ctexchange.engines import default_kinds
from ctexchange.service.alerts import AlertService
from ctexchange.service.audit import AuditService
from ctexchange.service.auth import Authenticator
from ctexchange.service.cases import CaseService
from ctexchange.service.collections import CollectionService
from ctexchange.service.content import ContentService
from ctexchange.service.content_index import store_fingerprint
from ctexchange.service.context import Caller, Clock, local_actor_name, new_request_id, utc_now
from ctexchange.service.imports import ImportService
from ctexchange.service.members import MemberService
from ctexchange.service.reports import ReportService
from ctexchange.service.requests import RequestService
from ctexchange.service.screening import ScreeningService
from ctexchange.service.signals import SignalService
from ctexchange.service.stix import StixService
from ctexchange.service.webhooks import Notifier, Observers, WebhookService
from ctexchange.settings import Settings
from ctexchange.store import open_store
from ctexchange.store.base import SqlStore


@dataclass
class Exchange:
    """The services of one instance."""

    settings: Settings
    store: SqlStore
    kinds: KindRegistry
    clock: Clock
    members: MemberService
    collections: CollectionService
    signals: SignalService
    audit: AuditService
    auth: Authenticator
    imports: ImportService
    screening: ScreeningService
    content: ContentService
    requests: RequestService
    alerts: AlertService
    cases: CaseService
    stix: StixService
    reports: ReportService
    webhooks: WebhookService

    def operator(self, request_id: str | None = None) -> Caller:
        """Return the caller for the local operator (the CLI on the machine holding the store)."""
        principal = self.members.operator_principal(local_actor_name())
        return Caller(principal, request_id or new_request_id())

    def close(self) -> None:
        """Save the content indexes if they changed, and release the store's connections."""
        if self.content.indexes.changed:
            self.content.save_indexes()
        self.store.close()


def build_exchange(settings: Settings, store: SqlStore, clock: Clock = utc_now) -> Exchange:
    """Wire the services around an open store."""
    kinds = default_kinds()
    notifier = Notifier(store, clock)
    members = MemberService(store, clock, settings.key_hash_cost)
    signals = SignalService(
        store, kinds, clock, settings.page_size_default, settings.page_size_max, settings.dispute_threshold
    )
    index_dir = settings.home_path / "indexes" / "content"
    content = ContentService(store, kinds, clock, signals, index_dir, store_fingerprint(settings.store_url))
    cases = CaseService(
        store,
        clock,
        signals,
        settings.page_size_default,
        settings.page_size_max,
        settings.flood_hits_per_hour,
        notifier=notifier,
    )
    content.observer = Observers(cases, notifier)
    return Exchange(
        settings=settings,
        store=store,
        kinds=kinds,
        clock=clock,
        members=members,
        collections=CollectionService(store, kinds, clock),
        signals=signals,
        audit=AuditService(store),
        auth=Authenticator(store, members, clock),
        imports=ImportService(store, clock),
        screening=ScreeningService(store, clock),
        content=content,
        requests=RequestService(
            store, clock, settings.page_size_default, settings.page_size_max, notifier=notifier
        ),
        alerts=AlertService(
            store, clock, settings.page_size_default, settings.page_size_max, notifier=notifier
        ),
        cases=cases,
        stix=StixService(store, kinds, clock, signals, settings.page_size_default, settings.page_size_max),
        reports=ReportService(store, clock),
        webhooks=WebhookService(store, clock),
    )


def open_exchange(settings: Settings, *, migrate: bool = False, clock: Clock = utc_now) -> Exchange:
    """Open the store named by the settings and wire the services; refuse an unmigrated store."""
    store = open_store(settings.store_url)
    try:
        if migrate:
            store.migrate()
        else:
            store.check_migrated()
    except BaseException:
        store.close()
        raise
    return build_exchange(settings, store, clock)


def migrate_store(settings: Settings) -> Sequence[str]:
    """Apply the pending schema migrations of the configured store; return their names."""
    store = open_store(settings.store_url)
    try:
        return store.migrate()
    finally:
        store.close()
