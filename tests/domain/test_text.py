"""Names and notes refuse hidden characters and keep every script."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctexchange.domain.text import BIDI_CONTROLS, ZERO_WIDTH, clean_name, clean_text
from ctexchange.errors import InvalidInput, PayloadTooLarge


@pytest.mark.parametrize(
    "name", ["Regional Anti-Terrorist Structure", "مكافحة الإرهاب", "Антитеррор", "反恐"]
)
def test_names_in_every_script_are_kept(name: str) -> None:
    """Arabic, Cyrillic, Chinese and Latin names pass unchanged."""
    assert clean_name(name) == name


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS | ZERO_WIDTH | {"\x00", "\x1b"}))
def test_hidden_characters_are_refused(char: str) -> None:
    """A bidi control, zero-width or control character anywhere in a name is refused, naming it."""
    with pytest.raises(InvalidInput) as info:
        clean_name(f"abc{char}def", "name")
    assert f"U+{ord(char):04X}" in info.value.message
    assert info.value.field == "name"


def test_slash_and_size() -> None:
    """A '/' (reserved for ORG/NAME) and an over-long name are refused."""
    with pytest.raises(InvalidInput):
        clean_name("a/b")
    with pytest.raises(PayloadTooLarge):
        clean_name("x" * 121)


def test_nfc_normalisation() -> None:
    """A decomposed accent is composed, so one name typed two ways is one name."""
    assert clean_text("Jose\u0301", "name", max_chars=10) == "José"


@given(st.text(alphabet=st.characters(categories=["L", "N", "Zs", "P"]), min_size=1, max_size=50))
def test_visible_text_round_trips(text: str) -> None:
    """Text made of letters, digits, spaces and punctuation is accepted or refused only for being empty."""
    try:
        cleaned = clean_text(text, "note", max_chars=100)
    except InvalidInput as exc:
        assert not text.strip()
        assert exc.field == "note"
    else:
        assert cleaned == clean_text(cleaned, "note", max_chars=100)
