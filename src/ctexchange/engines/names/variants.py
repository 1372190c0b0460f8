"""Spelling variants of romanised names: canonical folding, consonant skeletons and phonetic keys.

Arabic script writes no short vowels and Latin romanisations of one Arabic name vary (Mohammed,
Muhammad, Mohamed, Mohd; Abdul, Abd al, Abdel; Hussein, Husayn, Hossein). Three views of a romanised
word absorb that variation, from precise to coarse:

- `canonical_spelling`: the word with the Latin conventions of French, English and German writers
  folded (dj → j, ou → u, ee → i, doubled letters, e → a, o → u). Compared between two Latin words.
- `skeleton`: the consonants, each folded to a class (q/k/g, kh/h, dh/z, th/s, sh/ch, j/dj/zh...), with
  the vowels written after each consonant kept apart (`Skeleton.vowels`). Arabic script and Latin
  spellings of one name share their skeleton: محمد, Mohammed and Muhammad are all `mhmd`. The written
  vowels then tell apart names that share consonants: حسين writes a long i, so it is Husayn, not Hasan.
- `phonetic_key`: the skeleton with the consonants that transliteration confuses merged further
  (t/d/s/z for ث ذ ض ظ, k/j for ج ق, b/f/v for ف و), used only to find candidates in the index.

Particles (bin, ibn, ben), articles (al-, el-, ad-, ash-...) and titles (Haji, Mullah, Sheikh) are
recognised here so that tokenisation can drop them or weigh them less; the most common given names
weigh less too, since sharing them says little.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Latin spelling conventions, folded in this order. Each rule is (pattern, replacement, why).
CANONICAL_RULES: tuple[tuple[str, str, str], ...] = (
    (r"^(mohd|muhd|mhd|md)$", "muhammad", "abbreviations of Muhammad (Malaysia, South Asia)"),
    (r"dj", "j", "French spelling of ج: Djamel, Djouadi"),
    (r"tch|tsh", "ch", "French and German spellings of the English ch"),
    (r"sch", "sh", "German spelling of ش"),
    (r"ph", "f", "Greek-style f: Mustapha"),
    (r"ou", "u", "French spelling of u: Youssef, Mouloud, Abdou"),
    (r"oo", "u", "English spelling of a long u: Noor, Mahmood"),
    (r"ee", "i", "English spelling of a long i: Hameed, Saeed"),
    (r"ay|ey|ei", "ai", "one diphthong, many spellings: Husayn, Hussein, Zeid, Zayd"),
    (r"(?<=[^aeiou])y(?=[^aeiou]|$)", "i", "y written for the vowel i: Yusyf, Aly"),
    (r"q", "k", "ق written q or k: Qasim, Kasim"),
    (r"(.)\1+", r"\1", "doubled letters: Hassan, Hasan; Mohammed, Mohamed"),
    (r"(?<=.)e", "a", "e written for a: Ahmed, Ahmad; Abdel, Abdal"),
    (r"o", "u", "o written for u: Omar, Umar; Osama, Usama"),
    (r"(?<=[aiu])h$", "", "a final h after a vowel: Abdullah, Abdulla; Hamzah, Hamza"),
)


def _first_group(match: re.Match[str]) -> str:
    return match.group(1)


# A replacement with a group reference is a function: `re` would parse the template at every match.
def _letters(pattern: str) -> tuple[str, ...]:
    """Strings one of which a word must contain for the rule to change it; () when any word may do."""
    if re.fullmatch(r"[a-z|]+", pattern):
        return tuple(pattern.split("|"))
    return {r"^(mohd|muhd|mhd|md)$": ("m",), r"(?<=[^aeiou])y(?=[^aeiou]|$)": ("y",), r"(?<=.)e": ("e",),
            r"(?<=[aiu])h$": ("h",)}.get(pattern, ())  # fmt: skip


_CANONICAL = tuple(
    (re.compile(pattern), _first_group if replacement == r"\1" else replacement, _letters(pattern))
    for pattern, replacement, _ in CANONICAL_RULES
)

# Consonant classes of the skeleton. Digraphs first, longest first; each is (spelling, class, why).
DIGRAPHS: tuple[tuple[str, str, str], ...] = (
    ("shch", "x", "Russian щ"),
    ("sch", "x", "German sh"),
    ("tch", "x", "French ch"),
    ("tsh", "x", "English ch written by a French or German clerk"),
    ("dzh", "j", "Russian дж for j"),
    ("sh", "x", "ش and ш"),
    ("ch", "x", "French ch is ش; English ch is close enough to be confused with it"),
    ("zh", "j", "ژ and ж; Russian clerks write ج as дж or ж"),
    ("dj", "j", "French spelling of ج"),
    ("kh", "h", "خ and х: Khalid, Halid; Tarkhan, Tarhan"),
    ("gh", "k", "غ: Ghali, Gali; merged with the q/k/g class"),
    ("th", "s", "ث: Uthman, Osman, Usman"),
    ("dh", "z", "ذ and ظ: Dhahabi, Zahabi"),
    ("ph", "f", "Greek-style f"),
    ("ck", "k", "English and German ck"),
)
_LETTER_CLASS = {
    "p": "b",  # پ and b/p in Persian and Urdu names
    "q": "k",  # ق: Qasim, Kasim, Gasim
    "g": "k",  # گ and the Gulf and Maghreb g for ق: Gaddafi, Qaddafi
    "c": "k",  # c before a, o, u is hard (Cakir); before e, i, y it is s (`_SOFT_C`)
    "v": "f",  # Arabic and Persian write v with ف (فيكي, Vickie; إيفانوف, Ivanov) or و (Vali)
    "x": "x",  # after "x" → "ks" below, only the sh class uses x
}
LETTER_VOWELS = frozenset("aeiouwy")
_INNER_CLASSES = {**dict.fromkeys("'aeiouwy", ""), **_LETTER_CLASS}  # "" for a vowel inside a word
_X = re.compile("x")
_INNER_ARTICLE = re.compile(r"(?<=.[^aeiouwy'])al(?=..)")  # at index 2 or later, after a consonant
_SOFT_C = re.compile("c(?=[eiy])")  # French and Spanish: Belgacem, Lounici, Faycal (from Fayçal)


@dataclass(frozen=True)
class Skeleton:
    """Consonant classes of a word and, for each, the vowel letters written after it."""

    consonants: str
    vowels: tuple[str, ...]
    has_final_h: bool = False
    """Whether a final h was dropped: what was written after the last consonant is then not known."""

    def without(self, start: int, stop: int) -> Skeleton:
        """Return the skeleton with consonants `start` to `stop` (exclusive) removed, merged at the seam."""
        consonants = self.consonants[:start] + self.consonants[stop:]
        vowels = list(self.vowels[:start] + self.vowels[stop:])
        if 0 < start < len(consonants) and consonants[start - 1] == consonants[start]:
            consonants = consonants[:start] + consonants[start + 1 :]
            vowels[start - 1] += vowels.pop(start)
        return Skeleton(consonants, tuple(vowels), self.has_final_h)


@lru_cache(maxsize=262144)
def canonical_spelling(word: str) -> str:
    """Return `word` (lowercase ASCII) with the spelling conventions of `CANONICAL_RULES` folded."""
    for pattern, replacement, letters in _CANONICAL:
        if not letters or any(letter in word for letter in letters):
            word = pattern.sub(replacement, word)
    return word


@lru_cache(maxsize=65536)
def skeleton(word: str, *, is_vowelled: bool = True) -> Skeleton:
    """Return the consonant skeleton of a romanised word.

    Vowels (and w, y inside a word) are not consonants; an initial vowel, alef or ayn (`'`) becomes the
    class `a`; doubled consonants count once; a final h is dropped (ة, and Abdullah/Abdulla). For a
    Latin word (`is_vowelled`) the initial vowels are also kept as vowels of that `a`; for Arabic script
    the initial alef is only a seat for a short vowel and tells nothing, and so is the alef of an
    article inside a word (عبدالولي: the a of `'bdalwly` is no long vowel).
    """
    text = _X.sub("ks", word.replace("-", ""))
    if not is_vowelled:
        text = _INNER_ARTICLE.sub("'l", text)
    for spelling, digraph_class, _ in DIGRAPHS:
        text = text.replace(spelling, digraph_class.upper())
    text = _SOFT_C.sub("s", text)
    consonants: list[str] = []
    vowels: list[str] = []
    text = text.lower()
    if text:
        first = _class_of(text[0], is_initial=True)
        if first == "a":
            consonants.append("a")
            vowels.append(text[0] if is_vowelled and text[0] in LETTER_VOWELS else "")
        elif first is not None:
            consonants.append(first)
            vowels.append("")
    for char in text[1:]:
        klass = _INNER_CLASSES.get(char, char)
        if not klass:
            if consonants and char != "'":
                vowels[-1] += char
        elif not consonants or consonants[-1] != klass:
            consonants.append(klass)
            vowels.append("")
    has_final_h = len(consonants) >= 2 and consonants[-1] == "h"
    if has_final_h:
        consonants.pop()
        tail = vowels.pop()
        vowels[-1] += tail
    return Skeleton("".join(consonants), tuple(vowels), has_final_h)


def _class_of(char: str, *, is_initial: bool) -> str | None:
    """Return the consonant class of `char`, `a` for an initial vowel, None for a vowel inside a word."""
    if char in "'aeiou" or (char in "wy" and not is_initial):
        return "a" if is_initial else None
    if char == "w":
        return "f"  # an initial و is written w or v: Wali, Vali (v and f are one class)
    if char.isdigit():
        return char
    return _LETTER_CLASS.get(char, char)


@lru_cache(maxsize=65536)
def skeleton_variants(word: str, *, is_vowelled: bool = True) -> tuple[Skeleton, ...]:
    """Return the skeleton of `word` and those of its other plausible readings, the plain one first.

    - Without a leading article: ال in Arabic script (التكريتي → tkrt; الاسلامية → aslm, its alef now
      initial), al/el joined in Latin (Alhassan → hsn) when two consonants remain, and the Latin article
      assimilated to a doubled sun letter (Eddine → dn, Arrahman → rhmn).
    - With Latin th, dh, sh, zh, kh read as two letters: فتحي is Fathi, أدهم is Adham, إسحاق is
      Ishaq, مظهري is Mazhari, لكحل is Lakhal.
    - With a final ة (folded to ه, h) read t, as it is before another word: عصبة الأنصار is Asbat
      al-Ansar, نصرة is Nusrat.
    - With every Latin c read s: a French ç loses its cedilla in lists (Fayçal, FAYCAL).
    - Without an article inside a compound (the first l after the second consonant, unless last):
      عبدالرحمن and Abdulrahman (abdlrhmn) are also abdrhmn, as Abdurrahman is; نورالدين and
      Nuraldin are also nrdn, as Nooruddin is. Latin drops a free-standing al (Nur al-Haq → nrhk), so
      joined spellings (Noorul Haq, نور الحق) need this reading to meet it.
    - Abdul, Abdel, Abdur... written as a word of their own are also abd: the article belongs to the
      next word.
    """
    texts = [word]
    if not is_vowelled and word.startswith("al") and word != "allh" and len(word) > 3:
        texts.append(word[2:])
    if is_vowelled and (word[:2] in ("al", "el") or _ASSIMILATED.match(word)):
        texts.append(word[2:])
    if is_vowelled and _LATIN_DIGRAPH.search(word):
        texts.append(_LATIN_DIGRAPH.sub(_split_digraph, word))
    if not is_vowelled and word.endswith("h") and len(word) >= 3:
        texts.append(word[:-1] + "t")
    if is_vowelled and _HARD_C.search(word):
        texts.append(_HARD_C.sub("s", word))
    found: list[Skeleton] = []
    for index, text in enumerate(texts):
        main = skeleton(text, is_vowelled=is_vowelled)
        if index and is_vowelled and len(main.consonants) < 2 and text != word:
            continue
        found.append(main)
        cons = main.consonants
        inner = cons.find("l", 2)
        if 2 <= inner < len(cons) - 1:
            found.append(main.without(inner, inner + 1))
        if len(cons) == 4 and cons.startswith("abd") and cons[3] in "lrsztnx":
            found.append(main.without(3, 4))
    unique: list[Skeleton] = []
    for item in found:
        if item.consonants and all(item.consonants != u.consonants for u in unique):
            unique.append(item)
    return tuple(unique) or (skeleton(word, is_vowelled=is_vowelled),)


_ASSIMILATED = re.compile(r"^[aeiu]([tdrzsnl])\1")
_DOUBLED = re.compile(r"(.)\1+")


def _split_digraph(match: re.Match[str]) -> str:
    return match.group(1) + "'h"


_LATIN_DIGRAPH = re.compile(r"([tdszk])h")
_HARD_C = re.compile(r"c(?![hk])")


PHONETIC_CLASSES = str.maketrans(
    {
        "d": "t",  # ض read d or z; د and ت confused in Persian and Urdu spellings
        "s": "t",  # ث read s or th (t); ص
        "z": "t",  # ذ ظ ض read z, dh or d
        "j": "k",  # ج read j or g (Egypt); ق read g
        "f": "b",  # ف and پ/ب: Persian f and p; f is also the class of v
    }
)


def phonetic_key(consonants: str) -> str:
    """Return a coarser key than the skeleton's consonants, for finding candidates only."""
    folded = consonants.translate(PHONETIC_CLASSES)
    return _DOUBLED.sub(_first_group, folded)


def vowel_conflicts(unvowelled: Skeleton, vowelled: Skeleton) -> int:
    """Count the long vowels Arabic script writes that a Latin spelling contradicts, and the reverse.

    Both skeletons must have the same consonants. Arabic ا, و and ي after a consonant are long vowels
    (a, u, i); a Latin spelling that writes a vowel there must write a compatible one (Hussein for حسين,
    not Hassan). Inside a word, a Latin spelling that writes no vowel there, and Arabic short vowels,
    prove nothing. The last ي may be an alef maqsura, read a (مصطفى, Mustafa). Two things are written in
    both scripts, and their absence on one side is a conflict:
    - a final ي or ا after the last consonant: the -i of a family name made from a given name (محمدی
      is Mohammadi, not Muhammad; حمیدی is Hamidi, not Hamid) or a final long a (ملیکا is Malika, not
      Maleeq); and a final i or y in Latin without a final ي (unless a final h was dropped: مزیده);
    - a y or w between two Latin vowels, a consonant that Arabic writes (Ayala is not الله).
    """
    conflicts = 0
    last = len(unvowelled.vowels) - 1
    for index, (written, spelled) in enumerate(zip(unvowelled.vowels, vowelled.vowels, strict=True)):
        if index == last and not vowelled.has_final_h:
            conflicts += _final_conflict(written, spelled)
        conflicts += sum(
            1 for letter in "yw" if letter not in written and _BETWEEN_VOWELS[letter].search(spelled)
        )
        if not spelled:
            continue
        for letter in set(written):
            allowed = _COMPATIBLE.get(letter, "")
            if letter == "y" and index == last:
                allowed += "a"
            if not set(spelled) & set(allowed):
                conflicts += 1
    return conflicts


def _final_conflict(written: str, spelled: str) -> bool:
    """Whether the ends of two spellings disagree: a final ي or ا written against no Latin vowel, or
    a Latin final i without a final ي (a final ة, dropped from the skeleton, is never read i: الله is
    not Ali). A final و is left alone: it is silent in عمرو (Amr)."""
    if not spelled:
        return "y" in written or "a" in written
    return bool(set(spelled) & _FINAL_I) and "y" not in written and "a" not in spelled


def glide_conflicts(a: Skeleton, b: Skeleton) -> int:
    """Count the places where one of two Latin spellings with the same consonants writes a y or w
    between vowels and the other does not: a consonant, so another name (Sayyid and Said, Ayyub and
    Abu)."""
    return sum(1 for x, y in zip(a.vowels, b.vowels, strict=True) if _has_glide(x) != _has_glide(y))


def _has_glide(vowels: str) -> bool:
    return any(pattern.search(vowels) for pattern in _BETWEEN_VOWELS.values())


_COMPATIBLE = {"a": "ae", "w": "uow", "y": "iey"}
_FINAL_I = frozenset("iy")
_BETWEEN_VOWELS = {letter: re.compile(f"[aeiou]{letter}+[aeiou]") for letter in "yw"}

PARTICLES = frozenset(
    {"bin", "ibn", "ben", "bn", "abn", "bnt", "bint", "binti", "bte", "ibnu", "ould", "wld", "ag", "oglu",
     "ogly", "uulu", "kyzy", "jr", "sr"}
)  # fmt: skip
"""Words for 'son of' or 'daughter of' (and Jr, Sr): part of the name, weak evidence."""

ARTICLES = frozenset({"al", "el", "ul", "ud", "ur", "us", "uz"})
"""The Arabic article as a word of its own, whatever follows it: dropped."""

HYPHENATED_ARTICLES = frozenset(
    {"ad", "ed", "ar", "er", "as", "es", "ash", "esh", "ush", "at", "et", "ath", "az", "ez", "an", "en", "un"}
)
"""The article assimilated to a sun letter, recognised only with its hyphen (ad-Din, ash-Shami)."""

TITLES = frozenset(
    {
        "haji", "hajji", "hadji", "alhaj", "alhaji", "mullah", "mulla", "maulvi", "mawlawi", "maulavi",
        "mawlavi", "moulvi", "sheikh", "shaikh", "sheik", "shaykh", "qari", "dr", "mr", "mrs", "ms",
        "general", "gen", "colonel", "col", "maj", "imam", "emir",
        # the same titles as Arabic script renders them (ملا، حاجي، شيخ، مولوي، قاري)
        "mla", "hajy", "haj", "shykh", "mwlwy", "qary",
    }
)  # fmt: skip
"""Titles written as part of a name (UN list: Mullah, Haji, Maulvi): kept, but weak evidence."""

COMPOUND_PREFIXES = frozenset(
    {"abd", "abdul", "abdel", "abdal", "abdil", "abdol", "abdur", "abder", "abdus", "abdu", "'bd", "abu",
     "abou", "abo", "abw", "bou"}
)  # fmt: skip
"""The first word of a compound given name (Abd al-Rahman, Abdul Rahman) or of a kunya (Abu Bakr)."""

COMMON_SKELETONS: dict[str, float] = {
    "mhmd": 0.5,  # Muhammad in every spelling, and Mahmud: the most common name of the lists
    "ahmd": 0.6,  # Ahmad, Ahmed
    "al": 0.6,  # Ali, Aly (and Alaa)
    "abdl": 0.6,  # Abdullah, Abdul
    "abd": 0.5,  # Abd alone: its second half carries the identity
    "ab": 0.5,  # Abu, Abou: the second half carries the identity
    "hsn": 0.7,  # Hasan, Husayn, Hussein
    "hn": 0.6,  # Khan
    "x": 0.6,  # Shah
}
"""Weights of the most common Arabic and South Asian name words: sharing them says little."""

PARTICLE_WEIGHT = 0.2
TITLE_WEIGHT = 0.3
INITIAL_WEIGHT = 0.5


def word_weight(word: str, consonants: str) -> float:
    """Return how much evidence a word carries: 1.0, less for particles, titles and common names.

    Initials weigh `INITIAL_WEIGHT`; the tokenizer decides what is an initial.
    """
    if word in PARTICLES or (word.startswith("al") and word[2:] in PARTICLES):
        return PARTICLE_WEIGHT
    if word in TITLES:
        return TITLE_WEIGHT
    return COMMON_SKELETONS.get(consonants, 1.0)
