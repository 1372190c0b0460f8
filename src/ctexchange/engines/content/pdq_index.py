"""The PDQ index: every stored PDQ hash within a Hamming distance of a query, exactly as brute force would.

A platform sends every upload's PDQ hash to the match API, and a bank may hold millions of hashes, so a
lookup cannot compare the query with every stored hash; it must still return exactly what that comparison
would (`brute_force`), because a missed near-duplicate is a missed piece of terrorist content.

Decisions:
- Multi-index hashing (Norouzi, Punjani and Fleet, CVPR 2012), the method python-threatexchange uses
  through faiss: the 256 bits are cut into 16 chunks of 16 bits and each chunk has an inverted table from
  its 65,536 values to the rows holding them. The generalised pigeonhole principle makes the search
  exact: if chunk i is probed at every value within t_i bits of the query's chunk and sum(t_i + 1) > d,
  a hash within d bits has some chunk i within t_i bits, so it is a candidate. For d = 31 every chunk is
  probed at its value and its 16 one-bit neighbours (272 buckets); for d < 31 fewer (d = 20: five chunks
  at radius 1 and eleven exact; d = 7: eight chunks exact); above 31 the radius grows. Every candidate is
  verified with a vectorised popcount (`np.bitwise_count`) against the stored hash, so the result is
  brute force's by construction, only cheaper. At a million hashes a query at d = 31 reads about 4,200
  candidates, almost all unrelated.
- Verification in two steps: the hashes are stored as two arrays of 128-bit halves. The distance over
  the first half is a lower bound of the whole distance, and an unrelated hash is within 31 bits over 128
  with probability about 2e-9, so only true matches (and close misses) reach the second half. The random
  gathers then touch a 16 MB array instead of a 32 MB one and the popcounts do half the work: about 25 %
  faster than verifying whole hashes, measured.
- When the buckets to read would hold more than a quarter of the rows (from d = 66 on uniform hashes, or
  when a chunk value is shared by many hashes) a plain scan of every row is as cheap, and is used instead.
- Layout, chosen for speed at a million rows: rows sorted by label (so `remove` and `in` are a binary
  search), the hashes (two halves, 32 B/row), the labels (int64, 8 B/row), a tombstone mask (1 B/row), the 16
  tables in compressed sparse row form: one `uint32` offsets array over all 16 x 65,536 buckets (4 MiB,
  whatever the row count) and one `uint32` postings array of 16 entries per row (64 B/row). That is about
  109 B/row resident at a million rows. The 64 B/row target is out of reach for any exact inverted layout
  of this kind: 16 tables over disjoint 16-bit chunks together re-encode all 256 bits of every hash, so
  they cost at least another 32 B/row even perfectly compressed (about 36 B with Elias-Fano postings),
  on top of the 32 B hash needed to verify and the 8 B label; fewer, wider chunks need the same bits and
  multiply the probes (8 chunks of 32 bits need 5,489 probes each for d = 31). Packing postings into
  3 bytes would save 16 B/row and cost query speed; not done.
- What is persisted is only the labels and the hashes (40 B/row); the tables are rebuilt at load (under a
  second for a million rows: 16 stable radix sorts of `uint16` columns), so a file cannot carry a table
  that disagrees with the hashes.
- Batches: `query_many` handles queries in groups of `BATCH_QUERIES`; every numpy call works on all the
  probes and candidates of the group at once, which amortises the per-call overhead that dominates a
  single query. Gathers use `np.take` (several times faster than fancy indexing on 2-D arrays) and the
  two 64-bit popcounts of a half are summed on a `uint16` view instead of by a slow small-axis sum.
- Incremental updates: additions go to an append buffer that every query scans by brute force; removals
  and replacements set tombstones. When the buffer outgrows max(`BUFFER_MIN`, rows / `BUFFER_SHARE`), or
  the dead outnumber a quarter of the rows, the main tables are rebuilt from the live rows (a compaction).
  Results are exact at every moment. A status change is a `remove` (deactivation) or an `add` (reactivation)
  by the caller, which holds the hash in its store.
- Persistence: a directory with `hashes.npy` and `labels.npy` (read with `allow_pickle=False`, never
  pickle: a database user must not be able to plant code) and `meta.json` (format, version, count and the
  SHA-256 of each array file). It is written into a fresh sibling directory and renamed into place; an
  older copy is renamed aside first and deleted after, so a reader sees the old index, the new one or
  none (then `load` raises `UnusableIndex` and the caller rebuilds from the store), never a mixture.
- Not thread-safe: the service holds a lock around every call.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ctexchange.errors import InvalidInput

HASH_BYTES = 32
HASH_BITS = 256
CHUNKS = 16
CHUNK_KEYS = 1 << 16
DEFAULT_MAX_DISTANCE = 31
FORMAT = "ctexchange.pdq-index"
FORMAT_VERSION = 1
BATCH_QUERIES = 64
"""Queries handled together by `query_many`: enough to amortise numpy's overhead, few enough for cache."""
BUFFER_MIN = 4096
BUFFER_SHARE = 128
SCAN_SHARE = 0.25
"""Scan every row instead when the buckets to read hold more than this share of the rows."""
MAX_ROWS = (2**32 - 1) // CHUNKS
"""Offsets and postings are `uint32`: about 268 million rows at most."""

Hashes = npt.NDArray[np.uint8]
Labels = npt.NDArray[np.int64]
Ints = npt.NDArray[np.int64]
Words = npt.NDArray[np.uint64]
Hits = tuple[Ints, Ints, Ints]
"""Matches of a batch as parallel arrays: query number, label, distance."""

_HEX = re.compile(r"[0-9a-fA-F]{64}")
_WEIGHTS = np.bitwise_count(np.arange(CHUNK_KEYS, dtype=np.uint16))
_FLIPS: Ints = np.argsort(_WEIGHTS, kind="stable").astype(np.int64)
"""Every 16-bit flip mask, those of fewer bits first."""
_FLIPS_UP_TO: Ints = np.cumsum(np.bincount(_WEIGHTS, minlength=17)).astype(np.int64)
"""`_FLIPS_UP_TO[r]`: how many masks flip at most r bits."""
_TABLE_BASE: Ints = np.arange(CHUNKS, dtype=np.int64) * CHUNK_KEYS


class UnusableIndex(ValueError):
    """A persisted index is missing, corrupt, inconsistent or of another format: rebuild it from the store."""


def hex_to_bytes(hexes: Sequence[str], field: str = "hashes") -> Hashes:
    """Return the PDQ hashes given as 64 hex digits each as an (n, 32) uint8 array.

    Raises InvalidInput naming `field[i]` for the first value that is not 64 hex digits.
    """
    if all(isinstance(text, str) and len(text) == 2 * HASH_BYTES for text in hexes):
        try:
            raw = bytes.fromhex("".join(hexes))
        except ValueError:
            raw = b""
        if len(raw) == HASH_BYTES * len(hexes):
            return np.frombuffer(raw, dtype=np.uint8).reshape(len(hexes), HASH_BYTES).copy()
    for position, text in enumerate(hexes):
        if not isinstance(text, str) or not _HEX.fullmatch(text):
            raise InvalidInput.expected(f"{field}[{position}]", "a PDQ hash of 64 hex digits", text)
    raise AssertionError("unreachable: every value was valid hex")  # pragma: no cover


def hex_to_hash(text: object, field: str = "pdq") -> Hashes:
    """Return one PDQ hash of 64 hex digits as a (1, 32) uint8 array; raise InvalidInput naming `field`."""
    if isinstance(text, str) and len(text) == 2 * HASH_BYTES:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = b""
        if len(raw) == HASH_BYTES:  # whitespace, which fromhex skips, leaves fewer bytes
            return np.frombuffer(raw, dtype=np.uint8).reshape(1, HASH_BYTES).copy()
    raise InvalidInput.expected(field, "a PDQ hash of 64 hex digits", text)


def as_hashes(hashes: Sequence[str] | npt.NDArray[Any], field: str = "hashes") -> Hashes:
    """Return hex strings or an (n, 32) uint8 array as a C-contiguous (n, 32) uint8 array."""
    if isinstance(hashes, np.ndarray) and hashes.dtype.kind != "U":
        if hashes.dtype != np.uint8 or hashes.ndim != 2 or hashes.shape[1] != HASH_BYTES:
            raise InvalidInput.expected(field, "an (n, 32) uint8 array of PDQ hashes", hashes.shape)
        return np.ascontiguousarray(hashes)
    if isinstance(hashes, str):
        raise InvalidInput.expected(field, "a list of PDQ hashes, not one string", hashes)
    return hex_to_bytes(list(hashes), field)


def _as_labels(labels: Iterable[int] | npt.NDArray[Any], field: str = "labels") -> Labels:
    """Return labels as int64; raise InvalidInput naming the first that is not a non-negative int64."""
    if isinstance(labels, np.ndarray):
        return _label_array(labels, field)
    values = list(labels)
    if all(type(value) is int for value in values):
        try:
            array = np.array(values, dtype=np.int64)
        except OverflowError:
            array = np.full(1, -1, dtype=np.int64)
        if len(array) == 0 or array.min() >= 0:
            return array
    for position, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < 2**63:
            raise InvalidInput.expected(f"{field}[{position}]", "a non-negative 64-bit integer", value)
    return np.array(values, dtype=np.int64)


def _label_array(array: npt.NDArray[Any], field: str) -> Labels:
    """Check an array of labels: one dimension, integers, non-negative, within int64."""
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise InvalidInput.expected(
            field, "a one-dimensional array of integers", f"{array.ndim}-d {array.dtype}"
        )
    bad = np.flatnonzero(array < 0 if array.dtype.kind == "i" else array > 2**63 - 1)
    if len(bad):
        position = int(bad[0])
        raise InvalidInput.expected(
            f"{field}[{position}]", "a non-negative 64-bit integer", array[position].item()
        )
    return array.astype(np.int64)


def _check_distance(max_distance: object) -> int:
    """Return `max_distance` if it is an int from 0 to 256; raise InvalidInput otherwise."""
    if isinstance(max_distance, bool) or not isinstance(max_distance, int | np.integer):
        raise InvalidInput.expected("max_distance", "an integer from 0 to 256", max_distance)
    if not 0 <= max_distance <= HASH_BITS:
        raise InvalidInput.expected("max_distance", "an integer from 0 to 256", max_distance)
    return int(max_distance)


def _words(hashes: Hashes) -> Words:
    """View (n, 32) uint8 hashes as (n, 4) uint64 words."""
    return np.ascontiguousarray(hashes).view(np.uint64)


def _halves(hashes: Hashes) -> tuple[Words, Words]:
    """The first and the last 128 bits of (n, 32) uint8 hashes, each as (n, 2) uint64."""
    words = _words(hashes)
    return np.ascontiguousarray(words[:, :2]), np.ascontiguousarray(words[:, 2:])


def _half_distances(left: Words, right: Words) -> npt.NDArray[np.uint16]:
    """Hamming distances between the rows of two (n, 2) uint64 arrays of the same shape (128 bits a row)."""
    counts = np.bitwise_count(np.bitwise_xor(left.reshape(-1), right.reshape(-1))).view(np.uint16)
    return (counts & 0xFF) + (counts >> 8)  # two counts of at most 64 per row


def brute_force(
    labels: npt.NDArray[Any], hashes: npt.NDArray[Any], pdq_hex: str, max_distance: int
) -> list[tuple[int, int]]:
    """Compare `pdq_hex` with every hash: (label, distance) within `max_distance`, by distance then label.

    The reference the index is tested against: a plain popcount of every XOR, sharing no code with it.
    """
    query = _words(hex_to_hash(pdq_hex))
    found = np.bitwise_count(_words(as_hashes(hashes)) ^ query).sum(axis=1, dtype=np.int64)
    keep = np.flatnonzero(found <= _check_distance(max_distance))
    pairs = zip(np.asarray(labels)[keep].tolist(), found[keep].tolist(), strict=True)
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


def _probe_radii(max_distance: int) -> list[int]:
    """The flip radius t_i probed in each chunk (-1: not probed) for `max_distance` d.

    With r = d // 16 and k = d % 16 + 1, the first k chunks are probed within r bits and the others
    within r - 1: sum(t_i + 1) = 16 r + k = d + 1 > d, as exactness needs.
    """
    radius, wide = divmod(max_distance, CHUNKS)
    return [radius if chunk <= wide else radius - 1 for chunk in range(CHUNKS)]


@functools.cache
def _probe_count(max_distance: int) -> int:
    """How many buckets a query reads at `max_distance`."""
    return sum(int(_FLIPS_UP_TO[r]) for r in _probe_radii(max_distance) if r >= 0)


@functools.lru_cache(maxsize=64)
def _probe_plan(max_distance: int) -> tuple[npt.NDArray[np.intp], Ints]:
    """The chunk and the flip mask of every bucket a query reads at `max_distance`, chunk after chunk."""
    counts = [int(_FLIPS_UP_TO[r]) if r >= 0 else 0 for r in _probe_radii(max_distance)]
    tables = np.repeat(np.arange(CHUNKS, dtype=np.intp), counts)
    return tables, np.concatenate([_FLIPS[:count] for count in counts])


def _probe_slots(queries: Hashes, max_distance: int) -> Ints:
    """The buckets (chunk * 65536 + value) each query reads, shape (queries, probes)."""
    tables, masks = _probe_plan(max_distance)
    keyed = queries.view(np.uint16).astype(np.int64) + _TABLE_BASE
    slots: Ints = keyed.take(tables, axis=1) ^ masks  # a mask flips only the low 16 bits: the chunk's
    return slots


def _expand(starts: Ints, lengths: Ints) -> Ints:
    """Every position in the ranges [start, start + length), range after range."""
    shift = starts - np.cumsum(lengths) + lengths
    return np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(shift, lengths)


def _scan(
    halves: tuple[Words, Words], alive: npt.NDArray[np.bool_], queries: Hashes, max_distance: int
) -> Hits:
    """(query, row, distance) of every alive row within `max_distance` of each query, comparing all rows."""
    found: list[tuple[Ints, Ints, Ints]] = []
    for number in range(len(queries)):
        rows, dist = _scan_one(halves, alive, queries[number : number + 1], max_distance)
        found.append((np.full(len(rows), number, dtype=np.int64), rows, dist))
    return _concatenate(found)


def _scan_one(
    halves: tuple[Words, Words], alive: npt.NDArray[np.bool_], query: Hashes, max_distance: int
) -> tuple[Ints, Ints]:
    """(row, distance) of every alive row within `max_distance` of one (1, 32) query, block by block."""
    front, back = halves
    block = max(1, min(1 << 16, len(front)))
    query_front, query_back = _halves(np.repeat(query, block, axis=0))
    rows, dist = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    for start in range(0, len(front), block):
        part, size = slice(start, start + block), len(front[start : start + block])
        near = _half_distances(front[part], query_front[:size])
        found = near + _half_distances(back[part], query_back[:size])
        hits = np.flatnonzero((found <= max_distance) & alive[part])
        rows.append(hits + start)
        dist.append(found.take(hits).astype(np.int64))
    return np.concatenate(rows), np.concatenate(dist)


def _concatenate(parts: Sequence[tuple[Ints, Ints, Ints]]) -> Hits:
    """Join lists of parallel (query, row or label, distance) arrays."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


@dataclass
class _Main:
    """The compacted part: rows sorted by label, the 16 chunk tables in CSR form and the tombstones."""

    front: Words
    back: Words
    labels: Labels
    alive: npt.NDArray[np.bool_]
    offsets: npt.NDArray[np.uint32]
    postings: npt.NDArray[np.uint32]
    dead: int = 0

    @classmethod
    def build(cls, hashes: Hashes, labels: Labels) -> _Main:
        """Index `hashes` under strictly increasing `labels`."""
        rows = len(labels)
        if rows > MAX_ROWS:
            raise InvalidInput.expected("hashes", f"at most {MAX_ROWS} hashes in one index", rows)
        chunks = hashes.view(np.uint16)
        offsets = np.empty(CHUNKS * CHUNK_KEYS + 1, dtype=np.uint32)
        postings = np.empty(CHUNKS * rows, dtype=np.uint32)
        for table in range(CHUNKS):
            column = np.ascontiguousarray(chunks[:, table])
            postings[table * rows : (table + 1) * rows] = np.argsort(column, kind="stable")
            counts = np.bincount(column, minlength=CHUNK_KEYS)
            ends = np.cumsum(counts) + table * rows
            offsets[table * CHUNK_KEYS : (table + 1) * CHUNK_KEYS] = ends - counts
        offsets[-1] = CHUNKS * rows
        return cls(*_halves(hashes), labels, np.ones(rows, dtype=bool), offsets, postings)

    @classmethod
    def empty(cls) -> _Main:
        """A main part with no rows (and no tables: `hits` never probes an empty part)."""
        no_rows = np.empty(0, dtype=np.uint32)
        return cls(
            *_halves(np.empty((0, HASH_BYTES), dtype=np.uint8)),
            np.empty(0, dtype=np.int64),
            np.empty(0, bool),
            no_rows,
            no_rows,
        )

    @property
    def hashes(self) -> Hashes:
        """The hashes as (rows, 32) uint8 (a copy)."""
        return np.concatenate([self.front, self.back], axis=1).view(np.uint8)

    def rows_of(self, labels: Labels) -> Ints:
        """The alive rows holding any of `labels` (distinct)."""
        if len(self.labels) == 0:
            return np.empty(0, dtype=np.int64)
        rows: Ints = np.minimum(np.searchsorted(self.labels, labels), len(self.labels) - 1)
        found: Ints = rows[(self.labels[rows] == labels) & self.alive[rows]]
        return found

    def hits(self, queries: Hashes, max_distance: int) -> Hits:
        """(query, label, distance) of every alive row within `max_distance` of each query."""
        if len(self.labels) == 0:
            return _concatenate([])
        found = self._candidates(queries, max_distance)
        if found is None:
            return self._labelled(_scan((self.front, self.back), self.alive, queries, max_distance))
        return self._labelled(self._verify(queries, *found, max_distance))

    def _candidates(self, queries: Hashes, max_distance: int) -> tuple[npt.NDArray[np.uint32], Ints] | None:
        """The rows in the buckets the queries probe, query after query, and how many for each query.

        None when they would be more than `SCAN_SHARE` of the rows: then a scan is as cheap.
        """
        if _probe_count(max_distance) > SCAN_SHARE * CHUNK_KEYS:
            return None
        slots = _probe_slots(queries, max_distance)
        starts = self.offsets.take(slots).astype(np.int64)
        lengths = self.offsets.take(slots + 1).astype(np.int64) - starts
        per_query = lengths.sum(axis=1)
        if int(per_query.sum()) > SCAN_SHARE * len(self.labels) * len(queries):
            return None
        return self.postings.take(_expand(starts.reshape(-1), lengths.reshape(-1))), per_query

    def _verify(
        self, queries: Hashes, candidates: npt.NDArray[np.uint32], per_query: Ints, max_distance: int
    ) -> Hits:
        """(query, row, distance) of the alive candidates within `max_distance`, repeats included."""
        query_front, query_back = _halves(queries)
        near = _half_distances(self.front.take(candidates, axis=0), np.repeat(query_front, per_query, axis=0))
        keep = np.flatnonzero(near <= max_distance)  # half the bits: a lower bound of the distance
        found = candidates.take(keep).astype(np.int64)
        if len(queries) == 1:
            numbers = np.zeros(len(keep), dtype=np.int64)
        else:
            numbers = np.searchsorted(np.cumsum(per_query), keep, side="right")
        rest = _half_distances(self.back.take(found, axis=0), query_back.take(numbers, axis=0))
        dist = near.take(keep).astype(np.int64) + rest
        match = dist <= max_distance
        if self.dead:
            match &= self.alive.take(found)
        return numbers[match], found[match], dist[match]

    def _labelled(self, hits: Hits) -> Hits:
        """Replace rows by their labels."""
        return hits[0], self.labels.take(hits[1]), hits[2]

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        arrays = (self.front, self.back, self.labels, self.alive, self.offsets, self.postings)
        return sum(a.nbytes for a in arrays)


class _Buffer:
    """Recent additions, scanned by brute force until the next compaction."""

    def __init__(self) -> None:
        self.hashes: Hashes = np.empty((0, HASH_BYTES), dtype=np.uint8)
        self.labels: Labels = np.empty(0, dtype=np.int64)
        self.alive: npt.NDArray[np.bool_] = np.empty(0, dtype=bool)
        self.used = 0

    def append(self, labels: Labels, hashes: Hashes) -> None:
        """Add rows (labels not already alive here), growing the arrays by doubling."""
        needed = self.used + len(labels)
        if needed > len(self.labels):
            self._grow(max(needed, 2 * len(self.labels), 64))
        self.hashes[self.used : needed] = hashes
        self.labels[self.used : needed] = labels
        self.alive[self.used : needed] = True
        self.used = needed

    def _grow(self, capacity: int) -> None:
        hashes = np.zeros((capacity, HASH_BYTES), dtype=np.uint8)
        labels = np.zeros(capacity, dtype=np.int64)
        alive = np.zeros(capacity, dtype=bool)
        hashes[: self.used], labels[: self.used], alive[: self.used] = self.live_slices()
        self.hashes, self.labels, self.alive = hashes, labels, alive

    def live_slices(self) -> tuple[Hashes, Labels, npt.NDArray[np.bool_]]:
        """The used part of the arrays, dead rows included."""
        return self.hashes[: self.used], self.labels[: self.used], self.alive[: self.used]

    def kill(self, labels: Labels) -> int:
        """Mark the alive rows of `labels` dead; return how many there were."""
        if self.used == 0:
            return 0
        _, mine, alive = self.live_slices()
        doomed = np.flatnonzero(np.isin(mine, labels) & alive)
        alive[doomed] = False
        return len(doomed)

    def holds(self, label: int) -> bool:
        """Whether `label` is alive here."""
        _, mine, alive = self.live_slices()
        return bool(np.any((mine == label) & alive))

    def rows(self) -> tuple[Hashes, Labels]:
        """The alive hashes and labels."""
        hashes, labels, alive = self.live_slices()
        return hashes[alive], labels[alive]

    def hits(self, queries: Hashes, max_distance: int) -> Hits:
        """(query, label, distance) of every alive row within `max_distance` of each query."""
        if self.used == 0:
            return _concatenate([])
        hashes, labels, alive = self.live_slices()
        numbers, rows, dist = _scan(_halves(hashes), alive, queries, max_distance)
        return numbers, labels.take(rows), dist


def _last_of_each(labels: Labels, hashes: Hashes) -> tuple[Labels, Hashes]:
    """Keep the last occurrence of each label: within one call as across calls, a later one replaces."""
    if len(labels) < 2:
        return labels, hashes
    _, first_from_end = np.unique(labels[::-1], return_index=True)
    if len(first_from_end) == len(labels):
        return labels, hashes
    keep = np.sort(len(labels) - 1 - first_from_end)
    return labels[keep], hashes[keep]


def _group(hits: Hits, count: int) -> list[list[tuple[int, int]]]:
    """Split a batch's hits per query, sorted by distance then label, each (query, label) pair once.

    A row found through several chunk tables comes several times; after sorting its copies are neighbours.
    """
    if len(hits[0]) == 0:
        return [[] for _ in range(count)]
    order = np.lexsort((hits[1], hits[2], hits[0]))
    numbers, labels, dist = hits[0].take(order), hits[1].take(order), hits[2].take(order)
    first = np.ones(len(order), dtype=bool)
    first[1:] = (numbers[1:] != numbers[:-1]) | (labels[1:] != labels[:-1])
    pairs = list(zip(labels[first].tolist(), dist[first].tolist(), strict=True))
    if count == 1:
        return [pairs]
    bounds = np.cumsum(np.bincount(numbers[first], minlength=count)).tolist()
    return [pairs[start:end] for start, end in zip([0, *bounds[:-1]], bounds, strict=True)]


class PdqIndex:
    """PDQ hashes by non-negative int64 label, searched exactly by Hamming distance. Not thread-safe.

    See the module's decisions for the structure, the memory it takes and how it is kept up to date.
    """

    def __init__(self) -> None:
        self._main = _Main.empty()
        self._buffer = _Buffer()
        self._live = 0

    def __len__(self) -> int:
        return self._live

    def __contains__(self, label: object) -> bool:
        if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= label < 2**63:
            return False
        in_main = len(self._main.rows_of(np.array([label], dtype=np.int64))) > 0
        return in_main or self._buffer.holds(int(label))

    def add(self, labels: Sequence[int] | npt.NDArray[Any], hashes: Sequence[str] | npt.NDArray[Any]) -> None:
        """Index `hashes` (hex strings or an (n, 32) uint8 array) under `labels`; re-adding replaces.

        Raises InvalidInput for a bad label or hash (naming its position) or when the counts differ.
        """
        keys, values = _as_labels(labels), as_hashes(hashes)
        if len(keys) != len(values):
            raise InvalidInput.expected("hashes", f"{len(keys)} hashes, one per label", len(values))
        keys, values = _last_of_each(keys, values)
        self._forget(keys)
        self._buffer.append(keys, values)
        self._live += len(keys)
        self._compact_if_due()

    def remove(self, labels: Iterable[int]) -> None:
        """Forget `labels`; labels that are not indexed are ignored."""
        self._forget(np.unique(_as_labels(labels)))
        self._compact_if_due()

    def _forget(self, labels: Labels) -> None:
        """Tombstone the alive rows of distinct `labels` in the main part and the buffer."""
        rows = self._main.rows_of(labels)
        self._main.alive[rows] = False
        self._main.dead += len(rows)
        self._live -= len(rows) + self._buffer.kill(labels)

    def _compact_if_due(self) -> None:
        rows = len(self._main.labels)
        if self._buffer.used > max(BUFFER_MIN, rows // BUFFER_SHARE) or self._main.dead > rows // 4:
            self.compact()

    def compact(self) -> None:
        """Rebuild the main tables from the live rows and empty the buffer (results do not change)."""
        hashes, labels = self._contents()
        self._main = _Main.build(hashes, labels) if len(labels) else _Main.empty()
        self._buffer = _Buffer()

    def _contents(self) -> tuple[Hashes, Labels]:
        """The live hashes and labels, sorted by label."""
        alive = self._main.alive
        main_hashes, main_labels = self._main.hashes[alive], self._main.labels[alive]
        if self._buffer.used == 0:
            return main_hashes, main_labels
        recent_hashes, recent_labels = self._buffer.rows()
        labels = np.concatenate([main_labels, recent_labels])
        order = np.argsort(labels, kind="stable")
        return np.concatenate([main_hashes, recent_hashes]).take(order, axis=0), labels.take(order)

    def query(self, pdq_hex: str, max_distance: int = DEFAULT_MAX_DISTANCE) -> list[tuple[int, int]]:
        """Return (label, distance) of every hash within `max_distance` bits, by distance then label.

        Raises InvalidInput for a hash that is not 64 hex digits or a distance outside 0..256.
        """
        return self.query_array(hex_to_hash(pdq_hex), max_distance)[0]

    def query_many(
        self, pdq_hexes: Sequence[str], max_distance: int = DEFAULT_MAX_DISTANCE
    ) -> list[list[tuple[int, int]]]:
        """`query` for each hash, computed in vectorised batches; raises InvalidInput naming a bad hash."""
        return self.query_array(as_hashes(pdq_hexes, "queries"), max_distance)

    def query_array(
        self, queries: npt.NDArray[Any], max_distance: int = DEFAULT_MAX_DISTANCE
    ) -> list[list[tuple[int, int]]]:
        """`query_many` for an (n, 32) uint8 array of hashes."""
        hashes, distance = as_hashes(queries, "queries"), _check_distance(max_distance)
        results: list[list[tuple[int, int]]] = []
        for start in range(0, len(hashes), BATCH_QUERIES):
            batch = hashes[start : start + BATCH_QUERIES]
            found = [self._main.hits(batch, distance)]
            if self._buffer.used:
                found.append(self._buffer.hits(batch, distance))
            results.extend(_group(_concatenate(found), len(batch)))
        return results

    @property
    def nbytes(self) -> int:
        """Resident bytes of the index's arrays (main tables, hashes, labels, tombstones and buffer)."""
        buffer = self._buffer
        return self._main.nbytes + buffer.hashes.nbytes + buffer.labels.nbytes + buffer.alive.nbytes

    def save(self, directory: Path) -> None:
        """Write the live labels and hashes to `directory` atomically (see the module's decisions)."""
        hashes, labels = self._contents()
        _write_atomically(Path(directory), {"hashes": hashes, "labels": labels})

    @classmethod
    def load(cls, directory: Path) -> PdqIndex:
        """Read an index written by `save` and rebuild its tables.

        Raises UnusableIndex (a ValueError) when it is missing, corrupt, inconsistent or of another version.
        """
        hashes, labels = _read_checked(Path(directory))
        index = cls()
        index._main = _Main.build(hashes, labels)
        index._live = len(labels)
        return index


def _write_atomically(directory: Path, arrays: dict[str, npt.NDArray[Any]]) -> None:
    """Write `arrays` and their meta into a fresh sibling directory, then swap it in for `directory`."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(directory)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.new-", dir=directory.parent))
    try:
        digests = {name: _write_array(staging / f"{name}.npy", array) for name, array in arrays.items()}
        count = len(arrays["labels"])
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "count": count, "sha256": digests}
        _write_bytes(staging / "meta.json", json.dumps(meta, indent=1).encode())
        _swap(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _remove_leftovers(directory: Path) -> None:
    """Delete staging or set-aside copies that an interrupted save left beside `directory`."""
    for pattern in (f".{directory.name}.new-*", f".{directory.name}.old-*"):
        for leftover in directory.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def _write_array(path: Path, array: npt.NDArray[Any]) -> str:
    """Write `array` as .npy (no pickle) and return the SHA-256 of the file."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    data = buffer.getbuffer()
    _write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()


def _write_bytes(path: Path, data: bytes | memoryview) -> None:
    """Write and fsync a file."""
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _swap(staging: Path, directory: Path) -> None:
    """Rename `staging` to `directory`, setting an existing copy aside first and deleting it after."""
    aside = directory.parent / f".{directory.name}.old-{uuid.uuid4().hex}"
    had_old = directory.exists()
    if had_old:
        directory.rename(aside)
    staging.rename(directory)
    descriptor = os.open(directory.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if had_old:
        shutil.rmtree(aside, ignore_errors=True)


def _read_checked(directory: Path) -> tuple[Hashes, Labels]:
    """Read and check the arrays of a saved index; raise UnusableIndex for any problem."""
    try:
        meta = json.loads((directory / "meta.json").read_bytes())
        hashes, labels = (_read_array(directory, meta, name) for name in ("hashes", "labels"))
    except (OSError, ValueError, EOFError, TypeError, KeyError) as error:
        raise UnusableIndex(f"PDQ index in {directory} cannot be used: {error}") from None
    count = meta.get("count")
    if labels.dtype != np.int64 or labels.ndim != 1 or len(labels) != count:
        raise UnusableIndex(f"PDQ index in {directory} has labels that are not {count} int64 values")
    if hashes.dtype != np.uint8 or hashes.shape != (len(labels), HASH_BYTES):
        raise UnusableIndex(f"PDQ index in {directory} does not hold one 32-byte hash per label")
    if len(labels) and (labels[0] < 0 or np.any(labels[1:] <= labels[:-1])):
        raise UnusableIndex(f"PDQ index in {directory} has labels that are not distinct, sorted and >= 0")
    return np.ascontiguousarray(hashes), labels


def _read_array(directory: Path, meta: Any, name: str) -> npt.NDArray[Any]:
    """Read one array after checking the meta's format, version and the file's SHA-256."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
        raise ValueError(f"it does not hold a {FORMAT} of version {FORMAT_VERSION}")
    data = (directory / f"{name}.npy").read_bytes()
    if hashlib.sha256(data).hexdigest() != meta["sha256"][name]:
        raise ValueError(f"{name}.npy does not match its checksum")
    array: npt.NDArray[Any] = np.load(io.BytesIO(data), allow_pickle=False)
    return array
