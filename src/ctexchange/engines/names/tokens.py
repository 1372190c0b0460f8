"""Tokens: the parts of a romanised name, each with the views the comparison needs.

A rendering (`translit.Rendering`) is split into tokens at spaces and hyphens. The Arabic article
written as a word of its own (al, el; ad-, ash-... with their hyphen) is dropped: it is spelt, joined or
left out at will. A one-letter token is an initial. Joined and split spellings (Abdulmalik and Abd al
Malik, Abubakr and Abu Bakr) are not decided here: the comparison also tries each pair of neighbouring
tokens joined (`join`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ctexchange.engines.names.translit import Rendering
from ctexchange.engines.names.variants import (
    ARTICLES,
    HYPHENATED_ARTICLES,
    INITIAL_WEIGHT,
    Skeleton,
    canonical_spelling,
    skeleton_variants,
    word_weight,
)

ORG_STOPWORDS = frozenset(
    {"of", "the", "and", "for", "in", "on", "at", "to", "a", "an", "wa", "fi", "li", "de", "la", "le",
     "du", "des", "del", "di", "da", "et", "und", "der", "die", "das", "y", "e"}
)  # fmt: skip
"""Words that an organization's name may carry or not (Islamic State *of* Iraq): dropped."""

ORG_GENERIC = frozenset(
    {
        "islamic", "islam", "islami", "state", "group", "army", "front", "movement", "organization",
        "organisation", "foundation", "society", "association", "committee", "council", "union", "party",
        "brigade", "brigades", "battalion", "battalions", "network", "international", "trading", "trade",
        "general", "bank", "shipping", "national", "company", "enterprise", "corporation", "industrial",
        "industry", "development", "charity", "charitable", "relief", "jamaat", "jamaa", "jamaah",
        "jamiat", "harakat", "harakah", "tanzim", "kataib", "ansar", "liwa", "jaish", "hizb",
    }
)  # fmt: skip
"""Words of many organizations' names: kept, but they weigh little (two 'Islamic ... Front' differ)."""

ORG_GENERIC_WEIGHT = 0.3


@dataclass(frozen=True)
class Token:
    """One part of a romanised name."""

    text: str
    is_vowelled: bool
    weight: float
    skeletons: tuple[Skeleton, ...]
    is_initial: bool = False
    """Whether the token is a single letter standing for a word, as in `M. Abdullah`."""

    def __hash__(self) -> int:
        # Tokens are cache keys of every comparison: hash the identifying fields once, not every time.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.text, self.is_vowelled, self.weight, self.skeletons, self.is_initial))
            object.__setattr__(self, "_hash", cached)
        return cached

    @property
    def canonical(self) -> str:
        """The Latin spelling conventions folded (`variants.canonical_spelling`); '' for Arabic script."""
        return canonical_spelling(self.text) if self.is_vowelled else ""


@lru_cache(maxsize=131072)
def make_token(
    text: str,
    is_vowelled: bool,
    *,
    is_organization: bool = False,
    spelled: str | None = None,
    may_be_initial: bool = True,
) -> Token:
    """Return the token for one romanised word (lowercase ASCII; `'` marks an Arabic ayn).

    `spelled` is the text the skeletons are taken from when it differs (see `join`). A single letter
    is an initial when `may_be_initial`: not for a syllable of Chinese or Korean (金 U, 우 u).
    """
    skeletons = skeleton_variants(spelled or text, is_vowelled=is_vowelled)
    is_initial = may_be_initial and len(text) == 1
    weight = INITIAL_WEIGHT if is_initial else word_weight(text, skeletons[0].consonants)
    if is_organization and text in ORG_GENERIC:
        weight = min(weight, ORG_GENERIC_WEIGHT)
    return Token(text, is_vowelled, weight, skeletons, is_initial)


def tokenize(rendering: Rendering, *, is_organization: bool = False) -> tuple[Token, ...]:
    """Split a rendering into tokens, dropping free-standing articles (and stopwords of organizations)."""
    parts: list[tuple[str, bool, bool, bool]] = []  # (text, is_vowelled, was_hyphenated, may_be_initial)
    for word in rendering:
        pieces = [p for p in word.text.split("-") if p]
        for index, piece in enumerate(pieces):
            alphabetic = word.script in ("latin", "cyrillic", "arabic")
            parts.append((piece, word.is_vowelled, index < len(pieces) - 1, alphabetic))
    tokens: list[Token] = []
    for index, (text, is_vowelled, hyphenated, may_be_initial) in enumerate(parts):
        followed = index < len(parts) - 1
        if followed and (text in ARTICLES or (hyphenated and text in HYPHENATED_ARTICLES)):
            continue
        if is_organization and text in ORG_STOPWORDS and len(parts) > 1:
            continue
        token = make_token(text, is_vowelled, is_organization=is_organization, may_be_initial=may_be_initial)
        tokens.append(token)
    return tuple(tokens)


def join(first: Token, second: Token) -> Token:
    """Return the token written when `first` and `second` are joined (Abu Bakr → Abubakr).

    The skeleton keeps the seam (Abd Hamid is not `abdhamid` with a dh), and the alef of an Arabic
    article at the seam is no long vowel (عبد الله → 'bd'llh, Abdullah).
    """
    second_text = second.text
    if not second.is_vowelled and second_text.startswith("al"):
        second_text = second_text[1:]
    is_vowelled = first.is_vowelled and second.is_vowelled
    spelled = f"{first.text}'{second_text}"
    return make_token(first.text + second.text, is_vowelled, spelled=spelled)
