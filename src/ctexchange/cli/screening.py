"""`ctx screen` and `ctx screen-batch`: names in any script against the designated entities.

`screen-batch` reads CSV (header `id,name,dob,nationality,document,schema`) or JSON lines with the same
fields, validates every line before screening any (an error names the line), and writes one JSON line per
query: `{"id", "results": [{"signal_id", "external_id", "name", "score", "match", "explanation"}]}`, best
first. Writing to `--out` shows a progress bar and resumes: ids already in the file are skipped and a
line cut short by an interruption is dropped before appending.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.progress import Progress

from ctexchange.cli import output
from ctexchange.cli.lists import read_list_file
from ctexchange.cli.output import JsonFlag
from ctexchange.cli.state import operator_session
from ctexchange.domain.entities import ScreeningQuery
from ctexchange.errors import InvalidInput
from ctexchange.service import heap
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.screening import ScreeningHit, make_query

CHUNK = 200
FIELDS = ("id", "name", "dob", "nationality", "document", "schema")

Collections = Annotated[
    list[str], typer.Option("--collection", help="Search only this collection (repeatable).")
]
Threshold = Annotated[
    float | None, typer.Option("--threshold", help="Match threshold in (0, 1]; default 0.7.")
]


def hit_doc(hit: ScreeningHit) -> dict[str, Any]:
    """Return a hit as the JSON shape scripts rely on."""
    return {
        "signal_id": str(hit.signal.id),
        "external_id": hit.signal.external_id,
        "name": hit.record.primary_name,
        "score": round(hit.score, 4),
        "match": hit.is_match,
        "explanation": hit.explanation,
    }


def screen(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The name, in any script.")],
    dob: Annotated[
        str | None, typer.Option("--dob", help="Date of birth: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    nationality: Annotated[str | None, typer.Option("--nationality", help="ISO 3166-1 alpha-2 code.")] = None,
    document: Annotated[str | None, typer.Option("--document", help="Passport or ID number.")] = None,
    schema: Annotated[str, typer.Option("--schema", help="Person or Organization.")] = "Person",
    collection: Collections = [],  # noqa: B006 - Typer reads the default; it is never mutated
    threshold: Threshold = None,
    as_json: JsonFlag = False,
) -> None:
    """Screen one name against the designated entities, best first, with the score explained."""
    query = make_query(schema, [name], _opt(dob), _opt(nationality), _opt(document), field="query")
    with operator_session(ctx) as (exchange, caller):
        [hits] = exchange.screening.screen(caller, [query], collection, threshold)
    if as_json:
        output.emit_json([hit_doc(h) for h in hits])
        return
    rows = (
        [
            f"{h.score:.3f}",
            "yes" if h.is_match else "",
            h.record.primary_name,
            h.signal.external_id,
            h.record.listing.program,
            str(h.signal.id),
        ]
        for h in hits
    )
    output.print_table(["score", "match", "name", "reference", "program", "id"], rows)


def _opt(value: str | None) -> list[str]:
    return [] if value is None else [value]


def screen_batch(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="Queries: .csv (with a header) or .jsonl.", dir_okay=False)],
    out: Annotated[Path | None, typer.Option("--out", help="Write JSON lines here (resumable).")] = None,
    threshold: Threshold = None,
    collection: Collections = [],  # noqa: B006 - Typer reads the default; it is never mutated
) -> None:
    """Screen every query of a file; one JSON line per query on stdout or in --out."""
    queries = read_queries(source)
    done = done_ids(out) if out is not None else set()
    todo = [(qid, q) for qid, q in queries if qid not in done]
    with heap.tuned(), operator_session(ctx) as (exchange, caller):  # a long run: see `service.heap`
        if out is None:
            _write(exchange, caller, todo, collection, threshold, typer.get_text_stream("stdout"), None)
            return
        with out.open("a", encoding="utf-8") as sink, Progress(transient=True) as progress:
            task = progress.add_task("screening", total=len(queries), completed=len(queries) - len(todo))
            _write(exchange, caller, todo, collection, threshold, sink, (progress, task))
    output.note(f"screened {len(todo)} queries ({len(queries) - len(todo)} were done already): {out}")


def _write(
    exchange: Exchange,
    caller: Caller,
    todo: Sequence[tuple[str, ScreeningQuery]],
    collections: Sequence[str],
    threshold: float | None,
    sink: TextIO,
    bar: tuple[Progress, Any] | None,
) -> None:
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        results = exchange.screening.screen(caller, [q for _, q in chunk], collections, threshold)
        for (qid, _), hits in zip(chunk, results, strict=True):
            sink.write(
                json.dumps({"id": qid, "results": [hit_doc(h) for h in hits]}, ensure_ascii=False) + "\n"
            )
        sink.flush()
        if bar is not None:
            bar[0].advance(bar[1], len(chunk))


def read_queries(path: Path) -> list[tuple[str, ScreeningQuery]]:
    """Parse and validate every query of a CSV or JSON-lines file; InvalidInput names the line."""
    try:
        text = read_list_file(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"'{path}' must be UTF-8 (byte {exc.start} is not)", field="file") from None
    rows = _csv_rows(text) if path.suffix.lower() == ".csv" else jsonl_rows(text)
    queries, seen = [], set()
    for line, row in rows:
        qid = str(row.get("id") or line)
        if qid in seen:
            raise InvalidInput(f"line {line}: id {qid!r} appears twice", field=f"line {line}")
        seen.add(qid)
        queries.append((qid, _query(row, line)))
    if not queries:
        raise InvalidInput(f"'{path}' holds no queries", field="file")
    return queries


def _query(row: dict[str, Any], line: int) -> ScreeningQuery:
    def values(key: str) -> list[str]:
        raw = row.get(key)
        return [] if raw in (None, "") else [str(raw)]

    return make_query(
        str(row.get("schema") or "Person"),
        values("name"),
        values("dob"),
        values("nationality"),
        values("document"),
        field=f"line {line}",
    )


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput(
            f"the CSV header must name the columns {', '.join(FIELDS)} (no 'name')", field="line 1"
        )
    for number, row in enumerate(reader, start=2):
        yield number, dict(row)


def jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {number} is not JSON ({exc.msg})", field=f"line {number}") from None
        if not isinstance(row, dict):
            raise InvalidInput.expected(f"line {number}", "a JSON object", row)
        yield number, row


def done_ids(out: Path) -> set[str]:
    """Return the ids already written to `out`, dropping a last line cut short by an interruption."""
    if not out.exists():
        return set()
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        out.write_bytes(data)
    return {json.loads(line)["id"] for line in data.decode("utf-8").splitlines() if line.strip()}
