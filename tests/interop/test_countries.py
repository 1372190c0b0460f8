"""Country names as the UN and OFAC write them, and FtM codes, mapped to ISO 3166-1 alpha-2."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given
from hypothesis import strategies as st

from ctexchange.interop.countries import code_country, country_code, sort_countries
from ctexchange.interop.un_list import bundled_un_list

MIN_MAPPED_SHARE = 0.98


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # UN spellings
        ("Democratic Republic of the Congo", "CD"),
        ("Congo", "CG"),
        ("Syrian Arab Republic", "SY"),
        ("Iran (Islamic Republic of)", "IR"),
        ("Bolivia (Plurinational State of)", "BO"),
        ("Russian Federation", "RU"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("State of Palestine", "PS"),
        ("Türkiye", "TR"),
        ("Democratic People's Republic of Korea", "KP"),
        ("Democratic People’s Republic of Korea", "KP"),
        ("Republic of Korea", "KR"),
        ("United Republic of Tanzania", "TZ"),
        ("Viet Nam", "VN"),
        ("Côte d'Ivoire", "CI"),
        ("Holy See", "VA"),
        # OFAC spellings
        ("Korea, North", "KP"),
        ("Korea, South", "KR"),
        ("Burma", "MM"),
        ("Russia", "RU"),
        ("Turkey", "TR"),
        ("Palestinian", "PS"),
        ("Congo, Democratic Republic of the", "CD"),
        ("North Macedonia, The Republic of", "MK"),
        ("The Gambia", "GM"),
        ("Cote d'Ivoire", "CI"),
        ("Curacao", "CW"),
        ("Kosovo", "XK"),
        ("  syria ", "SY"),
    ],
)
def test_country_names(name: str, code: str) -> None:
    """The spellings the lists use map to their ISO code."""
    assert country_code(name) == code


@pytest.mark.parametrize(
    "name",
    [
        "former Soviet Union",
        "Soviet Union",
        "Yugoslavia",
        "possibly Palestinian",
        "Region: Gaza",
        "na",
        "Virgin Islands",
    ],
)
def test_unmappable_names(name: str) -> None:
    """Withdrawn states, hedged text, placeholders and ambiguous short forms map to nothing."""
    assert country_code(name) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ru", "RU"), ("GB", "GB"), ("xk", "XK"), ("zz", None), ("suhh", None), ("r", None)],
)
def test_codes(code: str, expected: str | None) -> None:
    """FtM's lowercase codes are uppercased when assigned; others are not codes."""
    assert code_country(code) == expected


def test_sort_countries_keeps_order_and_text() -> None:
    """Codes and unmapped texts come back once each, in first-seen order."""
    assert sort_countries(["Russia", "na", "Syria", "Russian Federation", "", "na"]) == (
        ("RU", "SY"),
        ("na",),
    )


def test_bundled_un_nationalities_are_mapped() -> None:
    """At least 98 % of the UN list's nationality values map to a code (measured: 644 of 646)."""
    root = fromstring(bundled_un_list(), forbid_dtd=True)
    values = [(v.text or "").strip() for v in root.iterfind(".//NATIONALITY/VALUE")]
    mapped = [v for v in values if country_code(v) is not None]
    assert len(values) == 646
    assert len(mapped) / len(values) >= MIN_MAPPED_SHARE


@given(st.text(max_size=60))
def test_any_text_maps_or_not(text: str) -> None:
    """Any text maps to an uppercase two-letter code or to None, without raising."""
    code = country_code(text)
    assert code is None or (len(code) == 2 and code.isupper())
