"""The garbage collector's settings for a process holding the screening index (`service.heap`)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ctexchange.domain.entities import ScreeningQuery
from ctexchange.service import heap
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.imports import ListFormat
from ctexchange.service.screening import ScreeningService, make_query
from tests.service.un_xml import Person, un_list

PEOPLE = [Person(f"QDi.{400 + i}", f"NAME{i}", f"FAMILY{i}", "", "1970") for i in range(3)]


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Whatever a test freezes is unfrozen after it, for the tests that follow."""
    yield
    gc.unfreeze()


def test_tuned_sets_the_thresholds_and_restores_them_even_on_error() -> None:
    """Inside the block the thresholds are `THRESHOLDS`; after it, what they were, error or not."""
    before = gc.get_threshold()
    with heap.tuned():
        assert gc.get_threshold() == heap.THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), heap.tuned():
        raise RuntimeError("interrupted")
    assert gc.get_threshold() == before


@pytest.mark.usefixtures("unfrozen")
def test_settle_collects_cycles_then_freezes_what_is_alive() -> None:
    """Within `tuned()`, cyclic garbage made before `settle` is freed, not frozen; live objects are
    frozen."""

    class Node:
        def __init__(self) -> None:
            self.me = self

    alive = Node()
    dead = Node()
    gone = weakref.ref(dead)
    del dead
    with heap.tuned():
        heap.settle()
    assert gc.get_freeze_count() > 0
    assert gone() is None  # collected before the freeze, not kept forever
    assert alive.me is alive  # frozen objects stay usable
    assert all(o is not alive for o in gc.get_objects())  # frozen: no longer walked


@pytest.mark.usefixtures("unfrozen")
def test_settle_does_nothing_outside_a_long_run() -> None:
    """A one-shot command (outside `tuned()`) would pay a full collection for nothing: no freeze."""
    before = gc.get_freeze_count()
    heap.settle()
    assert gc.get_freeze_count() == before
    with heap.tuned(), heap.tuned():  # nested blocks: settling only while one is open
        pass
    heap.settle()
    assert gc.get_freeze_count() == before


def _query(name: str) -> ScreeningQuery:
    return make_query("Person", [name], [])


@pytest.mark.usefixtures("unfrozen")
def test_a_large_load_settles_the_heap_and_a_small_one_does_not(
    exchange: Exchange, operator: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load, or an update, of `SETTLE_AT` entities or more settles the heap; fewer do not."""
    settled: list[bool] = []
    monkeypatch.setattr(heap, "SETTLE_AT", 3)
    monkeypatch.setattr(heap, "settle", lambda: settled.append(True))
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list(PEOPLE[:2]))
    exchange.screening.screen(operator, [_query("Name0 Family0")])
    assert settled == []  # two entities loaded
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list(PEOPLE))
    exchange.screening.screen(operator, [_query("Name2 Family2")])
    assert settled == []  # one entity changed
    fresh = ScreeningService(exchange.store, exchange.clock)  # as in a new process
    [hits] = fresh.screen(operator, [_query("Name2 Family2")])
    assert len(settled) == 1  # its first load has three entities
    assert hits and hits[0].signal.external_id == "QDi.402"
