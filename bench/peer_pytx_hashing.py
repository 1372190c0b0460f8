"""The peer side of bench_hashing.py: python-threatexchange's PDQ hasher on the same image files.

Runs in the peer's own virtual environment (`make bench` creates it; python-threatexchange 1.2.17 with the
pdqhash wheel): it reads the list of files that bench_hashing.py wrote, loads every file into memory, hashes
each once (the hash and quality, or the error it raised), then times `repeat` more hashes of each file
(CPU seconds, `time.process_time`) and writes the results.

Usage: python peer_pytx_hashing.py WORKDIR
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes


def _first_hash(data: bytes) -> dict[str, Any]:
    try:
        digest, quality = pdq_from_bytes(data)
    except Exception as exc:  # the peer fails on some Pillow modes: record it, leave the file out of timing
        return {"error": type(exc).__name__}
    return {"pdq": digest, "quality": int(quality)}


def main() -> None:
    """Hash every listed file, time `repeat` hashes of each, write peer-result.json."""
    work = Path(sys.argv[1])
    manifest = json.loads((work / "manifest.json").read_text())
    blobs = [Path(path).read_bytes() for path in manifest["files"]]
    results = [_first_hash(data) for data in blobs]
    for data, result in zip(blobs, results, strict=True):
        if "error" in result:
            continue
        start = time.process_time()
        for _ in range(manifest["repeat"]):
            pdq_from_bytes(data)
        result["seconds"] = time.process_time() - start
    (work / "peer-result.json").write_text(json.dumps(results))


if __name__ == "__main__":
    main()
