"""The candidate index: exact names always found, cross-script names found, incremental and persistent."""

from __future__ import annotations

import dataclasses
import json
import math
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.domain.entities import (
    EntityName,
    EntityRecord,
    EntitySchema,
    IdentityDocument,
    Listing,
    NameType,
    ScreeningQuery,
)
from ctexchange.engines.names.index import (
    KEY_WEIGHTS,
    KEYS_VERSION,
    MAX_POSTINGS,
    CandidateIndex,
    name_keys,
    query_keys,
    record_keys,
)
from ctexchange.errors import InvalidInput
from tests.engines.names.strategies import records

PERSON = EntitySchema.PERSON


def _person(*texts: str, documents: tuple[str, ...] = ()) -> EntityRecord:
    return EntityRecord(
        schema=PERSON,
        names=tuple(EntityName(t) for t in texts),
        listing=Listing(source="UN", reference=texts[0]),
        documents=tuple(IdentityDocument("passport", d) for d in documents),
    )


LIST = {
    "qdi-1": _person("Ayman Muhammad Rabi al-Zawahiri"),
    "qdi-2": _person("Abu Bakr al-Baghdadi", "Ibrahim Awwad Ibrahim al-Badri"),
    "qdi-3": _person("Mohammed Abdullah Hassan"),
    "qdi-4": _person("Doku Khamatovich Umarov"),
    "qdi-5": _person("Jin Tiesan"),
    "qdi-6": _person("Saddam Hussein al-Tikriti", documents=("A 123 456",)),
    "qdi-7": _person("Mohammed Karimi"),
}


def _index(entries: dict[str, EntityRecord]) -> CandidateIndex:
    index = CandidateIndex()
    for entity_id, record in entries.items():
        index.add(entity_id, record)
    return index


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("أيمن الظواهري", "qdi-1"),
        ("أبو بكر البغدادي", "qdi-2"),
        ("Abubakr Baghdadi", "qdi-2"),
        ("محمد عبد الله", "qdi-3"),
        ("Умаров Доку", "qdi-4"),
        ("金铁三", "qdi-5"),
        ("صدام حسين", "qdi-6"),
    ],
)
def test_cross_script_queries_find_their_entity_first(query: str, expected: str) -> None:
    """A name in another script finds its entity among the candidates, ranked first."""
    found = _index(LIST).candidates(ScreeningQuery(PERSON, (query,)), limit=3)
    assert found[0] == expected


def test_documents_find_candidates() -> None:
    """A document number alone finds the entity that carries it."""
    query = ScreeningQuery(PERSON, ("Unknown Person",), documents=("a123-456",))
    assert _index(LIST).candidates(query)[:1] == ["qdi-6"]


def test_rare_keys_rank_higher_than_common_ones() -> None:
    """Sharing a rare name beats sharing Mohammed: IDF weighting."""
    found = _index(LIST).candidates(ScreeningQuery(PERSON, ("Mohammed Karimi",)))
    assert found[0] == "qdi-7"
    assert found.index("qdi-3") > 0


def test_no_shared_key_no_candidate() -> None:
    """A query sharing no key with any entity has no candidates (nothing is scanned)."""
    assert _index(LIST).candidates(ScreeningQuery(PERSON, ("Zzyzx Qwerty",))) == []


def test_limit_and_removal() -> None:
    """At most `limit` ids come back; a removed entity no longer does; removing twice is harmless."""
    index = _index(LIST)
    assert len(index.candidates(ScreeningQuery(PERSON, ("Mohammed",)), limit=1)) == 1
    index.remove("qdi-3")
    index.remove("qdi-3")
    assert "qdi-3" not in index
    assert "qdi-3" not in index.candidates(ScreeningQuery(PERSON, ("Mohammed Abdullah Hassan",)))
    assert len(index) == len(LIST) - 1


def test_adding_again_replaces() -> None:
    """Adding an id a second time replaces what it was indexed under."""
    index = _index(LIST)
    index.add("qdi-5", _person("Kim Chol Sam"))
    assert "qdi-5" not in index.candidates(ScreeningQuery(PERSON, ("Jin Tiesan",)))
    assert index.candidates(ScreeningQuery(PERSON, ("Kim Chol Sam",)))[0] == "qdi-5"


def test_particles_and_titles_make_no_keys() -> None:
    """bin and Mullah make no keys of their own; the whole name always does."""
    keys = name_keys("Mullah bin Laden")
    assert "n:mullah bin laden" in keys
    assert not any(k in keys for k in ("s:ml", "s:bn"))


def test_organizations_index_acronyms() -> None:
    """An organization is found by its acronym, and by its name without the legal form."""
    group = dataclasses.replace(
        _person("Islamic State in Iraq and the Levant"), schema=EntitySchema.ORGANIZATION
    )
    company = dataclasses.replace(_person("Huaxin Shipping Hongkong Ltd"), schema=EntitySchema.ORGANIZATION)
    index = _index({"isil": group, "huaxin": company})
    org = EntitySchema.ORGANIZATION
    assert index.candidates(ScreeningQuery(org, ("ISIL",)))[:1] == ["isil"]
    assert index.candidates(ScreeningQuery(org, ("Huaxin Shipping Hongkong Limited",)))[:1] == ["huaxin"]
    assert "a:isil" in record_keys(group)


def test_bytes_round_trip() -> None:
    """An index written with to_bytes and read with from_bytes answers as the original does."""
    index = _index(LIST)
    loaded = CandidateIndex.from_bytes(index.to_bytes())
    assert loaded.to_bytes() == index.to_bytes()
    for record in LIST.values():
        query = ScreeningQuery(PERSON, (record.primary_name,))
        assert loaded.candidates(query) == index.candidates(query)


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x04\x95",  # a pickle
        b"not json",
        b"[]",
        json.dumps({"format": "other", "keys_version": 1, "entities": {}}).encode(),
        json.dumps(
            {"format": "ctexchange.names.candidate-index", "keys_version": KEYS_VERSION - 1, "entities": {}}
        ).encode(),
        json.dumps(
            {"format": "ctexchange.names.candidate-index", "keys_version": KEYS_VERSION, "entities": []}
        ).encode(),
        json.dumps(
            {
                "format": "ctexchange.names.candidate-index",
                "keys_version": KEYS_VERSION,
                "entities": {"x": ["zz"]},
            }
        ).encode(),
    ],
)
def test_from_bytes_refuses_anything_else(data: bytes) -> None:
    """Pickles, other formats, other key versions and malformed entries are refused."""
    with pytest.raises(InvalidInput):
        CandidateIndex.from_bytes(data)


entity_sets = st.lists(records(), min_size=1, max_size=6).map(
    lambda rs: {f"e{i}": dataclasses.replace(r, listing=Listing("test", f"T.{i}")) for i, r in enumerate(rs)}
)


@settings(max_examples=40, deadline=None)
@given(entity_sets)
def test_exact_primary_names_are_always_candidates(entities: dict[str, EntityRecord]) -> None:
    """Every record whose exact primary name is queried comes back among the candidates."""
    index = _index(entities)
    for entity_id, record in entities.items():
        query = ScreeningQuery(record.schema, (record.primary_name,))
        assert entity_id in index.candidates(query, limit=len(entities))


@settings(max_examples=40, deadline=None)
@given(entity_sets, st.randoms(use_true_random=False))
def test_add_and_remove_in_any_order_equal_building_from_scratch(
    entities: dict[str, EntityRecord], rng: Random
) -> None:
    """Adding, re-adding and removing in any order leaves the index built from what remains."""
    ids = list(entities)
    kept = set(rng.sample(ids, k=rng.randint(0, len(ids))))
    operations = (
        [("add", i) for i in ids] + [("add", i) for i in ids] + [("remove", i) for i in ids if i not in kept]
    )
    rng.shuffle(operations)
    index = CandidateIndex()
    for operation, entity_id in operations:
        if operation == "add":
            index.add(entity_id, entities[entity_id])
        else:
            index.remove(entity_id)
    for entity_id in ids:  # the last word for each id: present exactly when kept
        if entity_id in kept:
            index.add(entity_id, entities[entity_id])
        else:
            index.remove(entity_id)
    expected = _index({i: entities[i] for i in ids if i in kept})
    assert index.to_bytes() == expected.to_bytes()
    for record in entities.values():
        query = ScreeningQuery(record.schema, (record.primary_name,))
        assert index.candidates(query) == expected.candidates(query)


@settings(max_examples=30, deadline=None)
@given(entity_sets)
def test_bytes_round_trip_for_any_records(entities: dict[str, EntityRecord]) -> None:
    """to_bytes/from_bytes round-trips whatever the records hold."""
    index = _index(entities)
    assert CandidateIndex.from_bytes(index.to_bytes()).to_bytes() == index.to_bytes()


def test_original_script_names_are_indexed() -> None:
    """A record's name in original script is indexed like its other names."""
    record = EntityRecord(
        schema=PERSON,
        names=(EntityName("TARKHAN GAZIEV"), EntityName("Тархан Газиев", NameType.ORIGINAL_SCRIPT)),
        listing=Listing("UN", "QDi.366"),
    )
    assert "n:тархан газиев" in record_keys(record)


def _reference_candidates(entities: dict[str, EntityRecord], query: ScreeningQuery, limit: int) -> list[str]:
    """The ranking written plainly: shared keys weighted by rarity, rarest keys first, ties by id."""
    keys = {entity_id: record_keys(record) for entity_id, record in entities.items()}
    postings: dict[str, set[str]] = {}
    for entity_id, entity_keys in keys.items():
        for key in entity_keys:
            postings.setdefault(key, set()).add(entity_id)
    found = sorted((len(postings[k]), k) for k in query_keys(query) if k in postings)
    scores: dict[str, float] = {}
    read = 0
    for count, key in found:
        if read and read + count > MAX_POSTINGS:
            break
        read += count
        weight = KEY_WEIGHTS[key[0]] * math.log(1 + len(keys) / count)
        for entity_id in sorted(postings[key]):
            scores[entity_id] = scores.get(entity_id, 0.0) + weight
    return [e for e, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))][:limit]


@settings(max_examples=40, deadline=None)
@given(entity_sets, st.integers(1, 4))
def test_candidates_equal_the_plain_ranking(entities: dict[str, EntityRecord], limit: int) -> None:
    """The vectorised ranking returns what the plain loop over postings returns, in the same order."""
    index = _index(entities)
    for record in entities.values():
        for name in record.names:
            query = ScreeningQuery(record.schema, (name.text,))
            assert index.candidates(query, limit) == _reference_candidates(entities, query, limit)


def test_the_index_keeps_entities_prepared() -> None:
    """An added entity is kept prepared for scoring; a removed one is forgotten."""
    index = _index(LIST)
    prepared = index.entity("qdi-1")
    assert prepared is not None and prepared.record is LIST["qdi-1"]
    index.remove("qdi-1")
    assert index.entity("qdi-1") is None
