"""Text fingerprints and the text index: near-duplicates and quoted passages among many documents.

A text's fingerprint is a small set of 64-bit hashes chosen from the hashes of its word shingles, each
with the position where it occurs; two texts that share a passage share fingerprints, and how many they
share, and whether they share them in the same order, says how they overlap. `compare` judges two
fingerprints by brute force; `TextIndex` finds, among many documents, exactly the matches `compare`
would find, without comparing the query with every document.

Decisions:
- Tokens are the words of the normalised text (`text.tokens`: Han characters count as words). Shingles
  are runs of `SHINGLE_TOKENS` consecutive tokens; each token is hashed once with BLAKE2b (8 bytes, cached)
  and a shingle's hash combines its tokens' hashes with a polynomial in numpy and SplitMix64's finaliser:
  stable across processes and platforms (unlike `hash()`), vectorised, uniform enough for winnowing.
- Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003) keeps the smallest shingle hash of every window
  of `WINDOW` consecutive shingles. A window's minimum depends only on the window, so two texts sharing a
  run of `WINDOW + SHINGLE_TOKENS - 1` = 8 tokens share a fingerprint, and a run of L tokens shares at
  least (L - 4) // 4 of them (9 for 40 words; 14 on average, 11 or more for 98 % of real 40-word runs).
  A text keeps about 2 / (WINDOW + 1) = 40 % of its shingles; a text shorter than a shingle is one shingle.
  Each fingerprint keeps the token position of its first occurrence.
- Two kinds of match, and `compare` says which (a pair that is both is a near-duplicate):
  * near_duplicate, the whole text lightly edited: the share of the larger fingerprint set found in the
    other is turned into an estimate of the fraction of words the texts share. Editing a fraction e of
    the words leaves about (1 - e) ** SURVIVAL_EXPONENT of the fingerprints (measured on edited news text
    in four languages), so the score is that share to the power 1 / SURVIVAL_EXPONENT; it matches at
    `min_similarity`. Dividing by the larger set (not the union, as Jaccard does) keeps a paragraph that
    is half of a long article from looking like a copy of it.
  * containment, a passage of one text inside the other. Shared fingerprints count here only when they
    are close together: `passage` is the largest chain of shared fingerprints whose neighbours lie at most
    `PASSAGE_GAP` tokens apart, in the query or in the document. Within a shared run, fingerprints are at
    most `WINDOW` tokens apart, and an edited word inside a quote opens a gap of at most about
    `WINDOW + SHINGLE_TOKENS`; two articles on one story share phrases scattered over their length,
    which is why a plain count of shared fingerprints is not enough. (Either text will do: a fingerprint
    keeps the position of its first occurrence only, so a quote of words that also appear earlier in one
    of the texts is still one chain in the other.) The chain does not depend on the settings, so a match
    found with loose settings can be judged again with strict ones (`TextMatch.under`).
    It matches when the passage has the fingerprints of a run of `min_quote_words` words
    (`quote_fingerprints`: a quote in a longer post, both coverages small), or when it holds
    `min_containment` of the fingerprints of the smaller text and that text has at least
    `MIN_CONTAINED_TOKENS` tokens (a short bank text inside a post, or a short query that is a passage of a
    long bank text). Shorter texts match only as near-duplicates: one-line sign-offs and footers are too
    common to be evidence inside a longer post.
- Boilerplate is handled by those rules, not by corpus statistics: a match needs most of a text, or a
  quote-sized passage. Leaving document frequencies out keeps `compare` a function of two
  fingerprints, so the index is exactly brute force, and it keeps many copies of one text findable (in a
  bank of propaganda, a text held a thousand times is the most important one, not boilerplate).
- The index is an inverted index from fingerprint to (document slot, position): a compressed sparse row
  main part (sorted distinct fingerprints, offsets, slots, positions) searched with `np.searchsorted`, an
  append buffer (a dict) for recent additions, and tombstones for removals. Compaction merges the buffer
  and drops the dead when either grows past a fraction of the main part, and before saving; `add_many`
  merges a batch in one pass. A query gathers the postings of its fingerprints, counts shared and passage
  fingerprints per document with numpy, keeps the documents passing a vectorised necessary condition
  (with a margin, so rounding cannot drop a match) and judges those with `judge`, the function `compare`
  uses: the results are brute force's by construction, ranked by overlap, score, then label.
- Persistence: a directory of `.npy` arrays (loaded with `allow_pickle=False`) and `meta.json` with the
  format, the fingerprint parameters and the SHA-256 of each array. Anything else, or any inconsistency,
  raises ValueError so the caller rebuilds from the store. Never pickle: a database user must not be able
  to plant code.
- Not thread-safe: the service serialises writes and reads with a lock. `fingerprint` is thread-safe.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ctexchange.engines.content.text import (
    DEFAULT_MIN_CONTAINMENT,
    DEFAULT_MIN_QUOTE_WORDS,
    DEFAULT_MIN_SIMILARITY,
    MAX_TEXT_CHARS,
    normalize_text,
    tokens,
)
from ctexchange.errors import InvalidInput, PayloadTooLarge

SHINGLE_TOKENS = 5
WINDOW = 4
SURVIVAL_EXPONENT = 5.0
"""About (1 - e) ** 5 of the fingerprints survive edits to a fraction e of the words (measured)."""
MIN_SHARED = 2
"""Containment needs at least this many shared fingerprints in one passage."""
PASSAGE_GAP = 12
"""Shared fingerprints at most this many tokens apart belong to one passage (an edited word is a gap)."""
MIN_CONTAINED_TOKENS = 20
"""A text shorter than a quote is found inside another only if it has at least this many tokens."""
QUOTE_SHARE = 0.8
"""A quote is found with this share of the fingerprints a run of its length has on average."""
FINGERPRINT_VERSION = 1
FORMAT = "ctexchange.text-index"
INDEX_VERSION = 1
BUFFER_MIN_POSTINGS = 65_536
"""The append buffer is merged into the main part past this many postings, or 1/8 of the main part."""
DEAD_MIN_DOCUMENTS = 1024
"""Removed documents are dropped from the main part past this many, or 1/4 of the slots."""

Hashes = npt.NDArray[np.uint64]
Positions = npt.NDArray[np.int32]
Ints = npt.NDArray[np.int64]
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_TOKEN_HASHES: dict[str, int] = {}
_TOKEN_CACHE_SIZE = 1 << 18
_MARGIN = 1e-9
_INT64 = (-(2**63), 2**63 - 1)
_ARRAYS = {
    "keys": np.dtype(np.uint64),
    "offsets": np.dtype(np.int64),
    "postings": np.dtype(np.int32),
    "positions": np.dtype(np.int32),
    "labels": np.dtype(np.int64),
    "sizes": np.dtype(np.int32),
    "token_counts": np.dtype(np.int64),
}


@dataclass(frozen=True, eq=False)
class TextFingerprint:
    """One text's fingerprint: sorted distinct 64-bit hashes, their first token positions, its token count."""

    hashes: Hashes
    token_count: int
    positions: Positions

    def __post_init__(self) -> None:
        hashes, positions = self.hashes, self.positions
        if not isinstance(hashes, np.ndarray) or hashes.dtype != np.uint64 or hashes.ndim != 1:
            raise ValueError("fingerprint hashes must be a one-dimensional uint64 array")
        if len(hashes) == 0 or np.any(hashes[1:] <= hashes[:-1]):
            raise ValueError("fingerprint hashes must be non-empty, sorted and distinct")
        if (
            not isinstance(positions, np.ndarray)
            or positions.dtype != np.int32
            or positions.shape != hashes.shape
        ):
            raise ValueError("fingerprint positions must be an int32 array as long as the hashes")
        if self.token_count < 1 or positions.min() < 0 or positions.max() >= self.token_count:
            raise ValueError("fingerprint positions must lie within its token count")
        hashes.setflags(write=False)
        positions.setflags(write=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextFingerprint):
            return NotImplemented
        same_hashes = np.array_equal(self.hashes, other.hashes)
        return (
            same_hashes
            and self.token_count == other.token_count
            and np.array_equal(self.positions, other.positions)
        )

    def __hash__(self) -> int:
        return hash((self.token_count, self.hashes.tobytes()))


def fingerprint(
    text: str, *, strip_links: bool = False, strip_mentions: bool = False, field: str = "text"
) -> TextFingerprint:
    """Normalise `text` and return its fingerprint.

    Raises PayloadTooLarge over `MAX_TEXT_CHARS` and InvalidInput when no word is left after
    normalisation, both naming `field`.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise PayloadTooLarge(
            f"'{field}' must be at most {MAX_TEXT_CHARS} characters (got {len(text)})", field=field
        )
    words = tokens(normalize_text(text, strip_links=strip_links, strip_mentions=strip_mentions))
    if not words:
        raise InvalidInput.expected(field, "text with at least one word after normalisation", text)
    return fingerprint_tokens(words)


def fingerprint_tokens(words: list[str]) -> TextFingerprint:
    """Return the fingerprint of a non-empty list of normalised tokens."""
    if not words:
        raise ValueError("a fingerprint needs at least one token")
    shingles = _shingle_hashes(_token_hashes(words))
    distinct, first = np.unique(shingles, return_index=True)
    chosen = _winnow(shingles)
    positions = first[np.searchsorted(distinct, chosen)].astype(np.int32)
    return TextFingerprint(chosen, len(words), positions)


def _token_hashes(words: list[str]) -> Hashes:
    """Return the stable 64-bit hash of each token (BLAKE2b), from a cache emptied when it is full."""
    try:
        found = itemgetter(*words)(_TOKEN_HASHES)
    except KeyError:
        known = {word: _TOKEN_HASHES.get(word) or _blake2b_64(word) for word in set(words)}
        if len(_TOKEN_HASHES) + len(known) > _TOKEN_CACHE_SIZE:
            _TOKEN_HASHES.clear()
        _TOKEN_HASHES.update(known)
        found = itemgetter(*words)(known)
    values = (found,) if len(words) == 1 else found
    return np.fromiter(values, dtype=np.int64, count=len(words)).view(np.uint64)


def _blake2b_64(word: str) -> int:
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _shingle_hashes(ids: Hashes) -> Hashes:
    """Return the hash of every run of `SHINGLE_TOKENS` tokens (one run of all tokens if fewer)."""
    span = min(SHINGLE_TOKENS, len(ids))
    count = len(ids) - span + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(span):
        combined = combined * _MULTIPLIER + ids[offset : offset + count]
    return _mix(combined)


def _mix(values: Hashes) -> Hashes:
    """SplitMix64's finaliser: spreads every input bit over the whole output."""
    values = (values ^ (values >> np.uint64(30))) * _MIX_1
    values = (values ^ (values >> np.uint64(27))) * _MIX_2
    return values ^ (values >> np.uint64(31))


def _winnow(shingles: Hashes) -> Hashes:
    """Return the sorted distinct minima of every window of `WINDOW` shingles (one window if fewer)."""
    windows = max(1, len(shingles) - WINDOW + 1)
    minima = shingles[:windows]
    for offset in range(1, min(WINDOW, len(shingles))):
        minima = np.minimum(minima, shingles[offset : offset + windows])
    return np.unique(minima)


@dataclass(frozen=True)
class TextMatchSettings:
    """When two fingerprints match; see the module's decisions and `TextKind.validate_settings`."""

    min_similarity: float = DEFAULT_MIN_SIMILARITY
    min_containment: float = DEFAULT_MIN_CONTAINMENT
    min_quote_words: int = DEFAULT_MIN_QUOTE_WORDS

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TextMatchSettings:
        """Build from a collection's validated settings (`TextKind.validate_settings`); extra keys ignored."""
        return cls(
            float(settings.get("min_similarity", DEFAULT_MIN_SIMILARITY)),
            float(settings.get("min_containment", DEFAULT_MIN_CONTAINMENT)),
            int(settings.get("min_quote_words", DEFAULT_MIN_QUOTE_WORDS)),
        )

    @property
    def quote_fingerprints(self) -> int:
        """Aligned fingerprints that make a quote: QUOTE_SHARE of a `min_quote_words` run's average."""
        expected = 2 * (self.min_quote_words - SHINGLE_TOKENS + 1) / (WINDOW + 1)
        return max(MIN_SHARED, math.floor(QUOTE_SHARE * expected))

    @property
    def min_resemblance(self) -> float:
        """The share of the larger fingerprint set at which the similarity reaches `min_similarity`."""
        return math.pow(self.min_similarity, SURVIVAL_EXPONENT)


DEFAULT = TextMatchSettings()


@dataclass(frozen=True)
class TextMatch:
    """How a query matched a document.

    `score`: for a near-duplicate, the estimated fraction of words the texts share; for containment, the
    fraction of the smaller text's fingerprints found, in order, in the other. `overlap_words`: an
    estimate of the words the texts share (near-duplicate) or of the shared passage (containment). The
    coverages are the fractions of the query's and of the document's fingerprints the other holds;
    `overlap` holds the counts the match was judged on.
    """

    match_type: str
    score: float
    overlap_words: int
    query_coverage: float
    document_coverage: float
    overlap: Overlap

    def under(self, settings: TextMatchSettings) -> TextMatch | None:
        """The same pair judged with other settings (a hit found with loose settings, held to strict ones)."""
        return judge(self.overlap, settings)


@dataclass(frozen=True)
class Overlap:
    """What two fingerprints have in common: what `judge` decides on."""

    shared: int
    passage: int
    query_size: int
    query_tokens: int
    document_size: int
    document_tokens: int


def compare(
    query: TextFingerprint, document: TextFingerprint, settings: TextMatchSettings = DEFAULT
) -> TextMatch | None:
    """Return how `query` matches `document`, or None; the brute-force reference for `TextIndex`."""
    _, in_query, in_document = np.intersect1d(
        query.hashes, document.hashes, assume_unique=True, return_indices=True
    )
    passage = 0
    if len(in_query):
        one = np.zeros(len(in_query), dtype=np.int64)
        for positions in (query.positions[in_query], document.positions[in_document]):
            passage = max(passage, int(_longest_chains(one, positions.astype(np.int64))[2][0]))
    sizes = (len(query.hashes), query.token_count, len(document.hashes), document.token_count)
    return judge(Overlap(len(in_query), passage, *sizes), settings)


def _longest_chains(slots: Ints, positions: Ints) -> tuple[Ints, Ints, Ints]:
    """Per document: its slot, where its postings start once sorted, and its longest chain of positions.

    A chain is a run of sorted positions whose neighbours are at most PASSAGE_GAP apart.
    """
    # the slot in the high bits and the position in the low ones: one sort groups by document, then position
    keys = np.sort((slots << 32) | positions)
    documents, starts = np.unique(keys >> 32, return_index=True)
    breaks = np.ones(len(keys), dtype=bool)
    breaks[1:] = np.diff(keys) > PASSAGE_GAP  # a new document is always a break: its key jumps by 2**32
    chain = np.cumsum(breaks) - 1
    longest: Ints = np.maximum.reduceat(np.bincount(chain)[chain], starts)
    return documents, starts, longest


def judge(overlap: Overlap, settings: TextMatchSettings = DEFAULT) -> TextMatch | None:
    """Return the match two texts with this `overlap` make, or None (see the module's decisions)."""
    if overlap.shared == 0:
        return None
    coverages = (overlap.shared / overlap.query_size, overlap.shared / overlap.document_size)
    shortest = min(overlap.query_tokens, overlap.document_tokens)
    resemblance = overlap.shared / max(overlap.query_size, overlap.document_size)
    similarity = math.pow(resemblance, 1 / SURVIVAL_EXPONENT)
    if similarity >= settings.min_similarity:
        overlap_words = min(shortest, round(similarity * shortest))
        return TextMatch("near_duplicate", similarity, overlap_words, *coverages, overlap)
    smaller_size, smaller_tokens = min(
        (overlap.query_size, overlap.query_tokens), (overlap.document_size, overlap.document_tokens)
    )
    contained = overlap.passage / smaller_size
    is_quote = overlap.passage >= settings.quote_fingerprints
    is_inside = smaller_tokens >= MIN_CONTAINED_TOKENS and overlap.passage >= MIN_SHARED
    if is_quote or (is_inside and contained >= settings.min_containment):
        return TextMatch("containment", contained, _passage_words(overlap, shortest), *coverages, overlap)
    return None


def _passage_words(overlap: Overlap, shortest: int) -> int:
    """Estimate a passage's words from its fingerprints (tokens per fingerprint, plus the edges)."""
    per_fingerprint = (overlap.query_tokens + overlap.document_tokens) / (
        overlap.query_size + overlap.document_size
    )
    return min(shortest, round(overlap.passage * per_fingerprint) + WINDOW + SHINGLE_TOKENS - 2)


def _rank(hit: tuple[int, TextMatch]) -> tuple[int, float, int]:
    return (-hit[1].overlap_words, -hit[1].score, hit[0])


@dataclass
class _Postings:
    """Postings gathered for one query: document slot, and the positions in the document and the query."""

    slots: Ints
    at_document: Ints
    at_query: Ints


class TextIndex:
    """Documents' fingerprints by int64 label, for `query`; see the module's decisions. Not thread-safe."""

    def __init__(self) -> None:
        self._keys: Hashes = np.empty(0, dtype=np.uint64)
        self._offsets: Ints = np.zeros(1, dtype=np.int64)
        self._postings: Positions = np.empty(0, dtype=np.int32)
        self._positions: Positions = np.empty(0, dtype=np.int32)
        self._labels: Ints = np.empty(0, dtype=np.int64)
        self._sizes: Positions = np.empty(0, dtype=np.int32)
        self._token_counts: Ints = np.empty(0, dtype=np.int64)
        self._alive = np.empty(0, dtype=bool)
        self._used = 0
        self._slots: dict[int, int] = {}
        self._buffer: dict[int, list[tuple[int, int]]] = {}
        self._buffered: list[tuple[int, TextFingerprint]] = []
        self._buffer_postings = 0

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, label: object) -> bool:
        return label in self._slots

    def add(self, label: int, fp: TextFingerprint) -> None:
        """Index `fp` under `label`, replacing what was indexed under it."""
        self.remove(label)
        slot = self._new_slot(label, fp)
        for key, position in zip(fp.hashes.tolist(), fp.positions.tolist(), strict=True):
            self._buffer.setdefault(key, []).append((slot, position))
        self._buffered.append((slot, fp))
        self._buffer_postings += len(fp.hashes)
        if self._buffer_postings > max(BUFFER_MIN_POSTINGS, len(self._postings) // 8):
            self.compact()

    def add_many(self, items: Iterable[tuple[int, TextFingerprint]]) -> None:
        """Index many documents in one merge; a later item replaces an earlier one with the same label."""
        batch = []
        for label, fp in items:
            self.remove(label, compact=False)
            batch.append((self._new_slot(label, fp), fp))
        self._rebuild(batch)

    def remove(self, label: int, *, compact: bool = True) -> None:
        """Forget `label`; forgetting a label that is not indexed does nothing."""
        slot = self._slots.pop(label, None)
        if slot is None:
            return
        self._alive[slot] = False
        dead = self._used - len(self._slots)
        if compact and dead > max(DEAD_MIN_DOCUMENTS, self._used // 4):
            self.compact()

    def compact(self) -> None:
        """Merge the append buffer into the main part and drop removed documents."""
        self._rebuild([])

    def query(
        self, fp: TextFingerprint, settings: TextMatchSettings = DEFAULT, limit: int = 50
    ) -> list[tuple[int, TextMatch]]:
        """Return up to `limit` (label, match) pairs, best first: most overlap, highest score, lowest label.

        Exactly the documents for which `compare(fp, document, settings)` is not None, in that order.
        """
        slots, shared, passage = _per_document(self._live(self._gather(fp)))
        keep = self._may_match(slots, shared, passage, len(fp.hashes), settings)
        hits = []
        for slot, count, in_order in zip(
            slots[keep].tolist(), shared[keep].tolist(), passage[keep].tolist(), strict=True
        ):
            sizes = (len(fp.hashes), fp.token_count, int(self._sizes[slot]), int(self._token_counts[slot]))
            found = judge(Overlap(count, in_order, *sizes), settings)
            if found is not None:
                hits.append((int(self._labels[slot]), found))
        hits.sort(key=_rank)
        return hits[: max(limit, 0)]

    def _gather(self, fp: TextFingerprint) -> _Postings:
        """Every posting of the query's fingerprints, main part and buffer, dead documents included."""
        rows = np.searchsorted(self._keys, fp.hashes)
        found = rows < len(self._keys)
        found[found] = self._keys[rows[found]] == fp.hashes[found]
        rows = rows[found]
        starts, lengths = self._offsets[rows], self._offsets[rows + 1] - self._offsets[rows]
        picked = np.arange(int(lengths.sum())) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        at_query = np.repeat(fp.positions[found].astype(np.int64), lengths)
        gathered = _Postings(
            self._postings[picked].astype(np.int64), self._positions[picked].astype(np.int64), at_query
        )
        if not self._buffer:
            return gathered
        recent = [
            (slot, position, at)
            for key, at in zip(fp.hashes.tolist(), fp.positions.tolist(), strict=True)
            for slot, position in self._buffer.get(key, ())
        ]
        extra = np.array(recent, dtype=np.int64).reshape(-1, 3)
        return _Postings(
            *(np.concatenate([old, new]) for old, new in zip(_columns(gathered), extra.T, strict=True))
        )

    def _live(self, postings: _Postings) -> _Postings:
        alive = self._alive[postings.slots]
        return _Postings(*(column[alive] for column in _columns(postings)))

    def _may_match(
        self, slots: Ints, shared: Ints, passage: Ints, query_size: int, settings: TextMatchSettings
    ) -> npt.NDArray[np.bool_]:
        """A necessary condition for `judge` to match, for many documents at once (a superset)."""
        sizes = self._sizes[slots]
        near = shared / np.maximum(sizes, query_size) >= settings.min_resemblance - _MARGIN
        inside = (passage >= MIN_SHARED) & (
            passage / np.minimum(sizes, query_size) >= settings.min_containment - _MARGIN
        )
        result: npt.NDArray[np.bool_] = near | inside | (passage >= settings.quote_fingerprints)
        return result

    def _new_slot(self, label: int, fp: TextFingerprint) -> int:
        """Append a live document and return its slot; the label must be an int64."""
        if (
            isinstance(label, bool)
            or not isinstance(label, int | np.integer)
            or not _INT64[0] <= label <= _INT64[1]
        ):
            raise ValueError(f"a text index label must be an int64 (got {label!r})")
        if self._used == len(self._labels):
            self._grow(max(16, 2 * self._used))
        slot = self._used
        self._labels[slot], self._sizes[slot], self._token_counts[slot] = (
            label,
            len(fp.hashes),
            fp.token_count,
        )
        self._alive[slot] = True
        self._slots[int(label)] = slot
        self._used += 1
        return slot

    def _grow(self, capacity: int) -> None:
        """Enlarge the per-slot arrays to `capacity` slots."""
        extra = capacity - len(self._labels)
        self._labels = np.concatenate([self._labels, np.zeros(extra, dtype=np.int64)])
        self._sizes = np.concatenate([self._sizes, np.zeros(extra, dtype=np.int32)])
        self._token_counts = np.concatenate([self._token_counts, np.zeros(extra, dtype=np.int64)])
        self._alive = np.concatenate([self._alive, np.zeros(extra, dtype=bool)])

    def _rebuild(self, batch: list[tuple[int, TextFingerprint]]) -> None:
        """Rebuild the main part from its live postings, the buffer and `batch`; renumber the slots."""
        added = self._buffered + batch
        lengths = np.array([len(fp.hashes) for _, fp in added], dtype=np.int64)
        keys = np.concatenate(
            [np.repeat(self._keys, np.diff(self._offsets)), *(fp.hashes for _, fp in added)]
        )
        positions = np.concatenate([self._positions, *(fp.positions for _, fp in added)])
        new_slots = np.repeat(np.array([slot for slot, _ in added], dtype=np.int64), lengths)
        slots = np.concatenate([self._postings.astype(np.int64), new_slots])
        live = np.flatnonzero(self._alive[: self._used])
        renumber = np.full(self._used, -1, dtype=np.int64)
        renumber[live] = np.arange(len(live))
        keep = self._alive[slots]
        order = np.argsort(keys[keep], kind="stable")
        self._set_main(
            keys[keep][order], renumber[slots[keep]][order].astype(np.int32), positions[keep][order]
        )
        self._set_documents(self._labels[live], self._sizes[live], self._token_counts[live])

    def _set_main(self, keys: Hashes, slots: Positions, positions: Positions) -> None:
        """Install sorted (fingerprint, slot, position) postings as the main part and empty the buffer."""
        self._keys, starts = np.unique(keys, return_index=True)
        self._offsets = np.append(starts, len(keys)).astype(np.int64)
        self._postings, self._positions = slots, positions
        self._buffer, self._buffered, self._buffer_postings = {}, [], 0

    def _set_documents(self, labels: Ints, sizes: Positions, counts: Ints) -> None:
        """Install the live documents as slots 0..n-1."""
        self._labels, self._sizes, self._token_counts = labels.copy(), sizes.copy(), counts.copy()
        self._alive = np.ones(len(labels), dtype=bool)
        self._used = len(labels)
        self._slots = {label: slot for slot, label in enumerate(labels.tolist())}

    def save(self, directory: Path) -> None:
        """Write the index to `directory` (made if needed): `.npy` arrays and `meta.json`; compacts first."""
        self.compact()
        directory.mkdir(parents=True, exist_ok=True)
        digests = {}
        for name, array in self._arrays().items():
            path = directory / f"{name}.npy"
            np.save(path, array, allow_pickle=False)
            digests[name] = _file_digest(path)
        meta = {
            "format": FORMAT,
            "version": INDEX_VERSION,
            "fingerprint": _FINGERPRINT_PARAMS,
            "files": digests,
        }
        (directory / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")

    def _arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "keys": self._keys,
            "offsets": self._offsets,
            "postings": self._postings,
            "positions": self._positions,
            "labels": self._labels[: self._used],
            "sizes": self._sizes[: self._used],
            "token_counts": self._token_counts[: self._used],
        }

    @classmethod
    def load(cls, directory: Path) -> TextIndex:
        """Read an index written by `save`; raise ValueError if missing, corrupt or of another version."""
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            arrays = _read_arrays(directory, meta)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"text index in {directory} cannot be read: {error}") from None
        if not _is_consistent(arrays):
            raise ValueError(f"text index in {directory} is inconsistent")
        index = cls()
        index._keys, index._offsets = arrays["keys"], arrays["offsets"]
        index._postings, index._positions = arrays["postings"], arrays["positions"]
        index._set_documents(arrays["labels"], arrays["sizes"], arrays["token_counts"])
        return index


def _columns(postings: _Postings) -> tuple[Ints, Ints, Ints]:
    return postings.slots, postings.at_document, postings.at_query


def _per_document(postings: _Postings) -> tuple[Ints, Ints, Ints]:
    """Return the documents of `postings` with their shared and passage fingerprint counts (see `compare`)."""
    if not len(postings.slots):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    slots, starts, in_query = _longest_chains(postings.slots, postings.at_query)
    _, _, in_document = _longest_chains(postings.slots, postings.at_document)
    shared: Ints = np.diff(np.append(starts, len(postings.slots)))
    return slots, shared, np.maximum(in_query, in_document)


_FINGERPRINT_PARAMS = {
    "version": FINGERPRINT_VERSION,
    "shingle_tokens": SHINGLE_TOKENS,
    "window": WINDOW,
    "hash": "blake2b-64 tokens, polynomial + splitmix64 shingles",
}


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_arrays(directory: Path, meta: object) -> dict[str, npt.NDArray[Any]]:
    """Check `meta` and return the arrays it lists, each checked against its SHA-256."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != INDEX_VERSION:
        raise ValueError(f"{directory} does not hold a {FORMAT} of version {INDEX_VERSION}")
    if meta.get("fingerprint") != _FINGERPRINT_PARAMS:
        raise ValueError(f"{directory} holds fingerprints of another kind: {meta.get('fingerprint')!r}")
    files = meta.get("files")
    if not isinstance(files, dict) or set(files) != set(_ARRAYS):
        raise ValueError(f"{directory}/meta.json does not list the index's arrays")
    arrays = {}
    for name, dtype in _ARRAYS.items():
        path = directory / f"{name}.npy"
        if _file_digest(path) != files[name]:
            raise ValueError(f"{path} does not match its checksum")
        array = np.load(path, allow_pickle=False)
        if array.dtype != dtype or array.ndim != 1:
            raise ValueError(f"{path} must be a one-dimensional {dtype} array")
        arrays[name] = array
    return arrays


def _is_consistent(arrays: dict[str, npt.NDArray[Any]]) -> bool:
    """Whether the arrays form an index: sorted keys, offsets covering the postings, known documents."""
    keys, offsets, postings, labels = arrays["keys"], arrays["offsets"], arrays["postings"], arrays["labels"]
    documents = len(labels)
    if len(offsets) != len(keys) + 1 or offsets[0] != 0 or offsets[-1] != len(postings):
        return False
    if (
        np.any(np.diff(offsets) <= 0)
        or np.any(keys[1:] <= keys[:-1])
        or len(arrays["positions"]) != len(postings)
    ):
        return False
    if len(arrays["sizes"]) != documents or len(arrays["token_counts"]) != documents:
        return False
    if len(np.unique(labels)) != documents or np.any(postings < 0) or np.any(postings >= documents):
        return False
    if not np.array_equal(np.bincount(postings, minlength=documents), arrays["sizes"]):
        return False
    positions_fit = not np.any(arrays["positions"] < 0) and not np.any(arrays["token_counts"] < 1)
    return positions_fit and not np.any(arrays["positions"] >= arrays["token_counts"][postings])
