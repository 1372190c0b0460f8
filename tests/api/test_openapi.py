"""The OpenAPI document is complete: summaries, descriptions, tags, examples, error envelopes, security."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
ENVELOPE_REF = "#/components/schemas/ErrorResponse"
BODILESS_POSTS = {"/v1/keys/{key_id}/revoke", "/v1/orgs/{ref}/{action}", "/v1/users/{ref}/{action}"}
PUBLIC_PATHS = {"/v1/health"}


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    """The app's OpenAPI document."""
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def test_every_operation_has_summary_description_and_tags(spec: dict[str, Any]) -> None:
    """No operation is left without a summary, a description and a tag."""
    missing = [
        f"{method.upper()} {path}: {field}"
        for path, method, operation in _operations(spec)
        for field in ("summary", "description", "tags")
        if not operation.get(field)
    ]
    assert missing == []
    assert len(_operations(spec)) >= 27


def test_every_post_body_has_an_example(spec: dict[str, Any]) -> None:
    """Each POST with a JSON body shows an example, each upload a `file` field; only the revoke and
    (de)activate actions take no body."""
    without_body, without_example = [], []
    for path, method, operation in _operations(spec):
        if method != "post":
            continue
        body = operation.get("requestBody")
        if body is None:
            without_body.append(path)
            continue
        if "application/json" not in body["content"]:
            upload = _resolve(spec, body["content"]["multipart/form-data"]["schema"])
            if "file" not in upload.get("properties", {}):
                without_example.append(path)
            continue
        media = body["content"]["application/json"]
        schema = _resolve(spec, media["schema"])
        if not (media.get("example") or media.get("examples") or schema.get("examples")):
            without_example.append(path)
    assert without_example == []
    assert set(without_body) == BODILESS_POSTS


def test_every_error_response_is_the_envelope(spec: dict[str, Any]) -> None:
    """Every documented 4xx/5xx response has the ErrorResponse schema; no stock HTTPValidationError."""
    wrong = []
    for path, method, operation in _operations(spec):
        errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
        if not errors:
            wrong.append(f"{method.upper()} {path}: no error responses")
        for code, response in errors.items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") != ENVELOPE_REF:
                wrong.append(f"{method.upper()} {path} {code}")
    assert wrong == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_operations_with_input_document_422(spec: dict[str, Any]) -> None:
    """An operation that takes parameters or a body documents its 422."""
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(spec)
        if (operation.get("parameters") or operation.get("requestBody"))
        and "422" not in operation["responses"]
    ]
    assert missing == []


def test_the_bearer_scheme_guards_every_route_but_health(spec: dict[str, Any]) -> None:
    """A bearer scheme is declared (the Authorize button); every non-public operation uses it and has 401."""
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["ApiKey"]["description"],
    }
    for path, method, operation in _operations(spec):
        if path in PUBLIC_PATHS:
            assert "security" not in operation
            continue
        assert operation.get("security") == [{"ApiKey": []}], f"{method.upper()} {path}"
        assert "401" in operation["responses"], f"{method.upper()} {path}"


def test_the_export_documents_ndjson(spec: dict[str, Any]) -> None:
    """The export's 200 response is documented as application/x-ndjson of SignalOut objects."""
    content = spec["paths"]["/v1/signals/export"]["get"]["responses"]["200"]["content"]
    assert content["application/x-ndjson"]["schema"] == {"$ref": "#/components/schemas/SignalOut"}
