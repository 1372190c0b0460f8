"""The PDQ index: brute force's hits at every radius after any updates, persisted safely, strict input."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.engines.content import pdq_index
from ctexchange.engines.content.pdq_index import (
    PdqIndex,
    UnusableIndex,
    as_hashes,
    brute_force,
    hex_to_bytes,
)
from ctexchange.errors import InvalidInput

RADII = range(65)


def _flip(rng: np.random.Generator, hashes: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Copies of `hashes` with bits[i] distinct random bits of row i flipped."""
    out = np.unpackbits(hashes, axis=1)
    for row, count in enumerate(bits.tolist()):
        out[row, rng.choice(256, size=count, replace=False)] ^= 1
    return np.packbits(out, axis=1)


def _spread(rng: np.random.Generator, hashes: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Copies with totals[i] bits flipped as evenly as possible over the 16 chunks (pigeonhole worst case)."""
    out = np.unpackbits(hashes, axis=1)
    for row, total in enumerate(totals.tolist()):
        per_chunk = np.full(16, total // 16)
        per_chunk[rng.choice(16, size=total % 16, replace=False)] += 1
        for chunk, count in enumerate(per_chunk.tolist()):
            out[row, 16 * chunk + rng.choice(16, size=count, replace=False)] ^= 1
    return np.packbits(out, axis=1)


def _bank(rng: np.random.Generator, count: int, clustered: bool) -> np.ndarray:
    """Uniform random hashes, or clusters of near-duplicates (1 to 40 bits from a seed) like real banks."""
    if not clustered:
        return rng.integers(0, 256, size=(count, 32), dtype=np.uint8)
    seeds = rng.integers(0, 256, size=(max(1, count // 4), 32), dtype=np.uint8)
    base = seeds[rng.integers(0, len(seeds), size=count)]
    return _flip(rng, base, rng.integers(0, 41, size=count))


def _queries(rng: np.random.Generator, model: dict[int, bytes], dead: list[bytes]) -> np.ndarray:
    """Near-duplicates (0 to 64 bits off, some spread evenly) of live and removed hashes; unrelated ones."""
    unrelated = rng.integers(0, 256, size=(2, 32), dtype=np.uint8)
    pool = list(model.values()) + dead
    if not pool:
        return unrelated
    near = np.frombuffer(b"".join(pool), dtype=np.uint8).reshape(-1, 32)
    picked = near[rng.integers(0, len(near), size=6)]
    recent = np.frombuffer(b"".join(dead[-2:]), dtype=np.uint8).reshape(-1, 32)
    picked[: len(recent)] = recent  # removed and replaced hashes must stay unfound
    flipped = _flip(rng, picked[:3], rng.integers(0, 65, size=3))
    return np.concatenate([flipped, _spread(rng, picked[3:], rng.integers(0, 65, size=3)), unrelated])


def _expected(model: dict[int, bytes], query: np.ndarray, radius: int) -> list[tuple[int, int]]:
    """Brute force's answer over the model."""
    labels = np.array(list(model), dtype=np.int64)
    hashes = np.frombuffer(b"".join(model.values()), dtype=np.uint8).reshape(-1, 32)
    return brute_force(labels, hashes, query.tobytes().hex(), radius)


def _assert_exact(index: PdqIndex, model: dict[int, bytes], queries: np.ndarray) -> None:
    """Every query at every radius 0..64 returns what brute force over `model` returns."""
    assert len(index) == len(model)
    hexes = [q.tobytes().hex() for q in queries]
    widest = [_expected(model, query, max(RADII)) for query in queries]
    for radius in RADII:
        found = index.query_many(hexes, radius)
        for got, everything in zip(found, widest, strict=True):
            assert got == [hit for hit in everything if hit[1] <= radius], radius


@contextmanager
def _tuned(buffer_min: int, scan_share: float) -> Iterator[None]:
    """Small buffers (so compaction happens) and a chosen path: tables only, scans only, or the default."""
    with (
        mock.patch.object(pdq_index, "BUFFER_MIN", buffer_min),
        mock.patch.object(pdq_index, "SCAN_SHARE", scan_share),
    ):
        yield


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 60), st.booleans()),
        st.tuples(st.just("remove"), st.floats(0, 1), st.booleans()),
        st.tuples(st.just("readd"), st.floats(0, 1), st.booleans()),
        st.tuples(st.just("compact"), st.just(0), st.just(False)),
    ),
    min_size=1,
    max_size=5,
)


def _apply(
    index: PdqIndex,
    model: dict[int, bytes],
    dead: list[bytes],
    rng: np.random.Generator,
    step: tuple[str, float, bool],
) -> None:
    """Apply one operation to the index and to the model dict."""
    kind, amount, flag = step
    if kind == "add":
        hashes = _bank(rng, int(amount), clustered=flag)
        labels = rng.choice(10_000, size=int(amount), replace=False)
        index.add(labels, hashes)
        model.update((int(label), row.tobytes()) for label, row in zip(labels, hashes, strict=True))
    elif kind in ("remove", "readd") and model:
        chosen = [label for label in model if rng.random() < amount]
        absent = [20_000 + i for i in range(3)] if flag else []
        if kind == "remove":
            index.remove(chosen + absent)
            dead.extend(model.pop(label) for label in chosen)
        else:
            fresh = _bank(rng, len(chosen), clustered=True)
            index.add(chosen, [row.tobytes().hex() for row in fresh])
            dead.extend(model[label] for label in chosen)
            model.update((label, row.tobytes()) for label, row in zip(chosen, fresh, strict=True))
    elif kind == "compact":
        index.compact()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    steps=OPERATIONS,
    path=st.sampled_from([0.25, float("inf"), 0.0]),
)
def test_index_equals_brute_force_across_updates(
    seed: int, steps: list[tuple[str, float, bool]], path: float
) -> None:
    """After any add/remove/re-add/compact sequence, every radius 0..64 returns exactly brute force's hits."""
    rng = np.random.default_rng(seed)
    index, model, dead = PdqIndex(), {}, []
    with _tuned(buffer_min=8, scan_share=path):
        for step in steps:
            _apply(index, model, dead, rng, step)
        _assert_exact(index, model, _queries(rng, model, dead))
        assert all(label in index for label in model)
        assert not any(label in index for label in range(20_000, 20_003))


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), clustered=st.booleans())
def test_save_load_round_trip(seed: int, clustered: bool) -> None:
    """A loaded index holds the same labels and answers every query exactly as the saved one."""
    rng = np.random.default_rng(seed)
    index = PdqIndex()
    labels = rng.choice(2**62, size=200, replace=False)
    hashes = _bank(rng, 200, clustered)
    index.add(labels, hashes)
    index.remove(labels[:20].tolist())
    index.add(labels[:5], _bank(rng, 5, clustered))
    queries = _flip(rng, hashes[rng.integers(0, 200, size=8)], rng.integers(0, 40, size=8))
    with tempfile.TemporaryDirectory() as tmp:
        index.save(Path(tmp) / "pdq")
        loaded = PdqIndex.load(Path(tmp) / "pdq")
    assert len(loaded) == len(index) == 185
    assert all((int(label) in loaded) == (int(label) in index) for label in labels)
    for radius in (0, 10, 31, 47):
        assert loaded.query_array(queries, radius) == index.query_array(queries, radius)


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_distance_is_symmetric(left: bytes, right: bytes) -> None:
    """Querying a with b indexed finds the same distance as querying b with a indexed."""
    one, other = PdqIndex(), PdqIndex()
    one.add([1], [left.hex()])
    other.add([1], [right.hex()])
    assert one.query(right.hex(), 256) == other.query(left.hex(), 256)
    assert one.query(right.hex(), 256)[0][1] == bin(int(left.hex(), 16) ^ int(right.hex(), 16)).count("1")


def test_re_adding_a_label_replaces_its_hash() -> None:
    """A label added again, in another call or later in the same call, keeps only its last hash."""
    first, second, third = "00" * 32, "ff" * 32, "0f" * 32
    index = PdqIndex()
    index.add([7, 8], [first, first])
    index.add([7], [second])
    assert index.query(first, 0) == [(8, 0)]
    assert index.query(second, 0) == [(7, 0)]
    index.add([9, 9], [first, third])
    assert index.query(third, 0) == [(9, 0)]
    assert index.query(first, 0) == [(8, 0)]
    assert len(index) == 3


def test_results_sorted_by_distance_then_label() -> None:
    """Hits come nearest first, ties by label."""
    base = np.zeros((1, 32), dtype=np.uint8)
    hashes = np.repeat(base, 4, axis=0)
    hashes[0, 0], hashes[1, 0], hashes[2, 1] = 0b11, 0b1, 0b1
    index = PdqIndex()
    index.add([40, 30, 20, 10], hashes)
    assert index.query("00" * 32) == [(10, 0), (20, 1), (30, 1), (40, 2)]


def test_removed_and_replaced_rows_of_the_main_tables_are_not_found() -> None:
    """Tombstones in the compacted tables hide removed and replaced hashes until the next compaction."""
    rng = np.random.default_rng(7)
    hashes = _bank(rng, 100, clustered=False)
    index = PdqIndex()
    index.add(np.arange(100), hashes)
    index.compact()
    index.remove(range(10))
    index.add(range(10, 20), _bank(rng, 10, clustered=False))
    for label in range(20):
        assert index.query(hashes[label].tobytes().hex(), 0) == []
    assert index.query(hashes[50].tobytes().hex(), 0) == [(50, 0)]
    assert len(index) == 90


def test_remove_ignores_absent_labels_and_contains_follows() -> None:
    """Removing unknown labels does nothing; `in` and len follow adds and removes."""
    index = PdqIndex()
    index.add([1, 2, 3], ["00" * 32, "11" * 32, "22" * 32])
    index.remove([2, 99])
    index.remove([2])
    assert len(index) == 2
    assert 1 in index and 2 not in index and 3 in index
    assert "1" not in index and -1 not in index and True not in index
    assert index.query("11" * 32, 0) == []


def test_empty_index_answers_nothing() -> None:
    """An empty index (and an empty batch) return empty results."""
    index = PdqIndex()
    assert index.query("ab" * 32) == []
    assert index.query_many([]) == []
    assert len(index) == 0


def test_large_batches_span_several_groups() -> None:
    """query_many over more queries than one vectorised group equals single queries."""
    rng = np.random.default_rng(3)
    hashes = _bank(rng, 500, clustered=True)
    index = PdqIndex()
    index.add(np.arange(500), hashes)
    queries = [row.tobytes().hex() for row in _flip(rng, hashes[:150], rng.integers(0, 35, size=150))]
    assert index.query_many(queries) == [index.query(q) for q in queries]


def test_nbytes_counts_the_arrays() -> None:
    """Resident bytes: 105 B per hash (hash, label, tombstone, 16 postings) plus 4 MiB of bucket offsets."""
    index = PdqIndex()
    index.add(np.arange(1000), np.random.default_rng(1).integers(0, 256, size=(1000, 32), dtype=np.uint8))
    index.compact()
    fixed = (16 * 65536 + 1) * 4
    assert 100 * 1000 <= index.nbytes - fixed <= 110 * 1000


def test_hex_parsing_accepts_case_and_names_the_bad_position() -> None:
    """Upper- and lowercase hex parse alike; a bad hash is refused naming its position."""
    assert hex_to_bytes(["AB" * 32, "ab" * 32]).tolist() == [[0xAB] * 32] * 2
    for bad in ["ab" * 31, "ab" * 33, "zz" * 32, "ab " * 21 + "a", 17, None]:
        with pytest.raises(InvalidInput) as info:
            hex_to_bytes(["00" * 32, bad])  # type: ignore[list-item]
        assert info.value.field == "hashes[1]"
        assert "PDQ hash of 64 hex digits" in info.value.message


def test_bad_input_is_refused_with_the_field_named() -> None:
    """Bad labels, hashes, counts and distances raise InvalidInput naming the field."""
    index = PdqIndex()
    cases = [
        (lambda: index.add([1, -2], ["00" * 32] * 2), "labels[1]"),
        (lambda: index.add([1.5], ["00" * 32]), "labels[0]"),
        (lambda: index.add([1, True], ["00" * 32] * 2), "labels[1]"),
        (lambda: index.add([3, 2**64], ["00" * 32] * 2), "labels[1]"),
        (lambda: index.add(np.array([4, -4]), ["00" * 32] * 2), "labels[1]"),
        (lambda: index.add(np.array([[4]]), ["00" * 32]), "labels"),
        (lambda: index.remove(["7"]), "labels[0]"),
        (lambda: index.add([1, 2], ["00" * 32]), "hashes"),
        (lambda: index.add([1], np.zeros((1, 31), dtype=np.uint8)), "hashes"),
        (lambda: index.add([1], "00" * 32), "hashes"),
        (lambda: index.query("xyz"), "pdq"),
        (lambda: index.query_many(["00" * 32, "0"]), "queries[1]"),
        (lambda: index.query("00" * 32, -1), "max_distance"),
        (lambda: index.query("00" * 32, 257), "max_distance"),
        (lambda: index.query("00" * 32, True), "max_distance"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidInput) as info:
            call()
        assert info.value.field == field
    assert as_hashes(np.zeros((2, 32), dtype=np.uint8)).shape == (2, 32)


def _saved(tmp_path: Path) -> Path:
    """A small index saved under tmp_path/pdq."""
    index = PdqIndex()
    index.add([3, 1, 2], ["00" * 32, "11" * 32, "22" * 32])
    index.save(tmp_path / "pdq")
    return tmp_path / "pdq"


def test_save_replaces_atomically_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """Saving over an existing index replaces it whole; no staging or old copies remain beside it."""
    directory = _saved(tmp_path)
    index = PdqIndex()
    index.add([5], ["33" * 32])
    index.save(directory)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pdq"]
    assert sorted(p.name for p in directory.iterdir()) == ["hashes.npy", "labels.npy", "meta.json"]
    loaded = PdqIndex.load(directory)
    assert len(loaded) == 1 and loaded.query("33" * 32, 0) == [(5, 0)]


def _rewrite_meta(directory: Path, **changes: object) -> None:
    """Edit meta.json as someone with write access to the directory could."""
    meta = json.loads((directory / "meta.json").read_text())
    meta.update(changes)
    (directory / "meta.json").write_text(json.dumps(meta))


def _plant(directory: Path, name: str, array: np.ndarray, *, allow_pickle: bool = False) -> None:
    """Replace an array file and fix its checksum, as someone with write access to the directory could."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    (directory / f"{name}.npy").write_bytes(buffer.getvalue())
    meta = json.loads((directory / "meta.json").read_text())
    meta["sha256"][name] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (directory / "meta.json").write_text(json.dumps(meta))


CORRUPTIONS = {
    "missing directory": shutil.rmtree,
    "missing meta": lambda d: (d / "meta.json").unlink(),
    "meta not json": lambda d: (d / "meta.json").write_text("{"),
    "other version": lambda d: _rewrite_meta(d, version=99),
    "other format": lambda d: _rewrite_meta(d, format="faiss"),
    "wrong count": lambda d: _rewrite_meta(d, count=4),
    "truncated": lambda d: (d / "hashes.npy").write_bytes((d / "hashes.npy").read_bytes()[:-7]),
    "flipped byte": lambda d: (d / "labels.npy").write_bytes((d / "labels.npy").read_bytes()[:-1] + b"\x07"),
    "missing array": lambda d: (d / "labels.npy").unlink(),
    "pickled objects": lambda d: _plant(d, "labels", np.array([1, 2, {}], dtype=object), allow_pickle=True),
    "unsorted labels": lambda d: _plant(d, "labels", np.array([2, 1, 3], dtype=np.int64)),
    "negative labels": lambda d: _plant(d, "labels", np.array([-1, 1, 3], dtype=np.int64)),
    "wrong dtype": lambda d: _plant(d, "labels", np.array([1, 2, 3], dtype=np.int32)),
    "short hashes": lambda d: _plant(d, "hashes", np.zeros((3, 31), dtype=np.uint8)),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_load_refuses_missing_corrupt_or_foreign_indexes(tmp_path: Path, corruption: str) -> None:
    """Any damage to a saved index raises UnusableIndex (a ValueError), so the caller rebuilds."""
    directory = _saved(tmp_path)
    CORRUPTIONS[corruption](directory)
    with pytest.raises(UnusableIndex):
        PdqIndex.load(directory)
    assert issubclass(UnusableIndex, ValueError)
