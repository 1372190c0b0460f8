"""Every error leaves as `{"error": {"code", "message", "field"}}`: service errors by one table,
validation and HTTP errors by their handlers, anything else as a generic 500."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from pytest import MonkeyPatch
from structlog.testing import capture_logs

from ctexchange.api.app import create_app
from ctexchange.api.errors import dotted
from ctexchange.errors import (
    Conflict,
    CtxError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PayloadTooLarge,
    StoreUnavailable,
    Unauthenticated,
)
from ctexchange.service.exchange import Exchange
from tests.api.factories import Member

ENVELOPE_KEYS = {"code", "message", "field"}


def _failing_orgs(monkeypatch: MonkeyPatch, exchange: Exchange, exc: Exception) -> None:
    """Make the service behind GET /v1/orgs raise `exc`."""

    def raise_it(*_: object) -> None:
        raise exc

    monkeypatch.setattr(exchange.members, "orgs", raise_it)


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InvalidInput("bad", field="f"), 422, "invalid_input"),
        (PayloadTooLarge("big", field="f"), 413, "payload_too_large"),
        (NotFound("gone", field="f"), 404, "not_found"),
        (Conflict("twice"), 409, "conflict"),
        (InvalidTransition("no move", field="status"), 409, "invalid_transition"),
        (Unauthenticated(), 401, "unauthenticated"),
        (Forbidden("not you"), 403, "forbidden"),
        (StoreUnavailable("down"), 503, "store_unavailable"),
    ],
)
def test_service_errors_map_by_one_table(
    exchange: Exchange,
    client: TestClient,
    admin: Member,
    monkeypatch: MonkeyPatch,
    exc: CtxError,
    status: int,
    code: str,
) -> None:
    """Each CtxError class has its status and code; message and field pass through unchanged."""
    _failing_orgs(monkeypatch, exchange, exc)
    response = client.get("/v1/orgs", headers=admin.headers)
    assert response.status_code == status
    assert response.json() == {"error": {"code": code, "message": exc.message, "field": exc.field}}
    assert (response.headers.get("www-authenticate") == "Bearer") is (status == 401)


def test_an_unexpected_exception_is_a_generic_500(
    exchange: Exchange, client: TestClient, admin: Member, monkeypatch: MonkeyPatch
) -> None:
    """A bug answers 500 `internal` without its text, with the request id, and is logged with it."""
    _failing_orgs(monkeypatch, exchange, RuntimeError("secret detail of the bug"))
    with capture_logs() as logs:
        response = client.get("/v1/orgs", headers={**admin.headers, "X-Request-ID": "bug-1"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert response.json()["error"]["field"] is None
    assert "secret detail" not in response.text
    assert response.headers["x-request-id"] == "bug-1"
    failed = [entry for entry in logs if entry["event"] == "request.failed"]
    assert [(f["request_id"], f["error"]) for f in failed] == [("bug-1", "RuntimeError")]
    done = [entry for entry in logs if entry["event"] == "request.done"]
    assert [d["status"] for d in done] == [500]


def test_a_ctx_error_missing_from_the_table_is_a_500(
    exchange: Exchange, client: TestClient, admin: Member, monkeypatch: MonkeyPatch
) -> None:
    """A CtxError subclass nobody mapped is treated as a bug: 500 internal, its text not shown."""

    class Unmapped(CtxError):
        code = "unmapped"

    _failing_orgs(monkeypatch, exchange, Unmapped("private text"))
    response = client.get("/v1/orgs", headers=admin.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (500, "internal")
    assert "private text" not in response.text


def test_an_unknown_route_is_404_in_the_envelope(client: TestClient) -> None:
    """A path no route matches is 404 not_found in the envelope."""
    response = client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no endpoint GET /v1/nowhere", "field": None}
    }


def test_a_wrong_method_is_405_in_the_envelope(client: TestClient) -> None:
    """DELETE on /v1/health is 405 method_not_allowed, keeping the Allow header."""
    response = client.delete("/v1/health")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


def test_malformed_json_is_422_naming_the_body(client: TestClient, admin: Member) -> None:
    """A body that is not JSON is 422 invalid_input whose message names the request body."""
    response = client.post(
        "/v1/orgs", content=b'{"name": ', headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", None)
    assert error["message"].startswith("the request body must be valid JSON")


def test_a_body_without_json_content_type_is_422(client: TestClient, admin: Member) -> None:
    """A body sent without Content-Type: application/json is not parsed and says so."""
    response = client.post("/v1/orgs", content=b'{"name": "x"}', headers=admin.headers)
    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "name", "'name' is required (got nothing)"),
        ({"name": 7}, "name", "'name' must be a valid string (got 7 (int))"),
        ({"name": "x", "colour": "red"}, "colour", "'colour' is not a field of this request"),
    ],
)
def test_validation_errors_name_the_field_the_rule_and_the_value(
    client: TestClient, admin: Member, body: dict[str, object], field: str, message: str
) -> None:
    """Pydantic's errors become invalid_input naming the field, what was expected and what came."""
    response = client.post("/v1/orgs", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert response.json() == {"error": {"code": "invalid_input", "message": message, "field": field}}


def test_a_query_parameter_error_names_the_parameter(client: TestClient, admin: Member) -> None:
    """limit=abc is 422 naming `limit` (no `query.` prefix) and showing what came."""
    response = client.get("/v1/audit", params={"limit": "abc"}, headers=admin.headers)
    error = response.json()["error"]
    assert (response.status_code, error["field"]) == (422, "limit")
    assert error["message"].startswith("'limit' must be a valid integer") and "'abc'" in error["message"]


def test_several_problems_are_counted(client: TestClient, admin: Member) -> None:
    """With several problems the first is named and the rest counted."""
    response = client.post("/v1/orgs", json={"kind": 1, "extra": 2}, headers=admin.headers)
    assert response.json()["error"]["message"].endswith("(and 2 more problems)")


@pytest.mark.parametrize("name", ["evil\u202egro", "zero\u200bwidth", "bell\x07"])
def test_hidden_characters_in_a_name_are_422_naming_it(client: TestClient, admin: Member, name: str) -> None:
    """Bidi controls, zero-width and control characters in a name are refused naming `name`."""
    response = client.post("/v1/orgs", json={"name": name}, headers=admin.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", "name")
    assert "hidden characters" in error["message"]
    assert client.get("/v1/orgs", headers=admin.headers).json()["items"][0]["name"] == "coalition"


def test_an_over_long_name_is_413(client: TestClient, admin: Member) -> None:
    """A name over its size cap is PayloadTooLarge: 413 naming `name`."""
    response = client.post("/v1/orgs", json={"name": "n" * 500}, headers=admin.headers)
    assert response.status_code == 413
    assert response.json()["error"]["field"] == "name"


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "signals", 2, "value"), "signals[2].value"),
        (("query", "limit"), "limit"),
        (("path", "signal_id"), "signal_id"),
        (("body",), None),
        (("body", "kind_settings", "md5", "x"), "kind_settings.md5.x"),
    ],
)
def test_locations_become_dotted_field_names(loc: tuple[int | str, ...], field: str | None) -> None:
    """Pydantic locations lose their source and read like `signals[2].value`."""
    assert dotted(loc) == field


def test_every_error_has_the_envelope_and_a_request_id(exchange: Exchange, admin: Member) -> None:
    """401, 404, 405, 413 and 422 bodies all hold exactly code, message and field, with X-Request-ID."""
    client = TestClient(create_app(replace(exchange.settings, max_body_bytes=64), exchange))
    answers = [
        client.get("/v1/whoami"),
        client.get("/v1/nowhere"),
        client.put("/v1/health"),
        client.post("/v1/orgs", json={"name": "x" * 100}, headers=admin.headers),
        client.post("/v1/orgs", json={}, headers=admin.headers),
    ]
    assert [a.status_code for a in answers] == [401, 404, 405, 413, 422]
    for answer in answers:
        assert set(answer.json()) == {"error"}
        assert set(answer.json()["error"]) == ENVELOPE_KEYS
        assert answer.headers["x-request-id"]
