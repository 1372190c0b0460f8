"""Text in any script made comparable: normalisation, word tokens, the script of a text, and the `text` kind.

Two posts that a reader sees as the same text should give the same tokens, whatever keyboard, font or
evasion trick produced them. `normalize_text` folds everything that only looks different; `tokens`
splits the result into the units that fingerprints are built from (`text_index`).

Decisions:
- Order: invisible characters out, NFKC (full-width letters, ligatures and Arabic presentation forms
  become plain letters), casefold, one per-character folding table, then (on request) links and
  mentions, then runs of whitespace become one space. Invisible characters go first so that they cannot
  change what NFKC composes. Punctuation is kept in the normalised text (the exact key of a signal is
  its hash) but is not a token.
- The folding table is a dict that fills itself (`__missing__`) the first time a character is met, so
  `str.translate` does all the work in C and no table of the whole of Unicode is built at import.
- Invisible characters are removed, never refused, for matching: bidi controls, zero-width characters,
  the soft hyphen and every other format character (category Cf). A hostile poster inserts them to break
  exact and fuzzy matching; matching must see through them. Combining marks (Mn, Me) are removed in every
  script: accents in Latin, tashkeel in Arabic, niqqud in Hebrew. (In Indic scripts this merges a few
  words that differ only in a vowel sign; both sides fold alike, so matching stays consistent.)
- Arabic: tatweel and the small Quranic letters go; alef forms (أ إ آ ٱ) become ا; hamza on a seat becomes
  the seat (ؤ → و, ئ → ي) and a lone hamza goes; alef maqsura ى becomes ي; ta marbuta ة becomes ه; the
  Persian, Urdu and Pashto letter forms become their Arabic counterparts (ک → ك, ی → ي, ہ ھ ۀ → ه, ے → ي).
  Arabic-Indic and Persian digits, like every decimal digit, become ASCII digits.
- Cyrillic: case by casefold, ё → е as Russian print usually writes it; й is a letter of its own and kept.
- Latin: case by casefold (ß → ss), accents by canonical decomposition (é → e) and a few letters that do not
  decompose (ø ł đ ħ ı æ œ þ).
- Chinese: traditional characters are folded to simplified ones with ICU's Traditional-Simplified
  transliterator applied one character at a time. Character by character (not phrase by phrase, as ICU
  does on whole strings) is what matching needs: every occurrence of a character folds alike whatever its
  neighbours, so a traditional and a simplified copy always agree. ICU transliterators are not
  thread-safe, so each call holds a lock; each character is looked up once per process.
- Tokens: runs of letters and digits; Han characters and Japanese kana are one token each, because those
  scripts write no spaces between words (a Han character is close to a morpheme). Thai, Lao, Khmer and
  Burmese, which also write no spaces, are left as long runs: a known limitation.
- The tables are this module's own, not shared with the names engine: fingerprints are persisted, so a
  change here is a new fingerprint version (`text_index.FINGERPRINT_VERSION`), decided here.
- The `text` kind stores the text as the caller sent it, NFC-normalised, with invisible characters kept:
  the stored value is evidence and must not be rewritten. Its exact key is the SHA-256 of the normalised
  text (without link or mention stripping), so copies that differ only by invisible characters, case,
  width or accents share one key. Control
  characters other than whitespace and lone surrogates are refused; text over `MAX_TEXT_CHARS`, bytes
  that are not UTF-8 and text without a single word after normalisation are refused.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import icu

from ctexchange.domain.kinds import KindValue
from ctexchange.domain.signals import Family, JsonValue
from ctexchange.domain.text import BIDI_CONTROLS, ZERO_WIDTH
from ctexchange.errors import InvalidInput, PayloadTooLarge

MAX_TEXT_CHARS = 100_000
"""The longest text accepted as a signal or a query, in characters as sent."""

DEFAULT_MIN_SIMILARITY = 0.7
"""Near-duplicate threshold: the estimated fraction of words two texts share (see `text_index`)."""
DEFAULT_MIN_CONTAINMENT = 0.75
"""Containment threshold: the fraction of the shorter text's fingerprints found in the other."""
DEFAULT_MIN_QUOTE_WORDS = 40
"""A shared passage at least this many words long is a containment match whatever the texts' lengths."""
QUOTE_WORDS_RANGE = (10, 10_000)

# soft hyphen, combining grapheme joiner, Mongolian vowel separator: invisible too
_INVISIBLE_CHARS = frozenset(BIDI_CONTROLS | ZERO_WIDTH | {"\u00ad", "\u034f", "\u180e"})
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS))
_REMOVED = _INVISIBLE_CHARS | {"\u0640"}  # and the Arabic tatweel, a stretching stroke
_ARABIC_FOLD = {
    **dict.fromkeys("أإآٱٲٳٵ", "ا"),
    "ؤ": "و",
    "ئ": "ي",
    "ء": "",
    **dict.fromkeys("ىیېۍےێ", "ي"),
    **dict.fromkeys("ةۀہھە", "ه"),
    **dict.fromkeys("کڪ", "ك"),
    "ګ": "گ",
    # small Quranic letters and signs written above or beside the line
    **dict.fromkeys("\u06dd\u06de\u06e5\u06e6\u06e9", ""),
}
_LATIN_EXTRA = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ŋ": "n"}
_CYRILLIC_FOLD = {"ё": "е"}
_LATIN_RANGES = ((0x00C0, 0x024F), (0x1E00, 0x1EFF))
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))
_KANA = (0x3040, 0x30FF)
_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_TOKEN = re.compile(f"[{_CJK_CLASS}]|[^\\W_{_CJK_CLASS}]+")
_LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}/\S*", re.IGNORECASE
)
_MENTION = re.compile(r"(?<![\w@])@\w+")
_REFUSED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SIMPLIFIER = icu.Transliterator.createInstance("Traditional-Simplified")
_ICU_LOCK = threading.Lock()
_SCRIPT_SHARE = 0.8


class _Folding(dict[int, str | None]):
    """The per-character folding table for `str.translate`, filled the first time a character is met."""

    def __missing__(self, code: int) -> str | None:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


def _fold_char(char: str) -> str | None:
    """Return what one casefolded character becomes: None to remove it, else its replacement."""
    category = unicodedata.category(char)
    if char in _REMOVED or category in ("Mn", "Me", "Cf"):
        return None
    if category in ("Cc", "Zs", "Zl", "Zp"):
        return " "
    if char in _ARABIC_FOLD:
        return _ARABIC_FOLD[char]
    if category == "Nd":
        return str(unicodedata.digit(char))
    return _fold_letter(char)


def _fold_letter(char: str) -> str:
    """Fold a Latin, Cyrillic or Han letter; any other character is kept."""
    code = ord(char)
    if char in _LATIN_EXTRA or char in _CYRILLIC_FOLD:
        return _LATIN_EXTRA.get(char) or _CYRILLIC_FOLD[char]
    if any(low <= code <= high for low, high in _LATIN_RANGES):
        decomposed = unicodedata.normalize("NFD", char)
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    if any(low <= code <= high for low, high in _HAN_RANGES):
        return _simplified(char)
    return char


def _simplified(char: str) -> str:
    """Return the simplified form of one Han character, a fixed point: folding it again changes nothing."""
    chain = [char]
    with _ICU_LOCK:
        for _ in range(4):
            folded: str = _SIMPLIFIER.transliterate(chain[-1])
            if folded == chain[-1]:
                return folded
            if folded in chain:
                # ICU maps a few characters to each other (苎 ↔ 苧): every member folds to the smallest.
                return min(chain[chain.index(folded) :])
            chain.append(folded)
    return chain[-1]


_FOLDING = _Folding()


def normalize_text(text: str, strip_links: bool = False, strip_mentions: bool = False) -> str:
    """Return `text` folded for matching (see the module's decisions), words separated by single spaces.

    With `strip_links`, URLs (with a scheme, `www.`, or a domain followed by a path such as `t.me/x`) are
    removed; with `strip_mentions`, `@handles` are removed.
    """
    visible = text.translate(_INVISIBLE)
    folded = unicodedata.normalize("NFKC", visible).casefold().translate(_FOLDING)
    if strip_links:
        folded = _LINK.sub(" ", folded)
    if strip_mentions:
        folded = _MENTION.sub(" ", folded)
    return " ".join(folded.split())


def tokens(normalized: str) -> list[str]:
    """Return the word tokens of normalised text: runs of letters and digits, CJK characters one by one."""
    return _TOKEN.findall(normalized)


def detect_script(text: str) -> str:
    """Return the script of at least 80 % of the letters of `text`.

    One of "arabic", "cyrillic", "han", "latin"; "mixed" when no script has 80 % of the letters; "other"
    for any other script and for text without letters.
    """
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = _script_of_char(ord(char))
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "other"
    script, count = max(counts.items(), key=lambda item: item[1])
    return script if count >= _SCRIPT_SHARE * sum(counts.values()) else "mixed"


def _script_of_char(code: int) -> str:
    if code < 0x0250 or 0x1E00 <= code <= 0x1EFF or 0xFF21 <= code <= 0xFF5A:
        return "latin"
    if 0x0600 <= code <= 0x08FF or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    if (
        0x0400 <= code <= 0x052F
        or 0x1C80 <= code <= 0x1C8F
        or 0x2DE0 <= code <= 0x2DFF
        or 0xA640 <= code <= 0xA69F
    ):
        return "cyrillic"
    if any(low <= code <= high for low, high in _HAN_RANGES):
        return "han"
    return "other"


def text_key(normalized: str) -> str:
    """Return the exact key of a text signal: `sha256:` and the hex SHA-256 of its normalised text."""
    return "sha256:" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def decode_text(raw: object, field: str) -> str:
    """Return `raw` as NFC text: a string, or bytes in strict UTF-8; raise InvalidInput naming `field`.

    Refuses text over `MAX_TEXT_CHARS` (PayloadTooLarge), control characters other than whitespace, and
    lone surrogates. Invisible bidi and zero-width characters are kept (see the module's decisions).
    """
    if isinstance(raw, bytes | bytearray):
        raw = _decode_utf8(bytes(raw), field)
    if not isinstance(raw, str):
        raise InvalidInput.expected(field, "a string of text", raw)
    if len(raw) > MAX_TEXT_CHARS:
        raise PayloadTooLarge(
            f"'{field}' must be at most {MAX_TEXT_CHARS} characters (got {len(raw)})", field=field
        )
    refused = _REFUSED.search(raw)
    if refused is not None:
        found = f"U+{ord(refused.group()):04X} at position {refused.start()}"
        raise InvalidInput(
            f"'{field}' must not contain control characters or surrogates (found {found})", field=field
        )
    return unicodedata.normalize("NFC", raw)


def _decode_utf8(data: bytes, field: str) -> str:
    if len(data) > 4 * MAX_TEXT_CHARS:
        raise PayloadTooLarge(
            f"'{field}' must be at most {MAX_TEXT_CHARS} characters (got {len(data)} bytes)", field=field
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"'{field}' must be valid UTF-8 (invalid byte at offset {error.start})", field=field
        ) from None


@dataclass(frozen=True)
class TextKind:
    """The `text` kind: a post, a passage or a document to match by near-duplicate and containment."""

    name: str = "text"
    family: Family = Family.CONTENT

    def validate(self, raw: JsonValue, field: str) -> KindValue:
        """Return the text as sent (NFC) and the SHA-256 key of its normalised form; raise InvalidInput."""
        text = decode_text(raw, field)
        normalized = normalize_text(text)
        if not tokens(normalized):
            raise InvalidInput.expected(field, "text with at least one word after normalisation", raw)
        return KindValue(text, text_key(normalized))

    def validate_settings(self, raw: Mapping[str, JsonValue], field: str) -> dict[str, JsonValue]:
        """Return the text settings with defaults filled in; raise InvalidInput naming the bad key.

        `min_similarity` and `min_containment` are numbers in (0, 1]; `min_quote_words` an integer in
        `QUOTE_WORDS_RANGE`; `strip_links` and `strip_mentions` booleans.
        """
        unknown = sorted(set(raw) - set(_SETTING_DEFAULTS))
        if unknown:
            raise InvalidInput.expected(field, f"only {', '.join(_SETTING_DEFAULTS)} for kind text", unknown)
        settings = {**_SETTING_DEFAULTS, **raw}
        for key in ("min_similarity", "min_containment"):
            settings[key] = _fraction(settings[key], f"{field}.{key}")
        settings["min_quote_words"] = _quote_words(settings["min_quote_words"], f"{field}.min_quote_words")
        for key in ("strip_links", "strip_mentions"):
            if not isinstance(settings[key], bool):
                raise InvalidInput.expected(f"{field}.{key}", "true or false", settings[key])
        return settings


_SETTING_DEFAULTS: dict[str, JsonValue] = {
    "min_similarity": DEFAULT_MIN_SIMILARITY,
    "min_containment": DEFAULT_MIN_CONTAINMENT,
    "min_quote_words": DEFAULT_MIN_QUOTE_WORDS,
    "strip_links": False,
    "strip_mentions": False,
}


def _fraction(value: JsonValue, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InvalidInput.expected(field, "a number in (0, 1]", value)
    return float(value)


def _quote_words(value: JsonValue, field: str) -> int:
    low, high = QUOTE_WORDS_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput.expected(field, f"an integer from {low} to {high}", value)
    return value


TEXT_KIND = TextKind()
