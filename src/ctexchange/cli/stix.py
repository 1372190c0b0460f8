"""`ctx export stix`, `ctx import stix` and `ctx export ftm`: STIX 2.1 bundles out and in, FtM out.

Decisions:
- The export is streamed object by object, so a bundle of a million signals never sits in memory. With
  `--out FILE` it is written next to FILE and renamed into place when complete, so a failed export never
  leaves a truncated bundle behind; the summary (objects by type) is printed, as JSON with `--json`.
  Without `--out` the bundle itself is stdout's one JSON document and the summary goes to stderr.
- The import reads the whole file (refused over the service's size cap before reading it), applies it in
  one transaction and prints the counts per outcome and one line per skipped object with its reason;
  `--json` prints the report with every object's outcome.
- `export ftm` writes FollowTheMoney JSON lines (one entity per line, parties then their Sanction) the
  same way: into place when complete with `--out`, else on stdout with the summary on stderr.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from ctexchange.cli import output
from ctexchange.cli.lists import read_list_file
from ctexchange.cli.output import JsonFlag
from ctexchange.cli.state import operator_session
from ctexchange.service.stix import (
    DEFAULT_COLLECTION,
    DEFAULT_FTM_DATASET,
    Outcome,
    StixImportReport,
    new_bundle_id,
)

export_app = typer.Typer(help="Write signals in interchange formats.", no_args_is_help=True)


def write_bundle(objects: Iterable[dict[str, Any]], stream: IO[str]) -> Counter[str]:
    """Write a STIX bundle of `objects` to `stream`, one object per line; return the count per type."""
    counts: Counter[str] = Counter()
    stream.write(f'{{"type": "bundle", "id": "{new_bundle_id()}", "objects": [')
    for obj in objects:
        stream.write(("\n" if not counts else ",\n") + json.dumps(obj, ensure_ascii=False, sort_keys=True))
        counts[obj["type"]] += 1
    stream.write("\n]}\n")
    return counts


@contextmanager
def replacing(path: Path) -> Iterator[IO[str]]:
    """Yield a stream to a file beside `path` that replaces `path` only if the block completes."""
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("w", encoding="utf-8") as stream:
            yield stream
        partial.replace(path)
    finally:
        with suppress(FileNotFoundError):
            partial.unlink()


Writer = Callable[[Iterable[dict[str, Any]], IO[str]], Counter[str]]


def _written(objects: Iterable[dict[str, Any]], out: Path | None, write: Writer) -> Counter[str]:
    """Write `objects` with `write` to stdout, or to `out` once complete; return the counts."""
    if out is None:
        return write(objects, sys.stdout)
    with replacing(out) as stream:
        return write(objects, stream)


def _report(counts: Counter[str], out: Path | None, as_json: bool, nouns: tuple[str, str]) -> None:
    """Say what an export wrote: on stderr beside stdout's data, or as text or JSON beside a file.

    `nouns` names what was counted and what it was counted by (objects by types, entities by schemas).
    """
    total = sum(counts.values())
    if out is not None and as_json:
        output.emit_json({"out": str(out), nouns[0]: total, nouns[1]: dict(counts)})
        return
    line = f"exported {total} {nouns[0]}: " + ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
    if out is None:
        output.note(line)
    else:
        output.say(f"{line} to {out}")


@export_app.command("stix")
def export_stix(
    ctx: typer.Context,
    collection: Annotated[
        list[str] | None,
        typer.Option("--collection", help="A collection to export (id, ORG/NAME or NAME); repeatable."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the bundle to FILE (default: stdout).", dir_okay=False)
    ] = None,
    with_sightings: Annotated[
        bool, typer.Option("--with-sightings", help="Add who matched the organization's own signals.")
    ] = False,
    with_requests: Annotated[
        bool, typer.Option("--with-requests", help="Add the requests for assistance you are a party to.")
    ] = False,
    with_alerts: Annotated[
        bool, typer.Option("--with-alerts", help="Add the alerts you issued or received.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Write a STIX 2.1 bundle of the signals that may leave (every visible collection, or those named)."""
    with operator_session(ctx) as (exchange, caller):
        objects = exchange.stix.export(
            caller, collection or [], with_sightings, with_requests=with_requests, with_alerts=with_alerts
        )
        counts = _written(objects, out, write_bundle)
    _report(counts, out, as_json, ("objects", "types"))


def write_lines(objects: Iterable[dict[str, Any]], stream: IO[str]) -> Counter[str]:
    """Write JSON lines of `objects` (FtM entities) to `stream`; return the count per schema."""
    counts: Counter[str] = Counter()
    for obj in objects:
        stream.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")
        counts[obj["schema"]] += 1
    return counts


@export_app.command("ftm")
def export_ftm(
    ctx: typer.Context,
    collection: Annotated[
        list[str] | None,
        typer.Option("--collection", help="A collection to export (id, ORG/NAME or NAME); repeatable."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the JSON lines to FILE (default: stdout).", dir_okay=False),
    ] = None,
    dataset: Annotated[
        str, typer.Option("--dataset", help="The dataset name entities carry (yente's dataset).")
    ] = DEFAULT_FTM_DATASET,
    as_json: JsonFlag = False,
) -> None:
    """Write the designated entities that may leave as FollowTheMoney JSON lines (for yente)."""
    with operator_session(ctx) as (exchange, caller):
        entities = exchange.stix.export_ftm(caller, collection or [], dataset)
        counts = _written(entities, out, write_lines)
    _report(counts, out, as_json, ("entities", "schemas"))


def report_doc(report: StixImportReport) -> dict[str, Any]:
    """Return an import report as JSON."""
    return {
        "collection": report.collection,
        "collection_id": str(report.collection_id),
        **report.counts,
        "objects": [
            {
                "index": o.index,
                "id": o.stix_id,
                "type": o.stix_type,
                "outcome": o.outcome.value,
                "message": o.message,
                "signal_id": None if o.signal_id is None else str(o.signal_id),
            }
            for o in report.objects
        ],
    }


def import_stix(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A STIX 2.1 bundle (JSON).", dir_okay=False)],
    collection: Annotated[
        str,
        typer.Option("--collection", help="Target collection of the organization (created if missing)."),
    ] = DEFAULT_COLLECTION,
    as_json: JsonFlag = False,
) -> None:
    """Load a STIX 2.1 bundle's signals into a collection, all or nothing; report every object."""
    data = read_list_file(path)
    with operator_session(ctx) as (exchange, caller):
        report = exchange.stix.import_document(caller, data, collection)
    if as_json:
        output.emit_json(report_doc(report))
        return
    summary = ", ".join(f"{n} {outcome}" for outcome, n in report.counts.items())
    output.say(f"imported into '{report.collection}': {summary}")
    for o in report.objects:
        if o.outcome is Outcome.SKIPPED:
            output.say(f"  skipped objects[{o.index}] {o.stix_id}: {o.message}")
