"""`ctx import`: load designated-entity lists (UN Consolidated List, FollowTheMoney, OFAC SDN).

Each command reads the whole file (refusing one over the service's size cap before reading it), hands it
to the import service, which parses it completely before touching the store and applies it in one
transaction, and prints what changed: added, changed, unchanged, delisted, relisted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag
from ctexchange.cli.state import operator_session
from ctexchange.errors import InvalidInput, PayloadTooLarge
from ctexchange.service.imports import MAX_LIST_BYTES, ImportReport, ListFormat

import_app = typer.Typer(help="Load designated-entity lists into a collection.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="The list file.", dir_okay=False)]
CollectionOpt = Annotated[
    str | None, typer.Option("--collection", help="Target collection (created if missing).")
]


def read_list_file(path: Path) -> bytes:
    """Return the bytes of a list file; InvalidInput for a missing one, PayloadTooLarge for a huge one."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"'file' {path} cannot be read ({exc.strerror})", field="file") from None
    if size > MAX_LIST_BYTES:
        raise PayloadTooLarge(f"'file' must be at most {MAX_LIST_BYTES} bytes (got {size})", field="file")
    return path.read_bytes()


def run_import(
    ctx: typer.Context,
    fmt: ListFormat,
    path: Path | None,
    collection: str | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Import one file (or the bundled UN list when `path` is None) and report the counts."""
    with operator_session(ctx) as (exchange, caller):
        if path is None:
            report = exchange.imports.import_bundled_un_list(caller, collection)
        else:
            report = exchange.imports.import_list(caller, fmt, read_list_file(path), collection, source)
    show_report(report, as_json)


def show_report(report: ImportReport, as_json: bool) -> None:
    """Print an import's counts as JSON or one line."""
    counts = {k: getattr(report, k) for k in ("added", "changed", "unchanged", "delisted", "relisted")}
    if as_json:
        output.emit_json(
            {
                "source": report.source,
                "collection": report.collection,
                "generated_at": report.generated_at,
                **counts,
            }
        )
        return
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    output.say(f"imported {report.source} into '{report.collection}': {summary}")


@import_app.command("un-list")
def import_un_list(
    ctx: typer.Context,
    path: Annotated[
        Path | None, typer.Argument(help="UN Consolidated List XML; omit with --bundled.")
    ] = None,
    collection: CollectionOpt = None,
    bundled: Annotated[
        bool, typer.Option("--bundled", help="Load the copy shipped with ctexchange.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Load the UN Security Council Consolidated List (default collection UN-SC, marking CLEAR)."""
    if (path is None) == (not bundled):
        raise InvalidInput("give either a FILE or --bundled, not both and not neither", field="file")
    run_import(ctx, ListFormat.UN_LIST, path, collection, None, as_json)


@import_app.command("ftm")
def import_ftm(
    ctx: typer.Context,
    path: FileArg,
    collection: Annotated[str, typer.Option("--collection", help="Target collection (created if missing).")],
    source: Annotated[
        str | None, typer.Option("--source", help="Name of the list, shown with each entry.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load FollowTheMoney entity JSON lines (a national list converted to FtM; marking AMBER if new)."""
    run_import(ctx, ListFormat.FTM, path, collection, source, as_json)


@import_app.command("ofac-sdn")
def import_ofac_sdn(
    ctx: typer.Context, path: FileArg, collection: CollectionOpt = None, as_json: JsonFlag = False
) -> None:
    """Load the US OFAC SDN list CSV (default collection OFAC-SDN, marking CLEAR)."""
    run_import(ctx, ListFormat.OFAC_SDN, path, collection, None, as_json)
