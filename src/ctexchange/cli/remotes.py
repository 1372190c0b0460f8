"""`ctx remote`: federation with other instances over TAXII 2.1 (add, list, pull, push).

Decisions:
- A remote's key is read from the environment variable named at `remote add --key-env VAR` when a pull
  or push runs; it is never stored, printed or accepted as a flag (flags end up in shell histories).
- `pull` and `push` print one line per collection (`--json`: the same as a list of objects). A pull
  killed half-way is simply run again: it resumes from its last committed page.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag, iso
from ctexchange.cli.state import operator_session
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.federation import (
    PAGE_LIMIT_DEFAULT,
    Checkpoint,
    CollectionPull,
    CollectionPush,
    FederationService,
    RemoteView,
)

remote_app = typer.Typer(
    help="Other instances to pull signals from and push them to, over TAXII 2.1.", no_args_is_help=True
)


def federation(exchange: Exchange) -> FederationService:
    """Return the federation use cases over an open exchange."""
    return FederationService(exchange.store, exchange.clock, exchange.stix)


def checkpoint_doc(checkpoint: Checkpoint) -> dict[str, Any]:
    """Return a checkpoint as JSON."""
    return {
        "direction": checkpoint.direction.value,
        "scope": checkpoint.scope,
        "added_after": checkpoint.added_after,
        "in_progress": checkpoint.is_running,
        "position_at": iso(checkpoint.position_at),
        "position_id": None if checkpoint.position_id is None else str(checkpoint.position_id),
        "updated_at": iso(checkpoint.updated_at),
    }


def remote_doc(view: RemoteView) -> dict[str, Any]:
    """Return a remote as JSON (its key's variable name, never the key)."""
    remote = view.remote
    return {
        "id": str(remote.id),
        "name": remote.name,
        "url": remote.url,
        "key_env": remote.key_env,
        "group_id": str(remote.group_id),
        "created_at": iso(remote.created_at),
        "pulled_objects": view.objects,
        "checkpoints": [checkpoint_doc(c) for c in view.checkpoints],
    }


def pull_doc(pull: CollectionPull) -> dict[str, Any]:
    """Return what a pull of one collection did, as JSON."""
    return {
        "collection": pull.remote_collection,
        "title": pull.title,
        "pages": pull.pages,
        "counts": pull.counts,
        "added_after": pull.added_after,
        "skipped": pull.skipped,
    }


def push_doc(push: CollectionPush) -> dict[str, Any]:
    """Return what a push of one collection did, as JSON."""
    return {
        "collection": push.collection,
        "remote_collection": push.remote_collection,
        "batches": push.batches,
        "sent": push.sent,
        "accepted": push.accepted,
        "failures": [{"id": i, "message": m} for i, m in push.failures],
    }


@remote_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name for the remote (lowercase, digits, hyphens).")],
    url: Annotated[str, typer.Argument(help="Its TAXII 2.1 API root, e.g. https://host/taxii2/api/.")],
    key_env: Annotated[
        str, typer.Option("--key-env", help="The NAME of the environment variable holding its API key.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Register another instance's TAXII API root (the key stays in the environment)."""
    with operator_session(ctx) as (exchange, caller):
        service = federation(exchange)
        remote = service.add(caller, name, url, key_env)
        view = next(v for v in service.remotes(caller) if v.remote.id == remote.id)
    if as_json:
        output.emit_json(remote_doc(view))
        return
    output.say(f"remote '{remote.name}' at {remote.url}; key from ${remote.key_env}")


@remote_app.command("list")
def list_remotes(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the remotes with their checkpoints."""
    with operator_session(ctx) as (exchange, caller):
        views = federation(exchange).remotes(caller)
    if as_json:
        output.emit_json([remote_doc(v) for v in views])
        return
    output.print_table(
        ["name", "url", "key env", "pulled objects", "checkpoints"],
        [(v.remote.name, v.remote.url, v.remote.key_env, v.objects, len(v.checkpoints)) for v in views],
    )


def _key(exchange: Exchange, name: str, caller: Caller) -> str:
    remote = federation(exchange).remote(caller, name)
    return os.environ.get(remote.key_env, "")


@remote_app.command("pull")
def pull(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The remote.")],
    collection: Annotated[
        list[str] | None,
        typer.Option(
            "--collection", help="A remote collection id to pull (repeatable; default: all readable)."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Objects per page asked of the remote.")
    ] = PAGE_LIMIT_DEFAULT,
    is_full: Annotated[
        bool, typer.Option("--full", help="Read every collection from its start, not from the checkpoint.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Pull what changed at the remote since the last pull (resumes an interrupted one)."""
    with operator_session(ctx) as (exchange, caller):
        key = _key(exchange, name, caller)
        pulls = federation(exchange).pull(caller, name, key, collection or [], limit, is_full=is_full)
    if as_json:
        output.emit_json([pull_doc(p) for p in pulls])
        return
    for p in pulls:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(p.counts.items())) or "nothing new"
        output.say(f"{p.title} ({p.remote_collection}): {p.pages} pages, {counts}")
        for line in p.skipped:
            output.say(f"  skipped {line}")


@remote_app.command("push")
def push(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The remote.")],
    to: Annotated[
        str | None,
        typer.Option("--to", help="The remote collection id to write to (default: the only writable one)."),
    ] = None,
    collection: Annotated[
        list[str] | None,
        typer.Option("--collection", help="A collection of yours to push (repeatable; default: all)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Push your organization's new and changed signals (CLEAR, GREEN, AMBER) since the last push."""
    with operator_session(ctx) as (exchange, caller):
        key = _key(exchange, name, caller)
        pushes = federation(exchange).push(caller, name, key, to, collection or [])
    if as_json:
        output.emit_json([push_doc(p) for p in pushes])
        return
    for p in pushes:
        output.say(f"{p.collection} -> {p.remote_collection}: {p.sent} sent, {p.accepted} accepted")
        for stix_id, message in p.failures:
            output.say(f"  refused {stix_id}: {message}")
