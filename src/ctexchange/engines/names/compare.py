"""The brute-force name comparison: two names in any scripts, a score in [0, 1] and why.

Decisions:
- A name is compared through its renderings (`translit`): the score is the best over every pair of
  renderings, and over the parts of a name written "X (Y)" (an alias or acronym in brackets).
- Everything about one name that does not depend on the other is computed once (`prepare_name`): its
  parts, their renderings, tokens and joined units, its acronyms. The candidate index prepares every
  listed name when it is added, so a query pays only for its own names and for the comparisons.
- Token similarity (`token_similarity`) is the best of: Jaro-Winkler and normalised Levenshtein (their
  mean) over the spellings when both tokens write their vowels, the same over the canonical spellings
  (Mohammed ~ Muhammad), and the similarity of the consonant skeletons, worth less when both sides are
  in one script, whose spellings could have told them apart (x0.85), than when one is Arabic script and
  the other is not (x0.95, minus 0.2 for each long vowel the other spelling contradicts). An initial
  matches a word with that first letter (or a consonant of its class). A syllable of Chinese or Korean
  is compared by spelling only, and two different spellings count x0.85 (`SYLLABLE_VARIANT`): the
  renderings already spell it in each romanisation system, so a syllable spelt otherwise is most often
  another character (Chol and Choe, Chen and Cheng). Two generic words of organizations of one meaning
  match (network, شبکه). Similarities are cached by the two tokens' integer keys.
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
  middle names and tribal names that a query often leaves out), except where nothing is optional: when
  the shorter name is one word (a compound such as Abd al-Rahman counting as one), and in Chinese and
  Korean names (`_extra_factors`).
- A person's first name (after titles) is their own given name. Two given names aligned to each other
  under `MIN_GIVEN` are two mismatches (brothers share the rest of the chain), and a given name missing
  while the other name's given name aligns with a later part of it counts fully (a father's name is
  the tail of his son's): `_without_other_given_names`, `_shifted`.
- Symmetry is built in: the pair is put in a fixed order before comparing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import JaroWinkler, Levenshtein

from ctexchange.engines.names.normalize import normalize_name
from ctexchange.engines.names.organizations import acronyms, as_acronym, strip_legal_forms
from ctexchange.engines.names.tokens import Token, join, tokenize
from ctexchange.engines.names.translit import renderings
from ctexchange.engines.names.variants import (
    COMPOUND_PREFIXES,
    TITLE_WEIGHT,
    Skeleton,
    glide_conflicts,
    vowel_conflicts,
)

MIN_PAIR = 0.55
MIN_JOINED = 0.8
MIN_GIVEN = 0.7
EXTRA_WEIGHT = 0.3
SKELETON_SAME_SCRIPT = 0.85
SKELETON_CROSS_SCRIPT = 0.95
SKELETON_ALTERNATIVE = 0.97
SYLLABLE_VARIANT = 0.85
VOWEL_CONFLICT_PENALTY = 0.2
INITIAL_SCORE = 0.9
JOINED_FACTOR = 0.99
ACRONYM_SCORE = 0.85
MAX_FORCED = 24
MAX_CACHED_PAIRS = 1 << 18
CREDIT_FLOOR = 0.5
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


@dataclass(frozen=True, slots=True)
class Unit:
    """What the alignment pairs: one token, or two neighbouring tokens joined (`mask` has their bits)."""

    mask: int
    token: Token
    text: str
    is_joined: bool


@dataclass(frozen=True, slots=True, eq=False)
class TokenForm:
    """One rendering of one part of a name: its tokens, their joined units and a label of its scripts."""

    tokens: tuple[Token, ...]
    label: str
    units: tuple[Unit, ...]
    given: int  # a person's: the index of the first token not a title or a particle; -1 if none
    is_syllabic: bool  # every token is a syllable of Chinese or Korean
    words: int  # tokens, a compound (Abd al-Rahman, Abu Bakr) counting as one


def token_form(tokens: tuple[Token, ...], label: str = "", *, is_organization: bool = False) -> TokenForm:
    """Return the form of a token sequence, with its units and what the alignment needs to know."""
    given = -1 if is_organization else next((i for i, t in enumerate(tokens) if t.weight > TITLE_WEIGHT), -1)
    is_syllabic = bool(tokens) and all(t.is_syllabic for t in tokens)
    prefixes = sum(1 for t in tokens[:-1] if t.text in COMPOUND_PREFIXES)
    return TokenForm(tokens, label, units(tokens), given, is_syllabic, len(tokens) - prefixes)


@dataclass(frozen=True, slots=True, eq=False)
class PreparedPart:
    """A name, or one of its bracketed parts, ready to compare (legal forms gone for an organization)."""

    text: str
    forms: tuple[TokenForm, ...]
    acronym: str | None
    acronyms: frozenset[str]


@dataclass(frozen=True, slots=True, eq=False)
class PreparedName:
    """Everything about one name that its comparisons need (`prepare_name`)."""

    text: str
    exact: str
    is_organization: bool
    parts: tuple[PreparedPart, ...]


def compare_names(a: str, b: str, *, is_organization: bool = False) -> NameComparison:
    """Compare two names written in any script; symmetric, deterministic, 1.0 for identical names.

    `is_organization` removes legal-form words first and recognises acronyms (ISIL).
    """
    return compare_prepared(prepare_name(a, is_organization), prepare_name(b, is_organization))


def compare_prepared(a: PreparedName, b: PreparedName) -> NameComparison:
    """Compare two prepared names (prepared alike, as persons or as organizations); see `compare_names`."""
    if b.text < a.text:
        flipped = _compare(b, a)
        return NameComparison(flipped.score, tuple((y, x, s) for x, y, s in flipped.pairs), flipped.method)
    return _compare(a, b)


def prepare_name(name: str, is_organization: bool = False) -> PreparedName:
    """Return `name` split into its parts, rendered, tokenized and joined, ready for `compare_prepared`.

    Not cached: a name is prepared once where it is kept (the index's entities, a prepared query), and
    a cache of whole names holds mostly names screened once, each a tree of small objects that the
    garbage collector would walk again and again. Its words are cached (`tokens.make_token`).
    """
    parts = tuple(_prepare_part(part, is_organization) for part in name_parts(name))
    return PreparedName(name, normalize_name(name), is_organization, parts)


def name_parts(name: str) -> tuple[str, ...]:
    """Return `name` and, when it has them, its text outside brackets and each bracketed part."""
    inner = [m.strip() for m in _PARENTHESES.findall(name) if m.strip()]
    if not inner:
        return (name,)
    outer = _PARENTHESES.sub(" ", name).strip()
    return tuple(dict.fromkeys([name, outer, *inner]))


def _prepare_part(part: str, is_organization: bool) -> PreparedPart:
    if not is_organization:
        return PreparedPart(part, _forms(part, is_organization), None, frozenset())
    text = strip_legal_forms(part)
    return PreparedPart(text, _forms(text, is_organization), as_acronym(text), acronyms(text))


def _forms(text: str, is_organization: bool) -> tuple[TokenForm, ...]:
    forms = []
    for rendering in renderings(text):
        tokens = tokenize(rendering, is_organization=is_organization)
        if tokens:
            label = "+".join(sorted({w.script for w in rendering}))
            forms.append(token_form(tokens, label, is_organization=is_organization))
    return tuple(forms)


def units(tokens: tuple[Token, ...]) -> tuple[Unit, ...]:
    """Return the units of a token sequence: each token, then each pair of neighbours joined."""
    found = [Unit(1 << i, t, t.text, False) for i, t in enumerate(tokens)]
    for i in range(len(tokens) - 1):
        joined = join(tokens[i], tokens[i + 1])
        found.append(Unit(3 << i, joined, f"{tokens[i].text} {tokens[i + 1].text}", True))
    return tuple(found)


def _compare(a: PreparedName, b: PreparedName) -> NameComparison:
    if a.text == b.text or a.exact == b.exact != "":
        return NameComparison(1.0, tuple((t, t, 1.0) for t in a.exact.split()), "exact")
    best = NO_MATCH
    for part_a in a.parts:
        for part_b in b.parts:
            found = _compare_part(part_a, part_b, a.is_organization)
            if found.score > best.score:
                best = found
    return best


def _compare_part(a: PreparedPart, b: PreparedPart, is_organization: bool) -> NameComparison:
    best = NO_MATCH
    for form_a in a.forms:
        for form_b in b.forms:
            found = align_forms(form_a, form_b)
            if found.score > best.score:
                best = NameComparison(found.score, found.pairs, f"tokens {form_a.label}~{form_b.label}")
    if is_organization and best.score < ACRONYM_SCORE:
        for short, long in ((a, b), (b, a)):
            if short.acronym is not None and short.acronym in long.acronyms:
                return NameComparison(ACRONYM_SCORE, ((short.acronym, long.text, ACRONYM_SCORE),), "acronym")
    return best


Candidate = tuple[float, Unit, Unit]


def align(a: tuple[Token, ...], b: tuple[Token, ...]) -> NameComparison:
    """Align two token sequences and return their weighted score (see `align_forms`)."""
    return align_forms(token_form(a), token_form(b))


def align_forms(a: TokenForm, b: TokenForm) -> NameComparison:
    """Align two tokenized forms and return their weighted score (see the module's decisions).

    Greedy assignment, best pair first, is run once as it is and once forcing each candidate pair to
    be taken first; the best outcome wins. This recovers the common case where greedy alone goes wrong:
    a joined pair (سعد الدين ~ Saduddin) that scores a little less than a single token it overlaps.
    A pair that plain greedy took gives plain greedy's outcome when forced, so it is not rerun.
    """
    if not a.tokens or not b.tokens:
        return NO_MATCH
    candidates = _candidates(a.units, b.units)
    best, taken = _greedy(a, b, candidates, None)
    if best.score >= 1.0:
        return best
    for forced in candidates[1:MAX_FORCED]:
        if forced in taken:
            continue
        found, _ = _greedy(a, b, candidates, forced)
        if found.score > best.score:
            best = found
    return best


def _candidates(units_a: tuple[Unit, ...], units_b: tuple[Unit, ...]) -> list[Candidate]:
    """Every pair of units worth aligning, best first (stable: ties keep the order of the tokens)."""
    candidates: list[Candidate] = []
    for unit_a in units_a:
        token_a = unit_a.token
        for unit_b in units_b:
            if unit_a.is_joined or unit_b.is_joined:
                if unit_a.is_joined == unit_b.is_joined or token_a.is_initial or unit_b.token.is_initial:
                    continue  # never two joined units; an initial stands for one word
                score = token_similarity(token_a, unit_b.token) * JOINED_FACTOR
                if score >= MIN_JOINED:
                    candidates.append((score, unit_a, unit_b))
            else:
                score = token_similarity(token_a, unit_b.token)
                if score >= MIN_PAIR:
                    candidates.append((score, unit_a, unit_b))
    candidates.sort(key=_by_score)
    return candidates


def _by_score(candidate: Candidate) -> float:
    return -candidate[0]


def _greedy(
    a: TokenForm, b: TokenForm, candidates: list[Candidate], forced: Candidate | None
) -> tuple[NameComparison, list[Candidate]]:
    used_a = used_b = 0
    taken: list[Candidate] = []
    for candidate in [forced, *candidates] if forced else candidates:
        _, unit_a, unit_b = candidate
        if unit_a.mask & used_a or unit_b.mask & used_b:
            continue
        used_a |= unit_a.mask
        used_b |= unit_b.mask
        taken.append(candidate)
    taken = _without_other_given_names(a, b, taken)
    total = 0.0
    weights = 0.0
    used_a = used_b = 0
    for score, unit_a, unit_b in taken:
        weight = (unit_a.token.weight + unit_b.token.weight) / 2
        total += weight * _credit(score)
        weights += weight
        used_a |= unit_a.mask
        used_b |= unit_b.mask
    factor_a, factor_b = _extra_factors(a, b)
    weights += _unaligned(a, used_a, factor_a, _shifted(a, b, [(u, v) for _, u, v in taken]))
    weights += _unaligned(b, used_b, factor_b, _shifted(b, a, [(v, u) for _, u, v in taken]))
    score = total / weights if weights else 0.0
    pairs = tuple((u.text, v.text, round(s, 4)) for s, u, v in taken)
    return NameComparison(round(min(1.0, max(0.0, score)), 4), pairs, "tokens"), taken


def _without_other_given_names(a: TokenForm, b: TokenForm, taken: list[Candidate]) -> list[Candidate]:
    """Drop a weak pair of the two given names: two different given names are two mismatches.

    In a name of two parts or more the first (after titles) is the person's own given name, and
    brothers and sisters share the rest (Uday and Qusay Saddam Hussein al-Tikriti).
    """
    if a.given < 0 or b.given < 0 or len(a.tokens) < 2 or len(b.tokens) < 2:
        return taken
    given_a, given_b = 1 << a.given, 1 << b.given
    return [c for c in taken if not (c[1].mask == given_a and c[2].mask == given_b and c[0] < MIN_GIVEN)]


def _extra_factors(a: TokenForm, b: TokenForm) -> tuple[float, float]:
    """How much an unaligned token weighs on each side: fully on the shorter side (or both if equal).

    On the longer side `EXTRA_WEIGHT`, since a list's full name carries middle and tribal names that a
    query often leaves out; but fully when the shorter name is one word (one word in common is not a
    name in common; a compound given name, Abd al-Rahman, is one word) and when either name is Chinese
    or Korean, which have no optional parts: a syllable missing is another given name.
    """
    if a.is_syllabic or b.is_syllabic or min(a.words, b.words) == 1:
        return 1.0, 1.0
    return (1.0 if len(a.tokens) <= len(b.tokens) else EXTRA_WEIGHT), (
        1.0 if len(b.tokens) <= len(a.tokens) else EXTRA_WEIGHT
    )


def _shifted(own: TokenForm, other: TokenForm, pairs: list[tuple[Unit, Unit]]) -> int:
    """The given name of `own` if it is unaligned while the other's given name aligns with a later part.

    Then `own` names a son of the other's person (Qusay Saddam Hussein and Saddam Hussein): its given
    name is missing, not an optional middle name, and counts fully. `pairs` are the aligned units, own
    first. Returns the mask of that token, or 0.
    """
    if own.given < 0 or other.given < 0:
        return 0
    given, other_given = 1 << own.given, 1 << other.given
    if any(unit.mask & given for unit, _ in pairs):
        return 0
    aligned = [unit.mask for unit, partner in pairs if partner.mask & other_given]
    return given if aligned and aligned[0] > given else 0


def _unaligned(form: TokenForm, used: int, factor: float, given: int) -> float:
    """The weight of the unaligned tokens, at `factor`; a missing given name (mask `given`) weighs 1."""
    return sum(
        1.0 if given >> i & 1 else t.weight * factor for i, t in enumerate(form.tokens) if not used >> i & 1
    )


def _credit(similarity: float) -> float:
    """Rescale a pair's similarity so that a weak pair counts for little: [floor, 1] → [0, 1]."""
    return max(0.0, (similarity - CREDIT_FLOOR) / (1 - CREDIT_FLOOR))


_SIMILARITIES: dict[tuple[int, int], float] = {}


def clear_similarities() -> None:
    """Forget the cached similarities of token pairs (they are recomputed as needed)."""
    _SIMILARITIES.clear()


def token_similarity(a: Token, b: Token) -> float:
    """Return the similarity of two tokens in [0, 1] (symmetric; cached by the tokens' keys)."""
    key = (a.key, b.key) if a.key <= b.key else (b.key, a.key)
    found = _SIMILARITIES.get(key)
    if found is None:
        if (b.text, b.is_vowelled) < (a.text, a.is_vowelled):
            a, b = b, a
        found = _token_similarity(a, b)
        if len(_SIMILARITIES) >= MAX_CACHED_PAIRS:
            _SIMILARITIES.clear()  # a pure function's cache: starting afresh changes no result
        _SIMILARITIES[key] = found
    return found


def _token_similarity(a: Token, b: Token) -> float:
    if a.text == b.text:
        return 1.0
    if a.is_initial or b.is_initial:
        return _initial_similarity(a, b)
    if a.concept and a.concept == b.concept:
        return 1.0  # one generic word of organizations in two languages (network, شبکه)
    if a.is_syllabic or b.is_syllabic:
        # romanised Chinese and Korean write every vowel: the renderings carry the systems, not folding
        return SYLLABLE_VARIANT * text_similarity(a.text, b.text) if a.is_vowelled == b.is_vowelled else 0.0
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
    """An initial stands for a word with that first letter, or a consonant of its class (Q., Kasim).

    The class of an initial vowel stands for any vowel only in Arabic script, which writes none.
    """
    if a.text[:1] == b.text[:1] or (a.is_vowelled and b.is_vowelled and a.canonical[:1] == b.canonical[:1]):
        same = True
    else:
        first_a, first_b = a.skeletons[0].consonants[:1], b.skeletons[0].consonants[:1]
        same = first_a == first_b and (first_a != "a" or not (a.is_vowelled and b.is_vowelled))
    if not same:
        return 0.0
    return 1.0 if a.is_initial and b.is_initial else INITIAL_SCORE


def _skeleton_similarity(a: Skeleton, a_vowelled: bool, b: Skeleton, b_vowelled: bool) -> float:
    factor = SKELETON_CROSS_SCRIPT if a_vowelled != b_vowelled else SKELETON_SAME_SCRIPT
    if a.consonants != b.consonants:
        return factor * text_similarity(a.consonants, b.consonants)
    if a_vowelled != b_vowelled:
        unvowelled, vowelled = (b, a) if a_vowelled else (a, b)
        return max(0.0, factor - VOWEL_CONFLICT_PENALTY * vowel_conflicts(unvowelled, vowelled))
    if a_vowelled:
        return max(0.0, factor - VOWEL_CONFLICT_PENALTY * glide_conflicts(a, b))
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
