"""Normalisation of names before transliteration: one spelling for what only looks different.

Decisions:
- NFKC first (full-width letters, ligatures, Arabic presentation forms become plain letters), then
  casefold, so that every later step sees one form of each letter.
- Invisible characters are removed, not refused: a name copied from a web page or a PDF often carries a
  left-to-right mark or a zero-width joiner (Persian and Urdu use ZWNJ inside words), and screening must
  still find it. Refusing hostile input is the job of the service (`ctexchange.domain.text`).
- Arabic is folded to the letters that carry identity: short-vowel marks (tashkeel) and tatweel go,
  the alef and hamza forms become bare letters, alef maqsura becomes ya, ta marbuta becomes ha, and the
  Persian, Urdu and Pashto letters become their Arabic counterparts (ک→ك, ی→ي, ۀ→ه...). Names written
  in Kabul, Karachi and Baghdad then transliterate alike.
- Cyrillic ё becomes е, as Russian print usually writes it.
- Apostrophes vanish inside words (they mark an ayn or a hamza in romanised Arabic: Jama'a, Sa'id);
  other punctuation separates words. Hyphens are kept between letters on request, because `al-` and
  assimilated articles (`ad-`, `ash-`...) are recognised by their hyphen.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from ctexchange.domain.text import BIDI_CONTROLS, ZERO_WIDTH

Script = Literal["latin", "arabic", "cyrillic", "han", "hangul", "other"]

# Soft hyphen, combining grapheme joiner, Mongolian vowel separator: invisible too.
_INVISIBLE = frozenset(BIDI_CONTROLS | ZERO_WIDTH | {"\u00ad", "\u034f", "\u180e"})
_APOSTROPHES = frozenset("'’‘ʼʻ`´ʿʾ′")
_HYPHENS = frozenset("-‐‑‒–")

_ARABIC_FOLD = str.maketrans(
    {
        # alef with hamza, madda or wasla, and the rarer alef forms: a bare alef
        "آ": "ا",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ٵ": "ا",
        # hamza on its seat becomes the seat; a lone hamza carries no consonant worth comparing
        "ؤ": "و",
        "ئ": "ي",
        "ء": "",
        # alef maqsura and the Persian, Urdu, Pashto and Kurdish ya forms
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ۍ": "ي",
        "ے": "ي",
        "ێ": "ي",
        # ta marbuta and the ha forms (Urdu do-chashmi he, gol he, Kurdish ae)
        "ة": "ه",
        "ۀ": "ه",
        "ہ": "ه",
        "ھ": "ه",
        "ە": "ه",
        # kaf forms and the Pashto and Urdu retroflex letters
        "ک": "ك",
        "ڪ": "ك",
        "ګ": "گ",
        "ٹ": "ت",
        "ټ": "ت",
        "ډ": "د",
        "ڈ": "د",
        "ړ": "ر",
        "ڑ": "ر",
        "ږ": "ژ",
        "ښ": "ش",
        "ڼ": "ن",
        "ځ": "ج",
        "څ": "س",
        "ۇ": "و",
        "ۆ": "و",
        "ۈ": "و",
        "ۉ": "و",
        "ۋ": "و",
        "ڤ": "ف",
        "ڨ": "ق",
        # tatweel
        "ـ": "",
    }
)
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_CYRILLIC_FOLD = str.maketrans({"ё": "е"})
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_LOOSE_HYPHENS = re.compile(r"\s*-[\s-]*")


def _ascii_table(*, keep_hyphens: bool) -> dict[int, str | None]:
    """What `normalize_name` makes of each ASCII character, after lowercasing."""
    table: dict[int, str | None] = {}
    for code in range(128):
        char = chr(code)
        if char in _APOSTROPHES:
            table[code] = None
        elif char in _HYPHENS:
            table[code] = "-" if keep_hyphens else " "
        elif not char.isalnum():
            table[code] = " "
    return table


_ASCII = _ascii_table(keep_hyphens=False)
_ASCII_HYPHENATED = _ascii_table(keep_hyphens=True)


def fold_arabic(text: str) -> str:
    """Return `text` with Arabic marks removed and Arabic, Persian and Urdu letter forms folded."""
    return _ARABIC_MARKS.sub("", text).translate(_ARABIC_FOLD)


def normalize_name(text: str, *, keep_hyphens: bool = False) -> str:
    """Return `text` folded for comparison: words of letters and digits separated by single spaces.

    With `keep_hyphens`, a hyphen between two words is kept (without spaces) so that articles such as
    `al-` can be told from a word `al`; otherwise it separates words like any punctuation.
    """
    if text.isascii():  # the same result, without the per-character loop (most names of the lists)
        folded = text.lower().translate(_ASCII_HYPHENATED if keep_hyphens else _ASCII)
        if keep_hyphens:
            folded = _LOOSE_HYPHENS.sub("-", folded).strip("- ")
        return _SPACES.sub(" ", folded).strip()
    text = unicodedata.normalize("NFKC", text).casefold()
    chars: list[str] = []
    for char in text:
        if char in _INVISIBLE or char in _APOSTROPHES:
            continue
        if char in _HYPHENS and keep_hyphens:
            chars.append("-")
        elif char.isdigit():
            chars.append(str(unicodedata.digit(char, 0)))
        elif char.isalnum() or unicodedata.category(char).startswith("M"):
            chars.append(char)
        else:
            chars.append(" ")
    folded = fold_arabic("".join(chars)).translate(_CYRILLIC_FOLD)
    if keep_hyphens:
        folded = _LOOSE_HYPHENS.sub("-", folded).strip("- ")
    return _SPACES.sub(" ", folded).strip()


def normalize_document(number: str) -> str:
    """Return an identity document number without spaces, dashes or other punctuation, in uppercase."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", number)).upper()


def script_of(text: str) -> Script:
    """Return the script of most letters of `text`: latin, arabic, cyrillic, han, hangul or other.

    Ties go to the first script met; text without letters (digits only) counts as latin.
    """
    counts: dict[Script, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        script = _script_of_char(char)
        counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "latin"
    return max(counts, key=lambda s: counts[s])


def _script_of_char(char: str) -> Script:
    code = ord(char)
    if code < 0x250 or 0x1E00 <= code <= 0x1EFF:
        return "latin"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF:
        return "arabic"
    if 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    if 0x0400 <= code <= 0x052F or 0x1C80 <= code <= 0x1C8F or 0xA640 <= code <= 0xA69F:
        return "cyrillic"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2FA1F:
        return "han"
    if 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    return "other"
