"""Upper bounds of name scores: never below the true score, and low for names with nothing in common."""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.engines.names.bounds import (
    entity_bounds,
    make_rows,
    may_reach,
    may_reach_many,
    query_bounds,
    similarity_bounds,
    token_views,
)
from ctexchange.engines.names.compare import compare_prepared, prepare_name, token_similarity
from ctexchange.engines.names.tokens import make_token
from tests.engines.names.strategies import names

words = st.text(alphabet="abdeghiklmnoqrstuwyz'", min_size=2, max_size=12).filter(lambda w: w.strip("'"))


@settings(max_examples=200, deadline=None)
@given(words, st.booleans(), words, st.booleans())
def test_similarity_bounds_are_never_below_token_similarity(
    a: str, a_vowelled: bool, b: str, b_vowelled: bool
) -> None:
    """Through some pair of their views, two tokens' bound reaches their true similarity.

    (One spelling in two vowellednesses is 1.0 by equality: `may_reach` pairs those apart.)
    """
    first, second = make_token(a, a_vowelled), make_token(b, b_vowelled)
    if first.text == second.text and first.is_vowelled != second.is_vowelled:
        return
    rows_a, rows_b = make_rows(token_views(first)), make_rows(token_views(second))
    factors = rows_b.values[:, 5] if first.is_vowelled else rows_b.values[:, 6]
    bound = similarity_bounds(rows_b, rows_a, factors).max() + 1e-4
    assert bound >= token_similarity(first, second)


@settings(max_examples=120, deadline=None)
@given(names(), st.lists(names(), min_size=1, max_size=3))
def test_an_entity_reaching_lambda_is_never_pruned(query: str, listed: list[str]) -> None:
    """Whenever the best name scores at least λ, the bound says the entity may reach it."""
    asked = prepare_name(query)
    prepared = [prepare_name(name) for name in listed]
    best = max(compare_prepared(asked, name).score for name in prepared)
    reachable = may_reach(
        query_bounds([asked]), [entity_bounds(prepared)], np.array([best - 0.005], np.float32)
    )
    assert reachable.tolist() == [True]


def test_names_with_nothing_in_common_are_pruned() -> None:
    """A query sharing one common word with a listed name cannot reach 0.6: no alignment is needed."""
    query = query_bounds([prepare_name("John Patrick Smith")])
    entities = [
        entity_bounds([prepare_name("Ahmad Shah Massoud")]),
        entity_bounds([prepare_name("John Smith")]),
    ]
    assert may_reach(query, entities, np.array([0.6, 0.6], np.float32)).tolist() == [False, True]


def test_exact_names_and_acronyms_are_never_pruned() -> None:
    """An exact name, and an organization's acronym, may always reach the threshold."""
    isil = entity_bounds([prepare_name("Islamic State in Iraq and the Levant", True)])
    query = query_bounds([prepare_name("ISIL", True)])
    assert may_reach(query, [isil], np.array([0.8], np.float32)).tolist() == [True]
    same = entity_bounds([prepare_name("...")])
    assert may_reach(query_bounds([prepare_name("...")]), [same], np.array([0.99], np.float32)).tolist() == [
        True
    ]


def test_equal_spellings_across_scripts_are_never_pruned() -> None:
    """ما rendered ma equals the Latin Ma: the pair may reach a high λ though their views differ."""
    query = query_bounds([prepare_name("ما لي")])
    entity = entity_bounds([prepare_name("Ma Li")])
    best = compare_prepared(prepare_name("ما لي"), prepare_name("Ma Li")).score
    assert may_reach(query, [entity], np.array([best - 0.005], np.float32)).tolist() == [True]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(names(), st.lists(st.lists(names(), min_size=1, max_size=3), max_size=4)), max_size=4),
    st.sampled_from([1, 50, 1 << 16]),
    st.floats(0.0, 1.0),
)
def test_many_queries_are_bounded_as_each_alone(
    tasks: list[tuple[str, list[list[str]]]], elements: int, lam: float
) -> None:
    """Bounding several queries in one pass, cut into chunks of any size, gives each query's entities
    the verdicts they get when that query is bounded alone."""
    prepared = [
        (
            query_bounds([prepare_name(query)]),
            [entity_bounds([prepare_name(n) for n in listed]) for listed in entities],
            np.full(len(entities), lam, np.float32),
        )
        for query, entities in tasks
    ]
    with mock.patch("ctexchange.engines.names.bounds.MAX_ELEMENTS", elements):
        together = may_reach_many(prepared)
    alone = [may_reach(query, entities, lambdas) for query, entities, lambdas in prepared]
    assert [r.tolist() for r in together] == [r.tolist() for r in alone]
