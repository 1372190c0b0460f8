"""Content through the API: /v1/hash, /v1/match (file or JSON), /v1/match/batch, adding, sightings."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.factories import MakeMember, Member
from tests.media import edited, jpeg, pattern, png


@pytest.fixture
def owner(client: TestClient, make_member: MakeMember) -> Member:
    """An analyst of `agency` owning the GREEN bank `propaganda` and the AMBER bank `restricted`."""
    member = make_member("agency", "agency-analyst", "analyst")
    for name, marking in (("propaganda", "GREEN"), ("restricted", "AMBER")):
        made = client.post("/v1/collections", json={"name": name, "marking": marking}, headers=member.headers)
        assert made.status_code == 201, made.text
    return member


@pytest.fixture
def platform(make_member: MakeMember) -> Member:
    """A service key of an online platform's upload pipeline."""
    return make_member("platform", "pipeline", "service")


def upload(client: TestClient, path: str, member: Member, data: bytes, **form: Any) -> Any:
    """POST a multipart upload."""
    return client.post(path, files={"file": ("upload.bin", data)}, data=form, headers=member.headers)


def test_hash_returns_every_fingerprint(client: TestClient, platform: Member) -> None:
    """An image gives md5, sha256, pdq and its quality; nothing is stored."""
    response = upload(client, "/v1/hash", platform, png(pattern(1)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["md5"]) == 32 and len(body["sha256"]) == 64 and len(body["pdq"]) == 64
    assert body["pdq_quality"] == 100
    assert body["media_type"] == "image"


def test_a_corrupt_upload_is_a_clear_error(client: TestClient, platform: Member) -> None:
    """A truncated JPEG is refused with the envelope naming the file field."""
    response = upload(client, "/v1/hash", platform, jpeg(pattern(1))[:300])
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "file"


def test_add_a_file_then_match_an_edit(client: TestClient, owner: Member, platform: Member) -> None:
    """A file added to a bank is found by a platform's upload of an edited copy, with its labels."""
    added = upload(
        client,
        "/v1/collections/propaganda/files",
        owner,
        png(pattern(2)),
        labels=["propaganda"],
        external_id="p-2",
    )
    assert added.status_code == 201, added.text
    assert sorted(added.json()["added_kinds"]) == ["md5", "pdq", "sha256"]
    found = upload(client, "/v1/match", platform, edited(2))
    assert found.status_code == 200, found.text
    [hit] = found.json()["matches"]
    assert hit["kind"] == "pdq" and hit["external_id"] == "p-2" and hit["labels"] == ["propaganda"]
    assert 0 < hit["distance"] <= 31 and hit["score"] is None
    assert hit["collection"] == "propaganda"
    assert found.json()["id"] is None and hit["case_id"] is None


def test_an_upload_carries_its_id(client: TestClient, owner: Member, platform: Member) -> None:
    """A multipart lookup may name its item (`id`), echoed back; an id over 200 characters is refused
    with the field named before anything is hashed."""
    upload(client, "/v1/collections/propaganda/files", owner, png(pattern(3)))
    found = upload(client, "/v1/match", platform, edited(3), id="upload-8812")
    assert found.status_code == 200, found.text
    assert found.json()["id"] == "upload-8812" and len(found.json()["matches"]) == 1
    refused = upload(client, "/v1/match", platform, edited(3), id="x" * 201)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "id"
    assert refused.json()["error"]["message"].startswith("'id' must be text of at most 200 characters")


def test_json_lookups_and_batches(client: TestClient, owner: Member, platform: Member) -> None:
    """Values added as JSON are found by JSON lookups, singly and in a batch, in order."""
    items = [
        {"id": "u1", "url": {"url": "t.me/example_channel", "level": "prefix"}, "labels": ["recruitment"]},
        {"id": "m1", "md5": "ab" * 16},
    ]
    added = client.post("/v1/collections/propaganda/content", json={"items": items}, headers=owner.headers)
    assert added.status_code == 201, added.text
    one = client.post("/v1/match", json={"url": "https://t.me/example_channel/55"}, headers=platform.headers)
    assert [h["match_type"] for h in one.json()["matches"]] == ["prefix"]
    batch = client.post(
        "/v1/match/batch",
        json={"queries": [{"id": "a", "md5": "AB" * 16}, {"id": "b", "text": "nothing like it at all"}]},
        headers=platform.headers,
    )
    assert batch.status_code == 200, batch.text
    assert [(r["id"], len(r["matches"])) for r in batch.json()["responses"]] == [("a", 1), ("b", 0)]
    assert batch.json()["responses"][0]["matches"][0]["score"] == 1.0


def test_bad_lookups_name_the_field(client: TestClient, platform: Member) -> None:
    """A malformed hash, two values, an unknown field: each a 422 naming what was wrong."""
    bad = client.post("/v1/match", json={"pdq": "xyz"}, headers=platform.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "pdq"
    two = client.post("/v1/match", json={"md5": "a" * 32, "text": "x"}, headers=platform.headers)
    assert two.status_code == 422
    unknown = client.post("/v1/match", json={"colour": "red"}, headers=platform.headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "colour"


def test_hidden_hits_leave_no_trace_but_a_sighting(
    client: TestClient, owner: Member, platform: Member
) -> None:
    """A platform's upload hitting an AMBER signal gets nothing; the owner sees the sighting."""
    upload(client, "/v1/collections/restricted/files", owner, png(pattern(3)))
    found = upload(client, "/v1/match", platform, png(pattern(3)))
    assert found.json()["matches"] == [] and found.json()["restricted"] == []
    sightings = client.get("/v1/sightings", headers=owner.headers).json()["items"]
    assert len(sightings) == 3
    assert {s["is_visible"] for s in sightings} == {False}
    assert client.get("/v1/sightings", headers=platform.headers).status_code == 403


def test_uploads_have_their_own_size_limit(client: TestClient, platform: Member) -> None:
    """A JSON batch over max_body_bytes is refused; a file of the same size is accepted for hashing."""
    big = b"x" * (1_048_576 + 10)
    assert upload(client, "/v1/hash", platform, big).status_code == 200
    body = b'{"queries": [{"text": "' + big + b'"}]}'
    headers = {**platform.headers, "content-type": "application/json"}
    assert client.post("/v1/match/batch", content=body, headers=headers).status_code == 413


def test_a_service_key_cannot_read_sightings_of_others(
    client: TestClient, owner: Member, platform: Member
) -> None:
    """Sightings of one signal are for its owner: another organization naming it gets 404."""
    added = upload(client, "/v1/collections/propaganda/files", owner, png(pattern(4))).json()
    signal_id = added["added"][0]
    assert client.get("/v1/sightings", params={"signal": signal_id}, headers=owner.headers).status_code == 200
    other = client.get("/v1/sightings", params={"signal": signal_id}, headers=platform.headers)
    assert other.status_code in (403, 404)
