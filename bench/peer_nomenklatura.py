"""The peer side of bench_screening.py: nomenklatura's logic-v2 scores the same candidates.

Runs in nomenklatura's own virtual environment (`make bench` creates it): it reads the entities and the
queries with their candidate ids that bench_screening.py wrote, scores every (query, candidate) pair
with LogicV2 and its default configuration, and writes the scores and the time spent.

Usage: python peer_nomenklatura.py WORKDIR
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from followthemoney import model
from nomenklatura.matching import LogicV2


def _entity(entity_id: str, data: dict[str, Any]) -> Any:
    proxy = model.make_entity(data["schema"])
    proxy.id = entity_id
    for prop, values in data["properties"].items():
        for value in values:
            proxy.add(prop, value, quiet=True)
    return proxy


def main() -> None:
    """Score every query's candidates and write peer-scores.jsonl and peer-timing.json."""
    work = Path(sys.argv[1])
    entities = {}
    for line in (work / "entities.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        entities[row["id"]] = _entity(row["id"], row)
    config = LogicV2.default_config()
    spent = 0.0
    count = 0
    with (work / "peer-scores.jsonl").open("w", encoding="utf-8") as out:
        for line in (work / "queries.jsonl").open(encoding="utf-8"):
            task = json.loads(line)
            query = _entity(
                f"query-{task['qid']}", task["query"]
            )  # ids must differ: nomenklatura caches by id
            start = time.perf_counter()
            scores = {c: LogicV2.compare(query, entities[c], config).score for c in task["candidates"]}
            spent += time.perf_counter() - start
            count += 1
            out.write(json.dumps({"qid": task["qid"], "scores": scores}) + "\n")
    (work / "peer-timing.json").write_text(json.dumps({"queries": count, "seconds": spent}))


if __name__ == "__main__":
    main()
