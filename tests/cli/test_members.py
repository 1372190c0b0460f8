"""`ctx org`, `ctx user`, `ctx key` and `ctx group`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ctexchange.domain.roles import Role
from ctexchange.errors import Unauthenticated
from tests.cli.conftest import Cli, error_lines


def test_org_add_and_list(ready: Cli) -> None:
    """org add creates a member organization; org list shows it with its full id, as table and JSON."""
    created = ready.json("org", "add", "Ministry of Interior", "--kind", "national-agency")
    assert created["name"] == "Ministry of Interior"
    assert created["kind"] == "national-agency"
    assert created["is_operator"] is False
    orgs = ready.json("org", "list")
    assert {o["name"] for o in orgs} == {"coalition", "Ministry of Interior"}
    table = ready("org", "list")
    assert table.exit_code == 0
    assert created["id"] in table.stdout
    assert "national-agency" in table.stdout


def test_org_add_human_output_names_the_id(ready: Cli) -> None:
    """Without --json, org add prints one line with the name and the full id."""
    result = ready("org", "add", "Platform")
    assert result.exit_code == 0, result.output
    org_id = next(o["id"] for o in ready.json("org", "list") if o["name"] == "Platform")
    assert result.stdout.strip() == f"created organization 'Platform' (other): {org_id}"


def test_org_add_duplicate_name_exits_4(ready: Cli) -> None:
    """A taken organization name is a conflict: exit 4 and one line on stderr."""
    assert ready("org", "add", "Platform").exit_code == 0
    result = ready("org", "add", "Platform")
    assert result.exit_code == 4
    assert error_lines(result) == ["error: an organization named 'Platform' exists already"]
    assert result.stdout == ""


def test_org_add_bad_kind_names_the_choices(ready: Cli) -> None:
    """An unknown --kind exits 2 naming the field and every choice."""
    result = ready("org", "add", "X", "--kind", "bank")
    assert result.exit_code == 2
    assert len(error_lines(result)) == 1
    assert "'kind' must be one of" in result.stderr
    assert "online-service" in result.stderr


def test_user_add_and_list(ready: Cli) -> None:
    """user add creates a user in an organization; user list filters by --org."""
    org = ready.json("org", "add", "Platform", "--kind", "online-service")
    user = ready.json("user", "add", "alice", "--org", "Platform", "--role", "analyst")
    assert user["org_id"] == org["id"]
    assert user["role"] == "analyst"
    assert [u["name"] for u in ready.json("user", "list", "--org", "Platform")] == ["alice"]
    assert {u["name"] for u in ready.json("user", "list")} == {"admin", "alice"}
    table = ready("user", "list")
    assert user["id"] in table.stdout
    assert "Platform" in table.stdout


def test_user_add_unknown_org_exits_3(ready: Cli) -> None:
    """A user for an organization that does not exist: exit 3 and one line on stderr."""
    result = ready("user", "add", "bob", "--org", "Nowhere", "--role", "analyst")
    assert result.exit_code == 3
    assert error_lines(result) == ["error: organization Nowhere not found"]


def test_user_add_bad_role_exits_2(ready: Cli) -> None:
    """An unknown --role exits 2 naming the field and the choices."""
    result = ready("user", "add", "bob", "--org", "coalition", "--role", "chef")
    assert result.exit_code == 2
    assert "'role' must be one of admin, analyst, reviewer, auditor, service" in result.stderr


def test_user_add_without_required_options_is_a_usage_error(ready: Cli) -> None:
    """Missing --org/--role is a usage error (exit 2) and creates nothing."""
    result = ready("user", "add", "bob")
    assert result.exit_code == 2
    assert [u["name"] for u in ready.json("user", "list")] == ["admin"]


def test_key_create_prints_the_key_once_and_it_works(ready: Cli) -> None:
    """key create prints only the key on stdout, warns on stderr, and the key authenticates as the user."""
    ready("org", "add", "Platform")
    ready("user", "add", "pipeline", "--org", "Platform", "--role", "service")
    result = ready("key", "create", "--user", "pipeline")
    assert result.exit_code == 0, result.output
    text = result.stdout.strip()
    assert text.startswith("ctx_")
    assert len(result.stdout.splitlines()) == 1
    assert len(error_lines(result)) == 1
    assert "shown only this once" in result.stderr
    with ready.exchange() as exchange:
        caller = exchange.auth.authenticate(text, "t")
    assert caller.principal.role is Role.SERVICE
    assert caller.principal.name == "pipeline"


def test_key_create_json_shape_and_expiry(ready: Cli) -> None:
    """key create --json prints exactly key_id, key, user_id, org_id and expires_at."""
    user = ready.json("user", "add", "bob", "--org", "coalition", "--role", "auditor")
    result = ready(
        "key", "create", "--user", "bob", "--name", "audit laptop", "--expires-days", "30", "--json"
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"key_id", "key", "user_id", "org_id", "expires_at"}
    assert document["key"].startswith(f"ctx_{document['key_id']}_")
    assert document["user_id"] == user["id"]
    assert document["org_id"] == user["org_id"]
    expires = datetime.fromisoformat(document["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    assert "shown only this once" in result.stderr


def test_key_create_refuses_non_positive_expiry(ready: Cli) -> None:
    """--expires-days below 1 exits 2 naming the field."""
    result = ready("key", "create", "--user", "admin", "--expires-days", "0")
    assert result.exit_code == 2
    assert "'expires_days'" in result.stderr


def test_key_list_never_shows_secrets(ready: Cli) -> None:
    """key list shows ids, owners and dates; neither the key text nor its hash appears."""
    created = ready.json("key", "create", "--user", "admin", "--name", "second")
    keys = ready.json("key", "list")
    assert {k["name"] for k in keys} == {"initial admin key", "second"}
    assert all("secret_hash" not in k and "key" not in k for k in keys)
    table = ready("key", "list")
    secret = created["key"].split("_")[2]
    for result_text in (table.stdout, str(keys)):
        assert secret not in result_text
        assert "scrypt$" not in result_text
    assert created["key_id"] in table.stdout
    assert "admin" in table.stdout


def test_key_revoke_makes_the_key_unusable(ready: Cli) -> None:
    """After key revoke the key no longer authenticates, and key list shows when it was revoked."""
    created = ready.json("key", "create", "--user", "admin")
    with ready.exchange() as exchange:
        exchange.auth.authenticate(created["key"], "before")
    revoked = ready.json("key", "revoke", created["key_id"])
    assert revoked["revoked_at"] is not None
    with ready.exchange() as exchange, pytest.raises(Unauthenticated):
        exchange.auth.authenticate(created["key"], "after")
    listed = next(k for k in ready.json("key", "list") if k["key_id"] == created["key_id"])
    assert listed["revoked_at"] == revoked["revoked_at"]


def test_key_revoke_unknown_key_exits_3(ready: Cli) -> None:
    """Revoking a key id that does not exist exits 3 with one line."""
    result = ready("key", "revoke", "0123456789ab")
    assert result.exit_code == 3
    assert error_lines(result) == ["error: API key 0123456789ab not found"]


def test_group_create_add_member_and_list(ready: Cli) -> None:
    """group create, add-member and list keep the operator and the named organizations as members."""
    platform = ready.json("org", "add", "Platform")
    agency = ready.json("org", "add", "Agency")
    group = ready.json("group", "create", "eu-amber", "--member", "Platform")
    operator = next(o for o in ready.json("org", "list") if o["is_operator"])
    assert set(group["member_org_ids"]) == {operator["id"], platform["id"]}
    human = ready("group", "add-member", "eu-amber", "Agency")
    assert human.exit_code == 0, human.output
    assert "Agency, Platform, coalition" in human.stdout
    [listed] = ready.json("group", "list")
    assert set(listed["member_org_ids"]) == {operator["id"], platform["id"], agency["id"]}
    table = ready("group", "list")
    assert group["id"] in table.stdout
    shrunk = ready.json("group", "remove-member", "eu-amber", "Agency")
    assert set(shrunk["member_org_ids"]) == {operator["id"], platform["id"]}
    assert ready("group", "remove-member", "eu-amber", "Agency").exit_code == 3


def test_group_errors(ready: Cli) -> None:
    """Unknown group or organization exits 3; adding a member twice exits 4."""
    ready("org", "add", "Platform")
    ready("group", "create", "g")
    assert ready("group", "add-member", "nope", "Platform").exit_code == 3
    assert ready("group", "create", "g2", "--member", "nope").exit_code == 3
    assert ready("group", "add-member", "g", "Platform").exit_code == 0
    twice = ready("group", "add-member", "g", "Platform")
    assert twice.exit_code == 4
    assert len(error_lines(twice)) == 1
    assert ready("group", "create", "g").exit_code == 4


def test_human_output_of_user_add_key_revoke_and_group_create(ready: Cli) -> None:
    """user add, key revoke and group create print one line each with the full id."""
    user = ready("user", "add", "carol", "--org", "coalition", "--role", "reviewer")
    [listed] = [u for u in ready.json("user", "list") if u["name"] == "carol"]
    assert user.stdout.strip() == f"created user 'carol' (reviewer) in 'coalition': {listed['id']}"
    key = ready.json("key", "create", "--user", "carol")
    revoked = ready("key", "revoke", key["key_id"])
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout.startswith(f"revoked key {key['key_id']} at ")
    group = ready("group", "create", "g")
    [created] = ready.json("group", "list")
    assert group.stdout.strip() == f"created sharing group 'g': {created['id']}; members: coalition"


def test_deactivating_a_user_or_org_stops_its_keys(ready: Cli) -> None:
    """user/org deactivate stop the keys at once; activate restores them; the operator org is protected."""
    from ctexchange.service.exchange import open_exchange
    from ctexchange.settings import load_settings

    ready("org", "add", "platform")
    ready("user", "add", "pipeline", "--org", "platform", "--role", "service")
    key = ready.json("key", "create", "--user", "pipeline")["key"]
    exchange = open_exchange(load_settings({"home": str(ready.home)}, {"CTX_KEY_HASH_COST": "4"}))
    try:
        assert ready.json("user", "deactivate", "pipeline")["is_active"] is False
        with pytest.raises(Unauthenticated):
            exchange.auth.authenticate(key, "t")
        assert ready.json("user", "activate", "pipeline")["is_active"] is True
        assert exchange.auth.authenticate(key, "t").principal.name == "pipeline"
        assert "deactivated" in ready("org", "deactivate", "platform").stdout
        with pytest.raises(Unauthenticated):
            exchange.auth.authenticate(key, "t")
        ready("org", "activate", "platform")
        assert exchange.auth.authenticate(key, "t")
    finally:
        exchange.close()
    refused = ready("org", "deactivate", "coalition")
    assert refused.exit_code == 4
    assert "operator organization cannot be deactivated" in refused.stderr
