"""The pure ASGI middlewares: request ids, the body size limit and the access log."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send
from structlog.testing import capture_logs

from ctexchange.api.app import create_app
from ctexchange.api.middleware import BodyLimitMiddleware
from ctexchange.service.exchange import Exchange
from tests.api.factories import MakeMember, Member, add_collection, add_signal

LIMIT = 256


@pytest.fixture
def small_client(exchange: Exchange) -> TestClient:
    """A client of an app that accepts bodies of at most LIMIT bytes."""
    return TestClient(create_app(replace(exchange.settings, max_body_bytes=LIMIT), exchange))


@pytest.fixture
def analyst_with_bank(client: TestClient, make_member: MakeMember) -> Member:
    """An analyst of agency-a with a collection `bank`."""
    analyst = make_member("agency-a", "alice", "analyst")
    add_collection(client, analyst, "bank")
    return analyst


def _org_names(client: TestClient, admin: Member) -> set[str]:
    return {o["name"] for o in client.get("/v1/orgs", headers=admin.headers).json()["items"]}


@pytest.mark.parametrize("incoming", ["abc-123", "A.b_c-9", "x" * 64])
def test_a_well_formed_request_id_is_echoed(client: TestClient, incoming: str) -> None:
    """An incoming X-Request-ID of 1-64 safe characters is kept and echoed."""
    response = client.get("/v1/health", headers={"X-Request-ID": incoming})
    assert response.headers["x-request-id"] == incoming


@pytest.mark.parametrize("incoming", ["", "has space", "semi;colon", "x" * 65, "ünï".encode("latin-1")])
def test_an_ill_formed_request_id_is_replaced(client: TestClient, incoming: str | bytes) -> None:
    """An unsafe or over-long X-Request-ID is replaced by a fresh 16-hex-digit id."""
    response = client.get("/v1/health", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


def test_requests_without_an_id_get_distinct_ones(client: TestClient) -> None:
    """Each request without X-Request-ID gets its own id."""
    ids = {client.get("/v1/health").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_a_declared_body_over_the_limit_is_413(small_client: TestClient, admin: Member) -> None:
    """A Content-Length over max_body_bytes is refused before the app runs: 413 envelope."""
    body = json.dumps({"name": "big", "kind": "other", "padding": "x" * LIMIT}).encode()
    response = small_client.post(
        "/v1/orgs", content=body, headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "payload_too_large",
            "message": f"the request body must be at most {LIMIT} bytes (got {len(body)})",
            "field": None,
        }
    }
    assert response.headers["x-request-id"]
    assert "big" not in _org_names(small_client, admin)


def test_a_chunked_body_over_the_limit_is_413(small_client: TestClient, admin: Member) -> None:
    """A body without Content-Length is counted as it arrives and refused past the limit."""

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "streamed", "kind": "other", "x": "'
        for _ in range(10):
            yield b"y" * 64
        yield b'"}'

    request = small_client.build_request(
        "POST", "/v1/orgs", content=chunks(), headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert "content-length" not in request.headers
    response = small_client.send(request)
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("payload_too_large", None)
    assert error["message"] == f"the request body must be at most {LIMIT} bytes (got more)"
    assert "streamed" not in _org_names(small_client, admin)


def test_bodies_within_the_limit_pass(small_client: TestClient, admin: Member) -> None:
    """Declared or chunked, a body under the limit reaches the route."""
    declared = small_client.post("/v1/orgs", json={"name": "small"}, headers=admin.headers)
    assert declared.status_code == 201
    chunked = small_client.post(
        "/v1/orgs",
        content=iter([b'{"name": ', b'"chunked"}']),
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert chunked.status_code == 201
    assert {"small", "chunked"} <= _org_names(small_client, admin)


def test_the_limit_stops_reading_a_stream_as_soon_as_it_is_passed() -> None:
    """Outside FastAPI too, the middleware stops at the chunk that passes the limit and answers 413."""
    chunks = [b"a" * 5] * 5
    consumed: list[int] = []
    sent: list[Message] = []

    async def receive() -> Message:
        consumed.append(1)
        return {"type": "http.request", "body": chunks[len(consumed) - 1], "more_body": len(consumed) < 5}

    async def send(message: Message) -> None:
        sent.append(message)

    async def reading_app(scope: Scope, app_receive: Receive, app_send: Send) -> None:
        while (await app_receive()).get("more_body"):
            pass

    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(BodyLimitMiddleware(reading_app, max_bytes=10)(scope, receive, send))
    assert len(consumed) == 3
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"


def test_the_access_log_has_one_line_without_secrets_or_values(
    client: TestClient, analyst_with_bank: Member
) -> None:
    """request.done names method, route template, status, ms and request id; no key, id value or body."""
    signal = add_signal(client, analyst_with_bank, "bank", external_id="very-private-ref")
    with capture_logs() as logs:
        client.get(
            f"/v1/signals/{signal['id']}", headers={**analyst_with_bank.headers, "X-Request-ID": "log-1"}
        )
        client.get(f"/v1/nowhere/{signal['id']}")
    done = [entry for entry in logs if entry["event"] == "request.done"]
    assert len(done) == 2
    first, second = done
    assert set(first) == {"event", "log_level", "method", "route", "status", "ms", "request_id"}
    assert (first["method"], first["route"], first["status"], first["request_id"]) == (
        "GET",
        "/v1/signals/{signal_id}",
        200,
        "log-1",
    )
    assert isinstance(first["ms"], float) and first["ms"] >= 0
    assert (second["route"], second["status"]) == ("unmatched", 404)
    text = repr(logs)
    for secret in (analyst_with_bank.key, signal["id"], signal["value"], "very-private-ref"):
        assert secret not in text
