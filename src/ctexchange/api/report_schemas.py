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


class TransparencyOut(BaseModel):
    """A transparency report: per section, each metric is a figure or an object of dimension to figure.

    Sections: `matches`, `actions`, `removal_orders`, `complaints` (the organization as a platform),
    `requests` (as a member agency), `sightings` (as a signal owner). A figure is null when it has no
    value (the median time to act when nothing was removed)."""

    organization: ReportOrgOut
    period: PeriodOut
    generated_at: datetime
    sections: dict[str, dict[str, Figure | dict[str, Figure]]]

    @classmethod
    def of(cls, report: TransparencyReport) -> TransparencyOut:
        """Render a report."""
        return cls.model_validate(report_json(report))
