"""Documentation that cannot rot: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctexchange.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("setting", [s.name for s in SETTINGS])
def test_setting_is_documented(setting: str) -> None:
    """docs/configuration.md names each setting and its environment variable."""
    text = (DOCS / "configuration.md").read_text("utf-8")
    assert f"`{setting}`" in text
    assert f"`CTX_{setting.upper()}`" in text


def test_readme_starts_with_the_two_commands() -> None:
    """The README gives `make run` and `make test` before anything else that is code."""
    readme = (DOCS.parent / "README.md").read_text("utf-8")
    first_code = readme.index("```")
    block = readme[first_code : readme.index("```", first_code + 3)]
    assert "make run" in block
    assert "make test" in block
