"""The JSON of review cases: decisions in; cases with their hits, history, evidence and clocks out.

As elsewhere, choices (the action) and times arrive as plain strings and are parsed by the service,
which names the field and the valid values when it refuses one; response models are built explicitly by
`of(...)`. The derived clocks (`removal_due_at`, `minutes_to_removal`, `is_removed_in_time`,
`is_removal_overdue`, `is_complaint_overdue`, `evidence_keep_until`) are computed at read time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ctexchange.domain.cases import Case, CaseAction, CaseDecision, CaseDetail, CaseHit, Evidence
from ctexchange.domain.signals import JsonValue

REASON = "Why: required, 1 to 2,000 characters."


def _request(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class ConfirmIn(BaseModel):
    """Confirm a match: the action taken, the reason, and the receipt time of a removal order if any."""

    model_config = _request(
        {
            "action": "remove",
            "reason": "Official propaganda video of a listed group (UN QDe.115); removed under our policy.",
            "removal_order_received_at": "2026-05-01T11:20:00+00:00",
        }
    )

    action: str = Field(description="One of: " + ", ".join(f"`{a.value}`" for a in CaseAction) + ".")
    reason: str = Field(description=REASON)
    removal_order_received_at: str | None = Field(
        None, description="When a removal order for the item was received (with `remove` only)."
    )


class ReasonIn(BaseModel):
    """The reason of a decision (reject, escalate, complaint, uphold, reinstate)."""

    model_config = _request({"reason": "News report quoting the video to criticise it; not propaganda."})

    reason: str = Field(description=REASON)


class RemovalOrderIn(BaseModel):
    """When a removal order for the item of an undecided case was received."""

    model_config = _request({"received_at": "2026-05-01T11:20:00+00:00"})

    received_at: str = Field(description="A date and time with a UTC offset; not in the future.")


class CaseOut(BaseModel):
    """A review case of your organization."""

    id: UUID
    org_id: UUID
    item_id: str | None = Field(description="Your id of the item (null for a quarantined case).")
    status: str
    action: str | None
    is_quarantined: bool = Field(description="True for a flooding signal's case collecting many items.")
    quarantine_signal_id: UUID | None
    opened_by: str
    opened_at: datetime
    updated_at: datetime
    removal_order_received_at: datetime | None
    removal_due_at: datetime | None = Field(description="Receipt of the removal order + 60 minutes.")
    removed_at: datetime | None
    minutes_to_removal: float | None
    is_removed_in_time: bool | None = Field(description="Removed within 60 minutes of the order.")
    is_removal_overdue: bool
    complaint_deadline: datetime | None = Field(description="Complaint filed + 14 days.")
    is_complaint_overdue: bool
    evidence_keep_until: datetime | None = Field(description="Removal + 6 months.")

    @classmethod
    def of(cls, case: Case, now: datetime) -> CaseOut:
        """Render a case with its clocks as of `now`."""
        return cls(
            id=case.id,
            org_id=case.org_id,
            item_id=case.item_id,
            status=case.status.value,
            action=None if case.action is None else case.action.value,
            is_quarantined=case.is_quarantined,
            quarantine_signal_id=case.quarantine_signal_id,
            opened_by=case.opened_by,
            opened_at=case.opened_at,
            updated_at=case.updated_at,
            removal_order_received_at=case.removal_order_received_at,
            removal_due_at=case.removal_due_at,
            removed_at=case.removed_at,
            minutes_to_removal=case.minutes_to_removal,
            is_removed_in_time=case.is_removed_in_time,
            is_removal_overdue=case.is_removal_overdue(now),
            complaint_deadline=case.complaint_deadline,
            is_complaint_overdue=case.is_complaint_overdue(now),
            evidence_keep_until=case.evidence_keep_until,
        )


class CaseHitOut(BaseModel):
    """A hit held by a case; `signal_id` is null when you may no longer see the signal."""

    seq: int
    item_id: str | None
    signal_id: UUID | None
    collection_id: UUID
    kind: str
    match_type: str
    distance: float
    measure: dict[str, JsonValue]
    hashes: dict[str, JsonValue]
    at: datetime

    @classmethod
    def of(cls, hit: CaseHit) -> CaseHitOut:
        """Render a hit."""
        return cls(
            seq=hit.seq,
            item_id=hit.item_id,
            signal_id=hit.signal_id,
            collection_id=hit.collection_id,
            kind=hit.kind,
            match_type=hit.match_type,
            distance=hit.distance,
            measure=hit.measure,
            hashes=hit.hashes,
            at=hit.at,
        )


class CaseDecisionOut(BaseModel):
    """One decision in a case's history."""

    seq: int
    move: str
    from_status: str
    to_status: str
    action: str | None
    reason: str
    org_id: UUID
    actor: str
    at: datetime

    @classmethod
    def of(cls, entry: CaseDecision) -> CaseDecisionOut:
        """Render a decision."""
        return cls(
            seq=entry.seq,
            move=entry.move.value,
            from_status=entry.from_status.value,
            to_status=entry.to_status.value,
            action=None if entry.action is None else entry.action.value,
            reason=entry.reason,
            org_id=entry.org_id,
            actor=entry.actor,
            at=entry.at,
        )


class EvidenceOut(BaseModel):
    """Evidence of a removed item (its bytes: `GET .../evidence/{id}` until purged)."""

    id: UUID
    case_id: UUID
    actor: str
    media_type: str
    size_bytes: int
    sha256: str
    reference: str | None
    has_content: bool
    created_at: datetime
    keep_until: datetime
    purged_at: datetime | None

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceOut:
        """Render evidence metadata."""
        return cls(
            id=evidence.id,
            case_id=evidence.case_id,
            actor=evidence.actor,
            media_type=evidence.media_type,
            size_bytes=evidence.size_bytes,
            sha256=evidence.sha256,
            reference=evidence.reference,
            has_content=evidence.has_content,
            created_at=evidence.created_at,
            keep_until=evidence.keep_until,
            purged_at=evidence.purged_at,
        )


class CaseDetailOut(CaseOut):
    """A case with its hits, history and evidence."""

    hits: list[CaseHitOut]
    history: list[CaseDecisionOut]
    evidence: list[EvidenceOut]

    @classmethod
    def of_detail(cls, detail: CaseDetail, now: datetime) -> CaseDetailOut:
        """Render a case's detail."""
        return cls(
            **CaseOut.of(detail.case, now).model_dump(),
            hits=[CaseHitOut.of(h) for h in detail.hits],
            history=[CaseDecisionOut.of(d) for d in detail.history],
            evidence=[EvidenceOut.of(e) for e in detail.evidence],
        )
