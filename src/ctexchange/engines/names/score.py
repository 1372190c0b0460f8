"""Scoring a screening query against one designated entity, with an explanation a person can read.

The name decides; the other features adjust. The score is the best name similarity between any query
name and any record name, plus bounded adjustments, clamped to [0, 1]:

- name (the base): `compare_names` times the quality of the record's name (strong and good 1.0, low
  0.9). An exact name is no proof, but it is the main evidence; a low-quality alias still counts, and a
  name in original script counts fully.
- birth_date: exact +0.08; same year (or month, at the precision both give) +0.04; inside a listed
  range +0.04; day and month swapped +0.03; a year apart (two for an approximate date) +0.01; same
  year but another day -0.05; further apart -0.15. Dates are strong evidence both ways, but lists carry
  approximate and erroneous dates, so a mismatch lowers rather than vetoes.
- nationality: shared +0.03; both given and none shared -0.05. Weak: people hold several, lists are
  incomplete.
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

from collections.abc import Mapping
from dataclasses import dataclass

from ctexchange.domain.entities import (
    BirthDate,
    DateKind,
    EntityName,
    EntityRecord,
    EntitySchema,
    NameQuality,
    ScreeningQuery,
)
from ctexchange.engines.names.compare import compare_names
from ctexchange.engines.names.normalize import normalize_document

DEFAULT_THRESHOLD = 0.7
QUALITY_FACTOR = {NameQuality.STRONG: 1.0, NameQuality.GOOD: 1.0, NameQuality.LOW: 0.9}
BIRTH_DATE_EFFECT = {
    "exact": 0.08,
    "same year": 0.04,
    "in range": 0.04,
    "day and month swapped": 0.03,
    "approximately": 0.01,
    "same year, other day": -0.05,
    "different": -0.15,
}
NATIONALITY_SHARED = 0.03
NATIONALITY_DIFFERENT = -0.05
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


def score_entity(
    query: ScreeningQuery, record: EntityRecord, threshold: float = DEFAULT_THRESHOLD
) -> ScreeningScore:
    """Score `record` for `query`: a number in [0, 1], `is_match` at `threshold` or more, and why."""
    explanation: Explanation = {"name": _name_feature(query, record)}
    for feature in (_birth_date_feature, _nationality_feature, _document_feature, _gender_feature):
        found = feature(query, record)
        if found is not None:
            explanation[found[0]] = found[1]
    if query.schema is not record.schema:
        explanation["schema"] = _effect(
            0.0, SCHEMA_DIFFERENT, f"a {query.schema.value} queried, a {record.schema.value} listed"
        )
    total = sum(_contribution(item) for item in explanation.values())
    score = round(min(1.0, max(0.0, total)), 4)
    return ScreeningScore(score, score >= threshold, explanation)


def _contribution(item: Mapping[str, object]) -> float:
    value = item["contribution"]
    return value if isinstance(value, float) else 0.0


def _effect(score: float, contribution: float, detail: str) -> dict[str, object]:
    return {"score": score, "contribution": contribution, "detail": detail}


def _name_feature(query: ScreeningQuery, record: EntityRecord) -> dict[str, object]:
    is_organization = record.schema is EntitySchema.ORGANIZATION
    best: tuple[float, str, EntityName, float, str, tuple[tuple[str, str, float], ...]] | None = None
    for query_name in query.names:
        for name in record.names:
            found = compare_names(query_name, name.text, is_organization=is_organization)
            weighted = round(found.score * QUALITY_FACTOR[name.quality], 4)
            if best is None or weighted > best[0]:
                best = (weighted, query_name, name, found.score, found.method, found.pairs)
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


def _birth_date_feature(query: ScreeningQuery, record: EntityRecord) -> tuple[str, dict[str, object]] | None:
    if not query.birth_dates or not record.birth_dates:
        return None
    outcomes = [
        (BIRTH_DATE_EFFECT[outcome], outcome, asked, _shown(listed))
        for asked in query.birth_dates
        for listed in record.birth_dates
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
    return _by_year(
        year, int(start[:4]), int(start[:4]), slack=2 if listed.kind is DateKind.APPROXIMATE else 1
    )


def _by_year(year: int, low: int, high: int, *, slack: int) -> str:
    if low <= year <= high:
        return "same year"
    return "approximately" if low - slack <= year <= high + slack else "different"


def _shown(date: BirthDate) -> str:
    if date.kind is DateKind.BETWEEN:
        return f"between {date.start} and {date.end}"
    return date.start if date.kind is DateKind.EXACT else f"about {date.start}"


def _nationality_feature(query: ScreeningQuery, record: EntityRecord) -> tuple[str, dict[str, object]] | None:
    asked = {c.upper() for c in query.nationalities}
    listed = set(record.nationalities)
    if not asked or not listed:
        return None
    shared = sorted(asked & listed)
    if shared:
        return "nationality", _effect(1.0, NATIONALITY_SHARED, f"shared: {', '.join(shared)}")
    detail = f"{', '.join(sorted(asked))} vs {', '.join(sorted(listed))}"
    return "nationality", _effect(0.0, NATIONALITY_DIFFERENT, detail)


def _document_feature(query: ScreeningQuery, record: EntityRecord) -> tuple[str, dict[str, object]] | None:
    asked = {normalize_document(d) for d in query.documents}
    for document in record.documents:
        number = normalize_document(document.number)
        if len(number) >= MIN_DOCUMENT_CHARS and number in asked:
            detail = f"{document.type} {document.number}" + (
                f" ({document.country})" if document.country else ""
            )
            return "document", _effect(1.0, DOCUMENT_MATCH, f"same number: {detail}")
    return None


def _gender_feature(query: ScreeningQuery, record: EntityRecord) -> tuple[str, dict[str, object]] | None:
    asked, listed = _gender(query.gender), _gender(record.gender)
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
