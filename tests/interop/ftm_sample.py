"""A FollowTheMoney cluster built in code: two sanctioned parties, their sanctions, and non-party entities.

It stands in for a real OpenSanctions export (whose data is licensed CC BY-NC, unsuitable to ship with an
Apache-licensed project): the shapes are FollowTheMoney's, the people and companies are invented.
"""

from __future__ import annotations

import json
from typing import Any

COMPANY = "sample-company-1"
PERSON = "sample-person-1"
SOURCE = "Sample national list"


def _entity(entity_id: str, schema: str, caption: str = "", **properties: list[str]) -> dict[str, Any]:
    return {"id": entity_id, "schema": schema, "caption": caption, "properties": properties}


ENTITIES: list[dict[str, Any]] = [
    _entity(
        COMPANY,
        "Company",
        "LLC Northwind Aero",
        name=["Northwind Aero Group", "LLC Northwind Aero"],
        alias=["Northwind Aviation"],
        weakAlias=["NWA", "NW LLC"],
        country=["ru"],
        registrationNumber=["1027700000000"],
        createdAt=["2022-03-01"],
    ),
    _entity(
        PERSON,
        "Person",
        "Irina Petrovna VOLKOVA",
        name=["Irina Petrovna VOLKOVA", "Ирина Петровна Волкова"],
        birthDate=["1988-01-07"],
        nationality=["ru"],
        gender=["female"],
        idNumber=["183116181362"],
        innCode=["183116181362"],
        birthPlace=["Izhevsk"],
        notes=["Director of LLC Northwind Aero."],
    ),
    _entity(
        "sample-sanction-1",
        "Sanction",
        entity=[COMPANY],
        programId=["EU-UKR"],
        program=["Council Regulation (EU) No 269/2014"],
        listingDate=["2022-03-01"],
        reason=["Supplies unmanned aerial vehicles used in attacks on civilians."],
    ),
    _entity(
        "sample-sanction-2",
        "Sanction",
        entity=[PERSON],
        programId=["GB-RUS"],
        program=["The Russia (Sanctions) (EU Exit) Regulations 2019"],
        listingDate=["2025-02-13"],
        reason=["Involved in the supply and manufacturing of military weapons."],
    ),
    _entity(
        "sample-sanction-3",
        "Sanction",
        entity=[PERSON],
        programId=["EU-UKR"],
        program=["Council Regulation (EU) No 269/2014"],
        listingDate=["2025-05-20"],
    ),
    _entity("sample-address-1", "Address", full=["1 Aviation Street, Izhevsk"]),
    _entity("sample-directorship-1", "Directorship", director=[PERSON], organization=[COMPANY]),
]


def sample_ftm() -> bytes:
    """The cluster as FollowTheMoney JSON lines."""
    return b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in ENTITIES)
