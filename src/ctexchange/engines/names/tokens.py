"""Tokens: the parts of a romanised name, each with the views the comparison needs.

A rendering (`translit.Rendering`) is split into tokens at spaces and hyphens. The Arabic article
written as a word of its own (al, el; ad-, ash-... with their hyphen) is dropped: it is spelt, joined or
left out at will. A one-letter token is an initial. Joined and split spellings (Abdulmalik and Abd al
Malik, Abubakr and Abu Bakr) are not decided here: the comparison also tries each pair of neighbouring
tokens joined (`join`).

A token romanised from Chinese or Korean script is syllabic (`Token.is_syllabic`): its vowels are
written and tell syllables apart, so the comparison does not fold them as it folds romanised Arabic.
Every token has a `key`, an integer derived from its value alone, so that caches of token pairs hash two
integers rather than two tokens.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from ctexchange.engines.names.normalize import Script
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

ORG_CONCEPTS: dict[str, tuple[str, ...]] = {
    "network": ("network", "reseau", "shabaka", "shabakat", "shbk'h"),
    "front": ("front", "jabhat", "jabha", "jabhah", "jbhh", "gbhh"),
    "group": (
        "group",
        "groupe",
        "jamaat",
        "jamaa",
        "jamaah",
        "jma'h",
        "gma'h",
        "majmuat",
        "mjmw'h",
        "mgmw'h",
    ),
    "movement": ("movement", "mouvement", "harakat", "harakah", "haraka", "hrk'h"),
    "organization": ("organization", "organisation", "tanzim", "tanzeem", "tnzym", "munazzamat", "mnzmh"),
    "army": ("army", "armee", "jaish", "jaysh", "jeish", "jysh", "gysh"),
    "state": ("state", "etat", "dawla", "dawlat", "dwlh"),
    "islamic": ("islamic", "islamique", "islamiste", "islami", "islamiya", "islamiyya", "aslamyh", "aslamy"),
    "brigades": ("brigade", "brigades", "kataib", "ktayb", "saraya", "sraya"),
    "exchange": ("exchange", "sarafi", "sarafa", "srafy", "srafh"),
    "office": ("office", "bureau", "maktab", "mktb"),
    "society": ("society", "association", "jamiat", "jamiyat", "jamiyya", "jm'yh", "gm'yh"),
    "foundation": ("foundation", "fondation", "muassasa", "muassasat", "mwss'h"),
    "party": ("party", "parti", "hizb", "hzb"),
    "council": ("council", "majlis", "mjls", "mgls"),
    "committee": ("committee", "lajna", "lajnat", "ljnh", "lgnh"),
    "fighting": ("fighting", "combatant", "combattant", "muqatila", "mqatlh"),
    "people": ("people", "ahl"),
    "charity": ("charity", "charitable", "khairiya", "khayriya", "khyryh"),
    "bank": ("bank", "banque", "bnk", "masraf", "msrf"),
    "union": ("union", "ittihad", "at'had"),
    "supporters": ("supporters", "ansar"),
}
"""Generic words of organizations' names by meaning: English and French words, their Arabic names in
Latin letters, and the Arabic-script words as `translit` renders them. Such names are translated, not
transliterated (Haqqani Network, شبکه حقانی), so two words of one meaning match, and weigh little."""

_CONCEPT_OF = {word: concept for concept, words in ORG_CONCEPTS.items() for word in words}
_ARABIC_PREFIXES = ("al", "ll", "l", "w")  # the article, and li- and wa- joined to a word
ALPHABETIC_SCRIPTS = frozenset({"latin", "cyrillic", "arabic"})
"""Scripts whose one-letter words are initials."""
SYLLABIC_SCRIPTS = frozenset({"han", "hangul"})
"""Scripts written syllable by syllable, whose romanisations write every vowel."""


@dataclass(frozen=True)
class Token:
    """One part of a romanised name."""

    text: str
    is_vowelled: bool
    weight: float
    skeletons: tuple[Skeleton, ...]
    is_initial: bool = False
    """Whether the token is a single letter standing for a word, as in `M. Abdullah`."""
    is_syllabic: bool = False
    """Whether the token is romanised Chinese or Korean: syllables whose vowels tell them apart."""
    concept: str = ""
    """For an organization's generic word, its meaning (`ORG_CONCEPTS`): network for شبکه."""
    key: int = field(default=0, compare=False)
    """An integer unique to the token's value, the key of pair caches: a 128-bit digest of the value,
    the same in every process and run. Not a registry numbering values in turn, which would keep every
    word ever screened: a server's memory would grow with its queries."""

    def __hash__(self) -> int:
        return self.key

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
    is_syllabic: bool = False,
) -> Token:
    """Return the token for one romanised word (lowercase ASCII; `'` marks an Arabic ayn).

    `spelled` is the text the skeletons are taken from when it differs (see `join`). A single letter
    is an initial when `may_be_initial`: not for a syllable of Chinese or Korean (金 U, 우 u), which
    is `is_syllabic`.
    """
    skeletons = skeleton_variants(spelled or text, is_vowelled=is_vowelled)
    is_initial = may_be_initial and len(text) == 1
    weight = INITIAL_WEIGHT if is_initial else word_weight(text, skeletons[0].consonants)
    concept = concept_of(text, is_vowelled) if is_organization else ""
    if is_organization and (concept or text in ORG_GENERIC):
        weight = min(weight, ORG_GENERIC_WEIGHT)
    value = repr((text, is_vowelled, weight, skeletons, is_initial, is_syllabic, concept))
    key = int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=16).digest(), "big")
    return Token(text, is_vowelled, weight, skeletons, is_initial, is_syllabic, concept, key)


def concept_of(text: str, is_vowelled: bool) -> str:
    """Return the meaning of an organization's generic word (`ORG_CONCEPTS`), or ''.

    A word in Arabic script may carry the article or a preposition joined to it (الشبكة, للصرافة).
    """
    found = _CONCEPT_OF.get(text, "")
    if found or is_vowelled:
        return found
    for prefix in _ARABIC_PREFIXES:
        if text.startswith(prefix) and text[len(prefix) :] in _CONCEPT_OF:
            return _CONCEPT_OF[text[len(prefix) :]]
    return ""


def tokenize(rendering: Rendering, *, is_organization: bool = False) -> tuple[Token, ...]:
    """Split a rendering into tokens, dropping free-standing articles (and stopwords of organizations)."""
    parts: list[tuple[str, bool, bool, Script]] = []  # (text, is_vowelled, was_hyphenated, script)
    for word in rendering:
        pieces = [p for p in word.text.split("-") if p]
        for index, piece in enumerate(pieces):
            parts.append((piece, word.is_vowelled, index < len(pieces) - 1, word.script))
    tokens: list[Token] = []
    for index, (text, is_vowelled, hyphenated, script) in enumerate(parts):
        followed = index < len(parts) - 1
        if followed and (text in ARTICLES or (hyphenated and text in HYPHENATED_ARTICLES)):
            continue
        if is_organization and text in ORG_STOPWORDS and len(parts) > 1:
            continue
        token = make_token(
            text,
            is_vowelled,
            is_organization=is_organization,
            may_be_initial=script in ALPHABETIC_SCRIPTS,
            is_syllabic=script in SYLLABIC_SCRIPTS,
        )
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
    is_syllabic = first.is_syllabic and second.is_syllabic
    return make_token(first.text + second.text, is_vowelled, spelled=spelled, is_syllabic=is_syllabic)
