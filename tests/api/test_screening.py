"""Screening through the API: POST /v1/screen and GET /v1/entities/{id} on the bundled UN list."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.api.factories import MakeMember, Member


@pytest.fixture(scope="module")
def un_exchange(tmp_path_factory: pytest.TempPathFactory) -> Exchange:
    """An exchange holding the bundled UN list in UN-SC (loaded once for the module)."""
    from ctexchange.settings import Settings
    from ctexchange.store import open_store
    from tests.conftest import TEST_KEY_COST, initialised

    settings = Settings(home=str(tmp_path_factory.mktemp("un")), key_hash_cost=TEST_KEY_COST)
    store = open_store(settings.store_url)
    store.migrate()
    exchange = initialised(settings, store)
    exchange.imports.import_bundled_un_list(exchange.operator())
    return exchange


@pytest.fixture
def exchange(un_exchange: Exchange) -> Exchange:
    """The module's UN exchange stands in for the empty one of the shared fixtures."""
    return un_exchange


@pytest.fixture
def operator(un_exchange: Exchange) -> Caller:
    """The local operator of the UN exchange."""
    return un_exchange.operator("test")


def _screen(client: TestClient, member: Member, **query: Any) -> dict[str, Any]:
    body = {"queries": [{"id": "q1", "schema": query.pop("schema", "Person"), "properties": query}]}
    response = client.post("/v1/screen", json=body, headers=member.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["responses"][0]
    return result


@pytest.mark.parametrize(
    ("names", "reference"),
    [
        (["ابو بكر البغدادي", "Ibrahim Awwad Ibrahim Ali al-Badri"], "QDi.299"),
        (["Ibrahim Awad Ibrahim al-Badri al-Samarrai"], "QDi.299"),
        (["ابراهيم عواد ابراهيم علي البدري"], "QDi.299"),
    ],
)
def test_a_person_is_found_across_scripts(
    client: TestClient, make_member: MakeMember, names: list[str], reference: str
) -> None:
    """Names in Arabic script or Latin spellings find the designated person first, as a match."""
    analyst = make_member("agency", f"analyst-{abs(hash(tuple(names)))}", "analyst")
    result = _screen(client, analyst, name=names, birthDate=["1971"])
    best = result["results"][0]
    assert result["id"] == "q1"
    assert (best["external_id"], best["match"]) == (reference, True)
    assert best["listing"]["source"] == "UN Security Council Consolidated List"
    assert best["listing"]["legal_basis"]
    assert "name" in best["explanation"]


def test_unrelated_names_do_not_match(client: TestClient, make_member: MakeMember) -> None:
    """A name of nobody on the list returns no match."""
    analyst = make_member("agency", "analyst-neg", "analyst")
    result = _screen(client, analyst, name=["Patricia Lucas Wheeler"], birthDate=["2002-07-14"])
    assert all(not r["match"] for r in result["results"])


def test_entity_reads_back_with_its_listing(client: TestClient, make_member: MakeMember) -> None:
    """GET /v1/entities/{id} returns the entry, its listing and status; a content signal id is 404."""
    analyst = make_member("agency", "analyst-entity", "analyst")
    best = _screen(client, analyst, name=["Ibrahim Awwad Ibrahim Ali al-Badri"])["results"][0]
    entity = client.get(f"/v1/entities/{best['signal_id']}", headers=analyst.headers)
    assert entity.status_code == 200
    body = entity.json()
    assert (body["external_id"], body["status"], body["kind"]) == ("QDi.299", "active", "person")
    assert body["entity"]["listing"]["reference"] == "QDi.299"
    assert body["history"] == []
    missing = client.get("/v1/entities/00000000-0000-0000-0000-000000000000", headers=analyst.headers)
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("properties", "field"),
    [
        ({"name": ["Ali\u202eAbdullah"]}, "queries[0].properties.name[0]"),
        ({"name": ["Ali"], "birthDate": ["1971-13-01"]}, "queries[0].properties.birthDate[0]"),
        ({"name": ["Ali"], "nationality": ["Syria"]}, "queries[0].properties.nationality[0]"),
        ({"name": []}, "queries[0].properties.name"),
    ],
)
def test_bad_queries_are_422_naming_the_field(
    client: TestClient, make_member: MakeMember, properties: dict[str, Any], field: str
) -> None:
    """Hidden characters, impossible dates, non-ISO countries and empty names name their field."""
    analyst = make_member("agency", f"analyst-bad-{abs(hash(field))}", "analyst")
    body = {"queries": [{"schema": "Person", "properties": properties}]}
    response = client.post("/v1/screen", json=body, headers=analyst.headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_auditors_may_not_screen(client: TestClient, make_member: MakeMember) -> None:
    """Screening is refused to auditors (403)."""
    auditor = make_member("agency", "auditor-screen", "auditor")
    body = {"queries": [{"schema": "Person", "properties": {"name": ["Ali"]}}]}
    assert client.post("/v1/screen", json=body, headers=auditor.headers).status_code == 403


def test_a_batch_answers_each_query_as_alone(client: TestClient, make_member: MakeMember) -> None:
    """Queries posted together (screened in one pass) get exactly the responses they get one by one."""
    analyst = make_member("agency", "analyst-batch", "analyst")
    queries = [
        {
            "id": "a",
            "schema": "Person",
            "properties": {"name": ["ابراهيم عواد البدري"], "birthDate": ["1971"]},
        },
        {"id": "b", "schema": "Person", "properties": {"name": ["Patricia Lucas Wheeler"]}},
        {"id": "c", "schema": "Person", "properties": {"name": ["Ayman al-Zawahiri"]}},
        {"id": "d", "schema": "Organization", "properties": {"name": ["Al-Qaida"]}},
    ]
    body = {"queries": queries, "threshold": 0.5}
    together = client.post("/v1/screen", json=body, headers=analyst.headers)
    assert together.status_code == 200, together.text
    alone = []
    for query in queries:
        response = client.post(
            "/v1/screen", json={"queries": [query], "threshold": 0.5}, headers=analyst.headers
        )
        assert response.status_code == 200, response.text
        alone += response.json()["responses"]
    assert together.json()["responses"] == alone
    assert sum(len(r["results"]) for r in alone) >= 3
