"""Images and videos drawn in code for the service, API and CLI tests (no binary fixtures needed).

`pattern(seed)` is a blurred grid of random colour blocks: rich enough for PDQ quality 100, and two
seeds are about 128 bits apart. `edited(...)` re-encodes it lightly (a near-duplicate a few bits away).
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageEnhance, ImageFilter


def pattern(seed: int, size: int = 256, blocks: int = 12) -> Image.Image:
    """A `size`-pixel square of `blocks` x `blocks` random colour cells, softly blurred."""
    rng = random.Random(seed)
    cells = np.array(
        [[[rng.randrange(256) for _ in range(3)] for _ in range(blocks)] for _ in range(blocks)],
        dtype=np.uint8,
    )
    image = Image.fromarray(cells, "RGB").resize((size, size), Image.Resampling.NEAREST)
    return image.filter(ImageFilter.GaussianBlur(size / 40))


def png(image: Image.Image) -> bytes:
    """The image as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    """The image as JPEG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def edited(seed: int) -> bytes:
    """A near-duplicate of `pattern(seed)` (a few bits away): brighter, smaller, re-encoded as JPEG."""
    image = ImageEnhance.Brightness(pattern(seed)).enhance(1.05).resize((220, 220))
    return jpeg(image, quality=85)


def flat() -> bytes:
    """A flat grey image: PDQ quality 0."""
    return png(Image.new("RGB", (64, 64), (128, 128, 128)))


def video(
    path: Path, seeds: Sequence[int], fps: int = 5, seconds_per_seed: int = 1, size: int = 128
) -> bytes:
    """Write an MPEG-4 video showing `pattern(seed)` for each seed in turn; return its bytes."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for seed in seeds:
            frame = av.VideoFrame.from_image(pattern(seed, size))
            for _ in range(fps * seconds_per_seed):
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path.read_bytes()
