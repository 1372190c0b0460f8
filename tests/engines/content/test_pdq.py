"""PDQ image hashing: conformance with the reference hashes, modes, orientation, animation, hostile input."""

from __future__ import annotations

import csv
import functools
import io
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageOps

from ctexchange.domain.signals import Family
from ctexchange.engines.content.pdq import (
    DEFAULT_DISTANCE,
    MAX_ANIMATION_FRAMES,
    MIN_QUALITY,
    PDQ_KIND,
    ImageHashes,
    hamming,
    hash_image,
    hash_picture,
    hash_rgb,
)
from ctexchange.errors import InvalidInput, PayloadTooLarge

DATA = Path(__file__).resolve().parents[2] / "data" / "pdq"
# The one reference file not copied twice: byte-identical to bridge-mods/aaa-orig.jpg (see SOURCES.md).
ALIASES = {"reg-test-input/dih/bridge-1-original.jpg": "bridge-mods/aaa-orig.jpg"}
DECODER_TOLERANCE = 16  # pdqhashing's own test: other implementations and JPEG decoders differ a little
SAME_PICTURE = 8  # the same picture through a colour conversion, a palette or dithering


def _rows() -> list[dict[str, str]]:
    with (DATA / "expected-hashes.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def _hashed(path: str) -> ImageHashes:
    return hash_image((DATA / ALIASES.get(path, path)).read_bytes())


def _is_wheel_row(row: dict[str, str]) -> bool:
    """Rows stated by python-threatexchange come from the pdqhash wheel we use: they must be exact."""
    return row["source"].startswith("python-threatexchange/")


@functools.cache
def _bridge(width: int = 400) -> Image.Image:
    original = Image.open(DATA / "bridge-mods" / "aaa-orig.jpg").convert("RGB")
    return original.resize((width, round(width * original.height / original.width)))


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _checkerboard(size: int = 64, cell: int = 8, phase: int = 0) -> Image.Image:
    cells = (np.indices((size, size)) // cell).sum(axis=0) + phase
    return Image.fromarray(((cells % 2) * 255).astype(np.uint8)).convert("RGB")


def _drawing(seed: int, size: tuple[int, int] = (96, 64)) -> Image.Image:
    """An asymmetric picture (gradient, shapes) whose hash changes under every rotation and flip."""
    x, y = np.meshgrid(np.linspace(0, 1, size[0]), np.linspace(0, 1, size[1]))
    red = (255 * x * (1 - y)).astype(np.uint8)
    image = Image.fromarray(np.dstack([red, (255 * y).astype(np.uint8), np.full_like(red, 40 * seed)]))
    draw = ImageDraw.Draw(image)
    draw.rectangle((5 + seed, 5, 30 + seed, 20), fill=(255, 255, 255))
    draw.ellipse((50, 30, 90, 60), fill=(0, 0, 0))
    return image


# -- conformance ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row",
    [r for r in _rows() if "exif-rotn" not in r["path"]],
    ids=lambda r: f"{r['path']}@{r['source'].split('#')[0]}",
)
def test_reference_hashes(row: dict[str, str]) -> None:
    """Our hash equals the pdqhash-wheel rows and is within 16 bits of other implementations' rows."""
    mine = _hashed(row["path"]).pdq
    distance = hamming(mine.hex, row["expected_pdq_hex"])
    assert distance == 0 if _is_wheel_row(row) else distance <= DECODER_TOLERANCE
    stated = re.search(r"(?:expected_quality|quality)=(\d+)", row["source"])
    if stated and _is_wheel_row(row):
        assert mine.quality == int(stated.group(1))


def test_low_quality_is_reported_not_hidden() -> None:
    """The 16-bit test image hashes with python-threatexchange's quality 36, below the threshold of 50."""
    found = _hashed("python-threatexchange-resources/I16.png")
    assert found.pdq.quality < MIN_QUALITY
    assert found.format == "png"


@pytest.mark.slow  # a 12-megapixel photo, decoded twice and hashed three times
def test_exif_rotated_reference_photo() -> None:
    """exif-rotn-8: raw_pdq is the stated raw-grid hash; pdq is the hash of the photo turned upright."""
    path = "reg-test-input/exif-rotn/exif-rotn-8.jpg"
    found = _hashed(path)
    stated = next(r["expected_pdq_hex"] for r in _rows() if r["path"] == path)
    assert found.raw_pdq is not None
    assert hamming(found.raw_pdq.hex, stated) <= DECODER_TOLERANCE
    upright = ImageOps.exif_transpose(Image.open(DATA / path))
    assert found.pdq == hash_rgb(np.asarray(upright))
    assert hamming(found.pdq.hex, found.raw_pdq.hex) > DEFAULT_DISTANCE
    assert (found.width, found.height) == upright.size == (3024, 4032)


@pytest.mark.parametrize(("name", "orientation"), [("2-rotate-90", 6), ("3-rotate-180", 3), ("5-flipx", 4)])
def test_orientation_tag_turns_the_dih_photo_upright(name: str, orientation: int) -> None:
    """An EXIF tag added to a turned copy of the bridge makes pdq the upright bridge's, raw_pdq the copy's."""
    turned = (DATA / "reg-test-input" / "dih" / f"bridge-{name}.jpg").read_bytes()
    exif = Image.Exif()
    exif[0x0112] = orientation
    payload = exif.tobytes()
    tagged = turned[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + turned[2:]
    found = hash_image(tagged)
    assert hamming(found.pdq.hex, _hashed("bridge-mods/aaa-orig.jpg").pdq.hex) <= DECODER_TOLERANCE
    assert found.raw_pdq == hash_image(turned).pdq


INVERSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation(orientation: int) -> None:
    """For each of the 8 orientations, pdq is the upright picture's hash and raw_pdq the stored grid's."""
    upright = _drawing(1)
    stored = upright if orientation == 1 else upright.transpose(INVERSE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encoded(stored, "PNG", exif=exif.tobytes())
    assert np.array_equal(np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data)))), upright)
    found = hash_image(data)
    assert found.pdq == hash_picture(upright)
    assert found.raw_pdq == (None if orientation == 1 else hash_picture(stored))
    assert (found.width, found.height) == upright.size


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_malformed_exif_is_ignored() -> None:
    """A broken EXIF block does not stop the pixels being hashed (as stored)."""
    picture = _drawing(2)
    data = _encoded(picture, "JPEG", quality=95, exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f garbage")
    found = hash_image(data)
    assert found.raw_pdq is None
    assert found.pdq == hash_picture(Image.open(io.BytesIO(data)))


# -- modes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", Image.MODES)
def test_every_pillow_mode_hashes_as_the_same_picture(mode: str) -> None:
    """The bridge converted to any Pillow mode hashes within 8 bits of the RGB original, quality kept."""
    original = hash_picture(_bridge())
    converted = hash_picture(_bridge().convert(mode))
    assert hamming(converted.hex, original.hex) <= SAME_PICTURE
    assert converted.quality >= MIN_QUALITY


@pytest.mark.parametrize(
    "mode", ["1", "CMYK", "F", "I", "I;16", "I;16B", "L", "LA", "LAB", "P", "PA", "RGB", "RGBA", "YCbCr"]
)
def test_mode_round_trips_through_a_tiff_file(mode: str) -> None:
    """A lossless TIFF of each storable mode hashes exactly as the in-memory picture it was saved from."""
    picture = _bridge().convert(mode)
    data = _encoded(picture, "TIFF")
    assert Image.open(io.BytesIO(data)).mode == mode
    assert hash_image(data).pdq == hash_picture(picture)


def test_cmyk_jpeg_and_palette_png_are_converted_not_misread() -> None:
    """CMYK JPEGs and palette PNGs hash like the picture (python-threatexchange reads their raw channels)."""
    original = hash_picture(_bridge())
    for data in (
        _encoded(_bridge().convert("CMYK"), "JPEG", quality=95),
        _encoded(_bridge().quantize(), "PNG"),
    ):
        assert hamming(hash_image(data).pdq.hex, original.hex) <= SAME_PICTURE


def test_alpha_is_ignored_as_python_threatexchange_does() -> None:
    """An RGBA picture hashes like its colour channels, whatever its alpha (LA.png agrees bit for bit)."""
    colour = _drawing(3)
    rgba = colour.copy()
    rgba.putalpha(Image.linear_gradient("L").resize(colour.size))
    assert hash_image(_encoded(rgba, "PNG")).pdq == hash_picture(colour)


def test_sixteen_bit_grey_is_clipped_as_pillow_converts_it() -> None:
    """I;16 values above 255 clip to white, as Pillow converts them for python-threatexchange's hash."""
    picture = Image.open(DATA / "python-threatexchange-resources" / "I16.png")
    clipped = np.clip(np.asarray(picture), 0, 255).astype(np.uint8)
    assert _hashed("python-threatexchange-resources/I16.png").pdq == hash_rgb(np.dstack([clipped] * 3))


@settings(max_examples=15, deadline=None)
@given(st.integers(8, 80), st.integers(8, 80), st.integers(0, 2**32 - 1))
def test_lossless_files_round_trip(width: int, height: int, seed: int) -> None:
    """Random pixels saved as PNG, lossless WebP or BMP hash exactly as the pixels themselves."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    expected = hash_rgb(pixels)
    for fmt, options in (("PNG", {}), ("WEBP", {"lossless": True}), ("BMP", {})):
        assert hash_image(_encoded(Image.fromarray(pixels), fmt, **options)).pdq == expected


def test_hash_rgb_reads_any_memory_layout() -> None:
    """A transposed or flipped array view hashes as its contiguous copy (pdqhash reads row-major memory)."""
    pixels = np.asarray(_drawing(4))
    for view in (pixels.transpose(1, 0, 2), pixels[::-1], pixels[:, ::-1]):
        assert hash_rgb(view) == hash_rgb(np.ascontiguousarray(view))


def test_flat_picture_has_no_quality() -> None:
    """A featureless picture is hashed with quality 0, so callers can leave it out of matching."""
    found = hash_image(_encoded(Image.new("RGB", (64, 64), (90, 90, 90)), "PNG"))
    assert found.pdq.quality == 0
    assert found.frames == (found.pdq,)


# -- animation --------------------------------------------------------------------------------------


def _animation(fmt: str, frames: list[Image.Image], **options: object) -> bytes:
    return _encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, **options)


@pytest.mark.parametrize(
    ("fmt", "options", "tolerance"),
    [("PNG", {}, 0), ("WEBP", {"lossless": True}, 0), ("GIF", {"loop": 0}, SAME_PICTURE)],
)
def test_animations_are_hashed_frame_by_frame(fmt: str, options: dict[str, object], tolerance: int) -> None:
    """APNG, animated WebP and GIF give one hash per frame, the first being `pdq`."""
    frames = [_drawing(1), _checkerboard(96, 8).resize((96, 64)), _drawing(5).rotate(180)]
    found = hash_image(_animation(fmt, frames, **options))
    assert found.frame_count == len(found.frames) == 3
    assert found.frames[0] == found.pdq
    for mine, frame in zip(found.frames, frames, strict=True):
        assert hamming(mine.hex, hash_picture(frame).hex) <= tolerance


def test_animation_frames_are_capped() -> None:
    """Only the first MAX_ANIMATION_FRAMES frames are hashed; frame_count tells how many there were."""
    frames = [_checkerboard(32, 4, phase) for phase in range(MAX_ANIMATION_FRAMES + 5)]
    found = hash_image(_animation("GIF", frames))
    assert len(found.frames) == MAX_ANIMATION_FRAMES
    assert found.frame_count == MAX_ANIMATION_FRAMES + 5


def test_still_image_has_one_frame() -> None:
    """A still image's frames hold its one hash."""
    found = _hashed("misc-images/wee.jpg")
    assert found.frames == (found.pdq,) and found.frame_count == 1
    assert (found.width, found.height, found.format) == (34, 42, "jpeg")


# -- hostile input ----------------------------------------------------------------------------------


def _png_header(width: int, height: int) -> bytes:
    """A PNG declaring a size without the pixels to fill it: what a decompression bomb looks like."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = b"IHDR" + ihdr
    idat = b"IDAT" + zlib.compress(b"\x00" * 64)
    chunks = [struct.pack(">I", len(c) - 4) + c + struct.pack(">I", zlib.crc32(c)) for c in (body, idat)]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + b"\x00\x00\x00\x00IEND\xaeB`\x82"


@pytest.mark.parametrize("size", [(8000, 7000), (10_000, 10_000), (20_000, 20_000)])
@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_decompression_bombs_are_refused(size: tuple[int, int]) -> None:
    """Pictures over the pixel cap are PayloadTooLarge, whether Pillow warns, raises or says nothing."""
    with pytest.raises(PayloadTooLarge) as info:
        hash_image(_png_header(*size), "upload")
    assert info.value.field == "upload"
    assert "pixels" in info.value.message


def test_bomb_warning_does_not_escape_either() -> None:
    """With warnings left as warnings, the refusal is the same clear error."""
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(PayloadTooLarge):
        hash_image(_png_header(10_000, 10_000))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "non-empty file"),
        (b"%PDF-1.7 a document", "must be an image (got PDF file)"),
        (b"just some text", "must be an image (got plain text)"),
        ((DATA.parent / "vpdq" / "videos" / "test-padded-dimensions.mp4").read_bytes(), "(got MP4 video)"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "one of JPEG, PNG"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "a corrupt or truncated JPEG file"),
    ],
    ids=["empty", "pdf", "text", "video", "heic", "jpeg-magic-only"],
)
def test_wrong_or_broken_input_is_refused_naming_the_field(data: bytes, message: str) -> None:
    """Empty, wrong-type, unsupported and garbage inputs are InvalidInput on the given field."""
    with pytest.raises(InvalidInput) as info:
        hash_image(data, "items[0].file")
    assert info.value.field == "items[0].file"
    assert message in info.value.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"])
@pytest.mark.parametrize("keep", [0.3, 0.7, 0.95])
def test_truncated_images_are_refused(fmt: str, keep: float) -> None:
    """A file cut short is InvalidInput, never a Pillow exception or a hash of half a picture."""
    data = _encoded(_bridge(200), fmt)
    with pytest.raises(InvalidInput, match="corrupt or truncated"):
        hash_image(data[: int(len(data) * keep)])


@settings(max_examples=25, deadline=None)
@given(st.integers(20, 10_000), st.binary(min_size=1, max_size=16))
def test_corrupted_images_never_escape_untranslated(offset: int, junk: bytes) -> None:
    """Bytes overwritten anywhere in a PNG or JPEG give a hash or an InvalidInput, nothing else."""
    for fmt in ("PNG", "JPEG"):
        data = bytearray(_encoded(_bridge(120), fmt))
        position = offset % len(data)
        data[position : position + len(junk)] = junk
        try:
            found = hash_image(bytes(data))
        except InvalidInput:
            continue
        assert len(found.pdq.hex) == 64


def test_oversized_file_is_refused_before_decoding() -> None:
    """A file over MAX_IMAGE_BYTES is PayloadTooLarge."""
    from ctexchange.engines.content.media import MAX_IMAGE_BYTES

    with pytest.raises(PayloadTooLarge, match="bytes"):
        hash_image(b"\xff\xd8\xff" + bytes(MAX_IMAGE_BYTES))


# -- hamming and the kind ---------------------------------------------------------------------------

hashes = st.binary(min_size=32, max_size=32).map(bytes.hex)


@settings(max_examples=100)
@given(hashes, hashes, hashes)
def test_hamming_is_a_metric(a: str, b: str, c: str) -> None:
    """Hamming distance is zero on equal hashes, symmetric, obeys the triangle inequality, counts bits."""
    assert hamming(a, a) == 0
    assert hamming(a, b) == hamming(b, a)
    assert hamming(a, c) <= hamming(a, b) + hamming(b, c)
    bits = (format(int(h, 16), "0256b") for h in (a, b))
    assert hamming(a, b) == sum(x != y for x, y in zip(*bits, strict=True))


def test_hamming_refuses_other_lengths() -> None:
    """Hashes that are not 64 hex digits are a programming error."""
    with pytest.raises(ValueError, match="64 hex digits"):
        hamming("ab", "cd")


@settings(max_examples=50)
@given(hashes)
def test_kind_canonicalises_case_and_whitespace(value: str) -> None:
    """The pdq kind stores lowercase hex; uppercase and surrounding whitespace give the same value and key."""
    canonical = PDQ_KIND.validate(f"  {value.upper()}\n", "value")
    assert canonical.value == canonical.key == value
    assert PDQ_KIND.name == "pdq" and PDQ_KIND.family is Family.CONTENT


@pytest.mark.parametrize(
    "raw", ["", "g" * 64, "a" * 63, "a" * 65, None, 7, ["a" * 64], "a" * 32 + " " + "a" * 31]
)
def test_kind_refuses_anything_but_a_hash(raw: object) -> None:
    """Wrong lengths, non-hex characters and non-strings are refused naming the field."""
    with pytest.raises(InvalidInput) as info:
        PDQ_KIND.validate(raw, "signals[3].value")
    assert info.value.field == "signals[3].value"
    assert "PDQ hash of 64 hex digits" in info.value.message


def test_kind_settings_have_defaults_and_bounds() -> None:
    """Settings default to distance 31 and min_quality 50; out-of-range, bool and unknown keys are refused."""
    assert PDQ_KIND.validate_settings({}, "s") == {"distance": 31, "min_quality": 50}
    assert PDQ_KIND.validate_settings({"distance": 0, "min_quality": 100}, "s") == {
        "distance": 0,
        "min_quality": 100,
    }
    for bad, field in (
        ({"distance": 257}, "s.distance"),
        ({"distance": -1}, "s.distance"),
        ({"distance": 31.5}, "s.distance"),
        ({"distance": True}, "s.distance"),
        ({"min_quality": "50"}, "s.min_quality"),
        ({"radius": 3}, "s"),
    ):
        with pytest.raises(InvalidInput) as info:
            PDQ_KIND.validate_settings(bad, "s")
        assert info.value.field == field
