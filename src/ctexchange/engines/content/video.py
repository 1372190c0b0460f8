"""Video fingerprints: the file's MD5 and vPDQ, the PDQ hashes of its frames, and vPDQ's match verdict.

vPDQ (Meta's video PDQ) hashes frames at an interval and calls two videos a match when enough of the
query's frames have a close frame in the other video. This module follows the reference implementation
(`vpdq/cpp` in facebook/ThreatExchange, and python-threatexchange's `vpdq` extension) so that hashes and
verdicts agree with what partners compute:
- frames are decoded in order (PyAV, i.e. FFmpeg), converted to RGB24 and hashed with PDQ; frame `n` is
  hashed when `n % int(seconds_per_hash × fps)` is 0 (every frame when that is 0, so `seconds_per_hash=0`
  hashes every frame, as the reference sample hashes do); its timestamp is `n / fps`, fps being the
  stream's average frame rate (its base rate when absent). Rotation metadata is not applied: the
  reference hashes the stored frames.
- the line format is the reference tools' `frame,quality,hash,timestamp` (timestamp with 3 decimals);
  `parse_vpdq` also reads python-threatexchange's `hash,quality,timestamp` lines, numbering them in order.
- `compare_videos` is vPDQ's brute-force matcher: both sides are de-duplicated by hash (first occurrence
  kept), frames of quality below `min_quality` dropped, then query-match % = share of the query's frames
  with a bank frame within `distance`, index-match % = share of the bank's frames with a query frame
  within `distance`. `is_video_match` applies the thresholds (80 % and 0 % by default) and also asks for
  at least one matched frame, so that an empty hash never matches.

Caps, each refused with a PayloadTooLarge naming the field rather than hashed in part: at most
MAX_VIDEO_BYTES of file, MAX_VIDEO_DURATION_S (2 hours, by the container's word and by frames decoded),
MAX_DECODED_FRAMES frames decoded (2 hours at 60 fps) and MAX_VIDEO_FRAMES (20,000) frames hashed, which
is also the most a `video` signal holds. A video whose decoding fails part-way (truncated, corrupt) is
refused as a whole, as the reference does.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from numpy.typing import NDArray

from ctexchange.domain.kinds import KindValue
from ctexchange.domain.signals import Family, JsonValue
from ctexchange.engines.content.digests import DigestKind
from ctexchange.engines.content.media import (
    MAX_IMAGE_PIXELS,
    MAX_VIDEO_BYTES,
    MediaType,
    Sniffed,
    refuse,
    require_media,
)
from ctexchange.engines.content.pdq import (
    DEFAULT_DISTANCE,
    HASH_BITS,
    MIN_QUALITY,
    NumberSetting,
    check_settings,
    hash_rgb,
    parse_pdq_hex,
)
from ctexchange.errors import InvalidInput

DEFAULT_SECONDS_PER_HASH = 1.0
DEFAULT_QUERY_MATCH_PCT = 80.0
DEFAULT_INDEX_MATCH_PCT = 0.0
MAX_VIDEO_DURATION_S = 2 * 3600.0
MAX_DECODED_FRAMES = int(MAX_VIDEO_DURATION_S) * 60
MAX_VIDEO_FRAMES = 20_000
TIMESTAMP_DECIMALS = 3
PAIRS_PER_CHUNK = 1 << 21  # frame pairs compared at once by compare_videos (about 64 MB of work arrays)

_DEMUXERS = {
    "mp4": "mp4",
    "mov": "mov",
    "3gp": "3gp",
    "webm": "matroska",
    "mkv": "matroska",
    "avi": "avi",
    "flv": "flv",
    "ts": "mpegts",
    "mpeg": "mpeg",
}
_MD5 = DigestKind("md5", 32)
_LINE_FORMAT = "a vPDQ line 'frame,quality,hash,timestamp' (or 'hash,quality,timestamp')"


@dataclass(frozen=True)
class VideoFrame:
    """One hashed frame: its number in decoding order, PDQ quality and hash, and time in seconds."""

    index: int
    quality: int
    pdq: str
    timestamp_s: float


@dataclass(frozen=True)
class VideoHashes:
    """The fingerprints of one video file: MD5 of the bytes, hashed frames, duration and frame size."""

    md5: str
    frames: tuple[VideoFrame, ...]
    duration_s: float
    width: int
    height: int


@dataclass(frozen=True)
class VideoMatch:
    """vPDQ's comparison of a query video with a bank video (counts over unique good frames)."""

    query_match_pct: float
    index_match_pct: float
    matched_query_frames: int
    matched_index_frames: int
    query_frames: int = 0
    index_frames: int = 0


def hash_video(
    data: bytes, seconds_per_hash: float = DEFAULT_SECONDS_PER_HASH, field: str = "file"
) -> VideoHashes:
    """Return the MD5 and the frame PDQ hashes of a video file's bytes, one frame per `seconds_per_hash`.

    Raises InvalidInput naming `field` for an empty, corrupt or truncated file, a file that is not a video
    or has no video stream or no decodable frame; PayloadTooLarge (an InvalidInput) beyond the caps.
    """
    if not isinstance(seconds_per_hash, int | float) or not 0 <= seconds_per_hash < math.inf:
        raise InvalidInput.expected("seconds_per_hash", "a number of seconds, 0 or more", seconds_per_hash)
    sniffed = require_media(data, MediaType.VIDEO, MAX_VIDEO_BYTES, field)
    with (
        _decoding(field, sniffed),
        av.open(io.BytesIO(data), mode="r", format=_DEMUXERS[sniffed.format]) as container,
    ):
        stream = _video_stream(container, field)
        fps = _frame_rate(stream, field)
        _check_declared(container, stream, field)
        frames, decoded, size = _hash_frames(container, stream, fps, seconds_per_hash, field)
    if not frames:
        raise refuse(field, "a video with at least one decodable frame", "none")
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return VideoHashes(md5, tuple(frames), round(float(decoded / fps), TIMESTAMP_DECIMALS), *size)


def _video_stream(container: av.container.InputContainer, field: str) -> av.VideoStream:
    if not container.streams.video:
        raise refuse(field, "a video with a video stream", "a file without one")
    return container.streams.video[0]


def _frame_rate(stream: av.VideoStream, field: str) -> Fraction:
    """The stream's average frame rate, else its base rate (as the reference); refuse a missing one."""
    rate = stream.average_rate or stream.base_rate
    if not rate or rate <= 0:
        raise refuse(field, "a video with a frame rate", "none")
    return Fraction(rate)


def _check_declared(container: av.container.InputContainer, stream: av.VideoStream, field: str) -> None:
    """Refuse before decoding what the container says is too long or too large."""
    declared_s = (container.duration or 0) / av.time_base
    if declared_s > MAX_VIDEO_DURATION_S:
        raise _too_long(field, f"{declared_s:,.0f} s")
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > MAX_IMAGE_PIXELS:
        raise refuse(
            field, f"frames of at most {MAX_IMAGE_PIXELS:,} pixels", f"{width}×{height}", too_large=True
        )


def _hash_frames(
    container: av.container.InputContainer,
    stream: av.VideoStream,
    fps: Fraction,
    seconds_per_hash: float,
    field: str,
) -> tuple[list[VideoFrame], int, tuple[int, int]]:
    """Decode every frame, hash the selected ones; return them, the frames decoded and the first's size."""
    frame_mod = max(1, int(seconds_per_hash * fps))
    frames: list[VideoFrame] = []
    size, decoded = (0, 0), 0
    for decoded, frame in enumerate(container.decode(stream), start=1):
        index = decoded - 1
        if index >= MAX_DECODED_FRAMES or index / fps > MAX_VIDEO_DURATION_S:
            raise _too_long(
                field, f"more than {MAX_DECODED_FRAMES:,} frames or {MAX_VIDEO_DURATION_S:,.0f} s"
            )
        if index % frame_mod:
            continue
        if len(frames) == MAX_VIDEO_FRAMES:
            raise refuse(
                field, f"a video of at most {MAX_VIDEO_FRAMES:,} hashed frames", "more", too_large=True
            )
        size = size if frames else (frame.width, frame.height)
        pixels = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
        frames.append(_hash_frame(pixels, index, fps))
    return frames, decoded, size


def _hash_frame(pixels: NDArray[np.uint8], index: int, fps: Fraction) -> VideoFrame:
    found = hash_rgb(pixels)
    return VideoFrame(index, found.quality, found.hex, round(float(index / fps), TIMESTAMP_DECIMALS))


def _too_long(field: str, got: str) -> InvalidInput:
    return refuse(field, f"a video of at most {MAX_VIDEO_DURATION_S:,.0f} seconds", got, too_large=True)


@contextmanager
def _decoding(field: str, sniffed: Sniffed) -> Iterator[None]:
    """Turn whatever PyAV raises on hostile input into InvalidInput naming `field`."""
    try:
        yield
    except InvalidInput:
        raise
    except Exception as exc:  # av.FFmpegError for most damage; ValueError, OSError... for the rest
        got = f"a corrupt or truncated {sniffed.format.upper()} file ({type(exc).__name__})"
        raise refuse(field, f"a decodable {sniffed.format.upper()} video", got) from exc


def format_vpdq(frames: Iterable[VideoFrame]) -> list[str]:
    """Return the reference line of each frame: `frame,quality,hash,timestamp` (3 decimals)."""
    return [f"{f.index},{f.quality},{f.pdq},{f.timestamp_s:.{TIMESTAMP_DECIMALS}f}" for f in frames]


def parse_vpdq(lines: Sequence[str], field: str) -> tuple[VideoFrame, ...]:
    """Parse vPDQ lines (reference or python-threatexchange form) into frames in increasing frame order.

    Raises InvalidInput naming `field[i]` for a malformed line or a frame number out of order, and
    PayloadTooLarge for more than MAX_VIDEO_FRAMES lines.
    """
    if len(lines) > MAX_VIDEO_FRAMES:
        raise refuse(field, f"at most {MAX_VIDEO_FRAMES:,} frames", f"{len(lines):,}", too_large=True)
    frames = tuple(_parse_line(line, position, f"{field}[{position}]") for position, line in enumerate(lines))
    for position in range(1, len(frames)):
        if frames[position].index <= frames[position - 1].index:
            raise InvalidInput.expected(
                f"{field}[{position}]", "a frame number above the previous line's", frames[position].index
            )
    return frames


def _parse_line(line: object, position: int, field: str) -> VideoFrame:
    parts = line.strip().split(",") if isinstance(line, str) else []
    if len(parts) == 4:
        frame, quality, pdq, timestamp = parts
    elif len(parts) == 3:
        pdq, quality, timestamp = parts
        frame = str(position)
    else:
        raise InvalidInput.expected(field, _LINE_FORMAT, line)
    index, score, seconds = _number(frame, int), _number(quality, int), _number(timestamp, float)
    if index is None or index < 0 or score is None or not 0 <= score <= 100:
        raise InvalidInput.expected(
            field, _LINE_FORMAT + " with a frame number ≥ 0 and quality 0 to 100", line
        )
    if seconds is None or not 0 <= seconds < math.inf:
        raise InvalidInput.expected(field, _LINE_FORMAT + " with a timestamp ≥ 0", line)
    return VideoFrame(int(index), int(score), parse_pdq_hex(pdq, field), round(seconds, TIMESTAMP_DECIMALS))


def _number(text: str, kind: type[int] | type[float]) -> float | None:
    try:
        return kind(text.strip())
    except ValueError:
        return None


def _unique_good(frames: Iterable[VideoFrame], min_quality: int) -> list[str]:
    """The distinct hashes of `frames` (first occurrence kept), then those of quality ≥ min_quality."""
    first: dict[str, int] = {}
    for frame in frames:
        first.setdefault(frame.pdq, frame.quality)
    return [pdq for pdq, quality in first.items() if quality >= min_quality]


def _as_words(hashes: Sequence[str]) -> NDArray[np.uint64]:
    """Hex hashes as an N×4 array of 64-bit words."""
    return np.frombuffer(bytes.fromhex("".join(hashes)), dtype=">u8").astype(np.uint64).reshape(-1, 4)


def _close(query: NDArray[np.uint64], bank: NDArray[np.uint64], distance: int) -> NDArray[np.bool_]:
    """The Q×B matrix of `hamming(query[i], bank[j]) <= distance`, computed a block of rows at a time."""
    rows = max(1, PAIRS_PER_CHUNK // len(bank))
    blocks = [
        np.bitwise_count(query[start : start + rows, None, :] ^ bank[None, :, :]).sum(axis=2) <= distance
        for start in range(0, len(query), rows)
    ]
    return np.concatenate(blocks)


def compare_videos(
    query: Sequence[VideoFrame],
    bank: Sequence[VideoFrame],
    distance: int = DEFAULT_DISTANCE,
    min_quality: int = MIN_QUALITY,
) -> VideoMatch:
    """Compare two videos' frames the vPDQ way, by brute force over every pair of unique good frames."""
    mine, theirs = _unique_good(query, min_quality), _unique_good(bank, min_quality)
    if not mine or not theirs:
        return VideoMatch(0.0, 0.0, 0, 0, len(mine), len(theirs))
    close = _close(_as_words(mine), _as_words(theirs), distance)
    matched_query, matched_bank = int(close.any(axis=1).sum()), int(close.any(axis=0).sum())
    return VideoMatch(
        100.0 * matched_query / len(mine),
        100.0 * matched_bank / len(theirs),
        matched_query,
        matched_bank,
        len(mine),
        len(theirs),
    )


def is_video_match(
    m: VideoMatch,
    query_match_pct: float = DEFAULT_QUERY_MATCH_PCT,
    index_match_pct: float = DEFAULT_INDEX_MATCH_PCT,
) -> bool:
    """Return whether a comparison passes both thresholds (with at least one matched frame)."""
    return (
        m.matched_query_frames > 0
        and m.query_match_pct >= query_match_pct
        and m.index_match_pct >= index_match_pct
    )


VIDEO_SETTINGS = {
    "distance": NumberSetting(DEFAULT_DISTANCE, 0, HASH_BITS),
    "min_quality": NumberSetting(MIN_QUALITY, 0, 100),
    "query_match_pct": NumberSetting(DEFAULT_QUERY_MATCH_PCT, 0.0, 100.0),
    "index_match_pct": NumberSetting(DEFAULT_INDEX_MATCH_PCT, 0.0, 100.0),
}
_VALUE_SHAPE = 'an object {"md5": 32 hex digits or null, "frames": [vPDQ lines]}'


@dataclass(frozen=True)
class VideoKind:
    """The `video` kind: a file's MD5 (optional) and its vPDQ frame lines."""

    name: str = "video"
    family: Family = Family.CONTENT

    def validate(self, raw: JsonValue, field: str) -> KindValue:
        """Return the canonical value `{"md5", "frames"}`; the key is the MD5, else a digest of the frames.

        `frames` may be a list of lines or one text of lines; it must hold 1 to MAX_VIDEO_FRAMES frames.
        """
        if not isinstance(raw, Mapping) or "frames" not in raw or set(raw) - {"md5", "frames"}:
            raise InvalidInput.expected(field, _VALUE_SHAPE, raw)
        md5 = None if raw.get("md5") is None else _MD5.validate(raw["md5"], f"{field}.md5").key
        lines = format_vpdq(parse_vpdq(_lines(raw["frames"], f"{field}.frames"), f"{field}.frames"))
        if not lines:
            raise InvalidInput.expected(f"{field}.frames", "at least one vPDQ line", raw["frames"])
        key = md5 or "vpdq:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()
        return KindValue({"md5": md5, "frames": lines}, key)

    def validate_settings(self, raw: Mapping[str, JsonValue], field: str) -> dict[str, JsonValue]:
        """Return `distance`, `min_quality`, `query_match_pct` and `index_match_pct` with defaults."""
        return check_settings(raw, field, VIDEO_SETTINGS)


def _lines(raw: JsonValue, field: str) -> list[str]:
    if isinstance(raw, str):
        return [line for line in raw.splitlines() if line.strip()]
    if isinstance(raw, list) and all(isinstance(line, str) for line in raw):
        return raw
    raise InvalidInput.expected(field, "a list of vPDQ lines, or one text of lines", raw)


VIDEO_KIND = VideoKind()
