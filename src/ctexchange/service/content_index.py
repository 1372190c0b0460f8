"""The in-memory mirror of content signals and their indexes, following the store's change log.

One mirror per process covers every active or disputed content signal, visible to the caller or not
(DESIGN.md: a lookup is matched against every active signal; the service drops what the caller may not
see). Each signal gets a dense integer label, the only id the engines know; the mirror maps labels back to
signal ids and collections.

- md5 and sha256: dictionaries from digest to labels.
- pdq: one `PdqIndex` over every PDQ signal; a lookup asks for the largest distance any collection uses and
  the service keeps the hits within each collection's own distance.
- video: the unique good frames of every video signal go into a second `PdqIndex`, labelled
  `video_label << FRAME_BITS | frame number`; per-video counts give vPDQ's index-match percentage exactly.
- text and url: their engines' indexes.

Updates are incremental: a signal added, delisted or changed is re-applied from the change log before the
next lookup, without a rebuild. The mirror is saved under `<home>/indexes/content` (NumPy arrays and JSON,
never pickles) with the change-log position it covers and the store it came from; a process that starts
loads it and follows the log from there, and rebuilds from the store when the files are missing, corrupt,
from another store, or ahead of the store (a store restored from an older backup).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import numpy as np

from ctexchange.domain.queries import PageRequest, SignalQuery
from ctexchange.domain.signals import Family, JsonValue, Signal, SignalStatus
from ctexchange.engines.content.pdq import MIN_QUALITY
from ctexchange.engines.content.pdq_index import PdqIndex
from ctexchange.engines.content.text_index import TextFingerprint, TextIndex, fingerprint
from ctexchange.engines.content.url import parse_rule
from ctexchange.engines.content.url_index import UrlIndex
from ctexchange.engines.content.video import VideoFrame, parse_vpdq
from ctexchange.store.protocol import Store, UnitOfWork

FORMAT_VERSION = 1
FRAME_BITS = 20  # frame numbers below 2**20 (a video signal holds at most 20,000 frames)
CHANGE_BATCH = 5000
LOAD_PAGE = 1000
MATCHABLE = (SignalStatus.ACTIVE, SignalStatus.DISPUTED)
EXACT_KINDS = ("md5", "sha256")
KINDS = ("md5", "sha256", "pdq", "video", "text", "url")
NONE = 255  # kind code of a label whose signal cannot match now (removed, expired, delisted)


@dataclass(frozen=True)
class IndexedSignal:
    """What the mirror keeps of a content signal: enough to route a hit back to it."""

    signal_id: UUID
    collection_id: UUID
    kind: str


def unique_good_frames(frames: Iterable[VideoFrame], min_quality: int = MIN_QUALITY) -> dict[str, int]:
    """Return the frame number of each distinct hash whose first frame has quality `min_quality` or better.

    vPDQ counts match percentages over unique frames (a still scene held for a minute is one frame); as in
    the reference matcher (and `compare_videos`), frames are de-duplicated first, then filtered by quality.
    """
    seen: set[str] = set()
    unique: dict[str, int] = {}
    for frame in frames:
        if frame.pdq in seen:
            continue
        seen.add(frame.pdq)
        if frame.quality >= min_quality:
            unique[frame.pdq] = frame.index
    return unique


class ContentIndexes:
    """Every content signal's fingerprint, indexed; guarded by `lock` (the engines are not thread-safe)."""

    def __init__(self, directory: Path | None = None, store_id: str = "") -> None:
        self.directory = directory
        self.store_id = store_id
        self.lock = threading.Lock()
        self.seq: int | None = None
        self._reset()

    def _reset(self) -> None:
        # Label-indexed arrays rather than a Python object per signal: a million signals load in a second
        # (building a million UUID objects alone takes several). `labels` maps a signal id's 16 bytes.
        self._signal_ids = np.zeros((0, 16), dtype=np.uint8)
        self._collections = np.zeros(0, dtype=np.int32)
        self._kinds = np.zeros(0, dtype=np.uint8)
        self.collection_ids: list[UUID] = []
        self._collection_codes: dict[UUID, int] = {}
        self.labels: dict[bytes, int] = {}
        self.next_label = 0
        self._pending_pdq: list[tuple[int, str]] = []
        self._pending_text: list[tuple[int, TextFingerprint]] = []
        self.exact: dict[str, dict[str, set[int]]] = {kind: {} for kind in EXACT_KINDS}
        self.keys: dict[int, str] = {}
        self.pdq = PdqIndex()
        self.frames = PdqIndex()
        self.video_frames: dict[int, list[int]] = {}
        self.text = TextIndex()
        self.url = UrlIndex()
        self.changed = False

    def refresh(self, store: Store) -> None:
        """Bring the mirror up to date with the store: load or rebuild the first time, then follow."""
        with self.lock, store.snapshot() as uow:
            if self.seq is None and not self._load(uow):
                self._load_all(uow)
            self._follow(uow)

    def _load_all(self, uow: UnitOfWork) -> None:
        self._reset()
        self.seq = uow.signals.last_change_seq()
        page = PageRequest(LOAD_PAGE)
        while True:
            got = uow.signals.find(SignalQuery(family=Family.CONTENT), None, page)
            self.put_many(got.items, flush=False)
            if got.next_after is None:
                self._flush()
                return
            page = PageRequest(LOAD_PAGE, got.next_after)

    def _follow(self, uow: UnitOfWork) -> None:
        while True:
            changes = uow.signals.changes_since(self.seq or 0, CHANGE_BATCH)
            found = uow.signals.get_many([signal_id for _, signal_id, _ in changes])
            self.put_many([s for s in found.values() if s.family is Family.CONTENT])
            if changes:
                self.seq = changes[-1][0]
            if len(changes) < CHANGE_BATCH:
                return

    def put(self, signal: Signal) -> None:
        """Index `signal` as it is now: drop its old entry, add it again if it can match."""
        self.put_many([signal])

    def put_many(self, signals: Iterable[Signal], flush: bool = True) -> None:
        """Index signals as they are now; PDQ hashes and texts go into their indexes in one step each.

        Adding a million signals page by page would make the PDQ and text indexes merge their buffers
        hundreds of times; a full load holds them back (`flush=False`) and adds them all at once.
        """
        latest = {signal.id: signal for signal in signals}
        for signal in latest.values():
            label = self._place(signal)
            if label is None:
                continue
            if signal.kind == "pdq":
                self._pending_pdq.append((label, str(signal.value)))
            elif signal.kind == "text":
                self._pending_text.append((label, fingerprint(str(signal.value))))
            else:
                self._add_value(label, signal.kind, signal.value, signal.value_key)
        if flush:
            self._flush()

    def _flush(self) -> None:
        if self._pending_pdq:
            labels, hashes = zip(*self._pending_pdq, strict=True)
            self.pdq.add(list(labels), list(hashes))
        if self._pending_text:
            self.text.add_many(self._pending_text)
        self._pending_pdq, self._pending_text = [], []

    def _place(self, signal: Signal) -> int | None:
        """Drop the signal's old entry; return its label if it can match now, else None."""
        self.changed = True
        label = self.labels.get(signal.id.bytes)
        if label is not None:
            self._drop(label)
        if signal.status not in MATCHABLE or signal.kind not in KINDS:
            return None
        if label is None:
            label = self._new_label(signal.id)
        self._collections[label] = self._collection_code(signal.collection_id)
        self._kinds[label] = KINDS.index(signal.kind)
        return label

    def _new_label(self, signal_id: UUID) -> int:
        label = self.next_label
        if label >= len(self._kinds):
            self._grow(max(1024, 2 * len(self._kinds)))
        self.next_label += 1
        self._signal_ids[label] = np.frombuffer(signal_id.bytes, dtype=np.uint8)
        self.labels[signal_id.bytes] = label
        return label

    def _grow(self, capacity: int) -> None:
        grown = np.zeros((capacity, 16), dtype=np.uint8)
        grown[: len(self._signal_ids)] = self._signal_ids
        self._signal_ids = grown
        self._collections = np.resize(self._collections, capacity)
        self._kinds = np.concatenate([self._kinds, np.full(capacity - len(self._kinds), NONE, np.uint8)])

    def _collection_code(self, collection_id: UUID) -> int:
        code = self._collection_codes.get(collection_id)
        if code is None:
            code = self._collection_codes[collection_id] = len(self.collection_ids)
            self.collection_ids.append(collection_id)
        return code

    def ref(self, label: int) -> IndexedSignal | None:
        """Return what the mirror holds of the signal with this label, or None if it cannot match."""
        if not 0 <= label < self.next_label or self._kinds[label] == NONE:
            return None
        signal_id = UUID(bytes=self._signal_ids[label].tobytes())
        collection_id = self.collection_ids[int(self._collections[label])]
        return IndexedSignal(signal_id, collection_id, KINDS[int(self._kinds[label])])

    def __len__(self) -> int:
        return int(np.count_nonzero(self._kinds[: self.next_label] != NONE))

    def _add_value(self, label: int, kind: str, value: JsonValue, key: str) -> None:
        if kind in EXACT_KINDS:
            self.exact[kind].setdefault(key, set()).add(label)
            self.keys[label] = key
        elif kind == "video":
            self._add_video(label, value)
        elif kind == "url":
            self.url.add(label, parse_rule(value))

    def _add_video(self, label: int, value: JsonValue) -> None:
        lines = value.get("frames", []) if isinstance(value, dict) else []
        frames = parse_vpdq([str(line) for line in lines] if isinstance(lines, list) else [], "value")
        unique = unique_good_frames(frames)
        frame_labels = [label << FRAME_BITS | index for index in unique.values()]
        self.frames.add(frame_labels, list(unique))
        self.video_frames[label] = frame_labels

    def _drop(self, label: int) -> None:
        code = int(self._kinds[label])
        if code == NONE:
            return
        self._kinds[label] = NONE
        kind = KINDS[code]
        if kind in EXACT_KINDS:
            key = self.keys.pop(label)
            holders = self.exact[kind].get(key, set())
            holders.discard(label)
            if not holders:
                self.exact[kind].pop(key, None)
        elif kind == "pdq":
            self.pdq.remove([label])
        elif kind == "video":
            self.frames.remove(self.video_frames.pop(label, []))
        elif kind == "text":
            self.text.remove(label)
        elif kind == "url":
            self.url.remove(label)

    def save(self) -> None:
        """Write the mirror to its directory (atomically: a new directory renamed over the old one)."""
        if self.directory is None or self.seq is None:
            return
        with self.lock:
            staging = self.directory.with_name(self.directory.name + ".new")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            self._write(staging)
            old = self.directory.with_name(self.directory.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self.directory.exists():
                self.directory.rename(old)
            staging.rename(self.directory)
            shutil.rmtree(old, ignore_errors=True)
            self.changed = False

    def _write(self, target: Path) -> None:
        count = self.next_label
        np.save(target / "signal_ids.npy", self._signal_ids[:count])
        np.save(target / "collections.npy", self._collections[:count])
        np.save(target / "kinds.npy", self._kinds[:count])
        (target / "collection_ids.json").write_text(json.dumps([str(c) for c in self.collection_ids]))
        (target / "exact.json").write_text(json.dumps(sorted(self.keys.items())))
        (target / "videos.json").write_text(json.dumps({str(k): v for k, v in self.video_frames.items()}))
        for name, index in (("pdq", self.pdq), ("frames", self.frames), ("text", self.text)):
            (target / name).mkdir()
            index.save(target / name)
        self.url.save(target / "url.json")
        meta = {"format": FORMAT_VERSION, "store": self.store_id, "seq": self.seq, "next": self.next_label}
        (target / "meta.json").write_text(json.dumps(meta))

    def _load(self, uow: UnitOfWork) -> bool:
        """Load the saved mirror if it belongs to this store and is not ahead of it; say whether it did."""
        if self.directory is None or not (self.directory / "meta.json").exists():
            return False
        try:
            meta = json.loads((self.directory / "meta.json").read_text())
            if meta.get("format") != FORMAT_VERSION or meta.get("store") != self.store_id:
                return False
            if int(meta["seq"]) > uow.signals.last_change_seq():
                return False
            self._read(self.directory, int(meta["next"]))
            self.seq = int(meta["seq"])
        except (OSError, ValueError, KeyError, TypeError):
            self._reset()
            return False
        return True

    def _read(self, source: Path, next_label: int) -> None:
        self._reset()
        signal_ids = np.load(source / "signal_ids.npy", allow_pickle=False)
        collections = np.load(source / "collections.npy", allow_pickle=False)
        kinds = np.load(source / "kinds.npy", allow_pickle=False)
        self.collection_ids = [UUID(c) for c in json.loads((source / "collection_ids.json").read_text())]
        self._collection_codes = {c: n for n, c in enumerate(self.collection_ids)}
        _check_arrays(signal_ids, collections, kinds, next_label, len(self.collection_ids))
        self._signal_ids, self._collections, self._kinds = signal_ids, collections, kinds
        raw = signal_ids.tobytes()
        live = np.flatnonzero(kinds != NONE).tolist()
        self.labels = {raw[16 * label : 16 * label + 16]: label for label in live}
        for label, key in json.loads((source / "exact.json").read_text()):
            self.keys[int(label)] = key
            self.exact[KINDS[int(kinds[label])]].setdefault(key, set()).add(int(label))
        videos = json.loads((source / "videos.json").read_text())
        self.video_frames = {int(k): [int(x) for x in v] for k, v in videos.items()}
        self.pdq = PdqIndex.load(source / "pdq")
        self.frames = PdqIndex.load(source / "frames")
        self.text = TextIndex.load(source / "text")
        self.url = UrlIndex.load(source / "url.json")
        self.next_label = next_label
        self.changed = False


def _check_arrays(
    signal_ids: np.ndarray, collections: np.ndarray, kinds: np.ndarray, count: int, collection_count: int
) -> None:
    """Refuse saved arrays of the wrong shape or type, or pointing outside their tables."""
    shapes_ok = signal_ids.shape == (count, 16) and collections.shape == (count,) and kinds.shape == (count,)
    types_ok = signal_ids.dtype == np.uint8 and collections.dtype == np.int32 and kinds.dtype == np.uint8
    if not (shapes_ok and types_ok):
        raise ValueError("the saved content index is inconsistent")
    live = kinds != NONE
    if np.any(kinds[live] >= len(KINDS)) or np.any(
        (collections[live] < 0) | (collections[live] >= collection_count)
    ):
        raise ValueError("the saved content index points outside its tables")


def store_fingerprint(store_url: str) -> str:
    """Return a short id of the store a saved mirror belongs to (not the URL: it may hold a secret)."""
    return hashlib.sha256(store_url.encode()).hexdigest()[:16]
