"""GET /v1/health, the root redirect, the open docs, and the app's own lifespan."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pytest import MonkeyPatch

import ctexchange.api.app as app_module
from ctexchange import __version__
from ctexchange.api.app import create_app
from ctexchange.service.exchange import Exchange
from ctexchange.settings import Settings
from tests.api.factories import Member


def test_health_answers_without_a_key(client: TestClient) -> None:
    """Health needs no key and names the version and the store backend."""
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "store": "sqlite"}


def test_root_is_the_console(client: TestClient) -> None:
    """GET / is the web console, which sends a browser without a session to its login page."""
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F"


def test_docs_and_openapi_need_no_key(client: TestClient) -> None:
    """The OpenAPI document and the Swagger page are public."""
    assert client.get("/openapi.json").json()["info"]["version"] == __version__
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_lifespan_opens_and_closes_its_own_exchange(
    exchange: Exchange, admin: Member, monkeypatch: MonkeyPatch
) -> None:
    """Without an exchange the app opens one from the settings at startup and closes it at shutdown."""
    real_open = app_module.open_exchange
    opened: list[Exchange] = []
    closed: list[Exchange] = []

    def open_and_watch(settings: Settings) -> Exchange:
        made = real_open(settings)
        real_close = made.close

        def close() -> None:
            closed.append(made)
            real_close()

        monkeypatch.setattr(made, "close", close)
        opened.append(made)
        return made

    monkeypatch.setattr(app_module, "open_exchange", open_and_watch)
    with TestClient(create_app(exchange.settings)) as client:
        assert client.get("/v1/health").json()["store"] == "sqlite"
        assert client.get("/v1/whoami", headers=admin.headers).json()["name"] == "admin"
        assert len(opened) == 1 and opened[0] is not exchange
        assert closed == []
    assert closed == opened


def test_app_without_an_open_exchange_is_503(exchange: Exchange) -> None:
    """Before its lifespan has run, the app answers 503 store_unavailable rather than crashing."""
    client = TestClient(create_app(exchange.settings))
    response = client.get("/v1/health")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"


def test_lifespan_warms_the_indexes_in_the_background(exchange: Exchange, admin: Member) -> None:
    """The served app builds its screening and content indexes at start, not at the first query, and
    waits for that build before closing its store."""
    app = create_app(exchange.settings)
    with TestClient(app) as client:
        warmup = app.state.warmup
        warmup.join(timeout_s=60)
        assert warmup.is_done
        served = warmup.exchange
        assert served is not exchange
        assert served.screening.cache.seq is not None and served.content.indexes.seq is not None
        assert client.get("/v1/whoami", headers=admin.headers).status_code == 200
