"""The JSON of alerts: what an issuer sends, and an alert as one caller may see it.

Decisions:
- The described subject has the shape of a screening query (`{"schema", "properties": {"name",
  "birthDate", "nationality", "idNumber", "gender"}}`, FollowTheMoney property names), in and out, so a
  recipient can post it to `/v1/screen` as it is; it is validated by the same rules (`make_query`).
- Choices (kind, marking, box, state) arrive as strings and are parsed by the service, which names the
  field and the choices when it refuses one.
- Responses are built from the service's `AlertView`, which is already redacted for the caller (a
  recipient sees only its own organization among the recipients); nothing is dumped implicitly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ctexchange.api.screening_schemas import QueryProperties
from ctexchange.domain.alerts import (
    Acknowledgement,
    AckState,
    AlertContent,
    AlertKind,
    AlertSubject,
    AlertVersion,
)
from ctexchange.domain.markings import Marking
from ctexchange.service.alerts import (
    AlertChanges,
    AlertView,
    LocationInput,
    NewAlert,
    RecipientStatus,
    StopInput,
    SubjectInput,
)

VALID_UNTIL_EXAMPLE = "2026-12-31T23:59:59Z"

SUBJECT_EXAMPLE: dict[str, Any] = {
    "signal_id": None,
    "schema": "Person",
    "properties": {
        "name": ["أبو محمد الشامي", "Abu Mohammed al-Shami"],
        "birthDate": ["1994-03"],
        "nationality": ["SY"],
        "idNumber": ["N0123456"],
    },
}

ALERT_EXAMPLE: dict[str, Any] = {
    "title": "Foreign terrorist fighter reported travelling towards the border",
    "kind": "fighter-travel",
    "details": "Reported by a family member on 2026-11-27; travelling with one companion by bus.",
    "subject": SUBJECT_EXAMPLE,
    "location": {"text": "Gaziantep bus station", "country": "TR"},
    "route": [
        {"place": "Idlib", "country": "SY", "date": "2026-11-20"},
        {"place": "Gaziantep", "country": "TR", "date": "2026-11-27"},
        {"place": "Istanbul", "country": "TR", "date": None},
    ],
    "valid_until": VALID_UNTIL_EXAMPLE,
    "marking": "AMBER",
    "recipients": {"orgs": ["Example National Agency"], "groups": ["border-partners"], "users": []},
}


def _choices(values: list[str]) -> str:
    return "One of: " + ", ".join(f"`{v}`" for v in values) + "."


def _request(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


# Requests -----------------------------------------------------------------------------------------------


class SubjectIn(BaseModel):
    """Whom the alert is about: an entity signal the issuer can see and/or a described subject."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, json_schema_extra={"examples": [SUBJECT_EXAMPLE]}
    )

    signal_id: str | None = Field(None, description="Id of an entity signal (person or organization).")
    schema_: str = Field("Person", alias="schema", description="Person or Organization.")
    properties: QueryProperties | None = Field(
        None, description="The described subject, as in a screening query; left out: no description."
    )

    def to_input(self) -> SubjectInput:
        """Return the service's input (validated there exactly as a screening query)."""
        p = self.properties
        if p is None:
            return SubjectInput(signal_id=self.signal_id, schema=self.schema_)
        return SubjectInput(
            self.signal_id, self.schema_, p.name, p.birthDate, p.nationality, p.idNumber, p.gender
        )


class LocationIn(BaseModel):
    """Where the subject was last known to be."""

    model_config = _request({"text": "Gaziantep bus station", "country": "TR"})

    text: str = Field(description="Free text, one line, up to 300 characters.")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code.")

    def to_input(self) -> LocationInput:
        """Return the service's input."""
        return LocationInput(self.text, self.country)


class StopIn(BaseModel):
    """One stop of a route, in order: a place and/or a country, and when if known."""

    model_config = _request({"place": "Gaziantep", "country": "TR", "date": "2026-11-27"})

    place: str | None = Field(None, description="Free text, one line, up to 300 characters.")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code.")
    date: str | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD; not before the stop before.")

    def to_input(self) -> StopInput:
        """Return the service's input."""
        return StopInput(self.place, self.country, self.date)


class RecipientsIn(BaseModel):
    """Who is told: organizations and sharing groups (resolved now, for good), or named users for RED."""

    model_config = _request({"orgs": ["Example National Agency"], "groups": [], "users": []})

    orgs: list[str] = Field(default_factory=list, description="Organization ids or names (not RED).")
    groups: list[str] = Field(
        default_factory=list, description="Sharing groups your organization is in (not RED)."
    )
    users: list[str] = Field(
        default_factory=list, description="User ids or names of other organizations (RED only)."
    )


class AlertIn(BaseModel):
    """A new alert from the caller's organization."""

    model_config = _request(ALERT_EXAMPLE)

    title: str = Field(description="One line, up to 200 characters.")
    kind: str = Field(description=_choices([k.value for k in AlertKind]))
    details: str = Field("", description="Free text, up to 10,000 characters.")
    subject: SubjectIn | None = Field(None, description="Required for fighter-travel and wanted-person.")
    location: LocationIn | None = None
    route: list[StopIn] = Field(default_factory=list, description="At most 50 stops, in order.")
    valid_from: AwareDatetime | None = Field(None, description="When it takes effect; default now.")
    valid_until: AwareDatetime = Field(description="When it expires: at most 365 days after valid_from.")
    marking: str = Field("AMBER", description="TLP 2.0 marking. " + _choices(list(Marking)))
    recipients: RecipientsIn

    def to_new(self) -> NewAlert:
        """Return the service's input."""
        return NewAlert(
            title=self.title,
            kind=self.kind,
            valid_until=self.valid_until,
            details=self.details,
            subject=None if self.subject is None else self.subject.to_input(),
            location=None if self.location is None else self.location.to_input(),
            route=[s.to_input() for s in self.route],
            valid_from=self.valid_from,
            marking=self.marking,
            orgs=self.recipients.orgs,
            groups=self.recipients.groups,
            users=self.recipients.users,
        )


class AlertUpdateIn(BaseModel):
    """A new version: each field given replaces the current one, the others are kept; `note` says why."""

    model_config = _request(
        {
            "note": "Seen at the airport this morning.",
            "location": {"text": "Istanbul airport, terminal 1", "country": "TR"},
        }
    )

    note: str = Field(description="What changed and why, up to 2,000 characters.")
    title: str | None = None
    details: str | None = None
    subject: SubjectIn | None = None
    location: LocationIn | None = None
    route: list[StopIn] | None = Field(None, description="Replaces the whole route; [] clears it.")

    def to_changes(self) -> AlertChanges:
        """Return the service's input."""
        return AlertChanges(
            title=self.title,
            details=self.details,
            subject=None if self.subject is None else self.subject.to_input(),
            location=None if self.location is None else self.location.to_input(),
            route=None if self.route is None else [s.to_input() for s in self.route],
        )


class ExtendIn(BaseModel):
    """A later end for an alert in force, with the reason."""

    model_config = _request({"valid_until": "2027-01-31T23:59:59Z", "note": "Travel continues."})

    valid_until: AwareDatetime = Field(
        description="Later than the current one; at most 365 days after valid_from."
    )
    note: str = Field(description="Why, up to 2,000 characters.")


class CancelIn(BaseModel):
    """The end of an alert in force before its time, with the reason."""

    model_config = _request({"reason": "The subject was arrested on 2026-11-30."})

    reason: str = Field(description="Why, up to 2,000 characters.")


class AckIn(BaseModel):
    """The caller's organization's receipt of the current version."""

    model_config = _request({"note": "Border police informed."})

    note: str = Field("", description="Optional, up to 2,000 characters.")


# Responses ----------------------------------------------------------------------------------------------


class PropertiesOut(BaseModel):
    """A described subject's properties (FollowTheMoney names, as in a screening query)."""

    name: list[str]
    birthDate: list[str]  # noqa: N815
    nationality: list[str]
    idNumber: list[str]  # noqa: N815
    gender: str | None


class DescriptionOut(BaseModel):
    """A described subject, in the shape of a screening query: post it to /v1/screen as it is."""

    entity_schema: str = Field(serialization_alias="schema", description="Person or Organization.")
    properties: PropertiesOut


class SubjectOut(BaseModel):
    """Whom the alert is about. `signal_id` is null when the caller may not see that signal."""

    signal_id: UUID | None
    description: DescriptionOut | None

    @classmethod
    def of(cls, subject: AlertSubject) -> SubjectOut:
        """Render a subject."""
        d = subject.description
        return cls(
            signal_id=subject.signal_id,
            description=None
            if d is None
            else DescriptionOut(
                entity_schema=d.schema.value,
                properties=PropertiesOut(
                    name=list(d.names),
                    birthDate=list(d.birth_dates),
                    nationality=list(d.nationalities),
                    idNumber=list(d.documents),
                    gender=d.gender,
                ),
            ),
        )


class LocationOut(BaseModel):
    """A last known location."""

    text: str
    country: str | None


class StopOut(BaseModel):
    """One stop of a route."""

    place: str
    country: str | None
    date: str | None


class AckOut(BaseModel):
    """A recipient organization's receipt of one version, by whom and when."""

    alert_id: UUID
    org_id: UUID
    version: int
    user_id: UUID | None
    actor: str
    note: str
    at: datetime

    @classmethod
    def of(cls, ack: Acknowledgement) -> AckOut:
        """Render an acknowledgement."""
        return cls(
            alert_id=ack.alert_id,
            org_id=ack.org_id,
            version=ack.version,
            user_id=ack.user_id,
            actor=ack.actor,
            note=ack.note,
            at=ack.at,
        )


class RecipientOut(BaseModel):
    """A recipient organization: `acknowledged` the current version or `pending`, and its latest receipt."""

    org_id: UUID
    state: str = Field(description=_choices(list(AckState)))
    latest: AckOut | None = Field(description="Its latest acknowledgement, of any version.")

    @classmethod
    def of(cls, status: RecipientStatus) -> RecipientOut:
        """Render a recipient's status."""
        return cls(
            org_id=status.org_id,
            state=status.state.value,
            latest=None if status.latest is None else AckOut.of(status.latest),
        )


class CancellationOut(BaseModel):
    """Who cancelled the alert, why and when."""

    actor: str
    reason: str
    at: datetime


class ContentOut(BaseModel):
    """What a version says."""

    title: str
    details: str
    subject: SubjectOut
    location: LocationOut | None
    route: list[StopOut]


def _content(content: AlertContent) -> dict[str, Any]:
    """Return the fields of `ContentOut` for a version's content (as models, for a subclass to take)."""
    location = content.location
    return {
        "title": content.title,
        "details": content.details,
        "subject": SubjectOut.of(content.subject),
        "location": None if location is None else LocationOut(text=location.text, country=location.country),
        "route": [StopOut(place=s.place, country=s.country, date=s.date) for s in content.route],
    }


class AlertOut(ContentOut):
    """An alert as the caller may see it. `state` is computed now (`expired` from `valid_until`).

    `recipients` lists every recipient organization for the issuer, and only the caller's own for a
    recipient; `recipient_users` (RED) and `group_ids` likewise.
    """

    id: UUID
    org_id: UUID = Field(description="The issuing organization.")
    kind: str
    marking: str
    state: str = Field(description="`issued`, `expired` or `cancelled`.")
    version: int
    valid_from: datetime
    valid_until: datetime
    issued_by: str
    issued_at: datetime
    updated_at: datetime
    cancellation: CancellationOut | None
    is_issuer: bool = Field(description="True when the caller's organization issued it.")
    my_state: str | None = Field(description="`pending` or `acknowledged` for a recipient; else null.")
    is_pending: bool = Field(description="True when the caller's organization still has to acknowledge it.")
    recipients: list[RecipientOut]
    recipient_users: list[UUID]
    group_ids: list[UUID]

    @classmethod
    def of(cls, view: AlertView) -> AlertOut:
        """Render an alert view (already redacted for its caller)."""
        a = view.alert
        c = a.cancellation
        return cls(
            **_content(a.content),
            id=a.id,
            org_id=a.org_id,
            kind=a.kind.value,
            marking=a.marking.value,
            state=view.state.value,
            version=a.version,
            valid_from=a.valid_from,
            valid_until=a.valid_until,
            issued_by=a.issued_by,
            issued_at=a.issued_at,
            updated_at=a.updated_at,
            cancellation=None if c is None else CancellationOut(actor=c.actor, reason=c.reason, at=c.at),
            is_issuer=view.is_issuer,
            my_state=None if view.my_state is None else view.my_state.value,
            is_pending=view.is_pending,
            recipients=[RecipientOut.of(r) for r in view.recipients],
            recipient_users=sorted(a.recipient_user_ids, key=str),
            group_ids=sorted(a.group_ids, key=str),
        )


class AlertVersionOut(ContentOut):
    """One version of an alert: its content and validity, what made it (issue, update, extend)."""

    version: int
    change: str
    valid_from: datetime
    valid_until: datetime
    note: str
    actor: str
    at: datetime

    @classmethod
    def of(cls, version: AlertVersion) -> AlertVersionOut:
        """Render a version."""
        return cls(
            **_content(version.content),
            version=version.version,
            change=version.change.value,
            valid_from=version.valid_from,
            valid_until=version.valid_until,
            note=version.note,
            actor=version.actor,
            at=version.at,
        )
