"""Scoring a query against an entity: the name decides, dates, documents and the rest adjust."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from ctexchange.engines.names import score as score_module
from ctexchange.engines.names.compare import NameComparison, PreparedName
from ctexchange.engines.names.score import (
    BIRTH_DATE_EFFECT,
    compare_birth_dates,
    prepare_entity,
    prepare_query,
    score_entity,
    score_prepared,
    screen_many,
    screen_prepared,
)
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
        ("1975-01-02", BirthDate(DateKind.EXACT, "1951-06-19"), "different full dates"),
        ("1975-01-02", BirthDate(DateKind.EXACT, "1951"), "different"),
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
    assert other.explanation["nationality"]["contribution"] == pytest.approx(-0.10)
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


def test_full_dates_years_apart_lower_the_most() -> None:
    """Two full dates years apart lower more than a year alone, and a same-year mismatch in between."""
    assert BIRTH_DATE_EFFECT["different full dates"] < BIRTH_DATE_EFFECT["different"]
    assert BIRTH_DATE_EFFECT["different"] < BIRTH_DATE_EFFECT["same year, other day"] < 0
    result = score_entity(ScreeningQuery(PERSON, ("Ayman Zawahiri",), birth_dates=("1975-01-02",)), ZAWAHIRI)
    assert result.explanation["birth_date"]["contribution"] == pytest.approx(-0.25)


def test_prepared_scoring_equals_scoring() -> None:
    """Scoring a prepared query and entity gives what score_entity gives."""
    query = ScreeningQuery(PERSON, ("Zawahiri Ayman",), birth_dates=("1951",), nationalities=("EG",))
    assert score_prepared(prepare_query(query), prepare_entity(ZAWAHIRI)) == score_entity(query, ZAWAHIRI)


@settings(max_examples=60, deadline=None)
@given(st.lists(records(), min_size=1, max_size=4), names(), st.sampled_from([0.3, 0.5, 0.7, 0.9]))
def test_screening_returns_exactly_the_candidates_reaching_the_cutoff(
    entities: list[EntityRecord], name: str, cutoff: float
) -> None:
    """The bound skips only candidates below the cutoff: the result equals scoring every one."""
    query = ScreeningQuery(entities[0].schema, (name, entities[0].primary_name), birth_dates=("1970",))
    prepared = [(f"e{i}", prepare_entity(r)) for i, r in enumerate(entities)]
    expected = sorted(
        ((k, score_entity(query, r, 0.7)) for (k, _), r in zip(prepared, entities, strict=True)),
        key=lambda item: (-item[1].score, item[0]),
    )
    found = screen_prepared(prepare_query(query), prepared, 0.7, cutoff)
    assert found == [(k, s) for k, s in expected if s.score >= cutoff]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(names(), st.lists(records(), min_size=1, max_size=3)), min_size=1, max_size=5),
    st.sampled_from([0.3, 0.7]),
    st.sampled_from([1, 64, 1 << 16]),
)
def test_a_batch_screens_each_query_as_it_would_alone(
    tasks: list[tuple[str, list[EntityRecord]]], cutoff: float, elements: int
) -> None:
    """`screen_many` bounds the queries together (in chunks of any size): each query gets exactly
    what `screen_prepared` gives it alone, scores and explanations included."""
    batch = [
        (
            prepare_query(ScreeningQuery(entities[0].schema, (name,), birth_dates=("1970",))),
            [(f"e{i}", prepare_entity(r)) for i, r in enumerate(entities)],
        )
        for name, entities in tasks
    ]
    with mock.patch("ctexchange.engines.names.bounds.MAX_ELEMENTS", elements):
        together = screen_many(batch, 0.7, cutoff)
    assert together == [screen_prepared(query, candidates, 0.7, cutoff) for query, candidates in batch]


def test_names_that_cannot_reach_the_cutoff_are_not_compared() -> None:
    """Of an entity's names, only those that may reach the score it needs are aligned; the result is
    the one of comparing them all, the best name explained."""
    record = _record(
        EntityName("Ayman al-Zawahiri", NameType.PRIMARY, NameQuality.STRONG),
        EntityName("Abu Fatima", NameType.ALIAS, NameQuality.GOOD),
        EntityName("Abdul Muizz", NameType.ALIAS, NameQuality.LOW),
        EntityName("Ustaz", NameType.ALIAS, NameQuality.LOW),
    )
    entity = prepare_entity(record)
    query = prepare_query(ScreeningQuery(PERSON, ("Aiman Zawahri",)))
    compared: list[str] = []
    real = score_module.compare_prepared

    def spy(a: PreparedName, b: PreparedName) -> NameComparison:
        compared.append(b.text)
        return real(a, b)

    with mock.patch.object(score_module, "compare_prepared", spy):
        [(key, found)] = screen_prepared(query, [("z", entity)], 0.7)
    assert (key, found) == ("z", score_entity(query.query, record))
    assert compared == ["Ayman al-Zawahiri"]
    assert found.explanation["name"]["record_name"] == "Ayman al-Zawahiri"
