"""The brute-force name comparison: two names in any scripts, a score in [0, 1] and why.

Decisions:
- A name is compared through its renderings (`translit`): the score is the best over every pair of
  renderings, and over the parts of a name written "X (Y)" (an alias or acronym in brackets).
- Token similarity (`token_similarity`) is the best of: Jaro-Winkler and normalised Levenshtein (their
  mean) over the spellings when both tokens write their vowels, the same over the canonical spellings
  (Mohammed ~ Muhammad), and the similarity of the consonant skeletons, worth less when both sides are
  in one script, whose spellings could have told them apart (x0.85), than when one is Arabic script and
  the other is not (x0.95, minus 0.2 for each long vowel the other spelling contradicts). An initial
  matches a word with that first letter.
- Tokens are aligned by greedy assignment on the similarity matrix, best pair first, where a unit is a
  token or two neighbouring tokens joined (Abd al Malik ~ Abdulmalik, Abu Bakr ~ Abubakr). Pairs below
  `MIN_PAIR` stay unaligned, and a joined unit must be a strong match (`MIN_JOINED`): it stands for
  one word spelt in two ways, and would otherwise swallow an unmatched neighbour; an initial stands for
  one word only. Greedy is rerun with each of the best pairs forced first and the best outcome kept
  (`align`): it stays cheap for the few tokens of a name, and deterministic (ties go to the earlier
  tokens).
- Organizations (`is_organization`): legal forms removed, stopwords dropped, generic words (Islamic,
  Group, Front) weighing little, and a one-word name that is the acronym of the other scores 0.85.
- The score is a weighted mean of the aligned pairs' similarities, rescaled so that a weak pair counts
  for little (`_credit`: a similarity of 0.5 or less counts 0): a token weighs 1.0, less when common
  (Muhammad 0.5), an initial (0.5), a title (Haji 0.3) or a particle (bin 0.2).
  Unaligned tokens count as 0: with full weight on the side that has fewer tokens (a missing surname is
  a mismatch), with `EXTRA_WEIGHT` of their weight on the other side (a list's full name carries
  middle names and tribal names that a query often leaves out).
- Symmetry is built in: the pair is put in a fixed order before comparing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler, Levenshtein

from ctexchange.engines.names.normalize import normalize_name
from ctexchange.engines.names.organizations import acronyms, as_acronym, strip_legal_forms
from ctexchange.engines.names.tokens import Token, join, tokenize
from ctexchange.engines.names.translit import renderings
from ctexchange.engines.names.variants import Skeleton, vowel_conflicts

MIN_PAIR = 0.55
MIN_JOINED = 0.8
EXTRA_WEIGHT = 0.3
SKELETON_SAME_SCRIPT = 0.85
SKELETON_CROSS_SCRIPT = 0.95
SKELETON_ALTERNATIVE = 0.97
VOWEL_CONFLICT_PENALTY = 0.2
INITIAL_SCORE = 0.9
JOINED_FACTOR = 0.99
ACRONYM_SCORE = 0.85
MAX_FORCED = 24
_CREDIT_FLOOR = 0.5
_ABD = re.compile(r"^(abd[aeiou]?l?|'bd(al)?)(?=..)")
_PARENTHESES = re.compile(r"[(\[]([^)\]]*)[)\]]")

TokenPair = tuple[str, str, float]


@dataclass(frozen=True)
class NameComparison:
    """The similarity of two names, the aligned tokens and how they were compared."""

    score: float
    pairs: tuple[TokenPair, ...]
    method: str


NO_MATCH = NameComparison(0.0, (), "none")


def compare_names(a: str, b: str, *, is_organization: bool = False) -> NameComparison:
    """Compare two names written in any script; symmetric, deterministic, 1.0 for identical names.

    `is_organization` removes legal-form words first and recognises acronyms (ISIL).
    """
    if (b, a) < (a, b):
        flipped = _compare(b, a, is_organization)
        return NameComparison(flipped.score, tuple((y, x, s) for x, y, s in flipped.pairs), flipped.method)
    return _compare(a, b, is_organization)


@lru_cache(maxsize=16384)
def _compare(a: str, b: str, is_organization: bool) -> NameComparison:
    if a == b or normalize_name(a) == normalize_name(b) != "":
        return NameComparison(1.0, tuple((t, t, 1.0) for t in normalize_name(a).split()), "exact")
    best = NO_MATCH
    for part_a in name_parts(a):
        for part_b in name_parts(b):
            found = _compare_part(part_a, part_b, is_organization)
            if found.score > best.score:
                best = found
    return best


def name_parts(name: str) -> tuple[str, ...]:
    """Return `name` and, when it has them, its text outside brackets and each bracketed part."""
    inner = [m.strip() for m in _PARENTHESES.findall(name) if m.strip()]
    if not inner:
        return (name,)
    outer = _PARENTHESES.sub(" ", name).strip()
    return tuple(dict.fromkeys([name, outer, *inner]))


def _compare_part(a: str, b: str, is_organization: bool) -> NameComparison:
    if is_organization:
        a, b = strip_legal_forms(a), strip_legal_forms(b)
    best = NO_MATCH
    for tokens_a, label_a in _tokenized(a, is_organization):
        for tokens_b, label_b in _tokenized(b, is_organization):
            found = align(tokens_a, tokens_b)
            if found.score > best.score:
                best = NameComparison(found.score, found.pairs, f"tokens {label_a}~{label_b}")
    if is_organization and best.score < ACRONYM_SCORE:
        for short, long in ((a, b), (b, a)):
            acronym = as_acronym(short)
            if acronym is not None and acronym in acronyms(long):
                return NameComparison(ACRONYM_SCORE, ((acronym, long, ACRONYM_SCORE),), "acronym")
    return best


@lru_cache(maxsize=16384)
def _tokenized(name: str, is_organization: bool) -> tuple[tuple[tuple[Token, ...], str], ...]:
    found = []
    for rendering in renderings(name):
        tokens = tokenize(rendering, is_organization=is_organization)
        if tokens:
            scripts = sorted({w.script for w in rendering})
            found.append((tokens, "+".join(scripts)))
    return tuple(found)


@dataclass(frozen=True)
class _Unit:
    tokens: frozenset[int]
    token: Token
    text: str


def _units(tokens: tuple[Token, ...]) -> list[_Unit]:
    units = [_Unit(frozenset({i}), t, t.text) for i, t in enumerate(tokens)]
    for i in range(len(tokens) - 1):
        joined = join(tokens[i], tokens[i + 1])
        units.append(_Unit(frozenset({i, i + 1}), joined, f"{tokens[i].text} {tokens[i + 1].text}"))
    return units


def align(a: tuple[Token, ...], b: tuple[Token, ...]) -> NameComparison:
    """Align two token sequences and return their weighted score (see the module's decisions).

    Greedy assignment, best pair first, is run once as it is and once forcing each candidate pair to
    be taken first; the best outcome wins. This recovers the common case where greedy alone goes wrong:
    a joined pair (سعد الدين ~ Saduddin) that scores a little less than a single token it overlaps.
    """
    if not a or not b:
        return NO_MATCH
    candidates: list[tuple[float, _Unit, _Unit]] = []
    for unit_a in _units(a):
        for unit_b in _units(b):
            if len(unit_a.tokens) > 1 and len(unit_b.tokens) > 1:
                continue
            if (unit_a.token.is_initial and len(unit_b.tokens) > 1) or (
                unit_b.token.is_initial and len(unit_a.tokens) > 1
            ):
                continue  # an initial stands for one word
            score = token_similarity(unit_a.token, unit_b.token)
            is_joined = len(unit_a.tokens) + len(unit_b.tokens) > 2
            if is_joined:
                score *= JOINED_FACTOR
            if score >= (MIN_JOINED if is_joined else MIN_PAIR):
                candidates.append((score, unit_a, unit_b))
    candidates.sort(key=lambda c: -c[0])  # stable: ties keep the order of the tokens
    best = _greedy(a, b, candidates, None)
    for forced in candidates[1:MAX_FORCED]:
        found = _greedy(a, b, candidates, forced)
        if found.score > best.score:
            best = found
    return best


def _greedy(
    a: tuple[Token, ...],
    b: tuple[Token, ...],
    candidates: list[tuple[float, _Unit, _Unit]],
    forced: tuple[float, _Unit, _Unit] | None,
) -> NameComparison:
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[TokenPair] = []
    total = 0.0
    weights = 0.0
    for score, unit_a, unit_b in ([forced] if forced else []) + candidates:
        if unit_a.tokens & used_a or unit_b.tokens & used_b:
            continue
        used_a |= unit_a.tokens
        used_b |= unit_b.tokens
        weight = (unit_a.token.weight + unit_b.token.weight) / 2
        total += weight * _credit(score)
        weights += weight
        pairs.append((unit_a.text, unit_b.text, round(score, 4)))
    for tokens, used, is_shorter in ((a, used_a, len(a) <= len(b)), (b, used_b, len(b) <= len(a))):
        factor = 1.0 if is_shorter else EXTRA_WEIGHT
        weights += sum(t.weight * factor for i, t in enumerate(tokens) if i not in used)
    score = total / weights if weights else 0.0
    return NameComparison(round(min(1.0, max(0.0, score)), 4), tuple(pairs), "tokens")


def _credit(similarity: float) -> float:
    """Rescale a pair's similarity so that a weak pair counts for little: [floor, 1] → [0, 1]."""
    return max(0.0, (similarity - _CREDIT_FLOOR) / (1 - _CREDIT_FLOOR))


def token_similarity(a: Token, b: Token) -> float:
    """Return the similarity of two tokens in [0, 1] (symmetric)."""
    if (b.text, b.is_vowelled) < (a.text, a.is_vowelled):
        a, b = b, a
    return _token_similarity(a, b)


@lru_cache(maxsize=262144)
def _token_similarity(a: Token, b: Token) -> float:
    if a.text == b.text:
        return 1.0
    if a.is_initial or b.is_initial:
        return _initial_similarity(a, b)
    best = 0.0
    if a.is_vowelled == b.is_vowelled:
        best = text_similarity(a.text, b.text)
    if a.is_vowelled and b.is_vowelled:
        best = max(best, text_similarity(a.canonical, b.canonical))
    for index_a, skel_a in enumerate(a.skeletons):
        for index_b, skel_b in enumerate(b.skeletons):
            score = _skeleton_similarity(skel_a, a.is_vowelled, skel_b, b.is_vowelled)
            if index_a or index_b:
                score *= SKELETON_ALTERNATIVE
            best = max(best, score)
    return best


def _initial_similarity(a: Token, b: Token) -> float:
    if a.is_initial and b.is_initial:
        return 1.0 if a.skeletons[0].consonants == b.skeletons[0].consonants else 0.0
    first_a, first_b = a.skeletons[0].consonants[:1], b.skeletons[0].consonants[:1]
    return INITIAL_SCORE if first_a == first_b or a.text[:1] == b.text[:1] else 0.0


def _skeleton_similarity(a: Skeleton, a_vowelled: bool, b: Skeleton, b_vowelled: bool) -> float:
    factor = SKELETON_CROSS_SCRIPT if a_vowelled != b_vowelled else SKELETON_SAME_SCRIPT
    if a.consonants != b.consonants:
        return factor * text_similarity(a.consonants, b.consonants)
    if a_vowelled != b_vowelled:
        unvowelled, vowelled = (b, a) if a_vowelled else (a, b)
        return max(0.0, factor - VOWEL_CONFLICT_PENALTY * vowel_conflicts(unvowelled, vowelled))
    return factor


def text_similarity(a: str, b: str) -> float:
    """Return the mean of Jaro-Winkler and normalised Levenshtein similarity of two strings.

    Two compounds of Abd (Abdulrahman, Abdulmanan) are compared on what follows the Abd: it is shared
    by hundreds of names and would otherwise make any two of them look alike.
    """
    if a == b:
        return 1.0
    prefix = _ABD.match(a)
    other = _ABD.match(b)
    if prefix and other:
        a, b = a[prefix.end() :], b[other.end() :]
        if a == b:
            return 1.0
    if not a or not b:
        return 0.0
    jaro: float = JaroWinkler.similarity(a, b)
    levenshtein: float = Levenshtein.normalized_similarity(a, b)
    return (jaro + levenshtein) / 2
