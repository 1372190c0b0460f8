"""Filters and pages for list, count, search and export.

Pages are keyset-paginated on (created_at, id): stable under concurrent inserts and as fast on page 1,000
as on page 1. The cursor is opaque to callers (`ctexchange.service.pages` encodes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from ctexchange.domain.markings import Marking
from ctexchange.domain.signals import Family, SignalStatus

T = TypeVar("T")


@dataclass(frozen=True)
class SignalQuery:
    """Which signals a list, count, search or export covers (before access rules are applied)."""

    collection_id: UUID | None = None
    org_id: UUID | None = None
    family: Family | None = None
    kind: str | None = None
    status: SignalStatus | None = None
    marking: Marking | None = None
    label: str | None = None
    external_id: str | None = None
    text: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class PageRequest:
    """At most `limit` items after the item whose (created_at, id) is `after`."""

    limit: int
    after: tuple[datetime, UUID] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of items and the cursor of its last item when more may follow."""

    items: Sequence[T]
    next_after: tuple[datetime, UUID] | None


@dataclass(frozen=True)
class AuditQuery:
    """Which audit events to read: for one organization (as actor or owner) or all of them."""

    org_id: UUID | None = None
    action: str | None = None
    object_id: str | None = None
    after_seq: int = 0
    limit: int = 100
