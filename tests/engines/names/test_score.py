"""Scoring a query against an entity: the name decides, dates, documents and the rest adjust."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

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
    ScreeningQuery,
)
from ctexchange.engines.names.score import compare_birth_dates, score_entity
from tests.engines.names.strategies import names, records

PERSON = EntitySchema.PERSON


def _record(
    *names: EntityName,
    birth_dates: tuple[BirthDate, ...] = (),
    nationalities: tuple[str, ...] = (),
    documents: tuple[IdentityDocument, ...] = (),
    gender: str | None = None,
    schema: EntitySchema = PERSON,
) -> EntityRecord:
    return EntityRecord(
        schema=schema,
        names=names,
        listing=Listing(source="UN", reference="QDi.001"),
        birth_dates=birth_dates,
        nationalities=nationalities,
        documents=documents,
        gender=gender,
    )


ZAWAHIRI = _record(
    EntityName("AYMAN MUHAMMED RABI AL-ZAWAHIRI"),
    EntityName("أيمن محمد ربيع الظواهري", NameType.ORIGINAL_SCRIPT),
    EntityName("Abu Muhammad", NameType.ALIAS, NameQuality.LOW),
    birth_dates=(BirthDate(DateKind.EXACT, "1951-06-19"),),
    nationalities=("EG",),
    documents=(IdentityDocument("passport", "1084010", "EG"),),
    gender="male",
)


def test_the_best_name_pair_is_explained() -> None:
    """The explanation names the query name, the record name it matched, its type and quality."""
    result = score_entity(ScreeningQuery(PERSON, ("Zawahiri Ayman", "أيمن الظواهري")), ZAWAHIRI)
    name = result.explanation["name"]
    assert result.is_match
    assert name["record_name"] in ("AYMAN MUHAMMED RABI AL-ZAWAHIRI", "أيمن محمد ربيع الظواهري")
    assert name["name_type"] in ("primary", "original_script")
    assert name["quality"] == "strong"
    assert isinstance(name["pairs"], list) and name["pairs"]
    assert name["contribution"] == name["score"]


def test_a_low_quality_alias_counts_but_weighs_less() -> None:
    """A match on a low-quality alias scores 0.9 of the same match on a strong name."""
    result = score_entity(ScreeningQuery(PERSON, ("Abu Muhammad",)), ZAWAHIRI)
    assert result.explanation["name"]["name_type"] == "alias"
    assert result.score == pytest.approx(0.9)
    assert result.is_match


def test_original_script_names_count_fully() -> None:
    """The name in original script is as strong as the primary name."""
    result = score_entity(ScreeningQuery(PERSON, ("أيمن محمد ربيع الظواهري",)), ZAWAHIRI)
    assert result.score == 1.0


@pytest.mark.parametrize(
    ("asked", "listed", "outcome"),
    [
        ("1951-06-19", BirthDate(DateKind.EXACT, "1951-06-19"), "exact"),
        ("1951", BirthDate(DateKind.EXACT, "1951-06-19"), "same year"),
        ("1951-06", BirthDate(DateKind.EXACT, "1951-06-19"), "same year"),
        ("1951-06-19", BirthDate(DateKind.APPROXIMATE, "1951"), "same year"),
        ("1952", BirthDate(DateKind.EXACT, "1951-06-19"), "approximately"),
        ("1953", BirthDate(DateKind.APPROXIMATE, "1951"), "approximately"),
        ("1960-05-01", BirthDate(DateKind.BETWEEN, "1958", "1962"), "in range"),
        ("1962-12-31", BirthDate(DateKind.BETWEEN, "1958", "1962"), "in range"),
        ("1963", BirthDate(DateKind.BETWEEN, "1958", "1962"), "approximately"),
        ("1951-01-06", BirthDate(DateKind.EXACT, "1951-06-01"), "day and month swapped"),
        ("1951-07-19", BirthDate(DateKind.EXACT, "1951-06-19"), "same year, other day"),
        ("1975", BirthDate(DateKind.EXACT, "1951-06-19"), "different"),
        ("1970", BirthDate(DateKind.BETWEEN, "1958", "1962"), "different"),
    ],
)
def test_birth_date_outcomes(asked: str, listed: BirthDate, outcome: str) -> None:
    """Exact, partial, approximate, ranged and swapped dates are told apart from a clear mismatch."""
    assert compare_birth_dates(asked, listed) == outcome


def test_birth_dates_raise_and_lower_the_score() -> None:
    """A matching date of birth raises the score, a clear mismatch lowers it."""
    base = score_entity(ScreeningQuery(PERSON, ("Ayman Zawahiri",)), ZAWAHIRI).score
    same = score_entity(ScreeningQuery(PERSON, ("Ayman Zawahiri",), birth_dates=("1951-06-19",)), ZAWAHIRI)
    other = score_entity(ScreeningQuery(PERSON, ("Ayman Zawahiri",), birth_dates=("1975",)), ZAWAHIRI)
    assert other.score < base < same.score
    assert other.explanation["birth_date"]["contribution"] == pytest.approx(-0.15)
    assert "1975 vs 1951-06-19: different" in str(other.explanation["birth_date"]["detail"])


def test_a_document_number_is_strong_evidence() -> None:
    """A passport number equal after normalising lifts a weak name match over the threshold."""
    query = ScreeningQuery(PERSON, ("Rabi Hamdan",), documents=("10-84 010",))
    without = score_entity(ScreeningQuery(PERSON, ("Rabi Hamdan",)), ZAWAHIRI)
    result = score_entity(query, ZAWAHIRI)
    assert result.explanation["document"]["contribution"] == pytest.approx(0.35)
    assert result.score == pytest.approx(min(1.0, without.score + 0.35))
    assert result.is_match and not without.is_match


def test_nationality_and_gender() -> None:
    """A shared nationality raises a little, another one lowers a little; another gender lowers."""
    name = ("Ayman al-Zawahiri",)
    shared = score_entity(ScreeningQuery(PERSON, name, nationalities=("EG",)), ZAWAHIRI)
    other = score_entity(ScreeningQuery(PERSON, name, nationalities=("FR",), gender="female"), ZAWAHIRI)
    assert shared.explanation["nationality"]["contribution"] == pytest.approx(0.03)
    assert other.explanation["nationality"]["contribution"] == pytest.approx(-0.05)
    assert other.explanation["gender"]["contribution"] == pytest.approx(-0.10)
    assert other.score < shared.score


def test_schema_mismatch_lowers_the_score() -> None:
    """A person queried against an organization of the same name is a weak hint, not a match."""
    group = _record(EntityName("Al-Nusrah Front"), schema=EntitySchema.ORGANIZATION)
    result = score_entity(ScreeningQuery(PERSON, ("Al-Nusrah Front",)), group)
    assert result.explanation["schema"]["contribution"] == pytest.approx(-0.35)
    assert not result.is_match


def test_organizations_compare_without_legal_forms() -> None:
    """Organization records compare names without legal forms and with acronyms."""
    company = _record(EntityName("HUAXIN SHIPPING HONGKONG LTD"), schema=EntitySchema.ORGANIZATION)
    query = ScreeningQuery(EntitySchema.ORGANIZATION, ("Huaxin Shipping Hongkong Limited",))
    assert score_entity(query, company).score == 1.0
    isil = _record(EntityName("Islamic State in Iraq and the Levant"), schema=EntitySchema.ORGANIZATION)
    assert score_entity(ScreeningQuery(EntitySchema.ORGANIZATION, ("ISIL",)), isil).is_match


def test_threshold_decides_is_match() -> None:
    """is_match is the score compared with the threshold given."""
    query = ScreeningQuery(PERSON, ("Abu Muhammad",))
    assert score_entity(query, ZAWAHIRI, threshold=0.95).is_match is False
    assert score_entity(query, ZAWAHIRI, threshold=0.9).is_match is True


@settings(max_examples=60, deadline=None)
@given(records(), names())
def test_score_is_deterministic_and_bounded(record: EntityRecord, name: str) -> None:
    """The same query and record always give the same score and explanation, in [0, 1]."""
    query = ScreeningQuery(
        record.schema, (name, record.primary_name), birth_dates=("1970",), documents=("X1",)
    )
    first, second = score_entity(query, record), score_entity(query, record)
    assert first == second
    assert 0.0 <= first.score <= 1.0
    assert score_entity(ScreeningQuery(record.schema, (record.primary_name,)), record).score >= 0.9 * 0.85
