"""Screening through the service: cross-script hits, explanations, access rules, following imports."""

from __future__ import annotations

import pytest

from ctexchange.domain.entities import ScreeningQuery
from ctexchange.errors import Forbidden, InvalidInput, NotFound
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.imports import ListFormat
from ctexchange.service.screening import ScreeningHit, make_query
from tests.service.un_xml import Person, un_list

BADRI = Person("QDi.299", "IBRAHIM", "AWWAD IBRAHIM ALI AL-BADRI", "ابراهيم عواد ابراهيم علي البدري", "1971")
OTHER = Person("QDi.300", "JOHN", "SMITH", "", "1950")


def person(*names: str, dob: str | None = None) -> ScreeningQuery:
    """A person query."""
    return make_query("Person", list(names), [dob] if dob else [])


@pytest.fixture
def loaded(exchange: Exchange, operator: Caller) -> Exchange:
    """An exchange with two UN entries in UN-SC."""
    exchange.imports.import_list(operator, ListFormat.UN_LIST, un_list([BADRI, OTHER]))
    return exchange


def test_arabic_script_query_finds_the_latin_entry(loaded: Exchange, operator: Caller) -> None:
    """An Arabic-script name finds the entry, first, matched, with an explanation of each feature."""
    [hits] = loaded.screening.screen(operator, [person("ابراهيم عواد البدري", dob="1971")])
    assert hits
    best = hits[0]
    assert best.signal.external_id == "QDi.299"
    assert best.is_match
    assert 0.0 <= best.score <= 1.0
    assert best.explanation


def test_results_are_deterministic_and_limited(loaded: Exchange, operator: Caller) -> None:
    """The same query gives the same results; limit caps them."""
    query = person("Ibrahim Awwad al-Badri")
    first = loaded.screening.screen(operator, [query], limit=1)
    second = loaded.screening.screen(operator, [query], limit=1)
    assert [(h.signal.id, h.score) for h in first[0]] == [(h.signal.id, h.score) for h in second[0]]
    assert len(first[0]) == 1


def test_delisted_entries_stop_matching(loaded: Exchange, operator: Caller) -> None:
    """After a newer list drops an entry, the next screening no longer returns it."""
    query = person("Ibrahim Awwad al-Badri")
    assert loaded.screening.screen(operator, [query])[0][0].signal.external_id == "QDi.299"
    loaded.imports.import_list(operator, ListFormat.UN_LIST, un_list([OTHER]))
    assert all(h.signal.external_id != "QDi.299" for h in loaded.screening.screen(operator, [query])[0])


def test_invisible_entities_are_never_returned(loaded: Exchange, operator: Caller) -> None:
    """An AMBER list of the operator is invisible to another organization: no hit, no trace."""
    loaded.collections.create(operator, "national-watch", "AMBER")
    loaded.imports.import_list(operator, ListFormat.UN_LIST, un_list([BADRI]), collection="national-watch")
    loaded.members.create_org(operator, "agency", "national-agency")
    loaded.members.create_user(operator, "agency", "agency-analyst", "analyst")
    analyst = loaded.auth.authenticate(loaded.members.create_key(operator, "agency-analyst", "k").text, "t")
    [hits] = loaded.screening.screen(analyst, [person("Ibrahim Awwad al-Badri")])
    assert {h.signal.collection_id for h in hits} == {loaded.collections.get(operator, "UN-SC").id}
    with pytest.raises(NotFound):
        loaded.screening.screen(analyst, [person("x")], collections=["coalition/national-watch"])


def test_collection_filter(loaded: Exchange, operator: Caller) -> None:
    """Screening one collection returns only its entries."""
    loaded.imports.import_list(operator, ListFormat.UN_LIST, un_list([BADRI]), collection="copy")
    [hits] = loaded.screening.screen(operator, [person("Ibrahim Awwad al-Badri")], collections=["copy"])
    copy_id = loaded.collections.get(operator, "copy").id
    assert hits
    assert {h.signal.collection_id for h in hits} == {copy_id}


def test_entity_view_with_history(loaded: Exchange, operator: Caller) -> None:
    """An entity reads back with its listing and, after an update, its earlier value."""
    changed = Person("QDi.300", "JOHN", "SMYTHE", "", "1950")
    loaded.imports.import_list(operator, ListFormat.UN_LIST, un_list([BADRI, changed]))
    [hits] = loaded.screening.screen(operator, [person("John Smythe")])
    view = loaded.screening.entity(operator, str(hits[0].signal.id))
    assert view.record.listing.reference == "QDi.300"
    assert len(view.history) == 1


@pytest.mark.parametrize(
    ("names", "dates", "countries", "field"),
    [
        ([], [], [], "query.name"),
        (["Ibrahim\u202eAwwad"], [], [], "query.name[0]"),
        (["Ibrahim\u200bAwwad"], [], [], "query.name[0]"),
        (["Ibrahim"], ["1971-02-30"], [], "query.birthDate[0]"),
        (["Ibrahim"], ["71"], [], "query.birthDate[0]"),
        (["Ibrahim"], [], ["Syria"], "query.nationality[0]"),
    ],
)
def test_bad_queries_name_the_field(
    names: list[str], dates: list[str], countries: list[str], field: str
) -> None:
    """Hidden characters, impossible dates and non-ISO countries are refused, naming the field."""
    with pytest.raises(InvalidInput) as info:
        make_query("Person", names, dates, countries)
    assert info.value.field == field


def test_limits_and_roles(loaded: Exchange, operator: Caller) -> None:
    """Thresholds outside (0, 1], limits outside 1..50 and auditors are refused."""
    with pytest.raises(InvalidInput, match="threshold"):
        loaded.screening.screen(operator, [person("x")], threshold=1.5)
    with pytest.raises(InvalidInput, match="limit"):
        loaded.screening.screen(operator, [person("x")], limit=0)
    loaded.members.create_user(operator, None, "auditor", "auditor")
    auditor = loaded.auth.authenticate(loaded.members.create_key(operator, "auditor", "k").text, "t")
    with pytest.raises(Forbidden):
        loaded.screening.screen(auditor, [person("x")])


def test_only_entities_reaching_the_threshold_are_returned(loaded: Exchange, operator: Caller) -> None:
    """A result scores at least the threshold; a lower threshold shows what a higher one leaves out."""
    query = person("Ibrahim Awwad")
    [low] = loaded.screening.screen(operator, [query], threshold=0.3)
    assert low and all(h.score >= 0.3 and h.is_match for h in low)
    best = low[0].score
    assert best < 1.0
    [high] = loaded.screening.screen(operator, [query], threshold=min(1.0, best + 0.01))
    assert all(h.signal.id != low[0].signal.id for h in high)


def test_a_batch_gives_each_query_what_it_gets_alone(loaded: Exchange, operator: Caller) -> None:
    """Queries screened together (bounds computed in one pass) get exactly their results alone:
    the same entities, scores and explanations, in the same order."""
    queries = [
        person("ابراهيم عواد البدري", dob="1971"),
        person("Ibrahim Awwad al-Badri"),
        person("John Smith", dob="1950"),
        person("Ibrahim Awwad"),
        person("Nobody Known"),
        make_query("Organization", ["Al-Badri"]),
    ]

    def shown(hits: list[ScreeningHit]) -> list[tuple[str, float, bool, object]]:
        return [(str(h.signal.id), h.score, h.is_match, h.explanation) for h in hits]

    together = loaded.screening.screen(operator, queries, threshold=0.3)
    alone = [loaded.screening.screen(operator, [query], threshold=0.3)[0] for query in queries]
    assert [shown(hits) for hits in together] == [shown(hits) for hits in alone]
    assert sum(len(hits) for hits in together) >= 3
