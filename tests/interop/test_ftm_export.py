"""FollowTheMoney export: a designated entity out as FtM JSON lines and back in through our FtM importer."""

from __future__ import annotations

import json

from ctexchange.domain.entities import (
    BirthDate,
    DateKind,
    EntityName,
    EntityRecord,
    EntitySchema,
    IdentityDocument,
    Listing,
    NameQuality,
    NameType,
)
from ctexchange.interop.ftm import ftm_entities, ftm_party_id, parse_ftm

PERSON = EntityRecord(
    EntitySchema.PERSON,
    (
        EntityName("Ahmad Khalayleh"),
        EntityName("أحمد الخلايلة", NameType.ORIGINAL_SCRIPT),
        EntityName("Abu Musab", NameType.ALIAS, NameQuality.GOOD),
        EntityName("Garib", NameType.ALIAS, NameQuality.LOW),
        EntityName("Ahmad Fadil", NameType.FORMER, NameQuality.GOOD),
    ),
    Listing(
        "UN Security Council Consolidated List",
        "QDi.900",
        program="Al-Qaida",
        listed_on="2001-10-17",
        legal_basis="UNSC resolution 1267 (1999)",
        narrative="Leader of a designated group.",
    ),
    birth_dates=(BirthDate(DateKind.EXACT, "1966-10-20"), BirthDate(DateKind.APPROXIMATE, "1970")),
    birth_places=("Zarqa, Jordan",),
    nationalities=("JO", "SY"),
    documents=(IdentityDocument("passportNumber", "Z264958"), IdentityDocument("National ID", "9661034")),
    addresses=("Amman, Jordan",),
    gender="male",
)
ORGANIZATION = EntityRecord(
    EntitySchema.ORGANIZATION,
    (EntityName("Example Front"), EntityName("EF", NameType.ALIAS, NameQuality.GOOD)),
    Listing("UN Security Council Consolidated List", "QDe.115", program="Al-Qaida"),
    nationalities=("IQ",),
)
TIMES = ("2026-11-01T00:00:00.000000Z", "2026-11-02T00:00:00.000000Z")


def _lines(*records: EntityRecord) -> bytes:
    used: set[str] = set()
    entities = [
        e
        for n, r in enumerate(records)
        for e in ftm_entities(r, ftm_party_id(r.listing.reference, str(n), used), "ctexchange", *TIMES)
    ]
    return "\n".join(json.dumps(e, ensure_ascii=False) for e in entities).encode("utf-8")


def test_a_person_is_a_party_with_its_sanction_as_yente_indexes_them() -> None:
    """The party has the FtM properties yente matches on, topics sanction, and a Sanction names it."""
    party, sanction = (json.loads(line) for line in _lines(PERSON).splitlines())
    assert (party["id"], party["schema"], party["target"], party["datasets"]) == (
        "QDi.900",
        "Person",
        True,
        ["ctexchange"],
    )
    props = party["properties"]
    assert props["name"] == ["Ahmad Khalayleh", "أحمد الخلايلة"]
    assert (props["alias"], props["weakAlias"], props["previousName"]) == (
        ["Abu Musab"],
        ["Garib"],
        ["Ahmad Fadil"],
    )
    assert props["birthDate"] == ["1966-10-20", "1970"]
    assert props["nationality"] == ["jo", "sy"]
    assert (props["passportNumber"], props["idNumber"]) == (["Z264958"], ["9661034"])
    assert props["topics"] == ["sanction"]
    assert props["notes"] == ["Leader of a designated group."]
    assert party["caption"] == "Ahmad Khalayleh"
    assert sanction["schema"] == "Sanction" and sanction["properties"]["entity"] == ["QDi.900"]
    assert sanction["properties"]["listingDate"] == ["2001-10-17"]
    assert sanction["properties"]["authority"] == ["UN Security Council Consolidated List"]


def test_export_then_import_keeps_what_ftm_carries() -> None:
    """Through our FtM importer: names, dates, countries, documents and the listing come back."""
    parsed = parse_ftm(_lines(PERSON, ORGANIZATION), "UN Security Council Consolidated List")
    back = {r.listing.reference: r for r in parsed.records}
    for original in (PERSON, ORGANIZATION):
        again = back[original.listing.reference]
        assert again.schema is original.schema
        assert {n.text for n in again.names} == {n.text for n in original.names}
        assert {(n.text, n.type) for n in again.names if n.type is not NameType.PRIMARY} == {
            (n.text, n.type) for n in original.names if n.type in (NameType.ALIAS, NameType.FORMER)
        }
        assert again.nationalities == original.nationalities
        assert {d.number for d in again.documents} == {d.number for d in original.documents}
        assert again.listing.program == original.listing.program
        assert again.listing.listed_on == original.listing.listed_on
        assert again.listing.narrative == original.listing.narrative
        assert again.listing.legal_basis == original.listing.legal_basis
    person = back["QDi.900"]
    assert [b.start for b in person.birth_dates] == ["1966-10-20", "1970"]
    assert (person.gender, person.birth_places, person.addresses) == (
        "male",
        PERSON.birth_places,
        PERSON.addresses,
    )


def test_a_reference_used_twice_gets_a_unique_id() -> None:
    """Two entities with one reference (two collections) get distinct ids, so the importer takes both."""
    used: set[str] = set()
    assert ftm_party_id("QDe.115", "a1", used) == "QDe.115"
    assert ftm_party_id("QDe.115", "b2", used) == "QDe.115-b2"
    assert len(parse_ftm(_lines(ORGANIZATION, ORGANIZATION), "UN").records) == 2
