"""List imports through the service: idempotent, aware of differences, transactional, audited."""

from __future__ import annotations

import pytest

from ctexchange.domain.queries import SignalQuery
from ctexchange.domain.signals import SignalStatus
from ctexchange.errors import InvalidInput
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.imports import ListFormat
from tests.service.un_xml import Person, un_list

ZARQAWI = Person("QDi.900", "AHMAD", "AL-KHALAYLEH", "أحمد فاضل نزال الخلايلة", "1966")
BAKR = Person("QDi.901", "IBRAHIM", "AWWAD", "ابراهيم عواد ابراهيم علي البدري", "1971")
THIRD = Person("QDi.902", "ABDUL", "RAHMAN")


def _by_ref(exchange: Exchange, operator: Caller) -> dict[str, tuple[SignalStatus, dict[str, object]]]:
    page = exchange.signals.find(operator, SignalQuery(), exchange.signals.page_request(500, None))
    return {s.external_id or "": (s.status, s.value) for s in page.items}


def test_first_import_adds_every_entry(exchange: Exchange, operator: Caller) -> None:
    """A new list is added whole into UN-SC (created CLEAR), with kind, reference and listing."""
    report = exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([ZARQAWI, BAKR]))
    assert (report.added, report.changed, report.delisted, report.collection) == (2, 0, 0, "UN-SC")
    assert exchange.collections.get(operator, "UN-SC").default_marking.value == "CLEAR"
    entries = _by_ref(exchange, operator)
    assert set(entries) == {"QDi.900", "QDi.901"}
    status, value = entries["QDi.900"]
    assert status is SignalStatus.ACTIVE
    assert value["listing"]["reference"] == "QDi.900"  # type: ignore[index]


def test_reimport_is_idempotent_and_diff_aware(exchange: Exchange, operator: Caller) -> None:
    """Same file: nothing changes. Newer file: changed entries updated, missing ones delisted, returning
    ones relisted, with the history kept."""
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([ZARQAWI, BAKR]))
    again = exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([ZARQAWI, BAKR]))
    assert (again.added, again.changed, again.unchanged, again.delisted) == (0, 0, 2, 0)
    renamed = Person("QDi.901", "IBRAHIM", "AWWAD IBRAHIM", BAKR.original, "1971")
    newer = exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([renamed, THIRD]))
    assert (newer.added, newer.changed, newer.delisted) == (1, 1, 1)
    entries = _by_ref(exchange, operator)
    assert entries["QDi.900"][0] is SignalStatus.DELISTED
    back = exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([ZARQAWI, renamed, THIRD]))
    assert (back.relisted, back.delisted, back.added) == (1, 0, 0)
    assert _by_ref(exchange, operator)["QDi.900"][0] is SignalStatus.ACTIVE
    bakr = next(
        s
        for s in exchange.signals.find(
            operator, SignalQuery(external_id="QDi.901"), exchange.signals.page_request(5, None)
        ).items
    )
    with exchange.store.snapshot() as uow:
        history = uow.signals.history(bakr.id)
    assert len(history) == 1
    assert "AWWAD IBRAHIM" not in str(history[0].value)


def test_bad_file_changes_nothing(exchange: Exchange, operator: Caller) -> None:
    """A malformed or hostile file is refused before the store is touched."""
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([ZARQAWI]))
    before = _by_ref(exchange, operator)
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>'
    for bad in (bomb, b"<CONSOLIDATED_LIST><INDIVIDUALS>", b"", b"\xff\xfe not xml"):
        with pytest.raises(InvalidInput):
            exchange.imports.import_list(operator, ListFormat.UN_LIST, bad)
    assert _by_ref(exchange, operator) == before


def test_every_change_is_audited(exchange: Exchange, operator: Caller) -> None:
    """Each added, changed and delisted entry has its event, and the import one summary event."""
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([ZARQAWI, BAKR]))
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([BAKR]))
    with exchange.store.snapshot() as uow:
        actions = [e.entry.action for e in uow.audit.walk()]
    assert actions.count("signal.create") == 2
    assert actions.count("signal.delist") == 1
    assert actions.count("import.un-list") == 2
    assert exchange.audit.verify(operator).is_intact


def test_ftm_needs_a_collection(exchange: Exchange, operator: Caller) -> None:
    """FollowTheMoney lists have no default collection: the caller must name one."""
    with pytest.raises(InvalidInput, match="collection"):
        exchange.imports.import_list(operator, ListFormat.FTM, b'{"id": "x", "schema": "Person"}')
