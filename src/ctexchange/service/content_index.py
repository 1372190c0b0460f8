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
        self.refs: dict[int, IndexedSignal] = {}
        self.labels: dict[UUID, int] = {}
        self.next_label = 0
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
            self.put_many(got.items)
            if got.next_after is None:
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

    def put_many(self, signals: Iterable[Signal]) -> None:
        """Index signals as they are now; PDQ hashes and texts go into their indexes in one step each.

        Loading a million signals one by one would make the PDQ and text indexes merge their buffers
        hundreds of times; one call per page merges once.
        """
        latest = {signal.id: signal for signal in signals}
        pdq_labels: list[int] = []
        pdq_hashes: list[str] = []
        texts: list[tuple[int, TextFingerprint]] = []
        for signal in latest.values():
            label = self._place(signal)
            if label is None:
                continue
            if signal.kind == "pdq":
                pdq_labels.append(label)
                pdq_hashes.append(str(signal.value))
            elif signal.kind == "text":
                texts.append((label, fingerprint(str(signal.value))))
            else:
                self._add_value(label, signal.kind, signal.value, signal.value_key)
        if pdq_labels:
            self.pdq.add(pdq_labels, pdq_hashes)
        if texts:
            self.text.add_many(texts)

    def _place(self, signal: Signal) -> int | None:
        """Drop the signal's old entry; return its label if it can match now, else None."""
        self.changed = True
        label = self.labels.get(signal.id)
        if label is not None:
            self._drop(label)
        if signal.status not in MATCHABLE or signal.kind not in KINDS:
            return None
        if label is None:
            label = self.next_label
            self.next_label += 1
            self.labels[signal.id] = label
        self.refs[label] = IndexedSignal(signal.id, signal.collection_id, signal.kind)
        return label

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
        ref = self.refs.pop(label, None)
        if ref is None:
            return
        if ref.kind in EXACT_KINDS:
            key = self.keys.pop(label)
            holders = self.exact[ref.kind].get(key, set())
            holders.discard(label)
            if not holders:
                self.exact[ref.kind].pop(key, None)
        elif ref.kind == "pdq":
            self.pdq.remove([label])
        elif ref.kind == "video":
            self.frames.remove(self.video_frames.pop(label, []))
        elif ref.kind == "text":
            self.text.remove(label)
        elif ref.kind == "url":
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
        labels = sorted(self.refs)
        refs = [self.refs[label] for label in labels]
        np.save(target / "labels.npy", np.asarray(labels, dtype=np.int64))
        np.save(target / "signal_ids.npy", _uuid_array([r.signal_id for r in refs]))
        np.save(target / "collection_ids.npy", _uuid_array([r.collection_id for r in refs]))
        np.save(target / "kinds.npy", np.asarray([KINDS.index(r.kind) for r in refs], dtype=np.uint8))
        exact_rows = [(label, self.keys[label]) for label in labels if label in self.keys]
        (target / "exact.json").write_text(json.dumps(exact_rows))
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
        labels = np.load(source / "labels.npy", allow_pickle=False).tolist()
        signal_ids = _uuids(np.load(source / "signal_ids.npy", allow_pickle=False))
        collection_ids = _uuids(np.load(source / "collection_ids.npy", allow_pickle=False))
        kinds = np.load(source / "kinds.npy", allow_pickle=False).tolist()
        if not len(labels) == len(signal_ids) == len(collection_ids) == len(kinds):
            raise ValueError("the saved content index is inconsistent")
        for label, sid, cid, kind in zip(labels, signal_ids, collection_ids, kinds, strict=True):
            self.refs[label] = IndexedSignal(sid, cid, KINDS[kind])
            self.labels[sid] = label
        for label, key in json.loads((source / "exact.json").read_text()):
            self.keys[label] = key
            self.exact[self.refs[label].kind].setdefault(key, set()).add(label)
        videos = json.loads((source / "videos.json").read_text())
        self.video_frames = {int(k): [int(x) for x in v] for k, v in videos.items()}
        self.pdq = PdqIndex.load(source / "pdq")
        self.frames = PdqIndex.load(source / "frames")
        self.text = TextIndex.load(source / "text")
        self.url = UrlIndex.load(source / "url.json")
        self.next_label = next_label
        self.changed = False


def _uuid_array(ids: list[UUID]) -> np.ndarray:
    return np.frombuffer(b"".join(i.bytes for i in ids), dtype=np.uint8).reshape(len(ids), 16)


def _uuids(array: np.ndarray) -> list[UUID]:
    if array.ndim != 2 or array.shape[1] != 16:
        raise ValueError("saved ids must be 16 bytes each")
    return [UUID(bytes=bytes(row)) for row in array]


def store_fingerprint(store_url: str) -> str:
    """Return a short id of the store a saved mirror belongs to (not the URL: it may hold a secret)."""
    return hashlib.sha256(store_url.encode()).hexdigest()[:16]
