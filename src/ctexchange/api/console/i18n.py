"""Interface languages and their catalogs: every piece of console text comes from here.

Catalogs are flat JSON objects per language (`i18n/en.json`, `ar.json`, `ru.json`, `zh.json`) mapping a
dotted key (`nav.dashboard`) to a text, with `{name}` placeholders filled by `str.format_map`. JSON rather
than gettext: no compile step, the four files are diffed side by side, and a test checks that every key
exists in all four and every template text goes through `t()`. A key missing from a catalog at run time
shows the English text (and the test suite fails), never the key.

Which language a page is in: the signed-in user's stored choice, else the `ctx_lang` cookie (set by the
switch on the login page), else the browser's `Accept-Language`, else English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DEFAULT = "en"


@dataclass(frozen=True)
class Language:
    """An interface language: its code, its own name and its writing direction."""

    code: str
    native: str
    direction: str


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "ltr"),
    Language("ar", "العربية", "rtl"),
    Language("ru", "Русский", "ltr"),
    Language("zh", "中文", "ltr"),
)
BY_CODE = {lang.code: lang for lang in LANGUAGES}


@cache
def catalog(code: str) -> dict[str, str]:
    """Return the catalog of one language (read once per process)."""
    text = resources.files("ctexchange.api.console").joinpath("i18n", f"{code}.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def translate(code: str, key: str, **params: Any) -> str:
    """Return the text of `key` in language `code` (English when missing), placeholders filled."""
    text = catalog(code).get(key) if code in BY_CODE else None
    if text is None:
        text = catalog(DEFAULT).get(key, key)
    return text.format_map(params) if params else text


def has_text(code: str, key: str) -> bool:
    """True when the catalogs know `key` (for values that may be outside the catalog, like labels)."""
    return key in catalog(DEFAULT)


def language_of(code: str | None) -> Language:
    """Return the language with this code, or English."""
    return BY_CODE.get(code or "", BY_CODE[DEFAULT])


def negotiate(accept_language: str | None) -> str | None:
    """Return the first supported language of an `Accept-Language` header (by its q order), or None."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, param = part.strip().partition(";")
        quality = 1.0
        if param.strip().startswith("q="):
            try:
                quality = float(param.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in BY_CODE and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else None
