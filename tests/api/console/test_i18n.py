"""The catalogs are complete and the templates hold no untranslated text."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from ctexchange.api.console.i18n import BY_CODE, LANGUAGES, catalog, negotiate, translate

CONSOLE = Path(__file__).resolve().parents[3] / "src" / "ctexchange" / "api" / "console"
TEMPLATES = sorted((CONSOLE / "templates").rglob("*.html"))
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
TEXT_ATTRIBUTE = re.compile(r'\s(?:placeholder|title|alt|aria-label)="([^"]*)"')
KEY_USE = re.compile(r"""\bt\(\s*["']([^"']+)["']\s*[,)]""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_catalog_has_every_key() -> None:
    """en, ar, ru and zh have exactly the same keys."""
    keys = {code: set(catalog(code)) for code in BY_CODE}
    for code, found in keys.items():
        assert found == keys["en"], f"{code}: missing {keys['en'] - found}, extra {found - keys['en']}"


@pytest.mark.parametrize("code", [lang.code for lang in LANGUAGES if lang.code != "en"])
def test_placeholders_match_english(code: str) -> None:
    """A translation names the same `{placeholders}` as the English text, and none is empty."""
    for key, english in catalog("en").items():
        text = catalog(code)[key]
        assert text.strip(), f"{code}:{key} is empty"
        assert _placeholders(text) == _placeholders(english), f"{code}:{key}"


def test_translations_are_not_english_copies() -> None:
    """Most texts differ from the English (markings, codes and format names may stay as they are)."""
    for code in ("ar", "ru", "zh"):
        same = [k for k, v in catalog(code).items() if v == catalog("en")[k]]
        assert len(same) < len(catalog("en")) // 10, f"{code} copies English for {same}"


def test_templates_use_known_keys() -> None:
    """Every literal key a template asks for exists in the catalogs."""
    known = set(catalog("en"))
    for template in TEMPLATES:
        for key in KEY_USE.findall(template.read_text("utf-8")):
            assert key in known, f"{template.name}: unknown key {key}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_literal_text(template: Path) -> None:
    """Outside Jinja expressions and tags, a template has only punctuation, digits and spaces;
    text-bearing attributes (placeholder, title, alt, aria-label) come from `t()` too."""
    source = template.read_text("utf-8")
    for value in TEXT_ATTRIBUTE.findall(JINJA.sub("", source)):
        assert not re.search(r"[^\W\d_]", value), f"{template.name}: literal attribute text {value!r}"
    text = ENTITY.sub(" ", TAG.sub(" ", JINJA.sub(" ", source)))
    letters = re.findall(r"[^\W\d_]+", text)
    assert not letters, f"{template.name}: literal text {letters[:10]}"


def test_missing_translation_falls_back_to_english() -> None:
    """An unknown language shows English; placeholders are filled."""
    assert translate("xx", "login.title") == catalog("en")["login.title"]
    assert "7" in translate("ar", "batch.progress", done=7, total=9)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar-EG,ar;q=0.9,en;q=0.8", "ar"),
        ("de-DE,ru;q=0.5,en;q=0.4", "ru"),
        ("en;q=0.1,zh-CN;q=0.9", "zh"),
        ("de", None),
        ("", None),
        ("ar;q=0", None),
    ],
)
def test_accept_language_is_negotiated(header: str, expected: str | None) -> None:
    """The browser's first supported language by quality is chosen, or none."""
    assert negotiate(header) == expected


def test_rtl_only_for_arabic() -> None:
    """Arabic is the one right-to-left language."""
    assert {lang.code for lang in LANGUAGES if lang.direction == "rtl"} == {"ar"}
