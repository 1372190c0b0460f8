"""The peer side of bench_pdq.py: python-threatexchange's PDQ index, as HMA uses it, on the same data.

Runs in the peer's own virtual environment (`make bench` creates it). It reads the bank (`bank.txt`:
one "label hex" per line) and the queries (`queries.txt`: one hex per line) that bench_pdq.py wrote,
builds `PdqSignal.get_index_cls()` (PDQIndex over faiss IndexBinaryMultiHash, 16 hash maps, one bit flip
per map at distance 31) with `build(entries)` as HMA does, queries each hash once with `query(hash)`, and
writes every query's (label, distance) hits and latency. It also times the index's own persistence
(`serialize` / `deserialize`, which pickle) for the restart comparison.

Usage: python peer_pytx_pdq.py WORKDIR
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import faiss
from threatexchange.signal_type.pdq.signal import PdqSignal


def _bank(work: Path) -> list[tuple[str, int]]:
    entries = []
    with (work / "bank.txt").open(encoding="ascii") as lines:
        for line in lines:
            label, value = line.split()
            entries.append((value, int(label)))
    return entries


def main() -> None:
    """Build, query and persist the peer index; write peer-results.jsonl and peer-timing.json."""
    work = Path(sys.argv[1])
    entries = _bank(work)
    queries = (work / "queries.txt").read_text(encoding="ascii").split()
    index_cls = PdqSignal.get_index_cls()
    start = time.perf_counter()
    index = index_cls.build(entries)
    build_s = time.perf_counter() - start
    del entries
    latencies, cpu_times = [], []
    with (work / "peer-results.jsonl").open("w", encoding="ascii") as out:
        for query in queries:
            start, cpu_start = time.perf_counter(), time.thread_time()
            matches = index.query(query)
            cpu_times.append(time.thread_time() - cpu_start)
            latencies.append(time.perf_counter() - start)
            hits = [[int(m.metadata), int(m.similarity_info.distance)] for m in matches]
            out.write(json.dumps(hits) + "\n")
    start = time.perf_counter()
    with (work / "peer-index.pickle").open("wb") as handle:
        index.serialize(handle)
    save_s = time.perf_counter() - start
    del index
    start = time.perf_counter()
    with (work / "peer-index.pickle").open("rb") as handle:
        index_cls.deserialize(handle)  # the peer's own pickle format, read back from our temp dir
    load_s = time.perf_counter() - start
    timing = {
        "class": f"{index_cls.__module__}.{index_cls.__qualname__}",
        "faiss_threads": faiss.omp_get_max_threads(),
        "build_s": build_s,
        "latencies_s": latencies,
        "cpu_s": cpu_times,
        "save_s": save_s,
        "load_s": load_s,
        "persisted_bytes": (work / "peer-index.pickle").stat().st_size,
    }
    (work / "peer-timing.json").write_text(json.dumps(timing), encoding="ascii")


if __name__ == "__main__":
    main()
