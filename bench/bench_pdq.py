"""PDQ index benchmark: ctexchange's PdqIndex against python-threatexchange's PDQ index, same data, one run.

Data, generated from --seed (no files needed): a bank of --count hashes shaped like real banks, half in
clusters of near-duplicates (a seed hash and 1 to 9 variants, each 1 to 40 bits from the seed) and half
uniform random; --queries queries, half near-duplicates of bank members (0 to 40 bits off, so most but
not all within 31) and half unrelated random hashes. Labels are a random permutation of 0..count-1.

Measured, at distance 31 (PDQ's usual match threshold, the peer's fixed one):
- ours: build from hex strings, resident bytes per hash (`nbytes`), save, persisted bytes per hash, load
  (the restart: tables rebuilt from the saved hashes), single-query p50/p99 latency and queries/s, and
  `query_many` throughput;
- the peer (`PdqSignal.get_index_cls()`, i.e. PDQIndex over faiss IndexBinaryMultiHash, as HMA uses it;
  run by bench/peer_pytx_pdq.py in its own virtual environment): build, single-query p50/p99 and
  queries/s, and its pickle-based serialize/deserialize;
- exactness: both result sets against brute force on a sample of the queries (half near, half unrelated).
Both sides run one query at a time on one core: our numpy code is single-threaded, and the peer's faiss
gets OMP_NUM_THREADS=--peer-threads (default 1; on a shared 2-core machine faiss's default thread pool
makes its single queries several times slower, so one thread is its best case here).

Usage: python bench/bench_pdq.py [--count N] [--queries Q] [--check S] [--peer-python PATH] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ctexchange.engines.content.pdq_index import PdqIndex, brute_force

ROOT = Path(__file__).resolve().parents[1]
DISTANCE = 31
MAX_FLIPS = 40
BLOCK = 1 << 16


def flip_bits(rng: np.random.Generator, hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Copies of `hashes` with counts[i] distinct random bits of row i flipped (counts at most 64)."""
    out = hashes.copy()
    for start in range(0, len(hashes), BLOCK):
        part = slice(start, start + BLOCK)
        rows = len(out[part])
        chosen = np.argpartition(rng.random((rows, 256), dtype=np.float32), 63, axis=1)[:, :64]
        wanted = np.arange(64) < counts[part, None]
        mask = np.zeros((rows, 256), dtype=bool)
        mask[np.nonzero(wanted)[0], chosen[wanted]] = True
        out[part] ^= np.packbits(mask, axis=1)
    return out


def make_bank(rng: np.random.Generator, count: int) -> np.ndarray:
    """Half clusters (a seed and 1-9 variants at 1-40 bits), half uniform random, shuffled."""
    sizes = rng.integers(2, 11, size=count // 2 + 1)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), count // 2) + 1]
    seeds = rng.integers(0, 256, size=(len(sizes), 32), dtype=np.uint8)
    clustered = np.repeat(seeds, sizes, axis=0)[: count // 2]
    flips = rng.integers(1, MAX_FLIPS + 1, size=len(clustered))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flips[starts[starts < len(flips)]] = 0  # the seeds themselves
    clustered = flip_bits(rng, clustered, flips)
    uniform = rng.integers(0, 256, size=(count - len(clustered), 32), dtype=np.uint8)
    bank = np.concatenate([clustered, uniform])
    return bank[rng.permutation(count)]


def make_queries(rng: np.random.Generator, bank: np.ndarray, count: int) -> np.ndarray:
    """Half near-duplicates of bank members (0-40 bits off), half unrelated, interleaved."""
    halves = (count + 1) // 2
    near = flip_bits(
        rng, bank[rng.integers(0, len(bank), size=halves)], rng.integers(0, MAX_FLIPS + 1, halves)
    )
    unrelated = rng.integers(0, 256, size=(count - halves, 32), dtype=np.uint8)
    queries = np.empty((count, 32), dtype=np.uint8)
    queries[0::2], queries[1::2] = near, unrelated
    return queries


def to_hex(hashes: np.ndarray) -> list[str]:
    """Rows as 64-digit lowercase hex strings."""
    text = hashes.tobytes().hex()
    return [text[i : i + 64] for i in range(0, len(text), 64)]


@dataclass
class Side:
    """What one system measured."""

    build_s: float
    latencies_s: list[float]
    cpu_s: list[float]
    results: list[list[tuple[int, int]]]
    save_s: float
    load_s: float
    persisted_bytes: int
    extra: dict[str, Any]

    def p(self, quantile: float, *, cpu: bool = False) -> float:
        """Latency (or CPU time) quantile in milliseconds."""
        ordered = sorted(self.cpu_s if cpu else self.latencies_s)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000

    @property
    def qps(self) -> float:
        """Single-query throughput."""
        return len(self.latencies_s) / sum(self.latencies_s)

    @property
    def cpu_qps(self) -> float:
        """Single-query throughput counting only the CPU time the queries used."""
        return len(self.cpu_s) / sum(self.cpu_s)


def run_ours(labels: np.ndarray, bank_hex: list[str], query_hex: list[str], work: Path) -> Side:
    """Build, persist, restart and query ctexchange's index."""
    start = time.perf_counter()
    index = PdqIndex()
    index.add(labels, bank_hex)
    build_s = time.perf_counter() - start
    nbytes = index.nbytes
    start = time.perf_counter()
    index.save(work / "ours")
    save_s = time.perf_counter() - start
    persisted = sum(f.stat().st_size for f in (work / "ours").iterdir())
    del index
    start = time.perf_counter()
    index = PdqIndex.load(work / "ours")
    load_s = time.perf_counter() - start
    latencies, cpu_times, results = [], [], []
    for query in query_hex:
        start, cpu_start = time.perf_counter(), time.thread_time()
        results.append(index.query(query, DISTANCE))
        cpu_times.append(time.thread_time() - cpu_start)
        latencies.append(time.perf_counter() - start)
    start, cpu_start = time.perf_counter(), time.thread_time()
    batch = index.query_many(query_hex, DISTANCE)
    batch_cpu_s, batch_s = time.thread_time() - cpu_start, time.perf_counter() - start
    extra = {
        "nbytes": nbytes,
        "batch_qps": len(query_hex) / batch_s,
        "batch_cpu_qps": len(query_hex) / batch_cpu_s,
        "batch_equal": batch == results,
        "fresh_restart_s": fresh_restart(work / "ours"),
    }
    return Side(build_s, latencies, cpu_times, results, save_s, load_s, persisted, extra)


def fresh_restart(directory: Path) -> float:
    """Seconds a new interpreter takes to import the index module and load `directory` (start-up excluded)."""
    code = (
        "import time; start = time.perf_counter()\n"
        "from ctexchange.engines.content.pdq_index import PdqIndex\n"
        f"index = PdqIndex.load({str(directory)!r})\n"
        "print(time.perf_counter() - start, len(index))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)  # noqa: S603
    return float(out.stdout.split()[0])


def run_peer(
    python: str, threads: int, labels: np.ndarray, bank_hex: list[str], query_hex: list[str], work: Path
) -> Side:
    """Write the bank and queries, run the peer script in its interpreter, read back what it measured."""
    with (work / "bank.txt").open("w", encoding="ascii") as out:
        out.writelines(f"{label} {value}\n" for label, value in zip(labels.tolist(), bank_hex, strict=True))
    (work / "queries.txt").write_text("\n".join(query_hex) + "\n", encoding="ascii")
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    script = str(ROOT / "bench" / "peer_pytx_pdq.py")
    subprocess.run([python, script, str(work)], check=True, env=env)  # noqa: S603 - our own script
    timing = json.loads((work / "peer-timing.json").read_text(encoding="ascii"))
    with (work / "peer-results.jsonl").open(encoding="ascii") as lines:
        results = [sorted(((label, dist) for label, dist in json.loads(line)), key=_rank) for line in lines]
    extra = {
        "class": timing["class"],
        "threads": timing["faiss_threads"],
        "max_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    return Side(
        timing["build_s"],
        timing["latencies_s"],
        timing["cpu_s"],
        results,
        timing["save_s"],
        timing["load_s"],
        timing["persisted_bytes"],
        extra,
    )


def _rank(hit: tuple[int, int]) -> tuple[int, int]:
    return hit[1], hit[0]


def check_exact(
    labels: np.ndarray, bank: np.ndarray, query_hex: list[str], sample: int, sides: dict[str, Side]
) -> dict[str, int]:
    """Compare each side's hits with brute force on `sample` queries (as many near as unrelated)."""
    picked = list(range(min(sample, len(query_hex))))
    wrong = dict.fromkeys(sides, 0)
    for i in picked:
        truth = brute_force(labels, bank, query_hex[i], DISTANCE)
        for name, side in sides.items():
            wrong[name] += side.results[i] != truth
    return {"checked": len(picked), **wrong}


def _both(ours: Side, peer: Side, quantile: float) -> tuple[float, float, float]:
    mine, theirs = ours.p(quantile, cpu=True), peer.p(quantile, cpu=True)
    return mine, theirs, theirs / mine


def report(count: int, ours: Side, peer: Side, exact: dict[str, int], query_count: int) -> None:
    """Print the comparison as Markdown."""
    hits = sum(len(r) for r in ours.results)
    print(f"\n{count:,} hashes (half in near-duplicate clusters), {query_count:,} queries at d = {DISTANCE}")
    print(f"({hits:,} hits in all; peer: {peer.extra['class']}, faiss threads {peer.extra['threads']})\n")
    print("| measure | ctexchange PdqIndex | pytx PDQIndex (faiss MIH) | ratio |")
    print("|---|---|---|---|")
    rows = [
        ("build (s)", ours.build_s, peer.build_s, peer.build_s / ours.build_s),
        ("single query p50 (ms)", ours.p(0.5), peer.p(0.5), peer.p(0.5) / ours.p(0.5)),
        ("single query p99 (ms)", ours.p(0.99), peer.p(0.99), peer.p(0.99) / ours.p(0.99)),
        ("single query CPU p50 (ms)", *_both(ours, peer, 0.5)),
        ("single query CPU p99 (ms)", *_both(ours, peer, 0.99)),
        ("single queries/s", ours.qps, peer.qps, ours.qps / peer.qps),
        ("single queries/s, CPU time", ours.cpu_qps, peer.cpu_qps, ours.cpu_qps / peer.cpu_qps),
        ("batch queries/s (query_many)", ours.extra["batch_qps"], None, ours.extra["batch_qps"] / peer.qps),
        (
            "batch queries/s, CPU time",
            ours.extra["batch_cpu_qps"],
            None,
            ours.extra["batch_cpu_qps"] / peer.cpu_qps,
        ),
        ("save (s)", ours.save_s, peer.save_s, peer.save_s / ours.save_s),
        ("restart: load (s)", ours.load_s, peer.load_s, peer.load_s / ours.load_s),
        ("restart in a new process: import + load (s)", ours.extra["fresh_restart_s"], None, None),
        ("persisted bytes/hash", ours.persisted_bytes / count, peer.persisted_bytes / count, None),
        ("resident bytes/hash (nbytes)", ours.extra["nbytes"] / count, None, None),
    ]
    for name, mine, theirs, ratio in rows:
        cells = [
            f"{mine:,.3f}",
            "-" if theirs is None else f"{theirs:,.3f}",
            "-" if ratio is None else f"{ratio:.1f}x",
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        f"\npeer process max RSS: {peer.extra['max_rss_mib']:,.0f} MiB "
        "(faiss index, id maps, Python entry list)"
    )
    print(f"batch results identical to single queries: {ours.extra['batch_equal']}")
    print(
        f"exactness on {exact['checked']} sampled queries vs brute force: ctexchange wrong on "
        f"{exact['ours']}, peer wrong on {exact['peer']}"
    )
    same = sum(a == b for a, b in zip(ours.results, peer.results, strict=True))
    print(f"ctexchange and peer agree on {same:,} of {query_count:,} queries")
    print(
        "ratios: peer / ours for times, ours / peer for throughput (batch: against the peer's single queries)"
    )
    print(
        "CPU time: time.thread_time() around each call, which leaves out waits for a CPU shared with others"
    )


def main() -> None:
    """Generate the data, run both sides and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=4000)
    parser.add_argument("--check", type=int, default=200, help="queries compared with brute force")
    parser.add_argument("--peer-python", default=str(ROOT / ".venv-peer" / "bin" / "python"))
    parser.add_argument("--peer-threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20240531)
    args = parser.parse_args()
    if not Path(args.peer_python).is_file():
        sys.exit(f"no peer interpreter at {args.peer_python}: pass --peer-python PATH")
    rng = np.random.default_rng(args.seed)
    print(f"generating {args.count:,} hashes and {args.queries:,} queries", file=sys.stderr)
    bank = make_bank(rng, args.count)
    queries = make_queries(rng, bank, args.queries)
    labels = rng.permutation(args.count).astype(np.int64)
    bank_hex, query_hex = to_hex(bank), to_hex(queries)
    with tempfile.TemporaryDirectory(prefix="bench-pdq-") as tmp:
        work = Path(tmp)
        print("running ctexchange", file=sys.stderr)
        ours = run_ours(labels, bank_hex, query_hex, work)
        print("running python-threatexchange (build, queries, pickle round trip)", file=sys.stderr)
        peer = run_peer(args.peer_python, args.peer_threads, labels, bank_hex, query_hex, work)
    print("checking both against brute force", file=sys.stderr)
    exact = check_exact(labels, bank, query_hex, args.check, {"ours": ours, "peer": peer})
    report(args.count, ours, peer, exact, args.queries)


if __name__ == "__main__":
    main()
