"""Country names and codes as the lists write them, mapped to ISO 3166-1 alpha-2.

Each source spells countries its own way: the UN writes "Iran (Islamic Republic of)" and "State of
Palestine", OFAC writes "Korea, North" and "Burma", FollowTheMoney writes lowercase codes ("ru"). One
lookup serves all three parsers.

Decisions:
- pycountry's `name`, `official_name` and `common_name` are the base index, compared after folding case,
  accents, apostrophes and a leading "the"; a name with a parenthesised part ("Holy See (Vatican City
  State)") is also indexed without it when that is unambiguous. The UN's "X (Y of)" becomes pycountry's
  "X, Y of" before lookup.
- `EXTRA_NAMES` adds the spellings pycountry lacks, each seen in a real list file.
- Codes are never looked up from a name: "na" is a UN placeholder, not Namibia.
- Withdrawn states (Soviet Union, Yugoslavia, Serbia and Montenegro, Netherlands Antilles) and hedged or
  regional text ("possibly Palestinian", "Region: Gaza") are not mapped: the caller keeps them as text
  in `unmapped_countries`, so nothing is lost and nothing is guessed.
- Kosovo is `XK`, the user-assigned code the EU, SWIFT and FollowTheMoney use; ISO 3166-1 assigns none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

import pycountry

KOSOVO = "XK"
USER_ASSIGNED_CODES = frozenset({KOSOVO})

# Spellings missing from pycountry, keyed by their folded form. Source of each: UN = UN Security Council
# Consolidated List (2025-08), OFAC = SDN list remarks (2024-05).
EXTRA_NAMES: dict[str, str] = {
    "democratic republic of the congo": "CD",  # UN
    "congo, democratic republic of the": "CD",  # OFAC
    "congo, republic of the": "CG",  # OFAC
    "state of palestine": "PS",  # UN
    "palestinian": "PS",  # OFAC, "nationality Palestinian"
    "west bank": "PS",  # OFAC place names
    "republic of korea": "KR",  # UN
    "korea, north": "KP",  # OFAC
    "korea, south": "KR",  # OFAC
    "russia": "RU",  # OFAC
    "burma": "MM",  # OFAC
    "turkey": "TR",  # OFAC (the UN writes "Türkiye")
    "north macedonia, the republic of": "MK",  # OFAC
    "macedonia": "MK",  # OFAC (older rows)
    "gambia, the": "GM",  # OFAC
    "bahamas, the": "BS",  # OFAC
    "ivory coast": "CI",  # OFAC (older rows)
    "brunei": "BN",  # OFAC
    "macau": "MO",  # OFAC
    "swaziland": "SZ",  # OFAC (older rows)
    "bosnia-herzegovina": "BA",  # OFAC (older rows)
    "united states": "US",  # OFAC
    "kosovo": KOSOVO,  # OFAC, UN addresses
}

_UN_QUALIFIED = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<qualifier>[^()]+)\)$")
_PARENTHESISED = re.compile(r"\s*\([^()]*\)")
_CODE = re.compile(r"^[A-Za-z]{2}$")


def fold_country(text: str) -> str:
    """Return `text` folded for comparison: no accents, casefolded, plain apostrophes, no leading "the"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = " ".join(plain.casefold().split())
    return folded.removeprefix("the ")


@cache
def _index() -> dict[str, str]:
    exact: dict[str, str] = {}
    stripped: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if not value:
                continue
            exact[fold_country(value)] = country.alpha_2
            if "(" in value:
                short = fold_country(_PARENTHESISED.sub("", value))
                stripped.setdefault(short, set()).add(country.alpha_2)
    # "Virgin Islands (British)" and "Virgin Islands (U.S.)" share a short form: such forms are dropped.
    for short, codes in stripped.items():
        if len(codes) == 1 and short not in exact:
            exact[short] = next(iter(codes))
    exact.update(EXTRA_NAMES)
    return exact


def country_code(name: str) -> str | None:
    """Return the ISO 3166-1 alpha-2 code for a country name as a list writes it, or None if unknown."""
    folded = fold_country(name)
    index = _index()
    if folded in index:
        return index[folded]
    qualified = _UN_QUALIFIED.match(folded)
    if qualified:
        return index.get(f"{qualified['name']}, {qualified['qualifier']}")
    return None


def code_country(code: str) -> str | None:
    """Return `code` uppercased if it is an assigned ISO 3166-1 alpha-2 code (or XK), else None."""
    if not _CODE.match(code):
        return None
    upper = code.upper()
    if upper in USER_ASSIGNED_CODES or pycountry.countries.get(alpha_2=upper) is not None:
        return upper
    return None


def sort_countries(names: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split country names into (codes, unmapped texts), each once and in first-seen order."""
    codes: dict[str, None] = {}
    unmapped: dict[str, None] = {}
    for name in names:
        if not name:
            continue
        code = country_code(name)
        if code is None:
            unmapped[name] = None
        else:
            codes[code] = None
    return tuple(codes), tuple(unmapped)
