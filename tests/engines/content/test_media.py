"""Sniffing media by magic bytes, and the caps and refusals every media hasher shares."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ctexchange.engines.content.media import (
    MAX_IMAGE_BYTES,
    MAX_VIDEO_BYTES,
    MediaType,
    Sniffed,
    describe,
    require_media,
    sniff,
)
from ctexchange.errors import InvalidInput, PayloadTooLarge

DATA = Path(__file__).resolve().parents[2] / "data"


def _saved(fmt: str, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (8, 8), 0).save(buffer, format=fmt)
    return buffer.getvalue()


def _box(brand: bytes, compatible: bytes = b"") -> bytes:
    """An ISO base media `ftyp` box with a major brand and compatible brands."""
    body = brand + b"\x00\x00\x02\x00" + compatible
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(
    ("data", "media_type", "name"),
    [
        (_saved("JPEG"), MediaType.IMAGE, "jpeg"),
        (_saved("PNG"), MediaType.IMAGE, "png"),
        (_saved("GIF", "P"), MediaType.IMAGE, "gif"),
        (_saved("WEBP"), MediaType.IMAGE, "webp"),
        (_saved("BMP"), MediaType.IMAGE, "bmp"),
        (_saved("TIFF"), MediaType.IMAGE, "tiff"),
        (_box(b"avif", b"mif1miaf"), MediaType.IMAGE, "avif"),
        (_box(b"mif1", b"avifmiaf"), MediaType.IMAGE, "avif"),
        (_box(b"heic", b"mif1heic"), MediaType.IMAGE, "heic"),
        (_box(b"isom", b"isomiso2avc1mp41"), MediaType.VIDEO, "mp4"),
        (_box(b"mp42"), MediaType.VIDEO, "mp4"),
        (_box(b"qt  "), MediaType.VIDEO, "mov"),
        (_box(b"3gp5"), MediaType.VIDEO, "3gp"),
        (_box(b"M4A "), MediaType.OTHER, "m4a"),
        (b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\x82\x84webm", MediaType.VIDEO, "webm"),
        (b"\x1aE\xdf\xa3\xa3B\x86\x81\x01B\xf7\x81\x01B\x82\x88matroska", MediaType.VIDEO, "mkv"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", MediaType.VIDEO, "avi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", MediaType.OTHER, "riff"),
        (b"FLV\x01\x05", MediaType.VIDEO, "flv"),
        (b"\x47" + bytes(187) + b"\x47" + bytes(10), MediaType.VIDEO, "ts"),
        (b"\x00\x00\x01\xba\x44", MediaType.VIDEO, "mpeg"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", MediaType.OTHER, "pdf"),
        (b"PK\x03\x04\x14\x00", MediaType.OTHER, "zip"),
        (b"\x1f\x8b\x08\x00", MediaType.OTHER, "gzip"),
        (b"OggS\x00\x02", MediaType.OTHER, "ogg"),
        ("نص عربي and some English\n".encode(), MediaType.OTHER, "text"),
        (b"\x00\x01\x02\x03binary", MediaType.OTHER, "unknown"),
        (b"\xff\xfe\x00", MediaType.OTHER, "unknown"),
    ],
)
def test_sniff_tells_formats_by_magic_bytes(data: bytes, media_type: MediaType, name: str) -> None:
    """Each format is recognised from its first bytes alone, whatever a sender claims."""
    assert sniff(data) == Sniffed(media_type, name)


def test_sniff_recognises_the_reference_videos() -> None:
    """The vPDQ sample videos (MP4 with an `isom` brand) sniff as mp4 videos."""
    for path in sorted((DATA / "vpdq" / "videos").glob("*.mp4")):
        assert sniff(path.read_bytes()[:64]) == Sniffed(MediaType.VIDEO, "mp4")


def test_text_cut_inside_a_character_at_the_sample_edge_is_still_text() -> None:
    """A multi-byte character split by the 1 KiB sample does not turn text into unknown data."""
    text = ("a" * 1023 + "ب" * 10).encode()
    assert sniff(text).format == "text"
    assert sniff(b"a" * 1023 + b"\xd8").format == "unknown"  # the file itself ends mid-character


def test_empty_data_is_refused_naming_the_field() -> None:
    """Empty input is an InvalidInput on the caller's field."""
    with pytest.raises(InvalidInput) as info:
        sniff(b"", "upload")
    assert info.value.field == "upload"
    assert "non-empty file" in info.value.message


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=300))
def test_sniff_never_fails_on_non_empty_bytes(data: bytes) -> None:
    """Any non-empty bytes get a verdict, and a description for messages."""
    found = sniff(data)
    assert found.media_type in MediaType
    assert describe(found)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=100))
def test_png_signature_decides_whatever_follows(tail: bytes) -> None:
    """Bytes after a PNG signature do not change the verdict."""
    assert sniff(b"\x89PNG\r\n\x1a\n" + tail) == Sniffed(MediaType.IMAGE, "png")


def test_require_media_refuses_the_wrong_type_in_words() -> None:
    """A PDF or text sent where an image is expected is refused, described and not quoted."""
    with pytest.raises(InvalidInput) as info:
        require_media(b"%PDF-1.4 secret words", MediaType.IMAGE, MAX_IMAGE_BYTES, "file")
    assert info.value.message == "'file' must be an image (got PDF file)"
    with pytest.raises(InvalidInput, match=r"must be a video \(got plain text\)"):
        require_media(b"hello", MediaType.VIDEO, MAX_VIDEO_BYTES, "file")
    with pytest.raises(InvalidInput, match=r"must be a video \(got PNG image\)"):
        require_media(_saved("PNG"), MediaType.VIDEO, MAX_VIDEO_BYTES, "file")


def test_require_media_refuses_oversized_input_before_sniffing() -> None:
    """A file over the byte cap is PayloadTooLarge, naming the cap and the size."""
    with pytest.raises(PayloadTooLarge) as info:
        require_media(_saved("PNG") + bytes(100), MediaType.IMAGE, 64, "items[2].file")
    assert info.value.field == "items[2].file"
    assert "at most 64 bytes" in info.value.message
