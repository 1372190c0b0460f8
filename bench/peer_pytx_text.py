"""The peer side of bench_text.py: python-threatexchange's raw_text index answers the same queries.

Runs in the peer's own virtual environment: it reads the bank documents and the queries that
bench_text.py wrote, indexes the documents in `RawTextSignal`'s index (`LevenshteinLinearSearch`, a linear
scan comparing the query with every document by weighted Levenshtein distance, default threshold 5 %),
and writes every query's matching labels and the time spent.

pytx's Levenshtein (the `weighted_levenshtein` C extension) accepts ASCII only: comparing two texts
with Arabic, Cyrillic or Han letters whose lengths are close enough to need the distance raises
UnicodeEncodeError, which aborts `index.query` for the whole bank. So the scan is `index.query`'s own
loop over `index.state` with `RawTextSignal.matches_str`, counting such a comparison as a failure (no
match) instead of stopping: the same work per document, nothing skipped.

Usage: python peer_pytx_text.py WORKDIR
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from threatexchange.signal_type.raw_text import RawTextSignal


def main() -> None:
    """Index bank.jsonl, answer queries.jsonl; write peer-hits.jsonl and peer-timing.json."""
    work = Path(sys.argv[1])
    start = time.perf_counter()
    index = RawTextSignal.get_index_cls()()
    documents = 0
    for line in (work / "bank.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        index.add(row["text"], row["label"])
        documents += 1
    built = time.perf_counter() - start
    spent, count, failures = 0.0, 0, 0
    with (work / "peer-hits.jsonl").open("w", encoding="utf-8") as out:
        for line in (work / "queries.jsonl").open(encoding="utf-8"):
            task = json.loads(line)
            start = time.perf_counter()
            labels, failed = scan(index.state, task["text"])
            seconds = time.perf_counter() - start
            spent += seconds
            count += 1
            failures += failed
            out.write(json.dumps({"qid": task["qid"], "labels": labels, "seconds": seconds}) + "\n")
    timing = {"queries": count, "seconds": spent, "documents": documents, "build_seconds": built}
    timing["failed_comparisons"] = failures
    (work / "peer-timing.json").write_text(json.dumps(timing))


def scan(state: list[tuple[str, Any]], query: str) -> tuple[list[Any], int]:
    """`TrivialLinearSearchMatchIndex.query`, counting non-ASCII failures instead of raising."""
    labels, failed = [], 0
    for signal, label in state:
        try:
            result = RawTextSignal.matches_str(signal, query)
        except UnicodeEncodeError:
            failed += 1
            continue
        if result.match:
            labels.append(label)
    return labels, failed


if __name__ == "__main__":
    main()
