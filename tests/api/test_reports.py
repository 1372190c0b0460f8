"""Reports and sighting policy through the API: a bank's `sighting_policy`, masked sightings and their
summary, and `GET /v1/reports/transparency` as JSON, CSV and HTML, with errors in the envelope."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from ctexchange.service.exchange import Exchange
from tests.api.factories import MakeMember, Member

MD5 = "ab" * 16
OTHER = "cd" * 16


@pytest.fixture
def owner(client: TestClient, make_member: MakeMember) -> Member:
    """An analyst of `agency` owning a named bank `open` and an anonymised bank `quiet`."""
    member = make_member("agency", "agency-analyst", "analyst")
    for name, policy, md5 in (("open", "named", MD5), ("quiet", "anonymised", OTHER)):
        body = {"name": name, "marking": "GREEN", "sighting_policy": policy}
        made = client.post("/v1/collections", json=body, headers=member.headers)
        assert made.status_code == 201, made.text
        assert made.json()["sighting_policy"] == policy
        items = {"items": [{"md5": md5, "labels": ["propaganda", "un:QDe.115"]}]}
        added = client.post(f"/v1/collections/{name}/content", json=items, headers=member.headers)
        assert added.status_code == 201, added.text
    return member


@pytest.fixture
def platform(client: TestClient, make_member: MakeMember, owner: Member) -> Member:
    """A platform's pipeline that matched both banks' signals."""
    member = make_member("platform", "pipeline", "service")
    for md5 in (MD5, OTHER):
        assert client.post("/v1/match", json={"md5": md5}, headers=member.headers).status_code == 200
    return member


def test_a_bad_sighting_policy_is_refused(client: TestClient, owner: Member) -> None:
    """An unknown policy is a 422 naming the field."""
    body = {"name": "x", "marking": "GREEN", "sighting_policy": "secret"}
    made = client.post("/v1/collections", json=body, headers=owner.headers)
    assert made.status_code == 422 and made.json()["error"]["field"] == "sighting_policy"


def test_sightings_show_pseudonyms_for_anonymised_banks(
    client: TestClient, owner: Member, platform: Member
) -> None:
    """The owner sees the platform by id on the named bank and as `member-1` on the anonymised one."""
    items = client.get("/v1/sightings", headers=owner.headers).json()["items"]
    shown = sorted((s["is_anonymised"], s["pseudonym"], s["org_id"] == str(platform.org_id)) for s in items)
    assert shown == [(False, None, True), (True, "member-1", False)]


def test_the_summary_counts_by_day_and_organization(
    client: TestClient, owner: Member, platform: Member
) -> None:
    """Counts per day, per organization or pseudonym; a bad bucket is a 422 in the envelope."""
    got = client.get("/v1/sightings/summary", params={"bucket": "day"}, headers=owner.headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"] == 2 and len(body["buckets"]) == 1
    assert sorted((o["is_anonymised"], o["count"]) for o in body["organizations"]) == [(False, 1), (True, 1)]
    bad = client.get("/v1/sightings/summary", params={"bucket": "week"}, headers=owner.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "bucket"
    naive = client.get("/v1/sightings/summary", params={"from": "2026-01-01T00:00"}, headers=owner.headers)
    assert naive.status_code == 422 and naive.json()["error"]["field"] == "from"


def _params(exchange: Exchange, org: str, fmt: str = "json") -> dict[str, str]:
    today = exchange.clock().date().isoformat()
    return {"org": org, "from": today, "to": today, "format": fmt}


def test_the_report_in_three_formats(
    client: TestClient, exchange: Exchange, make_member: MakeMember, owner: Member, platform: Member
) -> None:
    """JSON is the canonical shape; CSV has one metric per row; HTML is a download with a strict policy."""
    auditor = make_member("agency", "agency-auditor", "auditor")
    got = client.get("/v1/reports/transparency", params=_params(exchange, "agency"), headers=auditor.headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["organization"]["name"] == "agency"
    assert body["sections"]["sightings"] == {
        "of_own_signals": 2,
        "by_organization": {"anonymised": 1, "platform": 1},
    }
    as_csv = client.get(
        "/v1/reports/transparency", params=_params(exchange, "agency", "csv"), headers=auditor.headers
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {
        "section": "sightings",
        "metric": "of_own_signals",
        "dimension": "",
        "value": "2",
        "name": "",
    } in rows
    html = client.get(
        "/v1/reports/transparency", params=_params(exchange, "agency", "html"), headers=auditor.headers
    )
    assert html.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert html.headers["content-disposition"].startswith("attachment")
    assert "<svg" in html.text and "<script" not in html.text


def test_report_errors_are_the_envelope(
    client: TestClient, exchange: Exchange, make_member: MakeMember, owner: Member
) -> None:
    """A role that may not report is 403, another organization's report 403, an unknown one 404, an
    impossible date or an unknown format 422: each in the error envelope, naming the field."""
    chief = make_member("agency", "chief", "admin").headers
    path = "/v1/reports/transparency"
    analyst = client.get(path, params=_params(exchange, "agency"), headers=owner.headers)
    assert analyst.status_code == 403 and "role 'analyst'" in analyst.json()["error"]["message"]
    other = client.get(path, params=_params(exchange, "platform"), headers=chief)
    assert other.status_code in (403, 404)
    make_member("platform", "someone", "reviewer")
    other = client.get(path, params=_params(exchange, "platform"), headers=chief)
    assert other.status_code == 403 and "own organization" in other.json()["error"]["message"]
    missing = client.get(path, params=_params(exchange, "nowhere"), headers=chief)
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "org"
    bad = client.get(path, params={**_params(exchange, "agency"), "from": "2026-02-30"}, headers=chief)
    assert bad.status_code == 422 and "error" in bad.json()
    fmt = client.get(path, params=_params(exchange, "agency", "pdf"), headers=chief)
    assert fmt.status_code == 422 and fmt.json()["error"]["field"] == "format"
