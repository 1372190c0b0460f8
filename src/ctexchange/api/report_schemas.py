"""The JSON shape of a transparency report: the canonical document that CSV and HTML render."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ctexchange.service.reports import TransparencyReport, report_json

Figure = int | float | None


class ReportOrgOut(BaseModel):
    """The organization reported on."""

    id: UUID
    name: str


class PeriodOut(BaseModel):
    """The days reported on, both included, in UTC."""

    model_config = ConfigDict(populate_by_name=True)

    first: date = Field(alias="from")
    last: date = Field(alias="to")


class MonthOut(BaseModel):
    """One calendar month of the period (clipped to it): what happened in it."""

    month: str = Field(description="`YYYY-MM`.")
    items_matched: int
    items_actioned: int
    removal_orders_received: int
    removal_orders_acted_on: int
    median_minutes_to_act: float | None = Field(description="Of the orders received in the month.")
    max_minutes_to_act: float | None = Field(description="The longest time to act on one of them.")
    complaints_filed: int
    reinstatements: int
    requests_sent: int
    requests_received: int
    requests_answered: int


class EntityOut(BaseModel):
    """The designated entity an entity label names, when both the organization and you may see it."""

    reference: str = Field(description="The listing reference the label names (`QDe.115`).")
    name: str | None = Field(description="The entity's primary name; null when no visible entity has it.")
    signal_id: UUID | None


class TransparencyOut(BaseModel):
    """A transparency report: per section, each metric is a figure or an object of dimension to figure.

    Sections: `matches`, `actions`, `removal_orders`, `complaints` (the organization as a platform),
    `requests` (as a member agency), `sightings` (as a signal owner). A figure is null when it has no
    value (the median time to act when nothing was removed). `months` has one row per month of the
    period; `entities` names the designated entities of the "by entity" dimensions."""

    organization: ReportOrgOut
    period: PeriodOut
    generated_at: datetime
    sections: dict[str, dict[str, Figure | dict[str, Figure]]]
    months: list[MonthOut]
    entities: dict[str, EntityOut]

    @classmethod
    def of(cls, report: TransparencyReport) -> TransparencyOut:
        """Render a report."""
        return cls.model_validate(report_json(report))
