"""What sets organization names apart: legal forms that say nothing, and acronyms that say everything.

Decisions:
- Legal-form words (LLC, Ltd, GmbH, ООО, شركة, 有限公司...) are removed before comparison: "Huaxin
  Shipping Hongkong Ltd" and "Huaxin Shipping (Hong Kong) Limited" are one company, and two companies
  do not become alike by both being limited. A name made only of legal-form words is kept as it is.
- Han legal forms are removed as substrings, because Chinese writes no spaces.
- An acronym is the initials of the words of a name, with and without its stopwords: "Islamic State in
  Iraq and the Levant" gives ISIL and ISIITL. A one-word name that equals an acronym of the other
  name matches it (ISIL, AQAP, JNIM), with less confidence than a spelled-out match.
"""

from __future__ import annotations

import re

from ctexchange.engines.names.normalize import normalize_name
from ctexchange.engines.names.tokens import ORG_STOPWORDS
from ctexchange.engines.names.translit import latin_forms

LEGAL_FORMS = frozenset(
    {
        # English, and the company forms of Commonwealth and Asian registers
        "llc", "ltd", "limited", "inc", "incorporated", "corp", "co", "plc", "llp", "lp", "pte", "pvt",
        "private", "bhd", "sdn", "fze", "fzco", "fzc", "fzllc", "jsc", "ojsc", "cjsc", "pjsc",
        # continental Europe
        "gmbh", "ag", "kg", "sa", "sarl", "sas", "srl", "spa", "bv", "nv", "ab", "as", "oy", "aps",
        # Russian and other Cyrillic (as written, and as BGN renders them)
        "ооо", "оао", "зао", "пао", "ао", "тоо", "ooo", "oao", "zao", "pao", "ao", "too",
        # Arabic: company, limited liability (ذ م م), limited (translated, and "Ltd" in Arabic letters)
        "شركه", "ذ", "م", "ش", "sharika", "sharikat", "محدوده", "المحدوده", "لمتد", "ليمتد", "لميتد",
    }
)  # fmt: skip
"""Words that name a legal form only (compared after normalisation: lowercase, no dots)."""

LEGAL_PHRASES = (
    "joint stock company",
    "limited liability company",
    "public joint stock company",
    "closed joint stock company",
    "общество с ограниченной ответственностью",
    "акционерное общество",
    "co ltd",
)
HAN_LEGAL_FORMS = (
    # longest first: 有限公司 must go before 公司 does
    "股份有限公司", "有限责任公司", "有限責任公司", "有限公司", "株式会社", "会社", "會社", "公司",
)  # fmt: skip
_ACRONYM_MIN, _ACRONYM_MAX = 2, 10


def strip_legal_forms(name: str) -> str:
    """Return `name` normalised, without legal-form words; `name` normalised if nothing else is left."""
    text = normalize_name(name)
    for form in HAN_LEGAL_FORMS:
        text = text.replace(form, " ")
    for phrase in LEGAL_PHRASES:
        text = re.sub(rf"(^|\s){phrase}(\s|$)", " ", text)
    kept = [w for w in text.split() if w not in LEGAL_FORMS]
    return " ".join(kept) or normalize_name(name)


def acronyms(name: str) -> frozenset[str]:
    """Return the acronyms of a name of several words: initials with and without stopwords."""
    found: set[str] = set()
    for form in latin_forms(name):
        words = form.split()
        if len(words) < 2:
            continue
        for chosen in (words, [w for w in words if w not in ORG_STOPWORDS and w not in ("al", "el")]):
            initials = "".join(w[0] for w in chosen)
            if _ACRONYM_MIN <= len(initials) <= _ACRONYM_MAX:
                found.add(initials)
    return frozenset(found)


def as_acronym(name: str) -> str | None:
    """Return `name` as a candidate acronym (one short word, or spaced or dotted letters), or None."""
    for form in latin_forms(name):
        words = form.split()
        joined = "".join(words)
        if (len(words) == 1 or all(len(w) == 1 for w in words)) and _ACRONYM_MIN <= len(joined) <= 6:
            return joined
    return None
