"""`ctx collection`."""

from __future__ import annotations

from tests.cli.conftest import Cli, error_lines


def test_collection_create_defaults_to_amber(ready: Cli) -> None:
    """collection create without --marking makes an AMBER collection of the operator organization."""
    created = ready.json("collection", "create", "coalition-propaganda")
    operator = next(o for o in ready.json("org", "list") if o["is_operator"])
    assert created["default_marking"] == "AMBER"
    assert created["org_id"] == operator["id"]
    assert created["sharing_group_id"] is None
    assert created["description"] == ""


def test_collection_create_with_group_marking_and_description(ready: Cli) -> None:
    """--marking (any case), --group and --description are stored; list shows them."""
    group = ready.json("group", "create", "eu")
    args = ["collection", "create", "UN-1267", "--marking", "amber+strict", "--group", "eu"]
    created = ready.json(*args, "--description", "UN 1267 list")
    assert created["default_marking"] == "AMBER+STRICT"
    assert created["sharing_group_id"] == group["id"]
    assert created["description"] == "UN 1267 list"
    assert [c["id"] for c in ready.json("collection", "list")] == [created["id"]]
    table = ready("collection", "list")
    assert table.exit_code == 0
    for shown in (created["id"], "UN-1267", "AMBER+STRICT", "eu", "UN 1267 list", "coalition"):
        assert shown in table.stdout


def test_collection_human_create_prints_the_id(ready: Cli) -> None:
    """Without --json, collection create prints one line with the name, marking and full id."""
    result = ready("collection", "create", "bank", "--marking", "RED")
    assert result.exit_code == 0, result.output
    [listed] = ready.json("collection", "list")
    assert result.stdout.strip() == f"created collection 'bank' (RED): {listed['id']}"


def test_collection_bad_marking_names_field_and_choices(ready: Cli) -> None:
    """A marking outside TLP 2.0 exits 2 with one line naming the field and the five markings."""
    result = ready("collection", "create", "bank", "--marking", "PURPLE")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert line.startswith("error: 'marking' must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
    assert "PURPLE" in line
    assert ready.json("collection", "list") == []


def test_collection_unknown_group_and_duplicate(ready: Cli) -> None:
    """An unknown --group exits 3; a second collection of the same name exits 4."""
    missing = ready("collection", "create", "bank", "--group", "nope")
    assert missing.exit_code == 3
    assert error_lines(missing) == ["error: sharing group nope not found"]
    assert ready("collection", "create", "bank").exit_code == 0
    duplicate = ready("collection", "create", "bank")
    assert duplicate.exit_code == 4
    assert len(error_lines(duplicate)) == 1


def test_collection_list_is_empty_at_first(ready: Cli) -> None:
    """collection list --json on a new exchange is an empty list, and the table still prints."""
    assert ready.json("collection", "list") == []
    result = ready("collection", "list")
    assert result.exit_code == 0
    assert "marking" in result.stdout
