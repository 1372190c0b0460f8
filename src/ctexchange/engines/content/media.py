"""What kind of media a file is, told by its first bytes, and the size caps every media hasher applies.

An upload's declared content type and file name are whatever the sender chose, so the hashers decide from
magic bytes instead, and only hand a file to a decoder that is meant for it: an image hasher never opens a
PDF, a video decoder never sees a PNG. Sniffing is cheap (it looks at the first few dozen bytes) and never
decodes anything.

Decisions:
- `sniff` names a format for everything it recognises, even formats nobody here hashes (`pdf`, `zip`,
  `heic`), so that a refusal can say what came instead of "unknown".
- Byte caps are module constants, applied before any decoder runs: 50 MiB for an image and 512 MiB for a
  video (the whole file is held in memory while it is decoded). The pixel cap, 50 megapixels, covers
  every camera's full-resolution output (48 and 50 MP phones, 45 MP full-frame bodies) and keeps one PDQ
  hash below about 2 GB of working memory (`pdqhash` builds float64 planes of the whole picture).
- Refusals name the field and describe what came in words ("a PDF document", "60,000,000 bytes"); they
  never echo the bytes of the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ctexchange.errors import InvalidInput, PayloadTooLarge

MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_VIDEO_BYTES = 512 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000


class MediaType(StrEnum):
    """The broad kind of a file, as far as hashing is concerned."""

    IMAGE = "image"
    VIDEO = "video"
    OTHER = "other"


@dataclass(frozen=True)
class Sniffed:
    """What a file's first bytes say it is: a media type and a short format name (`jpeg`, `mp4`...)."""

    media_type: MediaType
    format: str


UNKNOWN = Sniffed(MediaType.OTHER, "unknown")

# (offset, magic, media type, format): checked in order, first match wins.
_MAGIC: tuple[tuple[int, bytes, MediaType, str], ...] = (
    (0, b"\xff\xd8\xff", MediaType.IMAGE, "jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", MediaType.IMAGE, "png"),
    (0, b"GIF87a", MediaType.IMAGE, "gif"),
    (0, b"GIF89a", MediaType.IMAGE, "gif"),
    (0, b"II*\x00", MediaType.IMAGE, "tiff"),
    (0, b"MM\x00*", MediaType.IMAGE, "tiff"),
    (0, b"BM", MediaType.IMAGE, "bmp"),
    (0, b"\x1aE\xdf\xa3", MediaType.VIDEO, "mkv"),  # EBML; refined to webm below
    (0, b"FLV\x01", MediaType.VIDEO, "flv"),
    (0, b"\x00\x00\x01\xba", MediaType.VIDEO, "mpeg"),
    (0, b"%PDF-", MediaType.OTHER, "pdf"),
    (0, b"PK\x03\x04", MediaType.OTHER, "zip"),
    (0, b"\x1f\x8b", MediaType.OTHER, "gzip"),
    (0, b"OggS", MediaType.OTHER, "ogg"),
    (0, b"ID3", MediaType.OTHER, "mp3"),
    (0, b"fLaC", MediaType.OTHER, "flac"),
)
_RIFF = {b"WEBP": Sniffed(MediaType.IMAGE, "webp"), b"AVI ": Sniffed(MediaType.VIDEO, "avi")}
_RIFF_OTHER = Sniffed(MediaType.OTHER, "riff")
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
_TS_PACKET = 188


def sniff(data: bytes, field: str = "file") -> Sniffed:
    """Return the media type and format of `data` from its magic bytes; raise InvalidInput when empty.

    Unrecognised bytes come back as `Sniffed(MediaType.OTHER, "unknown")` (or `"text"` for UTF-8 text).
    """
    if not data:
        raise refuse(field, "a non-empty file", "an empty file")
    for offset, magic, media_type, name in _MAGIC:
        if data.startswith(magic, offset):
            return _refine_ebml(data) if name == "mkv" else Sniffed(media_type, name)
    if data.startswith(b"RIFF") and len(data) >= 12:
        return _RIFF.get(data[8:12], _RIFF_OTHER)
    if data[4:8] == b"ftyp":
        return _iso_media(data)
    if data[0] == 0x47 and len(data) > _TS_PACKET and data[_TS_PACKET] == 0x47:
        return Sniffed(MediaType.VIDEO, "ts")
    return _text_or_unknown(data)


def _refine_ebml(data: bytes) -> Sniffed:
    """Matroska and WebM share the EBML header; the DocType near the start tells them apart."""
    return Sniffed(MediaType.VIDEO, "webm" if b"webm" in data[:64] else "mkv")


def _iso_media(data: bytes) -> Sniffed:
    """Classify an ISO base media file (MP4, QuickTime, 3GP, HEIF, AVIF) by its brands."""
    major, compatible = data[8:12], data[16:64]
    if major in (b"avif", b"avis") or (major in _HEIF_BRANDS and b"avif" in compatible):
        return Sniffed(MediaType.IMAGE, "avif")
    if major in _HEIF_BRANDS:
        return Sniffed(MediaType.IMAGE, "heic")
    if major in _AUDIO_BRANDS:
        return Sniffed(MediaType.OTHER, "m4a")
    if major == b"qt  ":
        return Sniffed(MediaType.VIDEO, "mov")
    if major.startswith((b"3gp", b"3g2")):
        return Sniffed(MediaType.VIDEO, "3gp")
    return Sniffed(MediaType.VIDEO, "mp4")


def _text_or_unknown(data: bytes) -> Sniffed:
    """UTF-8 without NUL bytes is text; a character cut at the end of the 1 KiB sample does not count."""
    head = data[:1024]
    if b"\x00" in head:
        return UNKNOWN
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data" or len(head) == len(data):
            return UNKNOWN
    return Sniffed(MediaType.OTHER, "text")


def describe(sniffed: Sniffed) -> str:
    """Return words for what a file is, for error messages: 'PDF file', 'MP4 video', 'plain text'."""
    if sniffed.format in ("text", "unknown"):
        return "plain text" if sniffed.format == "text" else "data of unknown type"
    noun = {MediaType.IMAGE: "image", MediaType.VIDEO: "video", MediaType.OTHER: "file"}[sniffed.media_type]
    return f"{sniffed.format.upper()} {noun}"


def refuse(field: str, expectation: str, got: str, *, too_large: bool = False) -> InvalidInput:
    """Build the standard refusal, `'field' must be <expectation> (got <got>)`, with `got` in words.

    Media errors describe the file instead of quoting it, so no content reaches logs or responses.
    """
    cls = PayloadTooLarge if too_large else InvalidInput
    return cls(f"'{field}' must be {expectation} (got {got})", field=field)


def require_media(data: bytes, media_type: MediaType, max_bytes: int, field: str) -> Sniffed:
    """Sniff `data` and check it is `media_type` and at most `max_bytes`; return what it is."""
    if len(data) > max_bytes:
        raise refuse(field, f"at most {max_bytes:,} bytes", f"{len(data):,} bytes", too_large=True)
    sniffed = sniff(data, field)
    if sniffed.media_type is not media_type:
        article = "an" if media_type is MediaType.IMAGE else "a"
        raise refuse(field, f"{article} {media_type.value}", describe(sniffed))
    return sniffed
