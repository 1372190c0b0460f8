"""Video hashing (vPDQ): conformance with the reference samples, matching re-encodes, the kind, bad input."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.domain.signals import Family
from ctexchange.engines.content import video
from ctexchange.engines.content.pdq import hamming
from ctexchange.engines.content.video import (
    VIDEO_KIND,
    VideoFrame,
    VideoHashes,
    VideoMatch,
    compare_videos,
    format_vpdq,
    hash_video,
    is_video_match,
    parse_vpdq,
)
from ctexchange.errors import InvalidInput, PayloadTooLarge

DATA = Path(__file__).resolve().parents[2] / "data" / "vpdq"
REFERENCE_DISTANCE = 31  # vpdq's regression test: frames closer than this, where both qualities are >= 50


def _video(name: str) -> bytes:
    return (DATA / "videos" / f"{name}.mp4").read_bytes()


def _sample(name: str) -> tuple[VideoFrame, ...]:
    return parse_vpdq((DATA / "sample-hashes" / f"{name}.txt").read_text().splitlines(), "sample")


@functools.cache
def _hashed(name: str, seconds_per_hash: float) -> VideoHashes:
    return hash_video(_video(name), seconds_per_hash)


def _close_to_reference(mine: Sequence[VideoFrame], reference: Sequence[VideoFrame]) -> list[int]:
    """Check frame numbers pair up; return the distances of the pairs where both frames are good."""
    assert [f.index for f in mine] == [f.index for f in reference]
    return [
        hamming(a.pdq, b.pdq) for a, b in zip(mine, reference, strict=True) if min(a.quality, b.quality) >= 50
    ]


# -- conformance ------------------------------------------------------------------------------------


@pytest.mark.slow  # 120 frames of 1280×720, every one hashed
def test_every_frame_of_doorknob_matches_the_reference() -> None:
    """doorknob-hd-no-bar at seconds_per_hash=0: the reference's frame numbers, every good frame < 31 bits."""
    mine = _hashed("doorknob-hd-no-bar", 0)
    distances = _close_to_reference(mine.frames, _sample("doorknob-hd-no-bar"))
    assert distances and max(distances) < REFERENCE_DISTANCE
    assert [f.timestamp_s for f in mine.frames][:3] == [0.0, 0.033, 0.067]
    assert (mine.width, mine.height) == (1280, 720)
    assert mine.md5 == hashlib.md5(_video("doorknob-hd-no-bar"), usedforsecurity=False).hexdigest()


def test_padded_dimensions_at_one_frame_per_second() -> None:
    """test-padded-dimensions (1080×1080) at 1 s: frames 0, 30, 60... as in the reference, < 31 bits."""
    mine = _hashed("test-padded-dimensions", 1.0)
    reference = [f for f in _sample("test-padded-dimensions") if f.index % 30 == 0]
    distances = _close_to_reference(mine.frames, reference)
    assert len(distances) == 5 and max(distances) < REFERENCE_DISTANCE


def _chair_expected() -> list[VideoFrame]:
    """python-threatexchange's 1-per-second hashes of chair-20, placed at their frame numbers."""
    with (DATA / "expected" / "chair-20-sd-bar.seconds_per_hash-1.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        VideoFrame(int(r["index"]) * 30, int(r["quality"]), r["pdq_hex"], float(r["timestamp_s"]))
        for r in rows
    ]


def test_chair_at_one_frame_per_second_matches_python_threatexchange() -> None:
    """chair-20 at 1 s gives python-threatexchange's 21 frames, and they match it 100 % both ways."""
    mine = _hashed("chair-20-sd-bar", 1.0)
    expected = _chair_expected()
    assert max(_close_to_reference(mine.frames, expected)) < REFERENCE_DISTANCE
    assert [f.timestamp_s for f in mine.frames] == [f.timestamp_s for f in expected]
    result = compare_videos(mine.frames, expected)
    assert (result.query_match_pct, result.index_match_pct) == (100.0, 100.0)
    assert mine.duration_s == pytest.approx(614 / 30, abs=0.001)


# -- matching re-encodes ----------------------------------------------------------------------------


def _reencode(data: bytes, codec: str, scale: float, bit_rate: int, frames: int | None = None) -> bytes:
    """Decode a video and encode it again with another codec, size and bit rate (optionally cut short)."""
    out_buffer = io.BytesIO()
    with av.open(io.BytesIO(data)) as source, av.open(out_buffer, "w", format="mp4") as target:
        stream = source.streams.video[0]
        rate = stream.average_rate or Fraction(30)
        encoder = target.add_stream(codec, rate=rate)
        encoder.width = int(stream.codec_context.width * scale) // 2 * 2
        encoder.height = int(stream.codec_context.height * scale) // 2 * 2
        encoder.pix_fmt = "yuv420p"
        encoder.bit_rate = bit_rate
        encoder.options = {"preset": "ultrafast"} if codec == "libx264" else {}
        for index, frame in enumerate(source.decode(stream)):
            if frames is not None and index >= frames:
                break
            resized = frame.reformat(width=encoder.width, height=encoder.height, format="yuv420p")
            resized.pts, resized.time_base = index, Fraction(1) / rate
            for packet in encoder.encode(resized):
                target.mux(packet)
        for packet in encoder.encode():
            target.mux(packet)
    return out_buffer.getvalue()


@pytest.fixture(scope="module")
def chair() -> VideoHashes:
    return _hashed("chair-20-sd-bar", 1.0)


@pytest.mark.slow  # decodes chair-20 (614 frames), encodes and hashes a copy
def test_reencoded_video_matches_its_original(chair: VideoHashes) -> None:
    """chair-20 re-encoded with MPEG-4 Part 2 at half size and 300 kb/s matches the original both ways."""
    copy = hash_video(_reencode(_video("chair-20-sd-bar"), "mpeg4", 0.5, 300_000))
    result = compare_videos(copy.frames, chair.frames)
    assert is_video_match(result)
    assert result.query_match_pct >= 90.0 and result.index_match_pct >= 90.0
    assert (copy.width, copy.height) == (chair.width // 2, chair.height // 2)


@pytest.mark.slow  # decodes chair-20 (614 frames), encodes and hashes a copy
def test_first_half_matches_the_whole_at_about_half_the_index(chair: VideoHashes) -> None:
    """The first half, re-encoded with H.264 at 3/4 size, is found in the whole: 100 % query, ≈50 % index."""
    half = hash_video(_reencode(_video("chair-20-sd-bar"), "libx264", 0.75, 500_000, frames=307))
    result = compare_videos(half.frames, chair.frames)
    assert result.query_match_pct == 100.0
    assert 40.0 <= result.index_match_pct <= 65.0
    assert is_video_match(result)
    reverse = compare_videos(chair.frames, half.frames)
    assert not is_video_match(reverse)  # the whole is not in its first half
    assert reverse.query_match_pct == pytest.approx(result.index_match_pct, abs=10.0)


def test_different_videos_do_not_match(chair: VideoHashes) -> None:
    """Two unrelated sample videos fall far below the 80 % query threshold, both ways."""
    other = _hashed("test-padded-dimensions", 1.0)
    for query, bank in ((other, chair), (chair, other)):
        result = compare_videos(query.frames, bank.frames)
        assert not is_video_match(result)
        assert result.query_match_pct < 50.0


# -- compare_videos against the obvious brute force -------------------------------------------------


def _reference_compare(
    query: Sequence[VideoFrame], bank: Sequence[VideoFrame], distance: int, min_quality: int
) -> tuple[float, float]:
    """python-threatexchange's match_VPDQ_hash_brute, transcribed: dedupe, drop low quality, count."""

    def prepare(frames: Sequence[VideoFrame]) -> list[VideoFrame]:
        unique: dict[str, VideoFrame] = {}
        for frame in frames:
            if frame.pdq not in unique:
                unique[frame.pdq] = frame
        return [f for f in unique.values() if f.quality >= min_quality]

    mine, theirs = prepare(query), prepare(bank)
    if not mine or not theirs:
        return 0.0, 0.0
    hits = sum(any(hamming(a.pdq, b.pdq) <= distance for b in theirs) for a in mine)
    back = sum(any(hamming(a.pdq, b.pdq) <= distance for a in mine) for b in theirs)
    return 100.0 * hits / len(mine), 100.0 * back / len(theirs)


def _near(base: int, flips: list[int]) -> str:
    value = base
    for bit in flips:
        value ^= 1 << bit
    return f"{value:064x}"


BASES = [int(hashlib.sha256(bytes([i])).hexdigest(), 16) for i in range(4)]
frame_lists = st.lists(
    st.builds(
        lambda base, flips, quality: (base, flips, quality),
        st.sampled_from(BASES),
        st.lists(st.integers(0, 255), max_size=40),
        st.sampled_from([0, 30, 49, 50, 80, 100]),
    ),
    max_size=25,
).map(lambda items: [VideoFrame(i, q, _near(b, f), float(i)) for i, (b, f, q) in enumerate(items)])


@settings(max_examples=60, deadline=None)
@given(frame_lists, frame_lists, st.integers(0, 64), st.sampled_from([0, 50, 80]))
def test_compare_equals_the_reference_brute_force(
    query: list[VideoFrame], bank: list[VideoFrame], distance: int, min_quality: int
) -> None:
    """compare_videos gives python-threatexchange's percentages on any frames; swapping sides swaps them."""
    found = compare_videos(query, bank, distance, min_quality)
    assert (found.query_match_pct, found.index_match_pct) == pytest.approx(
        _reference_compare(query, bank, distance, min_quality)
    )
    swapped = compare_videos(bank, query, distance, min_quality)
    assert (swapped.query_match_pct, swapped.index_match_pct) == (
        found.index_match_pct,
        found.query_match_pct,
    )


def test_compare_works_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Comparing in small blocks of rows gives the same answer as one block."""
    frames = [VideoFrame(i, 100, _near(BASES[i % 4], [i % 256, (7 * i) % 256]), float(i)) for i in range(40)]
    whole = compare_videos(frames[:25], frames[15:])
    monkeypatch.setattr(video, "PAIRS_PER_CHUNK", 7)
    assert compare_videos(frames[:25], frames[15:]) == whole


def test_a_video_matches_itself_and_an_empty_one_matches_nothing() -> None:
    """Self-comparison is 100 %/100 %; no good frame on either side is 0 % and never a match."""
    frames = [VideoFrame(0, 100, f"{BASES[0]:064x}", 0.0), VideoFrame(1, 20, f"{BASES[1]:064x}", 1.0)]
    assert compare_videos(frames, frames) == VideoMatch(100.0, 100.0, 1, 1, 1, 1)
    empty = compare_videos(frames[1:], frames)
    assert empty == VideoMatch(0.0, 0.0, 0, 0, 0, 1)
    assert not is_video_match(empty, query_match_pct=0.0)


def test_match_thresholds() -> None:
    """A match needs the query percentage, the index percentage and at least one matched frame."""
    result = VideoMatch(80.0, 10.0, 8, 2, 10, 20)
    assert is_video_match(result)
    assert not is_video_match(result, query_match_pct=80.1)
    assert not is_video_match(result, index_match_pct=10.1)
    assert is_video_match(result, query_match_pct=0.0, index_match_pct=10.0)


# -- the line format and the kind -------------------------------------------------------------------

frames_strategy = st.lists(
    st.tuples(
        st.integers(0, 100),
        st.binary(min_size=32, max_size=32).map(bytes.hex),
        st.floats(0, 100_000, allow_nan=False),
        st.integers(1, 50),
    ),
    max_size=30,
)


def _frames(items: list[tuple[int, str, float, int]]) -> tuple[VideoFrame, ...]:
    index, frames = -1, []
    for quality, pdq, seconds, step in items:
        index += step
        frames.append(VideoFrame(index, quality, pdq, round(seconds, 3)))
    return tuple(frames)


@settings(max_examples=80)
@given(frames_strategy)
def test_vpdq_lines_round_trip(items: list[tuple[int, str, float, int]]) -> None:
    """Frames written as vPDQ lines parse back to the same frames, and canonical lines are stable."""
    frames = _frames(items)
    lines = format_vpdq(frames)
    assert parse_vpdq(lines, "frames") == frames
    assert format_vpdq(parse_vpdq([line.upper() for line in lines], "frames")) == lines


def test_reference_sample_files_parse_and_reformat_byte_for_byte() -> None:
    """The reference sample hash files are already in canonical form."""
    for path in sorted((DATA / "sample-hashes").glob("*.txt")):
        lines = path.read_text().splitlines()
        assert format_vpdq(parse_vpdq(lines, "sample")) == lines


def test_python_threatexchange_lines_are_read_in_order() -> None:
    """`hash,quality,timestamp` lines (python-threatexchange's form) get frame numbers from their position."""
    pdq = "ab" * 32
    frames = parse_vpdq([f"{pdq},100,0.000", f"{pdq.upper()},40,1.5"], "frames")
    assert frames == (VideoFrame(0, 100, pdq, 0.0), VideoFrame(1, 40, pdq, 1.5))


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        (["0,100,abc,0.0"], "f[0]"),
        ([f"0,101,{'a' * 64},0.0"], "f[0]"),
        ([f"-1,100,{'a' * 64},0.0"], "f[0]"),
        ([f"0,100,{'a' * 64},nan"], "f[0]"),
        ([f"0,100,{'a' * 64},-2"], "f[0]"),
        ([f"0,100,{'a' * 64}"], "f[0]"),
        ([f"0,1.5,{'a' * 64},0"], "f[0]"),
        ([f"0,100,{'a' * 64},0", f"0,100,{'b' * 64},1"], "f[1]"),
        ([f"0,100,{'a' * 64},0", 5], "f[1]"),
    ],
)
def test_bad_lines_are_refused_naming_the_line(lines: list[object], field: str) -> None:
    """Malformed lines and frame numbers out of order are InvalidInput naming the line."""
    with pytest.raises(InvalidInput) as info:
        parse_vpdq(lines, "f")  # type: ignore[arg-type]
    assert info.value.field == field


def test_too_many_lines_are_refused() -> None:
    """More than MAX_VIDEO_FRAMES lines is PayloadTooLarge."""
    with pytest.raises(PayloadTooLarge):
        parse_vpdq([""] * (video.MAX_VIDEO_FRAMES + 1), "frames")


def test_kind_value_and_key() -> None:
    """The key is the MD5 when given, else a digest of the canonical lines; text input is split into lines."""
    lines = format_vpdq(_sample("test-padded-dimensions")[:5])
    with_md5 = VIDEO_KIND.validate({"md5": "AB" * 16, "frames": lines}, "value")
    assert with_md5.key == "ab" * 16
    assert with_md5.value == {"md5": "ab" * 16, "frames": lines}
    bare = VIDEO_KIND.validate({"frames": "\n".join(line.upper() for line in lines) + "\n\n"}, "value")
    assert bare.value == {"md5": None, "frames": lines}
    assert bare.key == "vpdq:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()
    assert VIDEO_KIND.name == "video" and VIDEO_KIND.family is Family.CONTENT


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("0,100,abc,0", "v"),
        ({"md5": None}, "v"),
        ({"frames": [], "extra": 1}, "v"),
        ({"md5": "xyz", "frames": ["x"]}, "v.md5"),
        ({"frames": []}, "v.frames"),
        ({"frames": 12}, "v.frames"),
        ({"frames": ["0,100,zz,0"]}, "v.frames[0]"),
    ],
)
def test_kind_refuses_bad_values(raw: object, field: str) -> None:
    """Wrong shapes, bad MD5s, empty or malformed frames are refused naming the field at fault."""
    with pytest.raises(InvalidInput) as info:
        VIDEO_KIND.validate(raw, "v")
    assert info.value.field == field


def test_kind_settings() -> None:
    """Video settings default to vPDQ's (31, 50, 80 %, 0 %) and are bounded."""
    assert VIDEO_KIND.validate_settings({}, "s") == {
        "distance": 31,
        "min_quality": 50,
        "query_match_pct": 80.0,
        "index_match_pct": 0.0,
    }
    assert VIDEO_KIND.validate_settings({"query_match_pct": 50}, "s")["query_match_pct"] == 50.0
    for bad in ({"query_match_pct": 100.5}, {"index_match_pct": -1}, {"distance": 300}, {"window": 3}):
        with pytest.raises(InvalidInput):
            VIDEO_KIND.validate_settings(bad, "s")


# -- bad input --------------------------------------------------------------------------------------


def _tiny_video(rate: Fraction, frames: int = 3) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as target:
        stream = target.add_stream("mpeg4", rate=rate)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((48, 64, 3), index * 40 % 256, np.uint8), format="rgb24"
            )
            frame.pts = index
            for packet in stream.encode(frame):
                target.mux(packet)
        for packet in stream.encode():
            target.mux(packet)
    return buffer.getvalue()


def _audio_only() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as target:
        stream = target.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 8000, 0
        for packet in stream.encode(frame):
            target.mux(packet)
        for packet in stream.encode():
            target.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "non-empty file"),
        (b"%PDF-1.4", "must be a video (got PDF file)"),
        (
            (Path(__file__).resolve().parents[2] / "data" / "pdq" / "misc-images" / "wee.jpg").read_bytes(),
            "JPEG image",
        ),
        (_audio_only(), "a video with a video stream"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + bytes(500), "a corrupt or truncated MP4 file"),
    ],
    ids=["empty", "pdf", "image", "audio-only", "garbage"],
)
def test_wrong_or_broken_input_is_refused_naming_the_field(data: bytes, message: str) -> None:
    """Empty, wrong-type, audio-only and garbage inputs are InvalidInput on the given field."""
    with pytest.raises(InvalidInput) as info:
        hash_video(data, field="upload")
    assert info.value.field == "upload"
    assert message in info.value.message


@pytest.mark.parametrize("keep", [0.02, 0.5, 0.9])
def test_truncated_video_is_refused(keep: float) -> None:
    """A video cut short is refused as a whole (as the reference does), not hashed in part."""
    data = _video("test-padded-dimensions")
    with pytest.raises(InvalidInput, match="corrupt or truncated"):
        hash_video(data[: int(len(data) * keep)])


def test_small_synthetic_video_is_hashed() -> None:
    """A 3-frame video made in code hashes frame 0 at 1 s per hash, and every frame at 0."""
    data = _tiny_video(Fraction(30))
    assert [f.index for f in hash_video(data).frames] == [0]
    every = hash_video(data, 0)
    assert [f.index for f in every.frames] == [0, 1, 2]
    assert (every.width, every.height) == (64, 48)


def test_duration_cap_by_the_containers_word() -> None:
    """A video declaring more than two hours is PayloadTooLarge before any frame is decoded."""
    with pytest.raises(PayloadTooLarge, match="seconds"):
        hash_video(_tiny_video(Fraction(1, 3600)))


def test_decoded_frame_and_hashed_frame_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding stops with PayloadTooLarge past the decoded-frame cap, and past the hashed-frame cap."""
    data = _tiny_video(Fraction(30), frames=6)
    monkeypatch.setattr(video, "MAX_DECODED_FRAMES", 4)
    with pytest.raises(PayloadTooLarge, match="frames"):
        hash_video(data, 0)
    monkeypatch.setattr(video, "MAX_DECODED_FRAMES", 100)
    monkeypatch.setattr(video, "MAX_VIDEO_FRAMES", 2)
    with pytest.raises(PayloadTooLarge, match="hashed frames"):
        hash_video(data, 0)


@pytest.mark.parametrize("seconds", [-1.0, float("nan"), float("inf"), "1"])
def test_bad_interval_is_refused(seconds: object) -> None:
    """seconds_per_hash must be a finite number, 0 or more."""
    with pytest.raises(InvalidInput) as info:
        hash_video(_tiny_video(Fraction(30)), seconds)  # type: ignore[arg-type]
    assert info.value.field == "seconds_per_hash"
