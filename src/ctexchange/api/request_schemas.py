"""The JSON of requests for assistance: drafts in, requests with their history, messages and attachments out.

As elsewhere, choices (assistance kinds, urgency, confidentiality, outcome) and the deadline arrive as
plain strings and are parsed by the service, which names the field and the valid values when it refuses
one; response models are built explicitly by `of(...)`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ctexchange.domain.markings import Marking
from ctexchange.domain.requests import (
    AssistanceKind,
    AssistanceRequest,
    Attachment,
    Message,
    Outcome,
    RequestDetail,
    RequestMove,
    Subject,
    SubjectKind,
    Urgency,
)
from ctexchange.service.context import Caller
from ctexchange.service.requests import RequestDraft, SubjectIn


def _choices(values: list[str]) -> str:
    return "One of: " + ", ".join(f"`{v}`" for v in values) + "."


def _request(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


REQUEST_EXAMPLE: dict[str, Any] = {
    "requested_org": "Example Online Service",
    "title": "Preserve and produce subscriber data of a recruitment channel",
    "reference": "RATS/2026/0147",
    "legal_basis": "UN Security Council resolution 2396 (2017), para. 13; bilateral MoU of 12 March 2021",
    "facts": "Since January 2026 the channel t.me/example_channel has posted recruitment videos ...",
    "offence": "Recruitment for a terrorist organization (Criminal Code, art. 205.1)",
    "assistance": ["preserve_data", "produce_data", "identify"],
    "assistance_detail": "Subscriber information and IP logs of the channel's administrators, Jan-Apr 2026.",
    "subjects": [
        {"signal_id": "6f1c1c3e-8a4b-4c1e-9a53-2f5e0c7d9b10", "description": "Group named in the videos."},
        {
            "name": "Abu Example",
            "kind": "person",
            "description": "Administrator of the channel; speaks Russian and Arabic.",
            "birth_date": "1994",
            "nationalities": ["TJ"],
        },
    ],
    "urgency": "urgent",
    "urgency_justification": "Data older than 90 days is deleted by the service.",
    "deadline": "2026-06-30",
    "confidentiality": "AMBER+STRICT",
    "language": "en",
}


class SubjectBody(BaseModel):
    """A subject: linked to a designated-entity signal (`signal_id`, whose name and reference are copied
    in), or described (`name`, `kind`, `reference`)."""

    model_config = _request({"name": "Abu Example", "kind": "person", "birth_date": "1994"})

    signal_id: str | None = Field(None, description="A person or organization signal you may see.")
    name: str | None = Field(None, description="The name, in any script (described subjects only).")
    kind: str = Field("person", description=_choices(list(SubjectKind)))
    reference: str | None = Field(None, description="A listing or case reference (described subjects only).")
    description: str = Field("", description="What else is known: role, accounts, addresses.")
    birth_date: str | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD.")
    nationalities: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes.")

    def to_subject(self) -> SubjectIn:
        """Return the service's input."""
        return SubjectIn(
            name=self.name,
            kind=self.kind,
            signal_id=self.signal_id,
            reference=self.reference,
            description=self.description,
            birth_date=self.birth_date,
            nationalities=tuple(self.nationalities),
        )


class RequestIn(BaseModel):
    """A draft request for assistance from the caller's organization (to create or replace a draft)."""

    model_config = _request(REQUEST_EXAMPLE)

    requested_org: str = Field(description="The organization asked for assistance (id or name).")
    title: str = Field(description="One line, up to 200 characters.")
    legal_basis: str = Field(description="The law, resolution or agreement the request rests on.")
    facts: str = Field(description="Summary of the facts, up to 20,000 characters.")
    offence: str = Field(description="The offence under investigation.")
    assistance: list[str] = Field(description="What is asked for. " + _choices(list(AssistanceKind)))
    assistance_detail: str = Field("", description="Details; required with `other`.")
    subjects: list[SubjectBody] = Field(default_factory=list, description="Up to 100 subjects.")
    urgency: str = Field("routine", description=_choices(list(Urgency)))
    urgency_justification: str = Field("", description="Why; required for `emergency`.")
    deadline: str | None = Field(
        None, description="YYYY-MM-DD (the end of that day, UTC) or a date and time with a UTC offset."
    )
    confidentiality: str = Field(
        Marking.AMBER_STRICT.value, description="TLP marking for handling. " + _choices(list(Marking))
    )
    language: str = Field("en", description="ISO 639-1 code of the language the request is written in.")
    reference: str | None = Field(None, description="Your own file number.")

    def to_draft(self) -> RequestDraft:
        """Return the service's input."""
        return RequestDraft(
            requested_org=self.requested_org,
            title=self.title,
            legal_basis=self.legal_basis,
            facts=self.facts,
            offence=self.offence,
            assistance=tuple(self.assistance),
            subjects=tuple(s.to_subject() for s in self.subjects),
            assistance_detail=self.assistance_detail,
            urgency=self.urgency,
            urgency_justification=self.urgency_justification,
            deadline=self.deadline,
            confidentiality=self.confidentiality,
            language=self.language,
            reference=self.reference,
        )


class NoteIn(BaseModel):
    """An optional note recorded with a move (send, acknowledge, start, close); the body may be left out."""

    model_config = _request({"note": "Received; assigned to the cyber unit."})

    note: str = Field("", description="Up to 2,000 characters.")


class AnswerIn(BaseModel):
    """An answer: full or partial; a partial answer says what it leaves out."""

    model_config = _request(
        {"outcome": "partial", "note": "Subscriber data attached; IP logs before March were already deleted."}
    )

    outcome: str = Field(description=_choices(list(Outcome)))
    note: str = Field("", description="The answer in short; required when partial.")


class ReasonIn(BaseModel):
    """The reason of a decline or a withdrawal."""

    model_config = _request({"reason": "The account belongs to a user outside our service's jurisdiction."})

    reason: str = Field(description="Up to 2,000 characters.")


class MessageIn(BaseModel):
    """A message to the other party of a sent request."""

    model_config = _request({"body": "Could you confirm the time zone of the IP log timestamps?"})

    body: str = Field(description="Up to 20,000 characters.")


class SubjectOut(BaseModel):
    """A subject as embedded in the request; `signal_id` is null unless you may see the linked signal."""

    kind: str
    name: str
    reference: str | None
    description: str
    birth_date: str | None
    nationalities: list[str]
    signal_id: UUID | None

    @classmethod
    def of(cls, subject: Subject) -> SubjectOut:
        """Render a subject."""
        return cls(
            kind=subject.kind.value,
            name=subject.name,
            reference=subject.reference,
            description=subject.description,
            birth_date=subject.birth_date,
            nationalities=list(subject.nationalities),
            signal_id=subject.signal_id,
        )


class RequestOut(BaseModel):
    """A request for assistance; `side` is your organization's part in it (null for oversight)."""

    id: UUID
    requesting_org_id: UUID
    requested_org_id: UUID
    side: str | None
    title: str
    reference: str | None
    legal_basis: str
    facts: str
    offence: str
    assistance: list[str]
    assistance_detail: str
    subjects: list[SubjectOut]
    urgency: str
    urgency_justification: str
    deadline: datetime | None
    is_overdue: bool
    confidentiality: str
    language: str
    status: str
    outcome: str | None
    reason: str = Field(description="Why it was declined or withdrawn.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    @classmethod
    def fields_of(cls, request: AssistanceRequest, caller: Caller, now: datetime) -> dict[str, Any]:
        """Return the fields of a request as the caller sees it at `now`."""
        side = request.side_of(caller.principal.org_id)
        return {
            "id": request.id,
            "requesting_org_id": request.requesting_org_id,
            "requested_org_id": request.requested_org_id,
            "side": None if side is None else side.value,
            "title": request.title,
            "reference": request.reference,
            "legal_basis": request.legal_basis,
            "facts": request.facts,
            "offence": request.offence,
            "assistance": [k.value for k in request.assistance],
            "assistance_detail": request.assistance_detail,
            "subjects": [SubjectOut.of(s) for s in request.subjects],
            "urgency": request.urgency.value,
            "urgency_justification": request.urgency_justification,
            "deadline": request.deadline,
            "is_overdue": request.is_overdue(now),
            "confidentiality": request.confidentiality.value,
            "language": request.language,
            "status": request.status.value,
            "outcome": None if request.outcome is None else request.outcome.value,
            "reason": request.reason,
            "created_by": request.created_by,
            "created_at": request.created_at,
            "updated_at": request.updated_at,
            "sent_at": request.sent_at,
        }

    @classmethod
    def of(cls, request: AssistanceRequest, caller: Caller, now: datetime) -> RequestOut:
        """Render a request for the caller at `now`."""
        return cls(**cls.fields_of(request, caller, now))


class MoveOut(BaseModel):
    """One move of a request's history."""

    seq: int
    move: str
    from_status: str
    to_status: str
    org_id: UUID
    actor: str
    note: str
    at: datetime

    @classmethod
    def of(cls, move: RequestMove) -> MoveOut:
        """Render a move."""
        return cls(
            seq=move.seq,
            move=move.move.value,
            from_status=move.from_status.value,
            to_status=move.to_status.value,
            org_id=move.org_id,
            actor=move.actor,
            note=move.note,
            at=move.at,
        )


class AttachmentOut(BaseModel):
    """A file of a request (its bytes: `GET .../attachments/{id}`)."""

    id: UUID
    request_id: UUID
    org_id: UUID = Field(description="The organization that added it.")
    actor: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    created_at: datetime

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentOut:
        """Render an attachment's metadata."""
        return cls(
            id=attachment.id,
            request_id=attachment.request_id,
            org_id=attachment.org_id,
            actor=attachment.actor,
            filename=attachment.filename,
            media_type=attachment.media_type,
            size_bytes=attachment.size_bytes,
            sha256=attachment.sha256,
            created_at=attachment.created_at,
        )


class RequestDetailOut(RequestOut):
    """A request with its history of moves, its attachments and how many messages it has."""

    history: list[MoveOut]
    attachments: list[AttachmentOut]
    message_count: int

    @classmethod
    def of_detail(cls, detail: RequestDetail, caller: Caller, now: datetime) -> RequestDetailOut:
        """Render a request's detail for the caller at `now`."""
        return cls(
            **cls.fields_of(detail.request, caller, now),
            history=[MoveOut.of(m) for m in detail.history],
            attachments=[AttachmentOut.of(a) for a in detail.attachments],
            message_count=detail.message_count,
        )


class MessageOut(BaseModel):
    """A message of one party to the other."""

    id: UUID
    request_id: UUID
    org_id: UUID = Field(description="The organization that wrote it.")
    actor: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        """Render a message."""
        return cls(
            id=message.id,
            request_id=message.request_id,
            org_id=message.org_id,
            actor=message.actor,
            body=message.body,
            created_at=message.created_at,
        )
