"""Text fingerprints, the brute-force comparison and the text index (incremental, persisted, exact)."""

from __future__ import annotations

import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.engines.content import text_index
from ctexchange.engines.content.text_index import (
    DEFAULT,
    TextFingerprint,
    TextIndex,
    TextMatch,
    TextMatchSettings,
    compare,
    fingerprint,
    fingerprint_tokens,
)
from ctexchange.errors import InvalidInput, PayloadTooLarge

# Words for texts built in code: a vocabulary per script, from sentences written for these tests.
SENTENCES = {
    "en": "the council met on monday to discuss new rules for water supply in villages near the river",
    "ar": "اجتمع المجلس يوم الاثنين لمناقشة قواعد جديدة لتوزيع المياه في القرى القريبة من النهر",
    "ru": "совет собрался в понедельник чтобы обсудить новые правила подачи воды в деревни у реки",
    "zh": "委员会星期一开会讨论河边村庄供水的新规则和用水安排",
}
VOCABULARY = {lang: list(text) if lang == "zh" else text.split() for lang, text in SENTENCES.items()}


def words(rng: random.Random, count: int, language: str = "en") -> list[str]:
    """`count` random words of one language (with a numbered suffix, so texts rarely repeat by chance)."""
    vocabulary = VOCABULARY[language]
    if language == "zh":
        return [rng.choice(vocabulary) for _ in range(count)]
    return [f"{rng.choice(vocabulary)}{rng.randrange(50)}" for _ in range(count)]


def join(units: list[str], language: str = "en") -> str:
    """Text from words: Chinese is written without spaces."""
    return "".join(units) if language == "zh" else " ".join(units)


def substitute(units: list[str], rate: float, rng: random.Random, language: str = "en") -> list[str]:
    """Replace round(rate * n) distinct words with random ones."""
    edited = list(units)
    for i in rng.sample(range(len(units)), round(rate * len(units))):
        edited[i] = words(rng, 1, language)[0] + "x"
    return edited


@pytest.mark.parametrize("language", sorted(VOCABULARY))
def test_edited_copy_is_a_near_duplicate(language: str) -> None:
    """A copy with 10 % of its words changed is a near-duplicate scoring about the share of words kept."""
    rng = random.Random(7)
    original = words(rng, 300, language)
    found = compare(
        fingerprint(join(substitute(original, 0.1, rng, language), language)),
        fingerprint(join(original, language)),
    )
    assert found is not None
    assert found.match_type == "near_duplicate"
    assert 0.8 <= found.score <= 1.0


def test_evasion_is_seen_through() -> None:
    """Case, accents, tashkeel, tatweel, zero-width and bidi characters do not change the fingerprint."""
    plain = "المجلس يناقش قواعد جديدة لتوزيع المياه على القرى القريبة من النهر the Council meets"
    evasive = (
        "المَجْلِسُ يناقـــش\u200b قواعد جديدة\u202e لتوزيع المياه"
        " على القرى القريبة من النهر THE Cóuncil me\u200dets"
    )
    assert fingerprint(evasive) == fingerprint(plain)
    found = compare(fingerprint(evasive), fingerprint(plain))
    assert found is not None
    assert (found.match_type, found.score, found.query_coverage, found.document_coverage) == (
        "near_duplicate",
        1.0,
        1.0,
        1.0,
    )


def test_traditional_copy_of_chinese_text_matches() -> None:
    """A traditional-character copy of a simplified Chinese text is the same text."""
    simplified = "委员会星期一开会讨论河边村庄供水的新规则，并决定发展经济和保护图书馆。"
    traditional = "委員會星期一開會討論河邊村莊供水的新規則，並決定發展經濟和保護圖書館。"
    assert fingerprint(traditional) == fingerprint(simplified)


@pytest.mark.parametrize("language", sorted(VOCABULARY))
def test_quote_inside_a_longer_post_is_containment(language: str) -> None:
    """A 45-word passage of a bank text quoted inside an unrelated longer post is found, both ways."""
    rng = random.Random(11)
    bank = words(rng, 400, language)
    post = words(rng, 150, language) + bank[200:245] + words(rng, 150, language)
    found = compare(fingerprint(join(post, language)), fingerprint(join(bank, language)))
    assert found is not None
    assert found.match_type == "containment"
    assert 35 <= found.overlap_words <= 60
    assert found.query_coverage < 0.3
    assert found.document_coverage < 0.3
    reverse = compare(fingerprint(join(bank, language)), fingerprint(join(post, language)))
    assert reverse is not None
    assert (reverse.query_coverage, reverse.document_coverage) == (
        found.document_coverage,
        found.query_coverage,
    )


def test_passage_query_of_a_long_document_is_containment() -> None:
    """A 60-word passage queried alone finds the long bank text it comes from."""
    rng = random.Random(12)
    bank = words(rng, 500)
    found = compare(fingerprint(join(bank[100:160])), fingerprint(join(bank)))
    assert found is not None
    assert found.match_type == "containment"
    assert found.query_coverage == 1.0


def test_short_bank_text_inside_a_post_is_containment() -> None:
    """A 25-word bank text (shorter than a quote) found whole inside a long post is containment."""
    rng = random.Random(13)
    slogan = words(rng, 25)
    post = words(rng, 200) + slogan + words(rng, 200)
    found = compare(fingerprint(join(post)), fingerprint(join(slogan)))
    assert found is not None
    assert found.match_type == "containment"
    assert found.score == found.document_coverage == 1.0


def test_one_line_sign_off_inside_a_post_is_not_evidence() -> None:
    """A 12-word text inside a long post does not match: footers and sign-offs are too common."""
    rng = random.Random(14)
    footer = words(rng, 12)
    assert (
        compare(fingerprint(join(words(rng, 200) + footer + words(rng, 200))), fingerprint(join(footer)))
        is None
    )


def test_scattered_shared_phrases_are_not_a_quote() -> None:
    """Two long texts sharing five 12-word phrases far apart (one story told twice) do not match."""
    rng = random.Random(15)
    phrases = [words(rng, 12) for _ in range(5)]
    first = [w for phrase in phrases for w in words(rng, 70) + phrase]
    second = [w for phrase in phrases for w in phrase + words(rng, 70)]
    a, b = fingerprint(join(first)), fingerprint(join(second))
    shared = len(np.intersect1d(a.hashes, b.hashes))
    assert shared >= DEFAULT.quote_fingerprints  # a plain count would call it a quote
    assert compare(a, b) is None


def test_unrelated_texts_do_not_match() -> None:
    """Texts drawn independently share nothing worth a match."""
    rng = random.Random(16)
    assert compare(fingerprint(join(words(rng, 300))), fingerprint(join(words(rng, 300)))) is None


def test_short_texts_match_only_whole() -> None:
    """A text shorter than a shingle has one fingerprint and matches only the same words."""
    assert len(fingerprint("Hello world").hashes) == 1
    assert compare(fingerprint("hello, WORLD!"), fingerprint("Hello world")) is not None
    assert compare(fingerprint("hello there"), fingerprint("Hello world")) is None


def test_fingerprints_are_stable() -> None:
    """Fingerprints are the same in every process: changing these values needs a new FINGERPRINT_VERSION."""
    found = fingerprint("The council met on Monday to discuss new rules for the water supply")
    assert found.token_count == 13
    assert found.hashes.tolist() == [190867566757131439, 5937010819393376433]
    assert found.positions.tolist() == [6, 3]


def test_token_cache_does_not_change_fingerprints() -> None:
    """Fingerprints computed with an empty token cache equal those computed with a warm one."""
    text = " ".join(words(random.Random(17), 200))
    warm = fingerprint(text)
    text_index._TOKEN_HASHES.clear()
    assert fingerprint(text) == warm


def test_fingerprint_refuses_bad_text() -> None:
    """Text over the cap and text without words are refused naming the field."""
    with pytest.raises(PayloadTooLarge) as too_large:
        fingerprint("x" * (text_index.MAX_TEXT_CHARS + 1), field="query.text")
    assert too_large.value.field == "query.text"
    with pytest.raises(InvalidInput) as empty:
        fingerprint(" \u200b!!", field="query.text")
    assert empty.value.field == "query.text"
    with pytest.raises(ValueError, match="sorted and distinct"):
        TextFingerprint(np.array([2, 1], dtype=np.uint64), 5, np.array([0, 1], dtype=np.int32))


def test_links_can_be_left_out_of_the_fingerprint() -> None:
    """With strip_links, two posts that differ only by their links have one fingerprint."""
    first = "Read the council rules here https://t.me/channel_one before Monday"
    second = "Read the council rules here https://example.org/other before Monday"
    assert fingerprint(first) != fingerprint(second)
    assert fingerprint(first, strip_links=True) == fingerprint(second, strip_links=True)


def test_settings_from_collection_settings() -> None:
    """Collection settings become match settings; a longer quote needs more shared fingerprints."""
    chosen = TextMatchSettings.from_settings(
        {"min_similarity": 0.9, "min_quote_words": 80, "strip_links": True}
    )
    assert chosen == TextMatchSettings(min_similarity=0.9, min_quote_words=80)
    assert chosen.quote_fingerprints > DEFAULT.quote_fingerprints >= text_index.MIN_SHARED


# Texts for the properties: slices of one long text with a few words changed, or fresh text, so that
# near-duplicates, containments and misses all occur.
BASE = words(random.Random(1), 400)


@st.composite
def texts(draw: st.DrawFn) -> TextFingerprint:
    """A fingerprint of a slice of BASE, lightly edited, possibly inside fresh words, or of fresh words."""
    seed = draw(st.integers(0, 10**6))
    rng = random.Random(seed)
    start = draw(st.integers(0, 380))
    length = draw(st.integers(1, 400 - start))
    units = substitute(BASE[start : start + length], draw(st.sampled_from([0.0, 0.05, 0.2])), rng)
    padding = draw(st.sampled_from([0, 0, 30, 200]))
    if draw(st.booleans()):
        units = words(rng, padding) + units + words(rng, padding)
    return fingerprint_tokens(units) if units else fingerprint_tokens(words(rng, 5))


match_settings = st.builds(
    TextMatchSettings,
    min_similarity=st.floats(0.3, 1.0),
    min_containment=st.floats(0.3, 1.0),
    min_quote_words=st.integers(10, 60),
)


@dataclass(frozen=True)
class Step:
    """One operation on the index: add (label, fingerprint), remove label, add a batch, or compact."""

    kind: str
    label: int = 0
    fp: TextFingerprint | None = None
    batch: tuple[tuple[int, TextFingerprint], ...] = ()


labels = st.integers(0, 12)
steps = st.one_of(
    st.builds(Step, st.just("add"), labels, texts()),
    st.builds(Step, st.just("remove"), labels),
    st.builds(Step, st.just("add_many"), batch=st.lists(st.tuples(labels, texts()), max_size=3).map(tuple)),
    st.builds(Step, st.just("compact")),
)


def apply(index: TextIndex, documents: dict[int, TextFingerprint], step: Step) -> None:
    """Apply one step to the index and to the plain dict that brute force reads."""
    if step.kind == "add" and step.fp is not None:
        index.add(step.label, step.fp)
        documents[step.label] = step.fp
    elif step.kind == "remove":
        index.remove(step.label)
        documents.pop(step.label, None)
    elif step.kind == "add_many":
        index.add_many(step.batch)
        documents.update(step.batch)
    else:
        index.compact()


def brute_force(
    query: TextFingerprint, documents: dict[int, TextFingerprint], chosen: TextMatchSettings, limit: int
) -> list[tuple[int, TextMatch]]:
    """Compare the query with every document; rank by overlap, score, then label."""
    found = [(label, m) for label, fp in documents.items() if (m := compare(query, fp, chosen)) is not None]
    found.sort(key=lambda hit: (-hit[1].overlap_words, -hit[1].score, hit[0]))
    return found[:limit]


@given(st.lists(steps, max_size=12), st.lists(texts(), min_size=1, max_size=3), match_settings)
@settings(max_examples=60, deadline=None)
def test_index_equals_brute_force(
    history: list[Step], queries: list[TextFingerprint], chosen: TextMatchSettings
) -> None:
    """After any sequence of adds, removals, batches and compactions, the index answers as brute force."""
    index, documents = TextIndex(), {}
    for step in history:
        apply(index, documents, step)
    assert len(index) == len(documents)
    for query in queries:
        assert index.query(query, chosen, limit=100) == brute_force(query, documents, chosen, 100)
        assert index.query(query, chosen, limit=2) == brute_force(query, documents, chosen, 2)


@given(st.lists(steps, max_size=10), texts())
@settings(max_examples=40, deadline=None)
def test_index_equals_brute_force_with_automatic_compaction(
    history: list[Step], query: TextFingerprint
) -> None:
    """With tiny thresholds the buffer and tombstones are merged during adds and removals: same answers."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(text_index, "BUFFER_MIN_POSTINGS", 0)
        patch.setattr(text_index, "DEAD_MIN_DOCUMENTS", 0)
        index, documents = TextIndex(), {}
        for step in history:
            apply(index, documents, step)
        assert index.query(query, limit=100) == brute_force(query, documents, DEFAULT, 100)


@given(texts(), texts(), match_settings)
@settings(max_examples=80, deadline=None)
def test_compare_is_symmetric(a: TextFingerprint, b: TextFingerprint, chosen: TextMatchSettings) -> None:
    """Swapping query and document keeps the match type, score and overlap, and swaps the coverages."""
    forward, backward = compare(a, b, chosen), compare(b, a, chosen)
    if forward is None or backward is None:
        assert forward is backward is None
        return
    assert (forward.match_type, forward.score, forward.overlap_words) == (
        backward.match_type,
        backward.score,
        backward.overlap_words,
    )
    assert (forward.query_coverage, forward.document_coverage) == (
        backward.document_coverage,
        backward.query_coverage,
    )


@given(texts(), texts(), match_settings, st.floats(0, 0.3), st.floats(0, 0.3), st.integers(0, 40))
@settings(max_examples=60, deadline=None)
def test_a_loose_match_judged_again_is_the_strict_match(
    a: TextFingerprint, b: TextFingerprint, loose: TextMatchSettings, more: float, cover: float, extra: int
) -> None:
    """A match found with loose settings, judged again with stricter ones, is what strict settings find."""
    strict = TextMatchSettings(
        min(1.0, loose.min_similarity + more),
        min(1.0, loose.min_containment + cover),
        loose.min_quote_words + extra,
    )
    found = compare(a, b, loose)
    assert (found.under(strict) if found else None) == compare(a, b, strict)


@given(st.lists(steps, max_size=10), texts())
@settings(max_examples=25, deadline=None)
def test_save_and_load_round_trip(history: list[Step], query: TextFingerprint) -> None:
    """A saved and loaded index holds the same documents and answers every query alike."""
    index, documents = TextIndex(), {}
    for step in history:
        apply(index, documents, step)
    before = index.query(query, limit=100)
    with tempfile.TemporaryDirectory() as tmp:
        index.save(Path(tmp))
        loaded = TextIndex.load(Path(tmp))
    assert len(loaded) == len(documents)
    assert all(label in loaded for label in documents)
    assert loaded.query(query, limit=100) == before == brute_force(query, documents, DEFAULT, 100)


def saved(tmp_path: Path) -> Path:
    """A small saved index."""
    index = TextIndex()
    rng = random.Random(3)
    for label in range(5):
        index.add(label, fingerprint(join(words(rng, 60))))
    index.save(tmp_path)
    return tmp_path


def test_load_refuses_another_version(tmp_path: Path) -> None:
    """An index of another format version or fingerprint version is refused."""
    directory = saved(tmp_path)
    meta = json.loads((directory / "meta.json").read_text())
    (directory / "meta.json").write_text(json.dumps({**meta, "version": 99}))
    with pytest.raises(ValueError, match="version"):
        TextIndex.load(directory)
    (directory / "meta.json").write_text(
        json.dumps({**meta, "fingerprint": {**meta["fingerprint"], "window": 9}})
    )
    with pytest.raises(ValueError, match="another kind"):
        TextIndex.load(directory)


def test_load_refuses_tampered_or_missing_arrays(tmp_path: Path) -> None:
    """An array that does not match its checksum, or a missing one, is refused."""
    directory = saved(tmp_path)
    postings = np.load(directory / "postings.npy")
    np.save(directory / "postings.npy", postings[::-1].copy())
    with pytest.raises(ValueError, match="checksum"):
        TextIndex.load(directory)
    (directory / "postings.npy").unlink()
    with pytest.raises(ValueError, match="cannot be read"):
        TextIndex.load(directory)


def test_load_refuses_inconsistent_arrays(tmp_path: Path) -> None:
    """Arrays with valid checksums that do not form an index (a posting to no document) are refused."""
    directory = saved(tmp_path)
    postings = np.load(directory / "postings.npy")
    postings[0] = 1000
    np.save(directory / "postings.npy", postings)
    meta = json.loads((directory / "meta.json").read_text())
    meta["files"]["postings"] = text_index._file_digest(directory / "postings.npy")
    (directory / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="inconsistent"):
        TextIndex.load(directory)


def test_load_refuses_pickles(tmp_path: Path) -> None:
    """An object array (which only pickle can hold) is never loaded."""
    directory = saved(tmp_path)
    np.save(directory / "labels.npy", np.array([object()] * 5, dtype=object), allow_pickle=True)
    meta = json.loads((directory / "meta.json").read_text())
    meta["files"]["labels"] = text_index._file_digest(directory / "labels.npy")
    (directory / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError):
        TextIndex.load(directory)


def test_labels_replace_and_remove() -> None:
    """Re-adding a label replaces its text; removing an unknown label does nothing; labels are int64."""
    rng = random.Random(4)
    first, second = fingerprint(join(words(rng, 80))), fingerprint(join(words(rng, 80)))
    index = TextIndex()
    index.add(7, first)
    index.add(7, second)
    assert len(index) == 1
    assert index.query(first) == []
    assert [label for label, _ in index.query(second)] == [7]
    index.remove(8)
    index.remove(7)
    assert len(index) == 0
    assert 7 not in index
    for bad in (True, 2**63, "7"):
        with pytest.raises(ValueError, match="int64"):
            index.add(bad, first)  # type: ignore[arg-type]


def test_query_ranks_by_overlap() -> None:
    """The whole copy ranks before a paragraph of it; a limit keeps the best."""
    rng = random.Random(5)
    article = words(rng, 300)
    index = TextIndex()
    index.add(1, fingerprint(join(article[100:160])))
    index.add(2, fingerprint(join(article)))
    index.add(3, fingerprint(join(words(rng, 300))))
    hits = index.query(fingerprint(join(substitute(article, 0.05, rng))))
    assert [label for label, _ in hits] == [2, 1]
    assert [m.match_type for _, m in hits] == ["near_duplicate", "containment"]
    assert [label for label, _ in index.query(fingerprint(join(article)), limit=1)] == [2]
