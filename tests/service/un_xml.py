"""UN Consolidated List XML documents built in code, for import tests."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Person:
    """An individual entry: its reference, names and an optional original-script name and birth year."""

    reference: str
    first: str
    second: str = ""
    original: str = ""
    year: str = ""
    program: str = "Al-Qaida"


def _individual(p: Person) -> str:
    original = f"<NAME_ORIGINAL_SCRIPT>{escape(p.original)}</NAME_ORIGINAL_SCRIPT>" if p.original else ""
    dob = (
        f"<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><YEAR>{p.year}</YEAR>"
        "</INDIVIDUAL_DATE_OF_BIRTH>"
        if p.year
        else "<INDIVIDUAL_DATE_OF_BIRTH/>"
    )
    return (
        "<INDIVIDUAL><DATAID>1</DATAID><VERSIONNUM>1</VERSIONNUM>"
        f"<FIRST_NAME>{escape(p.first)}</FIRST_NAME><SECOND_NAME>{escape(p.second)}</SECOND_NAME>"
        f"{original}<UN_LIST_TYPE>{p.program}</UN_LIST_TYPE>"
        f"<REFERENCE_NUMBER>{p.reference} </REFERENCE_NUMBER><LISTED_ON>2001-01-25</LISTED_ON>"
        "<COMMENTS1>Listed for participating in the financing of terrorist acts.</COMMENTS1>"
        "<LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>"
        "<INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>"
        f"{dob}<INDIVIDUAL_PLACE_OF_BIRTH/><INDIVIDUAL_DOCUMENT/></INDIVIDUAL>"
    )


def un_list(people: list[Person], generated: str = "2025-08-02T23:00:00.000Z") -> bytes:
    """A consolidated list holding these individuals and no entities."""
    body = "".join(_individual(p) for p in people)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<CONSOLIDATED_LIST dateGenerated="{generated}"><INDIVIDUALS>{body}</INDIVIDUALS>'
        "<ENTITIES/></CONSOLIDATED_LIST>"
    ).encode()
