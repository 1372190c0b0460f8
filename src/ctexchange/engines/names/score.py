"""Scoring a screening query against one designated entity, with an explanation a person can read.

The name decides; the other features adjust. The score is the best name similarity between any query
name and any record name, plus bounded adjustments, clamped to [0, 1]:

- name (the base): `compare_names` times the quality of the record's name (strong and good 1.0, low
  0.9). An exact name is no proof, but it is the main evidence; a low-quality alias still counts, and a
  name in original script counts fully.
- birth_date: exact +0.08; same year (or month, at the precision both give) +0.04; inside a listed
  range +0.04; day and month swapped +0.03; a year apart (two for an approximate date) +0.01; same
  year but another day -0.10; further apart -0.15, and -0.25 when both are full dates. Dates are strong
  evidence both ways, the more so the more precise they are, but lists carry approximate and erroneous
  dates, so a mismatch lowers rather than vetoes. Two full dates years apart are the strongest sign of
  two people who share a name: common Chinese, Korean and Arabic names are shared by many.
- nationality: shared +0.03; both given and none shared -0.10. Weak, since people hold several and
  lists are incomplete; but for names that many people share (Kim Song Hun, Zhang Lei) it is one of the
  few facts that tell them apart.
- document: a number equal after normalising spaces, dashes and case +0.35. Near proof of identity:
  it lifts a weak name match over the default threshold.
- gender: both given and different -0.10. Rarely wrong on lists, but a transliterated name hides it.
- schema: a person queried against an organization, or the reverse, -0.35: a name shared by a person
  and a group is a weak hint, kept under the default threshold even when the names are equal.

A secondary feature alone cannot make a match: without a name score of at least 0.35 even a document
match stays below the default threshold of 0.7. Everything is deterministic: the same query and record
always give the same score and explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from ctexchange.domain.entities import (
    BirthDate,
    DateKind,
    EntityName,
    EntityRecord,
    EntitySchema,
    IdentityDocument,
    NameQuality,
    ScreeningQuery,
)
from ctexchange.engines.names.bounds import (
    ROUNDING_MARGIN,
    EntityBounds,
    QueryBounds,
    entity_bounds,
    may_reach_many,
    query_bounds,
)
from ctexchange.engines.names.compare import PreparedName, compare_prepared, prepare_name
from ctexchange.engines.names.normalize import normalize_document

DEFAULT_THRESHOLD = 0.7
QUALITY_FACTOR = {NameQuality.STRONG: 1.0, NameQuality.GOOD: 1.0, NameQuality.LOW: 0.9}
BIRTH_DATE_EFFECT = {
    "exact": 0.08,
    "same year": 0.04,
    "in range": 0.04,
    "day and month swapped": 0.03,
    "approximately": 0.01,
    "same year, other day": -0.10,
    "different": -0.15,
    "different full dates": -0.25,
}
NATIONALITY_SHARED = 0.03
NATIONALITY_DIFFERENT = -0.10
DOCUMENT_MATCH = 0.35
GENDER_DIFFERENT = -0.10
SCHEMA_DIFFERENT = -0.35
MIN_DOCUMENT_CHARS = 5

Explanation = dict[str, dict[str, object]]


@dataclass(frozen=True)
class ScreeningScore:
    """The score of one entity for one query, whether it reaches the threshold, and why."""

    score: float
    is_match: bool
    explanation: Mapping[str, Mapping[str, object]]


@dataclass(frozen=True, eq=False)
class PreparedEntity:
    """A listed entity with what scoring needs computed once: its names prepared, its documents
    normalised, its gender read (`prepare_entity`; the candidate index keeps one per entity)."""

    record: EntityRecord
    names: tuple[tuple[EntityName, PreparedName], ...]
    documents: tuple[tuple[str, IdentityDocument], ...]
    gender: str | None
    is_organization: bool
    bounds: EntityBounds
    best_quality: float
    birth_span: tuple[int, int] | None  # the years of birth listed, widened by two years each way
    has_full_dates: bool  # every date of birth listed is a full date
    nationalities: frozenset[str]
    long_documents: frozenset[str]  # normalised numbers of at least `MIN_DOCUMENT_CHARS`
    schema: EntitySchema

    @cached_property
    def name_bounds(self) -> tuple[EntityBounds, ...]:
        """The bound's view of each name alone (`bounds`), computed when first needed."""
        if len(self.names) == 1:
            return (self.bounds,)
        return tuple(entity_bounds([prepared]) for _, prepared in self.names)


def prepare_entity(record: EntityRecord) -> PreparedEntity:
    """Return `record` with its names prepared for comparison and its documents normalised."""
    is_organization = record.schema is EntitySchema.ORGANIZATION
    names = tuple((name, prepare_name(name.text, is_organization)) for name in record.names)
    documents = tuple((normalize_document(d.number), d) for d in record.documents)
    best_quality = max((QUALITY_FACTOR[name.quality] for name in record.names), default=1.0)
    bounds = entity_bounds(prepared for _, prepared in names)
    years = [int(d.start[:4]) for d in record.birth_dates] + [
        int(d.end[:4]) for d in record.birth_dates if d.end
    ]
    span = (min(years) - 2, max(years) + 2) if years else None
    long_documents = frozenset(n for n, _ in documents if len(n) >= MIN_DOCUMENT_CHARS)
    return PreparedEntity(
        record,
        names,
        documents,
        _gender(record.gender),
        is_organization,
        bounds,
        best_quality,
        span,
        bool(record.birth_dates) and all(_is_full(d) for d in record.birth_dates),
        frozenset(record.nationalities),
        long_documents,
        record.schema,
    )


@dataclass(frozen=True, eq=False)
class PreparedQuery:
    """A screening query with its names prepared (as a person's and as an organization's, on demand)."""

    query: ScreeningQuery

    @cached_property
    def person_names(self) -> tuple[PreparedName, ...]:
        """The query's names prepared as persons' names."""
        return tuple(prepare_name(name, False) for name in self.query.names)

    @cached_property
    def organization_names(self) -> tuple[PreparedName, ...]:
        """The query's names prepared as organizations' names (legal forms gone, acronyms known)."""
        return tuple(prepare_name(name, True) for name in self.query.names)

    @cached_property
    def documents(self) -> frozenset[str]:
        """The query's document numbers, normalised."""
        return frozenset(normalize_document(d) for d in self.query.documents)

    @cached_property
    def facts(self) -> QueryFacts:
        """What bounds the other features: years of birth, nationalities, documents and schema."""
        years = tuple(int(date[:4]) for date in self.query.birth_dates)
        full_dates = all(len(date) == 10 for date in self.query.birth_dates)
        nationalities = frozenset(c.upper() for c in self.query.nationalities)
        return years, full_dates, nationalities, self.documents, self.query.schema

    @cached_property
    def person_bounds(self) -> QueryBounds:
        """What `bounds` needs of the query's names as persons' names."""
        return query_bounds(self.person_names)

    @cached_property
    def organization_bounds(self) -> QueryBounds:
        """What `bounds` needs of the query's names as organizations' names."""
        return query_bounds(self.organization_names)

    def names_for(self, entity: PreparedEntity) -> tuple[PreparedName, ...]:
        """The query's names prepared as `entity`'s names are."""
        return self.organization_names if entity.is_organization else self.person_names


def prepare_query(query: ScreeningQuery | PreparedQuery) -> PreparedQuery:
    """Return `query` ready for `score_prepared` (a prepared query is returned as it is)."""
    return query if isinstance(query, PreparedQuery) else PreparedQuery(query)


def score_entity(
    query: ScreeningQuery, record: EntityRecord, threshold: float = DEFAULT_THRESHOLD
) -> ScreeningScore:
    """Score `record` for `query`: a number in [0, 1], `is_match` at `threshold` or more, and why."""
    return score_prepared(PreparedQuery(query), prepare_entity(record), threshold)


def screen_prepared(
    query: PreparedQuery,
    candidates: Sequence[tuple[str, PreparedEntity]],
    threshold: float = DEFAULT_THRESHOLD,
    cutoff: float | None = None,
) -> list[tuple[str, ScreeningScore]]:
    """Score the candidates that reach `cutoff` (default: the threshold), best first (ties by id).

    The others are not scored: an upper bound of their score (`bounds`) proves them below the cutoff.
    The result is exactly the candidates whose `score_prepared` is at least the cutoff.
    """
    return screen_many([(query, candidates)], threshold, cutoff)[0]


Candidates = Sequence[tuple[str, PreparedEntity]]


def screen_many(
    tasks: Sequence[tuple[PreparedQuery, Candidates]],
    threshold: float = DEFAULT_THRESHOLD,
    cutoff: float | None = None,
) -> list[list[tuple[str, ScreeningScore]]]:
    """`screen_prepared` for many queries, each with its candidates: the same result for each.

    The bounds of every query's candidates are computed together (`bounds.may_reach_many`), then,
    for the candidates that may reach the cutoff, the bound of each of their names alone: a name that
    cannot reach it cannot be the best of a candidate that does, so only the others are compared.
    """
    floor = threshold if cutoff is None else cutoff
    owners: list[tuple[int, PreparedQuery, list[tuple[str, PreparedEntity, float]]]] = []
    bound_tasks = []
    for position, (query, candidates) in enumerate(tasks):
        facts = query.facts
        groups: tuple[list[tuple[str, PreparedEntity, float]], ...] = ([], [])
        for key, entity in candidates:
            base = floor - ROUNDING_MARGIN - _most_added(facts, entity)  # what the name must bring
            if base <= entity.best_quality:  # otherwise even an exact name falls short
                groups[entity.is_organization].append((key, entity, base))
        for is_organization, group in enumerate(groups):
            if group:
                bounds = query.organization_bounds if is_organization else query.person_bounds
                lambdas = np.array([base / entity.best_quality for _, entity, base in group], np.float32)
                bound_tasks.append((bounds, [entity.bounds for _, entity, _ in group], lambdas))
                owners.append((position, query, group))
    reached: list[tuple[int, PreparedQuery, str, PreparedEntity, float]] = []
    for (position, query, group), reachable in zip(owners, may_reach_many(bound_tasks), strict=True):
        reached += [
            (position, query, key, entity, base)
            for (key, entity, base), is_reachable in zip(group, reachable.tolist(), strict=True)
            if is_reachable
        ]
    name_tasks = []
    for _, query, _, entity, base in reached:
        bounds = query.organization_bounds if entity.is_organization else query.person_bounds
        lambdas = np.array([base / QUALITY_FACTOR[name.quality] for name, _ in entity.names], np.float32)
        name_tasks.append((bounds, entity.name_bounds, lambdas))
    results: list[list[tuple[str, ScreeningScore]]] = [[] for _ in tasks]
    for (position, query, key, entity, _), names in zip(reached, may_reach_many(name_tasks), strict=True):
        if names.any():
            scored = score_prepared(query, entity, threshold, names)
            if scored.score >= floor:
                results[position].append((key, scored))
    return [sorted(kept, key=lambda item: (-item[1].score, item[0])) for kept in results]


QueryFacts = tuple[tuple[int, ...], bool, frozenset[str], frozenset[str], EntitySchema]


def _is_full(date: BirthDate) -> bool:
    return date.kind is DateKind.EXACT and len(date.start) == 10


def _most_added(facts: QueryFacts, entity: PreparedEntity) -> float:
    """An upper bound of what the features other than the name add (`secondary_features`).

    Dates of birth: the best effect, unless every date asked is more than two years from every year
    listed: then "different", or "different full dates" when all dates on both sides are full dates.
    Nationality, documents and schema: exact.
    """
    years, full_dates, nationalities, documents, schema = facts
    added = 0.0
    span = entity.birth_span
    if span is not None and years:
        low, high = span
        for year in years:
            if low <= year <= high:
                added = _DATE_BEST
                break
        else:
            added = _DATES_APART if full_dates and entity.has_full_dates else _DATE_APART
    if nationalities and entity.nationalities:
        added += (
            NATIONALITY_DIFFERENT if nationalities.isdisjoint(entity.nationalities) else NATIONALITY_SHARED
        )
    if documents and not documents.isdisjoint(entity.long_documents):
        added += DOCUMENT_MATCH
    if schema is not entity.schema:
        added += SCHEMA_DIFFERENT
    return added


_DATE_BEST = BIRTH_DATE_EFFECT["exact"]
_DATES_APART = BIRTH_DATE_EFFECT["different full dates"]
_DATE_APART = BIRTH_DATE_EFFECT["different"]


def score_prepared(
    query: PreparedQuery,
    entity: PreparedEntity,
    threshold: float = DEFAULT_THRESHOLD,
    names: npt.NDArray[np.bool_] | None = None,
) -> ScreeningScore:
    """Score a prepared entity for a prepared query; the same result as `score_entity`.

    `names` marks the entity's names worth comparing (`screen_many`: the others are proved unable to
    reach the score the entity needs); all of them by default.
    """
    explanation: Explanation = {"name": _name_feature(query, entity, names)}
    explanation.update(secondary_features(query, entity))
    total = sum(_contribution(item) for item in explanation.values())
    score = round(min(1.0, max(0.0, total)), 4)
    return ScreeningScore(score, score >= threshold, explanation)


def secondary_features(query: PreparedQuery, entity: PreparedEntity) -> Explanation:
    """The features other than the name that apply to this pair, each with its contribution."""
    explanation: Explanation = {}
    for feature in (_birth_date_feature, _nationality_feature, _document_feature, _gender_feature):
        found = feature(query, entity)
        if found is not None:
            explanation[found[0]] = found[1]
    record = entity.record
    if query.query.schema is not record.schema:
        explanation["schema"] = _effect(
            0.0, SCHEMA_DIFFERENT, f"a {query.query.schema.value} queried, a {record.schema.value} listed"
        )
    return explanation


def _contribution(item: Mapping[str, object]) -> float:
    value = item["contribution"]
    return value if isinstance(value, float) else 0.0


def _effect(score: float, contribution: float, detail: str) -> dict[str, object]:
    return {"score": score, "contribution": contribution, "detail": detail}


def _name_feature(
    query: PreparedQuery, entity: PreparedEntity, names: npt.NDArray[np.bool_] | None
) -> dict[str, object]:
    best: tuple[float, str, EntityName, float, str, tuple[tuple[str, str, float], ...]] | None = None
    compared = (
        entity.names
        if names is None
        else [n for n, keep in zip(entity.names, names.tolist(), strict=True) if keep]
    )
    for asked in query.names_for(entity):
        for name, prepared in compared:
            found = compare_prepared(asked, prepared)
            weighted = round(found.score * QUALITY_FACTOR[name.quality], 4)
            if best is None or weighted > best[0]:
                best = (weighted, asked.text, name, found.score, found.method, found.pairs)
    if best is None:
        return {"score": 0.0, "weight": 1.0, "contribution": 0.0, "detail": "no name to compare"}
    weighted, query_name, name, raw, method, pairs = best
    return {
        "score": weighted,
        "weight": 1.0,
        "contribution": weighted,
        "detail": (
            f"query name {query_name!r} ~ {name.type.value} name {name.text!r} ({name.quality.value}"
            f" quality): {raw:.2f}" + ("" if weighted == raw else f" x {QUALITY_FACTOR[name.quality]}")
        ),
        "query_name": query_name,
        "record_name": name.text,
        "name_type": name.type.value,
        "quality": name.quality.value,
        "method": method,
        "pairs": [list(pair) for pair in pairs],
    }


def _birth_date_feature(query: PreparedQuery, entity: PreparedEntity) -> tuple[str, dict[str, object]] | None:
    asked_dates, listed_dates = query.query.birth_dates, entity.record.birth_dates
    if not asked_dates or not listed_dates:
        return None
    outcomes = [
        (BIRTH_DATE_EFFECT[outcome], outcome, asked, _shown(listed))
        for asked in asked_dates
        for listed in listed_dates
        for outcome in [compare_birth_dates(asked, listed)]
    ]
    effect, outcome, asked, listed = max(outcomes, key=lambda o: o[0])
    score = 1.0 if effect > 0.02 else 0.5 if effect >= 0 else 0.0
    return "birth_date", _effect(score, effect, f"{asked} vs {listed}: {outcome}")


def compare_birth_dates(asked: str, listed: BirthDate) -> str:
    """Return how a queried partial date relates to a listed one (a key of `BIRTH_DATE_EFFECT`)."""
    year = int(asked[:4])
    if listed.kind is DateKind.BETWEEN and listed.end is not None:
        low, high = listed.start, listed.end
        if low[: len(asked)] <= asked[: len(low)] and asked[: len(high)] <= high[: len(asked)]:
            return "in range"
        return _by_year(year, int(low[:4]), int(high[:4]), slack=1)
    start = listed.start
    common = min(len(asked), len(start))
    if asked[:common] == start[:common]:
        return "exact" if common == 10 and listed.kind is DateKind.EXACT else "same year"
    if asked[:4] == start[:4]:
        if len(asked) == 10 == len(start) and (asked[5:7], asked[8:10]) == (start[8:10], start[5:7]):
            return "day and month swapped"
        return "same year, other day"
    outcome = _by_year(
        year, int(start[:4]), int(start[:4]), slack=2 if listed.kind is DateKind.APPROXIMATE else 1
    )
    if outcome == "different" and len(asked) == 10 == len(start) and listed.kind is DateKind.EXACT:
        return "different full dates"
    return outcome


def _by_year(year: int, low: int, high: int, *, slack: int) -> str:
    if low <= year <= high:
        return "same year"
    return "approximately" if low - slack <= year <= high + slack else "different"


def _shown(date: BirthDate) -> str:
    if date.kind is DateKind.BETWEEN:
        return f"between {date.start} and {date.end}"
    return date.start if date.kind is DateKind.EXACT else f"about {date.start}"


def _nationality_feature(
    query: PreparedQuery, entity: PreparedEntity
) -> tuple[str, dict[str, object]] | None:
    asked = {c.upper() for c in query.query.nationalities}
    listed = set(entity.record.nationalities)
    if not asked or not listed:
        return None
    shared = sorted(asked & listed)
    if shared:
        return "nationality", _effect(1.0, NATIONALITY_SHARED, f"shared: {', '.join(shared)}")
    detail = f"{', '.join(sorted(asked))} vs {', '.join(sorted(listed))}"
    return "nationality", _effect(0.0, NATIONALITY_DIFFERENT, detail)


def _document_feature(query: PreparedQuery, entity: PreparedEntity) -> tuple[str, dict[str, object]] | None:
    asked = query.documents
    for number, document in entity.documents:
        if len(number) >= MIN_DOCUMENT_CHARS and number in asked:
            detail = f"{document.type} {document.number}" + (
                f" ({document.country})" if document.country else ""
            )
            return "document", _effect(1.0, DOCUMENT_MATCH, f"same number: {detail}")
    return None


def _gender_feature(query: PreparedQuery, entity: PreparedEntity) -> tuple[str, dict[str, object]] | None:
    asked, listed = _gender(query.query.gender), entity.gender
    if asked is None or listed is None:
        return None
    if asked == listed:
        return "gender", _effect(1.0, 0.0, f"both {asked}")
    return "gender", _effect(0.0, GENDER_DIFFERENT, f"{asked} vs {listed}")


def _gender(raw: str | None) -> str | None:
    text = (raw or "").strip().lower()
    if text in ("m", "male", "man", "masculine"):
        return "male"
    if text in ("f", "female", "woman", "feminine"):
        return "female"
    return None
