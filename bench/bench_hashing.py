"""Image hashing benchmark: ctexchange's `hash_image` against python-threatexchange's PDQ hasher, one run.

Data (from --data, default ../shared/data beside the checkout): every image under `pdq/` (the bridge
edits, the Pillow-mode copies, python-threatexchange's test images, the PDQ regression inputs including
the four 12-megapixel EXIF-orientation photos). Both sides hash the same bytes, held in memory, so file
reads are not timed.

Each round hashes every file `--repeat` times on our side, then has the peer do the same in its own
virtual environment (a subprocess running `peer_pytx_hashing.py`); rounds alternate so that both sides
meet the same machine load, and the best time of each file on each side is kept. Times are CPU seconds
of the hashing process (`time.process_time`; both hashers are single-threaded), so that other work on a
shared machine does not count against either side. Throughput is reported
in images/s and MB/s for all files the peer can hash, for those without an EXIF rotation, and for the
rotated ones (where ctexchange hashes twice: the upright picture and the raw grid). Agreement is
checked too: our hash of the stored grid (`raw_pdq` when rotated, else `pdq`) should equal the peer's
bit for bit.

Usage: python bench/bench_hashing.py [--data DIR] [--peer-python PATH] [--rounds N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctexchange.engines.content.pdq import ImageHashes, hash_image
from ctexchange.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"}


@dataclass
class Sample:
    """One image file, what we made of it, and the best time of each side for `repeat` hashes."""

    path: Path
    data: bytes
    ours: ImageHashes | None = None
    peer: dict[str, Any] | None = None
    ours_s: float = float("inf")
    peer_s: float = float("inf")

    @property
    def rotated(self) -> bool:
        return self.ours is not None and self.ours.raw_pdq is not None


def load(data_dir: Path) -> list[Sample]:
    """Every image file under data_dir/pdq, read into memory."""
    paths = sorted(p for p in (data_dir / "pdq").rglob("*") if p.suffix.lower() in SUFFIXES)
    return [Sample(p, p.read_bytes()) for p in paths]


def run_ours(samples: list[Sample], repeat: int) -> None:
    """Hash each sample once (kept) and time `repeat` more hashes, keeping the best time per file."""
    for sample in samples:
        try:
            sample.ours = hash_image(sample.data)
        except InvalidInput:
            continue
        start = time.process_time()
        for _ in range(repeat):
            hash_image(sample.data)
        sample.ours_s = min(sample.ours_s, time.process_time() - start)


def run_peer(python: str, samples: list[Sample], repeat: int) -> None:
    """Have python-threatexchange hash the same files; keep its best time per file."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        manifest = {"files": [str(s.path) for s in samples], "repeat": repeat}
        (work / "manifest.json").write_text(json.dumps(manifest))
        script = str(ROOT / "bench" / "peer_pytx_hashing.py")
        subprocess.run([python, script, str(work)], check=True)  # noqa: S603 - our own script
        results = json.loads((work / "peer-result.json").read_text())
    for sample, result in zip(samples, results, strict=True):
        sample.peer = result
        if "seconds" in result:
            sample.peer_s = min(sample.peer_s, result["seconds"])


def _row(name: str, group: list[Sample], repeat: int) -> str:
    if not group:
        return f"| {name} | 0 | - | - | - | - | - | - |"
    megabytes = sum(len(s.data) for s in group) * repeat / 1e6
    ours, peer = sum(s.ours_s for s in group), sum(s.peer_s for s in group)
    images = len(group) * repeat
    cells = [
        name,
        len(group),
        f"{megabytes / repeat:.1f}",
        f"{images / ours:.1f}",
        f"{megabytes / ours:.1f}",
        f"{images / peer:.1f}",
        f"{megabytes / peer:.1f}",
        f"{peer / ours:.3f}",
    ]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def agreement(samples: list[Sample]) -> tuple[int, int, list[str]]:
    """Files where our stored-grid hash equals the peer's exactly, files compared, and the others."""
    compared, equal, differing = 0, 0, []
    for s in samples:
        if s.ours is None or s.peer is None or "pdq" not in s.peer:
            continue
        compared += 1
        grid = s.ours.raw_pdq or s.ours.pdq
        if grid.hex == s.peer["pdq"] and grid.quality == s.peer["quality"]:
            equal += 1
        else:
            differing.append(s.path.name)
    return equal, compared, differing


def report(samples: list[Sample], data_dir: Path, repeat: int, rounds: int) -> None:
    """Print the comparison as Markdown."""
    both = [s for s in samples if s.ours is not None and s.peer_s < float("inf")]
    peer_failed = [s.path.relative_to(data_dir / "pdq") for s in samples if s.peer and "error" in s.peer]
    where = data_dir / "pdq"
    print(f"\n{len(samples)} image files under {where}; best of {rounds} rounds of {repeat} hashes each\n")
    print("| files | count | MB | ours images/s | ours MB/s | pytx images/s | pytx MB/s | ours/pytx |")
    print("|---|---|---|---|---|---|---|---|")
    print(_row("all the peer can hash", both, repeat))
    print(_row("no EXIF rotation", [s for s in both if not s.rotated], repeat))
    print(_row("EXIF-rotated (ours hashes twice)", [s for s in both if s.rotated], repeat))
    equal, compared, differing = agreement(samples)
    print(f"\nstored-grid hash and quality equal to python-threatexchange's: {equal} of {compared} files")
    if differing:
        print("differing (modes the peer reads wrongly, see pdq.py): " + ", ".join(differing))
    if peer_failed:
        print("python-threatexchange could not hash: " + ", ".join(str(p) for p in peer_failed))


def main() -> None:
    """Run both hashers on the same files, alternating rounds, and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--peer-python", default=str(ROOT / ".venv-peer" / "bin" / "python"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="hashes of each file per round")
    args = parser.parse_args()
    if not (args.data / "pdq").is_dir():
        sys.exit(f"no benchmark data in {args.data}: pass --data DIR")
    samples = load(args.data)
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}: ctexchange", file=sys.stderr)
        run_ours(samples, args.repeat)
        print(f"round {round_number}: python-threatexchange", file=sys.stderr)
        run_peer(args.peer_python, samples, args.repeat)
    report(samples, args.data, args.repeat, args.rounds)


if __name__ == "__main__":
    main()
