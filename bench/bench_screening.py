"""Screening benchmark: ctexchange's names engine against nomenklatura's logic-v2, same data, one run.

Data (from --data, default ../shared/data beside the checkout): the UN Consolidated List and the OFAC
SDN list (about 14,600 persons and organizations), and OpenSanctions' public candidate-generation
fixtures (UN positives, treated and untreated; 50,000 synthetic negatives).

Suites, each at threshold 0.7 (yente's default):
- positives: recall of the intended UN entry (the entry whose name the untreated row carries);
- negatives: false-positive rate (any entity at or above the threshold);
- cross-script: for every UN entry with a name in original script, that name queried against the entry
  holding only its Latin names, and the Latin name against the entry holding only the original-script
  name (each side indexed alone, with the rest of the UN list); wrong-person hits counted. OFAC is left
  out of these indexes because it repeats many UN entries, whose copies are not wrong persons.
Speed: our single-query latency (preparing the query, candidates, and scoring those that may reach the
threshold: `score.screen_prepared`) and throughput over the whole run on one core; then the whole run
again in batches of 1000 queries as `POST /v1/screen` and `ctx screen-batch` screen them
(`score.screen_many`), from the same state (caches emptied, indexes rebuilt), its results checked equal
to the single queries'. Throughput is given in wall-clock time and in the CPU time of this process (the
figure that holds on a machine shared with other work). Index build time includes preparing every
entity for scoring. The garbage collector is set as `ctx serve` sets it, and the heap settled after
building the full index as the service settles it after a load (`service.heap`). The peer's time is
to score the same candidate sets (its best case: candidate generation, which yente leaves to
Elasticsearch, costs it nothing here). The peer runs in its own virtual environment (`make bench`
creates it) on files this script writes.

Usage: python bench/bench_screening.py [--data DIR] [--peer-python PATH] [--negatives N]
    [--suites un-untreated,un-treated,script->latin,latin->script,negatives] [--no-peer] [--dump DIR]

`--suites` and `--no-peer` make quick runs for development; `--dump DIR` writes every false positive,
miss and wrong-person hit of ours, with the explanation of the best-scored entity, to study them.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ctexchange.domain.entities import EntityRecord, NameQuality, NameType, ScreeningQuery
from ctexchange.engines.names import bounds, compare, tokens, translit, variants
from ctexchange.engines.names import index as index_module
from ctexchange.engines.names.index import CandidateIndex
from ctexchange.engines.names.score import prepare_query, score_prepared, screen_many, screen_prepared
from ctexchange.errors import InvalidInput
from ctexchange.interop.countries import country_code
from ctexchange.interop.ofac_sdn import parse_ofac_sdn
from ctexchange.interop.un_list import parse_un_list
from ctexchange.service import heap
from ctexchange.service.screening import CANDIDATES as SCREENING_CANDIDATES
from ctexchange.service.screening import MAX_QUERIES, make_query

ROOT = Path(__file__).resolve().parents[1]
THRESHOLD = 0.7
SUITES = ("un-untreated", "un-treated", "script->latin", "latin->script", "negatives")


@dataclass
class Task:
    """One query of a suite, the index it runs against and the entity it should find (if any)."""

    qid: str
    suite: str
    query: ScreeningQuery
    index: str
    intended: str | None


@dataclass
class Outcome:
    """What a system made of one task."""

    scores: dict[str, float]
    seconds: float = 0.0
    hits: list[str] = field(default_factory=list)


def load_lists(data: Path) -> dict[str, EntityRecord]:
    """Parse the UN and OFAC lists into records keyed `un:REF` / `ofac:REF`."""
    un = parse_un_list((data / "un-consolidated-list.xml").read_bytes())
    ofac = parse_ofac_sdn((data / "ofac-sdn-2024-05-03.csv").read_bytes())
    records = {f"un:{r.listing.reference}": r for r in un.records}
    records.update({f"ofac:{r.listing.reference}": r for r in ofac.records})
    return records


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace(",", " ").split())


def _query(name: str, dob: str, nationality: str) -> ScreeningQuery | None:
    code = (
        nationality.upper() if len(nationality) == 2 else country_code(nationality) if nationality else None
    )
    try:
        return make_query("Person", [name], [dob] if dob else [], [code] if code else [])
    except InvalidInput:
        return None


def fixture_tasks(data: Path, records: dict[str, EntityRecord], negatives: int) -> list[Task]:
    """The yente fixture suites: treated and untreated UN positives, and negatives."""
    fixtures = data / "yente-fixtures"
    by_name: dict[str, str] = {}
    for key, record in records.items():
        if key.startswith("un:"):
            for n in record.names:
                by_name.setdefault(_fold(n.text), key)
    untreated = list(csv.DictReader((fixtures / "positives_un_untreated.csv").open(encoding="utf-8")))
    treated = list(csv.DictReader((fixtures / "positives_un_treated.csv").open(encoding="utf-8")))
    tasks = []
    for suite, rows in (("un-untreated", untreated), ("un-treated", treated)):
        for i, row in enumerate(rows):
            intended = by_name.get(_fold(untreated[i]["full_name"]))
            query = _query(row["full_name"], row["date_of_birth"], row["nationality"])
            if intended and query:
                tasks.append(Task(f"{suite}-{i}", suite, query, "full", intended))
    neg_rows = list(csv.DictReader((fixtures / "negatives_global.csv").open(encoding="utf-8")))[:negatives]
    for i, row in enumerate(neg_rows):
        query = _query(row["full_name"], row["date_of_birth"], row["nationality"])
        if query:
            tasks.append(Task(f"neg-{i}", "negatives", query, "full", None))
    return tasks


def _only(record: EntityRecord, keep_original: bool) -> EntityRecord:
    names = tuple(n for n in record.names if (n.type is NameType.ORIGINAL_SCRIPT) == keep_original)
    return replace(record, names=names)


def cross_script(
    records: dict[str, EntityRecord],
) -> tuple[list[Task], dict[str, EntityRecord], dict[str, EntityRecord]]:
    """Tasks and the two reduced lists of the cross-script suites."""
    latin_only, script_only, tasks = {}, {}, []
    for key, record in records.items():
        if not key.startswith("un:"):
            continue  # OFAC repeats many UN entries: another list's copy is not a wrong person
        originals = [n for n in record.names if n.type is NameType.ORIGINAL_SCRIPT]
        latins = [n for n in record.names if n.type is not NameType.ORIGINAL_SCRIPT]
        if not originals or not latins:
            latin_only[key] = script_only[key] = record
            continue
        latin_only[key] = _only(record, keep_original=False)
        script_only[key] = _only(record, keep_original=True)
        schema = record.schema.value
        for i, name in enumerate(originals):
            tasks.append(
                Task(f"s2l-{key}-{i}", "script->latin", make_query(schema, [name.text]), "latin", key)
            )
        primary = record.primary_name
        tasks.append(Task(f"l2s-{key}", "latin->script", make_query(schema, [primary]), "script", key))
    return tasks, latin_only, script_only


def run_ours(
    tasks: list[Task], indexes: dict[str, tuple[CandidateIndex, dict[str, EntityRecord]]], limit: int
) -> tuple[dict[str, Outcome], float]:
    """Candidates and the scores of those reaching the threshold, for every task, timed per query;
    and the CPU seconds of the whole pass.

    This is what the service does for a query (`ScreeningService.screen`): prepare it, find its
    candidates, and score those that may reach the threshold.
    """
    outcomes = {}
    cpu = time.process_time()
    for task in tasks:
        index, _ = indexes[task.index]
        start = time.perf_counter()
        query = prepare_query(task.query)
        candidates = index.candidates(query, limit)
        entities = [(c, e) for c in candidates if (e := index.entity(c)) is not None]
        found = screen_prepared(query, entities, THRESHOLD)
        scores = {key: scored.score for key, scored in found}
        outcomes[task.qid] = Outcome(scores, time.perf_counter() - start, candidates)
    return outcomes, time.process_time() - cpu


def forget_queries() -> None:
    """Empty the names engine's caches of words, names and token pairs, so that a run does not
    profit from an earlier run's queries (the indexes are then built again, as at a start)."""
    for module in (bounds, compare, index_module, tokens, translit, variants):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    compare.clear_similarities()


def run_batches(
    tasks: list[Task], indexes: dict[str, tuple[CandidateIndex, dict[str, EntityRecord]]], limit: int
) -> tuple[dict[str, dict[str, float]], float, float]:
    """Every task again, in batches of `MAX_QUERIES` (the most `POST /v1/screen` accepts), as the
    service screens a batch (`score.screen_many`); the scores of each query, the total seconds and
    the CPU seconds."""
    scores: dict[str, dict[str, float]] = {}
    seconds = 0.0
    cpu = time.process_time()
    for name, (index, _) in indexes.items():
        mine = [t for t in tasks if t.index == name]
        for start in range(0, len(mine), MAX_QUERIES):
            batch = mine[start : start + MAX_QUERIES]
            began = time.perf_counter()
            queries = [prepare_query(t.query) for t in batch]
            work = [
                (q, [(c, e) for c in index.candidates(q, limit) if (e := index.entity(c)) is not None])
                for q in queries
            ]
            found = screen_many(work, THRESHOLD)
            seconds += time.perf_counter() - began
            for task, hits in zip(batch, found, strict=True):
                scores[task.qid] = {key: scored.score for key, scored in hits}
    return scores, seconds, time.process_time() - cpu


def build(records: dict[str, EntityRecord]) -> tuple[CandidateIndex, float]:
    """An index over the records and the seconds its build took; then, untimed, the heap settled as
    the service settles it after a large load (`heap.settle`)."""
    start = time.perf_counter()
    index = CandidateIndex()
    for key, record in records.items():
        index.add(key, record)
    seconds = time.perf_counter() - start
    if len(records) >= heap.SETTLE_AT:
        heap.settle()
    return index, seconds


def _ftm(record: EntityRecord) -> dict[str, Any]:
    prop = {NameType.PRIMARY: "name", NameType.ORIGINAL_SCRIPT: "name", NameType.FORMER: "previousName"}
    props: dict[str, list[str]] = {}
    for name in record.names:
        key = prop.get(name.type) or ("weakAlias" if name.quality is NameQuality.LOW else "alias")
        props.setdefault(key, []).append(name.text)
    props["birthDate"] = [d.start for d in record.birth_dates]
    props["nationality"] = [c.lower() for c in record.nationalities]
    props["idNumber"] = [d.number for d in record.documents]
    if record.gender:
        props["gender"] = [record.gender]
    return {"schema": record.schema.value, "properties": props}


def _ftm_query(query: ScreeningQuery) -> dict[str, Any]:
    return {
        "schema": query.schema.value,
        "properties": {
            "name": list(query.names),
            "birthDate": list(query.birth_dates),
            "nationality": [c.lower() for c in query.nationalities],
        },
    }


def run_peer(
    python: str, tasks: list[Task], ours: dict[str, Outcome], lists: dict[str, dict[str, EntityRecord]]
) -> tuple[dict[str, Outcome], float]:
    """Have nomenklatura score exactly our candidates; return its scores and its total seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        needed = {(t.index, c) for t in tasks for c in ours[t.qid].hits}
        with (work / "entities.jsonl").open("w", encoding="utf-8") as out:
            for index, key in sorted(needed):
                out.write(
                    json.dumps({"id": f"{index}|{key}", **_ftm(lists[index][key])}, ensure_ascii=False) + "\n"
                )
        with (work / "queries.jsonl").open("w", encoding="utf-8") as out:
            for t in tasks:
                cands = [f"{t.index}|{c}" for c in ours[t.qid].hits]
                out.write(
                    json.dumps(
                        {"qid": t.qid, "query": _ftm_query(t.query), "candidates": cands}, ensure_ascii=False
                    )
                    + "\n"
                )
        peer_script = str(ROOT / "bench" / "peer_nomenklatura.py")
        subprocess.run([python, peer_script, str(work)], check=True)  # noqa: S603 - our own script
        outcomes = {}
        for line in (work / "peer-scores.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            outcomes[row["qid"]] = Outcome({k.split("|", 1)[1]: v for k, v in row["scores"].items()})
        seconds = json.loads((work / "peer-timing.json").read_text())["seconds"]
    return outcomes, seconds


@dataclass
class Accuracy:
    """Counts of one suite for one system."""

    queries: int = 0
    found: int = 0
    wrong: int = 0

    def rate(self, part: int) -> str:
        return f"{part / self.queries:.4f}" if self.queries else "-"


def accuracy(tasks: Iterable[Task], outcomes: dict[str, Outcome]) -> dict[str, Accuracy]:
    """Per suite: queries, intended found at the threshold, queries with a wrong entity at the threshold."""
    suites: dict[str, Accuracy] = {}
    for task in tasks:
        if task.qid not in outcomes:
            continue
        acc = suites.setdefault(task.suite, Accuracy())
        matched = {k for k, s in outcomes[task.qid].scores.items() if s >= THRESHOLD}
        acc.queries += 1
        acc.found += task.intended in matched
        acc.wrong += bool(matched - {task.intended})
    return suites


def report(
    tasks: list[Task],
    ours: dict[str, Outcome],
    peer: dict[str, Outcome],
    peer_seconds: float,
    builds: dict[str, float],
    records: int,
) -> None:
    """Print the comparison as Markdown."""
    mine, theirs = accuracy(tasks, ours), accuracy(tasks, peer)
    suites = [s for s in SUITES if s in mine]
    print(f"\n{records} entities (UN + OFAC); index built in {builds['full']:.2f} s\n")
    columns = ["suite", "queries", "found: ours", "found: peer", "wrong person: ours", "wrong person: peer"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|")
    for suite in suites:
        a, b = mine[suite], theirs.get(suite, Accuracy())
        cells = [suite, a.queries, a.rate(a.found), b.rate(b.found), a.rate(a.wrong), b.rate(b.wrong)]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    times = sorted(o.seconds for o in ours.values())
    total = sum(times)
    p50, p99 = statistics.median(times) * 1000, times[int(len(times) * 0.99)] * 1000
    ours_qps = len(times) / total
    print(
        f"\nctexchange: p50 {p50:.2f} ms, p99 {p99:.2f} ms per query (candidates + scoring), "
        f"{ours_qps:.0f} queries/s on one core"
    )
    if peer_seconds:
        peer_qps = len(times) / peer_seconds
        print(f"nomenklatura logic-v2, scoring the same candidates only: {peer_qps:.0f} queries/s")
        print(f"throughput ratio ctexchange / nomenklatura: {ours_qps / peer_qps:.1f}x")


def dump(
    directory: Path,
    tasks: list[Task],
    ours: dict[str, Outcome],
    indexes: dict[str, tuple[CandidateIndex, dict[str, EntityRecord]]],
) -> None:
    """Write our false positives, misses and wrong-person hits as JSON lines, one file per kind.

    Each line has the query, the entity concerned (hit or intended) with its score and explanation,
    and, for a miss, whether the intended entity was among the candidates at all.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        kind: (directory / f"{kind}.jsonl").open("w", encoding="utf-8")
        for kind in ("false-positives", "misses", "wrong-person")
    }
    try:
        for task in tasks:
            index, _ = indexes[task.index]
            outcome = ours[task.qid]
            query = prepare_query(task.query)
            matched = sorted(k for k, v in outcome.scores.items() if v >= THRESHOLD)
            rows: list[tuple[str, str]] = []
            if task.intended is None:
                rows += [("false-positives", key) for key in matched]
            else:
                if task.intended not in matched:
                    rows.append(("misses", task.intended))
                rows += [("wrong-person", key) for key in matched if key != task.intended]
            for kind, key in rows:
                entity = index.entity(key)
                if entity is None:
                    continue
                scored = score_prepared(query, entity, THRESHOLD)
                row = {
                    "qid": task.qid,
                    "suite": task.suite,
                    "query": list(task.query.names),
                    "dob": list(task.query.birth_dates),
                    "nationality": list(task.query.nationalities),
                    "entity": key,
                    "entity_names": [n.text for n in entity.record.names],
                    "intended": task.intended,
                    "candidate": key in outcome.hits,
                    "score": scored.score,
                    "explanation": scored.explanation,
                }
                files[kind].write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    finally:
        for file in files.values():
            file.close()


def main() -> None:
    """Run every suite on both systems and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--peer-python", default=str(ROOT / ".venv-peer" / "bin" / "python"))
    parser.add_argument("--negatives", type=int, default=50_000)
    parser.add_argument("--candidates", type=int, default=SCREENING_CANDIDATES, help="scored per query")
    parser.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites to run")
    parser.add_argument("--no-peer", action="store_true", help="run ctexchange only")
    parser.add_argument("--dump", type=Path, help="write our errors as JSON lines to this directory")
    args = parser.parse_args()
    suites = set(args.suites.split(","))
    if not suites <= set(SUITES):
        sys.exit(f"--suites: expected some of {', '.join(SUITES)}, got {args.suites}")
    if not (args.data / "un-consolidated-list.xml").is_file():
        sys.exit(f"no benchmark data in {args.data}: pass --data DIR")
    with heap.tuned():  # as `ctx serve` and `ctx screen-batch` run
        run(args, suites)


def run(args: argparse.Namespace, suites: set[str]) -> None:
    """Run the suites asked for."""
    records = load_lists(args.data)
    tasks = fixture_tasks(args.data, records, args.negatives)
    cross, latin_only, script_only = cross_script(records)
    tasks += cross
    tasks = [t for t in tasks if t.suite in suites]
    lists = {"full": records, "latin": latin_only, "script": script_only}
    builds, indexes = {}, {}
    for name, subset in lists.items():
        index, builds[name] = build(subset)
        indexes[name] = (index, subset)
    print(f"{len(tasks)} queries; running ctexchange", file=sys.stderr)
    ours, single_cpu = run_ours(tasks, indexes, args.candidates)
    print("running ctexchange again, in batches, on indexes built afresh", file=sys.stderr)
    forget_queries()  # then rebuilt: the caches hold what they held after the first build
    indexes = {name: (build(subset)[0], subset) for name, subset in lists.items()}
    batch_scores, batch_seconds, batch_cpu = run_batches(tasks, indexes, args.candidates)
    differ = sum(batch_scores[t.qid] != ours[t.qid].scores for t in tasks)
    if args.dump:
        dump(args.dump, tasks, ours, indexes)
    peer: dict[str, Outcome] = {}
    peer_seconds = 0.0
    if not args.no_peer:
        print("running nomenklatura logic-v2 on the same candidates", file=sys.stderr)
        peer, peer_seconds = run_peer(args.peer_python, tasks, ours, lists)
    report(tasks, ours, peer, peer_seconds, builds, len(records))
    print(f"ctexchange single queries, CPU time of the pass: {len(tasks) / single_cpu:.0f} queries/s")
    print(
        f"ctexchange in batches of {MAX_QUERIES} (`score.screen_many`, as `POST /v1/screen` and "
        f"`ctx screen-batch` run): {len(tasks) / batch_seconds:.0f} queries/s on one core "
        f"(CPU time: {len(tasks) / batch_cpu:.0f} queries/s); results differing from single queries: {differ}"
    )


if __name__ == "__main__":
    main()
