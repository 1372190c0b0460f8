"""Upper bounds of name scores: which candidates cannot reach the cutoff, found without aligning them.

A screening query scores its candidates (`index`) one by one, and the full comparison (`compare`) costs
about a tenth of a millisecond per pair of names in Python. Most candidates share one common word with
the query and score far below the threshold; this module proves that cheaply, in a few numpy operations
over all candidates at once, so that the full comparison runs only where it can matter. A candidate is
skipped only when its score provably cannot reach the cutoff: the bound is proved, not estimated.

How:
- Token similarity is the mean of Jaro-Winkler and normalised Levenshtein over one view of the two
  tokens (spelling, canonical spelling, consonant skeleton), times a factor of at most 1. For two
  strings with `c` letters in common (as multisets) and lengths `m` and `n`: Jaro is at most
  (c/m + c/n + 1) / 3, Jaro-Winkler adds at most 0.4 of the rest, and only when the first letters
  agree, and Levenshtein similarity is at most c / max(m, n) (every letter of the longer string that is
  not kept costs an edit). A view's letters are a bitset (bit k of a letter is set when the letter
  occurs more than k times; further occurrences are counted apart), so `c` is the popcount of an AND,
  for every view of every query token against every view of every candidate's tokens in one matrix.
  Spellings and skeletons use disjoint bits and first-letter codes, so that the two kinds never pair;
  pairing a spelling with a canonical spelling, or a string without its Abd with a string that has
  none (`compare.text_similarity`), only loosens the bound.
- A name's score is a weighted mean over aligned pairs and unaligned tokens (`compare._greedy`). It
  reaches λ only if the sum over aligned pairs of weight x (credit - λ), minus λ times the weight of the
  unaligned tokens, is at least 0. Leaving out what the listed side's unaligned tokens subtract, that
  sum is at most the sum over the query's tokens of the best each can do: stay unaligned, or pair with a
  token of the entity at that token's credit bound (a joined pair of query tokens shares its value
  between them). Each entity has its own λ: the cutoff, less the most its other features can add,
  divided by its best name quality factor (`score.screen_prepared`).
- Pairs whose similarity letters do not bound are given the best credit where they may occur: an
  initial (by its first letter), two generic words of organizations of one meaning (network, شبکه),
  one spelling in a token that writes its vowels and in one that does not (equal texts score 1). An
  exact name, or an organization's acronym, is never pruned. Scores are rounded to four decimals and
  the matrix is in float32, so the cutoff is lowered by `ROUNDING_MARGIN` and every bound raised by
  1e-4. The tests check the bound against the full comparison on random names (`tests/engines/names`).
- Many queries are bounded together (`may_reach_many`): every pair of an entity's view and a query's
  view, for all the queries of a batch, laid out flat so that the maxima over views and units are
  `reduceat`s over contiguous runs; a batch pays numpy's cost per call once per chunk (`MAX_ELEMENTS`
  pairs), not once per query, and each query's verdicts are those it gets alone. The same function
  bounds an entity's names one by one (`score.screen_many`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ctexchange.engines.names.compare import (
    CREDIT_FLOOR,
    EXTRA_WEIGHT,
    JOINED_FACTOR,
    MIN_JOINED,
    MIN_PAIR,
    SKELETON_CROSS_SCRIPT,
    SKELETON_SAME_SCRIPT,
    PreparedName,
    Unit,
)
from ctexchange.engines.names.tokens import Token

ROUNDING_MARGIN = 0.001
_ABD = re.compile(r"^(abd[aeiou]?l?|'bd(al)?)(?=..)")
# Bit layout: spellings use 28 slots of 3 levels (bits 0-83), skeletons 22 slots of 2 levels (84-127).
_SPELLING_SLOTS = "abcdefghijklmnopqrstuvwxyz"  # then two shared slots for anything else
_SKELETON_SLOTS = "abdfhjklmnrstxyzcgpqvw"  # consonant classes; the last slots are shared by the rest
_LEVELS = (3, 2)
_OFFSETS = (0, 84)
_FIRST_OFFSET = 1 << 16  # added to a skeleton's first letter: it never equals a spelling's
_NEVER = np.float32(-1e9)  # the value of a pairing that cannot happen

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.intp]
Bits = npt.NDArray[np.uint64]
View = tuple[tuple[int, int], tuple[float, ...]]  # bits (low, high), and the row's `Rows.values`


@dataclass(frozen=True, slots=True)
class Rows:
    """Views of tokens, one row each."""

    bits: Bits  # (rows, 2): the letters' bitset in two halves
    values: Floats  # (rows, 7): beyond the bitset, 1 / (3 x length), length, first letter, vowelled,
    # and half the row's factor against a query token that writes its vowels, and one that does not


def _slot(char: str, kind: int) -> int:
    slots = (_SPELLING_SLOTS, _SKELETON_SLOTS)[kind]
    slot = slots.find(char)
    if slot < 0:  # digits, the ayn and anything else share two slots: sharing only loosens the bound
        slot = len(slots) + ord(char) % 2 if kind == 0 else len(slots) - 1 - ord(char) % 2
    return slot


def _char_bits(char: str, kind: int) -> tuple[int, ...]:
    """The bit of each occurrence of `char` in a view of `kind`, as many as the bitset counts."""
    base = _OFFSETS[kind] + _slot(char, kind) * _LEVELS[kind]
    return tuple(1 << (base + level) for level in range(_LEVELS[kind]))


_CHAR_BITS = tuple({chr(code): _char_bits(chr(code), kind) for code in range(128)} for kind in (0, 1))


def _bits(text: str, kind: int) -> tuple[int, int, int]:
    """The bitset of a view's letters (two 64-bit halves) and the occurrences it does not count."""
    table, levels = _CHAR_BITS[kind], _LEVELS[kind]
    seen: dict[str, int] = {}
    bits = 0
    overflow = 0
    for char in text:
        count = seen.get(char, 0)
        seen[char] = count + 1
        if count < levels:
            bits |= (table.get(char) or _char_bits(char, kind))[count]
        else:
            overflow += 1
    return bits & (2**64 - 1), bits >> 64, overflow


@lru_cache(maxsize=262144)
def _views(text: str, kind: int, is_vowelled: bool) -> tuple[View, ...]:
    """The rows of one view string: itself, and itself without its Abd when it starts with one."""
    prefix = _ABD.match(text)
    found = []
    halves = _half_factors(kind, is_vowelled)
    for view in (text, text[prefix.end() :]) if prefix else (text,):
        low, high, overflow = _bits(view, kind)
        first = (ord(view[0]) if view else -1) + kind * _FIRST_OFFSET
        values = (overflow, 1 / (3 * max(len(view), 1)), len(view), first, is_vowelled, *halves)
        found.append(((low, high), values))
    return tuple(found)


@lru_cache(maxsize=262144)
def token_views(token: Token) -> tuple[View, ...]:
    """A token's rows: its spelling and canonical spelling, then its consonant skeletons.

    A syllable of Chinese or Korean is compared by its spelling only (`compare._token_similarity`).
    """
    vowelled = token.is_vowelled
    views = _views(token.text, 0, vowelled)
    if token.is_syllabic:
        return views
    if vowelled and token.canonical != token.text:
        views += _views(token.canonical, 0, vowelled)
    for skeleton in token.skeletons:
        views += _views(skeleton.consonants, 1, vowelled)
    return views


_DUMMY: View = ((0, 0), (0, 1 / (3 << 20), 1 << 20, -2, True, 0.5, 0.0))  # pairs with nothing: fills a gap


def make_rows(views: Sequence[View]) -> Rows:
    """Return rows of the given views."""
    bits = np.array([view[0] for view in views], dtype=np.uint64)
    return Rows(bits, np.array([view[1] for view in views], dtype=np.float32))


def _half_factors(kind: int, is_vowelled: bool) -> tuple[float, float]:
    """Half the factor of a row against a vowelled query token, and against an unvowelled one.

    Spellings pair only when both tokens write their vowels or neither does; skeletons are worth
    `SKELETON_SAME_SCRIPT` then, `SKELETON_CROSS_SCRIPT` otherwise. Half: the bound is a mean of two.
    """
    same, cross = (SKELETON_SAME_SCRIPT, SKELETON_CROSS_SCRIPT) if kind else (1.0, 0.0)
    return (same / 2, cross / 2) if is_vowelled else (cross / 2, same / 2)


def similarity_bounds(e: Rows, q: Rows, factors: Floats) -> Floats:
    """Upper bounds of token similarity through each pair of an entity row and a query row.

    See the module's docstring; `factors` holds half the factor of each entity row. The matrix has a
    row per entity row and a column per query row.
    """
    e_index = np.repeat(np.arange(len(e.bits), dtype=np.intp), len(q.bits))
    q_index = np.tile(np.arange(len(q.bits), dtype=np.intp), len(e.bits))
    bound = _element_bounds(e, e_index, q, q_index, factors[e_index])
    return bound.reshape(len(e.bits), len(q.bits))


def _element_bounds(e: Rows, e_index: Ints, q: Rows, q_index: Ints, factors: Floats) -> Floats:
    """The bound of token similarity through entity row `e_index[i]` and query row `q_index[i]`, for
    each i (`factors`: half the factor of each pair's entity row)."""
    e_bits, q_bits = e.bits.T, q.bits.T
    e_values, q_values = e.values.T, q.values.T
    common = np.bitwise_count(e_bits[0].take(e_index) & q_bits[0].take(q_index)).astype(np.float32)
    common += np.bitwise_count(e_bits[1].take(e_index) & q_bits[1].take(q_index))
    if e_values[0].any() and q_values[0].any():  # letters past the bitset's levels
        common += np.minimum(e_values[0].take(e_index), q_values[0].take(q_index))
    jaro = e_values[1].take(e_index)
    jaro += q_values[1].take(q_index)
    jaro *= common
    jaro += np.float32(1 / 3)  # 1/3 without a common letter: then the bound stays under MIN_PAIR
    bound = np.float32(0.4) - np.float32(0.4) * jaro
    bound *= e_values[3].take(e_index) == q_values[3].take(q_index)
    bound += jaro
    common /= np.maximum(e_values[2].take(e_index), q_values[2].take(q_index))
    bound += common
    bound *= factors
    result: Floats = bound
    return result


def factor_column(query: Rows) -> int:
    """Which half factor of the entity rows applies against these query rows (`Rows.values` column):
    5 for a query whose tokens write their vowels, 6 for one whose tokens do not; -1 for a query of
    both, against which the larger applies."""
    vowelled = query.values[:, 4]
    return 5 if vowelled.all() else 6 if not vowelled.any() else -1


@dataclass(frozen=True)
class EntityBounds:
    """What the bound needs of one entity, computed once when the entity is prepared.

    Its rows: those of its single tokens, then from `split` on those of its joined units; neither part
    is empty.
    """

    rows: Rows
    split: int
    weights: tuple[float, float, float, float]  # highest and lowest weight of single, then joined units
    initials: frozenset[str]  # first letters of the entity's initials
    concepts: frozenset[str]  # meanings of its generic words (`tokens.ORG_CONCEPTS`)
    spellings: frozenset[tuple[str, bool]]  # its units' spellings, and whether they write vowels
    min_tokens: int  # fewest tokens of any of its names' forms
    exact: frozenset[str]
    acronyms: frozenset[str]  # acronyms of its names, and its short names read as acronyms


def entity_bounds(names: Iterable[PreparedName]) -> EntityBounds:
    """Return the bound's view of an entity with these names."""
    names = tuple(names)
    single: dict[int, Token] = {}
    joined: dict[int, Token] = {}
    for unit in _all_units(names):
        (joined if unit.is_joined else single).setdefault(unit.token.key, unit.token)
    # a view shared by several tokens (the skeleton of Mohammed and of Muhammad) needs one row
    first = list(dict.fromkeys(v for t in single.values() if not t.is_initial for v in token_views(t)))
    second = list(dict.fromkeys(v for t in joined.values() for v in token_views(t)))
    first, second = first or [_DUMMY], second or [_DUMMY]
    lengths = [len(form.tokens) for name in names for part in name.parts for form in part.forms]
    return EntityBounds(
        make_rows(first + second),
        len(first),
        (*_spread(single.values()), *_spread(joined.values())),
        frozenset(c for t in single.values() if t.is_initial for c in _first_letters(t)),
        frozenset(t.concept for t in single.values() if t.concept),
        frozenset((t.text, t.is_vowelled) for t in (*single.values(), *joined.values())),
        min(lengths, default=1 << 20),
        frozenset(exact_key(n) for n in names),
        _acronyms(names),
    )


def exact_key(name: PreparedName) -> str:
    """What two names share when `compare` calls them exact: the normalised name, or the raw one."""
    return name.exact or f"\x00{name.text}"


def _all_units(names: Iterable[PreparedName]) -> Iterable[Unit]:
    return (unit for name in names for part in name.parts for form in part.forms for unit in form.units)


def _spread(tokens: Iterable[Token]) -> tuple[float, float]:
    weights = [t.weight for t in tokens] or [1.0]
    return max(weights), min(weights)


@lru_cache(maxsize=262144)
def _first_letters(token: Token) -> frozenset[str]:
    letters = {token.text[:1], token.skeletons[0].consonants[:1]}
    if token.is_vowelled:
        letters.add(token.canonical[:1])
    return frozenset(letters)


def _acronyms(names: Iterable[PreparedName]) -> frozenset[str]:
    found: set[str] = set()
    for name in names:
        for part in name.parts:
            found.update(part.acronyms)
            if part.acronym is not None:
                found.add(part.acronym)
    return frozenset(found)


@dataclass(frozen=True)
class QueryBounds:
    """What the bound needs of a query's names: the rows of their units and the tokens of each form."""

    rows: Rows
    unit_starts: Ints  # first row of each unit
    weights: Floats  # of each unit
    factors: Floats  # of each unit: `JOINED_FACTOR` for a joined unit, 1 for a token
    thresholds: Floats  # of each unit: `MIN_JOINED` for a joined unit, `MIN_PAIR` for a token
    halves: Floats  # of each unit: 0.5 for a joined unit, which covers two tokens, 1 for a token
    can_join: npt.NDArray[np.bool_]  # tokens that are not initials: they may pair with a joined unit
    initials: tuple[tuple[int, frozenset[str] | None], ...]  # single units' first letters; None: initial
    has_initial: bool
    concepts: tuple[tuple[int, str], ...]  # single units that are generic words, and their meanings
    crossed: frozenset[tuple[str, bool]]  # each unit's spelling with the other vowelledness
    spellings: tuple[tuple[str, bool], ...]  # of each unit, as in `crossed`
    token_unit: Ints  # for each token of each form: its unit
    left: Ints  # the joined unit of the token and its left neighbour, or -1
    right: Ints  # the joined unit of the token and its right neighbour, or -1
    token_weight: Floats
    token_length: Ints  # the number of tokens of the token's form
    form_starts: Ints  # first token of each form
    exact: frozenset[str]
    acronyms: frozenset[str]


def query_bounds(names: Sequence[PreparedName]) -> QueryBounds:
    """Return the bound's view of a query with these names."""
    units: dict[tuple[int, bool], int] = {}
    tokens: list[Token] = []
    token_unit: list[int] = []
    left: list[int] = []
    right: list[int] = []
    form_starts: list[int] = []
    token_length: list[int] = []
    for name in names:
        for part in name.parts:
            for form in part.forms:
                form_starts.append(len(token_unit))
                ids = [_unit_id(u, units, tokens) for u in form.units]
                count = len(form.tokens)
                token_unit.extend(ids[:count])
                left.extend([-1, *ids[count:]])
                right.extend([*ids[count:], -1])
                token_length.extend([count] * count)
    joined = [is_joined for _, is_joined in units]
    return QueryBounds(
        make_rows([v for t in tokens for v in token_views(t)] or [_DUMMY]),
        np.cumsum([0] + [len(token_views(t)) for t in tokens[:-1]], dtype=np.intp),
        _floats([t.weight for t in tokens]),
        _floats([JOINED_FACTOR if j else 1.0 for j in joined]),
        _floats([MIN_JOINED if j else MIN_PAIR for j in joined]),
        _floats([0.5 if j else 1.0 for j in joined]),
        np.array([not (j or t.is_initial) for j, t in zip(joined, tokens, strict=True)], dtype=np.bool_),
        tuple(
            (unit, None if token.is_initial else _first_letters(token))
            for unit, (token, is_joined) in enumerate(zip(tokens, joined, strict=True))
            if not is_joined
        ),
        any(t.is_initial for t in tokens),
        tuple((unit, t.concept) for unit, t in enumerate(tokens) if t.concept and not joined[unit]),
        frozenset((t.text, not t.is_vowelled) for t in tokens),
        tuple((t.text, not t.is_vowelled) for t in tokens),
        np.array(token_unit, dtype=np.intp),
        np.array(left, dtype=np.intp),
        np.array(right, dtype=np.intp),
        _floats([tokens[u].weight for u in token_unit]),
        np.array(token_length, dtype=np.intp),
        np.array(form_starts, dtype=np.intp),
        frozenset(exact_key(n) for n in names),
        _acronyms(names),
    )


def _floats(values: list[float]) -> Floats:
    return np.array(values, dtype=np.float32)


def _unit_id(unit: Unit, units: dict[tuple[int, bool], int], tokens: list[Token]) -> int:
    key = (unit.token.key, unit.is_joined)
    found = units.get(key)
    if found is None:
        found = units[key] = len(tokens)
        tokens.append(unit.token)
    return found


def may_reach(query: QueryBounds, entities: Sequence[EntityBounds], lambdas: Floats) -> npt.NDArray[np.bool_]:
    """Whether each entity's best name may score at least its λ against the query's names."""
    return may_reach_many([(query, entities, lambdas)])[0]


Task = tuple[QueryBounds, Sequence[EntityBounds], Floats]
"""One query's bounds, the entities to bound against it, and each entity's λ."""

MAX_ELEMENTS = 1 << 16
"""Pairs of views bounded in one numpy pass at most (a batch is cut into chunks of about this size)."""


def may_reach_many(tasks: Sequence[Task]) -> list[npt.NDArray[np.bool_]]:
    """`may_reach` for many queries at once: for each task, whether each entity may reach its λ.

    The tasks are bounded together, a few numpy operations over all their pairs of views (cut into
    chunks of at most about `MAX_ELEMENTS`), so that a batch of queries pays numpy's cost per call once,
    not once per query; each result is the one `may_reach` gives for that task alone.
    """
    results: list[npt.NDArray[np.bool_]] = []
    chunk: list[int] = []
    size = 0
    for index, (query, entities, lambdas) in enumerate(tasks):
        exact, acronyms = query.exact, query.acronyms
        possible = np.array(
            [not exact.isdisjoint(e.exact) or not acronyms.isdisjoint(e.acronyms) for e in entities],
            dtype=np.bool_,
        )
        possible |= lambdas <= 0
        results.append(possible)
        if not len(query.token_unit) or not entities:
            continue
        chunk.append(index)
        size += len(query.rows.bits) * sum(len(e.rows.bits) for e in entities)
        if size >= MAX_ELEMENTS:
            _reach_chunk(tasks, chunk, results)
            chunk, size = [], 0
    if chunk:
        _reach_chunk(tasks, chunk, results)
    return results


def _ragged(counts: Ints) -> tuple[Ints, Ints, Ints]:
    """For consecutive groups of `counts` items: each item's group, its index in the group, and the
    groups' first items."""
    starts = np.zeros(len(counts), dtype=np.intp)
    np.cumsum(counts[:-1], out=starts[1:])
    group = np.repeat(np.arange(len(counts), dtype=np.intp), counts)
    within = np.arange(len(group), dtype=np.intp) - starts[group]
    return group, within, starts


def _reach_chunk(tasks: Sequence[Task], chunk: list[int], results: list[npt.NDArray[np.bool_]]) -> None:
    """Bound the tasks of `chunk` together and mark in `results` the entities that may reach their λ.

    Layout: a pair is one query and one of its entities; a block is one of the two parts of a pair's
    entity rows (single units, then joined units, `EntityBounds.split`); every block meets every row of
    its query, in the order (block, query row, entity row), so that both maxima are `reduceat`s over
    contiguous runs: over the entity rows of a block, then over the query rows of each query unit.
    """
    queries = [tasks[i][0] for i in chunk]
    entities = [e for i in chunk for e in tasks[i][1]]
    pair_query = np.repeat(np.arange(len(chunk), dtype=np.intp), [len(tasks[i][1]) for i in chunk])
    lambdas = np.concatenate([tasks[i][2] for i in chunk]).astype(np.float32)
    # the queries, side by side: rows, units, tokens and forms, with each query's offsets
    q_rows = np.array([len(q.rows.bits) for q in queries], dtype=np.intp)
    q_units = np.array([len(q.weights) for q in queries], dtype=np.intp)
    q_tokens = np.array([len(q.token_unit) for q in queries], dtype=np.intp)
    row_start, unit_start, token_start = (_starts(c) for c in (q_rows, q_units, q_tokens))
    # each query's entity rows are weighted by the factor for its own tokens' vowelledness
    columns = np.array([factor_column(q.rows) for q in queries], dtype=np.intp)
    # entity rows, block by block (each pair: its single units' rows, then its joined units')
    e_all = Rows(
        np.concatenate([e.rows.bits for e in entities]), np.concatenate([e.rows.values for e in entities])
    )
    q_all = Rows(
        np.concatenate([q.rows.bits for q in queries]), np.concatenate([q.rows.values for q in queries])
    )
    e_rows = np.array([len(e.rows.bits) for e in entities], dtype=np.intp)
    split = np.array([e.split for e in entities], dtype=np.intp)
    block_rows = np.empty(2 * len(entities), dtype=np.intp)
    block_rows[0::2] = split
    block_rows[1::2] = e_rows - split
    block_first_row = _starts(block_rows)
    block_query = np.repeat(pair_query, 2)
    # elements: (block, query row, entity row); a run is one block's entity rows against one query row
    run_block, run_row, runs = _ragged(q_rows[block_query])
    element_run, within, run_start = _ragged(block_rows[run_block])
    e_row = block_first_row[run_block].take(element_run)
    e_row += within
    q_row = (row_start[block_query[run_block]] + run_row).take(element_run)
    values = e_all.values
    factors = np.stack([values[:, 5], values[:, 6], np.maximum(values[:, 5], values[:, 6])], axis=1).ravel()
    column = (columns - 5)[block_query[run_block]]
    column[column < 0] = 2
    factor_index = e_row * 3
    factor_index += column.take(element_run)
    bound = _element_bounds(e_all, e_row, q_all, q_row, factors.take(factor_index))
    # the best over each block's entity rows, for each query row; then over each query unit's rows
    by_row = np.maximum.reduceat(bound, run_start)
    unit_block, unit_index, unit_runs = _ragged(q_units[block_query])
    unit_starts = np.concatenate([q.unit_starts for q in queries])
    by_unit = np.maximum.reduceat(
        by_row, runs[unit_block] + unit_starts[unit_start[block_query[unit_block]] + unit_index]
    )
    by_unit += np.float32(1e-4)  # float32 rounding must not lower a bound
    # the most each query unit can add with each pair's entity (`_pair_values`)
    pair_units = q_units[pair_query]
    unit_pair, unit_of, pair_unit_start = _ragged(pair_units)
    single_sim = by_unit[unit_runs[2 * unit_pair] + unit_of]
    joined_sim = by_unit[unit_runs[2 * unit_pair + 1] + unit_of]
    q_unit = unit_start[pair_query[unit_pair]] + unit_of
    u_weights = np.concatenate([q.weights for q in queries])[q_unit]
    weights = np.array([e.weights for e in entities], dtype=np.float32)[unit_pair]
    unit_lambdas = lambdas[unit_pair]
    single = _values(
        single_sim * np.concatenate([q.factors for q in queries])[q_unit],
        np.concatenate([q.thresholds for q in queries])[q_unit],
        unit_lambdas,
        weights[:, 0],
        weights[:, 1],
        u_weights,
    )
    joined = _values(
        joined_sim * np.float32(JOINED_FACTOR),
        MIN_JOINED,
        unit_lambdas,
        weights[:, 2],
        weights[:, 3],
        u_weights,
    )
    joined[~np.concatenate([q.can_join for q in queries])[q_unit]] = _NEVER
    best = np.empty(len(single) + 1, dtype=np.float32)  # the last: a missing joined neighbour
    np.maximum(single, joined, out=best[:-1])
    best[:-1] *= np.concatenate([q.halves for q in queries])[q_unit]
    best[-1] = _NEVER
    _special_pairs(tasks, chunk, pair_unit_start, best)
    reached = _form_sums(queries, entities, pair_query, lambdas, pair_unit_start, token_start, best)
    offset = 0
    for i in chunk:
        count = len(tasks[i][1])
        results[i] |= reached[offset : offset + count]
        offset += count


def _starts(counts: Ints) -> Ints:
    starts = np.zeros(len(counts), dtype=np.intp)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _values(
    similarity: Floats, threshold: Floats | float, lambdas: Floats, high: Floats, low: Floats, weights: Floats
) -> Floats:
    """The most each pair can add: weight x (credit - λ), or `_NEVER` where it cannot be a pair.

    The entity's unit weighs its highest weight (`high`) when the credit exceeds λ, its lowest (`low`)
    otherwise: either way no unit of the entity can add more.
    """
    margin = np.maximum((similarity - CREDIT_FLOOR) * (1 / (1 - CREDIT_FLOOR)), 0)  # the credit
    margin -= lambdas
    value = np.where(margin >= 0, high, low)
    value += weights
    value *= margin
    value *= 0.5
    return np.where(similarity < threshold, _NEVER, value)


def _special_pairs(tasks: Sequence[Task], chunk: list[int], pair_unit_start: Ints, best: Floats) -> None:
    """Pairs that letters do not bound, at the best credit: initials (by first letter), generic words
    of organizations of one meaning (`tokens.ORG_CONCEPTS`), and one spelling of a token that writes
    its vowels and of one that does not (equal texts are similar whatever their scripts)."""
    pair = 0
    starts = pair_unit_start.tolist()
    for i in chunk:
        query, entities, lambdas = tasks[i]
        weights = halves = None
        for row, entity in enumerate(entities):
            pair += 1
            crossed = not entity.spellings.isdisjoint(query.crossed)
            if not (query.has_initial or query.concepts or entity.initials or crossed):
                continue
            if weights is None or halves is None:
                weights, halves = query.weights.tolist(), query.halves.tolist()
            margin = 1 - float(lambdas[row])
            high, low = max(entity.weights[0], entity.weights[2]), min(entity.weights[1], entity.weights[3])
            other = high if margin >= 0 else low
            units = [unit for unit, letters in query.initials if letters is None or entity.initials & letters]
            units += [unit for unit, concept in query.concepts if concept in entity.concepts]
            if crossed:
                units += [
                    unit for unit, spelling in enumerate(query.spellings) if spelling in entity.spellings
                ]
            start = starts[pair - 1]
            for unit in units:
                value = (weights[unit] + other) / 2 * margin * halves[unit]
                best[start + unit] = max(best[start + unit], value)


def _form_sums(
    queries: Sequence[QueryBounds],
    entities: Sequence[EntityBounds],
    pair_query: Ints,
    lambdas: Floats,
    pair_unit_start: Ints,
    token_start: Ints,
    best: Floats,
) -> npt.NDArray[np.bool_]:
    """Whether, for some form of the query, the sum over its tokens of the best each can do is >= 0."""
    q_tokens = np.array([len(q.token_unit) for q in queries], dtype=np.intp)
    token_pair, token_of, pair_token_start = _ragged(q_tokens[pair_query])
    q_token = token_start[pair_query[token_pair]] + token_of
    min_tokens = np.array([e.min_tokens for e in entities], dtype=np.intp)[token_pair]
    length = np.concatenate([q.token_length for q in queries])[q_token]
    unaligned = np.where(length > min_tokens, np.float32(EXTRA_WEIGHT), np.float32(1.0))
    unaligned *= np.concatenate([q.token_weight for q in queries])[q_token]
    unaligned *= -lambdas[token_pair]
    never = len(best) - 1
    base = pair_unit_start[token_pair]
    for units in ([q.token_unit for q in queries], [q.left for q in queries], [q.right for q in queries]):
        unit = np.concatenate(units)[q_token]
        np.maximum(unaligned, best[np.where(unit >= 0, base + unit, never)], out=unaligned)
    q_forms = np.array([len(q.form_starts) for q in queries], dtype=np.intp)
    form_pair, form_of, pair_form_start = _ragged(q_forms[pair_query])
    form_starts = np.concatenate([q.form_starts for q in queries])
    form_start = _starts(q_forms)
    sums = np.add.reduceat(
        unaligned, pair_token_start[form_pair] + form_starts[form_start[pair_query[form_pair]] + form_of]
    )
    return np.logical_or.reduceat(sums >= 0, pair_form_start)
