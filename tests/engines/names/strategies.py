"""Hypothesis strategies for the names engine: names in four scripts, and entity records."""

from __future__ import annotations

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
)

LATIN_WORDS = ("mohammed", "abdul", "rahman", "al-masri", "bin", "ivanov", "omar", "de", "la", "jin", "x")
ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyzéüçñ",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويةىأإآءکیگ",
    "абвгдеёжзийклмнопрстуфхцчшщыьэюя",
    "王李张刘陈杨黄赵金铁三习近平",
)


@st.composite
def words(draw: st.DrawFn) -> str:
    """A word of one script, or a common Latin name word."""
    if draw(st.booleans()):
        return draw(st.sampled_from(LATIN_WORDS))
    alphabet = draw(st.sampled_from(ALPHABETS))
    return draw(st.text(alphabet=alphabet, min_size=1, max_size=8))


def names() -> st.SearchStrategy[str]:
    """A name of one to five words, possibly mixing scripts, cases and punctuation."""
    separator = st.sampled_from([" ", "-", ", ", ". ", " \u200c"])
    return st.lists(st.tuples(words(), separator), min_size=1, max_size=5).map(
        lambda parts: "".join(w + s for w, s in parts).strip(" ,.-\u200c") or "x"
    )


def any_text() -> st.SearchStrategy[str]:
    """Any short text at all: the comparison must not fail on it."""
    return st.text(max_size=30)


@st.composite
def records(draw: st.DrawFn, reference: str = "T.001") -> EntityRecord:
    """An entity record with one to three names and a few qualifiers."""
    schema = draw(st.sampled_from(list(EntitySchema)))
    texts = draw(st.lists(names(), min_size=1, max_size=3))
    kinds = [NameType.PRIMARY] + [draw(st.sampled_from(list(NameType))) for _ in texts[1:]]
    qualities = [draw(st.sampled_from(list(NameQuality))) for _ in texts]
    years = draw(st.lists(st.integers(1940, 2005), max_size=2))
    documents = draw(st.lists(st.from_regex(r"[A-Z]{1,2}[0-9]{5,7}", fullmatch=True), max_size=1))
    return EntityRecord(
        schema=schema,
        names=tuple(EntityName(t, k, q) for t, k, q in zip(texts, kinds, qualities, strict=True)),
        listing=Listing(source="test", reference=reference),
        birth_dates=tuple(BirthDate(DateKind.EXACT, str(y)) for y in years),
        nationalities=tuple(draw(st.lists(st.sampled_from(["SY", "IQ", "RU", "CN"]), max_size=2))),
        documents=tuple(IdentityDocument("passport", d) for d in documents),
        gender=draw(st.sampled_from([None, "male", "female"])),
    )
