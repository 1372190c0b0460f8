"""Normalisation: one spelling for what only looks different, and the script of a text."""

from __future__ import annotations

import pytest

from ctexchange.engines.names.normalize import fold_arabic, normalize_document, normalize_name, script_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Abdul-Rahman  AL-Masri ", "abdul rahman al masri"),
        ("ＭＯＨＡＭＭＥＤ", "mohammed"),  # full-width letters
        ("Jama'a Nusrat", "jamaa nusrat"),  # apostrophes join
        ("O’Brien, Sean.", "obrien sean"),
        ("Abd\u200c al\u200f-Rahman\u202e", "abd al rahman"),  # ZWNJ and bidi controls vanish
        ("Ёлкин Пётр", "елкин петр"),
        ("Straße", "strasse"),  # casefold
        ("٢٠٢٤", "2024"),  # Arabic-Indic digits
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    """Case, width, punctuation, invisible characters and ё are folded; words are single-spaced."""
    assert normalize_name(raw) == expected


def test_hyphens_kept_on_request() -> None:
    """With keep_hyphens, a hyphen between words survives so that al- and ad- can be recognised."""
    assert normalize_name("Saif - al-Din  ad-Dawla", keep_hyphens=True) == "saif-al-din ad-dawla"
    assert normalize_name("-al-", keep_hyphens=True) == "al"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("مُحَمَّد", "محمد"),  # tashkeel
        ("محـــمد", "محمد"),  # tatweel
        ("أحمد إبراهيم آدم", "احمد ابراهيم ادم"),  # alef forms
        ("مصطفى", "مصطفي"),  # alef maqsura
        ("فاطمة", "فاطمه"),  # ta marbuta
        ("کاکا زادہ", "كاكا زاده"),  # Persian kaf, Urdu gol he
        ("حقانی", "حقاني"),  # Persian ya
        ("مسؤول رئيس", "مسوول رييس"),  # hamza seats
    ],
)
def test_fold_arabic(raw: str, expected: str) -> None:
    """Marks go; alef, hamza, ya, ha and kaf forms of Arabic, Persian and Urdu become one letter each."""
    assert fold_arabic(raw) == expected


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Mohammed", "latin"),
        ("Müller", "latin"),
        ("محمد", "arabic"),
        ("عبدالولی", "arabic"),
        ("Путин", "cyrillic"),
        ("习近平", "han"),
        ("張學良", "han"),
        ("김철삼", "hangul"),
        ("Ελένη", "other"),
        ("1234", "latin"),
        ("Jin 金铁三四", "han"),
        ("Jin 金铁三", "latin"),  # a tie goes to the first script met
    ],
)
def test_script_of(text: str, script: str) -> None:
    """The script of most letters wins; text without letters counts as Latin."""
    assert script_of(text) == script


def test_normalize_document() -> None:
    """Spaces, dashes, dots and case do not make two document numbers different."""
    assert normalize_document(" ab-123 456.7 ") == normalize_document("AB1234567") == "AB1234567"
