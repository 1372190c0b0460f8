"""TAXII 2.1 end to end: the real taxii2-client against a real uvicorn server on loopback.

The server runs the app over the test exchange in a thread on a free port; the client discovers the API
root, lists collections, pages through objects and the manifest, posts an envelope and polls its status.
Errors are checked with plain HTTP requests: every one is a TAXII error resource in the TAXII media type.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import uvicorn
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from ctexchange.api.app import create_app
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.signals import NewSignal
from tests.api.factories import MakeMember, Member, md5_of

TAXII = "application/taxii+json;version=2.1"


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <key>` for taxii2-client, which ships only Basic and Token schemes."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.key}"
        return request


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def base_url(exchange: Exchange) -> Iterator[str]:
    """The URL of a real uvicorn server running the app over the test exchange, on a free loopback port."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(exchange.settings, exchange), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
def reader(exchange: Exchange, operator: Caller, make_member: MakeMember) -> Member:
    """An analyst of a member organization, with a GREEN bank of the operator's to read (9 signals:
    7 GREEN, one AMBER+STRICT and one RED that TAXII never serves)."""
    exchange.collections.create(operator, "bank", "GREEN")
    items = [NewSignal("md5", md5_of(n), ["propaganda"]) for n in range(7)]
    items += [
        NewSignal("md5", md5_of(90), marking="AMBER+STRICT"),
        NewSignal("md5", md5_of(91), marking="RED"),
    ]
    exchange.signals.add_many(operator, "bank", items)
    return make_member("agency", "agency-analyst", "analyst")


def root_of(base_url: str, auth: requests.auth.AuthBase) -> ApiRoot:
    """The default API root, found through discovery."""
    server = Server(f"{base_url}/taxii2/", auth=auth)
    assert server.title == "ctexchange TAXII 2.1"
    root = server.default
    assert root is not None and root.url == f"{base_url}/taxii2/api/"
    return root


def bank_of(root: ApiRoot) -> Collection:
    """The TAXII collection of the operator's bank."""
    [bank] = [c for c in root.collections if c.title == "bank"]
    return bank


def test_discovery_collections_and_paged_objects(base_url: str, reader: Member) -> None:
    """Discovery leads to the API root and the collection; paging by 2 and the manifest both list every
    object exactly once: the context objects, then the 7 signals that may leave."""
    root = root_of(base_url, BearerAuth(reader.key))
    assert (root.versions, root.max_content_length) == ([TAXII], 1_048_576)
    bank = bank_of(root)
    assert (bank.alias, bank.can_read, bank.can_write) == ("coalition/bank", True, False)
    envelopes = list(as_pages(bank.get_objects, per_request=2))
    assert [e["more"] for e in envelopes] == [True] * (len(envelopes) - 1) + [False]
    ids = [o["id"] for e in envelopes for o in e.get("objects", [])]
    manifest = [m["id"] for e in as_pages(bank.get_manifest, per_request=3) for m in e.get("objects", [])]
    assert ids == manifest and len(ids) == len(set(ids))
    types = [i.split("--")[0] for i in ids]
    assert types.count("indicator") == 7
    assert types[:2] == ["identity", "extension-definition"]
    first = bank.get_object(ids[-1])["objects"]
    assert [o["id"] for o in first] == [ids[-1]]
    assert bank.object_versions(ids[-1])["versions"] == [first[0]["modified"]]


def test_the_token_scheme_is_accepted(base_url: str, reader: Member) -> None:
    """taxii2-client's TokenAuth (`Authorization: Token <key>`) authenticates like Bearer."""
    bank = bank_of(root_of(base_url, TokenAuth(reader.key)))
    objects = bank.get_objects(type="indicator")["objects"]
    assert len(objects) == 7


def test_post_then_poll_the_status(
    base_url: str, exchange: Exchange, operator: Caller, reader: Member
) -> None:
    """An envelope posted to the member's own collection is imported; the status is complete with a
    success per object, and polling it (with and without the trailing slash) gives the same answer."""
    mine = exchange.auth.authenticate(reader.key, "t")
    exchange.collections.create(mine, "inbox", "AMBER")
    root = root_of(base_url, BearerAuth(reader.key))
    [inbox] = [c for c in root.collections if c.title == "inbox"]
    assert inbox.can_write
    source = bank_of(root).get_objects(type="indicator")["objects"][:3]
    status = inbox.add_objects({"objects": source}, wait_for_completion=False)
    assert (status.status, status.total_count, status.success_count, status.failure_count) == (
        "complete",
        3,
        3,
        0,
    )
    assert {s["id"] for s in status.successes} == {o["id"] for o in source}
    polled = root.get_status(status.id)
    assert (polled.status, polled.success_count) == ("complete", 3)
    status.refresh()  # taxii2-client polls `.../status/<id>` without the trailing slash
    assert status.status == "complete"
    added = inbox.get_objects(type="indicator")["objects"]
    assert sorted(o["pattern"] for o in added) == sorted(o["pattern"] for o in source)


def test_amber_strict_and_red_never_leave_through_taxii(
    base_url: str, exchange: Exchange, reader: Member
) -> None:
    """Even the owner's own key reads only the 7 signals that may be forwarded."""
    issued = exchange.members.create_key(exchange.operator("t"), "admin", "taxii")
    bank = bank_of(root_of(base_url, BearerAuth(issued.text)))
    assert (bank.can_read, bank.can_write) == (True, True)
    markings = {o["object_marking_refs"][0] for o in bank.get_objects(type="indicator")["objects"]}
    assert len(bank.get_objects(type="indicator")["objects"]) == 7
    assert markings == {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"}


def get(base_url: str, path: str, member: Member | None = None, **headers: str) -> requests.Response:
    """GET a TAXII path with the member's key (if any) and extra headers."""
    auth = {} if member is None else {"Authorization": f"Bearer {member.key}"}
    return requests.get(f"{base_url}/taxii2/{path}", headers={"Accept": TAXII, **auth, **headers}, timeout=20)


def assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """Check a TAXII error resource and return it."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == TAXII
    body: dict[str, Any] = response.json()
    assert (body["http_status"], body["error_code"]) == (str(status), code)
    assert body["title"] and body["description"]
    return body


def test_errors_are_taxii_error_resources(base_url: str, exchange: Exchange, reader: Member) -> None:
    """Unauthenticated, unknown path, wrong method, bad parameters and unacceptable media types all answer
    with a TAXII error resource in the TAXII media type."""
    bank = str(exchange.collections.get(exchange.operator("t"), "bank").id)
    assert_error(get(base_url, "api/"), 401, "unauthenticated")
    assert_error(
        get(base_url, "api/", Authorization="Bearer ctx_000000000000_" + "0" * 64), 401, "unauthenticated"
    )
    assert get(base_url, "api/", Authorization="Basic eDp5").status_code == 401
    assert_error(get(base_url, "api/nothing/here/", reader), 404, "not_found")
    assert_error(get(base_url, "api/", reader, Accept="application/xml"), 406, "not_acceptable")
    assert get(base_url, "api/", reader, Accept="application/taxii+json").status_code == 200
    for query, field in (
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("next=zzz", "next"),
        ("added_after=soon", "added_after"),
    ):
        body = assert_error(
            get(base_url, f"api/collections/{bank}/objects/?{query}", reader), 400, "invalid_input"
        )
        assert body["details"] == {"field": field}
    deleted = requests.delete(
        f"{base_url}/taxii2/api/collections/{bank}/objects/", headers={"Accept": TAXII}, timeout=20
    )
    assert_error(deleted, 405, "method_not_allowed")


def test_invisible_collections_are_404_like_absent_ones(
    base_url: str, exchange: Exchange, operator: Caller, reader: Member
) -> None:
    """A collection the caller may not see answers exactly as an id that does not exist."""
    hidden = str(exchange.collections.create(operator, "hidden", "AMBER").id)
    absent = "00000000-0000-4000-8000-000000000000"
    for ident in (hidden, absent):
        body = assert_error(get(base_url, f"api/collections/{ident}/objects/", reader), 404, "not_found")
        assert body["description"] == f"collection {ident} not found"


def post(
    base_url: str, path: str, member: Member, body: bytes, content_type: str = TAXII
) -> requests.Response:
    """POST a body to a TAXII path with the member's key."""
    headers = {"Accept": TAXII, "Content-Type": content_type, "Authorization": f"Bearer {member.key}"}
    return requests.post(f"{base_url}/taxii2/{path}", data=body, headers=headers, timeout=60)


def test_posting_is_for_owners_and_taxii_bodies(base_url: str, exchange: Exchange, reader: Member) -> None:
    """A POST to a visible collection of another organization is 403; another media type is 415; a body
    that is not an envelope is 400; a body streaming past the limit is 413, all TAXII resources."""
    bank = str(exchange.collections.get(exchange.operator("t"), "bank").id)
    objects = f"api/collections/{bank}/objects/"
    assert_error(post(base_url, objects, reader, b'{"objects": []}'), 403, "forbidden")
    assert_error(post(base_url, objects, reader, b"{}", "text/plain"), 415, "unsupported_media_type")
    mine = exchange.auth.authenticate(reader.key, "t")
    inbox = str(exchange.collections.create(mine, "inbox", "AMBER").id)
    body = assert_error(
        post(base_url, f"api/collections/{inbox}/objects/", reader, b"[1, 2]"), 400, "invalid_input"
    )
    assert body["details"] == {"field": "body"}

    def chunks() -> Iterator[bytes]:
        yield b'{"objects": ['
        for _ in range(200):
            yield b'{"padding": "' + b"x" * 8192 + b'"},'
        yield b"{}]}"

    response = requests.post(
        f"{base_url}/taxii2/api/collections/{inbox}/objects/",
        data=chunks(),
        headers={"Content-Type": TAXII, "Accept": TAXII, "Authorization": f"Bearer {reader.key}"},
        timeout=60,
    )
    assert_error(response, 413, "payload_too_large")


def test_date_added_headers_and_added_after(
    base_url: str, exchange: Exchange, operator: Caller, reader: Member
) -> None:
    """The page's X-TAXII-Date-Added-Last, given back as added_after, yields only what changed since."""
    bank = str(exchange.collections.get(operator, "bank").id)
    first = get(base_url, f"api/collections/{bank}/objects/", reader)
    assert first.status_code == 200 and first.headers["Content-Type"] == TAXII
    last = first.headers["X-TAXII-Date-Added-Last"]
    assert first.headers["X-TAXII-Date-Added-First"] <= last
    assert (
        "objects" not in get(base_url, f"api/collections/{bank}/objects/?added_after={last}", reader).json()
    )
    [added] = exchange.signals.add_many(operator, "bank", [NewSignal("md5", md5_of(50))])
    later = get(base_url, f"api/collections/{bank}/objects/?added_after={last}", reader).json()
    assert [o["id"] for o in later["objects"]] == [f"indicator--{added.id}"]
