"""PDQ hashes of images: the `pdq` kind, and a hasher that agrees with the rest of the field.

PDQ (Meta's perceptual hash, the one GIFCT's hash-sharing database and python-threatexchange use) turns a
picture into 256 bits and a quality score; two pictures match when their hashes are at most 31 bits apart
(`DEFAULT_DISTANCE`). The hashing itself is the `pdqhash` wheel, the same C++ code python-threatexchange
calls, so a hash made here equals the hash a partner made with that library from the same file.

Decisions:
- Pixels reach PDQ as they do in python-threatexchange: RGB as decoded, alpha ignored (not composited),
  every other Pillow mode converted to RGB by Pillow (16-bit greyscale is clipped at 255, as Pillow
  converts it). That is what makes our hashes of `LA.png` and `I16.png` equal theirs bit for bit. Where
  python-threatexchange is wrong (palette images hashed as palette indices, CMYK read as RGB, bilevel
  images as 0 and 1) we convert properly instead, and the hash lands next to that of the same picture
  saved as RGB. Alpha is ignored rather than composited on white because partners' hashes were made
  that way; the cost is that a transparent logo hashes by whatever colour hides under its alpha.
- Quality below `MIN_QUALITY` (50, as the PDQ reference advises) is reported with the hash; whether such
  a hash is used for matching is the caller's choice (the service refuses it unless asked).
- EXIF orientation is honoured: `pdq` is the hash of the picture as a viewer shows it. Hashes other
  organizations share were mostly made on the stored pixel grid (the reference hasher ignores the tag),
  so for an orientation other than 1 the hash of the raw grid comes back too, as `raw_pdq`. A malformed
  EXIF block is ignored, not refused: the pixels are still good.
- Animated GIF, PNG (APNG) and WebP are hashed frame by frame, at most `MAX_ANIMATION_FRAMES` (100) frames
  and `MAX_ANIMATION_PIXELS` in all; `frame_count` says how many frames the file has. Other multi-image
  files (multi-page TIFF, the depth maps phones put in JPEGs) are hashed by their first image only.
- Only the decoders of common web formats are opened (JPEG, PNG, GIF, WebP, BMP, TIFF, AVIF), chosen by
  magic bytes, never by Pillow's guess: Pillow's rarer plugins (EPS runs Ghostscript) stay out of reach.
- Every failure of the decoder on hostile input (Pillow raises OSError, ValueError, SyntaxError,
  struct.error, EOFError... depending on the plugin) becomes InvalidInput naming the field; a picture over
  `MAX_IMAGE_PIXELS` is refused before it is decoded.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image

from ctexchange.domain.kinds import KindValue
from ctexchange.domain.signals import Family, JsonValue
from ctexchange.engines.content.media import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MediaType,
    Sniffed,
    refuse,
    require_media,
)
from ctexchange.errors import InvalidInput

DEFAULT_DISTANCE = 31
MIN_QUALITY = 50
HASH_BITS = 256
HEX_CHARS = 64
MAX_ANIMATION_FRAMES = 100
MAX_ANIMATION_PIXELS = 4 * MAX_IMAGE_PIXELS
ORIENTATION_TAG = 0x0112

_HEX = re.compile(r"^[0-9a-f]{64}$")
_PILLOW_FORMATS = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WEBP",
    "bmp": "BMP",
    "tiff": "TIFF",
    "avif": "AVIF",
}
_ANIMATED_FORMATS = frozenset({"gif", "png", "webp"})
# EXIF orientation -> the view of the stored pixels (rows, columns, channels) that shows them upright, as
# PIL.ImageOps.exif_transpose would (numpy views: no copy until hash_rgb makes the array contiguous).
_UPRIGHT: dict[int, Callable[[NDArray[np.uint8]], NDArray[np.uint8]]] = {
    2: lambda a: a[:, ::-1],  # mirrored left to right
    3: lambda a: a[::-1, ::-1],  # turned 180°
    4: lambda a: a[::-1],  # mirrored top to bottom
    5: lambda a: a.transpose(1, 0, 2),  # mirrored along the main diagonal
    6: lambda a: a.transpose(1, 0, 2)[:, ::-1],  # stored turned 90° anticlockwise: turn clockwise
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],  # mirrored along the other diagonal
    8: lambda a: a.transpose(1, 0, 2)[::-1],  # stored turned 90° clockwise: turn anticlockwise
}


@dataclass(frozen=True)
class PdqHash:
    """A PDQ hash as 64 lowercase hex digits, and its quality from 0 (featureless) to 100."""

    hex: str
    quality: int


@dataclass(frozen=True)
class ImageHashes:
    """The PDQ hashes of one image file.

    `pdq` is the hash of the (first) picture as shown, EXIF orientation applied; `raw_pdq` the hash of
    the stored pixel grid when the orientation is not 1, else None. `frames` holds one hash per frame
    hashed, `frames[0] == pdq`: one for a still image, up to MAX_ANIMATION_FRAMES for an animation of
    `frame_count` frames. `width` and `height` are those of the picture as shown.
    """

    pdq: PdqHash
    raw_pdq: PdqHash | None
    frames: tuple[PdqHash, ...]
    width: int
    height: int
    format: str
    frame_count: int = 1


def hash_image(data: bytes, field: str = "file") -> ImageHashes:
    """Return the PDQ hashes of an image file's bytes.

    Raises InvalidInput naming `field` for an empty, corrupt or truncated file, a file that is not an
    image of a supported format, or one whose picture is over MAX_IMAGE_PIXELS; PayloadTooLarge (an
    InvalidInput) for a file over MAX_IMAGE_BYTES or a picture over the pixel cap.
    """
    sniffed = require_media(data, MediaType.IMAGE, MAX_IMAGE_BYTES, field)
    pillow_format = _PILLOW_FORMATS.get(sniffed.format)
    if pillow_format is None:
        supported = ", ".join(name.upper() for name in _PILLOW_FORMATS)
        raise refuse(field, f"an image in one of {supported}", f"{sniffed.format.upper()} image")
    with _decoding(field, sniffed):
        image = Image.open(io.BytesIO(data), formats=[pillow_format])
        _check_pixels(image.size, field)
        return _hash_opened(image, sniffed)


def _hash_opened(image: Image.Image, sniffed: Sniffed) -> ImageHashes:
    """Hash every frame of an opened image, upright; the first one also on its raw grid when oriented."""
    orientation = _orientation(image)
    upright = _UPRIGHT.get(orientation)
    frame_count = _frame_count(image, sniffed.format)
    hashes, raw = [], None
    for index in range(_frames_to_hash(image.size, frame_count)):
        image.seek(index)
        pixels = np.asarray(_rgb_image(image))
        if upright is not None and index == 0:
            raw = hash_rgb(pixels)
        hashes.append(hash_rgb(pixels if upright is None else upright(pixels)))
    width, height = image.size if orientation < 5 else image.size[::-1]
    return ImageHashes(hashes[0], raw, tuple(hashes), width, height, sniffed.format, frame_count)


def hash_picture(image: Image.Image) -> PdqHash:
    """Return the PDQ hash of a decoded Pillow image of any mode, pixels as stored (no EXIF applied)."""
    return hash_rgb(np.asarray(_rgb_image(image)))


def hash_rgb(pixels: NDArray[np.uint8]) -> PdqHash:
    """Return the PDQ hash of an H×W×3 (or ×4, the fourth channel ignored) uint8 array of RGB pixels."""
    # pdqhash reads its luma plane as row-major memory: a transposed or flipped view would hash wrongly.
    vector, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return PdqHash(np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex(), int(quality))


def _rgb_image(frame: Image.Image) -> Image.Image:
    """Return `frame` with RGB pixels (RGBA kept as is: PDQ reads three channels and ignores alpha)."""
    if frame.mode in ("RGB", "RGBA"):
        return frame
    if frame.mode == "La":  # Pillow converts premultiplied greyscale to nothing but LA
        frame = frame.convert("LA")
    return frame.convert("RGB")


def _orientation(image: Image.Image) -> int:
    """Return the EXIF orientation (1 to 8), 1 when absent or unreadable."""
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # any malformed EXIF block: the pixels are still good
        return 1
    return value if isinstance(value, int) and value in _UPRIGHT else 1


def _frame_count(image: Image.Image, format_name: str) -> int:
    if format_name not in _ANIMATED_FORMATS:
        return 1
    return max(1, int(getattr(image, "n_frames", 1)))


def _frames_to_hash(size: tuple[int, int], frame_count: int) -> int:
    by_pixels = MAX_ANIMATION_PIXELS // max(1, size[0] * size[1])
    return max(1, min(frame_count, MAX_ANIMATION_FRAMES, by_pixels))


def _check_pixels(size: tuple[int, int], field: str) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise refuse(field, "an image of at least 1×1 pixels", f"{width}×{height}")
    if width * height > MAX_IMAGE_PIXELS:
        raise refuse(
            field, f"an image of at most {MAX_IMAGE_PIXELS:,} pixels", f"{width}×{height}", too_large=True
        )


@contextmanager
def _decoding(field: str, sniffed: Sniffed) -> Iterator[None]:
    """Turn whatever Pillow raises on hostile input into InvalidInput naming `field`."""
    try:
        yield
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        expectation = f"an image of at most {MAX_IMAGE_PIXELS:,} pixels"
        raise refuse(field, expectation, "a decompression bomb", too_large=True) from exc
    except Exception as exc:  # Pillow's plugins raise many types on bad data
        got = f"a corrupt or truncated {sniffed.format.upper()} file ({type(exc).__name__})"
        raise refuse(field, f"a decodable {sniffed.format.upper()} image", got) from exc


def hamming(a: str, b: str) -> int:
    """Return the number of bits in which two PDQ hashes (64 hex digits each) differ."""
    if len(a) != HEX_CHARS or len(b) != HEX_CHARS:
        raise ValueError("PDQ hashes have 64 hex digits")
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class NumberSetting:
    """A numeric per-kind collection setting: its default and inclusive bounds (ints stay ints)."""

    default: int | float
    low: int | float
    high: int | float

    def check(self, raw: JsonValue, field: str) -> int | float:
        """Return `raw` if it is a number of the right type within bounds; raise InvalidInput."""
        is_int = isinstance(self.default, int)
        allowed = (int,) if is_int else (int, float)
        if isinstance(raw, bool) or not isinstance(raw, allowed) or not math.isfinite(raw):
            raise InvalidInput.expected(field, self.expectation, raw)
        if not self.low <= raw <= self.high:
            raise InvalidInput.expected(field, self.expectation, raw)
        return raw if is_int else float(raw)

    @property
    def expectation(self) -> str:
        """The rule in words, for error messages."""
        noun = "an integer" if isinstance(self.default, int) else "a number"
        return f"{noun} from {self.low} to {self.high}"


def check_settings(
    raw: Mapping[str, JsonValue], field: str, specs: Mapping[str, NumberSetting]
) -> dict[str, JsonValue]:
    """Return every setting of `specs`, from `raw` or its default; unknown names are refused."""
    unknown = sorted(set(raw) - set(specs))
    if unknown:
        raise InvalidInput.expected(field, f"settings among {', '.join(specs)}", unknown)
    return {name: spec.check(raw.get(name, spec.default), f"{field}.{name}") for name, spec in specs.items()}


PDQ_SETTINGS = {
    "distance": NumberSetting(DEFAULT_DISTANCE, 0, HASH_BITS),
    "min_quality": NumberSetting(MIN_QUALITY, 0, 100),
}


def parse_pdq_hex(raw: JsonValue, field: str) -> str:
    """Return `raw` as 64 lowercase hex digits (case and surrounding whitespace tolerated)."""
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text is None or not _HEX.match(text):
        raise InvalidInput.expected(field, "a PDQ hash of 64 hex digits", raw)
    return text


@dataclass(frozen=True)
class PdqKind:
    """The `pdq` kind: a PDQ hash as 64 hex digits, matched within a Hamming distance."""

    name: str = "pdq"
    family: Family = Family.CONTENT

    def validate(self, raw: JsonValue, field: str) -> KindValue:
        """Return the lowercase hash as value and key; raise InvalidInput for anything else."""
        text = parse_pdq_hex(raw, field)
        return KindValue(text, text)

    def validate_settings(self, raw: Mapping[str, JsonValue], field: str) -> dict[str, JsonValue]:
        """Return `distance` (0 to 256, default 31) and `min_quality` (0 to 100, default 50)."""
        return check_settings(raw, field, PDQ_SETTINGS)


PDQ_KIND = PdqKind()
