"""Latin renderings of a name in any script: what the comparison and the index work on.

A name is split into words; each word is romanised according to its own script, so a name mixing
scripts ("Jin Tiesan 金铁三") is handled word by word. A word may have several renderings and a name gets
as many renderings as its most ambiguous word (the k-th rendering of the name takes the k-th rendering
of each word, or its last one).

Decisions:
- Arabic: ICU's Arabic-Latin followed by Latin-ASCII ("محمد عبد الله" → "mhmd 'bd allh"), the ayn
  kept as an apostrophe (it stands for a vowel at the start of a romanised word: Abd, Omar), and an
  apostrophe put between two letters that would otherwise read as a digraph (طه → t'h, Taha). The script
  writes no short vowels, so the comparison relies on consonant skeletons (`variants`); the long vowels
  ا و ي that it does write are kept because they help tell Hasan from Husayn. Where a word has ض, a
  second rendering reads it as z, as Persian, Urdu and Pashto names do (ضیا → Zia, رمضان → Ramazan).
- Cyrillic: ICU's Russian-Latin/BGN (Tarkhan Ismailovich Gaziyev) and the plain Cyrillic-Latin
  (Tarhan Ismailovič Gaziev), both folded to ASCII, the second with č, š, ž, щ, ю, я spelt out so that
  the folding does not merge letters. Passports and lists use either convention.
- Han: pypinyin without tones, ü written u (吕 → lu, as passports write it), surname first. A name of
  two or three characters becomes surname plus joined given name ("jin tiesan"); every name is also
  rendered syllable by syllable, all joined, in Wade-Giles (Taiwan and Hong Kong passports: Chang,
  Hsieh) and with the reading some characters have as a surname only (单 dan, but Shan; 解 Xie).
  Other rarer readings are not used: they turned common given names into other names (英 read yang).
  Traditional and simplified characters both have readings in pypinyin, so OpenCC is not needed.
- Korean Hangul: ICU's Any-Latin (Revised Romanization, South Korean passports: Gim Cheolsam) syllable
  by syllable, surname first like Han, and McCune-Reischauer without its diacritics (Kim Chol Sam),
  the system of the UN and OFAC lists for North Korean names.
- Arabic ج gets a second rendering as g where a word has it: Egyptian names (Gamal) and foreign names
  (جيلمان, Gilman) are written so.
- Latin: folded to ASCII by ICU's Latin-ASCII (ß → ss, ø → o, ł → l), which handles more letters than
  stripping combining marks does; č, ć, š, ś, ş, ž, ż are spelt out first (ch, sh, zh), as Arabic and
  Cyrillic renderings of Slavic and Turkish names sound them.
- Any other script: ICU's Any-Latin followed by Latin-ASCII, a rough but useful rendering.

ICU transliterators are created once and are not thread-safe, so every use holds one lock; results are
cached per word (`functools.lru_cache`), so the lock is rarely taken twice for the same word.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import icu
from pypinyin import Style, lazy_pinyin

from ctexchange.engines.names.normalize import Script, normalize_name, script_of

_ICU_IDS = {
    "arabic": "Arabic-Latin; Latin-ASCII",
    "russian": "Russian-Latin/BGN; Latin-ASCII",
    "cyrillic": "Cyrillic-Latin",
    "ascii": "Latin-ASCII",
    "any": "Any-Latin; Latin-ASCII",
}
_ICU = {name: icu.Transliterator.createInstance(tid) for name, tid in _ICU_IDS.items()}
_ICU_LOCK = threading.Lock()

# Letters of ISO-style Cyrillic-Latin that Latin-ASCII would merge with others (č and c, š and s...).
_CYRILLIC_SPELLED = str.maketrans(
    {"č": "ch", "š": "sh", "ž": "zh", "ŝ": "shch", "û": "yu", "â": "ya", "ë": "yo", "c": "ts"}
)
_NOT_ROMAN = re.compile(r"[^a-z0-9'-]+")
_AYN = str.maketrans({"ʿ": "'"})
_PERSIAN_DAD = str.maketrans({"ض": "ز"})
_EGYPTIAN_JIM = str.maketrans({"ج": "گ"})
# Slavic and Turkish letters that Latin-ASCII would fold to a different sound (č → c, ş → s).
_LATIN_SPELLED = str.maketrans({"č": "ch", "ć": "ch", "š": "sh", "ś": "sh", "ş": "sh", "ž": "zh", "ż": "zh"})
# An Arabic letter romanised s, t, d, k, g or z followed by ح or ه (h) would read as a digraph (sh, th,
# dh, kh, gh, zh): صحراوي is Sahraoui, not Shraoui; طه is Taha. An apostrophe keeps them apart.
_FALSE_DIGRAPH = re.compile("([سصتطدضكگزظ])(?=[حه])")
MAX_RENDERINGS = 6


@dataclass(frozen=True)
class Word:
    """One romanised word: lowercase ASCII letters, digits and inner hyphens, and its source script."""

    text: str
    script: Script

    @property
    def is_vowelled(self) -> bool:
        """Whether the rendering writes the vowels (everything but Arabic script does)."""
        return self.script != "arabic"


Rendering = tuple[Word, ...]


def transliterate(transform: str, text: str) -> str:
    """Apply one of the module's ICU transforms (`arabic`, `russian`, `cyrillic`, `ascii`, `any`)."""
    with _ICU_LOCK:
        result: str = _ICU[transform].transliterate(text)
    return result


def renderings(name: str) -> tuple[Rendering, ...]:
    """Return the Latin renderings of `name`, the most conventional first; () when it has no letters.

    Not cached, unlike each word's (`word_renderings`): whole names are seldom seen twice.
    """
    words = normalize_name(name, keep_hyphens=True).split()
    per_word = [w for w in (word_renderings(word) for word in words) if w]
    if not per_word:
        return ()
    count = min(MAX_RENDERINGS, max(len(w) for w in per_word))
    found: list[Rendering] = []
    for k in range(count):
        rendering = tuple(word for options in per_word for word in options[min(k, len(options) - 1)])
        if rendering and rendering not in found:
            found.append(rendering)
    return tuple(found)


def latin_forms(name: str) -> tuple[str, ...]:
    """Return every Latin rendering of `name` worth comparing, as space-separated lowercase ASCII."""
    forms: list[str] = []
    for rendering in renderings(name):
        text = " ".join(word.text.replace("-", " ") for word in rendering)
        if text not in forms:
            forms.append(text)
    return tuple(forms)


@lru_cache(maxsize=65536)
def word_renderings(word: str) -> tuple[Rendering, ...]:
    """Return the renderings of one normalised word; a Han word may render as several words."""
    script = script_of(word)
    if script == "han":
        return _han(word)
    if script == "arabic":
        word = _FALSE_DIGRAPH.sub(_apart, word)
        texts = [transliterate("arabic", word).translate(_AYN)]
        for letter, reading in (("ض", _PERSIAN_DAD), ("ج", _EGYPTIAN_JIM)):
            if letter in word:
                texts.append(transliterate("arabic", word.translate(reading)).translate(_AYN))
    elif script == "cyrillic":
        texts = [
            transliterate("russian", word),
            transliterate("ascii", transliterate("cyrillic", word).translate(_CYRILLIC_SPELLED)),
        ]
    elif script == "latin":
        texts = [transliterate("ascii", word.translate(_LATIN_SPELLED))]
    elif script == "hangul" and all(_is_hangul(char) for char in word):
        return _syllabic([transliterate("any", char) for char in word], [mccune_reischauer(word)], "hangul")
    else:
        texts = [transliterate("any", word)]
    options: list[Rendering] = []
    for text in texts:
        clean = _roman(text, keep_ayn=script == "arabic")
        if clean and (Word(clean, script),) not in options:
            options.append((Word(clean, script),))
    return tuple(options)


def _roman(text: str, *, keep_ayn: bool = False) -> str:
    """Keep lowercase ASCII letters, digits and inner hyphens; and `'` (an ayn) for Arabic only."""
    roman = _NOT_ROMAN.sub("", text.lower()).strip("-")
    return roman if keep_ayn else roman.replace("'", "")


def _apart(match: re.Match[str]) -> str:
    return match.group(1) + "'"


def _is_hangul(char: str) -> bool:
    return 0xAC00 <= ord(char) <= 0xD7A3


# McCune-Reischauer without breves and apostrophes: initial, medial and final letters of a syllable.
_MR_INITIALS = [
    "k",
    "kk",
    "n",
    "t",
    "tt",
    "r",
    "m",
    "p",
    "pp",
    "s",
    "ss",
    "-",
    "ch",
    "tch",
    "ch",
    "k",
    "t",
    "p",
    "h",
]
_MR_MEDIALS = [
    "a",
    "ae",
    "ya",
    "yae",
    "o",
    "e",
    "yo",
    "ye",
    "o",
    "wa",
    "wae",
    "oe",
    "yo",
    "u",
    "wo",
    "we",
    "wi",
    "yu",
    "u",
    "ui",
    "i",
]
_MR_FINALS = [
    "-",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
]


def mccune_reischauer(word: str) -> list[str]:
    """Return the syllables of a Hangul word in McCune-Reischauer, no diacritics (김철삼: kim chol sam)."""
    syllables = []
    for char in word:
        code = ord(char) - 0xAC00
        initial, medial, final = code // 588, code % 588 // 28, code % 28
        letters = _MR_INITIALS[initial] + _MR_MEDIALS[medial] + _MR_FINALS[final]
        syllables.append(letters.replace("-", ""))
    return syllables


# Characters read otherwise as a surname than in other words (单 is dan, but the surname Shan).
SURNAME_READINGS = {
    "单": "shan", "單": "shan", "解": "xie", "仇": "qiu", "曾": "zeng", "查": "zha", "朴": "piao",
    "区": "ou", "區": "ou", "盖": "ge", "蓋": "ge", "乐": "yue", "樂": "yue", "长": "chang", "長": "chang",
    "重": "chong", "覃": "qin", "尉": "yu", "员": "yun", "員": "yun", "缪": "miao", "繆": "miao",
    "种": "chong", "種": "chong", "秘": "bi", "万": "wan", "萬": "wan", "宁": "ning", "寧": "ning",
    "纪": "ji", "紀": "ji", "那": "na", "莘": "shen", "隗": "wei", "召": "shao", "折": "she", "翟": "zhai",
    "句": "gou", "阚": "kan", "闞": "kan", "燕": "yan", "华": "hua", "華": "hua", "黑": "he", "繁": "po",
    "瞿": "qu", "逄": "pang", "谌": "chen", "諶": "chen", "沈": "shen", "藏": "zang", "薄": "bo",
}  # fmt: skip


def _han(word: str) -> tuple[Rendering, ...]:
    syllables = lazy_pinyin(word, style=Style.NORMAL, errors="default", v_to_u=True)
    wade = lazy_pinyin(word, style=Style.WADEGILES, errors="default", v_to_u=True)
    surname = [SURNAME_READINGS.get(char, syllable) for char, syllable in zip(word, syllables, strict=False)]
    return _syllabic(syllables, [wade, surname], script="han")


def _syllabic(
    syllables: list[str], others: list[list[str]], script: Script = "other"
) -> tuple[Rendering, ...]:
    """Render a name written syllable by syllable: surname first, the given name joined and not."""
    primary = [s for s in (_roman(transliterate("ascii", s)) for s in syllables) if s]
    if not primary:
        return ()
    options: list[list[str]] = []
    if 2 <= len(primary) <= 3:
        options.append([primary[0], "".join(primary[1:])])
    options.append(primary)
    options.append(["".join(primary)])
    options.extend([s for s in (_roman(transliterate("ascii", s)) for s in other) if s] for other in others)
    found: list[Rendering] = []
    for option in options:
        rendering = tuple(Word(s, script) for s in option)
        if rendering and rendering not in found:
            found.append(rendering)
    return tuple(found)
