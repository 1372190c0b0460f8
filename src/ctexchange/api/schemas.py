"""The JSON the API reads and writes: pydantic models at the edge, converted explicitly from domain objects.

Decisions:
- Request models forbid unknown fields, so a misspelt `lables` is an error rather than silently ignored.
- Choices that the service parses (roles, markings, statuses, verdicts, kinds) arrive as plain strings and
  are parsed by the service, which accepts the forms people type (`amber`, `TLP:AMBER+STRICT`) and names
  the choices when it refuses one; their descriptions here list the canonical values.
- Response models are built by `of(...)` class methods from frozen domain dataclasses: nothing is dumped
  implicitly, so a new domain field (a key's secret hash) never leaks into a response by accident.
- Every request model carries an example, shown in /docs and checked by `tests/api/test_openapi.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ctexchange.domain.audit import AuditEvent, ChainReport
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import ApiKey, Organization, OrgKind, Principal, SharingGroup, User
from ctexchange.domain.roles import Role
from ctexchange.domain.signals import LABELS, Collection, Opinion, Signal, SignalStatus, Verdict
from ctexchange.service.context import Caller
from ctexchange.service.members import IssuedKey
from ctexchange.service.signals import NewSignal

T = TypeVar("T")

EXAMPLE_MD5 = "0cc175b9c0f1b6a831c399e269772661"


def _choices(values: list[str]) -> str:
    return "One of: " + ", ".join(f"`{v}`" for v in values) + "."


def _request(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


# Errors -------------------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, a message for people and the field at fault."""

    code: str = Field(description="Stable, machine-readable code.", examples=["invalid_input"])
    message: str = Field(description="The thing, the expectation and what came.")
    field: str | None = Field(description="Dotted name of the field at fault (`signals[2].value`).")


class ErrorResponse(BaseModel):
    """The one body of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "invalid_input",
                        "message": "'value' must be a md5 digest of 32 hex digits (got 'abc' (str))",
                        "field": "value",
                    }
                }
            ]
        }
    )

    error: ErrorDetail


# Requests -----------------------------------------------------------------------------------------------


class OrgIn(BaseModel):
    """A new member organization."""

    model_config = _request({"name": "Example Online Service", "kind": "online-service"})

    name: str = Field(description="Unique name: one line, no '/'.")
    kind: str = Field("other", description=_choices([k.value for k in OrgKind]))


class UserIn(BaseModel):
    """A new user (a person, or a machine account with the `service` role)."""

    model_config = _request({"name": "analyst-1", "role": "analyst", "org": "Example Online Service"})

    name: str = Field(description="Unique user name: one line, no '/'.")
    role: str = Field(description=_choices([r.value for r in Role]))
    org: str | None = Field(
        None, description="Organization id or name; the caller's own when left out (others: operator admins)."
    )


class KeyIn(BaseModel):
    """A new API key for a user."""

    model_config = _request({"user": "analyst-1", "name": "upload pipeline", "expires_at": None})

    user: str = Field(description="User id or name.")
    name: str = Field(description="What the key is for.")
    expires_at: AwareDatetime | None = Field(None, description="When the key stops working (with time zone).")


class GroupIn(BaseModel):
    """A new sharing group, owned by the caller's organization (always a member)."""

    model_config = _request({"name": "gifct-hash-sharing", "members": ["Example Online Service"]})

    name: str = Field(description="Unique group name: one line, no '/'.")
    members: list[str] = Field(default_factory=list, description="Organization ids or names to add.")


class GroupMemberIn(BaseModel):
    """An organization to add to a sharing group."""

    model_config = _request({"org": "Example Online Service"})

    org: str = Field(description="Organization id or name.")


class CollectionIn(BaseModel):
    """A new collection (bank) owned by the caller's organization."""

    model_config = _request(
        {
            "name": "coalition-propaganda",
            "marking": "AMBER",
            "group": "gifct-hash-sharing",
            "description": "Hashes of propaganda videos reported by members.",
            "kind_settings": {"pdq": {"distance": 31}},
            "hit_policy": "hide",
            "purpose": "positive",
            "requires_review": True,
            "sighting_policy": "named",
        }
    )

    name: str = Field(description="Name, unique in the organization: one line, no '/'.")
    marking: str = Field(description="Default TLP marking of its signals. " + _choices(list(Marking)))
    group: str | None = Field(None, description="Sharing group id or name (AMBER audience).")
    description: str = Field("", description="Free text, up to 2,000 characters.")
    kind_settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-kind settings, by kind name."
    )
    hit_policy: str = Field(
        "hide",
        description="What a caller whose lookup hits a signal it may not see learns: nothing (`hide`) or "
        "that a restricted signal matched and which organization to contact (`notify`).",
    )
    purpose: str = Field(
        "positive",
        description="`positive`: content to act on; `negative`: known benign content (news footage, "
        "counter-speech) that silences every hit on what it holds.",
    )
    requires_review: bool = Field(
        False, description="Matches made by service keys against this bank open a review case."
    )
    sighting_policy: str = Field(
        "named",
        description="What you learn of who matched your signals: which organization (`named`) or a "
        "pseudonym per signal, `member-1`, `member-2`, ... (`anonymised`).",
    )


_SIGNAL_EXAMPLE = {
    "kind": "md5",
    "value": EXAMPLE_MD5,
    "labels": ["propaganda", "un:QDe.115"],
    "marking": "AMBER",
    "external_id": "report-2291",
    "recipients": [],
}


class SignalFields(BaseModel):
    """One signal to add (its collection is given beside it)."""

    model_config = _request(_SIGNAL_EXAMPLE)

    kind: str = Field(description="A registered kind (`md5`, `sha256`...).")
    value: Any = Field(description="The value in the kind's form (a hex digest for `md5`).")
    labels: list[str] = Field(
        default_factory=list,
        description="Taxonomy labels or namespaced `ns:value` labels. " + _choices(list(LABELS)),
    )
    marking: str | None = Field(None, description="TLP marking; the collection's default when left out.")
    external_id: str | None = Field(None, description="The submitter's own reference.")
    recipients: list[str] = Field(
        default_factory=list, description="User ids or names who may see a RED signal."
    )

    def to_new(self) -> NewSignal:
        """Return the service's input for this signal."""
        return NewSignal(
            kind=self.kind,
            value=self.value,
            labels=tuple(self.labels),
            marking=self.marking,
            external_id=self.external_id,
            recipients=tuple(self.recipients),
        )


class SignalIn(SignalFields):
    """One signal to add to a collection of the caller's organization."""

    model_config = _request({"collection": "coalition-propaganda", **_SIGNAL_EXAMPLE})

    collection: str = Field(description="Collection id, `ORG/NAME` or NAME.")


class SignalBatchIn(BaseModel):
    """Signals to add to one collection in one transaction: all of them, or none."""

    model_config = _request({"collection": "coalition-propaganda", "signals": [_SIGNAL_EXAMPLE]})

    collection: str = Field(description="Collection id, `ORG/NAME` or NAME.")
    signals: list[SignalFields] = Field(description="At most 10,000 signals.")


class StatusIn(BaseModel):
    """A move of a signal to another status, with the reason for it."""

    model_config = _request({"status": "delisted", "reason": "Removed from the UN list on 2026-03-02."})

    status: str = Field(description=_choices(list(SignalStatus)))
    reason: str = Field(description="Why, up to 2,000 characters.")


class OpinionIn(BaseModel):
    """The caller's organization's opinion of a signal (it replaces an earlier one)."""

    model_config = _request({"verdict": "false_positive", "note": "Matches a news report, not propaganda."})

    verdict: str = Field(description=_choices(list(Verdict)))
    note: str = Field("", description="Free text, up to 2,000 characters.")


# Responses ----------------------------------------------------------------------------------------------


class ItemList(BaseModel, Generic[T]):
    """One page of a list; `next_cursor` asks for the next page, null at the end."""

    items: list[T]
    next_cursor: str | None = None


class BatchOut(BaseModel, Generic[T]):
    """Everything a batch request created."""

    items: list[T]


class HealthOut(BaseModel):
    """The service is up; which version and which store backend."""

    status: str = Field(examples=["ok"])
    version: str
    store: str = Field(examples=["sqlite"])


class WhoAmIOut(BaseModel):
    """Who the presented key acts as."""

    org_id: UUID
    user_id: UUID | None
    name: str
    role: str

    @classmethod
    def of(cls, principal: Principal) -> WhoAmIOut:
        """Convert the caller's principal."""
        return cls(
            org_id=principal.org_id, user_id=principal.user_id, name=principal.name, role=principal.role.value
        )


class OrgOut(BaseModel):
    """A member organization."""

    id: UUID
    name: str
    kind: str
    is_operator: bool
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, org: Organization) -> OrgOut:
        """Render an organization."""
        return cls(
            id=org.id,
            name=org.name,
            kind=org.kind.value,
            is_operator=org.is_operator,
            is_active=org.is_active,
            created_at=org.created_at,
        )


class UserOut(BaseModel):
    """A user of an organization."""

    id: UUID
    org_id: UUID
    name: str
    role: str
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        """Render a user."""
        return cls(
            id=user.id,
            org_id=user.org_id,
            name=user.name,
            role=user.role.value,
            is_active=user.is_active,
            created_at=user.created_at,
        )


class KeyOut(BaseModel):
    """An API key's record: never its secret or the secret's hash."""

    key_id: str
    name: str
    user_id: UUID
    org_id: UUID
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        """Render a key record."""
        return cls(
            key_id=key.key_id,
            name=key.name,
            user_id=key.user_id,
            org_id=key.org_id,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class KeyCreatedOut(KeyOut):
    """A key just created; `key` is the full key text, shown only in this response."""

    key: str = Field(description="The secret key text. Store it now: it is never shown again.")

    @classmethod
    def issued(cls, issued: IssuedKey) -> KeyCreatedOut:
        """Render a key just issued, with its text."""
        return cls(**KeyOut.of(issued.key).model_dump(), key=issued.text)


class GroupOut(BaseModel):
    """A sharing group and its member organizations."""

    id: UUID
    name: str
    owner_org_id: UUID
    members: list[UUID]
    created_at: datetime

    @classmethod
    def of(cls, group: SharingGroup) -> GroupOut:
        """Render a sharing group (members sorted)."""
        return cls(
            id=group.id,
            name=group.name,
            owner_org_id=group.owner_org_id,
            members=sorted(group.member_org_ids, key=str),
            created_at=group.created_at,
        )


class CollectionOut(BaseModel):
    """A collection (bank) of signals."""

    id: UUID
    name: str
    org_id: UUID
    marking: str = Field(description="The default marking of its signals.")
    group_id: UUID | None
    description: str
    kind_settings: dict[str, dict[str, Any]]
    hit_policy: str
    purpose: str
    requires_review: bool
    sighting_policy: str = Field(description="`named` or `anonymised`: what the owner learns of who matched.")
    created_at: datetime

    @classmethod
    def of(cls, collection: Collection) -> CollectionOut:
        """Render a collection."""
        return cls(
            id=collection.id,
            name=collection.name,
            org_id=collection.org_id,
            marking=collection.default_marking.value,
            group_id=collection.sharing_group_id,
            description=collection.description,
            kind_settings={k: dict(v) for k, v in collection.kind_settings.items()},
            hit_policy=collection.hit_policy.value,
            purpose=collection.purpose.value,
            requires_review=collection.requires_review,
            sighting_policy=collection.sighting_policy.value,
            created_at=collection.created_at,
        )


class ProvenanceOut(BaseModel):
    """Who added a signal, through what, from which import or document."""

    added_by: str
    source: str
    source_ref: str | None


class SignalOut(BaseModel):
    """A signal. `recipients` is null unless the caller's organization owns the signal."""

    id: UUID
    collection_id: UUID
    org_id: UUID
    family: str
    kind: str
    value: Any
    external_id: str | None
    labels: list[str]
    marking: str
    status: str
    provenance: ProvenanceOut
    created_at: datetime
    updated_at: datetime
    recipients: list[UUID] | None = Field(description="RED recipients (user ids), shown to the owner only.")

    @classmethod
    def of(cls, signal: Signal, caller: Caller) -> SignalOut:
        """Render a signal for `caller`: RED recipients only for its owner."""
        is_owner = caller.principal.org_id == signal.org_id
        return cls(
            id=signal.id,
            collection_id=signal.collection_id,
            org_id=signal.org_id,
            family=signal.family.value,
            kind=signal.kind,
            value=signal.value,
            external_id=signal.external_id,
            labels=sorted(signal.labels),
            marking=signal.marking.value,
            status=signal.status.value,
            provenance=ProvenanceOut(
                added_by=signal.provenance.added_by,
                source=signal.provenance.source,
                source_ref=signal.provenance.source_ref,
            ),
            created_at=signal.created_at,
            updated_at=signal.updated_at,
            recipients=sorted(signal.recipient_ids, key=str) if is_owner else None,
        )


class CountOut(BaseModel):
    """How many signals match, among those the caller may see."""

    count: int


class OpinionOut(BaseModel):
    """One organization's opinion of a signal."""

    signal_id: UUID
    org_id: UUID
    user_id: UUID | None
    verdict: str
    note: str
    created_at: datetime

    @classmethod
    def of(cls, opinion: Opinion) -> OpinionOut:
        """Render an opinion."""
        return cls(
            signal_id=opinion.signal_id,
            org_id=opinion.org_id,
            user_id=opinion.user_id,
            verdict=opinion.verdict.value,
            note=opinion.note,
            created_at=opinion.created_at,
        )


class AuditEventOut(BaseModel):
    """One event of the hash-chained audit log."""

    seq: int
    id: UUID
    at: datetime
    actor: str
    org_id: UUID | None
    action: str
    object_type: str
    object_id: str | None
    object_org_id: UUID | None
    request_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        """Render an audit event."""
        entry = event.entry
        return cls(
            seq=event.seq,
            id=event.id,
            at=event.at,
            actor=entry.actor,
            org_id=entry.org_id,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            object_org_id=entry.object_org_id,
            request_id=entry.request_id,
            details=dict(entry.details),
            prev_hash=event.prev_hash,
            hash=event.hash,
        )


class AuditPage(BaseModel):
    """Audit events in sequence order; pass `next_after_seq` as `after_seq` for more (null: no more)."""

    items: list[AuditEventOut]
    next_after_seq: int | None


class ChainReportOut(BaseModel):
    """The outcome of verifying the audit chain: the first problem found, if any."""

    intact: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None
    bad_id: UUID | None
    problem: str | None

    @classmethod
    def of(cls, report: ChainReport) -> ChainReportOut:
        """Render a chain report."""
        return cls(
            intact=report.is_intact,
            checked=report.checked,
            head_seq=report.head_seq,
            head_hash=report.head_hash,
            bad_seq=report.bad_seq,
            bad_id=report.bad_id,
            problem=report.problem,
        )
