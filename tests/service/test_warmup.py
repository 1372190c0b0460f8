"""Building the in-memory indexes at start, on a background thread (`service.warmup`)."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from ctexchange.domain.entities import ScreeningQuery
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.imports import ListFormat
from ctexchange.service.screening import make_query
from ctexchange.service.warmup import Warmup
from tests.service.un_xml import Person, un_list

PEOPLE = [
    Person("QDi.501", "HAMZA", "ZUBAYR", "حمزة الزبير", "1975"),
    Person("QDi.502", "OMAR", "RAFI", "", "1980"),
]


def _query(name: str) -> ScreeningQuery:
    return make_query("Person", [name], [])


def test_warmup_loads_both_indexes_before_any_query(exchange: Exchange, operator: Caller) -> None:
    """After the warm-up the screening index holds the listed entities and the content indexes follow
    the store's change log; a query then finds an entity by its name in another script."""
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list(PEOPLE))
    assert exchange.screening.cache.seq is None and exchange.content.indexes.seq is None
    with capture_logs() as logs:
        warmup = Warmup(exchange)
        warmup.start()
        warmup.join(timeout_s=60)
    assert warmup.is_done
    assert len(exchange.screening.cache.index) == 2
    assert exchange.content.indexes.seq is not None
    [done] = [e for e in logs if e["event"] == "indexes.warm"]
    assert done["entities"] == 2 and done["seconds"] >= 0
    [hits] = exchange.screening.screen(operator, [_query("حمزة الزبير")])
    assert hits[0].signal.external_id == "QDi.501"


def test_a_failed_warmup_is_logged_and_the_first_query_still_loads(
    exchange: Exchange, operator: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm-up that fails logs the index and the error's type only (no message: it may name hosts),
    warms the other index, and leaves the lazy load to the first query."""
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list(PEOPLE))

    def broken() -> None:
        raise ConnectionError("store at 10.0.0.5 unreachable")

    monkeypatch.setattr(exchange.screening, "warm", broken)
    with capture_logs() as logs:
        warmup = Warmup(exchange)
        warmup.start()
        warmup.join(timeout_s=60)
    assert not warmup.is_done
    assert [e for e in logs if e["event"] == "indexes.warmup.failed"] == [
        {
            "event": "indexes.warmup.failed",
            "index": "screening",
            "error": "ConnectionError",
            "log_level": "warning",
        }
    ]
    assert exchange.content.indexes.seq is not None  # the other index is warmed all the same
    [hits] = exchange.screening.screen(operator, [_query("Omar Rafi")])
    assert hits[0].signal.external_id == "QDi.502"
