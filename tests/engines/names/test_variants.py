"""Canonical spellings, consonant skeletons, phonetic keys and tokens of romanised names."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ctexchange.engines.names.tokens import join, make_token, tokenize
from ctexchange.engines.names.translit import renderings
from ctexchange.engines.names.variants import (
    CANONICAL_RULES,
    DIGRAPHS,
    canonical_spelling,
    glide_conflicts,
    phonetic_key,
    skeleton,
    skeleton_variants,
    vowel_conflicts,
    word_weight,
)


@pytest.mark.parametrize(
    "spellings",
    [
        ("mohammed", "muhammad", "mohamed", "mohamad", "muhamed", "mohd"),
        ("hussein", "husayn", "hossein", "husein"),
        ("youssef", "yusef"),
        ("djamel", "jamal"),
        ("ahmed", "ahmad"),
        ("abdullah", "abdulla"),
        ("qasim", "kasim"),
    ],
)
def test_canonical_spelling_folds_romanisation_variants(spellings: tuple[str, ...]) -> None:
    """Spellings of one Arabic name fold to one canonical spelling."""
    assert len({canonical_spelling(s) for s in spellings}) == 1


def test_every_rule_says_why() -> None:
    """Every canonical rule and every digraph carries its reason."""
    assert all(why for _, _, why in CANONICAL_RULES)
    assert all(why for _, _, why in DIGRAPHS)


@pytest.mark.parametrize(
    ("latin", "arabic"),
    [
        ("mohammed", "mhmd"),
        ("hussein", "hsyn"),
        ("khalid", "khald"),
        ("ibrahim", "abrahym"),
        ("omar", "'mr"),
        ("qasim", "qasm"),
        ("ghazi", "ghazy"),
        ("usman", "'thman"),
        ("habibullah", "hbyb'llh"),
        ("fatima", "fatmh"),
        ("wali", "wly"),
        ("vali", "wly"),
    ],
)
def test_latin_and_arabic_spellings_share_a_skeleton(latin: str, arabic: str) -> None:
    """The skeleton of a Latin spelling equals that of the ICU rendering of the Arabic-script name."""
    assert skeleton(latin).consonants == skeleton(arabic, is_vowelled=False).consonants


@pytest.mark.parametrize(
    ("word", "is_vowelled", "reading"),
    [
        ("altkryty", False, "tkrt"),  # التكريتي: the article
        ("alaslamyh", False, "aslm"),  # الاسلامية: the alef after the article becomes initial
        ("'bdalrhman", False, "abdrhmn"),  # عبدالرحمان: the article inside a compound
        ("abdulrahman", True, "abdrhmn"),
        ("nuraldin", True, "nrdn"),
        ("abdul", True, "abd"),  # Abdul as a word of its own
        ("eddine", True, "dn"),  # an assimilated article
        ("fathi", True, "ft"),  # th read as two letters (and the last h dropped), not "fs"
        ("'sbh", False, "asbt"),  # ة read t before another word: Asbat
        ("faycal", True, "fsl"),  # c read s: Fayçal
    ],
)
def test_skeleton_variants_cover_articles_and_ambiguous_spellings(
    word: str, is_vowelled: bool, reading: str
) -> None:
    """Article-free and alternative readings are among a word's skeletons."""
    assert reading in [s.consonants for s in skeleton_variants(word, is_vowelled=is_vowelled)]


def test_the_plain_skeleton_comes_first() -> None:
    """The first skeleton is the plain one; the alternatives follow."""
    assert skeleton_variants("altkryty", is_vowelled=False)[0].consonants == "altkrt"


def test_vowel_conflicts() -> None:
    """A Latin vowel that contradicts an Arabic long vowel is a conflict; a missing one is not."""
    husayn = skeleton("hsyn", is_vowelled=False)
    assert vowel_conflicts(husayn, skeleton("hussein")) == 0
    assert vowel_conflicts(husayn, skeleton("hassan")) == 1
    assert vowel_conflicts(husayn, skeleton("hsn")) == 0
    assert vowel_conflicts(skeleton("mstfy", is_vowelled=False), skeleton("mustafa")) == 0  # alef maqsura


def test_phonetic_key_merges_confusable_consonants() -> None:
    """Ramadan and Ramazan, Jamal and Gamal share a phonetic key."""
    assert phonetic_key(skeleton("ramadan").consonants) == phonetic_key(skeleton("ramazan").consonants)
    assert phonetic_key(skeleton("jamal").consonants) == phonetic_key(skeleton("gamal").consonants)


def test_weights() -> None:
    """Particles, titles, initials and the commonest names weigh less than other words."""
    assert word_weight("bin", "bn") < word_weight("haji", "hj") < make_token("m", True).weight
    assert (
        make_token("m", True).weight
        <= word_weight("mohammed", "mhmd")
        < word_weight("zawahiri", "zhr")
        == 1.0
    )


def test_tokenize_drops_articles_and_keeps_particles() -> None:
    """Free-standing and hyphenated articles go; 'bin' stays as a light token; 'al' alone stays."""
    texts = [t.text for t in tokenize(renderings("Khalid bin al-Walid ad-Dawsari")[0])]
    assert texts == ["khalid", "bin", "walid", "dawsari"]
    assert [t.text for t in tokenize(renderings("Ali al")[0])] == ["ali", "al"]
    assert [t.text for t in tokenize(renderings("Ad Dawsari")[0])] == ["ad", "dawsari"]


def test_tokenize_organizations_drops_stopwords_and_lightens_generic_words() -> None:
    """An organization's stopwords go and its generic words weigh little."""
    tokens = tokenize(renderings("Islamic State of Iraq")[0], is_organization=True)
    assert [t.text for t in tokens] == ["islamic", "state", "iraq"]
    assert tokens[0].weight < tokens[2].weight


def test_join_keeps_the_seam() -> None:
    """Joined tokens are read with a seam: Abd + Hamid is not a dh, and an article's alef is silent."""
    abd_hamid = join(make_token("abd", True), make_token("hamid", True))
    assert abd_hamid.text == "abdhamid"
    assert abd_hamid.skeletons[0].consonants == "abdhmd"
    abdullah = join(make_token("'bd", False), make_token("allh", False))
    assert abdullah.skeletons[0].consonants == skeleton("abdullah").consonants
    assert abdullah.skeletons[0].vowels == ("", "", "", "")


def test_tokens_know_initials() -> None:
    """A one-letter token of an alphabet is an initial; a one-letter Chinese or Korean syllable is not."""
    assert make_token("m", True).is_initial
    assert not make_token("mo", True).is_initial
    assert [t.is_initial for t in tokenize(renderings("M. Abdullah")[0])] == [True, False]
    assert [t.is_initial for t in tokenize(renderings("朴建宇")[0])] == [False, False]
    assert [t.is_initial for t in tokenize(renderings("건우")[0])] == [False, False]


def test_final_long_vowels_written_in_arabic_must_be_spelt() -> None:
    """A final ی or ا has its Latin vowel (Mohammadi, Malika); a Latin final i needs a final ی."""
    mohammadi = skeleton("mhmdy", is_vowelled=False)
    assert vowel_conflicts(mohammadi, skeleton("muhammad")) == 1
    assert vowel_conflicts(mohammadi, skeleton("mohammadi")) == 0
    assert vowel_conflicts(skeleton("mlyka", is_vowelled=False), skeleton("maleeq")) >= 1
    assert vowel_conflicts(skeleton("allh", is_vowelled=False), skeleton("ali")) >= 1  # Allah is not Ali
    assert vowel_conflicts(skeleton("mzyd'h", is_vowelled=False), skeleton("mazidih")) == 0  # a final ة


def test_y_and_w_between_vowels_are_consonants() -> None:
    """A y or w between Latin vowels is written in Arabic script, and tells two Latin spellings apart."""
    assert vowel_conflicts(skeleton("allh", is_vowelled=False), skeleton("ayala")) >= 1
    assert glide_conflicts(skeleton("sayyid"), skeleton("said")) == 1
    assert glide_conflicts(skeleton("husayn"), skeleton("hussein")) == 0


def test_token_keys_are_the_same_for_tokens_made_alike_in_any_run() -> None:
    """A token's key follows from its value alone: equal after the cache forgets the token, different
    for another value (vowelledness or organization's weight included), and no registry keeps it."""
    first = make_token("muhammad", True)
    make_token.cache_clear()
    again = make_token("muhammad", True)
    assert again is not first
    assert again.key == first.key and hash(again) == hash(first) and again == first
    others = [make_token("muhamad", True), make_token("muhammad", False), make_token("front", True)]
    others.append(make_token("front", True, is_organization=True))
    assert len({first.key, *(t.key for t in others)}) == 5

    script = "from ctexchange.engines.names.tokens import make_token; print(make_token('muhammad', True).key)"
    for seed in ("1", "2"):  # another process, with another seed of str hashes
        run = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert int(run.stdout) == first.key
