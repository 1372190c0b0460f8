"""`ctx collection`: the banks of signals the operator organization owns and the ones it can see."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import typer

from ctexchange.cli import output
from ctexchange.cli.members import org_names
from ctexchange.cli.output import JsonFlag, iso, when
from ctexchange.cli.state import operator_session
from ctexchange.domain.markings import Marking
from ctexchange.domain.signals import Collection, JsonValue

collection_app = typer.Typer(help="Collections (banks) of signals.", no_args_is_help=True)

MARKINGS = "|".join(m.value for m in Marking)


def collection_doc(collection: Collection) -> dict[str, Any]:
    """Return a collection as JSON."""
    return {
        "id": str(collection.id),
        "name": collection.name,
        "org_id": str(collection.org_id),
        "default_marking": collection.default_marking.value,
        "sharing_group_id": None if collection.sharing_group_id is None else str(collection.sharing_group_id),
        "description": collection.description,
        "kind_settings": {kind: dict(values) for kind, values in collection.kind_settings.items()},
        "hit_policy": collection.hit_policy.value,
        "purpose": collection.purpose.value,
        "requires_review": collection.requires_review,
        "sighting_policy": collection.sighting_policy.value,
        "created_at": iso(collection.created_at),
    }


@collection_app.command("create")
def collection_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the collection (unique per organization).")],
    marking: Annotated[
        str, typer.Option("--marking", help=f"Default TLP 2.0 marking of its signals: {MARKINGS}.")
    ] = Marking.AMBER.value,
    group: Annotated[
        str | None, typer.Option("--group", help="Sharing group of AMBER signals (name or id).")
    ] = None,
    description: Annotated[str, typer.Option("--description", help="What the collection holds.")] = "",
    pdq_distance: Annotated[
        int | None, typer.Option("--pdq-distance", help="PDQ match distance in this collection (default 31).")
    ] = None,
    hit_policy: Annotated[
        str,
        typer.Option(
            "--hit-policy",
            help="What a caller that may not see a hit learns: nothing (hide) or whom to contact (notify).",
        ),
    ] = "hide",
    negative: Annotated[
        bool, typer.Option("--negative", help="A bank of known benign content: it silences hits.")
    ] = False,
    requires_review: Annotated[
        bool, typer.Option("--requires-review", help="Service keys' matches open a review case.")
    ] = False,
    sighting_policy: Annotated[
        str,
        typer.Option(
            "--sighting-policy",
            help="What you learn of who matched your signals: the organization (named) or a pseudonym"
            " (anonymised).",
        ),
    ] = "named",
    as_json: JsonFlag = False,
) -> None:
    """Create a collection owned by the operator organization."""
    settings: dict[str, dict[str, JsonValue]] = {}
    if pdq_distance is not None:
        settings["pdq"] = {"distance": pdq_distance}
    with operator_session(ctx) as (exchange, caller):
        purpose = "negative" if negative else "positive"
        created = exchange.collections.create(
            caller,
            name,
            marking,
            group,
            description,
            settings,
            hit_policy,
            purpose,
            requires_review,
            sighting_policy,
        )
    if as_json:
        output.emit_json(collection_doc(created))
    else:
        output.say(f"created collection '{created.name}' ({created.default_marking.value}): {created.id}")


@collection_app.command("list")
def collection_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the collections the operator organization may see."""
    with operator_session(ctx) as (exchange, caller):
        collections = exchange.collections.list(caller)
        owners = org_names(exchange, caller)
        groups = {g.id: g.name for g in exchange.members.groups(caller)}
    if as_json:
        output.emit_json([collection_doc(c) for c in collections])
        return
    columns = ["id", "name", "owner", "marking", "group", "description", "created"]
    output.print_table(columns, (_row(c, owners, groups) for c in collections))


def _row(collection: Collection, owners: dict[UUID, str], groups: dict[UUID, str]) -> list[object]:
    group_id = collection.sharing_group_id
    group = None if group_id is None else groups.get(group_id, str(group_id))
    marking = collection.default_marking.value
    owner = owners.get(collection.org_id)
    created = when(collection.created_at)
    return [collection.id, collection.name, owner, marking, group, collection.description or None, created]
