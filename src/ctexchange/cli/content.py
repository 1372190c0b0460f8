"""`ctx hash`, `ctx bank add`, `ctx match` and `ctx match-batch`: content against the banks.

JSON lines are the batch format both ways. An input line is `{"id", "path"|"text"|"url"|"pdq"|"md5"|
"sha256"|"vpdq", "labels": [...]}` (a relative `path` is read beside the JSON-lines file; a `url` may be an
object `{"url", "level"}`). `match-batch` writes one line per input: `{"id", "matches": [{"signal_id",
"external_id", "collection", "kind", "distance" or "score", "match_type", "labels", "explanation",
"case_id"}]}` (`case_id` is null: the local operator's lookups open no review case);
with `--out` it shows a progress bar and resumes where an interrupted run stopped. `bank add` adds
`CHUNK` items per transaction, so a huge file is loaded in steps that each either land whole or not at all;
re-running it is harmless (values already there are reported, not added twice).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.progress import Progress

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag
from ctexchange.cli.screening import done_ids, jsonl_rows
from ctexchange.cli.state import operator_session
from ctexchange.domain.signals import JsonValue
from ctexchange.engines.content.media import MAX_VIDEO_BYTES
from ctexchange.errors import InvalidInput
from ctexchange.service.content import (
    AddOutcome,
    ContentHit,
    ContentItem,
    ContentQuery,
    MatchOutcome,
    file_hashes_doc,
    hash_file,
)
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange

CHUNK = 500
VALUE_FIELDS = ("text", "url", "pdq", "md5", "sha256", "vpdq")
MAX_FILE_BYTES = MAX_VIDEO_BYTES  # the largest file any hasher accepts
STDERR = Console(stderr=True)  # progress bars never mix with the JSON lines on stdout

Labels = Annotated[list[str], typer.Option("--label", help="Label of the content (repeatable).")]


def read_file(path: Path, field: str = "file") -> bytes:
    """Return a file's bytes; InvalidInput naming the path when it is missing, a directory or too big."""
    if not path.is_file():
        raise InvalidInput(f"'{path}' is not a readable file", field=field)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"'{path}' is over {MAX_FILE_BYTES:,} bytes", field=field)
    return path.read_bytes()


def hash_files(
    files: Annotated[list[Path], typer.Argument(help="Files to hash: images, videos, anything.")],
    as_json: JsonFlag = False,
) -> None:
    """Print every fingerprint of each file (no store needed): MD5, SHA-256, PDQ, video frames."""
    for path in files:
        doc = {"path": str(path), **file_hashes_doc(hash_file(read_file(path), str(path)))}
        if as_json:
            output.emit_json(doc, compact=True)
        else:
            quality = "" if doc["pdq"] is None else f" pdq={doc['pdq']} quality={doc['pdq_quality']}"
            frames = f" frames={len(doc['frames'])}" if isinstance(doc.get("frames"), list) else ""
            output.say(f"{path}: md5={doc['md5']} sha256={doc['sha256']}{quality}{frames}")


bank_app = typer.Typer(help="Add content to banks (collections).", no_args_is_help=True)


@bank_app.command("add")
def bank_add(
    ctx: typer.Context,
    collection: Annotated[str, typer.Argument(help="The collection (name or id) of your organization.")],
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files to add (images, videos, anything).")
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="Add this text.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Add this URL rule.")] = None,
    level: Annotated[str, typer.Option("--level", help="URL rule level: exact, prefix or domain.")] = "exact",
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help="Add every item of a JSON-lines file.")
    ] = None,
    label: Labels = [],  # noqa: B006 - Typer reads the default; it is never mutated
    marking: Annotated[
        str | None, typer.Option("--marking", help="TLP marking (default: the bank's).")
    ] = None,
    allow_low_quality: Annotated[
        bool, typer.Option("--allow-low-quality", help="Add PDQ hashes of quality below 50 too.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add files, a text, a URL rule or a JSON-lines batch to a bank."""
    items = _bank_items(files or [], text, url, level, jsonl, label, marking, allow_low_quality)
    with operator_session(ctx) as (exchange, caller):
        outcomes = _add_chunks(exchange, caller, collection, items, show_progress=jsonl is not None)
    if as_json:
        for (ident, _), outcome in zip(items, outcomes, strict=True):
            output.emit_json(_added_doc(ident, outcome), compact=True)
        return
    added = sum(len(o.added) for o in outcomes)
    present = sum(len(o.present) for o in outcomes)
    for (ident, _), outcome in zip(items, outcomes, strict=True):
        for note in outcome.notes:
            output.note(f"{ident}: {note}")
    output.say(
        f"added {added} signals from {len(items)} items to '{collection}' ({present} were there already)"
    )


def _bank_items(
    files: Sequence[Path],
    text: str | None,
    url: str | None,
    level: str,
    jsonl: Path | None,
    labels: Sequence[str],
    marking: str | None,
    allow_low: bool,
) -> list[tuple[str, ContentItem]]:
    sources = sum([bool(files), text is not None, url is not None, jsonl is not None])
    if sources != 1:
        raise InvalidInput("give exactly one of: FILE..., --text, --url, --jsonl", field="arguments")
    if jsonl is not None:
        return [
            (ident, _item_of_row(row, jsonl.parent, labels, marking, allow_low, line))
            for ident, row, line in _rows(jsonl)
        ]
    if text is not None:
        return [("text", ContentItem(None, {"text": text}, labels, marking))]
    if url is not None:
        return [("url", ContentItem(None, {"url": {"url": url, "level": level}}, labels, marking))]
    return [(str(p), ContentItem(read_file(p, str(p)), {}, labels, marking, None, allow_low)) for p in files]


def _rows(path: Path) -> Iterator[tuple[str, dict[str, Any], int]]:
    seen: set[str] = set()
    text = read_file(path, "jsonl").decode("utf-8", errors="strict")
    for line, row in jsonl_rows(text):
        ident = str(row.get("id") or f"line {line}")
        if ident in seen:
            raise InvalidInput(f"line {line}: id {ident!r} appears twice", field=f"line {line}")
        seen.add(ident)
        yield ident, row, line


def _item_of_row(
    row: dict[str, Any], base: Path, labels: Sequence[str], marking: str | None, allow_low: bool, line: int
) -> ContentItem:
    row_labels = row.get("labels", [])
    if not isinstance(row_labels, list):
        raise InvalidInput.expected(f"line {line}.labels", "a list of labels", row_labels)
    all_labels = [*labels, *(str(x) for x in row_labels)]
    ident = None if row.get("id") is None else str(row["id"])
    if "path" in row:
        data = read_file(base / str(row["path"]), f"line {line}.path")
        return ContentItem(data, {}, all_labels, marking, ident, allow_low)
    values: dict[str, JsonValue] = {k: row[k] for k in VALUE_FIELDS if k in row}
    return ContentItem(None, values, all_labels, marking, ident, allow_low)


def _add_chunks(
    exchange: Exchange,
    caller: Caller,
    collection: str,
    items: list[tuple[str, ContentItem]],
    show_progress: bool,
) -> list[AddOutcome]:
    outcomes: list[AddOutcome] = []
    with Progress(transient=True, disable=not show_progress, console=STDERR) as progress:
        task = progress.add_task("adding", total=len(items))
        for start in range(0, len(items), CHUNK):
            chunk = [item for _, item in items[start : start + CHUNK]]
            outcomes += exchange.content.add(caller, collection, chunk, source="cli")
            progress.advance(task, len(chunk))
    return outcomes


def _added_doc(ident: str, outcome: AddOutcome) -> dict[str, Any]:
    return {
        "id": ident,
        "added": [{"signal_id": str(s.id), "kind": s.kind} for s in outcome.added],
        "present": [{"signal_id": str(s.id), "kind": s.kind} for s in outcome.present],
        "notes": outcome.notes,
        "hashes": outcome.hashes,
    }


def hit_doc(hit: ContentHit) -> dict[str, Any]:
    """Return a hit as the JSON shape scripts rely on."""
    return {
        "signal_id": str(hit.signal.id),
        "external_id": hit.signal.external_id,
        "collection": hit.collection.name,
        "kind": hit.signal.kind,
        **hit.measure,
        "match_type": hit.match_type,
        "labels": sorted(hit.signal.labels),
        "explanation": hit.explanation,
        "case_id": None if hit.case_id is None else str(hit.case_id),
    }


def _outcome_doc(ident: str | None, outcome: MatchOutcome) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": ident, "matches": [hit_doc(h) for h in outcome.hits]}
    if outcome.restricted:
        doc["restricted"] = [{"owner": r.owner, "kind": r.kind} for r in outcome.restricted]
    if outcome.notes:
        doc["notes"] = outcome.notes
    return doc


def match(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="A file to match (image, video, anything).")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Match this text.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Match this URL.")] = None,
    pdq: Annotated[str | None, typer.Option("--pdq", help="Match this PDQ hash (64 hex digits).")] = None,
    allow_low_quality: Annotated[
        bool, typer.Option("--allow-low-quality", help="Use a PDQ hash of quality below 50.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Match one file, text, URL or PDQ hash against every bank; best hits first."""
    if sum(x is not None for x in (file, text, url, pdq)) != 1:
        raise InvalidInput("give exactly one of: FILE, --text, --url, --pdq", field="arguments")
    data = None if file is None else read_file(file)
    query = ContentQuery(file=data, text=text, url=url, pdq=pdq, allow_low_quality=allow_low_quality)
    with operator_session(ctx) as (exchange, caller):
        outcome = exchange.content.match(caller, query)
    if as_json:
        output.emit_json({**_outcome_doc(None, outcome), "hashes": outcome.hashes})
        return
    for note in outcome.notes:
        output.note(note)
    rows = (
        [
            h.signal.kind,
            h.match_type,
            _measure(h),
            h.collection.name,
            h.signal.external_id or "",
            ", ".join(sorted(h.signal.labels)),
            str(h.signal.id),
        ]
        for h in outcome.hits
    )
    output.print_table(["kind", "match", "distance/score", "collection", "external id", "labels", "id"], rows)
    for r in outcome.restricted:
        output.note(f"a restricted {r.kind} signal matched: contact {r.owner}")


def _measure(hit: ContentHit) -> str:
    [(name, value)] = hit.measure.items()
    return f"{int(value)} bits" if name == "distance" else f"{value:.3f}"


def match_batch(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="Items to match, one JSON object per line.", dir_okay=False)],
    out: Annotated[Path | None, typer.Option("--out", help="Write JSON lines here (resumable).")] = None,
) -> None:
    """Match every item of a JSON-lines file; one JSON line per item on stdout or in --out."""
    rows = [(ident, _checked_row(row, source.parent, line)) for ident, row, line in _rows(source)]
    done = done_ids(out) if out is not None else set()
    todo = [(ident, spec) for ident, spec in rows if ident not in done]
    with operator_session(ctx) as (exchange, caller):
        if out is None:
            _match_into(exchange, caller, todo, typer.get_text_stream("stdout"), None)
            return
        with out.open("a", encoding="utf-8") as sink, Progress(transient=True, console=STDERR) as progress:
            task = progress.add_task("matching", total=len(rows), completed=len(rows) - len(todo))
            _match_into(exchange, caller, todo, sink, (progress, task))
    output.note(f"matched {len(todo)} items ({len(rows) - len(todo)} were done already): {out}")


def _checked_row(row: dict[str, Any], base: Path, line: int) -> tuple[str, Any, str]:
    """Check a line before anything is matched; return (field, value, where); files are read later."""
    given = [k for k in ("path", "text", "url", "pdq", "md5", "sha256") if k in row]
    if len(given) != 1:
        raise InvalidInput.expected(f"line {line}", "exactly one of path, text, url, pdq, md5, sha256", given)
    name = given[0]
    if name == "path":
        path = base / str(row["path"])
        if not path.is_file():
            raise InvalidInput(f"line {line}: '{path}' is not a readable file", field=f"line {line}.path")
        return name, path, f"line {line}.path"
    return name, row[name], f"line {line}.{name}"


def _query(spec: tuple[str, Any, str]) -> ContentQuery:
    name, value, where = spec
    if name == "path":
        return ContentQuery(file=read_file(value, where))
    return ContentQuery(**{name: value})


def _match_into(
    exchange: Exchange,
    caller: Caller,
    todo: Sequence[tuple[str, tuple[str, Any, str]]],
    sink: TextIO,
    bar: tuple[Progress, Any] | None,
) -> None:
    for start in range(0, len(todo), CHUNK // 10):
        chunk = todo[start : start + CHUNK // 10]
        outcomes = exchange.content.match_many(caller, [_query(spec) for _, spec in chunk])
        for (ident, _), outcome in zip(chunk, outcomes, strict=True):
            sink.write(json.dumps(_outcome_doc(ident, outcome), ensure_ascii=False) + "\n")
        sink.flush()
        if bar is not None:
            bar[0].advance(bar[1], len(chunk))
